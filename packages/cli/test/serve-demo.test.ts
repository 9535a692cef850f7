/**
 * What `npm start` prints, checked on the built command in a child process: on the first start
 * of the demo configuration, the console and demo URLs, the admin's one-time password and the
 * seeded demo accounts; on the second start of the same database, no password at all; and a
 * plain `bulwark serve` seeds nothing.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../dist/bin.js');
const demoConfig = resolve(here, '../../../apps/demo/bulwark.config.ts');
const dir = mkdtempSync(join(tmpdir(), 'bulwark-serve-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Stand-ins for the built apps, so the test does not depend on `npm run build:apps`. */
function appDir(name: string): string {
  const folder = join(dir, 'apps', name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'index.html'), `<!doctype html><title>${name}</title>`);
  return folder;
}

/**
 * Runs `bulwark serve` until `done` matches its output (and `settleMs` more, to catch anything
 * printed late), then stops it; returns what it printed.
 */
async function serve(args: string[], done: RegExp, settleMs = 0): Promise<string> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [
    bin,
    'serve',
    '--port',
    '0',
    '--log-level',
    'silent',
    '--console',
    appDir('console'),
    '--demo',
    appDir('demo'),
    ...args,
  ]);
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no match for ${done} in: ${out} ${err}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (done.test(out)) {
        clearTimeout(timer);
        ok();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`exited with ${code}: ${out} ${err}`));
    });
  });
  await new Promise((settled) => setTimeout(settled, settleMs));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  return out;
}

describe('bulwark serve with the demo configuration (npm start)', () => {
  it('prints the URLs, the admin password and the demo accounts on the first start only', async () => {
    const dataDir = join(dir, 'demo-data');
    const first = await serve(['--data-dir', dataDir, '--config', demoConfig], /with one of them\.\n/);
    const port = first.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1];
    expect(port).toBeDefined();
    expect(first).toContain(`console:  http://localhost:${port}/console/`);
    expect(first).toContain(`demo:     http://localhost:${port}/demo/`);
    expect(first).toMatch(/username: admin\n {2}password: [A-Za-z0-9_-]{24}\n/);
    expect(first).toMatch(/Demo data: 5 accounts and 100 records were created/);
    expect(first).toMatch(/username: ines +password: [a-z2-9]{4}(-[a-z2-9]{4}){3} {2}\(teams north\)/);
    expect(first).toMatch(/username: noor +password: \S+ {2}\(teams supervisors, north, south\)/);
    expect(first).toContain(`Sign in to the demo app at http://localhost:${port}/demo/ with one of them.`);
    // The URLs come first, the passwords after them.
    expect(first.indexOf('demo:')).toBeLessThan(first.indexOf('password:'));

    const second = await serve(['--data-dir', dataDir, '--config', demoConfig], /demo: +\S+\n/, 1_000);
    expect(second).toContain('console:  http://localhost:');
    expect(second).not.toContain('password');
    expect(second).not.toContain('Demo data');
  }, 120_000);

  it('seeds nothing on a plain bulwark serve', async () => {
    const out = await serve(['--data-dir', join(dir, 'plain-data')], /choose a new password\.\n/, 1_000);
    expect(out).toContain('username: admin');
    expect(out).not.toContain('Demo data');
    expect(out.match(/password: /g)).toHaveLength(1);
  }, 120_000);
});

describe('bulwark serve --public-url', () => {
  it('refuses a URL that is not one, and an origin where passkeys cannot work, with a clear message', () => {
    const bad = spawnSync(
      process.execPath,
      [bin, 'serve', '--public-url', 'not a url', '--data-dir', join(dir, 'u1')],
      {
        encoding: 'utf8',
      },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--public-url must be an absolute URL');
    const insecure = spawnSync(
      process.execPath,
      [
        bin,
        'serve',
        '--port',
        '0',
        '--public-url',
        'http://bulwark.example.com',
        '--data-dir',
        join(dir, 'u2'),
      ],
      { encoding: 'utf8' },
    );
    expect(insecure.status).toBe(1);
    expect(insecure.stderr).toMatch(/publicOrigin must be https \(http only on localhost\)/);
    expect(insecure.stderr).not.toMatch(/\n\s+at /);
  });
});
