/**
 * Compiles a bound {@link Predicate} to a Kysely SQL expression over a table with an `owner`
 * column and an `attrs` JSON column (records, and the sync notices that share their layout). The
 * SQL keeps the evaluator's two-valued logic: every condition that could be NULL (an absent or
 * null field) is wrapped in `coalesce(…, false)`, so `not` is an exact complement, as in
 * JavaScript. SQLite reads attrs with `json_extract`/`json_each`, PostgreSQL with jsonb operators.
 */
import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import { encodeAttrString } from './attrs.js';
import type { Predicate, Target } from './predicate.js';

/** The columns a predicate reads, e.g. `sql.ref('r.owner')` and `sql.ref('r.attrs')`. */
export interface PredicateColumns {
  readonly owner: RawBuilder<unknown>;
  readonly attrs: RawBuilder<unknown>;
}

/**
 * Column references for the table or alias `table`.
 *
 * @example
 * ```ts
 * predicateSql(bound, columnsOf('records'), 'sqlite');
 * ```
 */
export function columnsOf(table: string): PredicateColumns {
  return { owner: sql.ref(`${table}.owner`), attrs: sql.ref(`${table}.attrs`) };
}

type Dialect = 'sqlite' | 'postgres';

const TRUE = sql<SqlBool>`(1 = 1)`;
const FALSE = sql<SqlBool>`(1 = 0)`;

/** The text of a field (strings encoded), or the owner. Field names are identifiers, never input. */
function textOf(t: Target, c: PredicateColumns, d: Dialect): RawBuilder<unknown> {
  if (t.kind === 'owner') return c.owner;
  return d === 'sqlite'
    ? sql`json_extract(${c.attrs}, ${sql.lit(`$.${t.name}`)})`
    : sql`(${c.attrs} ->> ${sql.lit(t.name)})`;
}

function numberOf(t: Target, c: PredicateColumns, d: Dialect): RawBuilder<unknown> {
  return d === 'sqlite' ? textOf(t, c, d) : sql`(${textOf(t, c, d)})::float8`;
}

function param(value: string | number | boolean, t: Target, d: Dialect): RawBuilder<unknown> {
  if (typeof value === 'string') {
    return t.kind === 'owner' ? sql`${value}` : sql`${encodeAttrString(value)}`;
  }
  if (typeof value === 'number') return d === 'postgres' ? sql`${value}::float8` : sql`${value}`;
  return sql`${value ? 1 : 0}`;
}

function twoValued(expr: RawBuilder<unknown>, t: Target): RawBuilder<SqlBool> {
  // The owner column is never NULL; a field may be absent or null.
  return t.kind === 'owner' ? sql<SqlBool>`(${expr})` : sql<SqlBool>`coalesce(${expr}, false)`;
}

function equals(
  t: Target,
  value: string | number | boolean,
  c: PredicateColumns,
  d: Dialect,
): RawBuilder<SqlBool> {
  // Owners are user ids, which never hold U+0000, and PostgreSQL cannot take it as a parameter.
  if (t.kind === 'owner' && typeof value === 'string' && value.includes('\u0000')) return FALSE;
  if (t.kind === 'field' && t.type === 'boolean') {
    const json = value ? 'true' : 'false';
    // Only a JSON true/false matches (SQLite's json_extract would turn them into 1/0).
    return d === 'sqlite'
      ? sql<SqlBool>`coalesce(json_type(${c.attrs}, ${sql.lit(`$.${t.name}`)}) = ${sql.lit(json)}, false)`
      : sql<SqlBool>`coalesce((${c.attrs} -> ${sql.lit(t.name)}) = ${sql.lit(json)}::jsonb, false)`;
  }
  const left = typeof value === 'number' ? numberOf(t, c, d) : textOf(t, c, d);
  return twoValued(sql`${left} = ${param(value, t, d)}`, t);
}

function compile(p: Predicate, c: PredicateColumns, d: Dialect): RawBuilder<SqlBool> {
  switch (p.k) {
    case 'const':
      return p.value ? TRUE : FALSE;
    case 'and':
    case 'or': {
      const parts = p.of.map((q) => compile(q, c, d));
      return sql<SqlBool>`(${sql.join(parts, p.k === 'and' ? sql` and ` : sql` or `)})`;
    }
    case 'not':
      return sql<SqlBool>`(not ${compile(p.of, c, d)})`;
    case 'eq':
      return equals(p.target, p.value, c, d);
    case 'null':
      return sql<SqlBool>`(${textOf(p.target, c, d)} is null)`;
    case 'in': {
      const t = p.target;
      if (p.values.length === 0) return FALSE;
      if (typeof p.values[0] === 'boolean' || p.values.length === 1) {
        return sql<SqlBool>`(${sql.join(
          p.values.map((v) => equals(t, v, c, d)),
          sql` or `,
        )})`;
      }
      if (t.kind === 'owner') {
        return sql<SqlBool>`(${sql.join(
          p.values.map((v) => equals(t, v, c, d)),
          sql` or `,
        )})`;
      }
      const numeric = typeof p.values[0] === 'number';
      const left = numeric ? numberOf(t, c, d) : textOf(t, c, d);
      const list = sql.join(p.values.map((v) => param(v, t, d)));
      return twoValued(sql`${left} in (${list})`, t);
    }
    case 'cmp': {
      const op = sql.raw(p.op);
      return twoValued(sql`${numberOf(p.target, c, d)} ${op} ${param(p.value, p.target, d)}`, p.target);
    }
    case 'has': {
      const t = p.target;
      if (t.kind === 'owner') return FALSE;
      const value = encodeAttrString(p.value);
      return d === 'sqlite'
        ? sql<SqlBool>`exists (select 1 from json_each(${c.attrs}, ${sql.lit(`$.${t.name}`)}) as je where je.type = 'text' and je.value = ${value})`
        : sql<SqlBool>`coalesce(jsonb_exists(${c.attrs} -> ${sql.lit(t.name)}, ${value}::text), false)`;
    }
  }
}

/**
 * The SQL form of a bound predicate.
 *
 * @example
 * ```ts
 * db.selectFrom('records').where(predicateSql(bound, columnsOf('records'), ctx.dialect));
 * ```
 */
export function predicateSql(p: Predicate, columns: PredicateColumns, dialect: Dialect): Expression<SqlBool> {
  return compile(p, columns, dialect);
}
