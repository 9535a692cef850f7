/**
 * The device policy admins edit from the console, kept in the database so that every node
 * applies the same one. Until an admin saves one, the policy of the configuration
 * (`devicePolicy` of the server options) applies. Sign-in and refresh read it through
 * {@link DevicePolicyStore.options}; each node keeps what it read for a few seconds
 * ({@link POLICY_CACHE_MS}), so a change made on another node applies there within that time,
 * and on the node that saved it at once. A device receives the new settings in its signed
 * policy on its next refresh (docs/api.md#device-policy).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import {
  DEFAULT_SETTINGS,
  type DevicePolicyOptions,
  type DeviceSettings,
  type PolicyAction,
} from './policy.js';

/** The editable policy, every field resolved. */
export interface AdminPolicy {
  readonly rooted: PolicyAction;
  readonly emulator: PolicyAction;
  readonly screenLockMissing: PolicyAction;
  /** Lowest accepted app version (dotted numbers); none when absent. */
  readonly minAppVersion?: string;
  readonly appVersionTooOld: PolicyAction;
  readonly settings: DeviceSettings;
}

/** The policy and who saved it last (absent while the configured defaults apply). */
export interface StoredPolicy {
  readonly policy: AdminPolicy;
  readonly updatedAt?: string;
  readonly updatedBy?: string;
}

/** How long a node reuses the policy it read (milliseconds of the server clock). */
export const POLICY_CACHE_MS = 5_000;

/** Limits of the settings an admin can set (the route schema and docs/api.md use them). */
export const SETTING_BOUNDS = {
  lockTimeoutSeconds: { minimum: 0, maximum: 86_400 },
  failedUnlockLimit: { minimum: 1, maximum: 100 },
  offlineGraceSeconds: { minimum: 300, maximum: 365 * 86_400 },
} as const;

/** Dotted numeric version, 1 to 4 parts (`2`, `2.4`, `2.4.0`, `2.4.0.17`). */
export const VERSION_PATTERN = '^[0-9]{1,9}(\\.[0-9]{1,9}){0,3}$';

/**
 * The configured policy as an {@link AdminPolicy}: what applies before an admin saves one.
 *
 * @example
 * ```ts
 * policyFromOptions({ rooted: 'warn' }).screenLockMissing; // 'refuse'
 * ```
 */
export function policyFromOptions(options: DevicePolicyOptions): AdminPolicy {
  return {
    rooted: options.rooted ?? 'refuse',
    emulator: options.emulator ?? 'warn',
    screenLockMissing: options.screenLockMissing ?? 'refuse',
    ...(options.minAppVersion === undefined ? {} : { minAppVersion: options.minAppVersion }),
    appVersionTooOld: options.appVersionTooOld ?? 'refuse',
    settings: { ...DEFAULT_SETTINGS, ...options.settings },
  };
}

/** Reads and saves the device policy. */
export class DevicePolicyStore {
  readonly #db: Kysely<Database>;
  readonly #defaults: DevicePolicyOptions;
  readonly #now: () => Date;
  readonly #dialect: 'sqlite' | 'postgres';
  #cached: { readonly value: StoredPolicy; readonly until: number } | undefined;

  constructor(
    db: Kysely<Database>,
    defaults: DevicePolicyOptions,
    now: () => Date,
    dialect: 'sqlite' | 'postgres' = 'sqlite',
  ) {
    this.#db = db;
    this.#dialect = dialect;
    this.#defaults = defaults;
    this.#now = now;
  }

  /**
   * The policy in force (from the cache when it is fresh).
   *
   * @example
   * ```ts
   * const { policy, updatedAt } = await store.current();
   * ```
   */
  async current(): Promise<StoredPolicy> {
    const nowMs = this.#now().getTime();
    if (
      this.#cached !== undefined &&
      nowMs < this.#cached.until &&
      nowMs >= this.#cached.until - POLICY_CACHE_MS
    ) {
      return this.#cached.value;
    }
    const value = await this.#read(this.#db);
    this.#cached = { value, until: nowMs + POLICY_CACHE_MS };
    return value;
  }

  /**
   * What {@link evaluatePolicy} takes: the stored policy, plus the configured platform list,
   * which admins do not edit.
   *
   * @example
   * ```ts
   * const decision = evaluatePolicy(await store.options(), facts);
   * ```
   */
  async options(): Promise<DevicePolicyOptions> {
    const { policy } = await this.current();
    return {
      ...policy,
      ...(this.#defaults.allowedPlatforms === undefined
        ? {}
        : { allowedPlatforms: this.#defaults.allowedPlatforms }),
    };
  }

  /**
   * Saves `policy` (already validated) and returns what it replaced and what is now in force.
   *
   * @example
   * ```ts
   * const { before, after } = await store.save(policy, adminUserId);
   * ```
   */
  async save(policy: AdminPolicy, byUserId: string): Promise<{ before: StoredPolicy; after: StoredPolicy }> {
    const nowMs = this.#now().getTime();
    const stored: AdminPolicy = {
      rooted: policy.rooted,
      emulator: policy.emulator,
      screenLockMissing: policy.screenLockMissing,
      ...(policy.minAppVersion === undefined ? {} : { minAppVersion: policy.minAppVersion }),
      appVersionTooOld: policy.appVersionTooOld,
      settings: {
        lockTimeoutSeconds: policy.settings.lockTimeoutSeconds,
        failedUnlockLimit: policy.settings.failedUnlockLimit,
        offlineGraceSeconds: policy.settings.offlineGraceSeconds,
      },
    };
    const before = await this.#db.transaction().execute(async (trx) => {
      // Two admins saving at once: the second waits, so its `before` is the first one's `after`
      // (PostgreSQL row lock; SQLite has one writer).
      const previous = await this.#read(trx, this.#dialect === 'postgres');
      const row = { policy: JSON.stringify(stored), updated_at: nowMs, updated_by: byUserId };
      await trx
        .insertInto('device_policy')
        .values({ id: 1, ...row })
        .onConflict((oc) => oc.column('id').doUpdateSet(row))
        .execute();
      return previous;
    });
    const after: StoredPolicy = {
      policy: stored,
      updatedAt: new Date(nowMs).toISOString(),
      updatedBy: byUserId,
    };
    this.#cached = { value: after, until: nowMs + POLICY_CACHE_MS };
    return { before, after };
  }

  async #read(db: Kysely<Database>, lock = false): Promise<StoredPolicy> {
    let query = db.selectFrom('device_policy').selectAll().where('id', '=', 1);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (row === undefined) return { policy: policyFromOptions(this.#defaults) };
    return {
      policy: JSON.parse(row.policy) as AdminPolicy,
      updatedAt: new Date(Number(row.updated_at)).toISOString(),
      ...(row.updated_by === null ? {} : { updatedBy: row.updated_by }),
    };
  }
}
