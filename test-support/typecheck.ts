/**
 * Type-checks test files with the project's compiler options (tsconfig.base.json), for the
 * suites whose `expectTypeOf` and `@ts-expect-error` lines must be able to fail: vitest itself
 * strips types without checking them.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const BASE = fileURLToPath(new URL('../tsconfig.base.json', import.meta.url));

/**
 * The compiler's diagnostics for `files` (outside node_modules), as `file:line message`, and
 * whether every file was part of the program (a wrong path would check nothing).
 *
 * @example
 * ```ts
 * const { diagnostics, missing } = typeCheck(['/abs/infer.test.ts'], { lib: ['lib.es2023.d.ts'] });
 * ```
 */
export function typeCheck(
  files: readonly string[],
  options: { readonly lib: string[]; readonly types?: string[] },
): { diagnostics: string[]; missing: string[] } {
  const base = ts.readConfigFile(BASE, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, join(BASE, '..'));
  const program = ts.createProgram([...files], {
    ...parsed.options,
    lib: options.lib,
    ...(options.types === undefined ? {} : { types: options.types }),
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
  return { diagnostics, missing: files.filter((file) => program.getSourceFile(file) === undefined) };
}
