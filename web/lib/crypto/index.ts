/**
 * End-to-end encryption of notes, as plain TypeScript for the browser (and Node in tests).
 *
 * Key hierarchy (docs/notes-crypto.md has every byte):
 *  - a key-encryption key (KEK) from a passphrase ({@link derivePassphraseKek}), a wallet signature
 *    ({@link deriveWalletKek}) or a recovery key ({@link parseRecoveryKey}) wraps
 *  - the user's master key ({@link newMasterKey}, `wrapKey(…, 'master')`), which wraps
 *  - each note's key (`wrapKey(…, 'note')`) and the secret half of the user's box key pair
 *    (`wrapKey(…, 'box-secret')`); a note key seals the note ({@link sealNote}) and its attachments
 *    ({@link sealAttachment}), and is wrapped for other users to share it ({@link wrapNoteKeyFor}).
 *
 * The server stores only wrapped keys, sealed content, salts, parameters and public keys. Every
 * failure throws a {@link CryptoError} with a code; nothing returns unauthenticated bytes.
 */
export { CryptoError, type CryptoErrorCode } from './errors';
export { systemRandom, type RandomSource } from './random';
export { fromBase64Url, fromHex, toBase64Url, toHex } from './encoding';
export { newMasterKey, unwrapKey, wrapKey, type KeyPurpose } from './keys';
export {
  DEFAULT_SCRYPT_COST,
  derivePassphraseKek,
  newPassphraseParams,
  parsePassphraseParams,
  type PassphraseParams,
  type ScryptCost,
} from './passphrase';
export {
  checkDeterministicSignatures,
  deriveWalletKek,
  newWalletSalt,
  walletKeyMessage,
  type WalletKeyMessageFields,
} from './wallet';
export { formatRecoveryKey, newRecoveryKey, parseRecoveryKey } from './recovery';
export {
  newNoteKey,
  openAttachment,
  openNote,
  sealAttachment,
  sealNote,
  type AttachmentBinding,
  type NoteBinding,
  type NoteContent,
} from './notes';
export { openLabel, sealLabel } from './labels';
export {
  newBoxKeyPair,
  unwrapBoxKeyPair,
  unwrapSharedNoteKey,
  wrapNoteKeyFor,
  type BoxKeyPair,
} from './share';
