/**
 * Sync routes (docs/sync.md): `POST /sync/pull` and `POST /sync/push`, DPoP-authenticated like
 * every data call, so a revoked device gets `device_revoked` here too (and wipes).
 */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { claimsOf } from '../data/claims.js';
import { RECORD_ID_PATTERN } from '../data/ids.js';
import { authOf, requireAuth } from '../http/authenticate.js';
import { HttpProblem } from '../http/problem.js';
import { pull } from '../sync/pull.js';
import { crossFieldIssues, push } from '../sync/push.js';
import { typed } from './lib/typed.js';
import { DPOP_SECURITY } from './schemas.js';

const errorResponses = { description: 'application/problem+json with a stable code (docs/errors.md)' };

const issueSchema = {
  type: 'object',
  required: ['path', 'code', 'message'],
  properties: { path: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
} as const;

/**
 * Registers the sync routes when the app has a data configuration.
 *
 * @example
 * ```ts
 * await app.register(async (child) => syncRoutes(child, ctx));
 * ```
 */
export function syncRoutes(instance: FastifyInstance, ctx: ServerContext): void {
  const app = typed(instance);
  const data = ctx.data;
  if (data === undefined) return;
  const auth = requireAuth(ctx);
  const { model, checkpoints } = data;

  app.post(
    '/sync/pull',
    {
      onRequest: auth,
      schema: {
        tags: ['sync'],
        summary: 'Changes since a checkpoint for the offline collections: device projections and removals.',
        security: DPOP_SECURITY,
        body: {
          type: 'object',
          required: ['checkpoint'],
          additionalProperties: false,
          properties: {
            checkpoint: { type: ['string', 'null'], maxLength: 200, description: 'null on the first pull.' },
            limit: { type: 'integer', minimum: 1, maximum: model.sync.maxPageSize },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['changes', 'checkpoint', 'hasMore'],
            properties: {
              changes: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['collection', 'id'],
                  properties: {
                    collection: { type: 'string' },
                    id: { type: 'string' },
                    version: { type: 'integer' },
                    record: { type: 'object', description: 'The device projection (no serverOnly field).' },
                    removed: { type: 'boolean', const: true },
                  },
                },
              },
              checkpoint: { type: 'string' },
              hasMore: { type: 'boolean' },
              reset: {
                type: 'boolean',
                const: true,
                description:
                  'Drop every synced record before applying this page (rules, schema or claims changed).',
              },
            },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request, reply) => {
      const caller = authOf(request);
      const { checkpoint, limit } = request.body;
      const claims = await claimsOf(ctx, caller);
      const text = await pull(
        { ctx, model, codec: checkpoints, claims, deviceId: caller.deviceId },
        { checkpoint, limit },
      );
      return reply.type('application/json').send(text);
    },
  );

  app.post(
    '/sync/push',
    {
      onRequest: auth,
      schema: {
        tags: ['sync'],
        summary: 'Apply a batch of mutations; each is validated, authorized and answered on its own.',
        security: DPOP_SECURITY,
        body: {
          type: 'object',
          required: ['mutations'],
          additionalProperties: false,
          properties: {
            mutations: {
              type: 'array',
              minItems: 1,
              maxItems: model.sync.maxPushMutations,
              items: {
                type: 'object',
                required: ['mutationId', 'collection', 'id', 'op', 'baseVersion'],
                additionalProperties: false,
                properties: {
                  mutationId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
                  collection: { type: 'string', maxLength: 63 },
                  id: { type: 'string', pattern: RECORD_ID_PATTERN, description: 'Lower-case UUID.' },
                  op: { type: 'string', enum: ['upsert', 'delete'] },
                  baseVersion: { type: ['integer', 'null'], minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
                  record: { type: 'object', description: 'The full device record (upsert only).' },
                },
              },
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['results'],
            properties: {
              results: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['mutationId', 'status'],
                  properties: {
                    mutationId: { type: 'string' },
                    status: { type: 'string', enum: ['applied', 'rejected', 'conflict'] },
                    version: { type: 'integer' },
                    code: { type: 'string' },
                    issues: { type: 'array', items: issueSchema },
                    serverVersion: { type: 'integer' },
                    serverRecord: { type: 'object' },
                  },
                },
              },
            },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const caller = authOf(request);
      const { mutations } = request.body;
      const issues = crossFieldIssues(mutations);
      if (issues.length > 0) {
        throw new HttpProblem(400, 'invalid_request', 'The push body is malformed.', { issues });
      }
      const claims = await claimsOf(ctx, caller);
      const results = await push({ ctx, model, claims, deviceId: caller.deviceId }, mutations);
      return { results };
    },
  );
}
