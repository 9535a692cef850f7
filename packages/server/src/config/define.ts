/**
 * The shape of `bulwark.config.ts`: the app's schema (from `@bulwark/core/schema`), and per
 * collection its read and write rules and its business hooks. docs/rules.md explains rules and
 * hooks; docs/api.md and docs/sync.md the routes they drive.
 */
import type { AnyCollection, Schema } from '@bulwark/core/schema';
import type { Seed } from '../data/seed.js';
import type { Claims, Rule } from '../rules/rule.js';

/**
 * Read and write rules of a collection. Unset rules default to "the owner only":
 * `read` to `{ field: 'owner', eq: { claim: 'userId' } }`, `create`, `update` and `delete` to
 * `write`, and `write` to the same owner rule.
 * - `read`: which records a caller may see (get, list, sync pull); others answer 404.
 * - `create`: must hold for the new record.
 * - `update`: must hold for the stored record and for the result.
 * - `delete`: must hold for the stored record.
 *
 * @example
 * ```ts
 * const rules: CollectionRules<'team'> = { read: { field: 'team', in: { claim: 'teams' } }, write: false };
 * ```
 */
export interface CollectionRules<F extends string = string> {
  readonly read?: Rule<F>;
  readonly write?: Rule<F>;
  readonly create?: Rule<F>;
  readonly update?: Rule<F>;
  readonly delete?: Rule<F>;
}

/**
 * The caller as hooks see it.
 *
 * @example
 * ```ts
 * const isAdmin = (user: HookUser) => user.role === 'admin';
 * ```
 */
export interface HookUser extends Claims {
  readonly deviceId: string;
}

/**
 * A per-field reason a hook gives for refusing a write; `path` is a JSON pointer (`/site`).
 *
 * @example
 * ```ts
 * const issue: HookIssue = { path: '/dueAt', code: 'in_the_past', message: 'must be in the future' };
 * ```
 */
export interface HookIssue {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/**
 * What `beforeWrite` receives. `record` is the full record about to be stored: the client's
 * validated fields plus, on update, the serverOnly fields of the stored version.
 *
 * @example
 * ```ts
 * const beforeWrite = (e: WriteEvent) => (e.op === 'create' ? { record: { ...e.record, riskScore: 0 } } : undefined);
 * ```
 */
export interface WriteEvent {
  readonly collection: string;
  readonly op: 'create' | 'update';
  readonly id: string;
  readonly record: Readonly<Record<string, unknown>>;
  /** The stored version (full, serverOnly included) on update. */
  readonly previous: Readonly<Record<string, unknown>> | undefined;
  readonly user: HookUser;
  /** The server clock. */
  readonly now: Date;
}

/**
 * A hook's answer: nothing (store the record as it is), a replacement record (e.g. with computed
 * serverOnly fields; it is validated again, as server data), or issues (the write is refused with
 * 422 `validation_failed`, or `rejected` in a sync push).
 *
 * @example
 * ```ts
 * const refuse: WriteDecision = { issues: [{ path: '/site', code: 'site_closed', message: 'this site is closed' }] };
 * ```
 */
export type WriteDecision =
  | { readonly record: Readonly<Record<string, unknown>> }
  | { readonly issues: readonly HookIssue[] }
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook may end without a return statement.
  | void;

/**
 * A `beforeDelete` hook's answer: nothing (delete), or issues (refuse with 422 `validation_failed`).
 *
 * @example
 * ```ts
 * const keep: DeleteDecision = { issues: [{ path: '/', code: 'locked', message: 'locked records stay' }] };
 * ```
 */
export type DeleteDecision =
  | { readonly issues: readonly HookIssue[] }
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook may end without a return statement.
  | void;

/**
 * What `beforeDelete` receives.
 *
 * @example
 * ```ts
 * const beforeDelete = (e: DeleteEvent) => (e.previous.locked ? { issues: [] } : undefined);
 * ```
 */
export interface DeleteEvent {
  readonly collection: string;
  readonly id: string;
  readonly previous: Readonly<Record<string, unknown>>;
  readonly user: HookUser;
  readonly now: Date;
}

/**
 * Business hooks of a collection. They run after the schema validation and the rules and before
 * the write is stored (an update's hook runs while the stored record is locked); they are for
 * business validation and computed fields, never the only line of defence (the rules are). A
 * hook that throws fails the request with 500 `internal_error`.
 *
 * @example
 * ```ts
 * const hooks: CollectionHooks = { beforeWrite: (e) => ({ record: { ...e.record, riskScore: score(e.record) } }) };
 * ```
 */
export interface CollectionHooks {
  beforeWrite?(event: WriteEvent): WriteDecision | Promise<WriteDecision>;
  beforeDelete?(event: DeleteEvent): DeleteDecision | Promise<DeleteDecision>;
}

/**
 * Rules and hooks of one collection.
 *
 * @example
 * ```ts
 * const notes: CollectionConfig<'text'> = { rules: { read: true, write: { field: 'owner', eq: { claim: 'userId' } } } };
 * ```
 */
export interface CollectionConfig<F extends string = string> {
  readonly rules?: CollectionRules<F>;
  readonly hooks?: CollectionHooks;
  /**
   * Fields to index for list filters (`?filter=`), beyond those the read rule compares, which
   * are always indexed (docs/sync.md, "Indexes"): top-level string, enum, date-time or
   * string-list fields.
   */
  readonly indexes?: readonly F[];
}

/**
 * Sync settings.
 *
 * @example
 * ```ts
 * const sync: SyncOptions = { maxPageSize: 500 };
 * ```
 */
export interface SyncOptions {
  /** Changes per pull page when the client asks for none; default 200. */
  readonly defaultPageSize?: number;
  /** Largest page a client may ask for; default 1,000. */
  readonly maxPageSize?: number;
  /** Most mutations in one push; default 200. */
  readonly maxPushMutations?: number;
  /** How long a push's answer is kept for retries with the same mutation id; default 7 days. */
  readonly mutationRetentionSeconds?: number;
}

type FieldNames<C> = C extends AnyCollection ? Extract<keyof C['fields'], string> : never;

/**
 * The default export of `bulwark.config.ts`.
 *
 * @example
 * ```ts
 * export default {
 *   schema,
 *   collections: { inspections: { rules: { read: { field: 'team', in: { claim: 'teams' } } } } },
 * } satisfies BulwarkConfig<typeof schema>;
 * ```
 */
export interface BulwarkConfig<S extends Schema = Schema> {
  readonly schema: S;
  readonly collections?: {
    readonly [C in S['list'][number] as C['name']]?: CollectionConfig<FieldNames<C>>;
  };
  readonly sync?: SyncOptions;
  /**
   * Fills a new installation (a demo, a test bed): run once, on the first start of a database,
   * right after the first admin is created; never again. docs/operations.md#seeding.
   */
  readonly seed?: Seed;
}

/**
 * Types a configuration object (an identity function that checks field names in rules).
 *
 * @example
 * ```ts
 * export default defineConfig({ schema, collections: { notes: { rules: { read: true } } } });
 * ```
 */
export function defineConfig<S extends Schema>(config: BulwarkConfig<S>): BulwarkConfig<S> {
  return config;
}
