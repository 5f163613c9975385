import { ClientResponseError, type RecordModel } from 'pocketbase';
import { api } from '$lib/api/client';
import {
  derivePassphraseKek,
  newBoxKeyPair,
  newMasterKey,
  newPassphraseParams,
  newRecoveryKey,
  newWalletSalt,
  parsePassphraseParams,
  fromBase64Url,
  parseRecoveryKey,
  toBase64Url,
  unwrapBoxKeyPair,
  unwrapKey,
  wrapKey,
  type BoxKeyPair,
} from '$lib/crypto';
import type { Eip1193Provider } from '$lib/wallet/eip1193';
import { walletKek } from './wallet-key';

export const KEYS = 'notes_keys';
export const DEFAULT_IDLE_MINUTES = 15;

export type VaultStatus = 'idle' | 'loading' | 'setup' | 'locked' | 'unlocked' | 'failed';

/**
 * The notes' keys of the signed-in user, in memory only while unlocked. The server holds the master
 * key wrapped (docs/notes-crypto.md); unlocking derives the key-encryption key from the passphrase in
 * the browser and unwraps it here. Locking forgets it.
 */
class Vault {
  status = $state<VaultStatus>('idle');
  idleMinutes = $state(DEFAULT_IDLE_MINUTES);
  /** Progress of a passphrase derivation, 0–1, while one runs. */
  deriving = $state<number | null>(null);
  /**
   * The recovery key made at setup or by replaceRecoveryKey(), shown once until the user says it is
   * kept; never stored here.
   */
  recoveryText = $state<string | null>(null);
  // State, so the keys panel sees a way to unlock appear or go as soon as it is stored.
  #row = $state.raw<RecordModel | null>(null);
  #master: Uint8Array | null = null;
  #box: BoxKeyPair | null = null;
  #user = '';
  /** Bumped by lock() and load(): a derivation that finishes after either must not unlock. */
  #generation = 0;

