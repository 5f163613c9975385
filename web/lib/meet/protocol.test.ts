import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  checkDisplayName,
  isPolite,
  isRoomName,
  MAX_CHAT_HISTORY_CHARS,
  MAX_CHAT_LENGTH,
  MAX_MESSAGE_BYTES,
  MAX_SDP_LENGTH,
  MAX_SERVER_MESSAGE_LENGTH,
  parseClientMessage,
  parseServerMessage,
  type ClientMessage,
  type Parsed,
  type ServerMessage,
} from './protocol';

const CLIENT_TYPES = ['join', 'leave', 'signal', 'chat', 'state', 'mute', 'remove', 'admit', 'deny', 'lock'];
const SERVER_TYPES = [
  'welcome',
  'peer-joined',
  'peer-left',
  'signal',
  'chat',
  'state',
  'muted',
  'removed',
  'locked',
  'lobby',
  'waiting',
  'denied',
  'ended',
  'error',
];

/** A rejection is clean: one of the two codes and a sentence. */
function clean(result: Parsed<unknown>): boolean {
  if (result.ok) return typeof result.message === 'object' && result.message !== null;
  return (result.code === 'bad-message' || result.code === 'too-large') && /\S\.$/.test(result.reason);
}

/** Objects shaped like messages (a known type, fields of any JSON, known names among them). */
const messageLike = (types: string[]) =>
  fc
    .tuple(
      fc.constantFrom(...types),
      fc.dictionary(
        fc.oneof(
          fc.constantFrom(
            'name',
            'to',
            'data',
            'text',
            'peer',
            'locked',
            'audio',
            'video',
            'screen',
            'resume',
          ),
          fc.constantFrom('description', 'candidate', 'sdp', 'id', 'from', 'at', 'room', 'peers', 'chat'),
          fc.constantFrom('__proto__', 'constructor', 'toString'),
          fc.string(),
        ),
        fc.jsonValue({ maxDepth: 3 }),
      ),
    )
    .map(([type, fields]) => JSON.stringify({ ...fields, type }));

describe('junk is a valid message or a clean rejection, never a throw', () => {
  for (const [name, parse, types] of [
    ['parseClientMessage', parseClientMessage, CLIENT_TYPES],
    ['parseServerMessage', parseServerMessage, SERVER_TYPES],
  ] as const) {
    test(`${name}: any string`, () => {
      fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (raw) => clean(parse(raw))));
    });
    test(`${name}: any JSON`, () => {
      fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => clean(parse(JSON.stringify(value)))));
    });
    test(`${name}: message-shaped objects`, () => {
      fc.assert(
        fc.property(messageLike(types), (raw) => clean(parse(raw))),
        { numRuns: 2000 },
      );
    });
    test(`${name}: what it accepts it accepts again unchanged`, () => {
      fc.assert(
        fc.property(messageLike(types), (raw) => {
          const first = parse(raw);
          if (!first.ok) return;
          expect(parse(JSON.stringify(first.message))).toEqual(first);
        }),
        { numRuns: 2000 },
      );
    });
  }
});

const peerId = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
const validClient: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.record(
    {
      type: fc.constant('join' as const),
      name: fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,58}[a-z]$/),
      password: fc.string({ maxLength: 128 }),
      hostKey: fc.string({ maxLength: 128 }),
      resume: fc.record({ peer: peerId, secret: fc.string({ minLength: 1, maxLength: 64 }) }),
    },
    { requiredKeys: ['type', 'name'] },
  ),
  fc.record({
    type: fc.constant('signal' as const),
    to: peerId,
    data: fc.oneof(
      fc.record({
        description: fc.record({
          type: fc.constantFrom(
            'offer' as const,
            'answer' as const,
            'pranswer' as const,
            'rollback' as const,
          ),
          sdp: fc.string({ maxLength: 500 }),
        }),
      }),
      fc.record({
        candidate: fc.option(
          fc.record({
            candidate: fc.string({ maxLength: 200 }),
            sdpMid: fc.option(fc.string({ maxLength: 10 })),
            sdpMLineIndex: fc.option(fc.nat(20)),
            usernameFragment: fc.option(fc.string({ maxLength: 10 })),
          }),
        ),
      }),
    ),
  }),
  fc.record({
    type: fc.constant('state' as const),
    audio: fc.boolean(),
    video: fc.boolean(),
    screen: fc.boolean(),
  }),
  fc.record({
    type: fc.constantFrom('mute' as const, 'remove' as const, 'admit' as const, 'deny' as const),
    peer: peerId,
  }),
  fc.record({ type: fc.constant('lock' as const), locked: fc.boolean() }),
  fc.constant({ type: 'leave' as const }),
);

