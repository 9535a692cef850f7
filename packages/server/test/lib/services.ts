/**
 * Real services for the scale-out and fault suites: a private `redis-server` (the binary from
 * BULWARK_REDIS_SERVER, which `scripts/services.sh` exports) and a private PostgreSQL cluster
 * (Debian's binaries, run as the `postgres` user) that a test may stop and restart without
 * touching the shared one, each on a free loopback port in a temporary folder.
 *
 * Without BULWARK_REDIS_SERVER a suite fails under CI=true and is skipped, with the reason,
 * on a developer's machine.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'vitest';
import { freePort, waitForPort } from '../../../../test-support/ports.js';

const inCi = process.env.CI === 'true' || process.env.CI === '1';
const redisServer = process.env.BULWARK_REDIS_SERVER;

export { freePort, waitForPort } from '../../../../test-support/ports.js';

/**
 * `describe` that needs the Redis binary: fails loudly in CI when BULWARK_REDIS_SERVER is
 * missing, and is skipped with the reason elsewhere.
 */
export function describeWithRedis(title: string, body: () => void): void {
  if (redisServer === undefined || redisServer === '') {
    if (inCi) {
      describe(title, () => {
        it('needs BULWARK_REDIS_SERVER', () => {
          throw new Error(
            'BULWARK_REDIS_SERVER is not set: the Redis suites cannot run (source scripts/services.sh).',
          );
        });
      });
      return;
    }
    describe.skip(`${title} (needs BULWARK_REDIS_SERVER; source scripts/services.sh)`, body);
    return;
  }
  describe(title, body);
}

/** A private Redis server. */
export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, waits for the exit). */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/**
 * Starts `redis-server` on a free loopback port, without persistence, in a temporary folder.
 *
 * @example
 * ```ts
 * const redis = await startRedis();
 * await startNode({ redisUrl: redis.url, … });
 * await redis.dispose();
 * ```
 */
export async function startRedis(): Promise<PrivateRedis> {
  if (redisServer === undefined || redisServer === '') {
    throw new Error('BULWARK_REDIS_SERVER is not set (source scripts/services.sh)');
  }
  const binary = redisServer;
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const proc = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    child = proc;
    await waitForPort(port);
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The folder of Debian's PostgreSQL binaries (the newest installed major). */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => existsSync(join(root, d, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const major = majors[0];
  if (major === undefined) throw new Error(`no PostgreSQL binaries under ${root}`);
  return join(root, major, 'bin');
}

/** A private PostgreSQL cluster. */
export interface PrivateCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  readonly url: string;
  /**
   * Restarts the server while the test goes on; `immediate` stops it as a crash would (WAL
   * recovery at start).
   */
  restart(mode: 'fast' | 'immediate'): Promise<void>;
  dispose(): void;
}

/** Runs a PostgreSQL binary as the `postgres` user, as scripts/services.sh does. */
function asPostgres(bin: string, args: readonly string[]): void {
  execFileSync('runuser', ['-u', 'postgres', '--', join(postgresBin(), bin), ...args], { stdio: 'ignore' });
}

/** The same without blocking the test's event loop. */
async function asPostgresAsync(bin: string, args: readonly string[]): Promise<void> {
  await promisify(execFile)('runuser', ['-u', 'postgres', '--', join(postgresBin(), bin), ...args]);
}

/**
 * Creates and starts a throwaway PostgreSQL cluster on a free loopback port (never the shared
 * one), for tests that restart the database. Needs root (runuser) and Debian's binaries.
 *
 * @example
 * ```ts
 * const pg = await startPostgresCluster();
 * await pg.restart('immediate');
 * pg.dispose();
 * ```
 */
export async function startPostgresCluster(): Promise<PrivateCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on`;
  const startArgs = ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '30', 'start'];
  asPostgres('pg_ctl', startArgs);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async restart(mode) {
      await asPostgresAsync('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
      await asPostgresAsync('pg_ctl', startArgs);
    },
    dispose() {
      try {
        asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
