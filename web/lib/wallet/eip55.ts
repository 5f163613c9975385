import { keccak_256 } from '@noble/hashes/sha3';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * The EIP-55 mixed-case checksum form of an Ethereum address: a hex letter is upper case where the
 * matching nibble of keccak256(lower-case address) is 8 or more. EIP-4361 requires this form.
 * Throws on anything that is not 20 bytes of hex.
 */
export function toChecksumAddress(address: string): string {
  if (!ADDRESS.test(address)) throw new Error(`Not an Ethereum address: ${address}`);
  const lower = address.slice(2).toLowerCase();
  const hash = keccak_256(new TextEncoder().encode(lower));
  let out = '0x';
  for (let i = 0; i < lower.length; i++) {
    const byte = hash[i >> 1]!;
    const nibble = i % 2 === 0 ? byte >> 4 : byte & 0x0f;
    out += nibble >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  }
  return out;
}
