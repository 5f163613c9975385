import { syntaxError } from './filter.error';

/**
 * The filter tokenizer. Token rules follow PocketBase's fexpr scanner (ganigeorgiev/fexpr,
 * scanner.go): ASCII identifiers with `.`/`:` inside, `-`-signed decimals, quoted text where only a
 * backslash before the closing quote character escapes it, `//` line comments.
 */

export const SIGN_OPERATORS = [
  '=',
  '!=',
  '>',
  '>=',
  '<',
  '<=',
  '~',
  '!~',
  '?=',
  '?!=',
  '?>',
  '?>=',
  '?<',
  '?<=',
  '?~',
  '?!~',
] as const;
export type SignOp = (typeof SIGN_OPERATORS)[number];

export type TokenType =
  'identifier' | 'function' | 'number' | 'text' | 'sign' | 'join' | 'lparen' | 'rparen' | 'comma';

export interface Token {
  type: TokenType;
  /** Identifier or function name, number text, unquoted text, operator. */
  value: string;
  /** 0-based offset of the token's first character in the filter. */
  pos: number;
}

const isLetter = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isWord = (c: string): boolean => isLetter(c) || isDigit(c) || c === '_';
const isSignChar = (c: string): boolean => '=?!<>~'.includes(c);
const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** A character for a message: quoted, and a whole code point even when it is a surrogate pair. */
export function describeChar(input: string, pos: number): string {
  const cp = input.codePointAt(pos);
  return cp === undefined ? 'end of filter' : JSON.stringify(String.fromCodePoint(cp));
}

/** Splits a filter into tokens; throws FilterError at the first character that cannot start one. */
export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (isWhitespace(c)) {
      i++;
    } else if (c === '/') {
      if (input[i + 1] !== '/') throw syntaxError(`unexpected ${describeChar(input, i)}`, i);
      const end = input.indexOf('\n', i);
      i = end === -1 ? input.length : end + 1;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', value: c, pos: i });
      i++;
    } else if (isLetter(c) || c === '_' || c === '@') {
      i = scanIdentifier(input, i, tokens);
    } else if (isDigit(c) || c === '-') {
      i = scanNumber(input, i, tokens);
    } else if (c === "'" || c === '"') {
      i = scanText(input, i, tokens);
    } else if (isSignChar(c)) {
      let end = i;
      while (end < input.length && isSignChar(input[end]!)) end++;
      const op = input.slice(i, end);
      if (!(SIGN_OPERATORS as readonly string[]).includes(op)) {
        throw syntaxError(`unknown operator ${JSON.stringify(op)}`, i);
      }
      tokens.push({ type: 'sign', value: op, pos: i });
      i = end;
    } else if (c === '&' || c === '|') {
      let end = i;
      while (end < input.length && (input[end] === '&' || input[end] === '|')) end++;
      const op = input.slice(i, end);
      if (op !== '&&' && op !== '||') throw syntaxError(`unknown operator ${JSON.stringify(op)}`, i);
      tokens.push({ type: 'join', value: op, pos: i });
      i = end;
    } else {
      throw syntaxError(`unexpected ${describeChar(input, i)}`, i);
    }
  }
  return tokens;
}

function scanIdentifier(input: string, start: number, tokens: Token[]): number {
  let end = start + 1;
  while (end < input.length && (isWord(input[end]!) || input[end] === '.' || input[end] === ':')) end++;
  const name = input.slice(start, end);
  // As fexpr: a name must end with a word character ("a.", "@", "tags:" are incomplete).
  if (!isWord(name[name.length - 1]!))
    throw syntaxError(`incomplete identifier ${JSON.stringify(name)}`, start);
  tokens.push({ type: input[end] === '(' ? 'function' : 'identifier', value: name, pos: start });
  return end;
}

function scanNumber(input: string, start: number, tokens: Token[]): number {
  let end = start + (input[start] === '-' ? 1 : 0);
  const digitsFrom = end;
  while (end < input.length && isDigit(input[end]!)) end++;
  if (end === digitsFrom) throw syntaxError(`unexpected ${describeChar(input, start)}`, start);
  if (input[end] === '.') {
    const fraction = end + 1;
    end = fraction;
    while (end < input.length && isDigit(input[end]!)) end++;
    if (end === fraction)
      throw syntaxError(`invalid number ${JSON.stringify(input.slice(start, end))}`, start);
  }
  // "12abc", "1.2.3": a number runs straight into something else.
  if (end < input.length && (isWord(input[end]!) || input[end] === '.' || input[end] === ':')) {
    let bad = end;
    while (bad < input.length && (isWord(input[bad]!) || input[bad] === '.' || input[bad] === ':')) bad++;
    throw syntaxError(`invalid number ${JSON.stringify(input.slice(start, bad))}`, start);
  }
  tokens.push({ type: 'number', value: input.slice(start, end), pos: start });
  return end;
}

function scanText(input: string, start: number, tokens: Token[]): number {
  const quote = input[start]!;
  let value = '';
  let i = start + 1;
  while (i < input.length) {
    const c = input[i]!;
    if (c === '\\' && input[i + 1] === quote) {
      value += quote;
      i += 2;
    } else if (c === quote) {
      tokens.push({ type: 'text', value, pos: start });
      return i + 1;
    } else {
      value += c;
      i++;
    }
  }
  throw syntaxError(`unterminated text, the closing ${quote} is missing`, start);
}
