/**
 * Admin routes (role `admin`, DPoP-authenticated like every other call): users (create,
 * disable, enable), devices per user with last-seen time and posture, device revocation, the
 * security event log and signing-key rotation. Every change is written to the audit log.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import type { RevocationReason, Role } from '../db/schema.js';
import { deviceView, revokeDevice } from '../devices/registry.js';
import { authOf, requireAuth } from '../http/authenticate.js';
import { HttpProblem } from '../http/problem.js';
import { clientIp } from '../http/request.js';
import { createUser } from '../identity/users.js';
import { DPOP_SECURITY, postureSchema } from './schemas.js';

const errorResponses = { description: 'application/problem+json with a stable code (docs/errors.md)' };

const userSchema = {
  type: 'object',
  required: ['id', 'username', 'role', 'disabled', 'createdAt'],
  properties: {
    id: { type: 'string' },
    username: { type: 'string' },
    role: { type: 'string' },
    disabled: { type: 'boolean' },
    mustChangePassword: { type: 'boolean' },
    createdAt: { type: 'string' },
  },
} as const;

const deviceSchema = {
  type: 'object',
  required: ['id', 'userId', 'status', 'lastSeenAt', 'posture'],
  properties: {
    id: { type: 'string' },
    userId: { type: 'string' },
    platform: { type: 'string' },
    osVersion: { type: 'string' },
    appVersion: { type: 'string' },
    posture: postureSchema,
    policyFindings: { type: 'array', items: { type: 'object', additionalProperties: true } },
    status: { type: 'string', enum: ['active', 'blocked', 'revoked', 'wipe_confirmed'] },
    revokedReason: { type: ['string', 'null'] },
    enrolledAt: { type: 'string' },
    lastSeenAt: { type: 'string' },
    revokedAt: { type: ['string', 'null'] },
    wipedAt: { type: ['string', 'null'] },
  },
} as const;

const idParams = (name: string) =>
  ({
    type: 'object',
    required: [name],
    properties: { [name]: { type: 'string', minLength: 1, maxLength: 64 } },
  }) as const;

/** Registers the /admin routes. */
export function adminRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // Attached as `onRequest`: the caller and role are checked before the body is parsed or
  // validated, so a non-admin gets 403 whatever it sends and learns nothing of the schemas.
  const admin = requireAuth(ctx, { role: 'admin' });
  const base = { tags: ['admin'], security: DPOP_SECURITY };

  app.get(
    '/admin/users',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary: 'List accounts.',
        response: {
          200: {
            type: 'object',
            required: ['users'],
            properties: { users: { type: 'array', items: userSchema } },
          },
          '4xx': errorResponses,
        },
      },
    },
    async () => {
      const rows = await ctx.db
        .selectFrom('users')
        .selectAll()
        .orderBy('created_at', 'asc')
        .limit(10_000)
        .execute();
      return {
        users: rows.map((u) => ({
          id: u.id,
          username: u.username,
          role: u.role,
          disabled: u.disabled_at !== null,
          mustChangePassword: u.must_change_password === 1,
          createdAt: new Date(Number(u.created_at)).toISOString(),
        })),
      };
    },
  );

  app.post<{ Body: { username: string; password: string; role?: Role } }>(
    '/admin/users',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary: 'Create an account (the password rules apply).',
        body: {
          type: 'object',
          required: ['username', 'password'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 200 },
            password: { type: 'string', minLength: 1, maxLength: 4096 },
            role: { type: 'string', enum: ['admin', 'user'] },
          },
        },
        response: {
          201: { type: 'object', required: ['id', 'username', 'role'], properties: userSchema.properties },
          '4xx': errorResponses,
        },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const user = await createUser(
        { db: ctx.db, passwords: ctx.passwords, rules: ctx.config.passwords, now: ctx.now },
        {
          username: request.body.username,
          password: request.body.password,
          role: request.body.role ?? 'user',
        },
      );
      await ctx.audit.append({
        type: 'user_created',
        actorUserId: auth.userId,
        actorDeviceId: auth.deviceId,
        subject: user.id,
        ip: clientIp(request),
        data: { username: user.username, role: user.role },
      });
      return reply.code(201).send({
        id: user.id,
        username: user.username,
        role: user.role,
        disabled: false,
        mustChangePassword: false,
        createdAt: new Date(user.created_at).toISOString(),
      });
    },
  );

  for (const action of ['disable', 'enable'] as const) {
    app.post<{ Params: { userId: string } }>(
      `/admin/users/:userId/${action}`,
      {
        onRequest: admin,
        schema: {
          ...base,
          summary:
            action === 'disable'
              ? 'Disable an account: every session ends at once, sign-in is refused.'
              : 'Enable a disabled account (its devices must sign in again).',
          params: idParams('userId'),
          response: {
            200: {
              type: 'object',
              required: ['userId', 'disabled'],
              properties: {
                userId: { type: 'string' },
                disabled: { type: 'boolean' },
                sessionsEnded: { type: 'integer' },
              },
            },
            '4xx': errorResponses,
          },
        },
      },
      async (request) => {
        const auth = authOf(request);
        const { userId } = request.params;
        if (action === 'disable' && userId === auth.userId) {
          throw new HttpProblem(409, 'cannot_disable_self', 'An admin cannot disable their own account.');
        }
        const nowMs = ctx.now().getTime();
        const ended = await ctx.db.transaction().execute(async (trx) => {
          const result = await trx
            .updateTable('users')
            .set({ disabled_at: action === 'disable' ? nowMs : null })
            .where('id', '=', userId)
            .executeTakeFirst();
          if (Number(result.numUpdatedRows) !== 1)
            throw new HttpProblem(404, 'user_not_found', 'No such user.');
          return action === 'disable' ? ctx.sessions.revoke({ userId }, 'user_disabled', { db: trx }) : 0;
        });
        await ctx.audit.append({
          type: action === 'disable' ? 'user_disabled' : 'user_enabled',
          actorUserId: auth.userId,
          actorDeviceId: auth.deviceId,
          subject: userId,
          ip: clientIp(request),
          data: { sessionsEnded: ended },
        });
        return { userId, disabled: action === 'disable', sessionsEnded: ended };
      },
    );
  }

  app.get<{ Params: { userId: string } }>(
    '/admin/users/:userId/devices',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary: "A user's devices with status, last-seen time and last posture.",
        params: idParams('userId'),
        response: {
          200: {
            type: 'object',
            required: ['devices'],
            properties: { devices: { type: 'array', items: deviceSchema } },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const user = await ctx.db
        .selectFrom('users')
        .select('id')
        .where('id', '=', request.params.userId)
        .executeTakeFirst();
      if (user === undefined) throw new HttpProblem(404, 'user_not_found', 'No such user.');
      const rows = await ctx.db
        .selectFrom('devices')
        .selectAll()
        .where('user_id', '=', user.id)
        .orderBy('enrolled_at', 'asc')
        .execute();
      return { devices: rows.map(deviceView) };
    },
  );

  app.post<{ Params: { deviceId: string }; Body: { reason: RevocationReason } }>(
    '/admin/devices/:deviceId/revoke',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary:
          'Revoke a device: its tokens fail at once and its next request gets device_revoked (the SDK wipes).',
        params: idParams('deviceId'),
        body: {
          type: 'object',
          required: ['reason'],
          additionalProperties: false,
          properties: { reason: { type: 'string', enum: ['lost', 'stolen', 'left_organisation', 'admin'] } },
        },
        response: { 200: deviceSchema, '4xx': errorResponses },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const deviceId = request.params.deviceId.toLowerCase();
      const nowMs = ctx.now().getTime();
      const ended = await ctx.db.transaction().execute(async (trx) => {
        const exists = await trx
          .selectFrom('devices')
          .select('status')
          .where('id', '=', deviceId)
          .executeTakeFirst();
        if (exists === undefined) throw new HttpProblem(404, 'device_not_found', 'No such device.');
        const changed = await revokeDevice(trx, nowMs, deviceId, request.body.reason);
        if (!changed) throw new HttpProblem(409, 'device_already_revoked', 'The device is already revoked.');
        return ctx.sessions.revoke({ deviceId }, 'device_revoked', { db: trx });
      });
      await ctx.audit.append({
        type: 'device_revoked',
        actorUserId: auth.userId,
        actorDeviceId: auth.deviceId,
        subject: deviceId,
        ip: clientIp(request),
        data: { reason: request.body.reason, sessionsEnded: ended },
      });
      const row = await ctx.db
        .selectFrom('devices')
        .selectAll()
        .where('id', '=', deviceId)
        .executeTakeFirstOrThrow();
      return deviceView(row);
    },
  );

  app.get<{ Querystring: { afterSeq?: number; limit?: number; type?: string } }>(
    '/admin/events',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary: 'Security events, oldest first, paged by sequence number.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            afterSeq: { type: 'integer', minimum: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
            type: { type: 'string', maxLength: 60 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['events'],
            properties: {
              events: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['seq', 'at', 'type'],
                  properties: {
                    seq: { type: 'integer' },
                    at: { type: 'string' },
                    type: { type: 'string' },
                    actorUserId: { type: ['string', 'null'] },
                    actorDeviceId: { type: ['string', 'null'] },
                    subject: { type: ['string', 'null'] },
                    ip: { type: ['string', 'null'] },
                    data: { type: 'object', additionalProperties: true },
                    hash: { type: 'string' },
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
      const q = request.query;
      return {
        events: await ctx.audit.list({
          ...(q.afterSeq === undefined ? {} : { afterSeq: q.afterSeq }),
          ...(q.limit === undefined ? {} : { limit: q.limit }),
          ...(q.type === undefined ? {} : { type: q.type }),
        }),
      };
    },
  );

  app.post(
    '/admin/keys/rotate',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary: 'Start signing with a new server key; older keys keep verifying until their tokens expire.',
        response: {
          200: { type: 'object', required: ['kid'], properties: { kid: { type: 'string' } } },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const kid = await ctx.keys.rotate();
      await ctx.audit.append({
        type: 'signing_key_rotated',
        actorUserId: auth.userId,
        actorDeviceId: auth.deviceId,
        subject: kid,
        ip: clientIp(request),
      });
      return { kid };
    },
  );
}
