import { isIP } from 'node:net';
import { crc32 } from 'node:zlib';

/**
 * STUN messages (RFC 8489, which obsoletes RFC 5389; both read the same on the wire) for the
 * built-in listener (stun.ts): decoding, encoding with FINGERPRINT, XOR-MAPPED-ADDRESS, and the
 * answer to a Binding request. Pure (bytes in, bytes out), so the RFC 5769 test vectors check it
 * without sockets.
 */

export const MAGIC_COOKIE = 0x2112a442;
const HEADER_SIZE = 20;
/** RFC 8489 §14.7: CRC-32 of the message up to this attribute, XOR this ("STUN"). */
const FINGERPRINT_XOR = 0x5354554e;
export const BINDING = 0x001;

/** RFC 8489 §5: the two class bits. */
export const StunClass = { request: 0, indication: 1, success: 2, error: 3 } as const;
export type StunClass = (typeof StunClass)[keyof typeof StunClass];

/** Attribute types this server reads or writes (RFC 8489 §18.3, RFC 8445 §16.1). */
export const Attr = {
  MAPPED_ADDRESS: 0x0001,
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  UNKNOWN_ATTRIBUTES: 0x000a,
  REALM: 0x0014,
  NONCE: 0x0015,
  MESSAGE_INTEGRITY_SHA256: 0x001c,
  PASSWORD_ALGORITHM: 0x001d,
  USERHASH: 0x001e,
  XOR_MAPPED_ADDRESS: 0x0020,
  PRIORITY: 0x0024,
  USE_CANDIDATE: 0x0025,
  SOFTWARE: 0x8022,
  FINGERPRINT: 0x8028,
} as const;

/**
 * The comprehension-required types (0x0000–0x7FFF) this server understands: the registered STUN
 * ones and ICE's (an ICE agent may check a STUN server with its connectivity-check attributes).
 * Understanding the authentication ones means knowing to ignore them: without credentials, this
 * server does not check MESSAGE-INTEGRITY (RFC 8489 §9: authentication is the server's choice) and
 * answers without one. Anything else — RFC 5780's CHANGE-REQUEST (0x0003), which a single-address
 * server cannot honour, included — gets 420 (RFC 8489 §6.3.1).
 */
const UNDERSTOOD = new Set<number>([
  Attr.MAPPED_ADDRESS,
  Attr.USERNAME,
  Attr.MESSAGE_INTEGRITY,
  Attr.ERROR_CODE,
  Attr.UNKNOWN_ATTRIBUTES,
  Attr.REALM,
  Attr.NONCE,
  Attr.MESSAGE_INTEGRITY_SHA256,
  Attr.PASSWORD_ALGORITHM,
  Attr.USERHASH,
  Attr.XOR_MAPPED_ADDRESS,
  Attr.PRIORITY,
  Attr.USE_CANDIDATE,
]);

export interface StunAttribute {
  type: number;
  /** The value without its padding. */
  value: Buffer;
}

export interface StunMessage {
  method: number;
  class: StunClass;
  /** 12 bytes. */
  transactionId: Buffer;
  /** In message order, FINGERPRINT included when present. */
  attributes: StunAttribute[];
  /** Whether a FINGERPRINT was there and matched (RFC 8489 §14.7). */
  fingerprint: 'absent' | 'valid' | 'invalid';
}

const padded = (n: number): number => (n + 3) & ~3;

/** RFC 8489 §5: the method's 12 bits interleaved with the class's two (C0 at bit 4, C1 at bit 8). */
function messageType(method: number, cls: StunClass): number {
  return (
    (method & 0x000f) |
    ((method & 0x0070) << 1) |
    ((method & 0x0f80) << 2) |
    ((cls & 1) << 4) |
    ((cls & 2) << 7)
  );
}

/** CRC-32 of `bytes` XOR 0x5354554E, as the FINGERPRINT attribute carries it (RFC 8489 §14.7). */
export function stunFingerprint(bytes: Uint8Array): number {
  return (crc32(bytes) ^ FINGERPRINT_XOR) >>> 0;
}

/**
 * Parses a datagram as a STUN message (RFC 8489 §6.3), or null when it is not one: shorter than the
 * header, top two bits set (§5: what tells STUN from RTP or DTLS on a shared port), no magic cookie
 * (RFC 3489 clients), a length that is not the datagram's or not a multiple of 4, an attribute that
 * runs past the end, or anything after FINGERPRINT (§14.7: it is the last attribute).
 */
