/**
 * `npm run bench:audit-corpus` on two app trees and judgements the test writes: precision counts
 * judged high/critical findings, recall counts expected problems matched by a finding shown by
 * default, unjudged findings are counted apart, `contains` and `line` narrow a judgement,
 * judgements of another commit are not applied, and CSV quoting and JSON Lines are read. The
 * corpus itself (real apps) stays outside CI; this checks the arithmetic it reports.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GITHUB_TOKEN } from './lib/fixtures.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const runner = join(repo, 'bench', 'audit-corpus', 'run.mjs');

let root: string;
let apps: string;
let judgements: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bulwark-audit-corpus-'));
  apps = join(root, 'apps');
  judgements = join(root, 'judgements');
  // alpha: the same critical token in three files (judged true, false, and left unjudged).
  await mkdir(join(apps, 'alpha', 'www'), { recursive: true });
  for (const name of ['a.js', 'b.js', 'c.js'])
    await writeFile(join(apps, 'alpha', 'www', name), `\n\nconst token = "${GITHUB_TOKEN}";\n`);
  await writeFile(join(apps, 'alpha.commit'), 'c0ffee\n');
  // beta: one finding, judged at another commit only.
  await mkdir(join(apps, 'beta'), { recursive: true });
  await writeFile(join(apps, 'beta', 'k.js'), `const token = "${GITHUB_TOKEN}";\n`);
  await writeFile(join(apps, 'beta.commit'), 'new\n');

  await mkdir(judgements);
  await writeFile(
    join(judgements, 'alpha.csv'),
    [
      'app,commit,file,rule,verdict,contains,line,note',
      'alpha,c0ffee,www/a.js,secret-github-token,true,,3,"a real token, quoted note with a comma, and ""quotes"""',
      'alpha,c0ffee,www/b.js,secret-*,false,,,sample',
      // Narrowed to a line and a text that c.js's finding does not have: c.js stays unjudged.
      'alpha,c0ffee,www/c.js,secret-github-token,false,,7,wrong line',
      'alpha,c0ffee,www/c.js,secret-github-token,false,no such text,,wrong text',
      'alpha,c0ffee,www/a.js,storage-*|secret-git*,expected,,,documented: found',
      'alpha,c0ffee,www/d.js,storage-*,expected,,,documented: missed',
    ].join('\n'),
  );
  await writeFile(
    join(judgements, 'beta.jsonl'),
    `${JSON.stringify({ app: 'beta', commit: 'old', file: 'k.js', rule: 'secret-github-token', verdict: 'true' })}\n`,
  );
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [runner, ...args], { encoding: 'utf8', cwd: repo });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The markdown row of one app, by column name. */
function row(markdown: string, app: string): Record<string, string> {
  const lines = markdown.split('\n').filter((l) => l.startsWith('|'));
  const cells = (l: string) =>
    l
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
  const head = cells(lines[0] ?? '');
  const line = lines.find((l) => cells(l)[0] === app);
  if (line === undefined) throw new Error(`no row for ${app}`);
  return Object.fromEntries(cells(line).map((c, i) => [head[i] ?? String(i), c]));
}

describe('bench:audit-corpus', () => {
  it('reports precision, recall, unjudged findings and stale judgements per app', () => {
    const { code, stdout, stderr } = run(apps, '--judgements', judgements, '--markdown', '--list');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const alpha = row(stdout, 'alpha');
    expect(alpha).toMatchObject({
      commit: 'c0ffee',
      crit: '3',
      'true H/C': '1',
      'false H/C': '1',
      'unjudged H/C': '1',
      precision: '50%',
      'expected found': '1/2',
      recall: '50%',
      gate: 'fails',
    });
    expect(Number(alpha.files)).toBe(3);
    expect(alpha['false H/C per 10k files']).toBe('3333.3');
    const beta = row(stdout, 'beta');
    expect(beta).toMatchObject({ 'true H/C': '0', 'unjudged H/C': '1', precision: '–' });
    expect(stdout).toContain('beta: 1 judgements name another commit than new and were not applied');
    expect(stdout).toMatch(/alpha: unjudged critical secret-github-token www\/c\.js:3 /);
    expect(stdout).toContain('alpha: false ×1 critical secret-github-token, first www/b.js:3 (sample)');
    expect(stdout).toContain('alpha: missed storage-* www/d.js (documented: missed)');
  });

  it('refuses a judgement with an unknown verdict', async () => {
    const bad = join(root, 'bad');
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, 'x.csv'), 'app,commit,file,rule,verdict\nalpha,c0ffee,a.js,x,maybe\n');
    const { code, stderr } = run(apps, '--judgements', bad);
    expect(code).not.toBe(0);
    expect(stderr).toContain('verdict must be true, false or expected');
  });
});
