/**
 * The public-surface check every package runs (docs/README.md#public-surface): each entry point
 * of the package's `exports` has a committed, sorted list of runtime names, and its source module
 * exports exactly those. One checker, so the packages differ only in their lists.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Declares the suite for one package. `packageUrl`: the URL of the package's package.json.
 *
 * @example
 * ```ts
 * describePublicSurface('@bulwark/cli', new URL('../package.json', import.meta.url), { '.': ['run'] });
 * ```
 */
export function describePublicSurface(
  name: string,
  packageUrl: URL,
  surface: Record<string, readonly string[]>,
): void {
  const pkg = JSON.parse(readFileSync(packageUrl, 'utf8')) as {
    exports: Record<string, Record<string, string>>;
  };

  /** The source file behind an entry point (`./dist/x/index.js` → `src/x/index.ts`). */
  const sourceOf = (entry: string): string => {
    const conditions = pkg.exports[entry] ?? {};
    const target = conditions.default ?? conditions.node ?? '';
    expect(target, entry).toMatch(/^\.\/dist\/.+\.js$/);
    return fileURLToPath(
      new URL(`./${target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')}`, packageUrl),
    );
  };

  describe(`${name} public surface`, () => {
    it('has a committed list for every entry point and none for an entry that does not exist', () => {
      expect(Object.keys(surface).sort()).toEqual(Object.keys(pkg.exports).sort());
    });

    for (const [entry, names] of Object.entries(surface)) {
      it(`${entry} exports exactly its committed list`, async () => {
        expect(names, 'keep the committed list sorted').toEqual([...names].sort());
        const module = (await import(sourceOf(entry))) as Record<string, unknown>;
        expect(Object.keys(module).sort()).toEqual(names);
      });
    }
  });
}