export function decodeStun(datagram: Uint8Array): StunMessage | null {
  const b = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  if (b.length < HEADER_SIZE) return null;
  const type = b.readUInt16BE(0);
  const length = b.readUInt16BE(2);
  if (type & 0xc000 || length % 4 !== 0 || HEADER_SIZE + length !== b.length) return null;
  if (b.readUInt32BE(4) !== MAGIC_COOKIE) return null;

  const attributes: StunAttribute[] = [];
  let fingerprint: StunMessage['fingerprint'] = 'absent';
  // `at` stays a multiple of 4 and so does the length, so a 4-byte attribute header always fits.
  for (let at = HEADER_SIZE; at < b.length;) {
    if (fingerprint !== 'absent') return null;
    const attrType = b.readUInt16BE(at);
    const attrLength = b.readUInt16BE(at + 2);
    const end = at + 4 + attrLength;
    if (end > b.length) return null;
    const value = b.subarray(at + 4, end);
    if (attrType === Attr.FINGERPRINT) {
      if (attrLength !== 4) return null;
      // The header's length already counts the FINGERPRINT, as the sender's CRC did.
      fingerprint = value.readUInt32BE(0) === stunFingerprint(b.subarray(0, at)) ? 'valid' : 'invalid';
    }
    attributes.push({ type: attrType, value });
    at += 4 + padded(attrLength);
  }
  return {
    method: (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2),
    class: (((type & 0x0010) >> 4) | ((type & 0x0100) >> 7)) as StunClass,
    transactionId: b.subarray(8, HEADER_SIZE),
    attributes,
    fingerprint,
  };
}

/** The encoded size of a message with these attributes (and FINGERPRINT when asked). */
function encodedSize(attributes: readonly StunAttribute[], fingerprint: boolean): number {
  let size = HEADER_SIZE + (fingerprint ? 8 : 0);
  for (const a of attributes) size += 4 + padded(a.value.length);
  return size;
}

/** Builds a message: zero padding (RFC 8489 §14), FINGERPRINT last when asked for. */
export function encodeStun(message: {
  method: number;
  class: StunClass;
  transactionId: Uint8Array;
  attributes: readonly StunAttribute[];
  fingerprint?: boolean;
}): Buffer {
  const out = Buffer.alloc(encodedSize(message.attributes, message.fingerprint === true));
  out.writeUInt16BE(messageType(message.method, message.class), 0);
  out.writeUInt16BE(out.length - HEADER_SIZE, 2);
  out.writeUInt32BE(MAGIC_COOKIE, 4);
  out.set(message.transactionId.subarray(0, 12), 8);
  let at = HEADER_SIZE;
  for (const a of message.attributes) {
    out.writeUInt16BE(a.type, at);
    out.writeUInt16BE(a.value.length, at + 2);
    a.value.copy(out, at + 4);
    at += 4 + padded(a.value.length);
  }
  if (message.fingerprint) {
    out.writeUInt16BE(Attr.FINGERPRINT, at);
    out.writeUInt16BE(4, at + 2);
    out.writeUInt32BE(stunFingerprint(out.subarray(0, at)), at + 4);
  }
  return out;
}

/**
 * An IP address as 4 or 16 bytes, or null when the text is not one. IPv4-mapped IPv6
 * (`::ffff:192.0.2.1`, what a dual-stack socket reports for an IPv4 client) becomes the IPv4
 * address: that client sent over IPv4 and must learn its IPv4 address. A zone (`%eth0`) is dropped.
 */
export function ipBytes(address: string): Buffer | null {
  const bare = address.replace(/%.*$/, '');
  const kind = isIP(bare);
  if (kind === 4) return Buffer.from(bare.split('.').map(Number));
  if (kind !== 6) return null;
  // A dotted IPv4 tail (::ffff:1.2.3.4) is the last two groups.
  const text = bare.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m: string, ...d: string[]) =>
    [(Number(d[0]) << 8) | Number(d[1]), (Number(d[2]) << 8) | Number(d[3])]
      .map((n) => n.toString(16))
      .join(':'),
  );
  const [left = '', right] = text.split('::');
  const head = left ? left.split(':') : [];
  const tail = right ? right.split(':') : [];
  const groups =
    right === undefined
      ? head
      : [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  const mapped = out.subarray(0, 10).every((x) => x === 0) && out.readUInt16BE(10) === 0xffff;
  return mapped ? Buffer.from(out.subarray(12)) : out;
}

/** 4 or 16 bytes as text; IPv6 in RFC 5952's form (lower case, longest zero run as `::`). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j + 1;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** The XOR-MAPPED-ADDRESS value (RFC 8489 §14.2): port XOR the cookie's top half, address XOR cookie‖id. */
export function encodeXorAddress(address: Uint8Array, port: number, transactionId: Uint8Array): Buffer {
  const value = Buffer.alloc(4 + address.length);
  value[1] = address.length === 4 ? 0x01 : 0x02;
  value.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), 2);
  const key = Buffer.alloc(16);
  key.writeUInt32BE(MAGIC_COOKIE, 0);
  key.set(transactionId.subarray(0, 12), 4);
  for (let i = 0; i < address.length; i++) value[4 + i] = address[i]! ^ key[i]!;
  return value;
}

