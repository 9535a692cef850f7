/**
 * The server's answers keep to the wire contract of `@bulwark/core/protocol`: the JSON schema of
 * the token response (which also serialises it) describes exactly the `TokenResponse` the SDK
 * reads, checked by the compiler (`npx tsc -p tsconfig.test.json`), and the JOSE `typ` constants
 * the server signs and checks with are core's.
 */
import * as protocol from '@bulwark/core/protocol';
import type { FromSchema } from 'json-schema-to-ts';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { POLICY_TYP } from '../src/devices/signed-policy.js';
import { WIPE_RECEIPT_TYP } from '../src/devices/wipe-receipt.js';
import type { tokenResponseSchema } from '../src/routes/schemas.js';

/** The declared members only, mutable: a schema without `additionalProperties: false` adds an index signature. */
type Declared<T> = T extends readonly (infer U)[]
  ? Declared<U>[]
  : T extends object
    ? { -readonly [K in keyof T as string extends K ? never : number extends K ? never : K]: Declared<T[K]> }
    : T;

describe('the wire contract', () => {
  it('the token response schema is the TokenResponse of @bulwark/core/protocol', () => {
    expectTypeOf<Declared<FromSchema<typeof tokenResponseSchema>>>().toEqualTypeOf<
      Declared<protocol.TokenResponse>
    >();
  });

  it('signs policies and checks wipe receipts with the typ constants of core', () => {
    expect(POLICY_TYP).toBe(protocol.POLICY_TYP);
    expect(WIPE_RECEIPT_TYP).toBe(protocol.WIPE_RECEIPT_TYP);
  });
});
