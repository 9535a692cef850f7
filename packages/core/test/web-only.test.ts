/**
 * packages/core runs in browsers, WebViews and React Native: its sources may use Web APIs only.
 * This test reads every source file and refuses Node built-ins, `require`, `process`, `Buffer`
 * and code generation from strings.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = join(dirname(fileURLToPath(import.meta.url)), '../src');

function sources(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const forbidden: Array<[string, RegExp]> = [
  ['a node: import', /from\s+['"]node:|import\(\s*['"]node:/],
  ['a Node built-in import', /from\s+['"](fs|path|crypto|os|buffer|stream|util|child_process)['"]/],
  ['require()', /\brequire\s*\(/],
  ['process', /\bprocess\.(env|argv|exit|versions|platform|on|nextTick|cwd|hrtime)\b/],
  ['Buffer', /\bBuffer\b/],
  ['eval', /\beval\s*\(/],
  ['new Function', /\bnew\s+Function\s*\(/],
];

describe('packages/core uses Web APIs only', () => {
  const files = sources(src);

  it('has sources to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files.map((f) => [relative(src, f), f]))('%s', (_name, file) => {
    // Comments may name Node things when they explain why core avoids them.
    const text = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/(^|\s)\/\/.*$/gm, '$1');
    for (const [what, pattern] of forbidden) {
      expect(pattern.test(text), `${what} in ${file}`).toBe(false);
    }
  });
});
