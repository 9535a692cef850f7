/**
 * The shared check behind each package's "error codes are documented" test: reads the code
 * tables of a docs page, and finds the codes a package's sources throw or answer (the first,
 * snake_case string argument of an error constructor, `super(...)` of an error class, or
 * `problem(status, code)`), so that a package's code table, its sources and its docs page can be
 * compared in both directions.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The codes of the tables of a markdown page whose first column is headed `code` (any case),
 * with the cells of the `status` column when the table has one (else `''`).
 */
export function documentedCodes(markdown: string, section?: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let statusColumn = -1;
  let inTable = false;
  let inSection = section === undefined;
  for (const line of markdown.split('\n')) {
    if (section !== undefined && /^#{1,6} /.test(line)) inSection = line.replace(/^#+ /, '') === section;
    if (!inSection) continue;
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    const cells = line.split('|').map((c) => c.trim());
    if (!inTable) {
      inTable = cells[1]?.toLowerCase() === 'code';
      statusColumn = cells.findIndex((c) => c.toLowerCase() === 'status');
      continue;
    }
    const code = /^`([a-z][a-z0-9_]*)`$/.exec(cells[1] ?? '')?.[1];
    if (code === undefined) continue;
    const statuses = out.get(code) ?? new Set<string>();
    statuses.add(statusColumn === -1 ? '' : (cells[statusColumn] ?? ''));
    out.set(code, statuses);
  }
  return out;
}

/** The `.ts` sources under `folder`, comments stripped (an `@example` may show any code). */
export function sourceTexts(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return sourceTexts(path);
    if (!path.endsWith('.ts')) return [];
    return [
      readFileSync(path, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/(^|[^:'"`])\/\/.*$/gm, '$1'),
    ];
  });
}

const THROWN = [
  // new SomethingError('code', …), new HttpProblem(401, 'code', …), new ServerProblemError(0, 'code', …)
  /new\s+([A-Z]\w*(?:Error|Problem))\(\s*(?:\d+,\s*)?'([a-z][a-z0-9_]*)'/g,
  // super('code', …) and super(409, 'code', …) in an error class
  /\b(super)\(\s*(?:\d+,\s*)?'([a-z][a-z0-9_]*)'/g,
  // problem(404, 'code', …), and helpers of the same shape
  /\b(\w*[pP]roblem)\(\s*\d+,\s*'([a-z][a-z0-9_]*)'/g,
];

/**
 * The codes the sources under `folder` throw or answer, literally. `notCodes` names the error
 * classes whose first argument is something else (a reason kept beside the code).
 */
export function thrownCodes(folder: string, notCodes: readonly string[] = []): Set<string> {
  const out = new Set<string>();
  for (const text of sourceTexts(folder)) {
    for (const pattern of THROWN) {
      for (const match of text.matchAll(pattern)) {
        if (!notCodes.includes(match[1] as string)) out.add(match[2] as string);
      }
    }
  }
  return out;
}

/** Whether the sources under `folder` hold `code` as a string literal anywhere. */
export function mentionsCode(folder: string, code: string): boolean {
  const quoted = new RegExp(`['"\`]${code}['"\`]`);
  return sourceTexts(folder).some((text) => quoted.test(text));
}
