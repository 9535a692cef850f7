/**
 * Login throttling with rate-limiter-flexible, counters in the shared database, or in Redis when
 * the server has one (shared/redis.ts: a Redis that does not answer refuses the attempt with 503,
 * it never lets it through uncounted). Every attempt
 * is counted *before* the password is hashed (a success gives its point back), so concurrent
 * guesses cannot slip past a limit and a throttled guess costs no Argon2 work.
 *
 * Three limits (docs/identity.md):
 * - account + IP: a few free failures, then a delay that doubles with every further failure up
 *   to a cap. It never locks the account as a whole: it only slows that IP on that account.
 * - IP: failed logins from one address over all accounts (slow spraying).
 * An address is an IPv4 address or an IPv6 /64 network (lib/throttle-address.ts).
 * - account: failed logins over all IPs (a botnet on one account). Once exceeded, only logins
 *   from a device already enrolled to that account go on; so an attacker can make a new device
 *   wait, never a known one.
 * Unknown usernames are counted exactly like real ones, so throttling reveals nothing.
 *
 * Browser sign-ins (OIDC, SAML) are throttled at their start, per IP, by a fourth limit: each
 * start stores state until it is finished or expires, so a loop of starts would fill the table.
 *
 * The same store decides which refusals are worth a security event: a client can cause refusals
 * at will (a throttled sign-in, a replayed proof, a revoked device that keeps calling), and one
 * event each would let a flood of requests grow the hash-chained log, whose appends are
 * serialised on its head, by a row per request. So each kind of refusal is recorded once per
 * client and {@link EVENT_WINDOW_SECONDS} ({@link LoginThrottle.firstInEventWindow}).
 */
import type { Redis } from 'ioredis';
import { Kysely } from 'kysely';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { AuthConfig } from '../config.js';
import { sha256Hex } from '../lib/encoding.js';
import { type Limiter, redisLimiter } from '../shared/redis.js';
import { KyselyRateLimiter } from './lib/kysely-rate-limiter.js';
import { throttleAddress } from './lib/throttle-address.js';

/** Where the counters live: the cache database, or Redis. */
export type ThrottleStore =
  // biome-ignore lint/suspicious/noExplicitAny: the limiters use raw SQL on the cache tables.
  { readonly db: Kysely<any> } | { readonly redis: Redis };

/** Outcome of {@link LoginThrottle.begin}. */
export type ThrottleDecision =
  | { readonly allowed: true; readonly ticket: ThrottleTicket }
  | {
      readonly allowed: false;
      readonly retryAfterSeconds: number;
      readonly limit: 'account_ip' | 'ip' | 'account';
      /**
       * The first refusal of this client (and account, for the account limits) by this limit in
       * the event window: worth one security event, not one each.
       */
      readonly first: boolean;
    };

/** The points an allowed attempt took; settle it with the login's outcome. */
export interface ThrottleTicket {
  readonly accountIpKey: string;
  readonly ipKey: string;
  readonly accountKey: string;
  /** The account-wide point was taken (false for a known device). */
  readonly accountCharged: boolean;
}

const NEVER_REJECT = 1_000_000_000;
/**
 * How long a client's refusals of one kind count as one security event: an attack that goes on
 * shows as one event a minute per client, its first refusal and its duration kept.
 */
export const EVENT_WINDOW_SECONDS = 60;
/** Expired counters are deleted at most this often (they are ignored once expired anyway). */
const PURGE_EVERY_MS = 5 * 60_000;

/** Outcome of {@link LoginThrottle.beginSignInStart}. */
export type SignInStartDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly retryAfterSeconds: number;
      readonly limit: 'sign_in_starts_ip';
      /** The first refusal of this client in the window (worth one security event, not one each). */
      readonly first: boolean;
    };

/** Throttles password checks by account+IP, IP and account, and browser sign-in starts by IP. */
export class LoginThrottle {
  readonly #starts: Limiter;
  readonly #failures: Limiter;
  readonly #delayGate: Limiter;
  readonly #perIp: Limiter;
  readonly #perAccount: Limiter;
  readonly #eventWindows: Limiter;
  readonly #config: AuthConfig['throttle'];
  readonly #nowMs: () => number;
  /** The database store, whose expired rows this node purges (Redis expires keys itself). */
  readonly #purgeable: KyselyRateLimiter | undefined;
  #lastPurge = 0;

