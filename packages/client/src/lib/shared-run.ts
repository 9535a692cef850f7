/**
 * One run of a task that every caller shares, safe against callbacks that start it again. A wipe
 * calls app code (the vault's `onWipe` listeners, `onWiped`, the transport); that code may call
 * `wipe()` again and wait for it. Such a call gets the running promise, and the run stops waiting
 * for the callback it is in, since that callback now waits for the run: without this, the run and
 * the callback would wait for each other forever. Steps that call no app code are awaited to the
 * end, so a concurrent trigger never cuts the order of a wipe short.
 */

/** Runs one callback of the task; see {@link SharedRun}. */
export type CallbackRunner = (callback: () => unknown) => Promise<void>;

/**
 * A task run once for all its callers. A run that succeeded is kept: later calls get its result
 * (one revocation that reaches the wipe through two listeners wipes once) until {@link reset}
 * (a new install on the same vault). A run that failed is forgotten, so the next call retries.
 */
export class SharedRun<T> {
  #current: Promise<T> | undefined;
  #release: (() => void) | undefined;

  /** Whether a run is under way or has succeeded (until {@link reset}). */
  get started(): boolean {
    return this.#current !== undefined;
  }

  /**
   * Starts the task, or returns the run under way or done. The task starts on the next
   * microtask, after the promise is recorded, so even a synchronous re-entry shares it.
   */
  run(task: (callback: CallbackRunner) => Promise<T>): Promise<T> {
    if (this.#current !== undefined) {
      this.#release?.();
      return this.#current;
    }
    const run = Promise.resolve().then(() => task((callback) => this.#callback(callback)));
    this.#current = run;
    run.catch(() => {
      if (this.#current === run) this.#current = undefined;
    });
    return run;
  }

  /** Forgets a successful run, so that the next call starts a new one. */
  reset(): void {
    this.#current = undefined;
  }

  async #callback(callback: () => unknown): Promise<void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#release = release;
    try {
      const result = Promise.resolve().then(callback);
      // Once released, nobody waits for the callback any more: its late failure is its own.
      result.catch(() => undefined);
      await Promise.race([result, released]);
    } finally {
      if (this.#release === release) this.#release = undefined;
    }
  }
}
