/**
 * Route types from route schemas: a route registered on {@link typed}`(app)` takes the types of its
 * body, query string, params and headers from their JSON schemas (declared `as const`), through
 * json-schema-to-ts. The validator (http/validator.ts) compiles the same schemas, so a handler
 * reads exactly what was checked and no route restates its schema as a hand-written interface.
 */
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';

/** Fastify with the json-schema-to-ts type provider. */
export type TypedFastify = ReturnType<typeof typed>;

/**
 * `app` with request types inferred from the route schemas.
 *
 * @example
 * ```ts
 * typed(app).post('/x', { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } as const } },
 *   async (request) => request.body.n + 1);
 * ```
 */
export function typed(app: FastifyInstance) {
  return app.withTypeProvider<JsonSchemaToTsProvider>();
}
