/**
 * ajv instances configured the way Fastify configures its validator (draft-07 with ajv-formats),
 * plus ajv's draft 2020-12 class, both in strict mode so an unknown keyword fails the test.
 */
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema } from '../../../src/schema/index.js';

// ajv-formats is CommonJS with a default export; under Node's ESM interop it arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv | Ajv2020,
) => void;

function make(Klass: typeof Ajv | typeof Ajv2020) {
  const ajv = new Klass({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv;
}

export const ajvDraft07 = make(Ajv);
export const ajv2020 = make(Ajv2020);

/** Compiles `schema` with both ajv classes and returns a function that checks a value with both. */
export function compileBoth(schema: JsonSchema): (value: unknown) => [boolean, boolean] {
  const a = ajvDraft07.compile(schema);
  const b = ajv2020.compile(schema);
  return (value) => [a(value), b(value)];
}
