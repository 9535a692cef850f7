/**
 * The JavaScript budget of the web apps, checked on the built files (`npm run build`): what a
 * browser downloads on the first load of each app — the scripts its index.html loads and, where
 * the app has one, its service worker — is at most 150 KB gzipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BUDGET = 150 * 1024;

/** The scripts an app loads on first load, by file name. */
function firstLoadScripts(dist: string): string[] {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const scripts = [...html.matchAll(/<script[^>]*\bsrc="\.\/([^"]+)"/g)].map((m) => m[1] as string);
  const preloads = [...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="\.\/([^"]+)"/g)].map(
    (m) => m[1] as string,
  );
  const worker = existsSync(join(dist, 'sw.js')) ? ['sw.js'] : [];
  return [...scripts, ...preloads, ...worker];
}

describe('JavaScript budget', () => {
  it.each(['console', 'demo'])('%s loads at most 150 KB of gzipped JavaScript on first load', (app) => {
    const dist = join(ROOT, 'apps', app, 'dist');
    const scripts = firstLoadScripts(dist);
    expect(scripts.length).toBeGreaterThan(0);
    const gzipped = scripts.reduce(
      (sum, file) => sum + gzipSync(readFileSync(join(dist, file)), { level: 9 }).byteLength,
      0,
    );
    expect(gzipped).toBeGreaterThan(0);
    expect(gzipped).toBeLessThanOrEqual(BUDGET);
  });
});
