/**
 * The public surface of @bulwark/cli: the runtime names of each entry point in package.json
 * `exports`, compared with the committed lists below, so that adding or removing an export is a
 * visible change in review, never a side effect (docs/README.md#public-surface). What the lists
 * hold: `run` (the command) and the `audit` and `pins` libraries with their errors. Type-only exports are checked by the build of the packages that use them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SURFACE: Record<string, readonly string[]> = {
  '.': [
    'ALL_RULES',
    'AUDIT_EXIT',
    'AuditArchiveError',
    'AuditBaselineError',
    'AuditOutputError',
    'AuditPathNotFoundError',
    'AuditUnreadableError',
    'CLI_ERROR_CODES',
    'PINS_EXIT',
    'PinsConnectError',
    'PinsInputError',
    'PinsUntrustedError',
    'RULES',
    'SEVERITIES',
    'auditPath',
    'createBaseline',
    'describeCertificate',
    'emitAndroid',
    'emitIos',
    'emitSdk',
    'fetchChain',
    'formatJson',
    'formatSarif',
    'formatTable',
    'loadBaseline',
    'partitionByBaseline',
    'pinOfKeyFile',
    'recommendPins',
    'run',
    'sdkPinConfig',
    'spkiPin',
    'writeBaseline',
  ],
};

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, Record<string, string>>;
};

/** The source file behind an entry point (`./dist/x/index.js` → `src/x/index.ts`). */
function sourceOf(entry: string): string {
  const conditions = pkg.exports[entry] ?? {};
  const target = conditions.default ?? conditions.node ?? '';
  expect(target, entry).toMatch(/^\.\/dist\/.+\.js$/);
  return fileURLToPath(
    new URL(`../${target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')}`, import.meta.url),
  );
}

describe('@bulwark/cli public surface', () => {
  it('has a committed list for every entry point and none for an entry that does not exist', () => {
    expect(Object.keys(SURFACE).sort()).toEqual(Object.keys(pkg.exports).sort());
  });

  for (const [entry, names] of Object.entries(SURFACE)) {
    it(`${entry} exports exactly its committed list`, async () => {
      expect(names, 'keep the committed list sorted').toEqual([...names].sort());
      const module = (await import(sourceOf(entry))) as Record<string, unknown>;
      expect(Object.keys(module).sort()).toEqual(names);
    });
  }
});
