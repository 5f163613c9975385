import { hkdfSync } from 'node:crypto';
import { Signature, Wallet } from 'ethers';
import { describe, expect, test } from 'vitest';
import { fromBase64Url, toHex } from './encoding';
import { newMasterKey, unwrapKey, wrapKey } from './keys';
import { seededRandom, thrownCode } from './testing';
import { checkDeterministicSignatures, deriveWalletKek, newWalletSalt, walletKeyMessage } from './wallet';

// A well-known test key (Ganache's first account), never for real funds; ethers signs with RFC 6979, so its signatures are fixed.
const wallet = new Wallet('0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d');
const salt = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'; // bytes 0..31
const fields = { domain: 'notes.example.org', address: wallet.address.toLowerCase(), salt };
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

describe('walletKeyMessage', () => {
  test('the fixed text, with the checksummed address', () => {
    expect(wallet.address).toBe('0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1');
    expect(walletKeyMessage(fields)).toBe(
      [
        'Hearth notes encryption key',
        '',
        'Domain: notes.example.org',
        `Address: ${wallet.address}`,
        'Purpose: unlock your Hearth notes encryption key',
        `Salt: ${salt}`,
        '',
        'Sign this only in Hearth on notes.example.org. Never sign it for another site: this signature is the key to your encrypted notes.',
      ].join('\n'),
    );
  });

  test('is not a Sign-In with Ethereum message, so neither can stand for the other', () => {
    expect(walletKeyMessage(fields)).not.toMatch(/wants you to sign in/);
  });

  test.each(['localhost:5173', '127.0.0.1:8090', '[::1]:8090', 'xn--bcher-kva.example'])(
    'accepts host %s',
    (domain) => {
      expect(walletKeyMessage({ ...fields, domain })).toContain(`Domain: ${domain}\n`);
    },
  );

  test('writes the host in lower case', () => {
    expect(walletKeyMessage({ ...fields, domain: 'Notes.Example.ORG' })).toBe(walletKeyMessage(fields));
  });

  test.each([
    '',
    'notes.example.org\nDomain: evil.example',
    'https://notes.example.org',
    'notes.example.org/path',
    'notes example.org',
    '-notes.example.org',
    'notes.example.org:',
  ])('refuses host %j', (domain) => {
    expect(thrownCode(() => walletKeyMessage({ ...fields, domain }))).toBe('invalid-input');
  });

  test.each([
    ['address', { address: '0x1234' }],
    ['salt', { salt: 'short' }],
    ['salt', { salt: `${salt}=` }],
  ])('refuses a bad %s', (_, change) => {
    expect(thrownCode(() => walletKeyMessage({ ...fields, ...change }))).toBe('invalid-input');
  });
});