  /** Finds the user's keys row: `setup` when there is none yet, else `locked`. */
  async load(userId: string): Promise<void> {
    if (this.#user === userId && this.status !== 'idle' && this.status !== 'failed') return;
    this.lock();
    this.#generation++;
    this.#user = userId;
    this.status = 'loading';
    try {
      // The row's id is the user's id: no relation leads to it, so no filter elsewhere can reach it.
      this.#row = await api()
        .collection(KEYS)
        .getOne(userId, { requestKey: null })
        .catch((err: unknown) => {
          if (isMissing(err)) return null;
          throw err;
        });
      this.idleMinutes = Number(this.#row?.['idleLockMinutes']) || DEFAULT_IDLE_MINUTES;
      this.status = this.#row ? 'locked' : 'setup';
    } catch (err) {
      this.status = 'failed';
      throw err;
    }
  }

  /** First use with a passphrase: a new master key and box key pair, wrapped by the passphrase. */
  async setupWithPassphrase(passphrase: string): Promise<void> {
    const params = newPassphraseParams();
    const generation = this.#generation;
    const kek = await this.#derive(passphrase, params);
    await this.#setup(generation, { passphraseWrap: kek, passphraseParams: params });
  }

  /** First use with a wallet: the master key wrapped by a key from the wallet's signature. */
  async setupWithWallet(provider: Eip1193Provider, host: string): Promise<void> {
    const salt = newWalletSalt();
    const generation = this.#generation;
    const { kek, address } = await walletKek(provider, { host, salt, twice: true });
    await this.#setup(generation, { walletWrap: kek, walletAddress: address, walletSalt: salt });
  }

  /** Unwraps the master key with the wallet that was set up (same account, same host). */
  async unlockWithWallet(provider: Eip1193Provider, host: string): Promise<void> {
    const row = this.#row;
    if (!row || !row['walletWrap']) throw new Error('No wallet is set for these notes.');
    const generation = this.#generation;
    const { kek, address } = await walletKek(provider, {
      host,
      salt: String(row['walletSalt']),
      twice: false,
    });
    if (address !== row['walletAddress']) {
      kek.fill(0);
      throw new WrongWallet(String(row['walletAddress']));
    }
    let master: Uint8Array;
    try {
      master = unwrapKey(String(row['walletWrap']), kek, 'master');
    } finally {
      kek.fill(0);
    }
    if (generation !== this.#generation) {
      master.fill(0);
      return;
    }
    this.#unlocked(master);
  }

  get hasWallet(): boolean {
    return Boolean(this.#row?.['walletWrap']);
  }

  get hasPassphrase(): boolean {
    return Boolean(this.#row?.['passphraseWrap']);
  }

  /** The wallet account that unlocks these notes, or null when none is set. */
  get walletAddress(): string | null {
    return this.hasWallet ? String(this.#row?.['walletAddress'] ?? '') || null : null;
  }

  /**
   * Sets a passphrase, or replaces the current one, for the unlocked notes: fresh parameters, and
   * the master key wrapped by the new key. Nothing else changes (docs/notes-crypto.md).
   */
  async setPassphrase(passphrase: string): Promise<void> {
    this.#requireUnlocked();
    const generation = this.#generation;
    const params = newPassphraseParams();
    const kek = await this.#derive(passphrase, params);
    await this.#rewrap(generation, { passphraseWrap: kek, passphraseParams: params });
  }

  /** Forgets the passphrase's wrapped master key; only while a wallet still unlocks the notes. */
  async removePassphrase(): Promise<void> {
    this.#requireUnlocked();
    if (!this.hasWallet) throw new Error('Set up a wallet before removing the passphrase.');
    await this.#store({ passphraseWrap: '', passphraseParams: null });
  }

  /**
   * Sets a wallet, or replaces the current one, for the unlocked notes: a fresh salt, two signatures
   * (a wallet that signs differently each time is refused), and the master key wrapped by its key.
   */
  async setWallet(provider: Eip1193Provider, host: string): Promise<void> {
    this.#requireUnlocked();
    const generation = this.#generation;
    const salt = newWalletSalt();
    const { kek, address } = await walletKek(provider, { host, salt, twice: true });
    await this.#rewrap(generation, { walletWrap: kek, walletAddress: address, walletSalt: salt });
  }

  /** Forgets the wallet's wrapped master key; only while a passphrase still unlocks the notes. */
  async removeWallet(): Promise<void> {
    this.#requireUnlocked();
    if (!this.hasPassphrase) throw new Error('Set a passphrase before removing the wallet.');
    await this.#store({ walletWrap: '', walletAddress: '', walletSalt: '' });
  }

  /**
   * Makes a new recovery key for the unlocked notes and shows it once (`recoveryText`). Its wrapped
   * master key replaces the old one, so the old recovery key stops working.
   */
  async replaceRecoveryKey(): Promise<void> {
    this.#requireUnlocked();
    const generation = this.#generation;
    const recovery = newRecoveryKey();
    const stored = await this.#rewrap(generation, { recoveryWrap: recovery.kek });
    // Locked while it was stored: the text goes with everything else a lock forgets.
    if (stored && generation === this.#generation) this.recoveryText = recovery.text;
  }

  #requireUnlocked(): void {
    if (!this.#master) throw new Error('The notes are locked.');
  }

  /**
   * Wraps the master key by each key-encryption key in `wraps` (as #setup) and stores the result;
   * false, storing nothing, when the notes were locked or the user signed out since `generation`.
   * The key-encryption keys are zeroed either way.
   */
  async #rewrap(generation: number, wraps: Record<string, unknown>): Promise<boolean> {
    let fields: Record<string, unknown>;
    try {
      // lock() zeroes the master key in place: wrapping it after a lock would store 32 zero bytes.
      if (generation !== this.#generation || !this.#master) return false;
      fields = wrapped(this.#master, wraps);
    } finally {
      for (const value of Object.values(wraps)) if (value instanceof Uint8Array) value.fill(0);
    }
    await this.#store(fields);
    return true;
  }

  /** Updates the keys row with `fields` and keeps the copy here current. */
  async #store(fields: Record<string, unknown>): Promise<void> {
    const row = this.#row;
    if (!row) throw new Error('No keys are set for these notes.');
    const user = this.#user;
    const updated = await api().collection(KEYS).update(row.id, fields, { requestKey: null });
    // Kept even after a lock, since the server has the new value and the next unlock needs it; not
    // after a switch of user. Only these fields: another update may have answered meanwhile.
    if (this.#user !== user || !this.#row) return;
    const changed = Object.fromEntries(Object.keys(fields).map((field) => [field, updated[field]]));
    this.#row = { ...this.#row, ...changed };
  }

  /**
   * Makes the keys and stores them wrapped: `wraps` names each key-encryption key by the field its
   * wrapped master key goes to, with the other fields that go beside it. A recovery key always.
   */
  async #setup(generation: number, wraps: Record<string, unknown>): Promise<void> {
    const user = this.#user;
    if (generation !== this.#generation) return; // locked or signed out meanwhile
    const master = newMasterKey();
    const box = newBoxKeyPair();
    const recovery = newRecoveryKey();
    this.#row = await api()
      .collection(KEYS)
      .create(
        {
          id: user,
          ...wrapped(master, wraps),
          recoveryWrap: wrapKey(master, recovery.kek, 'master'),
          boxPublicKey: toBase64Url(box.publicKey),
          boxSecretWrap: wrapKey(box.secretKey, master, 'box-secret'),
          idleLockMinutes: this.idleMinutes,
        },
        { requestKey: null },
      );
    for (const value of Object.values(wraps)) if (value instanceof Uint8Array) value.fill(0);
    recovery.kek.fill(0);
    if (generation !== this.#generation) return;
    this.recoveryText = recovery.text;
    this.#unlocked(master);
  }

  /** Unwraps the master key with the printed recovery key; a typo or a wrong key throws CryptoError. */
  unlockWithRecoveryKey(text: string): void {
    const wrapped = this.#row?.['recoveryWrap'];
    if (!wrapped) throw new Error('No recovery key is set for these notes.');
    const kek = parseRecoveryKey(text);
    let master: Uint8Array;
    try {
      master = unwrapKey(String(wrapped), kek, 'master');
    } finally {
      kek.fill(0);
    }
    this.#unlocked(master);
  }

  /** The user has the recovery key somewhere safe: stop showing it. */
  forgetRecoveryText(): void {
    this.recoveryText = null;
  }

  /** Unwraps the master key with the passphrase; a wrong one throws CryptoError('wrong-key'). */
  async unlockWithPassphrase(passphrase: string): Promise<void> {
    const row = this.#row;
    if (!row || !row['passphraseWrap']) throw new Error('No passphrase is set for these notes.');
    const generation = this.#generation;
    const kek = await this.#derive(passphrase, parsePassphraseParams(row['passphraseParams']));
    let master: Uint8Array;
    try {
      master = unwrapKey(String(row['passphraseWrap']), kek, 'master');
    } finally {
      kek.fill(0);
    }
    if (generation !== this.#generation) {
      master.fill(0); // locked or signed out while the key was derived
      return;
    }
    this.#unlocked(master);
  }

  /**
   * Keeps the master key and opens the box key pair with it. A stored public key that does not
   * belong to the wrapped secret key (a server that swapped it) fails the unlock: sharing with it
   * would hand note keys to someone else.
   */
  #unlocked(master: Uint8Array): void {
    const row = this.#row;
    try {
      if (!row) throw new Error('No keys are set for these notes.');
      this.#box = unwrapBoxKeyPair(
        String(row['boxSecretWrap']),
        fromBase64Url(String(row['boxPublicKey'])),
        master,
      );
    } catch (err) {
      master.fill(0);
      throw err;
    }
    this.#master = master;
    this.status = 'unlocked';
  }

  /** Forgets the master key (best effort: JavaScript cannot promise the bytes are gone). */
  lock(): void {
    this.#generation++;
    this.recoveryText = null;
    this.#master?.fill(0);
    this.#master = null;
    this.#box?.secretKey.fill(0);
    this.#box = null;
    if (this.status === 'unlocked') this.status = 'locked';
  }

  /** Stores how long the app may sit idle before it locks. */
  async setIdleMinutes(minutes: number): Promise<void> {
    this.idleMinutes = minutes;
    if (this.#row) {
      this.#row = await api()
        .collection(KEYS)
        .update(this.#row.id, { idleLockMinutes: minutes }, { requestKey: null });
    }
  }

  get masterKey(): Uint8Array {
    if (!this.#master) throw new Error('The notes are locked.');
    return this.#master;
  }

  /** The user's box key pair, to open note keys shared with them. */
  get boxKeys(): BoxKeyPair {
    if (!this.#box) throw new Error('The notes are locked.');
    return this.#box;
  }

  get userId(): string {
    return this.#user;
  }

  async #derive(passphrase: string, params: ReturnType<typeof newPassphraseParams>): Promise<Uint8Array> {
    this.deriving = 0;
    try {
      return await derivePassphraseKek(passphrase, params, (f) => (this.deriving = f));
    } finally {
      this.deriving = null;
    }
  }
}

/** The key-encryption keys in `wraps` replaced by the master key wrapped with each. */
function wrapped(master: Uint8Array, wraps: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(wraps).map(([field, value]) => [
      field,
      value instanceof Uint8Array ? wrapKey(master, value, 'master') : value,
    ]),
  );
}

/** The wallet signed with another account than the one set up for these notes. */
export class WrongWallet extends Error {
  constructor(readonly expected: string) {
    super(`Use the wallet account ${expected}.`);
  }
}

export const vault = new Vault();

/** True for the SDK's 404: no keys row yet (the rules answer 404 for rows one may not see, too). */
export function isMissing(err: unknown): boolean {
  return err instanceof ClientResponseError && err.status === 404;
}
