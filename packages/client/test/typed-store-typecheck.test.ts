/**
 * Runs the TypeScript compiler over the type-level tests of the typed store (typed-store.test.ts,
 * schema.test.ts) with the project's compiler options, so their `expectTypeOf` and
 * `@ts-expect-error` assertions fail this suite when the types change: vitest itself strips types
 * without checking them.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { typeCheck } from '../../../test-support/typecheck.js';

const here = dirname(fileURLToPath(import.meta.url));
const FILES = ['typed-store.test.ts', 'schema.test.ts'].map((name) => join(here, name));

it('the store typed by the schema holds under the project compiler options', { timeout: 120_000 }, () => {
  const result = typeCheck(FILES, { lib: ['lib.es2024.d.ts', 'lib.dom.d.ts'], types: ['node'] });
  expect(result).toEqual({ diagnostics: [], missing: [] });
});
