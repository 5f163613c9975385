import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from './encoding';
import { context, deriveSubkey, Kind, openEnvelope, requireKey, sealEnvelope } from './envelope';
import { CryptoError } from './errors';
import { systemRandom, type RandomSource } from './random';

const LABEL = 'hearth label v1';
/** A label is a short text (an email, a name): a cap keeps a stored field small. */
const MAX_LABEL_BYTES = 1024;

function labelSubkey(masterKey: Uint8Array, where: string): Uint8Array {
  requireKey(masterKey, 'master key');
  const bound = typeof where === 'string' ? utf8Encode(where) : new Uint8Array();
  if (bound.length < 1 || bound.length > 255) {
    throw new CryptoError('invalid-input', 'A label is bound to 1 to 255 bytes of UTF-8.');
  }
  return deriveSubkey(masterKey, context(LABEL, bound));
}

/**
 * Seals a short text only its owner reads again (who a note is shared with, say), bound to where it
 * is kept (`where`, e.g. the note and recipient ids): base64url of `0x01 ‖ 0x07 ‖ nonce ‖
 * secretbox(UTF-8 text)` under HKDF(masterKey, "hearth label v1" ‖ 0x00 ‖ len ‖ where).
 */
export function sealLabel(
  text: string,
  masterKey: Uint8Array,
  where: string,
  random: RandomSource = systemRandom,
): string {
  const bytes = utf8Encode(text);
  if (bytes.length > MAX_LABEL_BYTES) {
    throw new CryptoError('invalid-input', `A label is at most ${MAX_LABEL_BYTES} bytes.`);
  }
  return toBase64Url(sealEnvelope(Kind.label, labelSubkey(masterKey, where), bytes, random));
}

/** The text of a label sealed for `where`; another place, key or any changed byte → `tampered`. */
export function openLabel(sealed: string, masterKey: Uint8Array, where: string): string {
  const plaintext = openEnvelope(fromBase64Url(sealed), Kind.label, labelSubkey(masterKey, where), 'label');
  if (!plaintext) throw new CryptoError('tampered', 'The label was changed, or belongs elsewhere.');
  try {
    return utf8Decode(plaintext);
  } catch (err) {
    throw new CryptoError('malformed', 'The label is not UTF-8.', { cause: err });
  }
}
