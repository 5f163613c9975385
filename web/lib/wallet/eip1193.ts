/** The part of an EIP-1193 provider Hearth uses. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] | Record<string, unknown> }): Promise<unknown>;
}

/** What a wallet says about itself in an EIP-6963 announcement. */
export interface WalletInfo {
  uuid: string;
  name: string;
  /** A data: URI (img-src allows data:). */
  icon: string;
  /** Reverse-DNS id, `io.metamask`. */
  rdns: string;
}

export interface DiscoveredWallet {
  info: WalletInfo;
  provider: Eip1193Provider;
  /** Found as `window.ethereum` rather than announced: its name is unknown. */
  injected: boolean;
}

/** Why a wallet sign-in stopped, for a translated message (`wallet.error.<code>`). */
export type WalletErrorCode = 'noWallet' | 'rejected' | 'pending' | 'noAccount' | 'failed';

export class WalletError extends Error {
  constructor(
    readonly code: WalletErrorCode,
    message: string = code,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WalletError';
  }
}

/**
 * Turns what a provider threw into a WalletError: EIP-1193's 4001 (the user said no) and 4100
 * (not authorized), and MetaMask's -32002 (a request is already waiting in the wallet).
 */
export function walletErrorFrom(err: unknown): WalletError {
  if (err instanceof WalletError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = (err as { message?: unknown } | null)?.message;
  const text = typeof message === 'string' ? message : String(err);
  if (code === 4001 || code === 4100) return new WalletError('rejected', text, { cause: err });
  if (code === -32002) return new WalletError('pending', text, { cause: err });
  return new WalletError('failed', text, { cause: err });
}
