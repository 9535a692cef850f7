/**
 * The universal entry of @bulwark/client runs in browsers, WebViews and React Native: every source
 * outside src/node/ may use Web APIs only. Node-only code lives under src/node/ and is reached
 * through the `@bulwark/client/node` entry; this test also checks the universal entry never
 * imports from there.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = join(dirname(fileURLToPath(import.meta.url)), '../src');

function sources(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return path === join(src, 'node') ? [] : sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const forbidden: Array<[string, RegExp]> = [
  ['a node: import', /from\s+['"]node:|import\(\s*['"]node:/],
  [
    'a Node built-in import',
    /from\s+['"](fs|path|crypto|os|buffer|stream|util|child_process|undici|better-sqlite3)['"]/,
  ],
  ['an import of the Node entry', /from\s+['"][./]*node\//],
  ['require()', /\brequire\s*\(/],
  ['process', /\bprocess\.(env|argv|exit|versions|platform|on|nextTick|cwd|hrtime)\b/],
  ['Buffer', /\bBuffer\b/],
  ['eval', /\beval\s*\(/],
  ['new Function', /\bnew\s+Function\s*\(/],
];

describe('the universal entry of packages/client uses Web APIs only', () => {
  const files = sources(src);

  it('has sources to check', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files.map((f) => [relative(src, f), f]))('%s', (_name, file) => {
    const text = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/(^|\s)\/\/.*$/gm, '$1');
    for (const [what, pattern] of forbidden) {
      expect(pattern.test(text), `${what} in ${file}`).toBe(false);
    }
  });
});
