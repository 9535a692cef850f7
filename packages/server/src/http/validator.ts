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
import { HttpProblem } from './problem.js';

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

/**
 * Refuses, on every route registered on `app` (and its children), a query parameter that the
 * route's `querystring` schema does not declare: 400 `invalid_request` naming it, after the
 * route's `onRequest` hooks (authentication) and before its handler. A parameter a client
 * believes does something (`?limit=` on a sync route, a misspelt `?cursr=`) is then an error
 * it sees, not one the server ignores.
 *
 * @example
 * ```ts
 * await app.register(async (scope) => {
 *   refuseUndeclaredQueryParameters(scope);
 *   scope.get('/x', { schema: { querystring: { type: 'object', properties: { limit: { type: 'integer' } } } } }, handler);
 * });
 * ```
 */
export function refuseUndeclaredQueryParameters(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const query = request.query as Record<string, unknown> | null | undefined;
    if (query === null || typeof query !== 'object') return;
    const schema = request.routeOptions.schema?.querystring as { properties?: object } | undefined;
    const declared = schema?.properties ?? {};
    for (const key of Object.keys(query)) {
      if (!Object.hasOwn(declared, key)) {
        throw new HttpProblem(400, 'invalid_request', 'Unknown query parameter.', {
          issues: [
            { path: `/${key.slice(0, 64)}`, code: 'unknown_parameter', message: 'is not a parameter' },
          ],
        });
      }
    }
  });
}
