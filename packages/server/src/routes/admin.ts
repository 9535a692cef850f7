/**
 * Admin routes (role `admin`, DPoP-authenticated like every other call), the API of the admin
 * console: users (list, search, create, disable, enable, role, password reset), devices (across
 * users, per user, revocation), the security event log and its chain check, the device policy
 * and the server signing keys. Every change is recorded as a security event. Everything a device or
 * a user supplied is returned as JSON strings, never as markup (docs/api.md#admin-routes).
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { ServerContext } from '../context.js';
import type { Database } from '../db/schema.js';
import type { AdminPolicy } from '../devices/policy-store.js';
import { deviceView, deviceWithOwner, listDevices, revokeDevice } from '../devices/registry.js';
import { verifyEventChain } from '../events/verify.js';
import { authOf, requireAuth } from '../http/authenticate.js';
import { HttpProblem } from '../http/problem.js';
import { clientIp } from '../http/request.js';
import { oneTimePassword } from '../identity/bootstrap.js';
import { listUsers, userViewById, userViews } from '../identity/directory.js';
import { isLastEnabledAdmin } from '../identity/last-admin.js';
import { createUser } from '../identity/users.js';
import { type CursorPart, decodeCursor, encodeCursor } from '../lib/cursor.js';
import { MAX_EVENT_TYPES, parseDateTime, parseEventTypes } from './lib/admin-query.js';
import {
  adminPolicySchema,
  deviceSchema,
  errorResponses,
  eventSchema,
  idFilter,
  idParams,
  keySchema,
  pageQuery,
  pageResponse,
  policyResponseSchema,
  searchText,
  teamsArraySchema,
  userSchema,
} from './lib/admin-schemas.js';
import { typed } from './lib/typed.js';
import { DPOP_SECURITY, NO_CONTROL_CHARACTERS } from './schemas.js';

/** Default page size of the admin lists. */
const DEFAULT_LIMIT = 50;
const userNotFound = () => new HttpProblem(404, 'user_not_found', 'No such user.');

/**
 * The (time, id) key a users or devices cursor carries, or undefined on the first page; a cursor
 * that is not one of `kind`'s is a 400 (from decodeCursor).
 */
function timeAndIdAfter(kind: string, cursor: string | undefined): [number, string] | undefined {
  return cursor === undefined
    ? undefined
    : (decodeCursor(kind, cursor, ['number', 'string']) as [number, string]);
}

/** `{ nextCursor }` past `last` while more rows follow, else nothing to spread. */
function nextCursorAfter<T>(
  kind: string,
  more: boolean,
  last: T | undefined,
  key: (row: T) => CursorPart[],
): { nextCursor?: string } {
  return more && last !== undefined ? { nextCursor: encodeCursor(kind, key(last)) } : {};
}

/**
 * Refuses (409 `last_admin`) to demote or disable `userId` when no other enabled admin would be
 * left. The self-checks cannot see two admins demoting or disabling each other at once, which
 * left none: isLastEnabledAdmin reads the admins under row locks.
 */
async function keepAnotherAdmin(trx: Kysely<Database>, userId: string): Promise<void> {
  if (await isLastEnabledAdmin(trx, userId)) {
    throw new HttpProblem(409, 'last_admin', 'This is the last enabled admin; another admin must remain.');
  }
}

