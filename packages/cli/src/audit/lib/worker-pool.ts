/**
 * A small pool of scan workers (worker_threads) for the text scan of a directory's large files.
 * Jobs go to the least busy worker; the pool starts lazily and is closed by the scan.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RawFinding } from './finding.js';

interface Pending {
  resolve: (value: { raws: RawFinding[]; bytes: number }) => void;
  reject: (err: Error & { code?: string }) => void;
}

interface Reply {
  id: number;
  raws?: RawFinding[];
  bytes?: number;
  error?: string;
}

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
  readonly #workers: { worker: Worker; busy: number }[] = [];
  readonly #pending = new Map<number, Pending>();
  #next = 0;

  constructor(size: number, url: URL) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(url);
      const slot = { worker, busy: 0 };
      worker.on('message', (reply: Reply) => {
        slot.busy--;
        const p = this.#pending.get(reply.id);
        this.#pending.delete(reply.id);
        if (p === undefined) return;
        if (reply.error !== undefined) p.reject(Object.assign(new Error(reply.error), { code: reply.error }));
        else p.resolve({ raws: reply.raws ?? [], bytes: reply.bytes ?? 0 });
      });
      worker.on('error', (err) => {
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
      });
      this.#workers.push(slot);
    }
  }

  /** Number of jobs not finished yet. */
  get inFlight(): number {
    return this.#pending.size;
  }

  scan(abs: string, info: { path: string; config: boolean }): Promise<{ raws: RawFinding[]; bytes: number }> {
    const slot = this.#workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.#next++;
    slot.busy++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, abs, ...info });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
  }
}
