/**
 * SSO across a company's apps and the app catalog: `GET /apps` (the apps the caller may use),
 * `GET /admin/apps` and `PUT /admin/apps/:appId/assignments` (who may use each), and the SSO
 * handoff: an app signed in on a device asks `POST /auth/sso/handoff` for a one-time code, hands
 * it to another app on the same device (through that app's redirect URI), and that app
 * exchanges it at `POST /auth/sso/exchange` for a session of its own, bound to its own key, on
 * the same device record — so revoking the device or disabling the user ends them all, and
 * `POST /auth/sso/logout` signs out every app of the device. A session that belongs to an app
 * may use that app's collections only. docs/identity.md#sso-across-apps.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import type { Role } from '../db/schema.js';
import { evaluatePolicy, type Posture } from '../devices/policy.js';
import { DeviceRevokedError } from '../devices/registry.js';
import { signPolicy } from '../devices/signed-policy.js';
import { authOf, requireAuth, verifyProof } from '../http/authenticate.js';
import { HttpProblem } from '../http/problem.js';
import { clientIp } from '../http/request.js';
import { appRegistryOf } from '../identity/federation/apps.js';
import type { RegisteredAppOptions } from '../identity/federation/config.js';
import { federationDb } from '../identity/federation/tables.js';
import { policyRefusal, refusalDetails } from './auth.js';
import { appIdSchema } from './federation.js';
import { DPOP_SECURITY, NO_CONTROL_CHARACTERS, tokenResponseSchema } from './schemas.js';
import { TEAM_PATTERN } from './teams.js';

const errorResponses = { description: 'application/problem+json with a stable code (docs/errors.md)' };
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** A handoff code lives this long: enough to switch apps, too short to be worth stealing. */
const HANDOFF_TTL_MS = 60_000;

const appView = (app: RegisteredAppOptions) => ({
  id: app.id,
  name: app.name,
  collections: [...app.collections],
  ...(app.installUrl === undefined ? {} : { installUrl: app.installUrl }),
  ...(app.openUrl === undefined ? {} : { openUrl: app.openUrl }),
});

const appSchema = {
  type: 'object',
  required: ['id', 'name', 'collections'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    collections: { type: 'array', items: { type: 'string' } },
    installUrl: { type: 'string' },
    openUrl: { type: 'string' },
  },
} as const;

interface Handoff {
  readonly userId: string;
  readonly deviceId: string;
  readonly sessionId: string;
  readonly app: string;
}

