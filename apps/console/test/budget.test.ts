/**
 * The console's weight budget, checked on the built files: the JavaScript that index.html loads
 * (and whatever it imports) is at most 150 KB gzipped on first load.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../dist', import.meta.url));
const BUDGET = 150 * 1024;

/** The scripts of the first load: those index.html names, and the modules they import, transitively. */
function firstLoadScripts(): string[] {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const queue = [...html.matchAll(/<script[^>]*\bsrc="\.\/([^"]+)"/g)].map((m) => m[1] as string);
  const seen = new Set<string>();
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const code = readFileSync(join(DIST, name), 'utf8');
    for (const m of code.matchAll(/(?:import|from)\s*\(?\s*["']\.\/([\w.-]+\.js)["']/g))
      queue.push(m[1] as string);
  }
  return [...seen];
}

describe('the console budget', () => {
  it('loads at most 150 KB of gzipped JavaScript at first', () => {
    expect(existsSync(join(DIST, 'index.html')), 'run `npm run build:apps console` first').toBe(true);
    const scripts = firstLoadScripts();
    expect(scripts.length).toBeGreaterThan(0);
    const gzipped = scripts.reduce(
      (sum, name) => sum + gzipSync(readFileSync(join(DIST, name)), { level: 9 }).length,
      0,
    );
    process.stdout.write(
      `console first-load JavaScript: ${scripts.join(', ')} = ${(gzipped / 1024).toFixed(1)} KB gzipped\n`,
    );
    expect(gzipped).toBeLessThanOrEqual(BUDGET);
  });
});
