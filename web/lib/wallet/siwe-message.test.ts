import { Wallet } from 'ethers';
import { SiweMessage } from 'siwe';
import { describe, expect, test } from 'vitest';
import { buildSiweMessage, utf8ToHex, type SiweFields } from './siwe-message';

const wallet = new Wallet('0x' + '11'.repeat(32));
const fields: SiweFields = {
  domain: 'hearth.example:8443',
  address: wallet.address,
  statement: 'Sign in to Hearth.',
  uri: 'https://hearth.example:8443',
  chainId: 1,
  nonce: 'abcDEF123456',
  issuedAt: new Date('2026-11-22T08:00:00.000Z'),
  expirationTime: new Date('2026-11-22T08:05:00.000Z'),
};

describe('buildSiweMessage', () => {
  test('writes the EIP-4361 text', () => {
    expect(buildSiweMessage(fields)).toBe(
      [
        'hearth.example:8443 wants you to sign in with your Ethereum account:',
        wallet.address,
        '',
        'Sign in to Hearth.',
        '',
        'URI: https://hearth.example:8443',
        'Version: 1',
        'Chain ID: 1',
        'Nonce: abcDEF123456',
        'Issued At: 2026-11-22T08:00:00.000Z',
        'Expiration Time: 2026-11-22T08:05:00.000Z',
      ].join('\n'),
    );
  });

  test.each([
    ['with a statement', fields],
    ['without a statement', { ...fields, statement: undefined }],
    ['without an expiration', { ...fields, expirationTime: undefined }],
    ['on another chain', { ...fields, chainId: 11155111 }],
  ])('the siwe library reads every field back %s', (_, f) => {
    const parsed = new SiweMessage(buildSiweMessage(f));
    expect(parsed.domain).toBe(f.domain);
    expect(parsed.address).toBe(f.address);
    expect(parsed.statement).toBe(f.statement);
    expect(parsed.uri).toBe(f.uri);
    expect(parsed.version).toBe('1');
    expect(parsed.chainId).toBe(f.chainId);
    expect(parsed.nonce).toBe(f.nonce);
    expect(parsed.issuedAt).toBe(f.issuedAt.toISOString());
    expect(parsed.expirationTime).toBe(f.expirationTime?.toISOString());
    // Hearth takes a message only in the exact form the library writes it.
    expect(parsed.prepareMessage()).toBe(buildSiweMessage(f));
  });

  test('a personal_sign signature of it verifies with the siwe library', async () => {
    const message = buildSiweMessage(fields);
    const signature = await wallet.signMessage(message);
    const result = await new SiweMessage(message).verify(
      { signature, domain: fields.domain, nonce: fields.nonce, time: '2026-11-22T08:01:00.000Z' },
      { suppressExceptions: true },
    );
    expect(result.success).toBe(true);
  });

  test.each([
    ['a statement with a line break', { ...fields, statement: 'one\ntwo' }, /one line/],
    ['a short nonce', { ...fields, nonce: 'abc' }, /nonce/],
    ['a nonce with symbols', { ...fields, nonce: 'abcdefgh-1' }, /nonce/],
    ['chain 0', { ...fields, chainId: 0 }, /chain/],
  ])('refuses %s', (_, f, error) => {
    expect(() => buildSiweMessage(f)).toThrow(error);
  });
});

test('utf8ToHex encodes UTF-8 bytes', () => {
  expect(utf8ToHex('')).toBe('0x');
  expect(utf8ToHex('Hi\n')).toBe('0x48690a');
  expect(utf8ToHex('ü')).toBe('0xc3bc');
});
