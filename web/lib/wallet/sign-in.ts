import type PocketBase from 'pocketbase';
import type { RecordModel } from 'pocketbase';
import { toChecksumAddress } from './eip55';
import { walletErrorFrom, WalletError, type Eip1193Provider } from './eip1193';
import { buildSiweMessage, utf8ToHex } from './siwe-message';

/** What the user is waiting for, in order: the wallet to connect, to sign, the server to check. */
export type WalletStep = 'connecting' | 'signing' | 'verifying';

export interface AuthResult {
  token: string;
  record: RecordModel;
}

/** A nonce for one sign-in, and the chain the server binds sessions to (when it says). */
export interface SiweNonce {
  nonce: string;
  chainId?: number;
}

/** Hearth's two SIWE endpoints. */
export interface SiweServer {
  nonce(): Promise<SiweNonce>;
  authenticate(message: string, signature: string): Promise<AuthResult>;
}

export interface WalletSignInOptions {
  provider: Eip1193Provider;
  server: SiweServer;
  /** The translated line the wallet shows above the details. */
  statement: string;
  /** `window.location`: the message names the host and origin the user sees. */
  location: { host: string; origin: string };
  onStep?: (step: WalletStep) => void;
  now?: () => Date;
}

/** How long a signed message may wait before the server refuses it. */
const VALID_FOR_MS = 5 * 60 * 1000;

async function ask(provider: Eip1193Provider, method: string, params?: unknown[]): Promise<unknown> {
  try {
    return await provider.request(params ? { method, params } : { method });
  } catch (err) {
    throw walletErrorFrom(err);
  }
}

async function walletChain(provider: Eip1193Provider): Promise<number> {
  const chainHex = await ask(provider, 'eth_chainId');
  const chainId = typeof chainHex === 'string' ? Number.parseInt(chainHex, 16) : Number.NaN;
  if (!Number.isSafeInteger(chainId) || chainId < 1) {
    throw new WalletError('failed', `The wallet answered with chain ${String(chainHex)}.`);
  }
  return chainId;
}

/**
 * Sign-In with Ethereum (EIP-4361) through an EIP-1193 wallet: connect (eth_requestAccounts), fetch
 * a nonce and the chain (from the server, else eth_chainId), sign the message with personal_sign,
 * and let the server check it.
 * Wallet failures are WalletErrors; the server's are thrown as the SDK threw them.
 */
export async function signInWithWallet(options: WalletSignInOptions): Promise<AuthResult> {
  const { provider, server, onStep = () => {}, now = () => new Date() } = options;
  onStep('connecting');
  const accounts = await ask(provider, 'eth_requestAccounts');
  const first = Array.isArray(accounts) ? (accounts[0] as unknown) : undefined;
  if (typeof first !== 'string') throw new WalletError('noAccount', 'The wallet shared no account.');
  let address: string;
  try {
    address = toChecksumAddress(first);
  } catch (err) {
    throw new WalletError('failed', `The wallet answered with ${first}.`, { cause: err });
  }
  const { nonce, chainId: serverChain } = await server.nonce();
  // The server names the chain it accepts (siwe.chainIds): an ordinary account signs the same on
  // every chain, so that one is used rather than making the user switch networks. Without it, the
  // wallet's current chain.
  const chainId = serverChain ?? (await walletChain(provider));
  const issuedAt = now();
  const message = buildSiweMessage({
    domain: options.location.host,
    address,
    statement: options.statement,
    uri: options.location.origin,
    chainId,
    nonce,
    issuedAt,
    expirationTime: new Date(issuedAt.getTime() + VALID_FOR_MS),
  });
  onStep('signing');
  const signature = await ask(provider, 'personal_sign', [utf8ToHex(message), address]);
  if (typeof signature !== 'string') throw new WalletError('failed', 'The wallet returned no signature.');
  onStep('verifying');
  return server.authenticate(message, signature);
}

/** The SIWE endpoints of the Hearth that `pb` talks to, for an auth collection. */
export function siweServer(pb: PocketBase, collection = 'users'): SiweServer {
  return {
    async nonce() {
      const res = await pb.send<{ nonce: string; chainId?: unknown }>('/api/hearth/siwe/nonce', {
        requestKey: null,
      });
      const chainId =
        typeof res.chainId === 'number' && Number.isSafeInteger(res.chainId) ? res.chainId : undefined;
      return chainId === undefined ? { nonce: res.nonce } : { nonce: res.nonce, chainId };
    },
    authenticate(message, signature) {
      return pb.send<AuthResult>(`/api/collections/${encodeURIComponent(collection)}/auth-with-siwe`, {
        method: 'POST',
        body: { message, signature },
        requestKey: null,
      });
    },
  };
}
