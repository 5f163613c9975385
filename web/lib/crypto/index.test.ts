import { Wallet } from 'ethers';
import { expect, test } from 'vitest';
import {
  checkDeterministicSignatures,
  derivePassphraseKek,
  deriveWalletKek,
  fromBase64Url,
  newBoxKeyPair,
  newMasterKey,
  newNoteKey,
  newPassphraseParams,
  newRecoveryKey,
  newWalletSalt,
  openNote,
  parsePassphraseParams,
  parseRecoveryKey,
  sealNote,
  toBase64Url,
  toHex,
  unwrapBoxKeyPair,
  unwrapKey,
  unwrapSharedNoteKey,
  walletKeyMessage,
  wrapKey,
  wrapNoteKeyFor,
} from './index';
import { thrownCode } from './testing';

const cheap = { logN: 10, r: 8, p: 1 };
const wallet = Wallet.createRandom();
const domain = 'notes.example.org';

async function walletKek(salt: string): Promise<Uint8Array> {
  return deriveWalletKek(
    await wallet.signMessage(walletKeyMessage({ domain, address: wallet.address, salt })),
    salt,
  );
}

/** What the browser sends the server at setup: only strings and public values. */
async function setUp(passphrase: string) {
  const master = newMasterKey();
  const passphraseParams = newPassphraseParams(cheap);
  const walletSalt = newWalletSalt();
  const message = walletKeyMessage({ domain, address: wallet.address, salt: walletSalt });
  checkDeterministicSignatures(await wallet.signMessage(message), await wallet.signMessage(message));
  const recovery = newRecoveryKey();
  const box = newBoxKeyPair();
  const noteKey = newNoteKey();
  const stored = {
    passphraseParams: JSON.parse(JSON.stringify(passphraseParams)) as unknown,
    byPassphrase: wrapKey(master, await derivePassphraseKek(passphrase, passphraseParams), 'master'),
    walletSalt,
    byWallet: wrapKey(master, await walletKek(walletSalt), 'master'),
    byRecovery: wrapKey(master, recovery.kek, 'master'),
    boxPublicKey: toBase64Url(box.publicKey),
    boxSecretKey: wrapKey(box.secretKey, master, 'box-secret'),
    note: {
      id: 'note00000000001',
      version: 1,
      key: wrapKey(noteKey, master, 'note'),
      content: sealNote(
        { noteId: 'note00000000001', version: 1, content: { title: 'Plans', text: 'secret' } },
        noteKey,
      ),
    },
  };
  return {
    master,
    secrets: [master, noteKey, box.secretKey, recovery.kek],
    recoveryText: recovery.text,
    stored,
  };
}

test('setup, unlock by each way, change of passphrase, share: the server never sees a key', async () => {
  const { master, secrets, recoveryText, stored } = await setUp('first passphrase');
  const serverSees = JSON.stringify(stored);
  for (const secret of secrets) {
    expect(serverSees).not.toContain(toBase64Url(secret));
    expect(serverSees).not.toContain(toHex(secret));
  }
  expect(serverSees).not.toContain('secret');
  expect(serverSees).not.toContain(recoveryText);

  const params = parsePassphraseParams(stored.passphraseParams);
  const byPassphrase = unwrapKey(
    stored.byPassphrase,
    await derivePassphraseKek('first passphrase', params),
    'master',
  );
  const byWallet = unwrapKey(stored.byWallet, await walletKek(stored.walletSalt), 'master');
  const byRecovery = unwrapKey(stored.byRecovery, parseRecoveryKey(recoveryText.toLowerCase()), 'master');
  expect([byPassphrase, byWallet, byRecovery]).toEqual([master, master, master]);

  const noteKey = unwrapKey(stored.note.key, master, 'note');
  const binding = { noteId: stored.note.id, version: stored.note.version };
  expect(openNote(stored.note.content, binding, noteKey)).toEqual({ title: 'Plans', text: 'secret' });

  // A new passphrase re-wraps the master key only: notes, keys and the other ways are untouched.
  const newParams = newPassphraseParams(cheap);
  const changed = {
    ...stored,
    passphraseParams: newParams,
    byPassphrase: wrapKey(master, await derivePassphraseKek('second passphrase', newParams), 'master'),
  };
  const oldKek = await derivePassphraseKek('first passphrase', newParams);
  expect(thrownCode(() => unwrapKey(changed.byPassphrase, oldKek, 'master'))).toBe('wrong-key');
  const newKek = await derivePassphraseKek(
    'second passphrase',
    parsePassphraseParams(changed.passphraseParams),
  );
  const unlocked = unwrapKey(changed.byPassphrase, newKek, 'master');
  expect(openNote(changed.note.content, binding, unwrapKey(changed.note.key, unlocked, 'note'))).toEqual({
    title: 'Plans',
    text: 'secret',
  });

  // Sharing with Bob: the note key wrapped for his public key; he opens the same ciphertext.
  const bob = await setUp('bob’s passphrase');
  const bobBox = unwrapBoxKeyPair(
    bob.stored.boxSecretKey,
    fromBase64Url(bob.stored.boxPublicKey),
    bob.master,
  );
  const forBob = wrapNoteKeyFor(noteKey, fromBase64Url(bob.stored.boxPublicKey));
  const bobsNoteKey = unwrapSharedNoteKey(forBob, bobBox.secretKey);
  expect(openNote(stored.note.content, binding, bobsNoteKey)).toEqual({ title: 'Plans', text: 'secret' });
  const mine = unwrapBoxKeyPair(stored.boxSecretKey, fromBase64Url(stored.boxPublicKey), master);
  expect(thrownCode(() => unwrapSharedNoteKey(forBob, mine.secretKey))).toBe('wrong-key');
});
