import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket, type SocketType } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { promisify } from 'node:util';
import { STUN_CLIENT } from '../../tests/support/vitest-setup';
import { silentLogger } from '../core/logger';
import {
  answerStun,
  Attr,
  BINDING,
  decodeStun,
  decodeXorAddress,
  encodeStun,
  encodeXorAddress,
  formatIp,
  ipBytes,
  MAGIC_COOKIE,
  StunClass,
  stunFingerprint,
  type StunAttribute,
} from './stun.message';
import { startStun, type StunListener } from './stun';
import { StunRateLimiter } from './stun.ratelimit';

const execFileAsync = promisify(execFile);

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

// RFC 5769 ("Test Vectors for STUN"), typed in from its hex dumps. Its SOFTWARE and USERNAME values
// are padded with spaces (0x20), which RFC 5389 allowed; RFC 8489 senders pad with zeros, as ours do.
// Every vector carries a MESSAGE-INTEGRITY made with the short-term password below. This server
// holds no credentials and ignores MESSAGE-INTEGRITY (RFC 8489 §9); the test checks it anyway, with
// HMAC-SHA1, only to prove the bytes were typed in right.
const PASSWORD = 'VOkJxbRl1RmTxUk/WvJxBt';
const TRANSACTION_ID = hex('b7e7a701 bc34d686 fa87dfae');

/** §2.1 Sample Request: a Binding request as an ICE agent sends it. */
const SAMPLE_REQUEST = hex(`
  0001 0058 2112a442 b7e7a701 bc34d686 fa87dfae
  8022 0010 5354554e 20746573 7420636c 69656e74
  0024 0004 6e0001ff
  8029 0008 932ff9b1 51263b36
  0006 0009 6576746a 3a683676 59202020
  0008 0014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2
  8028 0004 e57a3bcf`);

/** §2.2 Sample IPv4 Response: XOR-MAPPED-ADDRESS 192.0.2.1:32853. */
const SAMPLE_IPV4_RESPONSE = hex(`
  0101 003c 2112a442 b7e7a701 bc34d686 fa87dfae
  8022 000b 74657374 20766563 746f7220
  0020 0008 0001a147 e112a643
  0008 0014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7
  8028 0004 c07d4c96`);

/** §2.3 Sample IPv6 Response: XOR-MAPPED-ADDRESS [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
const SAMPLE_IPV6_RESPONSE = hex(`
  0101 0048 2112a442 b7e7a701 bc34d686 fa87dfae
  8022 000b 74657374 20766563 746f7220
  0020 0014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9
  0008 0014 a382954e 4be67bf1 1784c97c 8292c275 bfe3ed41
  8028 0004 c8fb0b4c`);

const V4 = { address: '192.0.2.1', port: 32853 };
const V6 = { address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 };

function attr(message: Buffer, type: number): Buffer | undefined {
  return decodeStun(message)?.attributes.find((a) => a.type === type)?.value;
}

/** RFC 8489 §14.5: HMAC-SHA1 over the message up to MESSAGE-INTEGRITY, the length ending there. */
function integrityMatches(message: Buffer, password: string): boolean {
  const m = decodeStun(message)!;
  const mi = m.attributes.find((a) => a.type === Attr.MESSAGE_INTEGRITY)!;
  const start = mi.value.byteOffset - message.byteOffset - 4;
  const covered = Buffer.from(message.subarray(0, start));
  covered.writeUInt16BE(start + 24 - 20, 2);
  return createHmac('sha1', password).update(covered).digest().equals(mi.value);
}

/** A Binding request with these attributes (a fresh transaction id unless one is given). */
function bindingRequest(
  attributes: StunAttribute[] = [],
  options: { fingerprint?: boolean; transactionId?: Buffer } = {},
): Buffer {
  return encodeStun({
    method: BINDING,
    class: StunClass.request,
    transactionId: options.transactionId ?? randomBytes(12),
    attributes,
    fingerprint: options.fingerprint,
  });
}

