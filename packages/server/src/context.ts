/**
 * What every route of the server is handed: the database, the world (clock) and the identity
 * services built on them. `createServerContext` builds it once per app.
 */
import { type Kysely, PostgresAdapter } from 'kysely';
import { AuditLog } from './audit/log.js';
import type { BulwarkConfig } from './config/define.js';
import { type DataModel, resolveDataModel } from './config/model.js';
import { type AuthConfig, type AuthOptions, resolveAuthConfig } from './config.js';
import { rebuildChangedKeys, reprojectChanged } from './data/reproject.js';
import { createCacheTables } from './db/database.js';
import type { CacheDatabase, Database } from './db/schema.js';
import { DevicePolicyStore } from './devices/policy-store.js';
import { NonceService } from './dpop/nonce.js';
import { ReplayCache } from './dpop/replay-cache.js';
import { DpopVerifier } from './dpop/verify.js';
import { PasskeyService } from './identity/passkeys.js';
import { PasswordHasher } from './identity/passwords/hasher.js';
import { LoginThrottle } from './identity/throttle.js';
import { CheckpointCodec } from './sync/checkpoint.js';
import { AccessTokens } from './tokens/access-token.js';
import { KeyRing } from './tokens/keys.js';
import { SessionStore } from './tokens/sessions.js';

/** The app's collections, rules and hooks, and the sync checkpoint codec. */
export interface DataRuntime {
  readonly model: DataModel;
  readonly checkpoints: CheckpointCodec;
}

/** Shared dependencies of the routes, passed in so tests can control them. */
export interface ServerContext {
  readonly db: Kysely<Database>;
  /** Short-lived shared state (replay cache, throttling counters). */
  readonly cache: Kysely<CacheDatabase>;
  readonly dialect: 'sqlite' | 'postgres';
  /** Current time; tests pass a fake clock. */
  readonly now: () => Date;
  readonly config: AuthConfig;
  readonly audit: AuditLog;
  readonly passwords: PasswordHasher;
  readonly throttle: LoginThrottle;
  readonly keys: KeyRing;
  readonly tokens: AccessTokens;
  readonly sessions: SessionStore;
  readonly dpop: DpopVerifier;
  /** The device policy in force (admins edit it; the configured one until they do). */
  readonly devicePolicy: DevicePolicyStore;
  /** Passkey registration and second-factor checks (docs/identity.md#passkeys). */
  readonly passkeys: PasskeyService;
  /** Set when the app has a data configuration (`bulwark.config.ts`): data and sync routes. */
  readonly data: DataRuntime | undefined;
}

/** What {@link createServerContext} needs. */
export interface ServerContextOptions {
  readonly db: Kysely<Database>;
  /** Cache database; defaults to `db` (its cache tables are created when missing). */
  readonly cache?: Kysely<CacheDatabase>;
  readonly now?: () => Date;
  readonly auth?: AuthOptions;
  /** The app's schema, rules and hooks (the default export of `bulwark.config.ts`). */
  readonly data?: BulwarkConfig;
}

/** Which SQL dialect a Kysely instance speaks. */
export function dialectOf<DB>(db: Kysely<DB>): 'sqlite' | 'postgres' {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * Builds the services of one app: loads (or creates) the signing keys and the nonce secret.
 *
 * @example
 * ```ts
 * const { db, cache } = await openDatabase({ dataDir: './.bulwark' });
 * const ctx = await createServerContext({ db, cache, auth: { accessTokenTtlSeconds: 120 } });
 * ```
 */
export async function createServerContext(options: ServerContextOptions): Promise<ServerContext> {
  const db = options.db;
  const now = options.now ?? (() => new Date());
  const config = resolveAuthConfig(options.auth);
  const dialect = dialectOf(db);
  const cache = options.cache ?? (db as unknown as Kysely<CacheDatabase>);
  if (options.cache === undefined) await createCacheTables(cache, dialect);
  const keys = new KeyRing(db, now);
  await keys.init();
  const nonces = await NonceService.load(db, config.dpop.nonceLifetimeSeconds, now);
  let data: DataRuntime | undefined;
  if (options.data !== undefined) {
    const model = resolveDataModel(options.data);
    await reprojectChanged(db, model);
    await rebuildChangedKeys(db, model);
    data = { model, checkpoints: await CheckpointCodec.load(db) };
  }
  return {
    db,
    cache,
    dialect,
    now,
    config,
    audit: new AuditLog(db, dialect, now),
    passwords: new PasswordHasher(
      config.passwords.argon2,
      config.passwords.maxConcurrentHashes,
      config.passwords.maxQueuedHashes,
    ),
    throttle: new LoginThrottle(cache, config.throttle, () => now().getTime()),
    keys,
    tokens: new AccessTokens(keys, config.issuer, config.accessTokenTtlSeconds, now),
    sessions: new SessionStore(db, config.sessionTtlSeconds, now),
    dpop: new DpopVerifier(config.dpop, new ReplayCache(cache, now), nonces, now),
    devicePolicy: new DevicePolicyStore(db, config.devicePolicy, now, dialect),
    passkeys: new PasskeyService(db, config.passkeys, now),
    data,
  };
}
