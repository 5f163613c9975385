import { quoteIdent, type SqlParams } from '../sql';
import { FilterError } from './filter.error';
import { compileCall } from './filter.functions';
import type { SignOp } from './filter.lex';
import { macroValue } from './filter.macros';
import {
  boundValue,
  isEmptyValue,
  isKnownNonEmpty,
  multiMatchColumn,
  placeholdersIn,
  uniqueAlias,
  type Value,
} from './filter.operand';
import { parseFilter, type Comparison, type FilterNode, type Operand } from './filter.parse';

/**
 * Filter tree → a parameterized SQLite WHERE fragment, following PocketBase's tools/search/filter.go:
 * `=`/`!=` with its NULL-vs-'' normalization, `~` as an escaped contains-LIKE, and "every value must
 * match" for multi-valued operands unless the operator has `?`. Literal values only ever reach SQL
 * as bound parameters.
 */

export interface ResolvedIdentifier {
  /**
   * SQL for the value in the outer query's row context (a column, a joined column, a bound param...).
   * Values must be bound with the SqlParams given to compileFilter: the compiler finds them in the
   * SQL (`:p<n>` outside quotes) to apply PocketBase's ''/NULL rules and `~` wrapping to them.
   */
  sql: string;
  /**
   * Present when the identifier may hold several values per row (multi select/relation/file, paths
   * through them, @collection...): a full `SELECT <value> AS v FROM ... WHERE ...` correlated with
   * the outer row, used for "every value matches" semantics.
   */
  multiMatch?: string;
  /** Skip the COALESCE PocketBase wraps around nullable operands. */
  noCoalesce?: boolean;
  /** Always treat the value as possibly NULL even when it holds bound params (a computed value). */
  enforceNullFallback?: boolean;
  /** A condition ANDed with every comparison that uses the identifier (e.g. an email's visibility). */
  guard?: string;
}

export interface FieldResolver {
  /** Throws FilterError for unknown or forbidden identifiers. */
  resolve(identifier: string): ResolvedIdentifier;
}

export interface CompileOptions {
  /** The time the date macros (`@now`, `@todayStart`…) are taken from; defaults to now. */
  now?: Date;
}

interface Context {
  resolver: FieldResolver;
  params: SqlParams;
  now: Date;
}

/**
 * Compiles a PocketBase filter to a WHERE fragment whose values are bound in `params`. Throws
 * FilterError for malformed filters and (through the resolver) unknown or forbidden fields. An
 * empty filter is an error: callers treat "no filter" before calling.
 */
export function compileFilter(
  filter: string,
  resolver: FieldResolver,
  params: SqlParams,
  options: CompileOptions = {},
): string {
  return compileNode(parsed(filter), { resolver, params, now: options.now ?? new Date() });
}

/**
 * Parse trees of recent filters. Rules are compiled on every request with the same text, and parsing
 * is pure (trees are never changed after), so each text is parsed once while it stays in use.
 */
const trees = new Map<string, FilterNode>();
const TREES_MAX = 1000;

function parsed(filter: string): FilterNode {
  let tree = trees.get(filter);
  if (!tree) {
    tree = parseFilter(filter);
    if (trees.size >= TREES_MAX) trees.delete(trees.keys().next().value!);
    trees.set(filter, tree);
  }
  return tree;
}

function compileNode(node: FilterNode, ctx: Context): string {
  if (node.kind === 'comparison') return compileComparison(node, ctx);
  if (node.items.length === 1) return compileNode(node.items[0]!.node, ctx);
  const parts = node.items.map((item, i) => {
    const sql = compileNode(item.node, ctx);
    return i === 0 ? sql : `${item.join === '||' ? 'OR' : 'AND'} ${sql}`;
  });
  return `(${parts.join(' ')})`;
}

function compileComparison(node: Comparison, ctx: Context): string {
  const left = resolveOperand(node.left, ctx, 'left');
  const right = resolveOperand(node.right, ctx, 'right');
  return buildComparison(left, node.op, right, ctx);
}

/** Resolves one side of a comparison (or a function argument) to SQL. */
function resolveOperand(operand: Operand, ctx: Context, side: string): Value {
  switch (operand.kind) {
    case 'text':
      return boundValue(ctx.params, operand.value);
    case 'number':
      return boundValue(ctx.params, operand.value);
    case 'call':
      return compileCall(operand, (arg) => resolveOperand(arg, ctx, `${operand.name}() argument`), ctx);
    case 'identifier': {
      const macro = macroValue(operand.name, ctx.now);
      if (macro !== undefined) return boundValue(ctx.params, macro);
      const lower = operand.name.toLowerCase();
      if (lower === 'null') return { sql: 'NULL', placeholders: [], nullFallback: 'auto' };
      if (lower === 'true' || lower === 'false') return boundValue(ctx.params, lower === 'true');
      const resolved = ctx.resolver.resolve(operand.name);
      if (!resolved.sql)
        throw new FilterError(
          `Invalid filter: cannot use ${JSON.stringify(operand.name)} as ${side} operand.`,
        );
      return {
        sql: resolved.sql,
        placeholders: placeholdersIn(resolved.sql, ctx.params),
        multiMatch: resolved.multiMatch,
        nullFallback: resolved.noCoalesce ? 'disabled' : resolved.enforceNullFallback ? 'enforced' : 'auto',
        guard: resolved.guard,
      };
    }
  }
}

const baseOp = (op: SignOp): string => (op.startsWith('?') ? op.slice(1) : op);

