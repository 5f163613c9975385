import {
  findField,
  isMultiple,
  type Collection,
  type Field,
  type Schema,
} from '../collections/collection.model';
import { hasSingleColumnUniqueIndex } from '../collections/collections.schema';
import { FilterError, type ResolvedIdentifier } from '../lib/filter';
import { quoteIdent as q } from '../lib/sql';

/**
 * Walking a field path (`author.tags.label`, `comments_via_post.message`, `data.a.b`) through the
 * schema, as PocketBase's core/record_field_resolver_runner.go: every hop LEFT JOINs the related
 * table to the outer query (so `?` operators can match any joined row), and the same hops are
 * replayed in a correlated "multi-match" subquery whenever the path can hold several values, so
 * plain operators can require every value to match.
 */

/** PocketBase's maxNestedRels. */
export const MAX_NESTED_RELATIONS = 6;

export const col = (alias: string, name: string): string => `${q(alias)}.${q(name)}`;

const isJsonArray = (e: string): string => `iif(json_valid(${e}), json_type(${e}) = 'array', FALSE)`;

/** json_each over a column that may hold a JSON array, one plain value, '' or NULL (dbutils.JSONEach). */
export const jsonEach = (e: string): string =>
  `json_each(CASE WHEN ${isJsonArray(e)} THEN ${e} ELSE json_array(${e}) END)`;

/** How many values a multi-valued column holds; 0 for '' and NULL (dbutils.JSONArrayLength). */
const jsonArrayLength = (e: string): string =>
  `json_array_length(CASE WHEN ${isJsonArray(e)} THEN ${e} ELSE (CASE WHEN ${e} = '' OR ${e} IS NULL THEN json_array() ELSE json_array(${e}) END) END)`;

/**
 * A JSON value at `path` (`.a.b[0]`, '' for the whole value) that also works when the column holds
 * plain text (dbutils.JSONExtract). Path segments are word characters only, checked by the caller.
 */
const jsonExtract = (e: string, path: string): string =>
  `(CASE WHEN json_valid(${e}) THEN json_extract(${e}, '$${path}') ELSE json_extract(json_object('pb', ${e}), '$.pb${path}') END)`;

/** Where a walk is: the row it stands on, in the outer query and in the multi-match subquery. */
export interface Walk {
  collection: Collection;
  /** The current row's alias in the outer query. */
  alias: string;
  /** Prefix for the aliases of the next hops in the outer query. */
  naming: string;
  /** The multi-match subquery's one-row FROM (its joins may refer to the outer base row directly). */
  mmRoot: string;
  mmAlias: string;
  mmNaming: string;
  /** The multi-match subquery's joins so far (its FROM is a one-row root). */
  mmJoins: string[];
  /** Whether the path so far can hold several values per outer row. */
  multi: boolean;
  allowHidden: boolean;
  /** `@request.*` paths answer NULL for unknown fields instead of failing (PocketBase's nullifyMisingField). */
  nullifyMissing: boolean;
}

export type Modifier = 'each' | 'length' | 'lower' | 'isset' | 'changed';
const MODIFIERS: readonly string[] = ['each', 'length', 'lower', 'isset', 'changed'];

/** `name:modifier` → its parts; unknown modifiers are refused. */
export function splitModifier(prop: string): { name: string; modifier?: Modifier } {
  const parts = prop.split(':');
  if (parts.length === 1) return { name: prop };
  const [name, modifier] = parts as [string, string];
  if (parts.length > 2 || !MODIFIERS.includes(modifier)) {
    throw new FilterError(
      `Invalid filter: unknown modifier in ${JSON.stringify(prop)} (use :each, :length, :lower, :isset or :changed).`,
    );
  }
  return { name, modifier: modifier as Modifier };
}

/** The field types :each and :length apply to (PocketBase's MultiValuer). */
export const isMultiValuer = (f: Field): boolean =>
  f.type === 'select' || f.type === 'file' || f.type === 'relation';

const fail = (message: string): FilterError => new FilterError(`Invalid filter: ${message}`);

/**
 * The condition under which a joined row of `target` (at `alias`) may be seen, or null when every
 * row may: how a client's filter is kept to the rows the target collection's rules show.
 */
export type Visibility = (target: Collection, alias: string) => string | null;

export class PathWalker {
  readonly #schema: Schema;
  readonly #joins = new Map<string, string>();
  readonly #visible: Visibility | undefined;

  constructor(schema: Schema, visible?: Visibility) {
    this.#schema = schema;
    this.#visible = visible;
  }

  /** `on`, narrowed to the rows of `target` this walk may see. */
  on(target: Collection, alias: string, on: string): string {
    const visible = this.#visible?.(target, alias);
    return visible ? `${on} AND ${visible}` : on;
  }

