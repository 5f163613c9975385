import { type Collection, findField, isMultiple, type Schema } from '../collections/collection.model';
import {
  compileFilter,
  FilterError,
  type FieldResolver,
  type ResolvedIdentifier,
  uniqueAlias,
} from '../lib/filter';
import { quoteIdent as q, type SqlParams } from '../lib/sql';
import { bodyValue, changedExpr, extractPath, NULL_SQL, staticValue } from './record.resolver.request';
import { col, isMultiValuer, PathWalker, splitModifier, type Walk } from './record.resolver.walk';
import { toList } from './record.values';
import type { RequestInfo } from './request-info';

/**
 * The schema-aware resolver for record filters, rules and sorts (PocketBase's
 * core/record_field_resolver.go): own fields, relation paths, back-relations, `@request.*`,
 * `@collection.*` and the `:each :length :lower :isset :changed` modifiers.
 */

export interface ResolverContext {
  schema: Schema;
  collection: Collection;
  /** The alias of the base row in the outer query (the caller writes `FROM "posts" AS <alias>` or, for a create rule, `FROM (SELECT :p0 AS "id", ...) AS <alias>`). */
  alias: string;
  request: RequestInfo;
  params: SqlParams;
  /** Rules may read hidden fields; a client's ?filter= / ?sort= may not unless a superuser. */
  allowHiddenFields: boolean;
}

/** PocketBase's MaxSortFieldsLimit. */
export const MAX_SORT_FIELDS = 8;

const fail = (message: string): FilterError => new FilterError(`Invalid filter: ${message}`);

class RecordFieldResolver implements FieldResolver {
  readonly #ctx: ResolverContext;
  readonly #walker: PathWalker;
  /** Alias prefixes unique in the query, so a rule and a ?filter= can share it. */
  readonly #naming: string;
  readonly #mmRoot: string;
  readonly #collectionAliases = new Map<string, string>();
  /** Per collection: the ids its list rule shows (#visibleIds), compiled once per query. */
  readonly #visible = new Map<string, string | null>();