describe('RFC 5769 test vectors', () => {
  test('§2.1 Sample Request: decoded, FINGERPRINT valid (MESSAGE-INTEGRITY checked only as a typing check)', () => {
    const m = decodeStun(SAMPLE_REQUEST)!;
    expect(m).toMatchObject({ method: BINDING, class: StunClass.request, fingerprint: 'valid' });
    expect(m.transactionId.equals(TRANSACTION_ID)).toBe(true);
    expect(m.attributes.map((a) => a.type)).toEqual([0x8022, 0x0024, 0x8029, 0x0006, 0x0008, 0x8028]);
    expect(attr(SAMPLE_REQUEST, Attr.SOFTWARE)!.toString()).toBe('STUN test client');
    expect(attr(SAMPLE_REQUEST, Attr.USERNAME)!.toString()).toBe('evtj:h6vY');
    expect(attr(SAMPLE_REQUEST, Attr.PRIORITY)!.readUInt32BE(0)).toBe(0x6e0001ff);
    expect(integrityMatches(SAMPLE_REQUEST, PASSWORD)).toBe(true);
  });

  test.each([
    ['§2.2 IPv4', SAMPLE_IPV4_RESPONSE, V4, 4],
    ['§2.3 IPv6', SAMPLE_IPV6_RESPONSE, V6, 6],
  ] as const)(
    '%s Sample Response: decoded, and our encoder writes the same bytes',
    (_, vector, peer, family) => {
      const m = decodeStun(vector)!;
      expect(m).toMatchObject({ method: BINDING, class: StunClass.success, fingerprint: 'valid' });
      expect(integrityMatches(vector, PASSWORD)).toBe(true);
      const xma = attr(vector, Attr.XOR_MAPPED_ADDRESS)!;
      expect(decodeXorAddress(xma, TRANSACTION_ID)).toEqual({ family, ...peer });
      expect(encodeXorAddress(ipBytes(peer.address)!, peer.port, TRANSACTION_ID).equals(xma)).toBe(true);

      const ours = encodeStun({
        method: BINDING,
        class: StunClass.success,
        transactionId: TRANSACTION_ID,
        attributes: [
          { type: Attr.SOFTWARE, value: Buffer.from('test vector') },
          { type: Attr.XOR_MAPPED_ADDRESS, value: xma },
          { type: Attr.MESSAGE_INTEGRITY, value: attr(vector, Attr.MESSAGE_INTEGRITY)! },
        ],
        fingerprint: true,
      });
      expect(decodeStun(ours)!.fingerprint).toBe('valid');
      // The one difference is SOFTWARE's padding byte (offset 20 + 4 + 11), and so the FINGERPRINT.
      expect(ours.length).toBe(vector.length);
      expect(ours[35]).toBe(0);
      ours[35] = 0x20;
      ours.writeUInt32BE(stunFingerprint(ours.subarray(0, ours.length - 8)), ours.length - 4);
      expect(ours.toString('hex')).toBe(vector.toString('hex'));
    },
  );

  test.each([
    ['IPv4', V4, SAMPLE_IPV4_RESPONSE],
    ['IPv6', V6, SAMPLE_IPV6_RESPONSE],
  ] as const)(
    'the Sample Request from the %s sample address gets the sample XOR-MAPPED-ADDRESS',
    (_, peer, vector) => {
      const answer = answerStun(SAMPLE_REQUEST, peer, { software: 'Hearth' })!;
      const m = decodeStun(answer)!;
      expect(m).toMatchObject({ method: BINDING, class: StunClass.success, fingerprint: 'valid' });
      expect(m.transactionId.equals(TRANSACTION_ID)).toBe(true);
      expect(answer.readUInt32BE(4)).toBe(MAGIC_COOKIE);
      expect(attr(answer, Attr.XOR_MAPPED_ADDRESS)!.equals(attr(vector, Attr.XOR_MAPPED_ADDRESS)!)).toBe(
        true,
      );
      // A 108-byte request leaves room for SOFTWARE; no MESSAGE-INTEGRITY without credentials.
      expect(attr(answer, Attr.SOFTWARE)!.toString()).toBe('Hearth');
      expect(attr(answer, Attr.MESSAGE_INTEGRITY)).toBeUndefined();
    },
  );
});

describe('addresses', () => {
  test.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::1', '::1'],
    ['::', '::'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1::', '1::'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::ffff:c000:201', '192.0.2.1'],
    ['2001:db8:1234:5678:11:2233:4455:6677', '2001:db8:1234:5678:11:2233:4455:6677'],
  ])('%s → %s', (text, formatted) => {
    expect(formatIp(ipBytes(text)!)).toBe(formatted);
  });

  test.each(['', 'localhost', '1.2.3', '256.1.1.1', '1::2::3', 'g::1'])('%j is no address', (text) => {
    expect(ipBytes(text)).toBeNull();
  });

  test('any IPv6 address survives format → parse → XOR-MAPPED-ADDRESS → decode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(65535), (bytes, port) => {
        const text = formatIp(bytes);
        const id = randomBytes(12);
        const parsed = ipBytes(text)!;
        const decoded = decodeXorAddress(encodeXorAddress(parsed, port, id), id)!;
        expect(decoded.port).toBe(port);
        if (parsed.length === 16) expect(Buffer.from(bytes).equals(parsed)).toBe(true);
        expect(ipBytes(decoded.address)!.equals(parsed)).toBe(true);
      }),
    );
  });
});

