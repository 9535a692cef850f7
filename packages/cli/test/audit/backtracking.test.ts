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

  it('code rules stay linear on crafted sources: blanked comments, long names, thousands of writes', async () => {
    const dir = join(root, 'code');
    await mkdir(dir);
    // A huge comment (blanked to spaces) before an Objective-C comparison, a 300 000-letter name
    // before a digest, and 40 000 writes and log calls each naming another variable (each name
    // was looked up with a regex over the whole file).
    await writeFile(
      join(dir, 'A.m'),
      `/*${' x'.repeat(400_000)}*/ [codeField.text isEqualToString:@"X1"];\n`,
    );
    await writeFile(
      join(dir, 'B.kt'),
      `val ${'a'.repeat(300_000)} = MessageDigest.getInstance("MD5")\n${'b'.repeat(300_000)} == codeInput.text\n`,
    );
    const lines = ['class D { void f() { File d = Environment.getExternalStorageDirectory();'];
    for (let i = 0; i < 40_000; i++) lines.push(`new FileWriter(a${i}); Log.d(TAG, b${i});`);
    lines.push('} }');
    await writeFile(join(dir, 'D.java'), `${lines.join('\n')}\n`);
    // A long name before an index and a long run of type characters before a helper's name
    // (each regex tried from every character of the run), and 40,000 XORs and calls with a
    // literal in files that use a key API (each operand's assignment was a regex over the file).
    await writeFile(join(dir, 'E.c'), `int f() { return ${'n'.repeat(300_000)}[0] ^ 1; }\n`);
    await writeFile(
      join(dir, 'F.java'),
      `class F { ${'a<'.repeat(150_000)}b x; SecretKeySpec k;\n${Array.from({ length: 40_000 }, (_, i) => `h${i}("v${i}"); c${i}[0] ^ d${i}[1];`).join('\n')}\n}\n`,
    );
    const result = auditInChild(dir);
    expect(result).not.toHaveProperty('failed');
    expect(result).toEqual({ ruleIds: expect.arrayContaining(['crypto-weak-hash']) });
  }, 60_000);

  it('JNI macros compared with Java strings are matched in one pass, not a regex per macro', async () => {
    // 60,000 string macros, one of them compared with strcmp: a regex per macro read the whole
    // file again for each (20 s for 40,000, growing with the square of the file).
    const dir = join(root, 'jni');
    await mkdir(join(dir, 'jni'), { recursive: true });
    const lines = ['#include <jni.h>', 'const char * key = (*env)->GetStringUTFChars(env, jkey, 0);'];
    for (let i = 0; i < 60_000; i++) lines.push(`#define SECRETKEY${i} "value${i}x"`);
    lines.push('int ok = strcmp(key, SECRETKEY0);');
    await writeFile(join(dir, 'jni', 'lib.c'), `${lines.join('\n')}\n`);
    expect(auditInChild(dir)).toEqual({ ruleIds: ['secret-hardcoded-comparison'] });
  }, 60_000);
});
