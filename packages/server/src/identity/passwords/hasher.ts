/**
 * Argon2id password hashing (@node-rs/argon2, OWASP parameters by default), with concurrency
 * capped by a semaphore so a flood of logins queues briefly and is then refused with 503
 * `server_busy` instead of exhausting CPU and memory. A dummy hash is verified for unknown users
 * so that an unknown username and a wrong password take the same time.
 */
import { type Algorithm, hash, parseOptions, verify } from '@node-rs/argon2';
import type { Argon2Params } from '../../config.js';
import { Semaphore } from '../../lib/semaphore.js';
import { normalizePassword } from './rules.js';

// `Algorithm` is an ambient const enum; its value is written out because isolated modules
// cannot inline it. 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;

/** Hashes and verifies passwords under a concurrency cap. */
export class PasswordHasher {
  readonly #params: Argon2Params;
  readonly #gate: Semaphore;
  #dummy: Promise<string> | undefined;

  constructor(params: Argon2Params, maxConcurrent: number, maxQueued: number) {
    this.#params = params;
    this.#gate = new Semaphore(maxConcurrent, maxQueued);
  }

  /** The semaphore, for observability and tests. */
  get gate(): Semaphore {
    return this.#gate;
  }

  /**
   * Argon2id PHC string of `password` (NFKC-normalised first).
   *
   * @example
   * ```ts
   * const phc = await hasher.hash('correct horse battery staple');
   * ```
   */
  hash(password: string): Promise<string> {
    return this.#gate.run(() => this.#hashNow(password));
  }

  #hashNow(password: string): Promise<string> {
    return hash(normalizePassword(password), {
      algorithm: ARGON2ID,
      memoryCost: this.#params.memoryCost,
      timeCost: this.#params.timeCost,
      parallelism: this.#params.parallelism,
    });
  }

  /**
   * Checks `password` against `phc`, or against a dummy hash when `phc` is undefined (unknown
   * user) so the caller takes the same time either way; false in that case.
   */
  async verify(phc: string | undefined, password: string): Promise<boolean> {
    return this.#gate.run(async () => {
      this.#dummy ??= this.#hashNow('bulwark dummy password for timing equalisation');
      const target = phc ?? (await this.#dummy);
      let ok = false;
      try {
        ok = await verify(target, normalizePassword(password));
      } catch {
        ok = false;
      }
      return ok && phc !== undefined;
    });
  }

  /** True when `phc` was made with weaker parameters than today's: rehash after a login. */
  needsRehash(phc: string): boolean {
    try {
      const used = parseOptions(phc);
      return (
        used.algorithm !== ARGON2ID ||
        used.memoryCost < this.#params.memoryCost ||
        used.timeCost < this.#params.timeCost ||
        used.parallelism < this.#params.parallelism
      );
    } catch {
      return true;
    }
  }

  /** Computes the dummy hash ahead of the first unknown-user login (call at start). */
  async warmUp(): Promise<void> {
    this.#dummy ??= this.#hashNow('bulwark dummy password for timing equalisation');
    await this.#dummy;
  }
}
