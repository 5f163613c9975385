/**
 * What went wrong, as a fixed set of codes the UI can translate. The crypto module throws nothing
 * else for bad input: every failure to authenticate is one of these, never garbage bytes.
 */
export type CryptoErrorCode =
  /** Not Hearth's format, the wrong kind of value, or a wrong length. */
  | 'malformed'
  /** Made by a newer format version than this code knows. */
  | 'unsupported-version'
  /** A wrapped key did not open: wrong passphrase, wallet or recovery key, or the value was changed. */
  | 'wrong-key'
  /** Note content or an attachment did not open: changed, moved to another note, or another version. */
  | 'tampered'
  /** Passphrase parameters are missing, unknown or outside the accepted range. */
  | 'invalid-params'
  /** A wallet signature is not 65 bytes of r, s, v as personal_sign gives. */
  | 'invalid-signature'
  /** Two signatures of the same message differ: this wallet cannot derive a key. */
  | 'non-deterministic-wallet'
  /** A recovery key has a typo, a missing or extra character. */
  | 'bad-recovery-key'
  /** A caller passed something unusable (a key of the wrong length, an empty passphrase…). */
  | 'invalid-input';

export class CryptoError extends Error {
  override readonly name = 'CryptoError';

  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
