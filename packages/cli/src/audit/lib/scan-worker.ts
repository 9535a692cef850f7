/**
 * Worker thread of the text scan: reads a file by absolute path (into the buffer it reuses for
 * every file) and returns its raw findings, so a directory's large files are scanned on every core. Says `ready`
 * once its modules are loaded, so that no job waits in a worker that is still starting. Errors
 * come back as an I/O code.
 */
import { parentPort } from 'node:worker_threads';
import { ScratchReader } from './scratch-reader.js';
import { createTextEngine, scanTextBytes } from './text-file.js';

const engine = createTextEngine();
const reader = new ScratchReader();

interface Job {
  id: number;
  abs: string;
  path: string;
  config: boolean;
}

parentPort?.on('message', (job: Job) => {
  let bytes: Buffer;
  try {
    // Synchronous on purpose: this thread has nothing else to do meanwhile.
    bytes = reader.read(job.abs);
  } catch (err) {
    const code =
      err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : 'I/O error';
    parentPort?.postMessage({ id: job.id, error: code });
    return;
  }
  const raws = scanTextBytes(engine, bytes, { path: job.path, config: job.config });
  parentPort?.postMessage({ id: job.id, raws, bytes: bytes.length });
});
parentPort?.postMessage({ ready: true });
