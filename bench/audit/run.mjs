#!/usr/bin/env node
/**
 * `npm run bench:audit`: scan throughput of `bulwark audit` against secretlint (recommended
 * preset) on the same generated 50 MB web bundles, in the same run, and how many of the planted
 * secrets each finds. Two bundles are generated in a temp dir, each of 100 chunk files:
 *  - "modules": the JavaScript files of this repository's node_modules (sorted by path, so the
 *    same lockfile gives the same bytes) concatenated into chunks, as a bundler would;
 *  - "synthetic": minified-JS-like token soup from a seeded generator.
 * Secrets are planted one per line at seeded random places. Both tools run as child processes
 * (start-up included, as in CI). Each tool runs BENCH_AUDIT_RUNS times (default 3), the tools
 * taking turns so that a change in the machine's load falls on all of them; the medians are
 * reported, of wall-clock time and (on Linux) of CPU time (user + system, all threads), which a
 * busy machine disturbs much less than wall-clock time.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const require = createRequire(import.meta.url);
const TARGET_BYTES = Number(process.env.BENCH_AUDIT_MB ?? 50) * 1024 * 1024;
const RUNS = Math.max(1, Number(process.env.BENCH_AUDIT_RUNS ?? 3));
const FILES = 100;
const PER_TYPE = 8;

// Seeded PRNG (mulberry32) so every run scans the same bundle.
let seed = 0x5eed1234;
function rnd() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(rnd() * list.length)];
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const randomString = (n, alphabet = ALNUM) => Array.from({ length: n }, () => pick(alphabet)).join('');

const WORDS = (
  'function return const let var this props state value index length push createElement useState useEffect ' +
  'onClick className data items map filter reduce then catch error undefined null true false render key id name ' +
  'type children style width height options config module exports require default async await Promise resolve ' +
  'reject fetch headers Authorization Bearer JSON stringify parse Object assign keys entries Array from isArray ' +
  'token tokenize password user session cache store dispatch action payload reducer selector router navigate'
).split(' ');
const STRINGS = [
  'https://api.acme-corp.io/v2/items',
  'https://cdn.jsdelivr.net/npm/lib@1/dist/x.js',
  'http://www.w3.org/2000/svg',
  'http://www.w3.org/1999/xlink',
  'application/json',
  'Content-Type',
  'button--primary',
  'Something went wrong',
  'en-US',
];

function fillerLine() {
  const parts = [];
  const target = 200 + Math.floor(rnd() * 800);
  let size = 0;
  while (size < target) {
    const r = rnd();
    let piece;
    if (r < 0.55) piece = pick(WORDS);
    else if (r < 0.7) piece = `"${pick(STRINGS)}"`;
    else if (r < 0.8) piece = String(Math.floor(rnd() * 100000));
    else if (r < 0.83) piece = `"${randomString(8 + Math.floor(rnd() * 24))}"`;
    else if (r < 0.835) piece = `"data:image/png;base64,${randomString(400, `${ALNUM}+/`)}"`;
    else piece = pick(['(', ')', '{', '}', '.', ',', ';', '=', '=>', '&&', '||', '?', ':', '[', ']', '!']);
    parts.push(piece);
    size += piece.length + 1;
  }
  return parts.join(' ');
}

/** Lines of real JavaScript from node_modules, in a stable order. */
function moduleLines() {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (st === undefined) continue;
      if (st.isDirectory()) walk(path);
      else if (/\.(?:js|mjs|cjs)$/.test(name) && st.size > 1000 && st.size < 2_000_000) files.push(path);
    }
  };
  walk(join(repo, 'node_modules'));
  const lines = [];
  let size = 0;
  for (const file of files) {
    lines.push(`/* ${file.slice(repo.length + 1)} */`);
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      lines.push(line);
      size += line.length + 1;
    }
    if (size > TARGET_BYTES * 1.1) break;
  }
  return lines;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function githubToken() {
  const random = randomString(30);
  let n = crc32(Buffer.from(random));
  let sum = '';
  do {
    sum = BASE62[n % 62] + sum;
    n = Math.floor(n / 62);
  } while (n > 0);
  return `ghp_${random}${sum.padStart(6, '0')}`;
}
const b64url = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