describe('deriveWalletKek', () => {
  test('fixed vector: the signature of the fixed message, then HKDF-SHA256', async () => {
    const signature = await wallet.signMessage(walletKeyMessage(fields));
    expect(signature).toBe(
      '0xa34f4765cbfc4c646115e8fe21cf4b2b088c6ad5e5690c3e15807b81c50a5cde3a1f34f491040712a2c28dc8c8c3c66b616b61faeb232210c3bae9261c588b001c',
    );
    const kek = deriveWalletKek(signature, salt);
    expect(toHex(kek)).toBe('b32306636705453f97ba9b4a051523482b22b53ff1c29d57b976d7456006e53b');
    // The derivation as docs/notes-crypto.md states it, through Node's HKDF.
    const rs = Buffer.from(signature.slice(2, 130), 'hex');
    const node = hkdfSync('sha256', rs, fromBase64Url(salt), 'hearth notes kek v1', 32);
    expect(toHex(kek)).toBe(Buffer.from(node).toString('hex'));
  });

  test('is deterministic, and depends on the signature and the salt', async () => {
    const message = walletKeyMessage(fields);
    const kek = deriveWalletKek(await wallet.signMessage(message), salt);
    expect(deriveWalletKek(await wallet.signMessage(message), salt)).toEqual(kek);
    const otherSalt = newWalletSalt();
    expect(deriveWalletKek(await wallet.signMessage(message), otherSalt)).not.toEqual(kek);
  });

  test('the same key whichever v convention or s form the wallet returns', async () => {
    const signature = Signature.from(await wallet.signMessage(walletKeyMessage(fields)));
    const kek = deriveWalletKek(signature.serialized, salt);
    const r = signature.r.slice(2);
    const s = signature.s.slice(2);
    const highS = (N - BigInt(signature.s)).toString(16).padStart(64, '0');
    const other = signature.v === 27 ? 28 : 27;
    const hex = (v: number) => v.toString(16).padStart(2, '0');
    expect(deriveWalletKek(`0x${r}${s}${hex(signature.v - 27)}`, salt)).toEqual(kek);
    expect(deriveWalletKek(`0x${r}${highS}${hex(other)}`, salt)).toEqual(kek);
    expect(deriveWalletKek(`${r}${s}${hex(signature.v)}`.toUpperCase(), salt)).toEqual(kek);
  });

  test('a wrong wallet fails closed', async () => {
    const master = newMasterKey();
    const message = walletKeyMessage(fields);
    const wrapped = wrapKey(master, deriveWalletKek(await wallet.signMessage(message), salt), 'master');
    const intruder = Wallet.createRandom();
    const theirs = deriveWalletKek(await intruder.signMessage(message), salt);
    expect(thrownCode(() => unwrapKey(wrapped, theirs, 'master'))).toBe('wrong-key');
    const ours = deriveWalletKek(await wallet.signMessage(message), salt);
    expect(unwrapKey(wrapped, ours, 'master')).toEqual(master);
  });

  const r = '11'.repeat(32);
  const s = '22'.repeat(32);
  test.each([
    ['empty', ''],
    ['only 0x', '0x'],
    ['64 bytes', `0x${r}${s}`],
    ['66 bytes', `0x${r}${s}1b00`],
    ['not hex', `0x${r}${s}zz`],
    ['v = 2', `0x${r}${s}02`],
    ['v = 29', `0x${r}${s}1d`],
    ['r = 0', `0x${'00'.repeat(32)}${s}1b`],
    ['s = 0', `0x${r}${'00'.repeat(32)}1b`],
    ['r = n', `0x${N.toString(16)}${s}1b`],
    ['s = n', `0x${r}${N.toString(16)}1b`],
    ['all ones', `0x${'ff'.repeat(65)}`],
  ])('refuses a signature that is %s', (_, signature) => {
    expect(thrownCode(() => deriveWalletKek(signature, salt))).toBe('invalid-signature');
  });

  test.each(['', 'AAEC', '!!!!!!!!!!!!!!!!!!!!!!'])('refuses salt %j', async (bad) => {
    const signature = await wallet.signMessage('x');
    expect(thrownCode(() => deriveWalletKek(signature, bad))).toBe('invalid-input');
  });
});

describe('checkDeterministicSignatures', () => {
  test('passes for a wallet that signs the same message the same way', async () => {
    const message = walletKeyMessage(fields);
    const first = await wallet.signMessage(message);
    const second = await wallet.signMessage(message);
    expect(thrownCode(() => checkDeterministicSignatures(first, second))).toBe('none');
  });

  test('tells a wallet whose signatures differ to use a passphrase', async () => {
    const first = await wallet.signMessage(walletKeyMessage(fields));
    const second = await wallet.signMessage(walletKeyMessage({ ...fields, salt: newWalletSalt() }));
    expect(thrownCode(() => checkDeterministicSignatures(first, second))).toBe('non-deterministic-wallet');
  });

  test('refuses what is not a signature', async () => {
    const first = await wallet.signMessage('x');
    expect(thrownCode(() => checkDeterministicSignatures(first, '0x'))).toBe('invalid-signature');
  });
});

test('newWalletSalt: 32 bytes from the random source, as base64url', () => {
  expect(fromBase64Url(newWalletSalt(seededRandom('w')))).toEqual(seededRandom('w')(32));
  expect(newWalletSalt()).not.toBe(newWalletSalt());
});
