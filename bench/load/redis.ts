/**
 * A private `redis-server` for the load run with Redis: Debian's binary (BULWARK_REDIS_SERVER, or
 * /usr/bin/redis-server), on a free loopback port, without persistence, in a temporary folder
 * removed after. The bench never touches a Redis it did not start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitForPort } from '../../test-support/ports.js';

/** A running private Redis. */
export interface BenchRedis {
  readonly url: string;
  /** Commands the server has processed so far (INFO stats), to show the nodes really used it. */
  commandsProcessed(): Promise<number>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts the private Redis and resolves once it accepts connections.
 *
 * @example
 * ```ts
 * const redis = await startBenchRedis();
 * await runLoad({ databaseUrl, redisUrl: redis.url, devices: 200, seconds: 60 });
 * await redis.stop();
 * ```
 */
export async function startBenchRedis(): Promise<BenchRedis> {
  const binary = process.env.BULWARK_REDIS_SERVER ?? '/usr/bin/redis-server';
  if (!existsSync(binary)) {
    throw new Error(
      `no redis-server at ${binary}: install Debian's redis-server or set BULWARK_REDIS_SERVER`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}/0`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port);
  } catch (error) {
    await stop();
    throw error;
  }
  const admin = new Redis(url, { maxRetriesPerRequest: 1 });
  return {
    url,
    async commandsProcessed() {
      const stats = await admin.info('stats');
      return Number(/total_commands_processed:(\d+)/.exec(stats)?.[1] ?? Number.NaN);
    },
    async stop() {
      admin.disconnect();
      await stop();
    },
  };
}
