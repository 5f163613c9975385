import { getAddress, Wallet } from 'ethers';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { toChecksumAddress } from './eip55';

describe('toChecksumAddress', () => {
  // The test vectors of EIP-55 itself.
  test.each([
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
    '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    '0x52908400098527886E0F7030069857D2E4169EE7',
    '0x8617E340B3D01FA5F11F306F4090FD50E238070D',
    '0xde709f2102306220921060314715629080e2fb77',
    '0x27b1fdb04752bbc536007a920d24acb045561c26',
  ])('%s', (expected) => {
    expect(toChecksumAddress(expected.toLowerCase())).toBe(expected);
    expect(toChecksumAddress(`0x${expected.slice(2).toUpperCase()}`)).toBe(expected);
  });

  test('agrees with ethers for any address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (bytes) => {
        const hex = `0x${Buffer.from(bytes).toString('hex')}`;
        expect(toChecksumAddress(hex)).toBe(getAddress(hex));
      }),
    );
    const wallet = Wallet.createRandom();
    expect(toChecksumAddress(wallet.address.toLowerCase())).toBe(wallet.address);
  });

  test.each(['', '0x', '0x123', `0x${'g'.repeat(40)}`, `${'a'.repeat(42)}`, `0x${'a'.repeat(41)}`])(
    'rejects %j',
    (bad) => {
      expect(() => toChecksumAddress(bad)).toThrow(/Not an Ethereum address/);
    },
  );
});
