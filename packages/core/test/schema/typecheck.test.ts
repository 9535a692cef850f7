/**
 * Runs the TypeScript compiler over the type-level tests (infer.test.ts) with the project's
 * compiler options, so `expectTypeOf` and `@ts-expect-error` assertions can actually fail: vitest
 * itself strips types without checking them.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { typeCheck } from '../../../../test-support/typecheck.js';

const here = dirname(fileURLToPath(import.meta.url));

it('the inferred types hold under the project compiler options', () => {
  const result = typeCheck([join(here, 'infer.test.ts')], { lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'] });
  expect(result).toEqual({ diagnostics: [], missing: [] });
});