test('every well-formed client message passes unchanged', () => {
  fc.assert(
    fc.property(validClient, (message) => {
      expect(parseClientMessage(JSON.stringify(message))).toEqual({ ok: true, message });
    }),
  );
});

describe('parseClientMessage', () => {
  test.each([
    ['{', 'bad-message'],
    ['null', 'bad-message'],
    ['{"type":"join"}', 'bad-message'],
    ['{"type":"join","name":"  "}', 'bad-message'],
    ['{"type":"join","name":"a\\u0000b"}', 'bad-message'],
    ['{"type":"join","name":"a\\u202eb"}', 'bad-message'],
    [JSON.stringify({ type: 'join', name: 'x'.repeat(61) }), 'too-large'],
    ['{"type":"join","name":"Al","resume":{"peer":"a b","secret":"s"}}', 'bad-message'],
    ['{"type":"signal","to":"abc","data":{}}', 'bad-message'],
    ['{"type":"signal","to":"abc","data":{"description":{"type":"bogus","sdp":""}}}', 'bad-message'],
    ['{"type":"signal","to":"abc","data":{"candidate":{"candidate":"c","sdpMLineIndex":-1}}}', 'bad-message'],
    [
      JSON.stringify({
        type: 'signal',
        to: 'a',
        data: { description: { type: 'offer', sdp: 'x'.repeat(MAX_SDP_LENGTH + 1) } },
      }),
      'too-large',
    ],
    [JSON.stringify({ type: 'chat', text: 'x'.repeat(MAX_CHAT_LENGTH + 1) }), 'too-large'],
    ['{"type":"chat","text":"bell\\u0007"}', 'bad-message'],
    ['{"type":"state","audio":true,"video":"yes","screen":false}', 'bad-message'],
    ['{"type":"lock"}', 'bad-message'],
    ['{"type":"hasOwnProperty"}', 'bad-message'],
    ['{"__proto__":{"type":"leave"}}', 'bad-message'],
    ['x'.repeat(70_000), 'too-large'],
  ])('%s → %s', (raw, code) => {
    expect(parseClientMessage(raw)).toMatchObject({ ok: false, code });
  });

  test('names are trimmed and counted in characters, not UTF-16 units', () => {
    expect(parseClientMessage('{"type":"join","name":"  Zoë  "}')).toEqual({
      ok: true,
      message: { type: 'join', name: 'Zoë' },
    });
    const emoji = '😀'.repeat(60); // 120 UTF-16 units, 60 characters
    expect(parseClientMessage(JSON.stringify({ type: 'join', name: emoji })).ok).toBe(true);
    expect(parseClientMessage(JSON.stringify({ type: 'join', name: `${emoji}😀` }))).toMatchObject({
      ok: false,
      code: 'too-large',
    });
    expect(checkDisplayName('x'.repeat(59) + '\ud800')).toBe('x'.repeat(59) + '\ud800'); // a lone surrogate: one
    expect(checkDisplayName('x'.repeat(60) + '\ud800')).toBeNull();
    expect(checkDisplayName('👩‍👩‍👧 Family')).toBe('👩‍👩‍👧 Family'); // a zero-width joiner is not a control
    expect(checkDisplayName('a\tb')).toBeNull();
  });

  test('chat keeps line breaks and tabs, as \\n', () => {
    expect(parseClientMessage(JSON.stringify({ type: 'chat', text: ' a\r\n\tb\rc ' }))).toEqual({
      ok: true,
      message: { type: 'chat', text: 'a\n\tb\nc' },
    });
  });
});