/** A valid request from which each bad input below is derived. */
const GOOD = (): Buffer => bindingRequest([{ type: Attr.SOFTWARE, value: Buffer.from('test') }]);
const mutate = (edit: (b: Buffer) => Buffer | void): Buffer => {
  const b = GOOD();
  return edit(b) ?? b;
};
const withType = (type: number) => mutate((b) => void b.writeUInt16BE(type, 0));

function flipLastByte(b: Buffer): Buffer {
  b[b.length - 1]! ^= 0x01;
  return b;
}

function changedAfterSigning(): Buffer {
  const signed = bindingRequest([{ type: Attr.SOFTWARE, value: Buffer.from('abcd') }], { fingerprint: true });
  signed[24] = 0x7a; // SOFTWARE's 'a' becomes 'z' after the CRC was taken
  return signed;
}

function attributeAfterFingerprint(): Buffer {
  const signed = bindingRequest([], { fingerprint: true });
  const more = Buffer.concat([signed, hex('80220004 74657374')]);
  more.writeUInt16BE(more.length - 20, 2);
  return more;
}

/** Every row is dropped: no answer at all. */
const BAD_INPUT: [string, Buffer][] = [
  ['an empty datagram', Buffer.alloc(0)],
  ['19 bytes', GOOD().subarray(0, 19)],
  ['a header alone, cut short of its attributes', GOOD().subarray(0, 20)],
  ['the top two bits set', withType(0xc001)],
  ['the first bit set (RTP-like)', withType(0x8001)],
  ['an RFC 3489 request (no magic cookie)', mutate((b) => void b.writeUInt32BE(0x01020304, 4))],
  ['a length that is not the datagram size', mutate((b) => void b.writeUInt16BE(4, 2))],
  [
    'a length that is not a multiple of 4',
    mutate((b) => Buffer.concat([b.subarray(0, 2), hex('000a'), b.subarray(4), hex('0000')])),
  ],
  ['trailing bytes after the message', mutate((b) => Buffer.concat([b, hex('00000000')]))],
  ['an attribute running past the end', mutate((b) => void b.writeUInt16BE(9, 22))],
  ['a Binding success response', withType(0x0101)],
  ['a Binding error response', withType(0x0111)],
  ['a Binding indication', withType(0x0011)],
  ['a request of another method (TURN Allocate)', withType(0x0003)],
  ['a wrong FINGERPRINT', flipLastByte(bindingRequest([], { fingerprint: true }))],
  ['a FINGERPRINT over other bytes', changedAfterSigning()],
  ['an attribute after FINGERPRINT', attributeAfterFingerprint()],
  ['a FINGERPRINT of the wrong length', bindingRequest([{ type: Attr.FINGERPRINT, value: Buffer.alloc(8) }])],
];

test.each(BAD_INPUT)('dropped by answerStun: %s', (_, datagram) => {
  expect(answerStun(datagram, V4)).toBeNull();
});

test('random bytes and mangled requests never throw, and nothing that is not a request is answered', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.tuple(fc.nat(40), fc.nat(255)).map(([at, x]) => {
          const b = bindingRequest([{ type: Attr.SOFTWARE, value: Buffer.from('fuzz') }], {
            fingerprint: true,
          });
          b[at % b.length] = x;
          return b;
        }),
      ),
      (bytes) => {
        const answer = answerStun(bytes, V4);
        if (answer) {
          // A mangled FINGERPRINT type makes it an unknown optional attribute: absent, not invalid.
          const m = decodeStun(bytes)!;
          expect(m).toMatchObject({ class: StunClass.request, method: BINDING });
          expect(m.fingerprint).not.toBe('invalid');
        }
      },
    ),
  );
});