/** Registers the app catalog and SSO routes, and the per-app collection check. */
export function appRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const apps = appRegistryOf(ctx);
  const db = federationDb(ctx.db);

  // A session of an app reaches that app's collections only. The data routes authenticate in
  // onRequest, so the caller is known here; the app of a session never changes (cached).
  app.addHook('preHandler', async (request) => {
    const auth = request.bulwarkAuth;
    if (auth === null || auth === undefined) return;
    const appId = await apps.appOf(auth.sessionId);
    if (appId === null) return;
    const allowed = ctx.config.federation.apps.get(appId)?.collections ?? [];
    const url = request.routeOptions.url ?? '';
    const data = /\/data\/([^/]+)(?:\/:id)?$/.exec(url);
    if (data !== null && !allowed.includes(data[1] ?? '')) {
      throw new HttpProblem(403, 'app_collection_forbidden', 'This app may not use this collection.');
    }
    if (/\/sync\/(?:pull|push)$/.test(url)) {
      const offline = ctx.data?.model.offline.map((c) => c.name) ?? [];
      if (!offline.every((name) => allowed.includes(name))) {
        throw new HttpProblem(
          403,
          'app_collection_forbidden',
          'Sync carries every offline collection; this app may not use all of them.',
        );
      }
    }
  });

  app.get(
    '/apps',
    {
      onRequest: requireAuth(ctx),
      schema: {
        tags: ['identity'],
        summary:
          'The apps the caller may use (by role and team), with install and open links: the launcher list.',
        security: DPOP_SECURITY,
        response: {
          200: {
            type: 'object',
            required: ['apps'],
            properties: { apps: { type: 'array', items: appSchema } },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const mine = await apps.catalog(auth.role, await apps.teamsOf(auth.userId));
      return { apps: mine.map(appView) };
    },
  );

  app.get(
    '/admin/apps',
    {
      onRequest: requireAuth(ctx, { role: 'admin' }),
      schema: {
        tags: ['admin'],
        summary: 'Every registered app and who may use it.',
        security: DPOP_SECURITY,
        response: { '4xx': errorResponses },
      },
    },
    async () => ({
      apps: await Promise.all(
        apps.all().map(async (a) => ({
          ...appView(a),
          redirectUris: [...a.redirectUris],
          assignedTo: await apps.assignment(a),
        })),
      ),
    }),
  );

  app.put<{ Params: { appId: string }; Body: { roles: Role[]; teams: string[] } }>(
    '/admin/apps/:appId/assignments',
    {
      onRequest: requireAuth(ctx, { role: 'admin' }),
      schema: {
        tags: ['admin'],
        summary: 'Set the roles and teams whose users may use an app (replaces the configured assignment).',
        security: DPOP_SECURITY,
        params: { type: 'object', required: ['appId'], properties: { appId: appIdSchema } },
        body: {
          type: 'object',
          required: ['roles', 'teams'],
          additionalProperties: false,
          properties: {
            roles: {
              type: 'array',
              maxItems: 2,
              uniqueItems: true,
              items: { type: 'string', enum: ['admin', 'user'] },
            },
            teams: {
              type: 'array',
              maxItems: 100,
              uniqueItems: true,
              items: { type: 'string', pattern: TEAM_PATTERN },
            },
          },
        },
        response: { '4xx': errorResponses },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const target = apps.app(request.params.appId);
      const before = await apps.assignment(target);
      await apps.assign(target, request.body.roles, request.body.teams, auth.userId, ctx.now().getTime());
      const after = await apps.assignment(target);
      await ctx.events.append({
        type: 'app_assignments_changed',
        actorUserId: auth.userId,
        actorDeviceId: auth.deviceId,
        subject: target.id,
        ip: clientIp(request),
        data: {
          before: { roles: before.roles, teams: before.teams },
          after: { roles: after.roles, teams: after.teams },
        },
      });
      return { ...appView(target), assignedTo: after };
    },
  );

  app.post<{ Body: { app: string; redirectUri: string } }>(
    '/auth/sso/handoff',
    {
      onRequest: requireAuth(ctx),
      schema: {
        tags: ['identity'],
        summary: 'A one-time code (60 s) that lets another app on this device sign in as the caller.',
        description:
          "redirectUri must be one of the target app's registered redirect URIs; open the returned url to hand " +
          'the code to that app, which exchanges it at POST /auth/sso/exchange with its own device key.',
        security: DPOP_SECURITY,
        body: {
          type: 'object',
          required: ['app', 'redirectUri'],
          additionalProperties: false,
          properties: {
            app: appIdSchema,
            redirectUri: { type: 'string', minLength: 1, maxLength: 2000, pattern: NO_CONTROL_CHARACTERS },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['code', 'url', 'expiresIn'],
            properties: { code: { type: 'string' }, url: { type: 'string' }, expiresIn: { type: 'integer' } },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const target = apps.app(request.body.app);
      if (!target.redirectUris.includes(request.body.redirectUri)) {
        throw new HttpProblem(
          400,
          'app_redirect_uri_invalid',
          'This redirect URI is not registered for the app.',
        );
      }
      if (!(await apps.allowed(target, auth.role, await apps.teamsOf(auth.userId)))) {
        throw new HttpProblem(403, 'app_not_assigned', 'This account may not use this app.');
      }
      const code = randomBytes(32).toString('base64url');
      const handoff: Handoff = {
        userId: auth.userId,
        deviceId: auth.deviceId,
        sessionId: auth.sessionId,
        app: target.id,
      };
      const nowMs = ctx.now().getTime();
      await db.deleteFrom('federation_requests').where('expires_at', '<=', nowMs).execute();
      await db
        .insertInto('federation_requests')
        .values({
          id: sha256(`sso\u0000${code}`),
          provider_id: 'sso',
          jkt: auth.jkt,
          data: JSON.stringify(handoff),
          expires_at: nowMs + HANDOFF_TTL_MS,
        })
        .execute();
      const url = new URL(request.body.redirectUri);
      url.searchParams.set('sso_code', code);
      return { code, url: url.href, expiresIn: HANDOFF_TTL_MS / 1000 };
    },
  );

  app.post<{ Body: { code: string; app: string } }>(
    '/auth/sso/exchange',
    {
      schema: {
        tags: ['identity'],
        summary: 'Exchange an SSO handoff code for a session of this app, bound to its own device key.',
        description:
          "Needs a DPoP proof (no ath) by the new app's own key. The session is on the same device as the one " +
          "that made the code, ends no later than it, and may use the app's collections only.",
        body: {
          type: 'object',
          required: ['code', 'app'],
          additionalProperties: false,
          properties: {
            code: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' },
            app: appIdSchema,
          },
        },
        response: { 200: tokenResponseSchema, '4xx': errorResponses, '5xx': errorResponses },
      },
    },
    async (request) => {
      const ip = clientIp(request);
      const proof = await verifyProof(ctx, request, undefined);
      const row = await db
        .deleteFrom('federation_requests')
        .where('id', '=', sha256(`sso\u0000${request.body.code}`))
        .where('provider_id', '=', 'sso')
        .returningAll()
        .executeTakeFirst();
      const handoff = row === undefined ? undefined : (JSON.parse(row.data) as Handoff);
      if (
        row === undefined ||
        handoff === undefined ||
        Number(row.expires_at) <= ctx.now().getTime() ||
        handoff.app !== request.body.app
      ) {
        throw new HttpProblem(
          400,
          'sso_code_invalid',
          'This code is unknown, expired, used, or for another app.',
        );
      }
      const source = await ctx.db
        .selectFrom('sessions')
        .innerJoin('devices', 'devices.id', 'sessions.device_id')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .selectAll('devices')
        .select([
          'sessions.revoked_at as session_revoked_at',
          'sessions.expires_at as session_expires_at',
          'users.username',
          'users.role',
          'users.disabled_at',
          'users.must_change_password',
        ])
        .where('sessions.id', '=', handoff.sessionId)
        .executeTakeFirstOrThrow();
      if (source.status === 'revoked' || source.status === 'wipe_confirmed') throw new DeviceRevokedError();
      if (source.disabled_at !== null)
        throw new HttpProblem(401, 'account_disabled', 'This account is disabled.');
      if (source.session_revoked_at !== null || Number(source.session_expires_at) <= ctx.now().getTime()) {
        throw new HttpProblem(401, 'session_revoked', 'The session that made this code has ended.');
      }
      const target = apps.app(handoff.app);
      if (!(await apps.allowed(target, source.role, await apps.teamsOf(handoff.userId)))) {
        throw new HttpProblem(403, 'app_not_assigned', 'This account may not use this app.');
      }
      const facts = {
        platform: source.platform,
        osVersion: source.os_version,
        appVersion: source.app_version,
        posture: JSON.parse(source.posture) as Posture,
      };
      const decision = evaluatePolicy(await ctx.devicePolicy.options(), facts);
      if (decision.decision === 'refuse') {
        await ctx.events.append({
          type: 'device_policy_refused',
          actorUserId: handoff.userId,
          actorDeviceId: source.id,
          subject: source.id,
          ip,
          data: refusalDetails(decision, facts, 'login'),
        });
        throw policyRefusal(decision);
      }
      const started = await ctx.db.transaction().execute(async (trx) => {
        // Read again under a row lock (PostgreSQL; SQLite has one writer) as the session starts:
        // a disable or a sign-out that committed since the checks above ended every session
        // there was, and one started after it would outlive it (and come back on enable).
        let current = trx
          .selectFrom('sessions')
          .innerJoin('users', 'users.id', 'sessions.user_id')
          .select(['sessions.revoked_at', 'users.disabled_at'])
          .where('sessions.id', '=', handoff.sessionId);
        if (ctx.dialect === 'postgres') current = current.forUpdate();
        const now = await current.executeTakeFirst();
        if (now === undefined || now.disabled_at !== null) return 'account_disabled' as const;
        if (now.revoked_at !== null) return 'session_revoked' as const;
        const created = await ctx.sessions.create(
          { userId: handoff.userId, deviceId: source.id, jkt: proof.jkt },
          trx,
        );
        // Never outlives the session that vouched for it.
        const expiresAt = Math.min(Number(created.session.expires_at), Number(source.session_expires_at));
        await trx
          .updateTable('sessions')
          .set({ expires_at: expiresAt })
          .where('id', '=', created.session.id)
          .execute();
        await apps.bind(created.session.id, target.id, trx);
        return created;
      });
      if (started === 'account_disabled') {
        throw new HttpProblem(401, 'account_disabled', 'This account is disabled.');
      }
      if (started === 'session_revoked') {
        throw new HttpProblem(401, 'session_revoked', 'The session that made this code has ended.');
      }
      const { session, refreshToken } = started;
      const accessToken = await ctx.tokens.issue({
        sub: handoff.userId,
        did: source.id,
        sid: session.id,
        jkt: proof.jkt,
      });
      await ctx.events.append({
        type: 'login_succeeded',
        actorUserId: handoff.userId,
        actorDeviceId: source.id,
        subject: handoff.userId,
        ip,
        data: { sessionId: session.id, app: target.id, ssoFromSession: handoff.sessionId },
      });
      return {
        accessToken,
        tokenType: 'DPoP' as const,
        expiresIn: ctx.tokens.ttlSeconds,
        refreshToken,
        user: {
          id: handoff.userId,
          username: source.username,
          role: source.role,
          mustChangePassword: source.must_change_password === 1,
        },
        device: { id: source.id, status: 'active' },
        policy: {
          decision: decision.decision,
          findings: decision.findings,
          settings: decision.settings,
          signed: await signPolicy(ctx.keys, ctx.config.issuer, source.id, decision, ctx.now()),
        },
      };
    },
  );

  app.post(
    '/auth/sso/logout',
    {
      onRequest: requireAuth(ctx, { allowPasswordChangeRequired: true }),
      schema: {
        tags: ['identity'],
        summary: "Sign out of every app on this device: ends all of the caller's sessions on this device.",
        security: DPOP_SECURITY,
        response: {
          200: {
            type: 'object',
            required: ['sessionsEnded'],
            properties: { sessionsEnded: { type: 'integer' } },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const ended = await ctx.sessions.revoke({ userId: auth.userId, deviceId: auth.deviceId }, 'logout');
      await ctx.events.append({
        type: 'sessions_revoked',
        actorUserId: auth.userId,
        actorDeviceId: auth.deviceId,
        subject: auth.deviceId,
        ip: clientIp(request),
        data: { reason: 'sso_logout', sessionsEnded: ended },
      });
      return { sessionsEnded: ended };
    },
  );
}
