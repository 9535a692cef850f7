/**
 * `npm run bench:load`: the load run of issue 14 (bench/load/load.ts) as a benchmark: 200 devices
 * syncing for 60 s against two nodes on PostgreSQL, after a baseline phase in which the same
 * devices, at the same pace, call `GET /healthz`. Prints the sync latency as a ratio of the
 * baseline's, and the correctness counts. PostgreSQL from BULWARK_BENCH_DATABASE_URL or
 * BULWARK_TEST_DATABASE_URL; BENCH_LOAD_DEVICES and BENCH_LOAD_SECONDS change the sizes.
 */
import { loadavg } from 'node:os';
import { runLoad } from './load.js';

const databaseUrl = process.env.BULWARK_BENCH_DATABASE_URL ?? process.env.BULWARK_TEST_DATABASE_URL;
if (databaseUrl === undefined) {
  console.error(
    'bench:load needs PostgreSQL: set BULWARK_BENCH_DATABASE_URL (or BULWARK_TEST_DATABASE_URL).',
  );
  process.exit(2);
}
const r = await runLoad({
  databaseUrl,
  devices: Number(process.env.BENCH_LOAD_DEVICES ?? 200),
  seconds: Number(process.env.BENCH_LOAD_SECONDS ?? 60),
  baselineSeconds: 10,
  log: (line) => console.error(`load: ${line}`),
});
const base = r.baselineLatencyMs ?? { p50: Number.NaN, p99: Number.NaN };
const lines = [
  `bench:load — postgres, two nodes, Node ${process.version}, ${r.devices} devices for ${r.seconds} s, load average ${loadavg()[0]?.toFixed(1)}`,
  '',
  `requests ${r.requests} (${(r.requests / r.seconds).toFixed(0)}/s): ${r.pushes} pushes (${r.retriedPushes} sent twice), ${r.pulls} pulls, ${r.pulledChanges} changes pulled`,
  `statuses ${JSON.stringify(r.statuses)}; 5xx: ${r.serverErrors}`,
  `baseline GET /healthz, same devices and pace   p50 ${base.p50.toFixed(1)} ms   p99 ${base.p99.toFixed(1)} ms`,
  `sync push/pull (DPoP, rules, database)          p50 ${r.latencyMs.p50.toFixed(1)} ms   p99 ${r.latencyMs.p99.toFixed(1)} ms  = ${(r.latencyMs.p50 / base.p50).toFixed(1)}x, ${(r.latencyMs.p99 / base.p99).toFixed(1)}x the baseline`,
  `writes: ${r.acknowledgedWrites} acknowledged, ${r.records} in the database, ${r.lost} lost, ${r.duplicated} duplicated; retried pushes answered differently: ${r.retryMismatches}`,
];
console.log(lines.join('\n'));
if (r.serverErrors > 0 || r.lost > 0 || r.duplicated > 0 || r.retryMismatches > 0) process.exit(1);
