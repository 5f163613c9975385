import { describe, expect, test } from 'vitest';
import { MediaError, mediaFailure, type MediaFailure } from './media';

describe('mediaFailure', () => {
  test.each<[string, MediaFailure]>([
    ['NotAllowedError', 'denied'],
    ['SecurityError', 'denied'],
    ['NotFoundError', 'not-found'],
    ['OverconstrainedError', 'not-found'],
    ['NotReadableError', 'busy'],
    ['AbortError', 'busy'],
    ['InvalidStateError', 'failed'],
    ['NotSupportedError', 'failed'],
    ['', 'failed'],
  ])('a DOMException named %j → %s', (name, failure) => {
    expect(mediaFailure(new DOMException('x', name))).toBe(failure);
  });

  test.each<[string, unknown, MediaFailure]>([
    // getUserMedia with no constraints, or on an insecure page in some browsers.
    ['a TypeError', new TypeError('x'), 'unsupported'],
    ['a plain Error', new Error('x'), 'failed'],
    [
      'an Error renamed NotAllowedError',
      Object.assign(new Error('x'), { name: 'NotAllowedError' }),
      'denied',
    ],
    // Chrome's OverconstrainedError is not a DOMException in every version: a bare object with a name.
    [
      'an object named OverconstrainedError',
      { name: 'OverconstrainedError', constraint: 'deviceId' },
      'not-found',
    ],
    ['an object named NotReadableError', { name: 'NotReadableError' }, 'busy'],
    ['an object without a name', {}, 'failed'],
    ['an object with a numeric name', { name: 404 }, 'failed'],
    ['null', null, 'failed'],
    ['undefined', undefined, 'failed'],
    ['the string NotAllowedError', 'NotAllowedError', 'failed'],
    ['a number', 42, 'failed'],
  ])('%s → %s', (_, err, failure) => {
    expect(mediaFailure(err)).toBe(failure);
  });

  test('a MediaError carries its code as message and the original rejection as cause', () => {
    const cause = new DOMException('Permission denied', 'NotAllowedError');
    const err = new MediaError(mediaFailure(cause), cause);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('denied');
    expect(err.message).toBe('denied');
    expect(err.cause).toBe(cause);
  });
});