describe('420 Unknown Attribute (RFC 8489 §6.3.1)', () => {
  const unknownOf = (answer: Buffer): number[] => {
    const list = attr(answer, Attr.UNKNOWN_ATTRIBUTES)!;
    return Array.from({ length: list.length / 2 }, (_, i) => list.readUInt16BE(i * 2));
  };

  test('CHANGE-REQUEST (RFC 5780), which one address cannot honour: 420 listing it', () => {
    const request = bindingRequest([{ type: 0x0003, value: hex('00000006') }]);
    const answer = answerStun(request, V4)!;
    const m = decodeStun(answer)!;
    expect(m).toMatchObject({ method: BINDING, class: StunClass.error });
    expect(m.transactionId.equals(request.subarray(8, 20))).toBe(true);
    const code = attr(answer, Attr.ERROR_CODE)!;
    expect(code[2]! * 100 + code[3]!).toBe(420);
    expect(code.subarray(4).toString()).toBe('Unknown Attribute');
    expect(unknownOf(answer)).toEqual([0x0003]);
    expect(attr(answer, Attr.XOR_MAPPED_ADDRESS)).toBeUndefined();
  });

  test('each unknown listed once, known and optional ones left out; FINGERPRINT kept', () => {
    const request = bindingRequest(
      [
        { type: 0x7f01, value: Buffer.alloc(0) },
        { type: Attr.PRIORITY, value: hex('6e0001ff') },
        { type: 0x8fff, value: hex('01') },
        { type: 0x0003, value: hex('00000000') },
        { type: 0x7f01, value: hex('02') },
      ],
      { fingerprint: true },
    );
    const answer = answerStun(request, V4)!;
    expect(decodeStun(answer)).toMatchObject({ class: StunClass.error, fingerprint: 'valid' });
    expect(unknownOf(answer)).toEqual([0x7f01, 0x0003]);
  });

  test('unknown comprehension-optional attributes (0x8000–0xFFFF) are ignored: success', () => {
    const answer = answerStun(bindingRequest([{ type: 0xc001, value: hex('ffff') }]), V4)!;
    expect(decodeStun(answer)!.class).toBe(StunClass.success);
  });

  test('an unknown attribute after MESSAGE-INTEGRITY is ignored (RFC 8489 §14.5): success', () => {
    const answer = answerStun(
      bindingRequest([
        { type: Attr.MESSAGE_INTEGRITY, value: Buffer.alloc(20) },
        { type: 0x0003, value: hex('00000000') },
      ]),
      V4,
    )!;
    expect(decodeStun(answer)!.class).toBe(StunClass.success);
  });
});

describe('amplification', () => {
  test.each([
    ['IPv4, bare', 32, V4, false],
    ['IPv6, bare', 44, V6, false],
    ['IPv4, with FINGERPRINT', 40, V4, true],
    ['IPv6, with FINGERPRINT', 52, V6, true],
  ] as const)(
    'a minimal request (%s) gets %i bytes: the bare answer, no SOFTWARE',
    (_, size, peer, fingerprint) => {
      const answer = answerStun(bindingRequest([], { fingerprint }), peer, { software: 'Hearth' })!;
      expect(answer.length).toBe(size);
      expect(attr(answer, Attr.SOFTWARE)).toBeUndefined();
    },
  );

  test('no answer is larger than its request or the bare answer (44 bytes; 420: 52 + 2 per unknown)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            type: fc.integer({ min: 0x8000, max: 0xffff }).filter((t) => t !== Attr.FINGERPRINT),
            len: fc.nat(40),
          }),
          { maxLength: 6 },
        ),
        fc.array(fc.integer({ min: 0x0040, max: 0x7fff }), { maxLength: 4 }),
        fc.boolean(),
        (optional, unknown, fingerprint) => {
          const request = bindingRequest(
            [
              ...optional.map((o) => ({ type: o.type, value: Buffer.alloc(o.len) })),
              ...unknown.map((type) => ({ type, value: Buffer.alloc(0) })),
            ],
            { fingerprint },
          );
          const answer = answerStun(request, V6, { software: 'Hearth Hearth Hearth Hearth' })!;
          const listed = new Set(unknown).size;
          const floor = listed > 0 ? 52 + (((listed * 2 + 3) >> 2) << 2) : 44;
          expect(answer.length).toBeLessThanOrEqual(Math.max(request.length, floor + (fingerprint ? 8 : 0)));
        },
      ),
    );
  });
});