function buildComparison(left: Value, op: SignOp, right: Value, ctx: Context): string {
  const base = baseOp(op);
  let expr: string;
  switch (base) {
    case '=':
    case '!=':
      expr = equalExpr(base === '=', left, right, ctx.params);
      break;
    case '~':
    case '!~':
      expr = likeExpr(base === '!~', left, right, ctx.params);
      break;
    default:
      expr = `${left.sql} ${base} ${right.sql}`;
  }
  // Without "?", a multi-valued side must match with every value, not just the joined one.
  if (!op.startsWith('?') && (left.multiMatch || right.multiMatch)) {
    expr = `((${expr}) AND (${everyValueExpr(left, op, right, ctx)}))`;
  }
  for (const guard of [left.guard, right.guard]) {
    if (guard) expr = `(${expr} AND ${guard})`;
  }
  return expr;
}

/**
 * PocketBase's resolveEqualExpr: NULL and '' are the same "empty", `!=` is `IS NOT` (so NULL columns
 * differ from a value), and COALESCE only where neither side is known.
 */
function equalExpr(equal: boolean, left: Value, right: Value, params: SqlParams): string {
  const eq = equal ? '=' : 'IS NOT';
  const nullEq = equal ? 'IS' : 'IS NOT';
  const concat = equal ? 'OR' : 'AND';
  const nullTest = equal ? 'IS NULL' : 'IS NOT NULL';

  if (left.nullFallback === 'disabled' || right.nullFallback === 'disabled') {
    return `${left.sql} ${nullEq} ${right.sql}`;
  }
  const leftEmpty = isEmptyValue(left, params);
  const rightEmpty = isEmptyValue(right, params);
  if (leftEmpty && rightEmpty) return `'' ${eq} ''`;
  if (isKnownNonEmpty(left, params) || isKnownNonEmpty(right, params)) {
    return `${leftEmpty ? "''" : left.sql} ${eq} ${rightEmpty ? "''" : right.sql}`;
  }
  if (leftEmpty) return `('' ${eq} ${right.sql} ${concat} ${right.sql} ${nullTest})`;
  if (rightEmpty) return `(${left.sql} ${eq} '' ${concat} ${left.sql} ${nullTest})`;
  return `COALESCE(${left.sql}, '') ${eq} COALESCE(${right.sql}, '')`;
}

/**
 * `~`: a bound right side becomes `%value%` with `%`, `_` and `\` escaped unless it already holds an
 * unescaped `%` (then it is the caller's own pattern); a column right side is wrapped in SQL.
 * SQLite's LIKE is case-insensitive for ASCII, as PocketBase relies on.
 */
function likeExpr(negate: boolean, left: Value, right: Value, params: SqlParams): string {
  const like = negate ? 'NOT LIKE' : 'LIKE';
  // Only a bare bound value is rewritten into a pattern; an expression that merely contains bound
  // values (json(:p), strftime(:p, …)) must keep them intact and is wrapped in SQL instead.
  const bare = right.placeholders.length === 1 && right.sql.trim() === `:${right.placeholders[0]}`;
  if (!bare) return `${left.sql} ${like} ('%' || ${right.sql} || '%') ESCAPE '\\'`;
  for (const name of right.placeholders) {
    const v = params.values[name];
    if (v === undefined || Buffer.isBuffer(v)) continue;
    params.values[name] = toLikePattern(v === null ? '' : String(v));
  }
  return `${left.sql} ${like} ${right.sql} ESCAPE '\\'`;
}

/** PocketBase's wrapLikeParams; idempotent, since a wrapped value holds an unescaped `%`. */
export function toLikePattern(value: string): string {
  if (hasUnescaped(value, '%')) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && (value[i + 1] === '%' || value[i + 1] === '_' || value[i + 1] === '\\')) {
      out += c + value[i + 1]; // already escaped
      i++;
    } else {
      out += c === '%' || c === '_' || c === '\\' ? `\\${c}` : c;
    }
  }
  return `%${out}%`;
}

function hasUnescaped(value: string, ch: string): boolean {
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\') i++;
    else if (value[i] === ch) return true;
  }
  return false;
}

/**
 * PocketBase's manyVsOne/manyVsMany expressions: no value of the multi-valued side may fail the
 * comparison, checked with NOT EXISTS over its multi-match subquery.
 */
function everyValueExpr(left: Value, op: SignOp, right: Value, ctx: Context): string {
  const plain = (v: Value): Value => ({ sql: v.sql, placeholders: v.placeholders, nullFallback: 'auto' });
  if (left.multiMatch && right.multiMatch) {
    const l = uniqueAlias(ctx.params, '__ml');
    const r = uniqueAlias(ctx.params, '__mr');
    const cond = buildComparison(
      { sql: multiMatchColumn(l), placeholders: [], nullFallback: left.nullFallback },
      op,
      { sql: multiMatchColumn(r), placeholders: [], nullFallback: right.nullFallback },
      ctx,
    );
    return `NOT EXISTS (SELECT 1 FROM (${left.multiMatch}) AS ${quoteIdent(l)} LEFT JOIN (${right.multiMatch}) AS ${quoteIdent(r)} WHERE NOT (${cond}))`;
  }
  const many = left.multiMatch ? left : right;
  const alias = uniqueAlias(ctx.params, '__sm');
  const value: Value = { sql: multiMatchColumn(alias), placeholders: [], nullFallback: many.nullFallback };
  const cond = left.multiMatch
    ? buildComparison(value, op, plain(right), ctx)
    : buildComparison(plain(left), op, value, ctx);
  return `NOT EXISTS (SELECT 1 FROM (${many.multiMatch!}) AS ${quoteIdent(alias)} WHERE NOT (${cond}))`;
}
