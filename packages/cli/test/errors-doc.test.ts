/**
 * The CLI's error codes, its sources and its docs agree, in both directions: every code the
 * sources throw is in `CLI_ERROR_CODES`, every code of the table is still thrown, and the
 * exit-code tables of docs/audit.md and docs/pins.md name exactly the audit and pins codes. The
 * union narrows on `code`. (The binary parsers' internal `RangeError('truncated')` is caught where
 * it is thrown and reported as the file's finding, never as an error code.)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { mentionsCode, thrownCodes } from '../../../test-support/error-docs.js';
import type { AuditPathNotFoundError } from '../src/audit/errors.js';
import { type AnyCliError, CLI_ERROR_CODES, type CliErrorCode } from '../src/index.js';

const cliSrc = fileURLToPath(new URL('../src', import.meta.url));
const doc = (name: string) => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');

/** The codes named in backticks in a section (up to the next heading of the same or higher level). */
function codesInSection(markdown: string, heading: string, prefix: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(-1);
  const level = heading.split(' ')[0] as string;
  const rest = markdown.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  const section = end === -1 ? rest : rest.slice(0, end);
  return [
    ...new Set([...section.matchAll(new RegExp(`\`(${prefix}_[a-z_]+)\``, 'g'))].map((m) => m[1] as string)),
  ].sort();
}

const codes = Object.keys(CLI_ERROR_CODES);

describe('the CLI error codes', () => {
  it('has no code thrown by the sources that CLI_ERROR_CODES lacks', () => {
    expect([...thrownCodes(cliSrc, ['RangeError'])].filter((code) => !codes.includes(code))).toEqual([]);
  });

  it('has no code in CLI_ERROR_CODES that the sources no longer throw', () => {
    expect(codes.filter((code) => !mentionsCode(cliSrc, code))).toEqual([]);
  });

  it('docs/audit.md "Exit codes" names exactly the audit codes', () => {
    expect(codesInSection(doc('audit.md'), '## Exit codes', 'audit')).toEqual(
      codes.filter((c) => c.startsWith('audit_')).sort(),
    );
  });

  it('docs/pins.md "Exit codes and errors" names exactly the pins codes', () => {
    expect(codesInSection(doc('pins.md'), '## Exit codes and errors', 'pins')).toEqual(
      codes.filter((c) => c.startsWith('pins_')).sort(),
    );
  });

  it('AnyCliError narrows on code', () => {
    expectTypeOf<
      Extract<AnyCliError, { code: 'audit_path_not_found' }>
    >().toEqualTypeOf<AuditPathNotFoundError>();
    const code: CliErrorCode = 'pins_connect_failed';
    expect(CLI_ERROR_CODES[code]).toBe('PinsConnectError');
  });
});
