/**
 * Shared short-lived state in Redis (`--redis-url`): the DPoP replay cache and the sign-in
 * throttling counters (rate-limiter-flexible's Redis store), so that several nodes share them
 * without a database write per request. Fails closed: when Redis does not answer, the request
 * is refused with 503 `shared_state_unavailable`; no replay or throttle check is ever skipped,
 * and the node recovers by itself once Redis is back (ioredis reconnects).
 */
import { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { ReplayStore } from '../dpop/replay-cache.js';
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
    'shared_state_unavailable',
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

/**
 * The DPoP replay cache in Redis: `SET key 1 PX ttl NX` records a proof atomically, so exactly
 * one of several uses of a proof, on any node, finds the key absent.
 *
 * @example
 * ```ts
 * const replay = new RedisReplayCache(redis, () => new Date());
 * await replay.record(replayKey(jkt, jti), Date.now() + 66_000); // true, then false
 * ```
 */
export class RedisReplayCache implements ReplayStore {
  readonly #redis: Redis;
  readonly #now: () => Date;

  constructor(redis: Redis, now: () => Date) {
    this.#redis = redis;
    this.#now = now;
  }

  async record(key: string, expiresAtMs: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(expiresAtMs - this.#now().getTime()));
    let answer: string | null;
    try {
      answer = await this.#redis.set(`${REDIS_PREFIX}jti:${key}`, '1', 'PX', ttl, 'NX');
    } catch (cause) {
      throw sharedStateUnavailable(cause);
    }
    return answer === 'OK';
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
 * `shared_state_unavailable` (no insurance limiter: a count is never skipped). A reached limit
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
