/**
 * The predicate a rule becomes once the caller's claims are bound: only conditions on record
 * values against constants, combined with and/or/not. It has two readers that must agree
 * exactly: `evaluatePredicate` (one record, in-process) and `predicateSql` (lists and sync). A
 * property test runs both on random rules, claims and records, on SQLite and PostgreSQL.
 */

/** Where a condition reads its value: the owner column, or a declared top-level field. */
export type Target =
  | { readonly kind: 'owner' }
  | {
      readonly kind: 'field';
      readonly name: string;
      readonly type: 'string' | 'number' | 'boolean' | 'list';
    };

/**
 * A bound rule. Semantics (two-valued): `eq` is true when the value has the constant's type and
 * is equal to it; `null` when the value is absent or null; `in` when `eq` holds for one of the
 * values; `cmp` when the value is a number and the comparison holds; `has` when the value is an
 * array that holds the string. Everything else is false; `not` is the complement.
 *
 * @example
 * ```ts
 * const p: Predicate = { k: 'eq', target: { kind: 'owner' }, value: 'u1' };
 * ```
 */
export type Predicate =
  | { readonly k: 'const'; readonly value: boolean }
  | { readonly k: 'and'; readonly of: readonly Predicate[] }
  | { readonly k: 'or'; readonly of: readonly Predicate[] }
  | { readonly k: 'not'; readonly of: Predicate }
  | { readonly k: 'eq'; readonly target: Target; readonly value: string | number | boolean }
  | { readonly k: 'null'; readonly target: Target }
  | { readonly k: 'in'; readonly target: Target; readonly values: readonly (string | number | boolean)[] }
  | {
      readonly k: 'cmp';
      readonly target: Target;
      readonly op: '<' | '<=' | '>' | '>=';
      readonly value: number;
    }
  | { readonly k: 'has'; readonly target: Target; readonly value: string };

/** The values a predicate reads: the record's owner and its (full, server-side) fields. */
export interface PredicateInput {
  readonly owner: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

function read(target: Target, input: PredicateInput): unknown {
  if (target.kind === 'owner') return input.owner;
  // Own keys only: a name can never reach a prototype member.
  return Object.hasOwn(input.fields, target.name) ? input.fields[target.name] : undefined;
}

function same(value: unknown, constant: string | number | boolean): boolean {
  return typeof value === typeof constant && value === constant;
}

/**
 * Evaluates a bound rule on one record.
 *
 * @example
 * ```ts
 * if (!evaluatePredicate(bound, { owner: row.owner, fields: record })) throw notFound();
 * ```
 */
export function evaluatePredicate(p: Predicate, input: PredicateInput): boolean {
  switch (p.k) {
    case 'const':
      return p.value;
    case 'and':
      return p.of.every((q) => evaluatePredicate(q, input));
    case 'or':
      return p.of.some((q) => evaluatePredicate(q, input));
    case 'not':
      return !evaluatePredicate(p.of, input);
    case 'eq':
      return same(read(p.target, input), p.value);
    case 'null': {
      const v = read(p.target, input);
      return v === null || v === undefined;
    }
    case 'in': {
      const v = read(p.target, input);
      return p.values.some((c) => same(v, c));
    }
    case 'cmp': {
      const v = read(p.target, input);
      if (typeof v !== 'number') return false;
      switch (p.op) {
        case '<':
          return v < p.value;
        case '<=':
          return v <= p.value;
        case '>':
          return v > p.value;
        case '>=':
          return v >= p.value;
      }
      return false;
    }
    case 'has': {
      const v = read(p.target, input);
      return Array.isArray(v) && v.some((item) => item === p.value);
    }
  }
}

/**
 * Simplifies constants away (`x and false` is `false`, `not true` is `false`), so that a rule
 * decided by the claims alone never reaches SQL and an empty `in` list is a plain `false`.
 *
 * @example
 * ```ts
 * simplify({ k: 'or', of: [{ k: 'const', value: true }, p] }); // { k: 'const', value: true }
 * ```
 */
export function simplify(p: Predicate): Predicate {
  switch (p.k) {
    case 'and':
    case 'or': {
      const absorbing = p.k === 'or';
      const kept: Predicate[] = [];
      for (const q of p.of.map(simplify)) {
        if (q.k === 'const') {
          if (q.value === absorbing) return q;
          continue;
        }
        kept.push(q);
      }
      if (kept.length === 0) return { k: 'const', value: !absorbing };
      if (kept.length === 1) return kept[0] as Predicate;
      return { k: p.k, of: kept };
    }
    case 'not': {
      const inner = simplify(p.of);
      if (inner.k === 'const') return { k: 'const', value: !inner.value };
      if (inner.k === 'not') return inner.of;
      return { k: 'not', of: inner };
    }
    case 'in':
      return p.values.length === 0 ? { k: 'const', value: false } : p;
    default:
      return p;
  }
}

/**
 * The names of the fields a predicate reads (not `owner`).
 *
 * @example
 * ```ts
 * fieldsOf(bound); // ['team', 'inspector']
 * ```
 */
export function fieldsOf(p: Predicate, into: Set<string> = new Set()): Set<string> {
  switch (p.k) {
    case 'and':
    case 'or':
      for (const q of p.of) fieldsOf(q, into);
      break;
    case 'not':
      fieldsOf(p.of, into);
      break;
    case 'const':
      break;
    default:
      if (p.target.kind === 'field') into.add(p.target.name);
  }
  return into;
}