// Each maker returns the text planted on its own line(s); the secret starts on the first line.
const PLANTS = {
  'AWS access key id': () =>
    `const awsAccessKeyId = "AKIA${randomString(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}";`,
  'AWS secret access key': () => `const aws_secret_access_key = "${randomString(40, `${ALNUM}/+`)}";`,
  'GitHub token': () => `const githubToken = "${githubToken()}";`,
  'Slack bot token': () =>
    `const slackToken = "xoxb-${randomString(11, '0123456789')}-${randomString(12, '0123456789')}-${randomString(24)}";`,
  'Slack webhook': () =>
    `const hook = "https://hooks.slack.com/services/T${randomString(10, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}/B${randomString(10, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}/${randomString(24)}";`,
  'Private key (PEM)': () =>
    generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString()
      .trim(),
  'Stripe live secret key': () => `const stripeKey = "sk_live_${randomString(32)}";`,
  'Google API key': () => `const mapsKey = "AIza${randomString(35, `${ALNUM}_-`)}";`,
  JWT: () =>
    `const serviceJwt = "${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: randomString(8), iat: 1700000000 })}.${randomString(43, `${ALNUM}_-`)}";`,
};

function generate(dir, source) {
  const pool = source === 'modules' ? moduleLines() : undefined;
  let cursor = 0;
  const nextLine = () => {
    if (pool === undefined) return fillerLine();
    const line = pool[cursor % pool.length];
    cursor++;
    return line;
  };
  const planted = [];
  const plan = new Map();
  for (const [type, make] of Object.entries(PLANTS)) {
    for (let i = 0; i < PER_TYPE; i++) {
      const file = Math.floor(rnd() * FILES);
      const list = plan.get(file) ?? [];
      list.push({ type, text: make(), at: rnd() });
      plan.set(file, list);
    }
  }
  const perFile = TARGET_BYTES / FILES;
  let total = 0;
  for (let f = 0; f < FILES; f++) {
    const name = `static/js/chunk-${String(f).padStart(3, '0')}.${randomString(8, '0123456789abcdef')}.js`;
    const lines = [];
    let size = 0;
    while (size < perFile) {
      const line = nextLine();
      lines.push(line);
      size += line.length + 1;
    }
    const plants = (plan.get(f) ?? []).sort((a, b) => b.at - a.at);
    for (const p of plants) lines.splice(Math.floor(p.at * lines.length), 0, p.text);
    // Line numbers of the plants after all insertions (a PEM block spans several lines).
    let lineNo = 1;
    const lineOf = new Map();
    for (const l of lines) {
      lineOf.set(l, lineNo);
      lineNo += l.split('\n').length;
    }
    for (const p of plants) planted.push({ type: p.type, file: name, line: lineOf.get(p.text) });
    const content = `${lines.join('\n')}\n`;
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
    total += Buffer.byteLength(content);
  }
  return { planted, total };
}

/**
 * CPU seconds (user + system) used so far by this process's finished children, from
 * /proc/self/stat (Linux; in clock ticks of 1/100 s); undefined elsewhere.
 */
function childrenCpu() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of the file (cutime, cstime), counted from the state field (3).
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

