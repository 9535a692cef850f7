/**
 * DPoP server nonces (RFC 9449 §8) without per-request state: a nonce is a time step signed
 * with HMAC-SHA256 under a secret kept in the database, so every node issues and accepts the
 * same nonces. A nonce is valid for `lifetime` seconds; a new one is issued every half lifetime,
 * so a client that always uses the latest `DPoP-Nonce` it received never sees an expired one.
 *
 * A single node that keeps its replay cache in memory gives its nonces an `epoch`: random bytes
 * drawn at start and mixed into every MAC. A proof made before a restart carries a nonce of the
 * old epoch, which no longer verifies, so it is refused with `use_dpop_nonce` instead of finding
 * an empty replay cache.
 */
import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { loadSharedSecret } from '../db/shared-secret.js';
import { safeEqual } from '../lib/encoding.js';

const SECRET_KEY = 'dpop_nonce_secret';

/** Issues and checks server nonces. */
export class NonceService {
  readonly #secret: Buffer;
  readonly #stepMs: number;
  readonly #lifetimeMs: number;
  readonly #now: () => Date;
  #epoch: string;
  /** Nonces of recent steps, so that checking a nonce costs no HMAC in steady state. */
  readonly #signed = new Map<number, string>();
  /**
   * The last nonce accepted and its step. A client sends the same nonce until it gets a new one,
   * so most checks compare with it and stop. Compared with `===`, which may take longer the more
   * of it matches: it tells nothing, since every node hands this nonce to any caller.
   */
  #accepted: { readonly nonce: string; readonly step: number } | undefined;

  constructor(secret: Buffer, lifetimeSeconds: number, now: () => Date, epoch?: string) {
    this.#secret = secret;
    this.#epoch = epoch === undefined ? '' : `${epoch}:`;
    this.#lifetimeMs = lifetimeSeconds * 1000;
    this.#stepMs = Math.max(1000, Math.floor(this.#lifetimeMs / 2));
    this.#now = now;
  }

  /**
   * Loads the shared nonce secret, creating it on first start.
   *
   * @example
   * ```ts
   * const nonces = await NonceService.load(db, 300, () => new Date());
   * reply.header('dpop-nonce', nonces.current());
   * ```
   */
  static async load(
    db: Kysely<Database>,
    lifetimeSeconds: number,
    now: () => Date,
    epoch?: string,
  ): Promise<NonceService> {
    return new NonceService(await loadSharedSecret(db, SECRET_KEY), lifetimeSeconds, now, epoch);
  }

  #sign(step: number): string {
    const known = this.#signed.get(step);
    if (known !== undefined) return known;
    const mac = createHmac('sha256', this.#secret)
      .update(`dpop-nonce:${this.#epoch}${step}`)
      .digest('base64url')
      .slice(0, 22);
    const nonce = `${step.toString(36)}.${mac}`;
    if (this.#signed.size >= 8) this.#signed.clear();
    this.#signed.set(step, nonce);
    return nonce;
  }

  /**
   * Moves to another epoch: every nonce of the previous one stops verifying (shared/redis.ts
   * does this when Redis lost its data, and with it the replay cache).
   *
   * @example
   * ```ts
   * nonces.setEpoch(newEpoch);
   * ```
   */
  setEpoch(epoch: string): void {
    this.#epoch = `${epoch}:`;
    this.#signed.clear();
    this.#accepted = undefined;
  }

  /** The nonce to hand out now. */
  current(): string {
    return this.#sign(Math.floor(this.#now().getTime() / this.#stepMs));
  }

  /** True when `nonce` was issued by a node of this deployment and has not expired. */
  isValid(nonce: unknown): boolean {
    if (typeof nonce !== 'string' || nonce.length > 64) return false;
    const accepted = this.#accepted;
    if (accepted !== undefined && nonce === accepted.nonce) return this.#live(accepted.step);
    const [stepText, mac, extra] = nonce.split('.');
    if (
      stepText === undefined ||
      mac === undefined ||
      extra !== undefined ||
      !/^[0-9a-z]{1,12}$/.test(stepText)
    ) {
      return false;
    }
    const step = Number.parseInt(stepText, 36);
    if (!this.#live(step) || !safeEqual(this.#sign(step), nonce)) return false;
    this.#accepted = { nonce, step };
    return true;
  }

  /** Whether a nonce of `step` is still accepted now. */
  #live(step: number): boolean {
    const issuedAt = step * this.#stepMs;
    const now = this.#now().getTime();
    return issuedAt <= now && now - issuedAt < this.#lifetimeMs + this.#stepMs;
  }
}
