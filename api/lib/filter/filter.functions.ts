import { quoteIdent, type SqlParams } from '../sql';
import { FilterError } from './filter.error';
import { multiMatchColumn, uniqueAlias, type Value } from './filter.operand';
import type { Operand } from './filter.parse';

/**
 * The filter functions PocketBase has (tools/search/token_functions.go): `geoDistance` and
 * `strftime`. Arguments are checked by kind the way PocketBase does, so nothing but values and
 * identifiers reaches SQL.
 */

type ResolveArg = (arg: Operand) => Value;

const fail = (message: string): FilterError => new FilterError(`Invalid filter: ${message}`);

function merged(parts: Value[]): string[] {
  return [...new Set(parts.flatMap((p) => p.placeholders))];
}

/**
 * geoDistance(lonA, latA, lonB, latB): the Haversine distance in kilometres. Like SQLite's own
 * functions it does not apply "every value" semantics to multi-valued arguments.
 */
function geoDistance(call: Extract<Operand, { kind: 'call' }>, resolve: ResolveArg): Value {
  if (call.args.length !== 4) throw fail(`geoDistance() expects 4 arguments, got ${call.args.length}.`);
  const args = call.args.map((arg, i) => {
    if (arg.kind !== 'identifier' && arg.kind !== 'number') {
      throw fail(`geoDistance() argument ${i + 1} must be a field or a number.`);
    }
    return resolve(arg);
  });
  const [lonA, latA, lonB, latB] = args.map((a) => a.sql) as [string, string, string, string];
  return {
    sql:
      `(6371 * acos(cos(radians(${latA})) * cos(radians(${latB})) * cos(radians(${lonB}) - radians(${lonA})) + ` +
      `sin(radians(${latA})) * sin(radians(${latB}))))`,
    placeholders: merged(args),
    nullFallback: 'disabled',
  };
}

/**
 * strftime(format, [time-value, modifier...]) as SQLite's, with a NULL result treated as empty. A
 * multi-valued time value keeps its "every value" subquery, formatted value by value.
 */
function strftime(call: Extract<Operand, { kind: 'call' }>, resolve: ResolveArg, params: SqlParams): Value {
  const [format, time, ...modifiers] = call.args;
  if (!format) throw fail('strftime() expects at least 1 argument.');
  if (format.kind !== 'text') throw fail('strftime() expects the first argument to be a format text.');
  const formatValue = resolve(format);
  if (!time)
    return {
      sql: `strftime(${formatValue.sql})`,
      placeholders: formatValue.placeholders,
      nullFallback: 'enforced',
    };
  if (time.kind === 'call')
    throw fail('strftime() expects the second argument to be a date text, number or field.');
  const timeValue = resolve(time);
  const modifierValues = modifiers.map((m, i) => {
    if (m.kind !== 'text') throw fail(`strftime() modifier ${i + 1} must be a text.`);
    return resolve(m);
  });
  const rest = modifierValues.map((m) => `, ${m.sql}`).join('');
  const result: Value = {
    sql: `strftime(${formatValue.sql}, ${timeValue.sql}${rest})`,
    placeholders: merged([formatValue, timeValue, ...modifierValues]),
    nullFallback: 'enforced',
  };
  if (timeValue.multiMatch) {
    const alias = uniqueAlias(params, '__mmf');
    result.multiMatch =
      `SELECT strftime(${formatValue.sql}, ${multiMatchColumn(alias)}${rest}) AS ${quoteIdent('v')} ` +
      `FROM (${timeValue.multiMatch}) AS ${quoteIdent(alias)}`;
  }
  return result;
}

/** Compiles a function call; unknown names and wrong arguments are FilterErrors. */
export function compileCall(
  call: Extract<Operand, { kind: 'call' }>,
  resolve: ResolveArg,
  ctx: { params: SqlParams },
): Value {
  switch (call.name) {
    case 'geoDistance':
      return geoDistance(call, resolve);
    case 'strftime':
      return strftime(call, resolve, ctx.params);
    default:
      throw fail(`unknown function ${JSON.stringify(call.name)}.`);
  }
}
