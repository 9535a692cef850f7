/**
 * `npm run bench`: runs every benchmark once, one after the other (auth, sync on SQLite and on
 * PostgreSQL, store, audit, demo, load), and writes docs/benchmarks.md: the machine, the date,
 * the method, and each benchmark's own report. Every figure there is a ratio against a baseline
 * measured in the same run of the same benchmark, so that the page compares like with like on
 * whatever machine wrote it. A benchmark that fails is reported as failed, with its last lines,
 * and the others still run. PostgreSQL comes from BULWARK_BENCH_DATABASE_URL or
 * BULWARK_TEST_DATABASE_URL (the PostgreSQL runs are left out, and said so, without one). The
 * auth and load runs go twice: on one node's own state, then with several nodes' shared state
 * in Redis (a private `redis-server`: Debian's binary, BULWARK_REDIS_SERVER or
 * /usr/bin/redis-server; left out, and said so, without one).
 * `BENCH_ONLY="sync (SQLite),sync (PostgreSQL)"` runs only the named benchmarks and replaces
 * their sections of the existing page (each section then says when it was run).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startBenchRedis } from './load/redis.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const pgUrl = process.env.BULWARK_BENCH_DATABASE_URL ?? process.env.BULWARK_TEST_DATABASE_URL;
const redisServer = process.env.BULWARK_REDIS_SERVER ?? '/usr/bin/redis-server';

interface Bench {
  readonly name: string;
  readonly script: string;
  /** Arguments after `--` (the same script run another way). */
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
  readonly needsPg?: boolean;
  /** Needs Debian's `redis-server`; `startRedis`: this script starts one and passes its URL. */
  readonly needsRedis?: boolean;
  readonly startRedis?: boolean;
  readonly what: string;
}

const BENCHES: readonly Bench[] = [
  {
    name: 'auth (SQLite)',
    script: 'bench:auth',
    what: 'CPU of authenticating a request (access token, DPoP proof, session and device checks) against an unauthenticated request and one signature verify, in-process',
  },
  {
    name: 'auth (PostgreSQL and Redis)',
    script: 'bench:auth',
    env: pgUrl === undefined ? {} : { BULWARK_BENCH_DATABASE_URL: pgUrl },
    needsPg: true,
    needsRedis: true,
    startRedis: true,
    what: 'the same with the server on PostgreSQL and its replay cache and throttling in a private `redis-server` (how several nodes run)',
  },
  {
    name: 'sync (SQLite)',
    script: 'bench:sync',
    what: 'secured pull and push against plain reads and inserts of the same rows, in-process',
  },
  {
    name: 'sync (PostgreSQL)',
    script: 'bench:sync',
    env: pgUrl === undefined ? {} : { BULWARK_BENCH_DATABASE_URL: pgUrl },
    needsPg: true,
    what: 'the same on PostgreSQL',
  },
  { name: 'store', script: 'bench:store', what: 'the client store: sealed records against plain ones' },
  { name: 'audit', script: 'bench:audit', what: '`bulwark audit` on an app tree' },
  { name: 'demo', script: 'bench:demo', what: 'the demo app in Chromium' },
  {
    name: 'load (PostgreSQL, two nodes)',
    script: 'bench:load',
    env: pgUrl === undefined ? {} : { BULWARK_BENCH_DATABASE_URL: pgUrl },
    needsPg: true,
    what: '200 devices syncing over HTTP for 60 s against two server processes',
  },
  {
    name: 'load (PostgreSQL and Redis, two nodes)',
    script: 'bench:load',
    args: ['--redis'],
    env: pgUrl === undefined ? {} : { BULWARK_BENCH_DATABASE_URL: pgUrl },
    needsPg: true,
    needsRedis: true,
    what: 'the same with both server processes given `--redis-url` of a private `redis-server` (replay cache and throttling in Redis)',
  },
];

async function run(bench: Bench): Promise<{ code: number | null; out: string; ms: number }> {
  if (bench.startRedis !== true) return runScript(bench, {});
  const redis = await startBenchRedis();
  try {
    return await runScript(bench, { BULWARK_BENCH_REDIS_URL: redis.url });
  } finally {
    await redis.stop();
  }
}

