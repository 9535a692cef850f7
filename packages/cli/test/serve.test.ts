/**
 * `bulwark serve` as a user runs it: the built command in a child process, on a fresh data folder.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'bulwark-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function waitForLine(child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((done, fail) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`no match for ${pattern} in: ${out} ${err}`)), 20_000);
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = out.match(pattern);
      if (match) {
        clearTimeout(timer);
        done(match);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`exited with ${code}: ${out} ${err}`));
    });
  });
}

describe('bulwark serve', () => {
  it('says what it serves, and documents --port and --data-dir with their defaults', () => {
    const res = spawnSync(process.execPath, [bin, 'serve', '--help'], { encoding: 'utf8' });
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/--port <number>.*\(default: 8080\)/);
    expect(res.stdout).toMatch(/--data-dir <path>.*\(default: "\.bulwark"\)/);
    // What it serves and on what, so that the summary does not hide --database-url.
    expect(res.stdout.replace(/\s+/g, ' ')).toMatch(/admin console.*embedded SQLite.*PostgreSQL/);
  });

  it('creates the data folder, serves health and OpenAPI, and stops cleanly on SIGTERM', async () => {
    const dataDir = join(dir, 'fresh', 'data');
    const child = spawn(process.execPath, [
      bin,
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--log-level',
      'silent',
    ]);
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const [, url] = (await waitForLine(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/)) as [
      string,
      string,
    ];
    expect(existsSync(join(dataDir, 'bulwark.sqlite'))).toBe(true);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const openapi = await fetch(`${url}/openapi.json`);
    expect((await openapi.json()).paths).toHaveProperty('/healthz');
    const missing = await fetch(`${url}/missing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses plain HTTP off loopback with a clear message and no stack trace', () => {
    const res = spawnSync(
      process.execPath,
      [bin, 'serve', '--host', '0.0.0.0', '--data-dir', join(dir, 'x')],
      {
        encoding: 'utf8',
      },
    );
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/Refusing to serve plain HTTP on 0\.0\.0\.0/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('takes the proxies to trust as a hop count or addresses, and refuses to trust any proxy', async () => {
    const help = spawnSync(process.execPath, [bin, 'serve', '--help'], { encoding: 'utf8' });
    expect(help.stdout).toMatch(/--trust-proxy <n\|ips>/);
    for (const bad of ['true', '0', 'proxy.internal', '10.0.0.0/40']) {
      const res = spawnSync(
        process.execPath,
        [bin, 'serve', '--trust-proxy', bad, '--data-dir', join(dir, 'tp')],
        {
          encoding: 'utf8',
        },
      );
      expect({ bad, status: res.status }).toEqual({ bad, status: 2 });
      expect(res.stderr).toMatch(/--trust-proxy: /);
      expect(res.stderr).not.toMatch(/\n\s+at /);
    }
    // Behind a proxy named by address, plain HTTP off loopback is allowed (the proxy does TLS).
    const child = spawn(process.execPath, [
      bin,
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--trust-proxy',
      '127.0.0.1,10.0.0.0/8',
      '--data-dir',
      join(dir, 'proxied'),
      '--log-level',
      'silent',
    ]);
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const [, port] = (await waitForLine(child, /listening on http:\/\/0\.0\.0\.0:(\d+)/)) as [string, string];
    const health = await fetch(`http://127.0.0.1:${port}/healthz`, {
      headers: { 'x-forwarded-for': '203.0.113.77, 198.51.100.1' },
    });
    expect(health.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('rejects a bad port as a usage error', () => {
    const res = spawnSync(process.execPath, [bin, 'serve', '--port', 'eighty'], { encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/port is an integer/);
  });
});
