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
  /**
   * How long before the wipe the warning starts; default 86,400 s (one day). With a period
   * shorter than twice this, the warning starts halfway through the period instead, so that a
   * short period does not warn from its first minute.
   */
  readonly warnBeforeSeconds?: number;
  /**
   * Called when an observation ({@link OfflineGrace.enforce} or {@link OfflineGrace.status})
   * first finds the wipe within the warning time: once per stretch offline in this process (a
   * check-in starts a new one), and again after a restart. Not waited for; what it throws is
   * ignored, it never delays or stops the wipe.
   */
  readonly onWarning?: (status: OfflineGraceStatus) => unknown;
  readonly clock?: Clock;
}

/**
 * Where the device stands against the offline grace period.
 *
 * @example
 * ```ts
 * const { remainingMs, warning } = await grace.status();
 * if (warning && remainingMs !== undefined) banner(`Connect within ${Math.floor(remainingMs / 3_600_000)} h`);
 * ```
 */
export interface OfflineGraceStatus {
  /** The server's period, in seconds; 0 when it sets no offline limit (or none is known yet). */
  readonly graceSeconds: number;
  /** Time counted offline since the last check-in, in milliseconds (clock steps back count zero). */
  readonly offlineMs: number;
  /** Time left before the device wipes itself; undefined without a limit, 0 once it has passed. */
  readonly remainingMs: number | undefined;
  /** When the warning starts, in milliseconds before the wipe (0 without a limit). */
  readonly warnBeforeMs: number;
  /** The wipe is within the warning time (and has not yet come). */
  readonly warning: boolean;
  /** The period has passed: the next {@link OfflineGrace.enforce} wipes. */
  readonly expired: boolean;
}

const DEFAULT_WARN_BEFORE_SECONDS = 24 * 3600;

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

  /** The warning was given in this stretch offline (cleared by a check-in). */
  #warned = false;

  constructor(options: OfflineGraceOptions) {
    if (options.wiper === undefined && options.onExpired === undefined) {
      throw new InvalidArgumentError('OfflineGrace needs a wiper or onExpired');
    }
    const warn = options.warnBeforeSeconds;
    if (warn !== undefined && !(Number.isFinite(warn) && warn >= 0)) {
      throw new InvalidArgumentError('warnBeforeSeconds must be a number of seconds, 0 or more');
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
      this.#warned = false;
    });
  }

  /**
   * Where the device stands: time offline, time left before the wipe, whether to warn. Counts the
   * time since the last observation like {@link enforce}, but never wipes. Call it to show the
   * person how long the device may stay offline (e.g. "this device will erase its data in 5 hours
   * unless it connects").
   *
   * @example
   * ```ts
   * const status = await grace.status();
   * if (status.warning) showBanner(status.remainingMs);
   * ```
   */
  async status(): Promise<OfflineGraceStatus> {
    const status = await this.#serial(async () => {
      const loaded = await this.#load();
      if (loaded === undefined) return this.#statusOf({ elapsed: 0, observedAt: 0, graceSeconds: 0 });
      const state = await this.#observe(loaded);
      await this.#save(state);
      return this.#statusOf(state);
    });
    this.#maybeWarn(status);
    return status;
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
    const status = await this.#serial(async () => {
      const loaded = await this.#load();
      if (loaded === undefined) return undefined;
      const state = await this.#observe(loaded);
      await this.#save(state);
      return this.#statusOf(state);
    });
    if (status === undefined) return false;
    this.#maybeWarn(status);
    if (!status.expired) return false;
    await this.#options.wiper?.wipe('offline_grace_expired');
    await this.#options.onExpired?.();
    return true;
  }

  #statusOf(state: State): OfflineGraceStatus {
    const offlineMs = Math.min(state.elapsed, Number.MAX_SAFE_INTEGER);
    if (state.graceSeconds <= 0) {
      return {
        graceSeconds: 0,
        offlineMs,
        remainingMs: undefined,
        warnBeforeMs: 0,
        warning: false,
        expired: false,
      };
    }
    const periodMs = state.graceSeconds * 1000;
    const warnBeforeMs = Math.min(
      (this.#options.warnBeforeSeconds ?? DEFAULT_WARN_BEFORE_SECONDS) * 1000,
      periodMs / 2,
    );
    const expired = state.elapsed > periodMs;
    const remainingMs = expired ? 0 : periodMs - state.elapsed;
    return {
      graceSeconds: state.graceSeconds,
      offlineMs,
      remainingMs,
      warnBeforeMs,
      warning: !expired && remainingMs <= warnBeforeMs,
      expired,
    };
  }

  /** Calls `onWarning` the first time in a stretch offline that the wipe is near. */
  #maybeWarn(status: OfflineGraceStatus): void {
    if (!status.warning || this.#warned) return;
    this.#warned = true;
    const onWarning = this.#options.onWarning;
    if (onWarning === undefined) return;
    // On the next microtask and not awaited: app code never holds up or breaks the wipe.
    void Promise.resolve()
      .then(() => onWarning(status))
      .catch(() => undefined);
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
