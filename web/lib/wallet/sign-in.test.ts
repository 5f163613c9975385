import { getBytes, Wallet } from 'ethers';
import { SiweMessage } from 'siwe';
import { describe, expect, test } from 'vitest';
import { WalletError, type Eip1193Provider } from './eip1193';
import { signInWithWallet, type SiweServer, type WalletStep } from './sign-in';

const wallet = new Wallet('0x' + '22'.repeat(32));
const location = { host: 'hearth.example', origin: 'https://hearth.example' };
const NONCE = 'n0nce12345678';

/** An EIP-1193 wallet backed by an ethers Wallet; `refuse` makes one method fail with an error. */
function walletProvider(
  refuse: Record<string, { code: number; message: string }> = {},
  answers: Record<string, unknown> = {},
): Eip1193Provider & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async request({ method, params }) {
      calls.push(method);
      if (refuse[method])
        throw Object.assign(new Error(refuse[method].message), { code: refuse[method].code });
      if (method in answers) return answers[method];
      switch (method) {
        case 'eth_requestAccounts':
          return [wallet.address.toLowerCase()];
        case 'eth_chainId':
          return '0xaa36a7';
        case 'personal_sign': {
          const [hex, address] = params as [string, string];
          expect(address).toBe(wallet.address);
          return wallet.signMessage(getBytes(hex));
        }
        default:
          throw Object.assign(new Error('unsupported'), { code: 4200 });
      }
    },
  };
}

/** Checks the message and signature as the server does, with the siwe library. */
function checkingServer(chainId?: number): SiweServer & { messages: string[] } {
  const messages: string[] = [];
  return {
    messages,
    nonce: () => Promise.resolve(chainId === undefined ? { nonce: NONCE } : { nonce: NONCE, chainId }),
    async authenticate(message, signature) {
      messages.push(message);
      const { data } = await new SiweMessage(message).verify({
        signature,
        domain: location.host,
        nonce: NONCE,
      });
      return { token: 'token', record: { id: data.address, collectionId: 'u', collectionName: 'users' } };
    },
  };
}

describe('signInWithWallet', () => {
  test('connects, signs an EIP-4361 message the siwe library accepts, and reports each step', async () => {
    const steps: WalletStep[] = [];
    const server = checkingServer();
    // The real time: the siwe library refuses an expired message.
    const at = new Date();
    const result = await signInWithWallet({
      provider: walletProvider(),
      server,
      statement: 'Sign in to Hearth.',
      location,
      onStep: (s) => steps.push(s),
      now: () => at,
    });
    expect(result.record.id).toBe(wallet.address);
    expect(steps).toEqual(['connecting', 'signing', 'verifying']);
    const parsed = new SiweMessage(server.messages[0]!);
    expect(parsed).toMatchObject({
      domain: 'hearth.example',
      address: wallet.address,
      uri: 'https://hearth.example',
      chainId: 11155111,
      nonce: NONCE,
      statement: 'Sign in to Hearth.',
    });
    expect(Date.parse(parsed.expirationTime!) - Date.parse(parsed.issuedAt!)).toBe(5 * 60 * 1000);
    expect(parsed.issuedAt).toBe(at.toISOString());
  });

  test("names the server's chain when it gives one, without asking the wallet", async () => {
    const provider = walletProvider();
    const server = checkingServer(1);
    await signInWithWallet({ provider, server, statement: 'Hi', location });
    expect(new SiweMessage(server.messages[0]!).chainId).toBe(1);
    expect(provider.calls).toEqual(['eth_requestAccounts', 'personal_sign']);
  });

  test.each([
    [
      'the user refuses to connect',
      { eth_requestAccounts: { code: 4001, message: 'User rejected' } },
      {},
      'rejected',
      ['eth_requestAccounts'],
    ],
    [
      'the user refuses to sign',
      { personal_sign: { code: 4001, message: 'User denied' } },
      {},
      'rejected',
      ['eth_requestAccounts', 'eth_chainId', 'personal_sign'],
    ],
    [
      'a request already waits in the wallet',
      { eth_requestAccounts: { code: -32002, message: 'pending' } },
      {},
      'pending',
      ['eth_requestAccounts'],
    ],
    ['the wallet shares no account', {}, { eth_requestAccounts: [] }, 'noAccount', ['eth_requestAccounts']],
    [
      'the wallet answers a bad address',
      {},
      { eth_requestAccounts: ['0x1234'] },
      'failed',
      ['eth_requestAccounts'],
    ],
    [
      'the wallet answers a bad chain',
      {},
      { eth_chainId: 'mainnet' },
      'failed',
      ['eth_requestAccounts', 'eth_chainId'],
    ],
    [
      'the wallet fails',
      { eth_chainId: { code: -32603, message: 'Internal error' } },
      {},
      'failed',
      ['eth_requestAccounts', 'eth_chainId'],
    ],
  ])('stops with a WalletError when %s', async (_, refuse, answers, code, calls) => {
    const provider = walletProvider(refuse, answers);
    const server = checkingServer();
    const error = await signInWithWallet({ provider, server, statement: 'Hi', location }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WalletError);
    expect((error as WalletError).code).toBe(code);
    expect(provider.calls).toEqual(calls);
    expect(server.messages).toEqual([]);
  });

  test("passes the server's refusal on unchanged", async () => {
    const refusal = new Error('Invalid SIWE message.');
    const server: SiweServer = {
      nonce: () => Promise.resolve({ nonce: NONCE }),
      authenticate: () => Promise.reject(refusal),
    };
    await expect(
      signInWithWallet({ provider: walletProvider(), server, statement: 'Hi', location }),
    ).rejects.toBe(refusal);
  });
});
