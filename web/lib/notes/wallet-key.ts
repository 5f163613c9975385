import { checkDeterministicSignatures, deriveWalletKek, walletKeyMessage } from '$lib/crypto';
import { WalletError, walletErrorFrom, type Eip1193Provider } from '$lib/wallet/eip1193';
import { toChecksumAddress } from '$lib/wallet/eip55';
import { utf8ToHex } from '$lib/wallet/siwe-message';

async function ask(provider: Eip1193Provider, method: string, params?: unknown[]): Promise<unknown> {
  try {
    return await provider.request(params ? { method, params } : { method });
  } catch (err) {
    throw walletErrorFrom(err);
  }
}

/**
 * The notes' key-encryption key from a wallet (docs/notes-crypto.md): the wallet signs the fixed
 * message for this host, account and salt with personal_sign, and the signature goes through HKDF.
 * At setup (`twice`) it signs twice: a wallet whose signatures differ could never unlock again, so
 * it is refused (CryptoError 'non-deterministic-wallet').
 */
export async function walletKek(
  provider: Eip1193Provider,
  options: { host: string; salt: string; twice: boolean },
): Promise<{ kek: Uint8Array; address: string }> {
  const accounts = await ask(provider, 'eth_requestAccounts');
  const first = Array.isArray(accounts) ? (accounts[0] as unknown) : undefined;
  if (typeof first !== 'string') throw new WalletError('noAccount', 'The wallet shared no account.');
  const address = toChecksumAddress(first);
  const message = utf8ToHex(walletKeyMessage({ domain: options.host, address, salt: options.salt }));
  const sign = async () => {
    const signature = await ask(provider, 'personal_sign', [message, address]);
    if (typeof signature !== 'string') throw new WalletError('failed', 'The wallet returned no signature.');
    return signature;
  };
  const signature = await sign();
  if (options.twice) checkDeterministicSignatures(signature, await sign());
  return { kek: deriveWalletKek(signature, options.salt), address };
}
