/**
 * Record keys: the index that lets a rule-filtered list or sync pull read only the records a
 * caller may see instead of scanning the collection. For each live record, every value of its
 * **key fields** (the string fields a read rule compares with `eq`, `in` or `contains`, the owner,
 * and the fields a collection declares in `indexes`) is one row of `record_keys`
 * `(collection, field, value, seq)`, kept in the write's transaction. A bound predicate yields a
 * {@link Cover}: a set of keys such that every record the predicate accepts holds one of them. The
 * database then reads those keys along `seq` (one index range each) and applies the full rule to
 * each record found, so the index can only narrow what is examined, never widen what is sent.
 * See docs/sync.md ("Indexes").
 */
import { createHash } from 'node:crypto';
import { encodeAttrString } from './attrs.js';
import type { Predicate } from './predicate.js';

/** The key field of the record's owner (system fields can never be declared, so no clash). */
export const OWNER_KEY = 'owner';

/** Longest key value stored as is; a longer one is stored as its SHA-256 (fits any B-tree). */
const MAX_PLAIN = 128;

/**
 * The stored form of a key value: the attribute encoding (no U+0000, which PostgreSQL text
 * cannot hold), prefixed `=`; or `#` and a SHA-256 when long. Equal strings, equal keys.
 *
 * @example
 * ```ts
 * keyValue('north'); // '=north'
 * ```
 */
export function keyValue(value: string): string {
  const encoded = encodeAttrString(value);
  if (encoded.length <= MAX_PLAIN) return `=${encoded}`;
  return `#${createHash('sha256').update(encoded).digest('base64url')}`;
}

/** One key of a record: a key field and one of its values (stored form). */
export interface RecordKey {
  readonly field: string;
  readonly value: string;
}

/**
 * The keys of one record: its owner (when `owner` is a key field) and every string value, or
 * string item of a list, of its key fields. Deduplicated.
 *
 * @example
 * ```ts
 * recordKeys('u1', { team: 'north', tags: ['a', 'a'] }, ['team', 'tags']); // team =north, tags =a
 * ```
 */
export function recordKeys(
  owner: string,
  record: Readonly<Record<string, unknown>>,
  fields: readonly string[],
): RecordKey[] {
  const out: RecordKey[] = [];
  for (const field of fields) {
    if (field === OWNER_KEY) {
      out.push({ field, value: keyValue(owner) });
      continue;
    }
    const v = Object.hasOwn(record, field) ? record[field] : undefined;
    if (typeof v === 'string') out.push({ field, value: keyValue(v) });
    else if (Array.isArray(v)) {
      const seen = new Set<string>();
      for (const item of v) {
        if (typeof item !== 'string') continue;
        const value = keyValue(item);
        if (seen.has(value)) continue;
        seen.add(value);
        out.push({ field, value });
      }
    }
  }
  return out;
}

/**
 * Keys one of which every accepted record holds, grouped by field; `undefined` when the predicate
 * cannot be served by the key fields (e.g. `true`, a numeric comparison, a `not`), an empty list
 * when it accepts nothing.
 */
export type Cover = readonly RecordKey[] | undefined;

function union(parts: readonly (readonly RecordKey[])[]): RecordKey[] {
  const seen = new Set<string>();
  const out: RecordKey[] = [];
  for (const part of parts) {
    for (const key of part) {
      const id = `${key.field}\u0000${key.value}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(key);
    }
  }
  return out;
}

/**
 * The cover of a bound predicate over the key fields `indexed`: `eq`/`in` of strings and
 * `contains` give their keys, `and` its narrowest served part, `or` the union of its parts when
 * every part is served. Anything else is not served.
 *
 * @example
 * ```ts
 * coverOf({ k: 'eq', target: { kind: 'owner' }, value: 'u1' }, new Set(['owner'])); // [{ field: 'owner', value: '=u1' }]
 * ```
 */
export function coverOf(p: Predicate, indexed: ReadonlySet<string>): Cover {
  switch (p.k) {
    case 'const':
      return p.value ? undefined : [];
    case 'eq':
    case 'in':
    case 'has': {
      const field = p.target.kind === 'owner' ? OWNER_KEY : p.target.name;
      if (!indexed.has(field)) return undefined;
      if (p.target.kind === 'field' && p.target.type === 'list' && p.k !== 'has') return undefined;
      const values = p.k === 'in' ? p.values : [p.value];
      if (!values.every((v): v is string => typeof v === 'string')) return undefined;
      return union([values.map((v) => ({ field, value: keyValue(v) }))]);
    }
    case 'and': {
      let best: RecordKey[] | undefined;
      for (const q of p.of) {
        const c = coverOf(q, indexed);
        if (c !== undefined && (best === undefined || c.length < best.length)) best = [...c];
      }
      return best;
    }
    case 'or': {
      const parts: RecordKey[][] = [];
      for (const q of p.of) {
        const c = coverOf(q, indexed);
        if (c === undefined) return undefined;
        parts.push([...c]);
      }
      return union(parts);
    }
    default:
      return undefined;
  }
}

/**
 * The predicate with its field constants in the attribute encoding, so that it can be evaluated
 * on a stored `attrs` object (whose strings are encoded) with the same result as on the record.
 *
 * @example
 * ```ts
 * evaluatePredicate(encodeConstants(bound), { owner, fields: attrs });
 * ```
 */
export function encodeConstants(p: Predicate): Predicate {
  switch (p.k) {
    case 'const':
    case 'null':
      return p;
    case 'and':
    case 'or':
      return { k: p.k, of: p.of.map(encodeConstants) };
    case 'not':
      return { k: 'not', of: encodeConstants(p.of) };
    case 'cmp':
      return p;
    case 'eq':
      return p.target.kind === 'field' && typeof p.value === 'string'
        ? { ...p, value: encodeAttrString(p.value) }
        : p;
    case 'in':
      return p.target.kind === 'field'
        ? { ...p, values: p.values.map((v) => (typeof v === 'string' ? encodeAttrString(v) : v)) }
        : p;
    case 'has':
      return p.target.kind === 'field' ? { ...p, value: encodeAttrString(p.value) } : p;
  }
}