  /**
   * `store`: the cache database (a `Kysely`, or `{ db }`) or `{ redis }`.
   *
   * @example
   * ```ts
   * const throttle = new LoginThrottle({ redis }, config.throttle, Date.now);
   * ```
   */
  // biome-ignore lint/suspicious/noExplicitAny: the limiters use raw SQL on the cache tables.
  constructor(store: Kysely<any> | ThrottleStore, config: AuthConfig['throttle'], nowMs: () => number) {
    this.#config = config;
    this.#nowMs = nowMs;
    const where: ThrottleStore = store instanceof Kysely ? { db: store } : store;
    const limiter = (keyPrefix: string, points: number, duration: number): Limiter =>
      'redis' in where
        ? redisLimiter(where.redis, { keyPrefix, points, duration })
        : new KyselyRateLimiter({ db: where.db, nowMs, keyPrefix, points, duration });
    this.#failures = limiter('login_fail_ai', NEVER_REJECT, config.accountIpWindowSeconds);
    // One attempt per delay period once the free failures are used up.
    this.#delayGate = limiter('login_gate_ai', 1, config.baseDelaySeconds);
    this.#perIp = limiter('login_ip', config.failuresPerIp, config.ipWindowSeconds);
    this.#perAccount = limiter('login_acct', config.failuresPerAccount, config.accountWindowSeconds);
    this.#starts = limiter('signin_start_ip', config.signInStartsPerIp, config.signInStartWindowSeconds);
    this.#eventWindows = limiter('event_window', 1, EVENT_WINDOW_SECONDS);
    this.#purgeable = this.#failures instanceof KyselyRateLimiter ? this.#failures : undefined;
  }