/** Registers the /admin routes. */
export function adminRoutes(instance: FastifyInstance, ctx: ServerContext): void {
  const app = typed(instance);
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
        summary: 'List accounts, oldest first; search by username, filter by role and state.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            q: {
              ...searchText,
              description: 'Substring of the username (case-insensitive; % and _ match themselves).',
            },
            role: { type: 'string', enum: ['admin', 'user'] },
            disabled: { type: 'boolean' },
            ...pageQuery,
          },
        },
        response: {
          200: pageResponse('users', userSchema),
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? DEFAULT_LIMIT;
      const after = timeAndIdAfter('users', q.cursor);
      const { rows, more } = await listUsers(ctx.db, {
        limit,
        ...(q.q === undefined ? {} : { q: q.q }),
        ...(q.role === undefined ? {} : { role: q.role }),
        ...(q.disabled === undefined ? {} : { disabled: q.disabled }),
        ...(after === undefined ? {} : { after }),
      });
      return {
        users: await userViews(ctx.db, rows),
        ...nextCursorAfter('users', more, rows.at(-1), (row) => [Number(row.created_at), row.id]),
      };
    },
  );

  app.get(
    '/admin/users/:userId',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary: 'One account.',
        params: idParams('userId'),
        response: {
          200: { type: 'object', required: ['user'], properties: { user: userSchema } },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const user = await userViewById(ctx.db, request.params.userId);
      if (user === undefined) throw userNotFound();
      return { user };
    },
  );

  app.post(
    '/admin/users',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary:
          'Create an account. Without a password, the server makes a one-time password (returned once) that must be changed at first sign-in.',
        body: {
          type: 'object',
          required: ['username'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 200 },
            password: { type: 'string', minLength: 1, maxLength: 4096 },
            role: { type: 'string', enum: ['admin', 'user'] },
            teams: teamsArraySchema,
          },
        },
        response: {
          201: {
            type: 'object',
            required: ['user', 'id', 'username', 'role'],
            properties: {
              user: userSchema,
              oneTimePassword: {
                type: 'string',
                description: 'Only when no password was given: show it once, it is not stored in clear.',
              },
              // The flat fields of earlier versions of this route, kept for their callers.
              id: { type: 'string' },
              username: { type: 'string' },
              role: { type: 'string' },
              disabled: { type: 'boolean' },
              mustChangePassword: { type: 'boolean' },
              createdAt: { type: 'string' },
            },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const body = request.body;
      const generated = body.password === undefined ? oneTimePassword() : undefined;
      const row = await createUser(
        { db: ctx.db, passwords: ctx.passwords, rules: ctx.config.passwords, now: ctx.now },
        {
          username: body.username,
          password: body.password ?? generated ?? '',
          role: body.role ?? 'user',
          mustChangePassword: generated !== undefined,
          teams: body.teams ?? [],
        },
      );
      const user = await userViewById(ctx.db, row.id);
      if (user === undefined) throw userNotFound();
      await ctx.events.append({
        type: 'user_created',
        actorUserId: auth.userId,
        actorDeviceId: auth.deviceId,
        subject: user.id,
        ip: clientIp(request),
        data: {
          username: user.username,
          role: user.role,
          teams: user.teams,
          oneTimePassword: generated !== undefined,
        },
      });
      return reply.code(201).send({
        user,
        ...(generated === undefined ? {} : { oneTimePassword: generated }),
        id: user.id,
        username: user.username,
        role: user.role,
        disabled: user.disabled,
        mustChangePassword: user.mustChangePassword,
        createdAt: user.createdAt,
      });
    },
  );

  for (const action of ['disable', 'enable'] as const) {
    app.post(
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
          if (action === 'disable') await keepAnotherAdmin(trx, userId);
          const result = await trx
            .updateTable('users')
            .set({ disabled_at: action === 'disable' ? nowMs : null })
            .where('id', '=', userId)
            .executeTakeFirst();
          if (Number(result.numUpdatedRows) !== 1) throw userNotFound();
          return action === 'disable' ? ctx.sessions.revoke({ userId }, 'user_disabled', { db: trx }) : 0;
        });
        await ctx.events.append({
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

  app.put(
    '/admin/users/:userId/role',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary: "Set an account's role; applies to its next request. An admin cannot change their own role.",
        params: idParams('userId'),
        body: {
          type: 'object',
          required: ['role'],
          additionalProperties: false,
          properties: { role: { type: 'string', enum: ['admin', 'user'] } },
        },
        response: {
          200: { type: 'object', required: ['user'], properties: { user: userSchema } },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const { userId } = request.params;
      const { role } = request.body;
      if (userId === auth.userId) {
        // Demoting oneself could leave no admin at all; another admin must do it.
        throw new HttpProblem(409, 'cannot_change_own_role', 'An admin cannot change their own role.');
      }
      const before = await ctx.db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('users').select('role').where('id', '=', userId).executeTakeFirst();
        if (row === undefined) throw userNotFound();
        if (role !== 'admin') await keepAnotherAdmin(trx, userId);
        await trx.updateTable('users').set({ role }).where('id', '=', userId).execute();
        return row.role;
      });
      if (before !== role) {
        await ctx.events.append({
          type: 'user_role_changed',
          actorUserId: auth.userId,
          actorDeviceId: auth.deviceId,
          subject: userId,
          ip: clientIp(request),
          data: { before, after: role },
        });
      }
      const user = await userViewById(ctx.db, userId);
      if (user === undefined) throw userNotFound();
      return { user };
    },
  );

  app.post(
    '/admin/users/:userId/reset-password',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary:
          'Replace the password with a one-time password (returned once) that must be changed at next sign-in; every session of the account ends.',
        params: idParams('userId'),
        response: {
          200: {
            type: 'object',
            required: ['oneTimePassword', 'sessionsEnded'],
            properties: { oneTimePassword: { type: 'string' }, sessionsEnded: { type: 'integer' } },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const { userId } = request.params;
      if (userId === auth.userId) {
        throw new HttpProblem(
          409,
          'cannot_reset_self',
          'An admin changes their own password with POST /auth/password, not a reset.',
        );
      }
      const exists = await ctx.db
        .selectFrom('users')
        .select('id')
        .where('id', '=', userId)
        .executeTakeFirst();
      if (exists === undefined) throw userNotFound();
      const password = oneTimePassword();
      const hash = await ctx.passwords.hash(password);
      const nowMs = ctx.now().getTime();
      const ended = await ctx.db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('users')
          .set({ password_hash: hash, must_change_password: 1, password_changed_at: nowMs })
          .where('id', '=', userId)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) throw userNotFound();
        return ctx.sessions.revoke({ userId }, 'password_reset', { db: trx });
      });
      await ctx.events.append({
        type: 'password_reset',
        actorUserId: auth.userId,
        actorDeviceId: auth.deviceId,
        subject: userId,
        ip: clientIp(request),
        data: { sessionsEnded: ended },
      });
      return { oneTimePassword: password, sessionsEnded: ended };
    },
  );

  app.get(
    '/admin/devices',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary: 'Devices of every user, newest enrolment first; filter by user and status, search.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            userId: idFilter,
            status: { type: 'string', enum: ['active', 'blocked', 'revoked', 'wipe_confirmed'] },
            q: {
              ...searchText,
              description: "Substring of the device id, its name or its owner's username (case-insensitive).",
            },
            ...pageQuery,
          },
        },
        response: {
          200: pageResponse('devices', deviceSchema),
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? DEFAULT_LIMIT;
      const after = timeAndIdAfter('devices', q.cursor);
      const { rows, more } = await listDevices(ctx.db, {
        limit,
        ...(q.userId === undefined ? {} : { userId: q.userId }),
        ...(q.status === undefined ? {} : { status: q.status }),
        ...(q.q === undefined ? {} : { q: q.q }),
        ...(after === undefined ? {} : { after }),
      });
      return {
        devices: rows.map(deviceView),
        ...nextCursorAfter('devices', more, rows.at(-1), (row) => [Number(row.enrolled_at), row.id]),
      };
    },
  );

  app.get(
    '/admin/users/:userId/devices',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary:
          "A user's devices (at most 1,000, newest enrolment first), in the shape of GET /admin/devices.",
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
      if (user === undefined) throw userNotFound();
      const { rows } = await listDevices(ctx.db, { userId: user.id, limit: 1000 });
      return { devices: rows.map(deviceView) };
    },
  );

  app.post(
    '/admin/devices/:deviceId/revoke',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary:
          'Revoke a device: its tokens fail at once and its next request gets device_revoked (the SDK wipes, then confirms: status wipe_confirmed).',
        params: idParams('deviceId'),
        body: {
          type: 'object',
          required: ['reason'],
          additionalProperties: false,
          properties: {
            reason: { type: 'string', enum: ['lost', 'stolen', 'left_organisation', 'admin'] },
            note: {
              type: 'string',
              maxLength: 500,
              // One line, like every other text the API stores: a newline would show as a
              // second, forged detail of the event wherever the log is read line by line.
              pattern: NO_CONTROL_CHARACTERS,
              description: 'Free text for the security event log (e.g. a ticket number), one line.',
            },
          },
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
      await ctx.events.append({
        type: 'device_revoked',
        actorUserId: auth.userId,
        actorDeviceId: auth.deviceId,
        subject: deviceId,
        ip: clientIp(request),
        data: {
          reason: request.body.reason,
          sessionsEnded: ended,
          ...(request.body.note === undefined ? {} : { note: request.body.note }),
        },
      });
      const row = await deviceWithOwner(ctx.db, deviceId);
      if (row === undefined) throw new HttpProblem(404, 'device_not_found', 'No such device.');
      return deviceView(row);
    },
  );

  app.get(
    '/admin/events',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary: 'Security events, newest first, filtered by type, user, device and time; cursor pages.',
        description:
          'type may be repeated or comma-separated. userId matches the acting user or the subject; deviceId the acting device or the subject. ' +
          'since is inclusive, until exclusive. With afterSeq (and no cursor), events come oldest first after that sequence number instead.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            type: { type: 'array', maxItems: MAX_EVENT_TYPES, items: { type: 'string', maxLength: 2000 } },
            userId: idFilter,
            deviceId: idFilter,
            since: { type: 'string', maxLength: 40, description: 'ISO 8601 date-time with a zone.' },
            until: { type: 'string', maxLength: 40, description: 'ISO 8601 date-time with a zone.' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, description: 'Page size (default 50).' },
            cursor: pageQuery.cursor,
            afterSeq: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
          },
        },
        response: {
          200: pageResponse('events', eventSchema),
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const types = parseEventTypes(q.type);
      const since = parseDateTime('since', q.since);
      const until = parseDateTime('until', q.until);
      const limit = q.limit ?? DEFAULT_LIMIT;
      if (q.afterSeq !== undefined && q.cursor !== undefined) {
        throw new HttpProblem(400, 'invalid_request', 'Give either cursor or afterSeq, not both.');
      }
      const beforeSeq =
        q.cursor === undefined ? undefined : (decodeCursor('events', q.cursor, ['number'])[0] as number);
      const { events, more } = await ctx.events.query({
        limit,
        types,
        ...(q.userId === undefined ? {} : { userId: q.userId }),
        ...(q.deviceId === undefined ? {} : { deviceId: q.deviceId.toLowerCase() }),
        ...(since === undefined ? {} : { since }),
        ...(until === undefined ? {} : { until }),
        ...(beforeSeq === undefined ? {} : { beforeSeq }),
        ...(q.afterSeq === undefined ? {} : { afterSeq: q.afterSeq }),
      });
      return {
        events,
        ...nextCursorAfter('events', more && q.afterSeq === undefined, events.at(-1), (event) => [event.seq]),
      };
    },
  );

  app.get(
    '/admin/events/verify',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary:
          'Check the hash chain of the whole event log; copy headHash elsewhere to detect a later consistent rewrite.',
        description:
          'anchor (repeatable): head hashes recorded elsewhere earlier; each must still be an entry of the chain, else anchor_missing (the log was cut or rewritten before it).',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            anchor: {
              type: 'array',
              maxItems: 20,
              items: { type: 'string', pattern: '^[0-9a-f]{64}$' },
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['ok', 'count', 'headSeq', 'headHash', 'problems'],
            properties: {
              ok: { type: 'boolean' },
              count: { type: 'integer' },
              headSeq: { type: 'integer' },
              headHash: { type: 'string' },
              brokenAtSeq: { type: 'integer', description: 'The first entry that fails, when one does.' },
              problems: {
                type: 'array',
                description: 'Every failure found (at most 100 listed).',
                items: {
                  type: 'object',
                  required: ['seq', 'reason'],
                  properties: {
                    seq: { type: 'integer' },
                    reason: {
                      type: 'string',
                      enum: [
                        'hash_mismatch',
                        'broken_link',
                        'sequence_gap',
                        'head_mismatch',
                        'anchor_missing',
                      ],
                    },
                    anchor: { type: 'string', description: 'The anchor not found (anchor_missing only).' },
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
      await ctx.events.flush();
      const report = await verifyEventChain(ctx.db, 1000, request.query.anchor ?? []);
      const first = report.problems[0];
      return {
        ok: report.ok,
        count: report.entries,
        headSeq: report.headSeq,
        headHash: report.headHash,
        ...(first === undefined ? {} : { brokenAtSeq: first.seq }),
        problems: report.problems.slice(0, 100),
      };
    },
  );

  app.get(
    '/admin/policy',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary:
          'The device policy in force (the configured one until an admin saves one); updatedAt/updatedBy tell who saved it.',
        response: { 200: policyResponseSchema, '4xx': errorResponses },
      },
    },
    async () => ctx.devicePolicy.current(),
  );

  app.put(
    '/admin/policy',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary:
          'Replace the device policy. Applies to every sign-in and refresh from now on (other nodes within 5 s): each device gets the new settings in its signed policy on its next refresh. Logged as policy_changed with before and after.',
        body: {
          type: 'object',
          required: ['policy'],
          additionalProperties: false,
          properties: { policy: adminPolicySchema },
        },
        response: { 200: policyResponseSchema, '4xx': errorResponses },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const { minAppVersion, ...rest } = request.body.policy;
      const policy: AdminPolicy = {
        ...rest,
        ...(minAppVersion === null || minAppVersion === undefined ? {} : { minAppVersion }),
      };
      const { before, after } = await ctx.devicePolicy.save(policy, auth.userId);
      await ctx.events.append({
        type: 'policy_changed',
        actorUserId: auth.userId,
        actorDeviceId: auth.deviceId,
        ip: clientIp(request),
        data: { before: before.policy, after: after.policy },
      });
      return after;
    },
  );

  app.get(
    '/admin/keys',
    {
      onRequest: admin,
      schema: {
        ...base,
        summary: 'Server signing keys, newest first: the active one and the retired ones (no private part).',
        response: {
          200: {
            type: 'object',
            required: ['keys'],
            properties: { keys: { type: 'array', items: keySchema } },
          },
          '4xx': errorResponses,
        },
      },
    },
    async () => ({ keys: await ctx.keys.list() }),
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
      await ctx.events.append({
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
