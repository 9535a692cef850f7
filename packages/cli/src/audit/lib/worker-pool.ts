/**
 * A small pool of scan workers (worker_threads) for the text scan of a directory's large files.
 * A worker counts as free only once it has said it is ready, and holds at most two jobs (one
 * running, one waiting in its port, so it never idles while the main thread is busy scanning);
 * the caller keeps its own queue, feeds the pool while it has room ({@link ScanPool.room},
 * {@link ScanPool.onRoom}) and scans the rest itself. The pool is closed by the scan.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import type { RawFinding } from './finding.js';

/**
 * `node:worker_threads` loads when the first pool starts: most scans start none (see
 * worker-policy.ts), and loading it costs a short-lived CLI process about 2 ms of CPU time.
 */
const workerThreads = (): typeof import('node:worker_threads') =>
  createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');

interface Pending {
  resolve: (value: { raws: RawFinding[]; bytes: number }) => void;
  reject: (err: Error & { code?: string }) => void;
}

interface Reply {
  id?: number;
  ready?: boolean;
  raws?: RawFinding[];
  bytes?: number;
  error?: string;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  busy: number;
  /** The worker died (an uncaught error): it takes no more jobs. */
  dead: boolean;
}

/** Jobs a ready worker may hold at once. */
const DEPTH = 2;

/**
 * The default worker script, next to this module once built; undefined when it is not there
 * (e.g. running from TypeScript sources), in which case the scan stays on the main thread.
 *
 * @example
 * ```ts
 * const url = defaultWorkerUrl();
 * ```
 */
export function defaultWorkerUrl(): URL | undefined {
  const url = new URL('./scan-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

/**
 * Pool of scan workers.
 *
 * @example
 * ```ts
 * const pool = new ScanPool(2, workerUrl);
 * const { raws } = await pool.scan('/abs/www/main.js', { path: 'www/main.js', config: false });
 * await pool.close();
 * ```
 */
export class ScanPool {
  readonly #slots: Slot[] = [];
  readonly #pending = new Map<number, Pending & { slot: Slot }>();
  #next = 0;
  #onRoom: () => void = () => undefined;

  constructor(size: number, url: URL) {
    for (let i = 0; i < size; i++) {
      const { Worker: WorkerThread } = workerThreads();
      const slot: Slot = { worker: new WorkerThread(url), ready: false, busy: 0, dead: false };
      slot.worker.on('message', (reply: Reply) => {
        if (reply.ready === true) {
          slot.ready = true;
          this.#onRoom();
          return;
        }
        const p = this.#pending.get(reply.id ?? -1);
        if (p === undefined) return;
        this.#pending.delete(reply.id ?? -1);
        slot.busy--;
        if (reply.error !== undefined) p.reject(Object.assign(new Error(reply.error), { code: reply.error }));
        else p.resolve({ raws: reply.raws ?? [], bytes: reply.bytes ?? 0 });
        this.#onRoom();
      });
      slot.worker.on('error', (err) => {
        for (const [id, p] of this.#pending) {
          if (p.slot !== slot) continue;
          this.#pending.delete(id);
          p.reject(err);
        }
        slot.ready = false;
        slot.dead = true;
      });
      this.#slots.push(slot);
    }
  }

  /** Jobs the ready workers can take now without any waiting behind another. */
  get room(): number {
    return this.#slots.reduce((n, s) => n + (s.ready && !s.dead ? Math.max(0, DEPTH - s.busy) : 0), 0);
  }

  /** Number of jobs not finished yet. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Calls `listener` whenever room may have grown (a worker became ready or finished a job). */
  onRoom(listener: () => void): void {
    this.#onRoom = listener;
  }

  /**
   * Scans a file in the least busy worker (a ready one if any; else it waits in a starting one).
   * Rejects at once when every worker has died.
   */
  scan(abs: string, info: { path: string; config: boolean }): Promise<{ raws: RawFinding[]; bytes: number }> {
    const alive = this.#slots.filter((s) => !s.dead);
    const slot = alive.reduce<Slot | undefined>((a, b) => {
      if (a === undefined) return b;
      const ka = (a.ready ? 0 : DEPTH) + a.busy;
      const kb = (b.ready ? 0 : DEPTH) + b.busy;
      return kb < ka ? b : a;
    }, undefined);
    if (slot === undefined) return Promise.reject(new Error('every scan worker has stopped'));
    const id = this.#next++;
    slot.busy++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ id, abs, ...info });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
