import { describe, expect, test } from 'vitest';
import { discoverWallets, type WalletHost } from './discover';
import type { Eip1193Provider, WalletInfo } from './eip1193';

const provider = (): Eip1193Provider => ({ request: () => Promise.resolve(null) });
const info = (uuid: string, name: string): WalletInfo => ({
  uuid,
  name,
  icon: 'data:image/svg+xml,<svg/>',
  rdns: `com.example.${name.toLowerCase()}`,
});

/** A page with wallets that answer requestProvider the way EIP-6963 wallets do. */
function host(
  wallets: { info: WalletInfo; provider: Eip1193Provider }[],
  ethereum?: Eip1193Provider,
): WalletHost {
  const target: WalletHost = new EventTarget();
  if (ethereum) target.ethereum = ethereum;
  target.addEventListener('eip6963:requestProvider', () => {
    for (const w of wallets)
      target.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze(w) }));
  });
  return target;
}

describe('discoverWallets', () => {
  test('collects every announced wallet once, and ignores window.ethereum then', async () => {
    const a = { info: info('a', 'Alpha'), provider: provider() };
    const b = { info: info('b', 'Beta'), provider: provider() };
    const found = await discoverWallets(host([a, b, a], provider()), 10);
    expect(found.map((w) => [w.info.name, w.injected])).toEqual([
      ['Alpha', false],
      ['Beta', false],
    ]);
    expect(found[0]!.provider).toBe(a.provider);
  });

  test('falls back to window.ethereum when no wallet announces itself', async () => {
    const ethereum = provider();
    const found = await discoverWallets(host([], ethereum), 10);
    expect(found).toHaveLength(1);
    expect(found[0]!.provider).toBe(ethereum);
    expect(found[0]!.injected).toBe(true);
  });

  test('finds nothing in a browser without a wallet', async () => {
    expect(await discoverWallets(host([]), 10)).toEqual([]);
  });

  test('skips malformed announcements and icons that are not images', async () => {
    const target = host([]);
    target.addEventListener('eip6963:requestProvider', () => {
      target.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: null }));
      target.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: { info: info('x', 'X') } }));
      target.dispatchEvent(
        new CustomEvent('eip6963:announceProvider', {
          detail: { info: { ...info('y', 'Y'), icon: 'javascript:alert(1)' }, provider: provider() },
        }),
      );
    });
    const found = await discoverWallets(target, 10);
    expect(found.map((w) => [w.info.uuid, w.info.icon])).toEqual([['y', '']]);
  });

  test('hears a wallet that announces itself late, within the wait', async () => {
    const target = host([]);
    target.addEventListener('eip6963:requestProvider', () => {
      setTimeout(() => {
        target.dispatchEvent(
          new CustomEvent('eip6963:announceProvider', {
            detail: { info: info('l', 'Late'), provider: provider() },
          }),
        );
      }, 5);
    });
    expect((await discoverWallets(target, 50)).map((w) => w.info.name)).toEqual(['Late']);
  });
});