  /** Delay after the n-th failure of an account+IP (0 while failures are free). */
  delayAfter(failures: number): number {
    const extra = failures - this.#config.freeFailuresPerAccountIp;
    if (extra <= 0) return 0;
    return Math.min(this.#config.baseDelaySeconds * 2 ** (extra - 1), this.#config.maxDelaySeconds);
  }

  /**
   * Counts one attempt against every limit; refuses it (without hashing) when a limit is
   * reached. `knownDevice` exempts the attempt from the account-wide limit only.
   *
   * @example
   * ```ts
   * const d = await throttle.begin('alice', '203.0.113.7', false);
   * if (!d.allowed) reply.header('retry-after', d.retryAfterSeconds);
   * ```
   */
  async begin(usernameKey: string, ip: string, knownDevice: boolean): Promise<ThrottleDecision> {
    const now = this.#nowMs();
    if (this.#purgeable !== undefined && now - this.#lastPurge >= PURGE_EVERY_MS) {
      this.#lastPurge = now;
      await this.purgeExpired(now);
    }
    // Hashed keys: rows hold no usernames or addresses, and have a fixed size. An IPv6 client
    // is counted by its /64 (lib/throttle-address.ts).
    const client = throttleAddress(ip);
    const accountKey = sha256Hex(`acct\u0000${usernameKey}`);
    const ipKey = sha256Hex(`ip\u0000${client}`);
    const accountIpKey = sha256Hex(`acct-ip\u0000${usernameKey}\u0000${client}`);

    const refused = async (
      limit: 'account_ip' | 'ip' | 'account',
      ms: number,
    ): Promise<ThrottleDecision> => ({
      allowed: false,
      retryAfterSeconds: seconds(ms),
      limit,
      first: await this.firstInEventWindow(
        `login_throttled:${limit}`,
        limit === 'ip' ? client : `${client}\u0000${usernameKey}`,
      ),
    });

    const ipRes = await consume(this.#perIp, ipKey);
    if (ipRes.rejected) return refused('ip', ipRes.res.msBeforeNext);

    // The previous delay must be over: one attempt may pass per delay period.
    const pending = await this.#delayGate.get(accountIpKey);
    if (pending !== null && pending.consumedPoints >= 1 && pending.msBeforeNext > 0) {
      await this.#perIp.reward(ipKey, 1);
      return refused('account_ip', pending.msBeforeNext);
    }
    const failures = (await this.#failures.consume(accountIpKey, 1)).consumedPoints;
    const delay = this.delayAfter(failures);
    if (delay > 0) {
      const gate = await consume(this.#delayGate, accountIpKey, { customDuration: delay });
      if (gate.rejected) {
        await this.#perIp.reward(ipKey, 1);
        return refused('account_ip', gate.res.msBeforeNext);
      }
    }

    let accountCharged = false;
    if (!knownDevice) {
      const acct = await consume(this.#perAccount, accountKey);
      if (acct.rejected) {
        await this.#perIp.reward(ipKey, 1);
        return refused('account', acct.res.msBeforeNext);
      }
      accountCharged = true;
    }
    return { allowed: true, ticket: { accountIpKey, ipKey, accountKey, accountCharged } };
  }

  /** A correct password: the attempt's points are given back and the account+IP count cleared. */
  async succeeded(ticket: ThrottleTicket): Promise<void> {
    await this.#failures.delete(ticket.accountIpKey);
    await this.#delayGate.delete(ticket.accountIpKey);
    await this.#perIp.reward(ticket.ipKey, 1);
    if (ticket.accountCharged) await this.#perAccount.reward(ticket.accountKey, 1);
  }

  /**
   * A correct password that a second factor must still follow: the attempt's points are given
   * back, so it counts neither as a failure nor as a success. A wrong passkey then counts as one
   * failure, and the right one clears the account+IP count ({@link succeeded}).
   */
  async firstFactorPassed(ticket: ThrottleTicket): Promise<void> {
    await this.#failures.reward(ticket.accountIpKey, 1);
    await this.#perIp.reward(ticket.ipKey, 1);
    if (ticket.accountCharged) await this.#perAccount.reward(ticket.accountKey, 1);
  }

  /**
   * Counts the start of an OIDC or SAML sign-in from `ip` (an IPv6 client by its /64); refuses it
   * once the client has started `signInStartsPerIp` in the window without finishing them.
   *
   * @example
   * ```ts
   * const d = await throttle.beginSignInStart('203.0.113.7');
   * if (!d.allowed) reply.header('retry-after', d.retryAfterSeconds);
   * ```
   */
  async beginSignInStart(ip: string): Promise<SignInStartDecision> {
    const started = await consume(this.#starts, startKey(ip));
    if (started.rejected) {
      return {
        allowed: false,
        retryAfterSeconds: seconds(started.res.msBeforeNext),
        limit: 'sign_in_starts_ip',
        first: started.res.consumedPoints === this.#config.signInStartsPerIp + 1,
      };
    }
    return { allowed: true };
  }

  /**
   * A browser sign-in from `ip` finished: its start is given back, so that many people signing in
   * behind one address (an office's NAT) only count what they leave unfinished. Nothing is given
   * to an address that has no start counted: finishing cannot bank starts for later.
   *
   * @example
   * ```ts
   * await throttle.signInFinished('203.0.113.7');
   * ```
   */
  async signInFinished(ip: string): Promise<void> {
    const key = startKey(ip);
    const current = await this.#starts.get(key);
    if (current !== null && current.consumedPoints > 0) await this.#starts.reward(key, 1);
  }

  /**
   * True for the first call with this `kind` and `client` in {@link EVENT_WINDOW_SECONDS}, on
   * every node (the counters' store): whether a refusal a client can repeat at will is worth a
   * security event. `client` is an address (an IPv6 client counts by its /64) or any other key
   * (a device id); it is stored hashed.
   *
   * @example
   * ```ts
   * if (await throttle.firstInEventWindow('dpop_replay', ip)) await events.append(replayEvent);
   * ```
   */
  async firstInEventWindow(kind: string, client: string): Promise<boolean> {
    const key = sha256Hex(`event\u0000${kind}\u0000${throttleAddress(client)}`);
    return !(await consume(this.#eventWindows, key)).rejected;
  }

  /** Deletes expired counters; returns how many rows went. */
  async purgeExpired(nowMs: number): Promise<number> {
    return this.#purgeable === undefined ? 0 : this.#purgeable.purgeExpired(nowMs);
  }
}

async function consume(
  limiter: Limiter,
  key: string,
  options?: { customDuration: number },
): Promise<{ rejected: boolean; res: RateLimiterRes }> {
  try {
    return { rejected: false, res: await limiter.consume(key, 1, options) };
  } catch (err) {
    // The library rejects with a RateLimiterRes when the limit is reached, with an Error otherwise.
    if (err instanceof RateLimiterRes) return { rejected: true, res: err };
    throw err;
  }
}

/** The hashed counter key of a sign-in start from `ip` (an IPv6 client by its /64). */
function startKey(ip: string): string {
  return sha256Hex(`start\u0000${throttleAddress(ip)}`);
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
