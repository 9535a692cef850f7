/**
 * The detectors' regexes on values crafted to make a backtracking regex engine take exponential
 * time: a scanned app must not be able to stall the pipeline that audits it. Run on the built CLI
 * in a child process with a kill timer, since a regex that backtracks cannot be interrupted in
 * the thread that runs it; the timer is a generous bound (the scan takes milliseconds), there
 * to turn a hang into a failure, not to measure speed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, '..', '..', 'dist', 'audit', 'index.js');
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bulwark-audit-backtracking-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Findings of the built scanner on `dir`, or the reason it did not finish. */
function auditInChild(dir: string): { ruleIds: string[] } | { failed: string } {
  if (!existsSync(entry)) throw new Error('build first: npx tsc -b packages/cli');
  const script = `
    const { auditPath } = await import(${JSON.stringify(new URL(`file://${entry}`).href)});
    const report = await auditPath(${JSON.stringify(dir)});
    console.log(JSON.stringify(report.findings.map((f) => f.ruleId)));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    killSignal: 'SIGKILL',
  });
  if (r.status !== 0) return { failed: `${r.signal ?? r.status}: ${r.stderr}` };
  return { ruleIds: JSON.parse(r.stdout) as string[] };
}

describe('regexes that could backtrack exponentially', () => {
  it('a password of 60 letters and a digit is judged, not backtracked over', async () => {
    // Varied letters and a digit at the end pass the entropy checks, so the value reaches the
    // test of whether it is an identifier; a letters-only regex with an optional separator between
    // letter runs tried 2^60 ways to split it.
    const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh';
    const dir = join(root, 'letters');
    await mkdir(dir);
    await writeFile(join(dir, 'config.js'), `const password = "${letters}1";\n`);
    expect(auditInChild(dir)).toEqual({ ruleIds: ['secret-generic-assignment'] });
  }, 60_000);
});
