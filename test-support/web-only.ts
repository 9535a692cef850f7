/**
 * The shared check behind each package's "Web APIs only" test: reads every TypeScript source of a
 * folder (comments stripped, since they may name Node things to explain why the code avoids them)
 * and refuses Node built-ins, `require`, `process`, `Buffer` and code generation from strings.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/** What a Web-only source must not contain, with a name for the failure message. */
export const NODE_ONLY_PATTERNS: ReadonlyArray<readonly [string, RegExp]> = [
  ['a node: import', /from\s+['"]node:|import\(\s*['"]node:/],
  [
    'a Node built-in import',
    /from\s+['"](fs|path|crypto|os|buffer|stream|util|child_process|undici|better-sqlite3)['"]/,
  ],
  ['require()', /\brequire\s*\(/],
  ['process', /\bprocess\.(env|argv|exit|versions|platform|on|nextTick|cwd|hrtime)\b/],
  ['Buffer', /\bBuffer\b/],
  ['eval', /\beval\s*\(/],
  ['new Function', /\bnew\s+Function\s*\(/],
];

/** The `.ts` files under `folder`, leaving out the folders in `skip`. */
function sources(folder: string, skip: readonly string[]): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return skip.includes(path) ? [] : sources(path, skip);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Declares a suite that checks every source under `src` (but the `skip` folders) against
 * {@link NODE_ONLY_PATTERNS} and `extra`, one test a file.
 *
 * @example
 * ```ts
 * describeWebOnly('packages/core uses Web APIs only', join(here, '../src'), { minFiles: 1 });
 * ```
 */
export function describeWebOnly(
  title: string,
  src: string,
  options: {
    skip?: readonly string[];
    extra?: ReadonlyArray<readonly [string, RegExp]>;
    minFiles?: number;
  } = {},
): void {
  const patterns = [...NODE_ONLY_PATTERNS, ...(options.extra ?? [])];
  describe(title, () => {
    const files = sources(src, options.skip ?? []);

    it('has sources to check', () => {
      expect(files.length).toBeGreaterThanOrEqual(options.minFiles ?? 1);
    });

    it.each(files.map((f) => [relative(src, f), f]))('%s', (_name, file) => {
      const text = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/(^|\s)\/\/.*$/gm, '$1');
      for (const [what, pattern] of patterns) {
        expect(pattern.test(text), `${what} in ${file}`).toBe(false);
      }
    });
  });
}
