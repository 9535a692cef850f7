/**
 * The store's behaviour suite (store.test.ts), the same cases, run in Debian's Chromium on real
 * IndexedDB and WebCrypto instead of fake-indexeddb: the suite is bundled with esbuild, with
 * `vitest` replaced by a shim that records the cases and keeps vitest's own `expect`
 * (test/browser/vitest-shim.ts), and the Node-only subjects (SQLite, node:crypto) left out. Each
 * case of the IndexedDB subject, and each case that belongs to no subject, runs in the page.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../test-support/e2e.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Node-only modules of the suite's world: empty in the page (their subjects are not run there). */
const nodeOnly: Plugin = {
  name: 'node-only',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^vitest$/ }, () => ({ path: here('./browser/vitest-shim.ts') }));
    pluginBuild.onResolve(
      { filter: /^fake-indexeddb(\/.*)?$|^better-sqlite3$|^node:|\/src\/node\/index\.js$/ },
      (args) => ({
        path: args.path,
        namespace: 'node-only',
      }),
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'node-only' }, () => ({
      contents: 'module.exports = {};',
      loader: 'js',
    }));
  },
};

const bundle = await build({
  entryPoints: [here('./browser/store-entry.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'chrome120',
  write: false,
  logLevel: 'silent',
  // The package says it has no side effects; the suite is nothing but side effects.
  ignoreAnnotations: true,
  define: { 'process.pid': '0', 'process.env.NODE_ENV': '"test"' },
  plugins: [nodeOnly],
});
const script = bundle.outputFiles[0]?.text ?? '';
const server = createServer((request, response) => {
  if (request.url === '/bundle.js') {
    response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
  } else {
    response
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>loading</title><script type="module" src="/bundle.js"></script>');
  }
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await launchChromium();
const page = await browser.newPage();
const pageErrors: string[] = [];
page.on('pageerror', (error) => pageErrors.push(error.message));
await page.goto(`http://localhost:${(server.address() as AddressInfo).port}/`);
await page.waitForFunction(() => document.title === 'ready');
const names = await page.evaluate(() => window.storeSuite.names('indexeddb'));

declare global {
  interface Window {
    storeSuite: {
      names(subject: string): string[];
      run(name: string): Promise<{ ok: true } | { ok: false; error: string }>;
    };
  }
}

describe('the store behaviour suite in Chromium, on real IndexedDB', () => {
  afterAll(async () => {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('has the suite’s cases for IndexedDB, and the page runs without errors', () => {
    expect(script).not.toMatch(/from\s*["']node:|require\(["']node:/);
    expect(names.filter((n) => n.startsWith('encrypted store on indexeddb >')).length).toBeGreaterThanOrEqual(
      10,
    );
    expect(names.some((n) => /sqlite|memory/.test(n))).toBe(false);
    expect(pageErrors).toEqual([]);
  });

  it.each(names)('%s', async (name) => {
    const result = await page.evaluate((n) => window.storeSuite.run(n), name);
    if (!result.ok) throw new Error(result.error);
  });
});