describe('StunRateLimiter', () => {
  const clock = () => {
    let t = 0;
    return { now: () => t, advance: (ms: number) => void (t += ms) };
  };
  const limits = { burst: 3, perSecond: 1, maxSources: 3, globalPerSecond: 100 };

  test('a burst, then one per second; sources are independent', () => {
    const c = clock();
    const limiter = new StunRateLimiter(limits, c.now);
    expect([1, 2, 3, 4].map(() => limiter.allow('192.0.2.1'))).toEqual([true, true, true, false]);
    expect(limiter.allow('192.0.2.2')).toBe(true);
    c.advance(999);
    expect(limiter.allow('192.0.2.1')).toBe(false);
    c.advance(1);
    expect(limiter.allow('192.0.2.1')).toBe(true);
    expect(limiter.allow('192.0.2.1')).toBe(false);
  });

  test('IPv4-mapped IPv6 counts as the IPv4 address; an IPv6 /64 is one source', () => {
    const limiter = new StunRateLimiter({ ...limits, burst: 2 }, clock().now);
    expect(limiter.allow('192.0.2.1')).toBe(true);
    expect(limiter.allow('::ffff:192.0.2.1')).toBe(true);
    expect(limiter.allow('192.0.2.1')).toBe(false);
    expect(limiter.allow('2001:db8:1:2::1')).toBe(true);
    expect(limiter.allow('2001:db8:1:2:ffff::9')).toBe(true);
    expect(limiter.allow('2001:db8:1:2:aaaa::7')).toBe(false);
    expect(limiter.allow('2001:db8:1:3::1')).toBe(true);
  });

  test('memory is bounded: past maxSources new sources wait until old ones are idle, without resetting them', () => {
    const c = clock();
    const limiter = new StunRateLimiter(limits, c.now);
    for (const a of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) expect(limiter.allow(a)).toBe(true);
    expect(limiter.allow('10.0.0.4')).toBe(false);
    expect(limiter.size).toBe(3);
    // Emptied buckets stay remembered: a flood of new sources cannot hand them a fresh burst.
    limiter.allow('10.0.0.1');
    limiter.allow('10.0.0.1');
    c.advance(2000); // 10.0.0.2 and .3 are full again; 10.0.0.1 is not
    expect(limiter.allow('10.0.0.4')).toBe(true);
    expect(limiter.size).toBe(2);
    expect([1, 2, 3].map(() => limiter.allow('10.0.0.1'))).toEqual([true, true, false]);
  });

  test('the global ceiling holds across sources', () => {
    const limiter = new StunRateLimiter({ ...limits, maxSources: 100, globalPerSecond: 4 }, clock().now);
    const got = ['a', 'b', 'c'].flatMap((x) => [1, 2].map(() => limiter.allow(`10.0.0.${x.charCodeAt(0)}`)));
    expect(got.filter(Boolean)).toHaveLength(4);
  });
});

/** A STUN client from node:dgram: sends datagrams, hands out what comes back in order. */
class DgramClient {
  readonly #socket: Socket;
  readonly #inbox: Buffer[] = [];
  #waiter: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (m) => {
      this.#inbox.push(m);
      this.#waiter?.();
    });
  }

  static open(address = '127.0.0.1', type: SocketType = 'udp4'): Promise<DgramClient> {
    const socket = createSocket(type);
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address, port: 0 }, () => resolve(new DgramClient(socket)));
    });
  }

  get address(): { address: string; port: number } {
    return this.#socket.address();
  }

  send(datagram: Buffer, port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.#socket.send(datagram, port, host, (err) => (err ? reject(err) : resolve())),
    );
  }

  /** The next datagram to arrive; fails after `ms`. */
  async next(ms = 3000): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (this.#inbox.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
    return this.#inbox.shift()!;
  }

  /** Whatever arrives within `ms` (a short silence is expected). */
  async drain(ms = 250): Promise<Buffer[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.#inbox.splice(0);
  }

  close(): void {
    this.#socket.close();
  }
}

/** Sends a Binding request and returns its decoded answer and mapped address. */
async function exchange(
  client: DgramClient,
  server: { host: string; port: number },
  request = bindingRequest(),
) {
  await client.send(request, server.port, server.host);
  const answer = await client.next();
  const m = decodeStun(answer)!;
  expect(m.transactionId.equals(request.subarray(8, 20))).toBe(true);
  const xma = attr(answer, Attr.XOR_MAPPED_ADDRESS);
  return { answer, m, mapped: xma && decodeXorAddress(xma, m.transactionId) };
}

const hasIPv6Loopback = Object.values(networkInterfaces())
  .flat()
  .some((i) => i?.address === '::1');

