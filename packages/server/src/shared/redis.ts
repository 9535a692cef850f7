/**
 * Shared short-lived state in Redis (`--redis-url`): the DPoP replay cache and the sign-in
 * throttling counters (rate-limiter-flexible's Redis store), so that several nodes share them
 * without a database write per request. Fails closed: when Redis does not answer, the request
 * is refused with 503 `redis_unavailable`; no replay or throttle check is ever skipped,
 * and the node recovers by itself once Redis is back (ioredis reconnects).
 *
 * Redis may lose its data (a restart without persistence, a failover to a replica that lagged).
 * The replay cache would then forget proofs that are still inside their acceptance window, so
 * nonces are bound to an epoch kept in Redis itself (`bulwark:epoch`): every replay-cache write
 * checks, in the same atomic script, that the epoch is still there. When it is gone, the node
 * draws a new one, and every nonce of the old epoch — hence every proof made before the loss —
 * is refused with `use_dpop_nonce`; clients retry with a fresh nonce.
 */

import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { ReplayStore } from '../dpop/replay-cache.js';
import { UseDpopNonceError } from '../dpop/verify.js';
import { HttpProblem } from '../http/problem.js';

/** Key prefix of everything Bulwark writes in Redis. */
export const REDIS_PREFIX = 'bulwark:';

/** Longest a Redis command may take before the request is refused (ms). */
const COMMAND_TIMEOUT_MS = 2000;

/**
 * The refusal when shared state cannot be read or written: 503, never a skipped check.
 *
 * @example
 * ```ts
 * throw sharedStateUnavailable(err);
 * ```
 */
export function sharedStateUnavailable(cause?: unknown): HttpProblem {
  return new HttpProblem(
    503,
    'redis_unavailable',
    'The shared state store (Redis) is not reachable; try again shortly.',
    { cause, headers: { 'retry-after': '1' } },
  );
}

/**
 * Connects to Redis and waits until it answers; throws when it does not within `timeoutMs`.
 * Commands fail at once while the connection is down (no offline queue), so a request never
 * waits on a dead Redis; the client keeps reconnecting in the background.
 *
 * @example
 * ```ts
 * const redis = await connectRedis('redis://127.0.0.1:6379/0');
 * await redis.quit();
 * ```
 */
export async function connectRedis(url: string, timeoutMs = 10_000): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    // Commands issued in the same turn of the event loop (the replay records of concurrent
    // requests) go out in one write: a socket write costs more CPU than the command.
    enableAutoPipelining: true,
    connectTimeout: 2000,
    // Reconnect quickly and forever: a node must come back when Redis does.
    retryStrategy: (times) => Math.min(50 * times, 1000),
  });
  // Errors are reported by the commands that fail; an unhandled 'error' event would crash.
  redis.on('error', () => undefined);
  const ready = new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  const timeout = new Promise<never>((_, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Redis did not answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    timer.unref();
  });
  try {
    redis.connect().catch(() => undefined);
    await Promise.race([ready, timeout]);
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  return redis;
}

/** The URL without its password, for logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://(unparsable URL)';
  }
}

/** Key of the epoch that nonces are bound to. */
const EPOCH_KEY = `${REDIS_PREFIX}epoch`;

/**
 * Records a proof if the epoch is still the caller's: -1 when it is not (Redis lost its data),
 * 1 when the proof is fresh, 0 when it was already recorded.
 */
const RECORD_SCRIPT = `
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return -1 end
if redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return 1 end
return 0`;

/**
 * The epoch in Redis, created when missing (on the first start, or after a loss of data).
 *
 * @example
 * ```ts
 * const epoch = await redisEpoch(redis);
 * ```
 */
export async function redisEpoch(redis: Redis): Promise<string> {
  try {
    await redis.set(EPOCH_KEY, randomBytes(16).toString('base64url'), 'NX');
    const epoch = await redis.get(EPOCH_KEY);
    if (epoch === null) throw new Error('the Redis epoch vanished as it was read');
    return epoch;
  } catch (cause) {
    throw sharedStateUnavailable(cause);
  }
}

/** What a {@link RedisReplayCache} tells the nonce service. */
export interface NonceEpochs {
  setEpoch(epoch: string): void;
  current(): string;
}

/**
 * The DPoP replay cache in Redis: `SET key 1 PX ttl NX` records a proof atomically, so exactly
 * one of several uses of a proof, on any node, finds the key absent; the same script checks the
 * epoch (see the module comment).
 *
 * @example
 * ```ts
 * const epoch = await redisEpoch(redis);
 * const nonces = new NonceService(secret, 300, now, epoch);
 * const replay = new RedisReplayCache(redis, now, epoch, nonces);
 * await replay.record(replayKey(jkt, jti), Date.now() + 66_000); // true, then false
 * ```
 */
export class RedisReplayCache implements ReplayStore {
  readonly #redis: Redis;
  readonly #now: () => Date;
  readonly #nonces: NonceEpochs;
  #epoch: string;

  constructor(redis: Redis, now: () => Date, epoch: string, nonces: NonceEpochs) {
    this.#redis = redis;
    this.#now = now;
    this.#epoch = epoch;
    this.#nonces = nonces;
  }

  async record(key: string, expiresAtMs: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(expiresAtMs - this.#now().getTime()));
    let answer: unknown;
    try {
      answer = await this.#redis.eval(
        RECORD_SCRIPT,
        2,
        `${REDIS_PREFIX}jti:${key}`,
        EPOCH_KEY,
        ttl,
        this.#epoch,
      );
    } catch (cause) {
      throw sharedStateUnavailable(cause);
    }
    if (answer === -1) {
      // Redis lost the epoch, and the replay cache with it: no proof of the old epoch may pass.
      this.#epoch = await redisEpoch(this.#redis);
      this.#nonces.setEpoch(this.#epoch);
      throw new UseDpopNonceError(this.#nonces.current());
    }
    return answer === 1;
  }
}

/** What the sign-in throttle needs of a rate limiter (identity/throttle.ts). */
export interface Limiter {
  consume(key: string, points?: number, options?: { customDuration?: number }): Promise<RateLimiterRes>;
  get(key: string): Promise<RateLimiterRes | null>;
  reward(key: string, points?: number): Promise<RateLimiterRes>;
  delete(key: string): Promise<boolean>;
}

/** Options of {@link redisLimiter}: rate-limiter-flexible's own. */
export interface RedisLimiterOptions {
  readonly keyPrefix: string;
  readonly points: number;
  readonly duration: number;
}

/**
 * A rate-limiter-flexible limiter on Redis whose store errors become 503
 * `redis_unavailable` (no insurance limiter: a count is never skipped). A reached limit
 * still rejects with the library's `RateLimiterRes`.
 *
 * @example
 * ```ts
 * const perIp = redisLimiter(redis, { keyPrefix: 'login_ip', points: 100, duration: 3600 });
 * await perIp.consume(ipKey);
 * ```
 */
export function redisLimiter(redis: Redis, options: RedisLimiterOptions): Limiter {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${REDIS_PREFIX}${options.keyPrefix}`,
    points: options.points,
    duration: options.duration,
    rejectIfRedisNotReady: true,
  });
  const guard = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if (err instanceof RateLimiterRes) throw err;
      throw sharedStateUnavailable(err);
    }
  };
  return {
    consume: (key, points = 1, opts) => guard(() => limiter.consume(key, points, opts)),
    get: (key) => guard(() => limiter.get(key)),
    reward: (key, points = 1) => guard(() => limiter.reward(key, points)),
    delete: (key) => guard(() => limiter.delete(key)),
  };
}
