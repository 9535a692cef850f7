/**
 * `npm run bench:load`: the load run of issue 14 (bench/load/load.ts) as a benchmark: 200 devices
 * syncing for 60 s against two nodes on PostgreSQL, after a baseline phase in which the same
 * devices, at the same pace, call `GET /healthz`. Prints the sync latency as a ratio of the
 * baseline's, and the correctness counts. PostgreSQL from BULWARK_BENCH_DATABASE_URL or
 * BULWARK_TEST_DATABASE_URL; BENCH_LOAD_DEVICES and BENCH_LOAD_SECONDS change the sizes.
 *
 * `npm run bench:load -- --redis` (or BENCH_LOAD_REDIS=1) runs the same with both nodes given
 * `--redis-url` of a private `redis-server` the bench starts on a free loopback port (Debian's
 * binary: BULWARK_REDIS_SERVER, or /usr/bin/redis-server) and stops after; it fails when the
 * nodes do not report Redis as their shared state or Redis processed no command.
 */
import { loadavg } from 'node:os';
import { runLoad } from './load.js';
import { type BenchRedis, startBenchRedis } from './redis.js';

const databaseUrl = process.env.BULWARK_BENCH_DATABASE_URL ?? process.env.BULWARK_TEST_DATABASE_URL;
if (databaseUrl === undefined) {
  console.error(
    'bench:load needs PostgreSQL: set BULWARK_BENCH_DATABASE_URL (or BULWARK_TEST_DATABASE_URL).',
  );
  process.exit(2);
}
const withRedis = process.argv.includes('--redis') || process.env.BENCH_LOAD_REDIS === '1';
let redis: BenchRedis | undefined;
let redisCommands = 0;
let r: Awaited<ReturnType<typeof runLoad>>;
try {
  redis = withRedis ? await startBenchRedis() : undefined;
  const before = (await redis?.commandsProcessed()) ?? 0;
  r = await runLoad({
    databaseUrl,
    devices: Number(process.env.BENCH_LOAD_DEVICES ?? 200),
    seconds: Number(process.env.BENCH_LOAD_SECONDS ?? 60),
    baselineSeconds: 10,
    ...(redis === undefined ? {} : { redisUrl: redis.url }),
    log: (line) => console.error(`load: ${line}`),
  });
  redisCommands = ((await redis?.commandsProcessed()) ?? 0) - before;
} finally {
  await redis?.stop();
}
const base = r.baselineLatencyMs ?? { p50: Number.NaN, p99: Number.NaN };
const lines = [
  `bench:load — ${withRedis ? 'postgres and redis' : 'postgres'}, two nodes, Node ${process.version}, ${r.devices} devices for ${r.seconds} s, load average ${loadavg()[0]?.toFixed(1)}`,
  `shared state (replay cache, throttling): ${r.sharedState}${withRedis ? `; ${redisCommands} Redis commands (sign-ins and baseline included)` : ''}`,
  '',
  `requests ${r.requests} (${(r.requests / r.seconds).toFixed(0)}/s): ${r.pushes} pushes (${r.retriedPushes} sent twice), ${r.pulls} pulls, ${r.pulledChanges} changes pulled`,
  `statuses ${JSON.stringify(r.statuses)}; 5xx: ${r.serverErrors}`,
  `baseline GET /healthz, same devices and pace   p50 ${base.p50.toFixed(1)} ms   p99 ${base.p99.toFixed(1)} ms`,
  `sync push/pull (DPoP, rules, database)          p50 ${r.latencyMs.p50.toFixed(1)} ms   p99 ${r.latencyMs.p99.toFixed(1)} ms  = ${(r.latencyMs.p50 / base.p50).toFixed(1)}x, ${(r.latencyMs.p99 / base.p99).toFixed(1)}x the baseline`,
  `writes: ${r.acknowledgedWrites} acknowledged, ${r.records} in the database, ${r.lost} lost, ${r.duplicated} duplicated; retried pushes answered differently: ${r.retryMismatches}`,
];
console.log(lines.join('\n'));
// With Redis, the run must have gone through it (every authenticated request checks a replay).
const unusedRedis = withRedis && !(redisCommands > r.requests);
if (unusedRedis)
  console.error(`bench:load: Redis processed ${redisCommands} commands for ${r.requests} requests`);
if (r.serverErrors > 0 || r.lost > 0 || r.duplicated > 0 || r.retryMismatches > 0 || unusedRedis)
  process.exit(1);