describe('the listener on a real socket', () => {
  const clients: DgramClient[] = [];
  const listeners: StunListener[] = [];
  const client = async (address?: string, type?: SocketType) => {
    const c = await DgramClient.open(address, type);
    clients.push(c);
    return c;
  };
  const listen = async (host: string, rateLimit?: Parameters<typeof startStun>[0]['rateLimit']) => {
    const l = await startStun({ host, port: 0, logger: silentLogger(), rateLimit });
    listeners.push(l);
    return l;
  };
  let v4: StunListener;
  beforeAll(async () => {
    v4 = await listen('127.0.0.1');
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(listeners.map((l) => l.close()));
  });

  test('127.0.0.1: the answer carries the client its own address and port, cookie and transaction id', async () => {
    const c = await client();
    const { answer, m, mapped } = await exchange(c, v4);
    expect(m).toMatchObject({ method: BINDING, class: StunClass.success, fingerprint: 'absent' });
    expect(answer.readUInt32BE(4)).toBe(MAGIC_COOKIE);
    expect(mapped).toEqual({ family: 4, address: '127.0.0.1', port: c.address.port });
    // With a FINGERPRINT in the request, the answer has a valid one too.
    const signed = await exchange(c, v4, bindingRequest([], { fingerprint: true }));
    expect(signed.m.fingerprint).toBe('valid');
  });

  test.skipIf(!hasIPv6Loopback)('::1: an IPv6 XOR-MAPPED-ADDRESS', async () => {
    const v6 = await listen('::1');
    expect(v6.host).toBe('::1');
    const c = await client('::1', 'udp6');
    const { mapped } = await exchange(c, v6);
    expect(mapped).toEqual({ family: 6, address: '::1', port: c.address.port });
  });

  test('a dual-stack socket answers an IPv4 client with its IPv4 address, not ::ffff:…', async () => {
    const dual = await listen('::ffff:127.0.0.1');
    const c = await client();
    const { mapped } = await exchange(c, { host: '127.0.0.1', port: dual.port });
    expect(mapped).toEqual({ family: 4, address: '127.0.0.1', port: c.address.port });
  });

  test('bad input gets nothing back, and the listener keeps answering', async () => {
    const c = await client();
    for (const [name, datagram] of BAD_INPUT) {
      await c.send(datagram, v4.port, '127.0.0.1');
      // Datagrams on loopback arrive in order: were the bad one answered, that answer would come first.
      const { m } = await exchange(c, v4);
      expect(m.class, name).toBe(StunClass.success);
    }
    expect(await c.drain()).toEqual([]);
  });

  test('420 over the wire', async () => {
    const c = await client();
    const { m, answer } = await exchange(c, v4, bindingRequest([{ type: 0x0003, value: hex('00000004') }]));
    expect(m.class).toBe(StunClass.error);
    expect(attr(answer, Attr.UNKNOWN_ATTRIBUTES)!.readUInt16BE(0)).toBe(0x0003);
  });

  test('rate limit: a burst past the bucket gets no answers (any port of that address); another address does', async () => {
    const limited = await listen('127.0.0.1', { burst: 3, perSecond: 0.001 });
    const a = await client('127.0.0.1');
    for (let i = 0; i < 8; i++) await a.send(bindingRequest(), limited.port, '127.0.0.1');
    for (let i = 0; i < 3; i++) expect(decodeStun(await a.next())!.class).toBe(StunClass.success);
    expect(await a.drain()).toEqual([]);

    const samePlace = await client('127.0.0.1');
    await samePlace.send(bindingRequest(), limited.port, '127.0.0.1');
    expect(await samePlace.drain()).toEqual([]);

    const other = await client('127.0.0.2');
    const { mapped } = await exchange(other, { host: '127.0.0.1', port: limited.port });
    expect(mapped).toMatchObject({ address: '127.0.0.2' });
  });

  test('a port in use: startStun rejects, and close() frees the port', async () => {
    const l = await listen('127.0.0.1');
    await expect(
      startStun({ host: '127.0.0.1', port: l.port, logger: silentLogger() }),
    ).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
    await l.close();
    await l.close(); // twice is fine
    const reused = await startStun({ host: '127.0.0.1', port: l.port, logger: silentLogger() });
    await reused.close();
  });

  // Debian's coturn package (the test setup installs it): a second, independent client. It runs
  // as a child process without blocking this one, which answers it.
  test("coturn's turnutils_stunclient reads our answer", async () => {
    const { stdout } = await execFileAsync(STUN_CLIENT, ['-p', String(v4.port), '127.0.0.1'], {
      timeout: 10_000,
    });
    expect(stdout).toMatch(/UDP reflexive addr:?\s*127\.0\.0\.1:\d+/);
  });
});
