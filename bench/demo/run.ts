/**
 * `npm run bench:demo`: the demo's first sync in headless Chromium (Debian's, as the screen
 * tests use it). The real server with the demo configuration holds N inspections (5,000 by
 * default) assigned to one inspector; a page served from the server's origin signs in as a new
 * device and pulls them all into a fresh IndexedDB store through the SDK's SyncEngine:
 *
 * - encrypted: the demo's collection as declared (`residentPhone` sealed with AES-GCM per record);
 * - plain: the same collection with every field plain (the baseline, same run, same server).
 *
 * Rounds alternate the two (ABAB…) so that drift hits both; the best and the median of each are
 * reported with the ratio encrypted / plain. Target (issue): at most 2×. BENCH_DEMO_N and
 * BENCH_ROUNDS change the sizes. Results: docs/demo.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceKey, MemorySessionStore, Transport } from '@bulwark/client';
import { type BulwarkConfig, startServer } from '@bulwark/server';
import { build } from 'esbuild';
import config from '../../apps/demo/bulwark.config.js';
import { launchChromium } from '../../test-support/e2e.js';

const N = Number(process.env.BENCH_DEMO_N ?? 5_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const posture = {
  report: async () => ({
    platform: 'node',
    osVersion: process.version,
    appVersion: '1.0.0',
    posture: { rooted: false, screenLock: true, emulator: false },
  }),
};

const pageDir = await mkdtemp(join(tmpdir(), 'bulwark-bench-demo-'));
const bundle = await build({
  entryPoints: [fileURLToPath(new URL('./entry.ts', import.meta.url))],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'chrome120',
  minify: true,
  write: false,
  logLevel: 'warning',
});
await writeFile(join(pageDir, 'bench.js'), bundle.outputFiles[0]?.text ?? '');
await writeFile(
  join(pageDir, 'index.html'),
  '<!doctype html><html lang="en"><title>loading</title><script type="module" src="./bench.js"></script></html>',
);

const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-bench-demo-data-'));
const server = await startServer({
  host: '127.0.0.1',
  port: 0,
  dataDir,
  data: config as unknown as BulwarkConfig,
  webApps: { bench: { dir: pageDir, wasm: true } },
  auth: { passwords: { maxConcurrentHashes: 2, maxQueuedHashes: 64 } },
  logger: false,
});
const origin = server.url.replace('//127.0.0.1:', '//localhost:');

try {
  const initial = server.initialAdmin;
  if (initial === undefined) throw new Error('no initial admin');
  const admin = new Transport({
    baseUrl: server.url,
    devMode: true,
    deviceKey: await DeviceKey.generate(),
    sessions: new MemorySessionStore(),
    posture,
  });
  const adminDevice = randomUUID();
  const adminPassword = `bench ${randomBytes(12).toString('hex')}`;
  await admin.login({ ...initial, deviceId: adminDevice });
  await admin.request('POST', '/auth/password', {
    currentPassword: initial.password,
    newPassword: adminPassword,
  });
  await admin.login({ username: initial.username, password: adminPassword, deviceId: adminDevice });
  const inspector = { username: 'bench-inspector', password: `field ${randomBytes(12).toString('hex')}` };
  const user = await admin.request<{ id: string }>('POST', '/admin/users', { ...inspector, role: 'user' });
  // A team of its own: the demo configuration also seeds a hundred inspections in north and south.
  await admin.request('PUT', `/admin/users/${user.id}/teams`, { teams: ['bench'] });

  for (let start = 0; start < N; start += 100) {
    const mutations = [];
    for (let i = start; i < Math.min(N, start + 100); i++) {
      mutations.push({
        mutationId: randomUUID(),
        collection: 'inspections',
        id: randomUUID(),
        op: 'upsert',
        baseVersion: null,
        record: {
          site: `Site ${i}, warehouse ${i % 97}`,
          address: `${i} Quay Street`,
          inspector: user.id,
          team: 'bench',
          status: (['scheduled', 'in_progress', 'done'] as const)[i % 3],
          scheduledAt: '2030-01-20T08:30:00Z',
          residentPhone: `+33 6 12 ${String(i).padStart(6, '0')}`,
          findings: [
            { note: 'Loose handrail on stairs B', severity: 'medium' },
            { note: 'Fire door blocked', severity: 'high' },
          ],
          photos: [],
        },
      });
    }
    await admin.request('POST', '/sync/push', { mutations });
  }

  const browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(`${origin}/bench/`);
  await page.waitForFunction(() => document.title === 'ready');

  const samples = { encrypted: [] as number[], plain: [] as number[] };
  // One warm-up of each, not counted: the first round pays for JIT and the server's caches.
  for (let round = -1; round < ROUNDS; round++) {
    for (const sensitive of round % 2 === 0 ? [true, false] : [false, true]) {
      const result = await page.evaluate(([u, p, s]) => window.bench.firstSync(u, p, s), [
        inspector.username,
        inspector.password,
        sensitive,
      ] as const);
      if (result.count !== N) throw new Error(`synced ${result.count} of ${N}`);
      if (round >= 0) samples[sensitive ? 'encrypted' : 'plain'].push(result.ms);
    }
  }
  await browser.close();

  const best = (xs: number[]) => Math.min(...xs);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const line = (name: string, xs: number[]) =>
    `${name.padEnd(10)} best ${best(xs).toFixed(0).padStart(6)} ms  median ${median(xs).toFixed(0).padStart(6)} ms  (${(N / (best(xs) / 1000)).toFixed(0)} records/s)`;
  console.log(
    `bench:demo — first sync of ${N} inspections into IndexedDB, Chromium ${browser.version()}, ${ROUNDS} rounds, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}`,
  );
  console.log(line('encrypted', samples.encrypted));
  console.log(line('plain', samples.plain));
  console.log(
    `ratio encrypted/plain: best ${(best(samples.encrypted) / best(samples.plain)).toFixed(2)}x, median ${(median(samples.encrypted) / median(samples.plain)).toFixed(2)}x (target ≤ 2x)`,
  );
} finally {
  await server.close();
  await rm(pageDir, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
}

declare global {
  interface Window {
    bench: {
      firstSync(
        username: string,
        password: string,
        sensitive: boolean,
      ): Promise<{ ms: number; upserted: number; count: number }>;
    };
  }
}