function timed(command, args, cwd) {
  const cpuBefore = childrenCpu();
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuAfter = childrenCpu();
  const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  return { result, seconds, cpu };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function count(planted, reported) {
  const keys = new Set(reported.map((r) => `${r.file}:${r.line}`));
  const byType = {};
  let found = 0;
  for (const p of planted) {
    const hit = keys.has(`${p.file}:${p.line}`);
    byType[p.type] = (byType[p.type] ?? 0) + (hit ? 1 : 0);
    if (hit) found++;
  }
  const plantedKeys = new Set(planted.map((p) => `${p.file}:${p.line}`));
  const other = reported.filter((r) => !plantedKeys.has(`${r.file}:${r.line}`)).length;
  return { found, byType, other };
}

const work = mkdtempSync(join(tmpdir(), 'bulwark-bench-audit-'));
try {
  for (const source of (process.env.BENCH_AUDIT_INPUT ?? 'modules,synthetic').split(',')) {
    seed = 0x5eed1234;
    bench(join(work, source), source);
  }
} finally {
  if (process.env.BENCH_AUDIT_KEEP === undefined) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}

function bench(base, source) {
  const bundle = join(base, 'bundle');
  console.log(
    `\n=== ${source}: generating a ${(TARGET_BYTES / 1e6).toFixed(0)} MB bundle in ${FILES} files…`,
  );
  const { planted, total } = generate(bundle, source);
  const mb = total / 1e6;
  const bin = join(repo, 'packages', 'cli', 'dist', 'bin.js');
  const rc = join(base, 'secretlintrc.json');
  writeFileSync(rc, JSON.stringify({ rules: [{ id: '@secretlint/secretlint-rule-preset-recommend' }] }));
  const secretlintBin = join(dirname(require.resolve('secretlint/package.json')), 'bin', 'secretlint.js');
  const secretlintVersion = JSON.parse(
    readFileSync(require.resolve('secretlint/package.json'), 'utf8'),
  ).version;

  const tools = [
    {
      name: 'bulwark audit',
      run: (out) =>
        timed(process.execPath, [bin, 'audit', bundle, '--format', 'json', '--no-progress', '-o', out], base),
      findings: (out) => JSON.parse(readFileSync(out, 'utf8')).findings,
    },
    {
      // The same command registered alone (see audit-command.mjs): the audit without the start-up
      // of the CLI's other sub-commands.
      name: 'audit command alone',
      run: (out) =>
        timed(
          process.execPath,
          [join(here, 'audit-command.mjs'), 'audit', bundle, '--format', 'json', '--no-progress', '-o', out],
          base,
        ),
      findings: (out) => JSON.parse(readFileSync(out, 'utf8')).findings,
    },
    {
      name: 'secretlint',
      run: (out) =>
        timed(
          process.execPath,
          [secretlintBin, '**/*', '--secretlintrc', rc, '--format', 'json', '--output', out, '--no-color'],
          bundle,
        ),
      findings: (out) =>
        JSON.parse(readFileSync(out, 'utf8')).flatMap((r) =>
          r.messages.map((m) => ({
            file: r.filePath.slice(bundle.length + 1),
            line: m.loc.start.line,
            ruleId: m.ruleId,
          })),
        ),
    },
  ];
  const loadBefore = loadavg()[0] ?? 0;
  const results = tools.map(() => ({ seconds: [], cpu: [], counts: undefined }));
  for (let round = 0; round < RUNS; round++) {
    for (let k = 0; k < tools.length; k++) {
      // Each round starts with the next tool, so that none always runs first.
      const t = (round + k) % tools.length;
      const tool = tools[t];
      const out = join(base, `out-${t}.json`);
      const { result, seconds, cpu } = tool.run(out);
      if (result.status !== 0 && result.status !== 1) {
        throw new Error(`${tool.name} failed (${result.status}): ${result.stderr}`);
      }
      const counts = count(planted, tool.findings(out));
      const r = results[t];
      if (r.counts !== undefined && r.counts.found !== counts.found) {
        throw new Error(`${tool.name} found ${counts.found} planted secrets, ${r.counts.found} before`);
      }
      r.counts = counts;
      r.seconds.push(seconds);
      if (cpu !== undefined) r.cpu.push(cpu);
    }
  }
  const startup = median(
    Array.from({ length: RUNS }, () => timed(process.execPath, [bin, '--version'], base).seconds),
  );
  const loadAfter = loadavg()[0] ?? 0;

  console.log(
    `input: ${mb.toFixed(1)} MB, ${FILES} files, ${planted.length} planted secrets (${PER_TYPE} of each of ${Object.keys(PLANTS).length} types)`,
  );
  console.log(
    `node ${process.version}, secretlint ${secretlintVersion}, ${RUNS} runs each (medians), load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}\n`,
  );
  console.log('tool                 seconds     MB/s  CPU s   planted found   other findings');
  tools.forEach((tool, t) => {
    const r = results[t];
    const wall = median(r.seconds);
    const cpu = r.cpu.length > 0 ? median(r.cpu).toFixed(2) : 'n/a';
    console.log(
      `${tool.name.padEnd(20)} ${wall.toFixed(2).padStart(7)} ${(mb / wall).toFixed(1).padStart(8)} ${cpu.padStart(6)}   ${String(r.counts.found).padStart(3)} / ${planted.length}       ${r.counts.other}`,
    );
  });
  const [ours, alone, theirs] = results.map((r) => ({
    wall: median(r.seconds),
    cpu: r.cpu.length > 0 ? median(r.cpu) : undefined,
  }));
  const ratio = (a, b) => (b / a).toFixed(1);
  console.log(
    `\nspeed ratio, bulwark CLI / secretlint:         ${ratio(ours.wall, theirs.wall)}x wall-clock${ours.cpu && theirs.cpu ? `, ${ratio(ours.cpu, theirs.cpu)}x CPU time` : ''}`,
  );
  console.log(
    `speed ratio, audit command alone / secretlint: ${ratio(alone.wall, theirs.wall)}x wall-clock${alone.cpu && theirs.cpu ? `, ${ratio(alone.cpu, theirs.cpu)}x CPU time` : ''}`,
  );
  console.log(`(bulwark --version alone takes ${startup.toFixed(2)} s: the CLI's start-up)`);
  console.log('\nplanted secrets found, by type:        bulwark  secretlint');
  for (const type of Object.keys(PLANTS)) {
    console.log(
      `  ${type.padEnd(34)} ${String(results[0].counts.byType[type] ?? 0).padStart(4)}/${PER_TYPE}   ${String(results[2].counts.byType[type] ?? 0).padStart(4)}/${PER_TYPE}`,
    );
  }
}
