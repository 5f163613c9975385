import type { DiscoveredWallet, Eip1193Provider, WalletInfo } from './eip1193';

/** The window, or anything that dispatches events like it (tests). */
export type WalletHost = EventTarget & { ethereum?: Eip1193Provider };

function isProvider(value: unknown): value is Eip1193Provider {
  return typeof (value as Eip1193Provider | null)?.request === 'function';
}

function readAnnouncement(event: Event): { info: WalletInfo; provider: Eip1193Provider } | null {
  const detail = (event as CustomEvent<unknown>).detail as { info?: Partial<WalletInfo>; provider?: unknown };
  const info = detail?.info;
  if (!info || typeof info.uuid !== 'string' || !isProvider(detail.provider)) return null;
  return {
    info: {
      uuid: info.uuid,
      name: typeof info.name === 'string' ? info.name : '',
      icon: typeof info.icon === 'string' && info.icon.startsWith('data:image/') ? info.icon : '',
      rdns: typeof info.rdns === 'string' ? info.rdns : '',
    },
    provider: detail.provider,
  };
}

/**
 * The wallets in this browser (EIP-6963): asks with `eip6963:requestProvider` and collects every
 * `eip6963:announceProvider` for `waitMs`, one per uuid. A wallet that only sets `window.ethereum`
 * (older ones) is the fallback when nothing announces itself.
 */
export async function discoverWallets(host: WalletHost, waitMs = 250): Promise<DiscoveredWallet[]> {
  const found = new Map<string, DiscoveredWallet>();
  const onAnnounce = (event: Event): void => {
    const announced = readAnnouncement(event);
    if (announced && !found.has(announced.info.uuid))
      found.set(announced.info.uuid, { ...announced, injected: false });
  };
  host.addEventListener('eip6963:announceProvider', onAnnounce);
  try {
    host.dispatchEvent(new Event('eip6963:requestProvider'));
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  } finally {
    host.removeEventListener('eip6963:announceProvider', onAnnounce);
  }
  const wallets = [...found.values()];
  if (wallets.length === 0 && isProvider(host.ethereum)) {
    wallets.push({
      info: { uuid: 'window.ethereum', name: '', icon: '', rdns: '' },
      provider: host.ethereum,
      injected: true,
    });
  }
  return wallets;
}
