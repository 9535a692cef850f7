/**
 * An encapsulated Fastify context for the data, sync and team routes: JSON bodies go through the
 * strict parser (duplicate keys, `__proto__` and deep nesting refused) and route schemas are used
 * for the OpenAPI document only, never to coerce or strip input. Fastify's default ajv setup
 * coerces types and removes unknown properties; here the core validator is the single authority,
 * and it refuses what it does not know.
 */
import type { FastifyInstance } from 'fastify';
import { parseStrictJson, StrictJsonError } from '../../data/strict-json.js';
import { HttpProblem } from '../../http/problem.js';

/** Makes `app` (a child context) parse JSON strictly and validate nothing on its own. */
export function useStrictBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseStrictJson(body as string));
    } catch (err) {
      const detail = err instanceof StrictJsonError ? err.message : 'The request body is not valid JSON.';
      done(new HttpProblem(400, 'invalid_json', detail), undefined);
    }
  });
  // Every route here checks its own input with the core validator or explicit checks.
  app.setValidatorCompiler(() => (value) => ({ value }));
  app.setSerializerCompiler(() => (value) => JSON.stringify(value));
}
