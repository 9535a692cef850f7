/**
 * What every route of the server is handed: the database, the world (clock) and the identity
 * services built on them. `createServerContext` builds it once per app.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type Kysely, PostgresAdapter } from 'kysely';
import { AttestationService } from './attestation/service.js';
import type { BulwarkConfig } from './config/define.js';
import { type DataModel, resolveDataModel } from './config/model.js';
import { type AuthConfig, type AuthOptions, resolveAuthConfig } from './config.js';
import { rebuildChangedKeys, reprojectChanged } from './data/reproject.js';
import { createCacheTables } from './db/database.js';
import type { CacheDatabase, Database } from './db/schema.js';
import { DevicePolicyStore } from './devices/policy-store.js';
import { NonceService } from './dpop/nonce.js';
import { MemoryReplayCache, ReplayCache, type ReplayStore } from './dpop/replay-cache.js';
import { DpopVerifier } from './dpop/verify.js';
import { SecurityEventLog } from './events/log.js';
import { PasskeyService } from './identity/passkeys.js';
import { PasswordHasher } from './identity/passwords/hasher.js';
import { LoginThrottle } from './identity/throttle.js';
import { RedisReplayCache, redisEpoch } from './shared/redis.js';
import { CheckpointCodec } from './sync/checkpoint.js';
import { AccessTokens } from './tokens/access-token.js';
import { SigningKeySet } from './tokens/keys.js';
import { RefreshSessions } from './tokens/sessions.js';

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
  readonly events: SecurityEventLog;
  readonly passwords: PasswordHasher;
  readonly throttle: LoginThrottle;
  readonly keys: SigningKeySet;
  readonly tokens: AccessTokens;
  readonly sessions: RefreshSessions;
  readonly dpop: DpopVerifier;
  /** The device policy in force (admins edit it; the configured one until they do). */
  readonly devicePolicy: DevicePolicyStore;
  /** Passkey registration and second-factor checks (docs/identity.md#passkeys). */
  readonly passkeys: PasskeyService;
  /** Device attestation: challenges, verdicts, step-up (docs/attestation.md). */
  readonly attestation: AttestationService;
  /** Set when the app has a data configuration (`bulwark.config.ts`): data and sync routes. */
  readonly data: DataRuntime | undefined;
  /** Redis, when shared short-lived state lives there (`--redis-url`). */
  readonly redis: Redis | undefined;
  /**
   * Where the DPoP replay cache and the throttling counters live: `redis`; `database` (the
   * cache tables, shared by every node on the database); or `memory` for the replay cache of a
   * single node that holds its SQLite folder's lock (nonces then carry a per-process epoch).
   */
  readonly sharedState: 'redis' | 'database' | 'memory';
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
  /** Keep the replay cache and throttling counters in this Redis (several nodes). */
  readonly redis?: Redis;
  /**
   * This process is the only one serving the database (serve.ts holds the SQLite folder's
   * lock): the replay cache may live in memory, bound to nonces of this process's epoch. Ignored
   * with `redis`, and when nonces are not required (the cache tables are used then).
   */
  readonly singleNode?: boolean;
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
  const keys = new SigningKeySet(db, now);
  await keys.init();
  const redis = options.redis;
  const inMemory = redis === undefined && options.singleNode === true && config.dpop.requireNonce;
  // Nonces are bound to the life of the replay cache: a fresh epoch per process for the
  // in-memory one (nonces handed out before a restart stop verifying after it), the epoch kept
  // in Redis for Redis (shared/redis.ts).
  const epoch =
    redis !== undefined
      ? await redisEpoch(redis)
      : inMemory
        ? randomBytes(16).toString('base64url')
        : undefined;
  const nonces = await NonceService.load(db, config.dpop.nonceLifetimeSeconds, now, epoch);
  const replay: ReplayStore =
    redis !== undefined && epoch !== undefined
      ? new RedisReplayCache(redis, now, epoch, nonces)
      : inMemory
        ? new MemoryReplayCache(now)
        : new ReplayCache(cache, now);
  let data: DataRuntime | undefined;
  if (options.data !== undefined) {
    const model = resolveDataModel(options.data);
    await reprojectChanged(db, model);
    await rebuildChangedKeys(db, model);
    data = { model, checkpoints: await CheckpointCodec.load(db) };
  }
  const events = new SecurityEventLog(db, dialect, now);
  return {
    db,
    cache,
    dialect,
    now,
    config,
    events,
    passwords: new PasswordHasher(
      config.passwords.argon2,
      config.passwords.maxConcurrentHashes,
      config.passwords.maxQueuedHashes,
    ),
    throttle: new LoginThrottle(redis === undefined ? { db: cache } : { redis }, config.throttle, () =>
      now().getTime(),
    ),
    keys,
    tokens: new AccessTokens(keys, config.issuer, config.accessTokenTtlSeconds, now),
    sessions: new RefreshSessions(db, config.sessionTtlSeconds, now),
    dpop: new DpopVerifier(config.dpop, replay, nonces, now),
    devicePolicy: new DevicePolicyStore(db, config.devicePolicy, now, dialect),
    passkeys: new PasskeyService(db, config.passkeys, now),
    attestation: new AttestationService(db, config.attestation, now, events),
    data,
    redis,
    sharedState: redis !== undefined ? 'redis' : inMemory ? 'memory' : 'database',
  };
}
