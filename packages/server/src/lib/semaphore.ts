/**
 * A counting semaphore with a bounded queue. Used to cap CPU- and memory-heavy work (password
 * hashing) so that a flood of requests queues briefly and is then refused instead of starving
 * the server.
 */
import { HttpProblem } from '../http/problem.js';

/** Thrown when every slot is busy and the queue is full. Answered as 503 `server_busy`. */
export class SaturatedError extends HttpProblem {
  constructor() {
    super(503, 'server_busy', 'The server is busy; retry in a moment.', { headers: { 'retry-after': '1' } });
  }
}

/** Runs at most `max` tasks at once; at most `maxQueue` more wait, the rest are refused. */
export class Semaphore {
  readonly #max: number;
  readonly #maxQueue: number;
  #running = 0;
  readonly #queue: Array<() => void> = [];

  constructor(max: number, maxQueue: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
    if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError('maxQueue must be >= 0');
    this.#max = max;
    this.#maxQueue = maxQueue;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Runs `task` when a slot is free; throws {@link SaturatedError} when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#max) {
      if (this.#queue.length >= this.#maxQueue) throw new SaturatedError();
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    } else {
      this.#running += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      // The slot passes straight to the next waiter, so `running` stays the same.
      if (next === undefined) this.#running -= 1;
      else next();
    }
  }
}
