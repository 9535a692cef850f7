#!/usr/bin/env node
/**
 * `npm run bench:audit-corpus -- <folder of app trees> [--judgements <dir>] [--list] [--markdown]`:
 * how right `bulwark audit` is on real apps, outside CI. Each folder in <folder> is one app's
 * source tree (a checkout of its public repository). The built `bulwark audit` runs on each, one
 * after the other, with its default gate (`--fail-on high`) and JSON output; the runner then
 * prints per app the findings by severity and, where the committed judgements name them:
 *  - precision of high/critical findings: judged true / judged (true + false);
 *  - false high/critical findings per 10,000 files scanned;
 *  - recall of documented problems: judgements with verdict "expected" (a known problem of the app,
 *    e.g. from a training app's documentation) that a finding shown by default matches;
 *  - high/critical findings no judgement names (unjudged), which a reviewer should judge.
 *
 * Judgements live in `bench/audit-corpus/judgements/` as `.csv` (header
 * `app,commit,file,rule,verdict,note`, RFC 4180 quoting), `.json` (an array of objects with those
 * keys) or `.jsonl` (one object a line). `verdict` is `true`, `false` or `expected`. `file` and
 * `rule` may use `*` (any characters) and `rule` may list alternatives with `|`, so that an
 * expected problem can name the family of rules that would find it (`storage-*|secret-*`). An
 * optional `contains` column narrows a judgement to findings whose message or evidence holds that
 * text (one of several exported components of a manifest), and an optional `line` column (`12`
 * or `10-14`) to findings on those lines (a key declared on line 10, where another secret-like
 * value sits in the same file). Otherwise one judgement covers every finding of its rule in its
 * file. An app's commit is read from its tree
 * (`git rev-parse HEAD` in a checkout) or from `<folder>/<app>.commit`; judgements made at another
 * commit are not applied (and counted as stale), since the findings may have moved. The kind of
 * each app (ordinary or training) comes from `corpus.json` beside this file, for the totals.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const BIN = join(repo, 'packages', 'cli', 'bin', 'bulwark.js');
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
const VERDICTS = new Set(['true', 'false', 'expected']);

function usage(message) {
  if (message) console.error(`bench:audit-corpus: ${message}`);
  console.error(
    'usage: npm run bench:audit-corpus -- <folder of app trees> [--judgements <dir>] [--list] [--markdown]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const args = { folder: undefined, judgements: join(here, 'judgements'), list: false, markdown: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--judgements') args.judgements = argv[++i] ?? usage('--judgements needs a folder');
    else if (a === '--list') args.list = true;
    else if (a === '--markdown') args.markdown = true;
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (args.folder === undefined) args.folder = a;
    else usage('one folder only');
  }
  if (args.folder === undefined) usage('no folder given');
  return args;
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes (doubled) and newlines. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

function loadJudgements(dir) {
  if (!existsSync(dir)) return [];
  const rows = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const text = readFileSync(path, 'utf8');
    let objects;
    if (name.endsWith('.csv')) {
      const [header, ...lines] = parseCsv(text);
      objects = lines.map((cells) => Object.fromEntries(header.map((h, i) => [h.trim(), cells[i] ?? ''])));
    } else if (name.endsWith('.jsonl'))
      objects = text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l));
    else if (name.endsWith('.json')) objects = JSON.parse(text);
    else continue;
    objects.forEach((o, i) => {
      for (const key of ['app', 'commit', 'file', 'rule', 'verdict'])
        if (typeof o[key] !== 'string' || o[key] === '')
          throw new Error(`${name}: judgement ${i + 1} has no ${key}`);
      if (!VERDICTS.has(o.verdict))
        throw new Error(`${name}: judgement ${i + 1}: verdict must be true, false or expected`);
      const lines = /^(\d+)(?:-(\d+))?$/.exec(o.line ?? '');
      if ((o.line ?? '') !== '' && lines === null)
        throw new Error(`${name}: judgement ${i + 1}: line must be N or N-M`);
      rows.push({
        ...o,
        source: name,
        lines: lines === null ? undefined : [Number(lines[1]), Number(lines[2] ?? lines[1])],
        fileRe: glob(o.file),
        ruleRe: new RegExp(`^(?:${o.rule.split('|').map(globBody).join('|')})$`),
      });
    });
  }
  return rows;
}

function globBody(pattern) {
  return pattern
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
}
const glob = (pattern) => new RegExp(`^${globBody(pattern)}$`);

function commitOf(folder, app) {
  const dir = join(folder, app);
  if (existsSync(join(dir, '.git'))) {
    const r = spawnSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
    if (r.status === 0) return r.stdout.trim();
  }
  const side = join(folder, `${app}.commit`);
  return existsSync(side) ? readFileSync(side, 'utf8').trim() : undefined;
}

function audit(dir, out) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, 'audit', dir, '--format', 'json', '--no-progress', '-o', out], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`bulwark audit ${dir} exited ${r.status}: ${(r.stderr ?? '').trim()}`);
  return { gate: r.status, seconds, report: JSON.parse(readFileSync(out, 'utf8')) };
}

const matches = (j, f) =>
  j.fileRe.test(f.file) &&
  j.ruleRe.test(f.ruleId) &&
  (!j.contains || f.message.includes(j.contains) || (f.evidence ?? '').includes(j.contains)) &&
  (j.lines === undefined || (f.line !== undefined && f.line >= j.lines[0] && f.line <= j.lines[1]));
const pct = (n, d) => (d === 0 ? '–' : `${((100 * n) / d).toFixed(0)}%`);
const per10k = (n, files) => (files === 0 || Number.isNaN(files) ? '–' : ((n * 10000) / files).toFixed(1));

function measure(app, commit, run, judgements) {
  const mine = judgements.filter((j) => j.app === app);
  const current = commit === undefined ? mine : mine.filter((j) => j.commit === commit);
  const stale = mine.length - current.length;
  const verdicts = current.filter((j) => j.verdict !== 'expected');
  const expected = current.filter((j) => j.verdict === 'expected');
  const findings = run.report.findings;
  const shown = findings.filter((f) => f.context === undefined);
  const bySeverity = Object.fromEntries(
    SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length]),
  );
  const setAside = findings.length - shown.length;
  const serious = shown.filter((f) => f.severity === 'critical' || f.severity === 'high');
  let truePositives = 0;
  let falsePositives = 0;
  const unjudged = [];
  const falses = [];
  for (const f of serious) {
    const j = verdicts.find((v) => matches(v, f));
    if (j === undefined) unjudged.push(f);
    else if (j.verdict === 'true') truePositives++;
    else {
      falsePositives++;
      falses.push({ f, note: j.note ?? '' });
    }
  }
  const missed = expected.filter((e) => !shown.some((f) => matches(e, f)));
  return {
    app,
    commit: commit ?? current[0]?.commit ?? 'unknown',
    commitKnown: commit !== undefined,
    // A build from before the JSON carried its counters has no stats: files unknown.
    files: run.report.stats?.files ?? Number.NaN,
    seconds: run.seconds,
    gate: run.gate,
    bySeverity,
    setAside,
    truePositives,
    falsePositives,
    unjudged,
    falses,
    expected: expected.length,
    found: expected.length - missed.length,
    missed,
    stale,
  };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const folder = resolve(args.folder);
  if (!existsSync(BIN) || !existsSync(join(repo, 'packages', 'cli', 'dist', 'bin.js')))
    usage('build the CLI first (npx tsc -b packages/cli)');
  const judgements = loadJudgements(args.judgements);
  const corpusFile = join(here, 'corpus.json');
  const corpus = existsSync(corpusFile) ? JSON.parse(readFileSync(corpusFile, 'utf8')).apps : [];
  const kindOf = (app) => corpus.find((c) => c.app === app)?.kind ?? 'ordinary';
  const apps = readdirSync(folder)
    .filter((name) => !name.startsWith('.') && statSync(join(folder, name)).isDirectory())
    .sort();
  if (apps.length === 0) usage(`no app folders in ${folder}`);
  const scratch = mkdtempSync(join(tmpdir(), 'bulwark-audit-corpus-'));
  const results = [];
  try {
    for (const app of apps) {
      const run = audit(join(folder, app), join(scratch, `${app}.json`));
      results.push({ ...measure(app, commitOf(folder, app), run, judgements), kind: kindOf(app) });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  print(results, args);
}

function totals(rows) {
  const sum = (k) => rows.reduce((n, r) => n + r[k], 0);
  return {
    files: sum('files'),
    truePositives: sum('truePositives'),
    falsePositives: sum('falsePositives'),
    unjudged: rows.reduce((n, r) => n + r.unjudged.length, 0),
    expected: sum('expected'),
    found: sum('found'),
    failing: rows.filter((r) => r.gate === 1).length,
  };
}

function print(results, args) {
  const md = args.markdown;
  const head = [
    'app',
    'kind',
    'commit',
    'files',
    'crit',
    'high',
    'med',
    'low',
    'info',
    'set aside',
    'true H/C',
    'false H/C',
    'unjudged H/C',
    'precision',
    'false H/C per 10k files',
    'expected found',
    'recall',
    'gate',
    's',
  ];
  const rows = results.map((r) => [
    r.app,
    r.kind,
    `${r.commit.slice(0, 12)}${r.commitKnown ? '' : '?'}`,
    Number.isNaN(r.files) ? '–' : r.files,
    r.bySeverity.critical,
    r.bySeverity.high,
    r.bySeverity.medium,
    r.bySeverity.low,
    r.bySeverity.info,
    r.setAside,
    r.truePositives,
    r.falsePositives,
    r.unjudged.length,
    pct(r.truePositives, r.truePositives + r.falsePositives),
    per10k(r.falsePositives, r.files),
    r.expected === 0 ? '–' : `${r.found}/${r.expected}`,
    pct(r.found, r.expected),
    r.gate === 1 ? 'fails' : 'passes',
    r.seconds.toFixed(2),
  ]);
  for (const kind of ['ordinary', 'training']) {
    const of = results.filter((r) => r.kind === kind);
    if (of.length === 0) continue;
    const t = totals(of);
    rows.push([
      `all ${kind} (${of.length})`,
      kind,
      '',
      Number.isNaN(t.files) ? '–' : t.files,
      ...SEVERITIES.map((s) => of.reduce((n, r) => n + r.bySeverity[s], 0)),
      of.reduce((n, r) => n + r.setAside, 0),
      t.truePositives,
      t.falsePositives,
      t.unjudged,
      pct(t.truePositives, t.truePositives + t.falsePositives),
      per10k(t.falsePositives, t.files),
      t.expected === 0 ? '–' : `${t.found}/${t.expected}`,
      pct(t.found, t.expected),
      `${t.failing}/${of.length} fail`,
      '',
    ]);
  }
  const cells = [head, ...rows].map((r) => r.map(String));
  if (md) {
    console.log(`| ${head.join(' | ')} |`);
    console.log(`| ${head.map(() => '---').join(' | ')} |`);
    for (const r of cells.slice(1)) console.log(`| ${r.join(' | ')} |`);
  } else {
    const width = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
    for (const r of cells)
      console.log(r.map((c, i) => (i < 3 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  '));
  }
  console.log(
    '\nH/C: high and critical findings shown by default (not set aside by their place). "?" after a commit: the tree has no .git and no <app>.commit, so judgements of any commit were applied.',
  );
  for (const r of results) {
    if (r.stale > 0)
      console.log(
        `${r.app}: ${r.stale} judgements name another commit than ${r.commit} and were not applied`,
      );
    if (!args.list) continue;
    for (const f of r.unjudged)
      console.log(
        `${r.app}: unjudged ${f.severity} ${f.ruleId} ${f.file}${f.line ? `:${f.line}` : ''} ${f.message}`,
      );
    // One line a judgement: a class of false findings (test tags in 49 files) reads as one.
    const byNote = new Map();
    for (const { f, note } of r.falses) {
      const seen = byNote.get(note);
      if (seen === undefined) byNote.set(note, { f, n: 1 });
      else seen.n++;
    }
    for (const [note, { f, n }] of byNote)
      console.log(
        `${r.app}: false ×${n} ${f.severity} ${f.ruleId}, first ${f.file}${f.line ? `:${f.line}` : ''} (${note})`,
      );
    for (const m of r.missed) console.log(`${r.app}: missed ${m.rule} ${m.file} (${m.note ?? ''})`);
  }
}

main();
