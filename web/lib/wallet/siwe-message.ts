/**
 * The text of a Sign-In with Ethereum message (EIP-4361), written out here so the browser bundle
 * needs no Ethereum library. Only the fields Hearth uses; the order and wording are the ABNF's.
 */
export interface SiweFields {
  /** RFC 3986 authority that asks for the signature: `location.host`. */
  domain: string;
  /** EIP-55 checksummed address. */
  address: string;
  /** One line for the user, without line breaks. */
  statement?: string;
  /** RFC 3986 URI the sign-in is for: `location.origin`. */
  uri: string;
  chainId: number;
  /** At least 8 alphanumerics, from the server. */
  nonce: string;
  issuedAt: Date;
  expirationTime?: Date;
}

export function buildSiweMessage(fields: SiweFields): string {
  if (/[\r\n]/.test(fields.statement ?? '')) throw new Error('A SIWE statement must be one line.');
  if (!/^[a-zA-Z0-9]{8,}$/.test(fields.nonce)) throw new Error('A SIWE nonce is at least 8 alphanumerics.');
  if (!Number.isSafeInteger(fields.chainId) || fields.chainId < 1) throw new Error('Invalid chain id.');
  const lines = [`${fields.domain} wants you to sign in with your Ethereum account:`, fields.address, ''];
  // `[ statement LF ] LF`: without a statement the blank line stays, so the ABNF sees two.
  if (fields.statement) lines.push(fields.statement);
  lines.push(
    '',
    `URI: ${fields.uri}`,
    'Version: 1',
    `Chain ID: ${fields.chainId}`,
    `Nonce: ${fields.nonce}`,
    `Issued At: ${fields.issuedAt.toISOString()}`,
  );
  if (fields.expirationTime) lines.push(`Expiration Time: ${fields.expirationTime.toISOString()}`);
  return lines.join('\n');
}

/** The `0x…` hex of a text's UTF-8 bytes: what personal_sign takes as its message. */
export function utf8ToHex(text: string): string {
  let hex = '0x';
  for (const byte of new TextEncoder().encode(text)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