describe('parseServerMessage', () => {
  const welcome: ServerMessage = {
    type: 'welcome',
    id: 'abc',
    secret: 's3cret',
    host: true,
    resumed: false,
    room: {
      name: 'abcd-efgh-ijkl',
      password: false,
      lobby: true,
      membersOnly: false,
      locked: false,
      peers: 2,
      maxPeers: 6,
    },
    peers: [{ id: 'def', name: 'Bob', host: false, polite: true, audio: true, video: false, screen: false }],
    chat: [{ id: '1', from: 'def', name: 'Bob', text: 'hi', at: 1_700_000_000_000 }],
    iceServers: [
      {
        urls: ['turn:turn.example.org:3478?transport=udp'],
        username: '1700000600:guest-x',
        credential: 'c2VjcmV0',
      },
    ],
  };

  test.each<ServerMessage>([
    welcome,
    { type: 'peer-left', peer: 'def', reason: 'dropped' },
    { type: 'error', code: 'room-full', message: 'This meeting is full: it holds 6 people.', ref: 'join' },
    { type: 'lobby', waiting: [{ id: 'g1', name: 'Guest' }] },
    { type: 'ended' },
  ])('$type passes unchanged', (message) => {
    expect(parseServerMessage(JSON.stringify(message))).toEqual({ ok: true, message });
  });

  test.each([
    ['an unknown error code', { type: 'error', code: 'teapot', message: 'x' }],
    ['a bad room name', { ...welcome, room: { ...welcome.room, name: '../x' } }],
    [
      'a peer without polite',
      {
        type: 'peer-joined',
        peer: { id: 'a', name: 'A', host: false, audio: false, video: false, screen: false },
      },
    ],
    ['an unknown leave reason', { type: 'peer-left', peer: 'a', reason: 'vanished' }],
    ['a welcome without iceServers', { ...welcome, iceServers: undefined }],
    ['an ICE server without urls', { ...welcome, iceServers: [{ username: 'u' }] }],
  ])('%s is refused', (_, message) => {
    expect(parseServerMessage(JSON.stringify(message)).ok).toBe(false);
  });

  test('the largest welcome the server sends passes: its limit is above the browser one', () => {
    // What the server keeps: MAX_CHAT_HISTORY_CHARS of history as JSON; names of lone surrogates
    // (6 characters each as JSON), the widest there are.
    const wide = '\ud800'.repeat(60);
    const entry = { id: '1', from: 'def', name: wide, text: 'x'.repeat(MAX_CHAT_LENGTH), at: 1 };
    const perEntry = JSON.stringify(entry).length + 1;
    const chat = Array.from({ length: Math.floor(MAX_CHAT_HISTORY_CHARS / perEntry) }, (_, i) => ({
      ...entry,
      id: String(i),
    }));
    // 50 seats and 3 for hosts, every name 60 lone surrogates.
    const peers = Array.from({ length: 52 }, (_, i) => ({ ...welcome.peers[0]!, id: `p${i}`, name: wide }));
    const raw = JSON.stringify({ ...welcome, chat, peers });
    expect(raw.length).toBeLessThan(MAX_SERVER_MESSAGE_LENGTH / 2);
    expect(raw.length).toBeGreaterThan(MAX_MESSAGE_BYTES);
    expect(parseServerMessage(raw)).toMatchObject({ ok: true });
    expect(parseClientMessage('x'.repeat(MAX_MESSAGE_BYTES + 1))).toMatchObject({ code: 'too-large' });
    expect(parseServerMessage('x'.repeat(MAX_SERVER_MESSAGE_LENGTH + 1))).toMatchObject({
      code: 'too-large',
    });
  });

  test('a signal relayed from a full 64 KiB frame passes (`from` is 2 characters longer than `to`)', () => {
    const frame = (sdp: string, key: 'to' | 'from') =>
      JSON.stringify({ type: 'signal', [key]: 'abc', data: { description: { type: 'offer', sdp } } });
    const sdp = '\n'.repeat(16_000) + 'a'.repeat(MAX_MESSAGE_BYTES - frame('', 'to').length - 32_000);
    expect(frame(sdp, 'to').length).toBe(MAX_MESSAGE_BYTES);
    expect(parseClientMessage(frame(sdp, 'to')).ok).toBe(true);
    expect(parseServerMessage(frame(sdp, 'from')).ok).toBe(true);
  });
});

test('exactly one side of a pair is polite', () => {
  fc.assert(
    fc.property(peerId, peerId, (a, b) => {
      fc.pre(a !== b);
      expect(isPolite(a, b)).toBe(!isPolite(b, a));
    }),
  );
});

test.each([
  ['abcd-efgh-ijkl', true],
  ['0000-1111-2222', true],
  ['ABCD-efgh-ijkl', false],
  ['abcd-efgh-ijk', false],
  ['abcdefghijkl', false],
  ['abcd-efgh-ijkl\n', false],
])('isRoomName(%j) = %s', (name, ok) => {
  expect(isRoomName(name)).toBe(ok);
});
