import { scryptSync } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { fromBase64Url, toBase64Url, toHex } from './encoding';
import { newMasterKey, unwrapKey, wrapKey } from './keys';
import {
  DEFAULT_SCRYPT_COST,
  derivePassphraseKek,
  newPassphraseParams,
  parsePassphraseParams,
  type PassphraseParams,
} from './passphrase';
import { rejectedCode, seededRandom, thrownCode } from './testing';

// Small cost so the suite stays fast; the derivation is the same at the default.
const cheap = { logN: 10, r: 8, p: 1 };
const params: PassphraseParams = { kdf: 'scrypt', ...cheap, salt: 'AAECAwQFBgcICQoLDA0ODw' }; // bytes 0..15

describe('derivePassphraseKek', () => {
  // Pinned, and checked against Node's own scrypt (OpenSSL): an independent implementation.
  test('fixed vector', async () => {
    const kek = await derivePassphraseKek('correct horse battery staple', params);
    expect(toHex(kek)).toBe('9a9f74cc441de571a18c4bf8580ad51f86745d14b39065ad24ad92fc05c99515');
    const salt = fromBase64Url(params.salt);
    const openssl = scryptSync('correct horse battery staple', salt, 32, { N: 1024, r: 8, p: 1 });
    expect(toHex(kek)).toBe(openssl.toString('hex'));
  });

  test('is deterministic, and depends on the passphrase, salt and cost', async () => {
    const a = await derivePassphraseKek('pass phrase', params);
    expect(await derivePassphraseKek('pass phrase', params)).toEqual(a);
    expect(await derivePassphraseKek('pass phrasE', params)).not.toEqual(a);
    expect(
      await derivePassphraseKek('pass phrase', { ...params, salt: 'AAECAwQFBgcICQoLDA0OEA' }),
    ).not.toEqual(a);
    expect(await derivePassphraseKek('pass phrase', { ...params, logN: 11 })).not.toEqual(a);
  });

  test.each([
    ['composed and decomposed accents', 'caf\u00e9', 'cafe\u0301'],
    ['a ligature', '\ufb01sh', 'fish'],
    ['full-width letters', '\uff21\uff22\uff23', 'ABC'],
  ])('NFKC makes %s the same passphrase', async (_, typed, other) => {
    expect(await derivePassphraseKek(typed, params)).toEqual(await derivePassphraseKek(other, params));
  });

  test('a wrong passphrase fails closed', async () => {
    const master = newMasterKey();
    const wrapped = wrapKey(master, await derivePassphraseKek('right', params), 'master');
    expect(unwrapKey(wrapped, await derivePassphraseKek('right', params), 'master')).toEqual(master);
    const wrong = await derivePassphraseKek('wrong', params);
    expect(thrownCode(() => unwrapKey(wrapped, wrong, 'master'))).toBe('wrong-key');
  });

  test('refuses an empty passphrase', async () => {
    expect(await rejectedCode(() => derivePassphraseKek('', params))).toBe('invalid-input');
  });

  test('checks the parameters it is given', async () => {
    expect(await rejectedCode(() => derivePassphraseKek('x', { ...params, logN: 30 }))).toBe(
      'invalid-params',
    );
  });

  test('reports progress', async () => {
    const seen: number[] = [];
    await derivePassphraseKek('x', params, (fraction) => seen.push(fraction));
    expect(seen.at(-1)).toBe(1);
  });
});

describe('newPassphraseParams', () => {
  test('the default cost and a fresh 16-byte salt', () => {
    const made = newPassphraseParams();
    expect(made).toMatchObject({ kdf: 'scrypt', logN: 17, r: 8, p: 1 });
    expect(DEFAULT_SCRYPT_COST).toEqual({ logN: 17, r: 8, p: 1 });
    expect(fromBase64Url(made.salt)).toHaveLength(16);
    expect(newPassphraseParams().salt).not.toBe(made.salt);
  });

  test('survives JSON, as the server stores it', () => {
    const made = newPassphraseParams(cheap, seededRandom('salt'));
    expect(made).toEqual({
      kdf: 'scrypt',
      logN: 10,
      r: 8,
      p: 1,
      salt: toBase64Url(seededRandom('salt')(16)),
    });
    expect(parsePassphraseParams(JSON.stringify(made))).toEqual(made);
    expect(parsePassphraseParams(JSON.parse(JSON.stringify(made)))).toEqual(made);
  });

  test('refuses a cost out of range', () => {
    expect(thrownCode(() => newPassphraseParams({ logN: 4, r: 8, p: 1 }))).toBe('invalid-params');
  });
});

describe('parsePassphraseParams', () => {
  const good = { kdf: 'scrypt', logN: 17, r: 8, p: 1, salt: params.salt };

  test('drops unknown fields', () => {
    expect(parsePassphraseParams({ ...good, extra: 1 })).toEqual(good);
  });

  test.each([
    ['nothing', undefined],
    ['null', null],
    ['a number', 17],
    ['not JSON', '{kdf:'],
    ['JSON null', 'null'],
    ['an unknown KDF', { ...good, kdf: 'argon2id' }],
    ['no KDF', { ...good, kdf: undefined }],
    ['no logN', { ...good, logN: undefined }],
    ['logN as text', { ...good, logN: '17' }],
    ['fractional logN', { ...good, logN: 16.5 }],
    ['tiny logN', { ...good, logN: 9 }],
    ['huge logN', { ...good, logN: 21 }],
    ['r = 0', { ...good, r: 0 }],
    ['huge r', { ...good, r: 33 }],
    ['p = 0', { ...good, p: 0 }],
    ['huge p', { ...good, p: 17 }],
    ['too much memory (1 GiB)', { ...good, logN: 20, r: 8 }],
    ['too much work', { ...good, logN: 18, r: 8, p: 4 }],
    ['NaN', { ...good, r: Number.NaN }],
    ['no salt', { ...good, salt: undefined }],
    ['a short salt', { ...good, salt: 'AAECAwQFBgcICQoLDA0O' }],
    ['a long salt', { ...good, salt: 'A'.repeat(88) }],
    ['a salt not in base64url', { ...good, salt: 'AAECAwQFBgcICQoLDA0ODw==' }],
  ])('refuses %s', (_, value) => {
    expect(thrownCode(() => parsePassphraseParams(value))).toBe('invalid-params');
  });
});