  constructor(ctx: ResolverContext) {
    this.#ctx = ctx;
    // A client's filter or sort (hidden fields refused) sees through a relation only the rows the
    // related collection's list rule shows it. PocketBase lets such a walk read any related row,
    // which turns any record one may list into an oracle over rows one may not (a share's
    // `note.owner.notes_via_owner.id ~ "a%"` names the owner's other notes letter by letter).
    // Rules themselves are the admin's, and walk freely.
    this.#walker = new PathWalker(
      ctx.schema,
      ctx.allowHiddenFields ? undefined : (target, alias) => this.#visibleRows(target, alias),
    );
    this.#naming = uniqueAlias(ctx.params, `${ctx.alias}_j`);
    this.#mmRoot = uniqueAlias(ctx.params, '__mm');
  }

  joins(): string[] {
    return this.#walker.joins();
  }

  resolve(identifier: string): ResolvedIdentifier {
    const props = identifier.split('.');
    if (props[0] === '@collection') return this.#collectionField(props);
    if (props[0] === '@request') return this.#requestField(identifier, props);
    if (identifier.startsWith('@')) throw fail(`unknown identifier ${JSON.stringify(identifier)}.`);
    return this.#walker.walk(this.#walkFrom(this.#ctx.collection, this.#ctx.alias, this.#naming), props);
  }

  /** A walk starting at a row of the outer query (`alias`), its multi-match twin named `mmNaming`. */
  #walkFrom(
    collection: Collection,
    alias: string,
    naming: string,
    mmNaming = this.#mmRoot,
    mmAlias = this.#ctx.alias,
  ): Walk {
    return {
      collection,
      alias,
      naming,
      mmRoot: this.#mmRoot,
      mmAlias,
      mmNaming,
      mmJoins: [],
      multi: false,
      allowHidden: this.#ctx.allowHiddenFields,
      nullifyMissing: false,
    };
  }

  /**
   * What makes a joined row of `target` at `alias` visible to a client's filter: its id is among
   * the rows the target's list rule shows. The rule never refers to the outer row, so the subquery
   * is not correlated: SQLite runs it once per statement, not once per joined row (a correlated
   * EXISTS let a long filter of deep back-relations take seconds). Compiled once per collection.
   * Locked → nothing; a rule that no longer compiles → nothing.
   */
  #visibleRows(target: Collection, alias: string): string | null {
    const rows = this.#visibleIds(target);
    return rows === null ? null : rows === '' ? 'FALSE' : `${col(alias, 'id')} IN (${rows})`;
  }

  /** The SELECT of the ids a list rule shows; null when every row; '' when none. */
  #visibleIds(target: Collection): string | null {
    if (this.#visible.has(target.id)) return this.#visible.get(target.id)!;
    const rule = target.listRule;
    let sql: string | null = '';
    if (rule !== null && rule.trim() === '') sql = null;
    else if (rule !== null) {
      const row = uniqueAlias(this.#ctx.params, '__v');
      try {
        const { where, joins } = compileRecordFilter(rule, {
          ...this.#ctx,
          collection: target,
          alias: row,
          allowHiddenFields: true,
        });
        const joined = joins.length > 0 ? ` ${joins.join(' ')}` : '';
        sql = `SELECT ${col(row, 'id')} FROM ${q(target.name)} AS ${q(row)}${joined} WHERE ${where}`;
      } catch (err) {
        if (!(err instanceof FilterError)) throw err;
      }
    }
    this.#visible.set(target.id, sql);
    return sql;
  }

  /**
   * A table joined to both queries with `on(alias)`; the walk continues from it. `own` marks the
   * requester's own record, which is always visible to them.
   */
  #joinedWalk(
    collection: Collection,
    key: string,
    on: (alias: string) => string,
    multi: boolean,
    own = false,
  ): Walk {
    const alias = `${this.#naming}${key}`;
    const mmAlias = `${this.#mmRoot}${key}`;
    const join = (a: string): string => {
      const cond = own ? on(a) : this.#walker.on(collection, a, on(a) || 'TRUE');
      return `LEFT JOIN ${q(collection.name)} AS ${q(a)}${cond ? ` ON ${cond}` : ''}`;
    };
    this.#walker.join(alias, join(alias));
    return { ...this.#walkFrom(collection, alias, alias, mmAlias, mmAlias), mmJoins: [join(mmAlias)], multi };
  }

  /** `@collection.<name>[:alias].<path>`: every row of another collection; one join per alias. */
  #collectionField(props: string[]): ResolvedIdentifier {
    if (props.length < 3)
      throw fail('@collection needs a collection and a field, e.g. @collection.posts.title.');
    const [name, alias, ...extra] = props[1]!.split(':') as [string, string | undefined];
    if (extra.length > 0 || alias === '') throw fail(`invalid @collection name ${JSON.stringify(props[1])}.`);
    const collection = this.#walker.collection(name);
    if (alias !== undefined) {
      const taken = this.#collectionAliases.get(alias);
      if (taken && taken !== collection.id)
        throw fail(`the @collection alias ${JSON.stringify(alias)} is used for two collections.`);
      this.#collectionAliases.set(alias, collection.id);
    }
    const key = alias !== undefined ? `@@${alias}` : `@${collection.name}`;
    return this.#walker.walk(
      this.#joinedWalk(collection, key, () => '', true),
      props.slice(2),
    );
  }

  #requestField(identifier: string, props: string[]): ResolvedIdentifier {
    const { request, params } = this.#ctx;
    const [, section, ...rest] = props as [string, string | undefined, ...string[]];
    if (section === undefined) throw fail(`incomplete identifier ${JSON.stringify(identifier)}.`);
    if (rest.length === 0 && (section === 'method' || section === 'context'))
      return staticValue(params, request[section]);
    if (rest.length > 0 && (section === 'query' || section === 'headers'))
      return this.#static(request[section], rest, identifier);
    if (rest.length > 0 && section === 'body') return this.#bodyField(rest, identifier);
    if (rest.length > 0 && section === 'auth') return this.#authField(rest, identifier);
    throw fail(
      `unknown identifier ${JSON.stringify(identifier)} (use @request.auth.*, .body.*, .query.*, .headers.*, .method or .context).`,
    );
  }

  /** A value from the request itself, `:isset` and `:lower` allowed; missing → NULL. */
  #static(
    root: unknown,
    keys: string[],
    identifier: string,
    convert = (v: unknown): unknown => v,
  ): ResolvedIdentifier {
    const { name, modifier } = splitModifier(keys[keys.length - 1]!);
    const { found, value } = extractPath(root, [...keys.slice(0, -1), name]);
    if (modifier === 'isset') return { sql: found ? 'TRUE' : 'FALSE' };
    if (modifier && modifier !== 'lower')
      throw fail(`the :${modifier} modifier does not apply to ${JSON.stringify(identifier)}.`);
    return staticValue(this.#ctx.params, found ? convert(value) : null, modifier === 'lower');
  }

  /** A submitted list as a json_each join, multi-valued when the field is. */
  #listJoin(key: string, field: Parameters<typeof isMultiple>[0], items: unknown[]): ResolvedIdentifier {
    const p = this.#ctx.params.add(JSON.stringify(items));
    const alias = `${this.#naming}${key}[]`;
    this.#walker.join(alias, `LEFT JOIN json_each(${p}) AS ${q(alias)}`);
    const result: ResolvedIdentifier = { sql: col(alias, 'value') };
    if (isMultiple(field))
      result.multiMatch = `SELECT ${col('je', 'value')} AS ${q('v')} FROM json_each(${p}) AS ${q('je')}`;
    return result;
  }

  #bodyField(rest: string[], identifier: string): ResolvedIdentifier {
    const { collection, request, params } = this.#ctx;
    const { name, modifier } = splitModifier(rest[0]!);
    const field = findField(collection, name);
    if (field?.type === 'relation' && rest.length > 1) {
      if (modifier) throw fail(`a modifier cannot be followed by a path in ${JSON.stringify(identifier)}.`);
      const ids = [...new Set(toList(request.body[name]).filter((v) => typeof v === 'string' && v !== ''))];
      if (ids.length === 0) return NULL_SQL;
      const target = this.#walker.collection(field.collectionId);
      const p = params.add(JSON.stringify(ids));
      const walk = this.#joinedWalk(
        target,
        `@body.${name}`,
        (a) => `${col(a, 'id')} IN (SELECT value FROM json_each(${p}))`,
        isMultiple(field),
      );
      return this.#walker.walk({ ...walk, nullifyMissing: true }, rest.slice(1));
    }
    if (field && rest.length === 1 && (modifier === 'each' || modifier === 'length')) {
      if (!isMultiValuer(field))
        throw fail(
          `the :${modifier} modifier applies to select, file and relation fields, not ${JSON.stringify(name)}.`,
        );
      const items = toList(request.body[name]);
      if (modifier === 'length') return staticValue(params, items.length);
      return this.#listJoin(`@body.${name}`, field, items);
    }
    if (modifier === 'changed') {
      if (!field || rest.length > 1)
        throw fail(`:changed applies to fields of ${JSON.stringify(collection.name)} only.`);
      return changedExpr(params, field, request.body, col(this.#ctx.alias, field.name));
    }
    return this.#static(request.body, rest, identifier, (v) => (rest.length === 1 ? bodyValue(field, v) : v));
  }

  /** `@request.auth.*`: the signed-in record's own values are bound; paths join its table. Guests: NULL. */
  #authField(rest: string[], identifier: string): ResolvedIdentifier {
    const auth = this.#ctx.request.auth;
    if (!auth) return NULL_SQL;
    const { params } = this.#ctx;
    const { name, modifier } = splitModifier(rest[0]!);
    // The requester may always read their own record's fields, hidden ones included (as PocketBase).
    const own: Walk = { ...this.#walkFrom(auth.collection, '', ''), allowHidden: true };
    if (rest.length === 1) {
      if (name === 'collectionId' || name === 'collectionName') {
        if (modifier && modifier !== 'lower')
          throw fail(`the :${modifier} modifier does not apply to ${JSON.stringify(identifier)}.`);
        return staticValue(
          params,
          name === 'collectionId' ? auth.collection.id : auth.collection.name,
          modifier === 'lower',
        );
      }
      const field = findField(auth.collection, name);
      if (!field) return NULL_SQL;
      this.#walker.checkReadable(own, field);
      const value = auth.record[field.name];
      if (modifier === 'each' || modifier === 'length') {
        if (!isMultiValuer(field))
          throw fail(
            `the :${modifier} modifier applies to select, file and relation fields, not ${JSON.stringify(name)}.`,
          );
        const items = toList(value);
        return modifier === 'length'
          ? staticValue(params, items.length)
          : this.#listJoin(`@auth.${name}`, field, items);
      }
      if (modifier && modifier !== 'lower')
        throw fail(`the :${modifier} modifier does not apply to ${JSON.stringify(identifier)}.`);
      return staticValue(params, value, modifier === 'lower');
    }
    const p = params.add(String(auth.record['id'] ?? ''));
    const walk = this.#joinedWalk(auth.collection, '@auth', (a) => `${col(a, 'id')} = ${p}`, false, true);
    const first = findField(auth.collection, name);
    if (first) this.#walker.checkReadable(own, first);
    if (
      first?.type === 'relation' &&
      !modifier &&
      !(rest.length === 2 && rest[1] === 'id' && !isMultiple(first))
    ) {
      // One hop from the own record; what lies beyond is another record, so hidden fields stay hidden.
      const next = this.#walker.relationHop({ ...walk, allowHidden: true }, first);
      return this.#walker.walk(
        { ...next, allowHidden: this.#ctx.allowHiddenFields, nullifyMissing: true },
        rest.slice(1),
      );
    }
    return this.#walker.walk(
      { ...walk, allowHidden: first !== undefined || this.#ctx.allowHiddenFields, nullifyMissing: true },
      rest,
    );
  }
}

