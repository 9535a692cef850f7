/**
 * Runs the TypeScript compiler over the type-level tests of the typed store (typed-store.test.ts,
 * schema.test.ts) with the project's compiler options, so their `expectTypeOf` and
 * `@ts-expect-error` assertions fail this suite when the types change: vitest itself strips types
 * without checking them.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const FILES = ['typed-store.test.ts', 'schema.test.ts'].map((name) => join(here, name));

it('the store typed by the schema holds under the project compiler options', { timeout: 120_000 }, () => {
  const base = ts.readConfigFile(join(here, '..', '..', '..', 'tsconfig.base.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, here);
  const program = ts.createProgram(FILES, {
    ...parsed.options,
    lib: ['lib.es2024.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    noEmit: true,
    composite: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    incremental: false,
  });
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || !d.file.fileName.includes('/node_modules/'))
    .map((d) => {
      const where =
        d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
      return `${d.file?.fileName.split('/').pop() ?? ''}:${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
  expect(diagnostics).toEqual([]);
  // The files are really part of the program (a wrong path would check nothing).
  for (const file of FILES) expect(program.getSourceFile(file)).toBeDefined();
});
