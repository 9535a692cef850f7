/**
 * Route-schema validation for Bulwark's own routes. Fastify's default ajv setup removes unknown
 * properties and coerces types in request bodies, which would silently accept `{"a":"5","x":1}`
 * as `{"a":5}`. Bulwark refuses instead: unknown properties are an error (routes declare
 * `additionalProperties: false`), and bodies are never coerced. Query strings, path parameters
 * and headers arrive as text, so they keep type coercion. Installed per plugin, so a host server's
 * own validator settings neither weaken Bulwark's routes nor are changed by them. The route
 * handlers take their input types from the same schemas (routes/lib/typed.ts).
 */
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';

// ajv-formats is CommonJS with a default export; under Node's ESM interop it may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

function makeAjv(coerceTypes: false | 'array'): Ajv {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    // One error is enough to refuse a request; collecting all of them is a known DoS vector.
    allErrors: false,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

/** What {@link useStrictValidation} checks. */
export interface StrictValidationOptions {
  /**
   * Check only request bodies; path parameters, query strings and headers are left to the
   * handlers (the team routes answer a malformed user id in the path 404 `user_not_found`, like
   * an unknown one). Default false: every part with a schema is checked.
   */
  readonly bodiesOnly?: boolean;
}

/**
 * Makes every route registered on `app` (and its children) validate with Bulwark's settings.
 *
 * @example
 * ```ts
 * await app.register(async (scope) => {
 *   useStrictValidation(scope);
 *   scope.post('/x', { schema: { body: { type: 'object', additionalProperties: false } } }, handler);
 * });
 * ```
 */
export function useStrictValidation(app: FastifyInstance, options: StrictValidationOptions = {}): void {
  const bodies = makeAjv(false);
  const text = makeAjv('array');
  app.setValidatorCompiler<FastifySchema>(({ schema, httpPart }) => {
    if (httpPart === 'body') return bodies.compile(schema as object);
    return options.bodiesOnly === true ? (value: unknown) => ({ value }) : text.compile(schema as object);
  });
}
