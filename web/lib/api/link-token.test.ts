import { describe, expect, test } from 'vitest';
import { peekClaims, readLinkToken } from './link-token';

describe('readLinkToken', () => {
  test.each([
    ['#token=abc.def.ghi', 'abc.def.ghi'],
    ['token=abc', 'abc'],
    ['#token=a%2Eb', 'a.b'],
    ['#other=1&token=xyz', 'xyz'],
    ['#token=', ''],
    ['#', ''],
    ['', ''],
    ['#tokenabc', ''],
    ['#token=%zz', '%zz'],
  ])('%j → %j', (hash, token) => {
    expect(readLinkToken(hash)).toBe(token);
  });
});

describe('peekClaims', () => {
  const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

  test('reads the payload, UTF-8 included', () => {
    expect(peekClaims(jwt({ email: 'jürgen@example.com', type: 'passwordReset' }))).toEqual({
      email: 'jürgen@example.com',
      type: 'passwordReset',
    });
  });

  test.each(['', 'garbage', 'a.b.c', 'a.!!!.c', `e30.${Buffer.from('"text"').toString('base64url')}.x`])(
    'gives {} for %j',
    (token) => {
      expect(peekClaims(token)).toEqual({});
    },
  );
});
