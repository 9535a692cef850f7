/**
 * Encapsulated Fastify contexts for the data, sync and team routes. Their JSON bodies go through
 * the strict parser (duplicate keys, `__proto__` and deep nesting refused), and responses are
 * plain `JSON.stringify` of what the handler built (never filtered by a response schema). The
 * data routes' schemas are the collections' JSON Schema export, used for the OpenAPI document
 * only: the core validator is the single authority on records and refuses what it does not know,
 * with per-field issues. The sync and team routes' schemas are compiled by the strict validator
 * (http/validator.ts), which neither coerces nor strips.
 */
import type { FastifyInstance } from 'fastify';
import { parseStrictJson, StrictJsonError } from '../../data/strict-json.js';
import { HttpProblem } from '../../http/problem.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Makes `app` (a child context) parse JSON strictly and serialise answers as they are.
 *
 * @example
 * ```ts
 * await app.register(async (child) => { useStrictBodies(child); syncRoutes(child, ctx); });
 * ```
 */
export function useStrictBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    // Nothing here decodes a content coding: a body declared gzip (or any coding) would be read
    // as if it were plain, so what a proxy or a client meant and what is stored could differ.
    const coding = request.headers['content-encoding'];
    if (coding !== undefined && coding.trim().toLowerCase() !== 'identity') {
      done(
        new HttpProblem(415, 'unsupported_media_type', 'Send the body without a content coding (no gzip).'),
        undefined,
      );
      return;
    }
    let text: string;
    try {
      // JSON is UTF-8 (RFC 8259 §8.1). Decoded leniently, bytes that are not would become U+FFFD
      // and the record would be stored other than it was sent. A BOM is kept, and refused below.
      text = UTF8.decode(body as Buffer);
    } catch {
      done(new HttpProblem(400, 'invalid_json', 'The request body is not well-formed UTF-8.'), undefined);
      return;
    }
    try {
      done(null, parseStrictJson(text));
    } catch (err) {
      const detail = err instanceof StrictJsonError ? err.message : 'The request body is not valid JSON.';
      done(new HttpProblem(400, 'invalid_json', detail), undefined);
    }
  });
  app.setSerializerCompiler(() => (value) => JSON.stringify(value));
}

/**
 * Makes the route schemas of `app` (a child context) documentation only: its routes check their
 * own input, with the core validator or explicit checks.
 *
 * @example
 * ```ts
 * await app.register(async (child) => { schemasForDocsOnly(child); dataRoutes(child, ctx); });
 * ```
 */
export function schemasForDocsOnly(app: FastifyInstance): void {
  app.setValidatorCompiler(() => (value) => ({ value }));
}