/** Compiles a rule or ?filter= into a WHERE fragment plus any LEFT JOINs it needs (the caller adds `SELECT DISTINCT` when joins are present). */
export function compileRecordFilter(
  filter: string,
  ctx: ResolverContext,
): { where: string; joins: string[] } {
  const resolver = new RecordFieldResolver(ctx);
  const where = compileFilter(filter, resolver, ctx.params);
  return { where, joins: resolver.joins() };
}

const SORT_FIELD = /^@?\w+(?:[.:]\w+)*$/;

/** `?sort=` (≤ 8 comma-separated fields, `-field` descending, `@random`, `@rowid`, relation paths like `author.name`) → ORDER BY body plus joins. */
export function compileRecordSort(sort: string, ctx: ResolverContext): { orderBy: string; joins: string[] } {
  const resolver = new RecordFieldResolver(ctx);
  const items = sort
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length > MAX_SORT_FIELDS)
    throw new FilterError(`Invalid sort: more than ${MAX_SORT_FIELDS} fields.`);
  const terms = items.map((item) => {
    const desc = item.startsWith('-');
    const name = desc || item.startsWith('+') ? item.slice(1) : item;
    const dir = desc ? 'DESC' : 'ASC';
    if (name === '@random') return 'RANDOM()';
    if (name === '@rowid') {
      // Views have no rowid; their stable order is the id.
      return `${col(ctx.alias, ctx.collection.type === 'view' ? 'id' : '_rowid_')} ${dir}`;
    }
    if (!SORT_FIELD.test(name))
      throw new FilterError(`Invalid sort: ${JSON.stringify(item)} is not a field.`);
    try {
      const resolved = resolver.resolve(name);
      // A guarded value (an auth record's email) sorts as unknown where the guard hides it, so the
      // order reveals nothing the filter could not.
      const sql = resolved.guard ? `CASE WHEN ${resolved.guard} THEN ${resolved.sql} END` : resolved.sql;
      return `${sql} ${dir}`;
    } catch (e) {
      if (e instanceof FilterError)
        throw new FilterError(e.message.replace(/^Invalid filter:/, 'Invalid sort:'));
      throw e;
    }
  });
  return { orderBy: terms.join(', '), joins: resolver.joins() };
}
