/**
 * The rule language: declarative read and write rules over record fields and user claims, written
 * as plain data in `bulwark.config.ts`. A rule is also a filter: the same value is compiled to SQL
 * for lists and sync and evaluated in-process for single records (docs/rules.md).
 */

/**
 * What the server knows about the caller when it applies a rule.
 *
 * @example
 * ```ts
 * const claims: Claims = { userId: 'u1', username: 'alice', role: 'user', teams: ['north'] };
 * ```
 */
export interface Claims {
  readonly userId: string;
  readonly username: string;
  readonly role: string;
  /** Teams the user belongs to (admin routes `/admin/users/:userId/teams`). */
  readonly teams: readonly string[];
}

/**
 * A claim of the caller used as a value: `userId`, `username` and `role` are strings, `teams` a list.
 *
 * @example
 * ```ts
 * const mine: Rule = { field: 'inspector', eq: { claim: 'userId' } };
 * ```
 */
export interface ClaimRef {
  readonly claim: 'userId' | 'username' | 'role' | 'teams';
}

/**
 * A constant in a rule.
 *
 * @example
 * ```ts
 * const open: Rule = { field: 'status', eq: 'open' satisfies Literal };
 * ```
 */
export type Literal = string | number | boolean;

/**
 * A condition on one field of the record: `owner` (the user who created it) or a top-level
 * declared field. Exactly one operator:
 * - `eq` / `ne`: equal / not equal to a literal, `null` (absent or null) or a claim;
 * - `in`: one of a list of literals, or of the caller's `teams`;
 * - `lt`, `lte`, `gt`, `gte`: numeric comparisons (number and integer fields);
 * - `contains`: an array-of-strings field holds the value (a literal or a claim).
 *
 * @example
 * ```ts
 * const rule: FieldCondition = { field: 'team', in: { claim: 'teams' } };
 * ```
 */
export interface FieldCondition<F extends string = string> {
  readonly field: F | 'owner';
  readonly eq?: Literal | null | ClaimRef;
  readonly ne?: Literal | null | ClaimRef;
  readonly in?: readonly Literal[] | ClaimRef;
  readonly lt?: number;
  readonly lte?: number;
  readonly gt?: number;
  readonly gte?: number;
  readonly contains?: string | ClaimRef;
}

/**
 * A condition on the caller only (`role` is `admin`, the user is in team `audit`). It does not
 * depend on the record, so it is decided before any SQL runs.
 *
 * @example
 * ```ts
 * const admins: Rule = { claim: 'role', eq: 'admin' };
 * const auditors: Rule = { claim: 'teams', contains: 'audit' };
 * ```
 */
export interface ClaimCondition {
  readonly claim: 'userId' | 'username' | 'role' | 'teams';
  readonly eq?: string;
  readonly ne?: string;
  readonly in?: readonly string[];
  readonly contains?: string;
}

/**
 * A rule: `true` (everyone), `false` (no one), a condition, or a combination with `all` (and),
 * `any` (or) and `not`. Logic is two-valued: a condition on an absent or null field is false,
 * and `not` is its exact complement.
 *
 * @example
 * ```ts
 * const read: Rule = {
 *   any: [
 *     { field: 'owner', eq: { claim: 'userId' } },
 *     { field: 'team', in: { claim: 'teams' } },
 *     { claim: 'role', eq: 'admin' },
 *   ],
 * };
 * ```
 */
export type Rule<F extends string = string> =
  | boolean
  | { readonly all: readonly Rule<F>[] }
  | { readonly any: readonly Rule<F>[] }
  | { readonly not: Rule<F> }
  | FieldCondition<F>
  | ClaimCondition;