/** Reads an XOR-MAPPED-ADDRESS value back; null when its family and length disagree. */
export function decodeXorAddress(
  value: Uint8Array,
  transactionId: Uint8Array,
): { family: 4 | 6; address: string; port: number } | null {
  const family =
    value[1] === 0x01 && value.length === 8 ? 4 : value[1] === 0x02 && value.length === 20 ? 6 : 0;
  if (family === 0) return null;
  // XOR is its own inverse: encoding the masked bytes unmasks them.
  const plain = encodeXorAddress(value.subarray(4), ((value[2]! << 8) | value[3]!) >>> 0, transactionId);
  return { family, address: formatIp(plain.subarray(4)), port: plain.readUInt16BE(2) };
}

/** ERROR-CODE (RFC 8489 §14.8): class (hundreds) and number, then the reason phrase. */
function errorCode(code: number, reason: string): StunAttribute {
  const phrase = Buffer.from(reason, 'utf8');
  const value = Buffer.alloc(4 + phrase.length);
  value[2] = Math.floor(code / 100);
  value[3] = code % 100;
  phrase.copy(value, 4);
  return { type: Attr.ERROR_CODE, value };
}

/**
 * The comprehension-required attributes of a request this server does not understand, once each.
 * Attributes after MESSAGE-INTEGRITY(-SHA256) are ignored, FINGERPRINT aside (RFC 8489 §14.5).
 */
function unknownRequired(attributes: readonly StunAttribute[]): number[] {
  const unknown = new Set<number>();
  for (const { type } of attributes) {
    if (type === Attr.MESSAGE_INTEGRITY || type === Attr.MESSAGE_INTEGRITY_SHA256) break;
    if (type < 0x8000 && !UNDERSTOOD.has(type)) unknown.add(type);
  }
  return [...unknown];
}

export interface StunPeer {
  address: string;
  port: number;
}

/**
 * What the server sends back to `from` for a datagram: a Binding success response with the
 * source's XOR-MAPPED-ADDRESS, a 420 for unknown comprehension-required attributes, or null (drop)
 * for anything else — responses, indications (§6.3.2: never answered), other methods (this is not a
 * TURN server), and a request whose FINGERPRINT is wrong (§14.7: not ours, or damaged).
 *
 * Amplification: an answer is never larger than its request, except for the parts that must be
 * there — the mapped address (32 bytes in all for IPv4, 44 for IPv6) or the 420 (52 bytes plus 2 per
 * unknown attribute, rounded up to 4; each cost the request 4 at least), and FINGERPRINT (8) when the
 * request carried one, as that client checks it. Optional parts (SOFTWARE) are only added while
 * the answer stays within the request's own size. So a 20-byte request gets at most 44 bytes back.
 */
export function answerStun(
  datagram: Uint8Array,
  from: StunPeer,
  options: { software?: string } = {},
): Buffer | null {
  const request = decodeStun(datagram);
  if (!request || request.class !== StunClass.request || request.method !== BINDING) return null;
  if (request.fingerprint === 'invalid') return null;
  const mapped = ipBytes(from.address);
  if (!mapped) return null;

  const unknown = unknownRequired(request.attributes);
  const list = Buffer.alloc(unknown.length * 2);
  unknown.forEach((t, i) => list.writeUInt16BE(t, i * 2));
  const attributes: StunAttribute[] =
    unknown.length > 0
      ? [errorCode(420, 'Unknown Attribute'), { type: Attr.UNKNOWN_ATTRIBUTES, value: list }]
      : [
          {
            type: Attr.XOR_MAPPED_ADDRESS,
            value: encodeXorAddress(mapped, from.port, request.transactionId),
          },
        ];
  const fingerprint = request.fingerprint === 'valid';
  const budget = Math.max(datagram.byteLength, encodedSize(attributes, fingerprint));
  if (options.software) {
    // RFC 8489 §14.14: SOFTWARE goes before FINGERPRINT; fewer than 128 characters.
    const software = { type: Attr.SOFTWARE, value: Buffer.from(options.software.slice(0, 127), 'utf8') };
    if (encodedSize([...attributes, software], fingerprint) <= budget) attributes.push(software);
  }
  return encodeStun({
    method: BINDING,
    class: unknown.length > 0 ? StunClass.error : StunClass.success,
    transactionId: request.transactionId,
    attributes,
    fingerprint,
  });
}