function runScript(
  bench: Bench,
  extraEnv: Record<string, string>,
): Promise<{ code: number | null; out: string; ms: number }> {
  return new Promise((done) => {
    const start = performance.now();
    const args = bench.args === undefined ? [] : ['--', ...bench.args];
    const child = spawn('npm', ['run', '--silent', bench.script, ...args], {
      cwd: root,
      env: { ...process.env, ...bench.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      process.stdout.write(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      process.stderr.write(c);
    });
    child.on('exit', (code) =>
      done({
        code,
        out: code === 0 ? out : `${out}\n${err.split('\n').slice(-15).join('\n')}`,
        ms: performance.now() - start,
      }),
    );
  });
}

const only = process.env.BENCH_ONLY?.split(',').map((n) => n.trim());
const pageUrl = new URL('../docs/benchmarks.md', import.meta.url);
const started = new Date();
const stamp = `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const loadBefore = loadavg();
const sections: string[] = [];
const summary: string[] = [];
for (const bench of BENCHES) {
  if (only !== undefined && !only.includes(bench.name)) continue;
  if (bench.needsPg === true && pgUrl === undefined) {
    summary.push(`| ${bench.name} | not run: no PostgreSQL URL | |`);
    continue;
  }
  if (bench.needsRedis === true && !existsSync(redisServer)) {
    summary.push(`| ${bench.name} | not run: no redis-server at ${redisServer} | |`);
    continue;
  }
  const command = `npm run ${bench.script}${bench.args === undefined ? '' : ` -- ${bench.args.join(' ')}`}`;
  console.error(`\n== ${bench.name}: ${command}`);
  const r = await run(bench);
  const status = r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`;
  summary.push(`| ${bench.name} | ${status} | ${(r.ms / 1000).toFixed(0)} s |`);
  sections.push(
    [
      `## ${bench.name}`,
      '',
      `\`${command}\`: ${bench.what}. ${status}${only === undefined ? '' : `, run ${stamp}`}.`,
      '',
      '```text',
      r.out.trim(),
      '```',
    ].join('\n'),
  );
}
if (only !== undefined) {
  if (!existsSync(pageUrl))
    throw new Error('BENCH_ONLY replaces sections of docs/benchmarks.md: run npm run bench first');
  let page = readFileSync(pageUrl, 'utf8');
  for (const section of sections) {
    const heading = section.split('\n')[0] as string;
    const at = page.indexOf(`\n${heading}\n`);
    if (at < 0) throw new Error(`no section "${heading}" in docs/benchmarks.md`);
    const next = page.indexOf('\n## ', at + heading.length + 1);
    page = `${page.slice(0, at + 1)}${section}\n${next < 0 ? '' : page.slice(next)}`;
  }
  for (const row of summary) {
    const name = row.split('|')[1]?.trim() as string;
    page = page.replace(new RegExp(`^\\| ${name.replace(/[()]/g, '\\$&')} \\|.*$`, 'm'), row);
  }
  writeFileSync(pageUrl, page);
  console.error(`\nreplaced ${sections.length} section(s) of docs/benchmarks.md`);
  process.exit(0);
}
const cpu = cpus();
const page = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (bench/all.ts), which runs every benchmark once, one after the other,',
  'and copies their reports here. Do not edit by hand: run it again.',
  '',
  `- Date: ${stamp}`,
  `- Machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${process.platform} ${process.arch}`,
  `- Node ${process.version}; load average ${loadBefore.map((l) => l.toFixed(1)).join(', ')} at the start (the machine may be shared)`,
  '',
  '## Method',
  '',
  'Each benchmark measures its subject and its baseline in the same process and the same run,',
  'taking turns where it can, and prints the ratio of the two: a ratio stays comparable when the',
  'machine is slower or busier, an absolute figure does not. Absolute times below are those of',
  'this run on this machine only. What each baseline is, and why, is said in the header of each',
  'benchmark (bench/*/run.*) and in the docs page of its area ([sync.md](sync.md#performance),',
  '[operations.md](operations.md), [storage](crypto.md)). The load run is a correctness test',
  'first: it fails on any 5xx, lost or duplicated write.',
  '',
  '| benchmark | result | took |',
  '| --- | --- | --- |',
  ...summary,
  '',
  ...sections.flatMap((s) => [s, '']),
];
writeFileSync(pageUrl, `${page.join('\n').trimEnd()}\n`);
console.error('\nwrote docs/benchmarks.md');
