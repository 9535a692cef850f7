/**
 * The SDK's error codes and docs/client.md agree, in both directions: the "Error codes" table
 * lists exactly the codes of `CLIENT_ERROR_CODES` and of core's `CORE_ERROR_CODES` (which the SDK
 * lets through), every code the client and core sources throw is in those tables, and every code
 * of the tables is still thrown somewhere. The discriminated unions narrow on `code`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type AnyCoreError, CORE_ERROR_CODES, type CoreErrorCode } from '@bulwark/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { documentedCodes, mentionsCode, thrownCodes } from '../../../test-support/error-docs.js';
import {
  type AnyClientError,
  CLIENT_ERROR_CODES,
  type ClientErrorCode,
  ServerProblemError,
  WrongPasscodeError,
} from '../src/index.js';

const CLIENT_MD = readFileSync(new URL('../../../docs/client.md', import.meta.url), 'utf8');
const clientSrc = fileURLToPath(new URL('../src', import.meta.url));
const coreSrc = fileURLToPath(new URL('../../core/src', import.meta.url));

const known = new Set<string>([...Object.keys(CLIENT_ERROR_CODES), ...Object.keys(CORE_ERROR_CODES)]);

describe('client.md, "Error codes"', () => {
  it('lists exactly the codes of CLIENT_ERROR_CODES and CORE_ERROR_CODES', () => {
    const documented = [...documentedCodes(CLIENT_MD, 'Error codes').keys()].sort();
    expect(documented).toEqual([...known].sort());
  });

  it('names the class of each code as the tables do', () => {
    for (const [code, name] of [...Object.entries(CLIENT_ERROR_CODES), ...Object.entries(CORE_ERROR_CODES)]) {
      const row = CLIENT_MD.split('\n').find((line) => line.startsWith(`| \`${code}\` `));
      expect(row, code).toContain(`\`${name}\``);
    }
  });

  it('has no code thrown by the client or core sources that the tables lack', () => {
    const thrown = new Set([...thrownCodes(clientSrc), ...thrownCodes(coreSrc)]);
    expect([...thrown].filter((code) => !known.has(code))).toEqual([]);
  });

  it('has no code in the tables that the sources no longer throw', () => {
    const gone = [...Object.keys(CLIENT_ERROR_CODES)].filter((code) => !mentionsCode(clientSrc, code));
    const goneCore = [...Object.keys(CORE_ERROR_CODES)].filter((code) => !mentionsCode(coreSrc, code));
    expect([...gone, ...goneCore]).toEqual([]);
  });
});

describe('errors as types', () => {
  it('AnyClientError narrows on code', () => {
    expectTypeOf<Extract<AnyClientError, { code: 'wrong_passcode' }>>().toEqualTypeOf<WrongPasscodeError>();
    expectTypeOf<Exclude<AnyClientError, ServerProblemError>['code']>().toEqualTypeOf<
      ClientErrorCode extends infer C ? Exclude<C, 'invalid_policy'> | CoreErrorCode : never
    >();
    expectTypeOf<AnyCoreError['code']>().toEqualTypeOf<CoreErrorCode>();
    const err = new WrongPasscodeError(3) as AnyClientError;
    if (!(err instanceof ServerProblemError) && err.code === 'wrong_passcode') {
      expectTypeOf(err).toEqualTypeOf<WrongPasscodeError>();
      expect(err.attemptsLeft).toBe(3);
    } else {
      expect.unreachable();
    }
  });
});
