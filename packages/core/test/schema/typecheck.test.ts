/**
 * Runs the TypeScript compiler over the type-level tests (infer.test.ts) with the project's
 * compiler options, so `expectTypeOf` and `@ts-expect-error` assertions can actually fail: vitest
 * itself strips types without checking them.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

it('the inferred types hold under the project compiler options', () => {
  const base = ts.readConfigFile(join(here, '..', '..', '..', '..', 'tsconfig.base.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, here);
  const program = ts.createProgram([join(here, 'infer.test.ts')], {
    ...parsed.options,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
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
  // The file is really part of the program (a wrong path would check nothing).
  expect(program.getSourceFile(join(here, 'infer.test.ts'))).toBeDefined();
});
