/**
 * Worker thread of the text scan: reads a file by absolute path and returns its raw findings, so
 * a directory's large files are scanned on every core. Errors come back as an I/O code.
 */
import { readFile } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { createTextEngine, scanTextBytes } from './text-file.js';

const engine = createTextEngine();

interface Job {
  id: number;
  abs: string;
  path: string;
  config: boolean;
}

parentPort?.on('message', (job: Job) => {
  readFile(job.abs).then(
    (bytes) => {
      const raws = scanTextBytes(engine, bytes, { path: job.path, config: job.config });
      parentPort?.postMessage({ id: job.id, raws, bytes: bytes.length });
    },
    (err: unknown) => {
      const code =
        err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : 'I/O error';
      parentPort?.postMessage({ id: job.id, error: code });
    },
  );
});
