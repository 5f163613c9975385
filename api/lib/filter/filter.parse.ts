import { FilterError, syntaxError } from './filter.error';
import { tokenize, type SignOp, type Token } from './filter.lex';

/**
 * The filter parser: tokens → a tree of comparisons joined by `&&`/`||` in groups, as PocketBase's
 * fexpr parser (ganigeorgiev/fexpr, parser.go) with function calls (`geoDistance(…)`,
 * `strftime(…)`). Precedence is left to SQL: a group compiles to `(a AND b OR c)` as PocketBase does.
 */

/** PocketBase's limits (apis/record_crud.go, tools/search): longer or bigger filters are refused. */
export const MAX_FILTER_LENGTH = 3500;
export const MAX_EXPRESSIONS = 200;
/** Parentheses and calls nested deeper than this are refused, so no input can exhaust the stack. */
export const MAX_DEPTH = 50;
/** strftime takes at most 10 arguments in PocketBase; no function here takes more. */
export const MAX_FUNCTION_ARGS = 10;

export type Operand =
  | { kind: 'identifier'; name: string; pos: number }
  | { kind: 'text'; value: string; pos: number }
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'call'; name: string; args: Operand[]; pos: number };

export interface Comparison {
  kind: 'comparison';
  left: Operand;
  op: SignOp;
  right: Operand;
  pos: number;
}

export interface Group {
  kind: 'group';
  /** The first item's join is always `&&` and means nothing. */
  items: { join: '&&' | '||'; node: Comparison | Group }[];
  pos: number;
}

export type FilterNode = Comparison | Group;

function describeToken(token: Token | undefined): string {
  if (!token) return 'end of filter';
  switch (token.type) {
    case 'identifier':
    case 'function':
      return `identifier ${JSON.stringify(token.value)}`;
    case 'text':
      return `text ${JSON.stringify(token.value.length > 30 ? `${token.value.slice(0, 30)}…` : token.value)}`;
    case 'number':
      return `number ${token.value}`;
    default:
      return JSON.stringify(token.value);
  }
}

class Parser {
  #tokens: Token[];
  #at = 0;
  #end: number;
  #expressions = 0;

  constructor(tokens: Token[], inputLength: number) {
    this.#tokens = tokens;
    this.#end = inputLength;
  }

  parse(): Group {
    if (this.#tokens.length === 0) throw new FilterError('Invalid filter: the filter is empty.');
    const group = this.#group(0);
    const extra = this.#peek();
    if (extra) throw this.#unexpected(extra, extra.type === 'rparen' ? undefined : '"&&" or "||"');
    return group;
  }

  #peek(): Token | undefined {
    return this.#tokens[this.#at];
  }

  #unexpected(token: Token | undefined, expected?: string): FilterError {
    const what = expected
      ? `expected ${expected}, got ${describeToken(token)}`
      : `unexpected ${describeToken(token)}`;
    return syntaxError(what, token?.pos ?? this.#end);
  }

  #group(depth: number): Group {
    const first = this.#peek();
    const items: Group['items'] = [{ join: '&&', node: this.#item(depth) }];
    for (let next = this.#peek(); next?.type === 'join'; next = this.#peek()) {
      this.#at++;
      items.push({ join: next.value as '&&' | '||', node: this.#item(depth) });
    }
    return { kind: 'group', items, pos: first?.pos ?? this.#end };
  }

  #item(depth: number): FilterNode {
    const token = this.#peek();
    if (token?.type !== 'lparen') return this.#comparison(depth);
    if (depth >= MAX_DEPTH)
      throw syntaxError(`parentheses nested deeper than ${MAX_DEPTH} levels`, token.pos);
    this.#at++;
    if (this.#peek()?.type === 'rparen') throw this.#unexpected(this.#peek(), 'an expression');
    const group = this.#group(depth + 1);
    const close = this.#peek();
    if (close?.type !== 'rparen')
      throw this.#unexpected(close, close ? '"&&", "||" or ")"' : 'a closing ")"');
    this.#at++;
    return group;
  }

  #comparison(depth: number): Comparison {
    const start = this.#peek();
    const left = this.#operand(depth, 'an expression');
    const sign = this.#peek();
    if (sign?.type !== 'sign') throw this.#unexpected(sign, 'an operator (=, !=, >, >=, <, <=, ~, !~ or ?…)');
    this.#at++;
    const right = this.#operand(depth, `a value after "${sign.value}"`);
    if (++this.#expressions > MAX_EXPRESSIONS) {
      throw new FilterError(`Invalid filter: more than ${MAX_EXPRESSIONS} expressions.`, start?.pos);
    }
    return { kind: 'comparison', left, op: sign.value as SignOp, right, pos: start?.pos ?? 0 };
  }

  #operand(depth: number, expected: string): Operand {
    const token = this.#peek();
    if (!token) throw this.#unexpected(token, expected);
    switch (token.type) {
      case 'identifier':
        this.#at++;
        return { kind: 'identifier', name: token.value, pos: token.pos };
      case 'text':
        this.#at++;
        return { kind: 'text', value: token.value, pos: token.pos };
      case 'number':
        this.#at++;
        return { kind: 'number', value: Number(token.value), pos: token.pos };
      case 'function':
        return this.#call(depth);
      default:
        throw this.#unexpected(token, expected);
    }
  }

  #call(depth: number): Operand {
    const name = this.#tokens[this.#at]!;
    if (depth >= MAX_DEPTH)
      throw syntaxError(`function calls nested deeper than ${MAX_DEPTH} levels`, name.pos);
    this.#at += 2; // the name and its "(" (the tokenizer only marks a name as a function when "(" follows)
    const args: Operand[] = [];
    if (this.#peek()?.type === 'rparen') {
      this.#at++;
      return { kind: 'call', name: name.value, args, pos: name.pos };
    }
    for (;;) {
      args.push(this.#operand(depth + 1, 'a function argument'));
      if (args.length > MAX_FUNCTION_ARGS) {
        throw syntaxError(`more than ${MAX_FUNCTION_ARGS} arguments to ${name.value}()`, name.pos);
      }
      const next = this.#peek();
      this.#at++;
      if (next?.type === 'rparen') return { kind: 'call', name: name.value, args, pos: name.pos };
      if (next?.type !== 'comma') throw this.#unexpected(next, '"," or ")"');
    }
  }
}

/**
 * Parses a filter into its tree. Throws FilterError (and nothing else) for every malformed input:
 * a syntax error names the offending token and its 0-based position, e.g.
 * `Invalid filter: unexpected ")" at position 12.`
 */
export function parseFilter(input: string): Group {
  if (typeof input !== 'string') throw new FilterError('Invalid filter: the filter must be a text.');
  if (input.length > MAX_FILTER_LENGTH) {
    throw new FilterError(`Invalid filter: longer than ${MAX_FILTER_LENGTH} characters.`);
  }
  return new Parser(tokenize(input), input.length).parse();
}