  /** The LEFT JOINs the resolved identifiers need, in the order they were first needed. */
  joins(): string[] {
    return [...this.#joins.values()];
  }

  /** Adds (or, for the same alias, replaces in place) a join of the outer query. */
  join(alias: string, sql: string): void {
    this.#joins.set(alias, sql);
  }

  collection(idOrName: string): Collection {
    const found = this.#schema.find(idOrName);
    if (!found) throw fail(`unknown collection ${JSON.stringify(idOrName)}.`);
    return found;
  }

  /** Refuses what a filter may never read, and hidden fields where they are not allowed. */
  checkReadable(walk: Walk, field: Field): void {
    const secret =
      field.type === 'password' || (walk.collection.type === 'auth' && field.name === 'tokenKey');
    if (secret) throw fail(`the field ${JSON.stringify(field.name)} cannot be filtered or sorted.`);
    if (field.hidden && !walk.allowHidden) {
      throw fail(
        `the field ${JSON.stringify(field.name)} of ${JSON.stringify(walk.collection.name)} is hidden.`,
      );
    }
  }

  /** Resolves the rest of a path (`props`) from where `walk` stands. */
  walk(walk: Walk, props: string[]): ResolvedIdentifier {
    for (let i = 0; i < props.length; i++) {
      const prop = props[i]!;
      if (i === props.length - 1) return this.lastProp(walk, prop);
      const field = findField(walk.collection, prop);
      if (field) this.checkReadable(walk, field);
      if (field?.type === 'json') return this.#jsonPath(walk, field, props.slice(i + 1));
      if (i >= MAX_NESTED_RELATIONS)
        throw fail(`more than ${MAX_NESTED_RELATIONS} nested relations at ${JSON.stringify(prop)}.`);
      if (!field) {
        const next = this.#backRelation(walk, prop);
        if (!next) return { sql: 'NULL' };
        walk = next;
      } else if (field.type !== 'relation') {
        throw fail(
          `${JSON.stringify(prop)} is not a relation or JSON field, so it cannot be followed by ".${props[i + 1]}".`,
        );
      } else if (!isMultiple(field) && i === props.length - 2 && props[i + 1] === 'id') {
        // "author.id" is the relation column itself: no join needed (as PocketBase).
        return this.lastProp(walk, prop);
      } else {
        walk = this.relationHop(walk, field);
      }
    }
    throw fail('empty field path.');
  }

  /** Follows a relation field to the related row(s). */
  relationHop(walk: Walk, field: Extract<Field, { type: 'relation' }>): Walk {
    const target = this.collection(field.collectionId);
    const alias = `${walk.naming}.${field.name}`;
    const mmAlias = `${walk.mmNaming}.${field.name}`;
    const mmJoins = [...walk.mmJoins];
    const multiple = isMultiple(field);
    if (!multiple) {
      this.join(
        alias,
        `LEFT JOIN ${q(target.name)} AS ${q(alias)} ON ${this.on(target, alias, `${col(alias, 'id')} = ${col(walk.alias, field.name)}`)}`,
      );
      mmJoins.push(
        `LEFT JOIN ${q(target.name)} AS ${q(mmAlias)} ON ${this.on(target, mmAlias, `${col(mmAlias, 'id')} = ${col(walk.mmAlias, field.name)}`)}`,
      );
    } else {
      const je = `${alias}[]`;
      const mmJe = `${mmAlias}[]`;
      this.join(je, `LEFT JOIN ${jsonEach(col(walk.alias, field.name))} AS ${q(je)}`);
      this.join(
        alias,
        `LEFT JOIN ${q(target.name)} AS ${q(alias)} ON ${this.on(target, alias, `${col(alias, 'id')} = ${col(je, 'value')}`)}`,
      );
      mmJoins.push(
        `LEFT JOIN ${jsonEach(col(walk.mmAlias, field.name))} AS ${q(mmJe)}`,
        `LEFT JOIN ${q(target.name)} AS ${q(mmAlias)} ON ${this.on(target, mmAlias, `${col(mmAlias, 'id')} = ${col(mmJe, 'value')}`)}`,
      );
    }
    return {
      ...walk,
      collection: target,
      alias,
      naming: alias,
      mmAlias,
      mmNaming: mmAlias,
      mmJoins,
      multi: walk.multi || multiple,
    };
  }

  /**
   * `<collection>_via_<field>`: the rows of another collection whose relation field points here.
   * Several rows can, unless the field is single and unique-indexed; undefined = NULL (@request.*).
   */
  #backRelation(walk: Walk, prop: string): Walk | undefined {
    const m = /^(\w+)_via_(\w+)$/.exec(prop);
    const missing = (message: string): undefined => {
      if (walk.nullifyMissing) return undefined;
      throw fail(message);
    };
    if (!m)
      return missing(`unknown field ${JSON.stringify(prop)} in ${JSON.stringify(walk.collection.name)}.`);
    const back = this.#schema.find(m[1]!);
    if (!back) return missing(`unknown collection ${JSON.stringify(m[1])} in ${JSON.stringify(prop)}.`);
    const field = findField(back, m[2]!);
    if (field?.type !== 'relation' || this.#schema.find(field.collectionId)?.id !== walk.collection.id) {
      return missing(
        `${JSON.stringify(prop)}: ${JSON.stringify(back.name)} has no relation field ${JSON.stringify(m[2])} to ${JSON.stringify(walk.collection.name)}.`,
      );
    }
    this.checkReadable({ ...walk, collection: back }, field);
    const multiple = isMultiple(field) || !hasSingleColumnUniqueIndex(back, field.name);
    const on = (alias: string, base: string): string =>
      isMultiple(field)
        ? `${col(base, 'id')} IN (SELECT ${col(`${alias}[]`, 'value')} FROM ${jsonEach(col(alias, field.name))} AS ${q(`${alias}[]`)})`
        : `${col(alias, field.name)} = ${col(base, 'id')}`;
    const alias = `${walk.naming}.${prop}`;
    const mmAlias = `${walk.mmNaming}.${prop}`;
    this.join(
      alias,
      `LEFT JOIN ${q(back.name)} AS ${q(alias)} ON ${this.on(back, alias, on(alias, walk.alias))}`,
    );
    const mmJoins = [
      ...walk.mmJoins,
      `LEFT JOIN ${q(back.name)} AS ${q(mmAlias)} ON ${this.on(back, mmAlias, on(mmAlias, walk.mmAlias))}`,
    ];
    return {
      ...walk,
      collection: back,
      alias,
      naming: alias,
      mmAlias,
      mmNaming: mmAlias,
      mmJoins,
      multi: walk.multi || multiple,
    };
  }

