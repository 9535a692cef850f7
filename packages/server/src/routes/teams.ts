/**
 * Team membership (the `teams` claim of rules), managed by admins: `GET` and `PUT
 * /admin/users/:userId/teams`. A change applies to the user's next request; their devices'
 * next sync starts over (`reset`), because what they may hold has changed.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { authOf, requireAuth } from '../http/authenticate.js';
import { HttpProblem } from '../http/problem.js';
import { clientIp } from '../http/request.js';
import { typed } from './lib/typed.js';
import { DPOP_SECURITY, ID_PATTERN } from './schemas.js';

const errorResponses = { description: 'application/problem+json with a stable code (docs/errors.md)' };
/** What a team name looks like (a JSON schema pattern). */
export const TEAM_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$';
/** Most teams one user can be in. */
export const MAX_TEAMS_PER_USER = 100;

const teamsSchema = {
  type: 'object',
  required: ['teams'],
  additionalProperties: false,
  properties: {
    teams: {
      type: 'array',
      maxItems: MAX_TEAMS_PER_USER,
      uniqueItems: true,
      items: { type: 'string', pattern: TEAM_PATTERN },
    },
  },
} as const;

/**
 * Registers the team routes.
 *
 * @example
 * ```ts
 * await app.register(async (child) => teamRoutes(child, ctx));
 * ```
 */
export function teamRoutes(instance: FastifyInstance, ctx: ServerContext): void {
  const app = typed(instance);
  const admin = requireAuth(ctx, { role: 'admin' });
  const base = { tags: ['admin'], security: DPOP_SECURITY };
  const params = {
    type: 'object',
    required: ['userId'],
    properties: { userId: { type: 'string', pattern: ID_PATTERN } },
  } as const;

  const userOr404 = async (userId: unknown): Promise<string> => {
    const user =
      typeof userId === 'string' && new RegExp(ID_PATTERN).test(userId)
        ? await ctx.db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst()
        : undefined;
    if (user === undefined) throw new HttpProblem(404, 'user_not_found', 'No such user.');
    return user.id;
  };
  const teamsOf = async (userId: string) =>
    (
      await ctx.db
        .selectFrom('user_teams')
        .select('team')
        .where('user_id', '=', userId)
        .orderBy('team')
        .execute()
    ).map((r) => r.team);

  app.get(
    '/admin/users/:userId/teams',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary: "A user's teams.",
        params,
        response: { 200: teamsSchema, '4xx': errorResponses },
      },
    },
    async (request) => ({
      teams: await teamsOf(await userOr404(request.params.userId)),
    }),
  );

  app.put(
    '/admin/users/:userId/teams',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary: "Set a user's teams (replaces the list).",
        params,
        body: teamsSchema,
        response: { 200: teamsSchema, '4xx': errorResponses },
      },
    },
    async (request) => {
      const userId = await userOr404(request.params.userId);
      // The schema checked names, count and uniqueness; stored and answered in name order.
      const teams = [...request.body.teams].sort();
      await ctx.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('user_teams').where('user_id', '=', userId).execute();
        if (teams.length > 0) {
          await trx
            .insertInto('user_teams')
            .values(teams.map((team) => ({ user_id: userId, team })))
            .execute();
        }
      });
      const caller = authOf(request);
      await ctx.events.append({
        type: 'user_teams_changed',
        actorUserId: caller.userId,
        actorDeviceId: caller.deviceId,
        subject: userId,
        ip: clientIp(request),
        data: { teams },
      });
      return { teams };
    },
  );
}
