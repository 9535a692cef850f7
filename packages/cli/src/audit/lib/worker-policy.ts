/**
 * How many scan workers to start. A worker costs a start-up (its own V8 instance and modules,
 * 30 to 100 ms of CPU) and pays only while there is a core nobody else uses: on a machine already
 * busy with other jobs it takes CPU time from the main thread instead of adding any. So by
 * default: the main thread scans too, so one fewer worker than cores (at most 3); none while the
 * load average leaves no core idle; and none before 128 MiB of large files are queued. A worker
 * also compiles the scan code anew, so its first files go slower: on a 50 MB bundle a worker made
 * the whole audit slower even on an idle 2-core machine (the main thread had scanned most of it by
 * the time the worker was warm), and on 300 MB it paid only while the second core was free.
 */

/** Queued bytes from which default workers pay for their start-up. */
export const POOL_MIN_BYTES = 128 * 1024 * 1024;

/** What the decision depends on. */
export interface WorkerDemand {
  /** Workers asked for explicitly (`AuditOptions.workers`): used as they are. */
  requested?: number | undefined;
  /** Cores available to this process. */
  cores: number;
  /** One-minute load average (0 where the system has none, as on Windows). */
  load: number;
  /** Bytes of large files queued so far. */
  queuedBytes: number;
}

/**
 * The number of workers to start now, 0 for none in this scan, or undefined to decide again
 * when more is queued.
 *
 * @example
 * ```ts
 * workersFor({ cores: 2, load: 0.2, queuedBytes: 50e6 }); // 1
 * workersFor({ cores: 2, load: 3.5, queuedBytes: 50e6 }); // 0
 * ```
 */
export function workersFor(demand: WorkerDemand): number | undefined {
  if (demand.requested !== undefined) return Math.max(0, Math.floor(demand.requested));
  const most = Math.min(demand.cores - 1, 3);
  if (most <= 0) return 0;
  if (demand.queuedBytes < POOL_MIN_BYTES) return undefined;
  const idle = Math.round(demand.cores - demand.load);
  return Math.max(0, Math.min(most, idle));
}
