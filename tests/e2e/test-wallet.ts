import { getAddress, getBytes, type Wallet } from 'ethers';
import type { Page } from '@playwright/test';

export interface WalletOptions {
  /** Refuse this method with EIP-1193's 4001, as a user pressing Cancel. */
  refuse?: string;
  /** Keep the signature back until this resolves, as a user reading the message. */
  hold?: Promise<void>;
}

/**
 * Injects an EIP-1193 wallet like MetaMask before the page loads, announced through EIP-6963; its
 * key stays in Node (the ethers Wallet signs there, through page.exposeFunction). Returns the calls
 * it saw.
 */
export async function injectWallet(
  page: Page,
  wallet: Wallet,
  options: WalletOptions = {},
): Promise<string[]> {
  const calls: string[] = [];
  await page.exposeFunction('testWalletSign', async (hex: string, address: string) => {
    calls.push(`sign ${address}`);
    if (getAddress(address) !== wallet.address) throw new Error(`asked to sign for ${address}`);
    await options.hold;
    return wallet.signMessage(getBytes(hex));
  });
  await page.addInitScript(
    ({ address, refuse }) => {
      const sign = (window as unknown as { testWalletSign: (h: string, a: string) => Promise<string> })
        .testWalletSign;
      const provider = {
        async request({ method, params }: { method: string; params?: unknown[] }): Promise<unknown> {
          if (method === refuse) throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
          if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [address.toLowerCase()];
          if (method === 'eth_chainId') return '0x1';
          if (method === 'personal_sign') {
            const [hex, from] = params as [string, string];
            return sign(hex, from);
          }
          throw Object.assign(new Error(`${method} is not supported`), { code: 4200 });
        },
      };
      const detail = Object.freeze({
        info: {
          uuid: '6b1d9b53-8d7a-4d43-9e1b-0b8b9f0f8d2e',
          name: 'Test Wallet',
          icon: 'data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>',
          rdns: 'org.example.testwallet',
        },
        provider,
      });
      const announce = () => window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail }));
      window.addEventListener('eip6963:requestProvider', announce);
      announce();
    },
    { address: wallet.address, refuse: options.refuse ?? '' },
  );
  return calls;
}
