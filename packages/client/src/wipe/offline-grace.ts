/**
 * The offline grace period: a device that has not checked in with the server (an authenticated
 * request that succeeded) for longer than the server's `offlineGraceSeconds` wipes itself, so a
 * lost device that is kept offline cannot keep its data forever. The state lives in the
 * keystore: the time offline is accumulated from the forward steps of the clock between
 * observations, and a step backwards counts as zero, so setting the device clock back does not
 * give the time already spent back (docs/client.md, "Offline grace period").
 */

import { InvalidArgumentError } from '../errors.js';
import type { Clock } from '../lib/clock.js';
import { systemClock } from '../lib/clock.js';
import type { SecureItems } from '../secure-items/secure-items.js';
import type { WipeReason } from './wiper.js';

const ITEM = 'bulwark-grace';

/**
 * Options of {@link OfflineGrace}.
 *
 * @example
 * ```ts
 * const options: OfflineGraceOptions = { items, wiper };
 * ```
 */
export interface OfflineGraceOptions {
  readonly items: SecureItems;
  /** The app's wipe coordinator: an expired period wipes through it (`offline_grace_expired`). */
  readonly wiper?: { wipe(reason: WipeReason): Promise<unknown> };
  /** Called when the period has expired (after the `wiper`'s wipe, when there is one). */
  readonly onExpired?: () => Promise<unknown>;
  readonly clock?: Clock;
}

interface State {
  /** Milliseconds offline since the last check-in, accumulated. */
  elapsed: number;
  /** Clock reading at the last observation. */
  observedAt: number;
  graceSeconds: number;
}

/**
 * Tracks check-ins and enforces the grace period.
 *
 * @example
 * ```ts
 * const grace = new OfflineGrace({ items, wiper });
 * transportOptions.onCheckIn = (at) => void grace.checkIn(at);
 * transportOptions.onPolicy = (s) => void grace.setGracePeriod(s.offlineGraceSeconds);
 * if (await grace.enforce()) showWipedScreen();
 * ```
 */
export class OfflineGrace {
  readonly #options: OfflineGraceOptions;
  readonly #clock: Clock;
  // One read-modify-write of the state at a time: a check-in and the policy's period arrive
  // together after a sign-in, and the later write would otherwise undo the earlier.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: OfflineGraceOptions) {
    if (options.wiper === undefined && options.onExpired === undefined) {
      throw new InvalidArgumentError('OfflineGrace needs a wiper or onExpired');
    }
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Records a successful check-in.
   *
   * @example
   * ```ts
   * await grace.checkIn(Date.now());
   * ```
   */
  checkIn(at: number = this.#clock.now()): Promise<void> {
    return this.#serial(async () => {
      const state = await this.#load();
      await this.#save({ elapsed: 0, observedAt: at, graceSeconds: state?.graceSeconds ?? 0 });
    });
  }

  /**
   * Sets the grace period from the server's verified policy (0 = no offline limit).
   *
   * @example
   * ```ts
   * await grace.setGracePeriod(72 * 3600);
   * ```
   */
  setGracePeriod(seconds: number): Promise<void> {
    return this.#serial(async () => {
      const state = await this.#observe(await this.#load());
      await this.#save({ ...state, graceSeconds: seconds });
    });
  }

  /**
   * Wipes when the grace period has passed since the last check-in; returns whether it did.
   * Call it at start, on unlock and periodically.
   *
   * @example
   * ```ts
   * if (await grace.enforce()) return showWiped();
   * ```
   */
  async enforce(): Promise<boolean> {
    const expired = await this.#serial(async () => {
      const loaded = await this.#load();
      if (loaded === undefined) return false;
      const state = await this.#observe(loaded);
      await this.#save(state);
      return state.graceSeconds > 0 && state.elapsed > state.graceSeconds * 1000;
    });
    if (!expired) return false;
    await this.#options.wiper?.wipe('offline_grace_expired');
    await this.#options.onExpired?.();
    return true;
  }

  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation, operation);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Adds the clock's forward step since the last observation; a backward step adds nothing. */
  async #observe(state: State | undefined): Promise<State> {
    const now = this.#clock.now();
    if (state === undefined) return { elapsed: 0, observedAt: now, graceSeconds: 0 };
    return { ...state, elapsed: state.elapsed + Math.max(0, now - state.observedAt), observedAt: now };
  }

  async #load(): Promise<State | undefined> {
    const text = await this.#options.items.getString(ITEM);
    if (text === undefined) return undefined;
    try {
      const value = JSON.parse(text) as Partial<State>;
      const ok = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
      if (ok(value.elapsed) && ok(value.observedAt) && ok(value.graceSeconds)) return value as State;
    } catch {
      // fall through: a damaged record counts as expired (below), never as unlimited
    }
    // An unreadable record must not disable the grace period: treat the last check-in as long ago.
    return { elapsed: Number.MAX_SAFE_INTEGER, observedAt: this.#clock.now(), graceSeconds: 1 };
  }

  async #save(state: State): Promise<void> {
    await this.#options.items.set(ITEM, JSON.stringify(state));
  }
}