  /** `data.a.0.b` through a JSON field: json_extract, compared without COALESCE. */
  #jsonPath(walk: Walk, field: Field, rest: string[]): ResolvedIdentifier {
    const bad = rest.find((p) => !/^\w+$/.test(p));
    if (bad !== undefined)
      throw fail(`invalid JSON path segment ${JSON.stringify(bad)} (modifiers do not apply to JSON paths).`);
    const path = rest.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('');
    return this.#result(walk, {
      sql: jsonExtract(col(walk.alias, field.name), path),
      mmValue: jsonExtract(col(walk.mmAlias, field.name), path),
      noCoalesce: true,
    });
  }

  /** The last segment: a field of the current collection with an optional modifier. */
  lastProp(walk: Walk, prop: string): ResolvedIdentifier {
    const { name, modifier } = splitModifier(prop);
    const field = findField(walk.collection, name);
    if (!field) {
      if (walk.nullifyMissing) return { sql: 'NULL' };
      throw fail(`unknown field ${JSON.stringify(name)} in ${JSON.stringify(walk.collection.name)}.`);
    }
    this.checkReadable(walk, field);
    if (modifier === 'isset' || modifier === 'changed') {
      throw fail(`the :${modifier} modifier applies to @request.body fields only.`);
    }
    if ((modifier === 'each' || modifier === 'length') && !isMultiValuer(field)) {
      throw fail(
        `the :${modifier} modifier applies to select, file and relation fields, not ${JSON.stringify(name)}.`,
      );
    }
    const c = col(walk.alias, field.name);
    const mc = col(walk.mmAlias, field.name);
    if (modifier === 'length')
      return this.#result(walk, { sql: jsonArrayLength(c), mmValue: jsonArrayLength(mc) });
    // A multi-valued field on its own stands for each of its values (PocketBase's processLastProp):
    // `tags ?= "a"` is any value, `tags = "a"` every value.
    if (modifier === 'each' || (!modifier && isMultiple(field))) {
      const je = `${walk.naming}.${field.name}[]`;
      const mmJe = `${walk.mmNaming}.${field.name}[]`;
      this.join(je, `LEFT JOIN ${jsonEach(c)} AS ${q(je)}`);
      const next = { ...walk, multi: walk.multi || isMultiple(field) };
      if (next.multi) next.mmJoins = [...walk.mmJoins, `LEFT JOIN ${jsonEach(mc)} AS ${q(mmJe)}`];
      return this.#result(next, { sql: col(je, 'value'), mmValue: col(mmJe, 'value') });
    }
    let value = { sql: c, mmValue: mc, noCoalesce: false };
    if (field.type === 'json')
      value = { sql: jsonExtract(c, ''), mmValue: jsonExtract(mc, ''), noCoalesce: true };
    if (modifier === 'lower')
      value = { ...value, sql: `LOWER(${value.sql})`, mmValue: `LOWER(${value.mmValue})` };
    const result = this.#result(walk, value);
    // An auth record's email is only visible to filters when its owner made it public (as PocketBase).
    if (field.name === 'email' && walk.collection.type === 'auth' && !walk.allowHidden) {
      result.guard = `${col(walk.alias, 'emailVisibility')} = TRUE`;
    }
    return result;
  }

  #result(walk: Walk, value: { sql: string; mmValue: string; noCoalesce?: boolean }): ResolvedIdentifier {
    const result: ResolvedIdentifier = { sql: value.sql };
    if (value.noCoalesce) result.noCoalesce = true;
    if (walk.multi) {
      result.multiMatch = `SELECT ${value.mmValue} AS ${q('v')} FROM (SELECT 1) AS ${q(walk.mmRoot)} ${walk.mmJoins.join(' ')}`;
    }
    return result;
  }
}
