/** Liveness and readiness probes for load balancers and orchestrators. */

import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { ServerContext } from '../context.js';
import { HttpProblem } from '../http/problem.js';

const statusSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok'] } },
  additionalProperties: false,
} as const;

/** `GET /healthz` (the process answers) and `GET /readyz` (the database, and Redis when used, answer too). */
export function healthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process is up and answering.',
        response: { 200: statusSchema },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary:
          'Readiness: the database (and Redis, when configured) answers; take the node out of rotation when this fails.',
        response: { 200: statusSchema },
      },
    },
    async () => {
      try {
        await sql`select 1`.execute(ctx.db);
      } catch (cause) {
        throw new HttpProblem(503, 'not_ready', 'The database is not reachable.', { cause });
      }
      if (ctx.redis !== undefined) {
        try {
          await ctx.redis.ping();
        } catch (cause) {
          throw new HttpProblem(503, 'not_ready', 'Redis is not reachable.', { cause });
        }
      }
      return { status: 'ok' as const };
    },
  );
}
