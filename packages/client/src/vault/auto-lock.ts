/**
 * Auto-lock policy: lock after a period without activity, and when the app goes to the
 * background (at once, or after a grace period). Timers come from the injected clock. Mobile
 * platforms suspend timers in the background, so the elapsed time is also checked when the app
 * comes back to the foreground: a timer that never fired still locks.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Clock } from '../lib/clock.js';

/** Foreground/background state as the platform reports it. */
export type AppState = 'active' | 'background';

/**
 * A source of app-state changes (React Native `AppState`, Capacitor `App`, `visibilitychange`).
 *
 * @example
 * ```ts
 * const source: AppStateSource = {
 *   subscribe: (listener) => {
 *     const onChange = () => listener(document.visibilityState === 'hidden' ? 'background' : 'active');
 *     document.addEventListener('visibilitychange', onChange);
 *     return () => document.removeEventListener('visibilitychange', onChange);
 *   },
 * };
 * ```
 */
export interface AppStateSource {
  subscribe(listener: (state: AppState) => void): () => void;
}

/**
 * A source of user activity (a tap, a key, a scroll) that pushes the idle lock back. Only the
 * person's own input counts: store reads and writes by sync or other background work do not.
 *
 * @example
 * ```ts
 * const activity: ActivitySource = {
 *   subscribe: (listener) => {
 *     document.addEventListener('pointerdown', listener);
 *     return () => document.removeEventListener('pointerdown', listener);
 *   },
 * };
 * ```
 */
export interface ActivitySource {
  subscribe(listener: () => void): () => void;
}

/**
 * The page's own signals, for browsers and WebViews: pointer and key input as activity, and
 * `visibilitychange` as going to the background and back. Undefined outside a document.
 *
 * @example
 * ```ts
 * const signals = documentSignals();
 * ```
 */
export function documentSignals(): { activity: ActivitySource; appState: AppStateSource } | undefined {
  const doc = (globalThis as { document?: Document }).document;
  if (doc === undefined || typeof doc.addEventListener !== 'function') return undefined;
  const inputs = ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const;
  return {
    activity: {
      subscribe(listener) {
        const onInput = () => listener();
        for (const type of inputs) doc.addEventListener(type, onInput, { passive: true, capture: true });
        return () => {
          for (const type of inputs) doc.removeEventListener(type, onInput, { capture: true });
        };
      },
    },
    appState: {
      subscribe(listener) {
        const onChange = () => listener(doc.visibilityState === 'hidden' ? 'background' : 'active');
        doc.addEventListener('visibilitychange', onChange);
        return () => doc.removeEventListener('visibilitychange', onChange);
      },
    },
  };
}

/**
 * When the vault locks by itself.
 *
 * @example
 * ```ts
 * const policy: AutoLockPolicy = { idleMs: 5 * 60_000, background: 'immediately' };
 * ```
 */
export interface AutoLockPolicy {
  /** Lock after this long without `touch()`. Default: never. */
  readonly idleMs?: number;
  /** Lock on going to the background: at once, after this many ms, or never. Default `immediately`. */
  readonly background?: 'immediately' | 'never' | number;
}

/** Runs an {@link AutoLockPolicy} for one unlocked session. */
export class AutoLock {
  #policy: AutoLockPolicy;
  readonly #clock: Clock;
  readonly #lock: () => void;
  #lastActivity = 0;
  #backgroundedAt: number | undefined;
  #idleTimer: unknown;
  #backgroundTimer: unknown;
  #armed = false;

  constructor(policy: AutoLockPolicy, clock: Clock, lock: () => void) {
    checkDurations(policy);
    this.#policy = policy;
    this.#clock = clock;
    this.#lock = lock;
  }

  /** Replaces the policy (e.g. with the server's lock timeout); restarts the idle timer. */
  setPolicy(policy: AutoLockPolicy): void {
    checkDurations(policy);
    this.#policy = policy;
    if (this.#armed) this.#checkIdle();
  }

  /** Starts watching after an unlock. */
  arm(): void {
    this.#armed = true;
    this.#backgroundedAt = undefined;
    this.#restartIdle(this.#clock.now());
  }

  /** Stops all timers (after a lock). */
  disarm(): void {
    this.#armed = false;
    this.#clock.clearTimeout(this.#idleTimer);
    this.#clock.clearTimeout(this.#backgroundTimer);
    this.#idleTimer = undefined;
    this.#backgroundTimer = undefined;
  }

  /** The policy in force. */
  get policy(): AutoLockPolicy {
    return this.#policy;
  }

  /**
   * Records user activity. Activity that comes after the idle period already ran out locks
   * instead: a timer can miss its moment (a machine asleep, a suspended process), and the key
   * press that wakes the device reaches the app before the overdue timer does.
   */
  touch(): void {
    if (!this.#armed) return;
    const now = this.#clock.now();
    const idleMs = this.#policy.idleMs;
    if (idleMs !== undefined && now - this.#lastActivity >= idleMs) {
      this.#fire();
      return;
    }
    this.#restartIdle(now);
  }

  /** Reacts to a foreground/background change. */
  appState(state: AppState): void {
    if (!this.#armed) return;
    const background = this.#policy.background ?? 'immediately';
    if (state === 'background') {
      if (background === 'never') return;
      if (background === 'immediately') {
        this.#fire();
        return;
      }
      this.#backgroundedAt = this.#clock.now();
      this.#clock.clearTimeout(this.#backgroundTimer);
      this.#backgroundTimer = this.#clock.setTimeout(() => this.#fire(), background);
      return;
    }
    this.#clock.clearTimeout(this.#backgroundTimer);
    const since = this.#backgroundedAt;
    this.#backgroundedAt = undefined;
    if (typeof background === 'number' && since !== undefined && this.#clock.now() - since >= background) {
      this.#fire();
      return;
    }
    this.#checkIdle();
  }

  #restartIdle(now: number): void {
    this.#lastActivity = now;
    const idleMs = this.#policy.idleMs;
    if (idleMs === undefined) return;
    this.#clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = this.#clock.setTimeout(() => this.#checkIdle(), idleMs);
  }

  #checkIdle(): void {
    const idleMs = this.#policy.idleMs;
    if (!this.#armed || idleMs === undefined) return;
    const idle = this.#clock.now() - this.#lastActivity;
    if (idle >= idleMs) {
      this.#fire();
      return;
    }
    this.#clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = this.#clock.setTimeout(() => this.#checkIdle(), idleMs - idle);
  }

  #fire(): void {
    if (!this.#armed) return;
    this.disarm();
    this.#lock();
  }
}

function checkDurations(policy: AutoLockPolicy): void {
  for (const value of [policy.idleMs, policy.background]) {
    if (typeof value === 'number' && !(Number.isFinite(value) && value >= 0)) {
      throw new InvalidArgumentError('auto-lock durations must be finite and non-negative');
    }
  }
}
