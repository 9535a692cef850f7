/**
 * Sign-in and sessions: `POST /auth/login` (password + device enrollment, DPoP-bound tokens),
 * `POST /auth/refresh` (rotation with reuse detection, policy re-check), `POST /auth/logout`
 * and `POST /auth/password`. docs/api.md walks through the flows.
 */
import type { FastifyInstance } from 'fastify';
import type { JWK } from 'jose';
import { calculateJwkThumbprint } from 'jose';
import type { ServerContext } from '../context.js';
import type { UsersTable } from '../db/schema.js';
import { evaluatePolicy, type PolicyDecision, type Posture } from '../devices/policy.js';
import {
  type DeviceDeclaration,
  DeviceRevokedError,
  enrollDevice,
  updateDeviceFacts,
} from '../devices/registry.js';
import { signPolicy } from '../devices/signed-policy.js';
import { authOf, requireAuth, verifyProof } from '../http/authenticate.js';
import { HttpProblem, problem, sendProblem } from '../http/problem.js';
import { clientIp } from '../http/request.js';
import { PasskeyError } from '../identity/passkeys.js';
import { checkPasswordRules, normalizePassword } from '../identity/passwords/rules.js';
import { findUserByUsername, usernameKey } from '../identity/users.js';
import { RefreshTokenError } from '../tokens/sessions.js';
import { typed } from './lib/typed.js';
import { authenticationResponseSchema, passkeyProblem } from './passkeys.js';
import {
  DPOP_SECURITY,
  deviceDeclarationSchema,
  NO_CONTROL_CHARACTERS,
  postureSchema,
  shortText,
  tokenResponseSchema,
} from './schemas.js';

const errorResponses = { description: 'application/problem+json with a stable code (docs/errors.md)' };

/** The problem for a policy refusal: the top code is stable, `issues` lists each finding. */
export function policyRefusal(decision: PolicyDecision): HttpProblem {
  return new HttpProblem(403, 'device_policy_refused', 'The device policy refuses this device.', {
    issues: decision.findings
      .filter((f) => f.action === 'refuse')
      .map((f) => ({ path: '/device', code: f.code, message: f.message })),
  });
}

/**
 * The thumbprint of the declared device key, or undefined when jose refuses it. The route schema
 * already pins its shape; a key that still slips through is a mismatch (400), never a 500.
 */
async function declaredThumbprint(jwk: JWK): Promise<string | undefined> {
  try {
    return await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: String(jwk.x), y: String(jwk.y) });
  } catch {
    return undefined;
  }
}

/**
 * Details of a `device_policy_refused` event: what the device reported and why it was refused,
 * so that admins see refusals in the event log (docs/api.md#refusals). Device-supplied strings
 * are stored as data, cut to the lengths the route schemas allow.
 */
export function refusalDetails(
  decision: PolicyDecision,
  facts: { platform: string; osVersion: string; appVersion: string; posture: Posture },
  at: 'login' | 'refresh',
) {
  return {
    findings: decision.findings.map((f) => f.code),
    refusals: decision.findings.map((f) => ({ code: f.code, action: f.action })),
    platform: facts.platform.slice(0, 40),
    osVersion: facts.osVersion.slice(0, 40),
    appVersion: facts.appVersion.slice(0, 40),
    posture: {
      rooted: facts.posture.rooted,
      screenLock: facts.posture.screenLock,
      emulator: facts.posture.emulator,
    },
    at,
  };
}

/**
 * The device step every sign-in shares, local or federated: the policy's verdict on the declared
 * device, its enrollment (or the existing record, bound to the proof key), the security events,
 * and a refusal as `device_policy_refused`. Returns the device to open the session on, and the
 * policy's decision for the answer.
 */
export async function enrollForSignIn(
  ctx: ServerContext,
  input: { userId: string; proof: { jkt: string; jwk: JWK }; declaration: DeviceDeclaration; ip: string },
) {
  const { userId, proof, declaration, ip } = input;
  const decision = evaluatePolicy(await ctx.devicePolicy.options(), declaration);
  const { device, created } = await enrollDevice(ctx.db, ctx.now().getTime(), {
    userId,
    jkt: proof.jkt,
    publicJwk: proof.jwk,
    declaration,
    decision,
  });
  const about = { actorUserId: userId, actorDeviceId: device.id, subject: device.id, ip };
  if (created) {
    await ctx.events.append({
      type: 'device_enrolled',
      ...about,
      data: { platform: device.platform, appVersion: device.app_version, decision: decision.decision },
    });
  }
  if (decision.decision === 'refuse') {
    await ctx.events.append({
      type: 'device_policy_refused',
      ...about,
      data: refusalDetails(decision, declaration, 'login'),
    });
    throw policyRefusal(decision);
  }
  if (decision.decision === 'warn') {
    await ctx.events.append({
      type: 'device_policy_warned',
      ...about,
      data: { findings: decision.findings.map((f) => f.code) },
    });
  }
  return { device, decision };
}

/** Registers the /auth routes. */
export function authRoutes(instance: FastifyInstance, ctx: ServerContext): void {
  const app = typed(instance);
  async function policyPayload(deviceId: string, decision: PolicyDecision) {
    return {
      decision: decision.decision,
      findings: decision.findings,
      settings: decision.settings,
      signed: await signPolicy(ctx.keys, ctx.config.issuer, deviceId, decision, ctx.now()),
    };
  }

  app.post(
    '/auth/login',
    {
      schema: {
        tags: ['identity'],
        summary:
          'Sign in with username and password from a device; enrolls the device and returns DPoP-bound tokens.',
        description:
          'Needs a DPoP proof (no ath) signed with the key in device.publicKey, carrying the server nonce. ' +
          'Throttled per account+IP, per IP and per account before any password hashing. ' +
          'When the account must present a passkey (an admin with a registered passkey, requireAdminPasskey), ' +
          'a correct password alone is answered 401 passkey_required with { challengeId, options } ' +
          '(PublicKeyCredentialRequestOptionsJSON); repeat the request with passkey: { challengeId, response }.',
        body: {
          type: 'object',
          required: ['username', 'password', 'device'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 200, pattern: NO_CONTROL_CHARACTERS },
            password: { type: 'string', minLength: 1, maxLength: 4096 },
            device: deviceDeclarationSchema,
            passkey: {
              type: 'object',
              required: ['challengeId', 'response'],
              additionalProperties: false,
              properties: {
                challengeId: { type: 'string', minLength: 1, maxLength: 36 },
                response: authenticationResponseSchema,
              },
            },
          },
        },
        response: { 200: tokenResponseSchema, '4xx': errorResponses, '5xx': errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const ip = clientIp(request);
      const proof = await verifyProof(ctx, request, undefined);
      if ((await declaredThumbprint(body.device.publicKey)) !== proof.jkt) {
        throw new HttpProblem(
          400,
          'device_key_mismatch',
          'device.publicKey is not the key that signed the DPoP proof.',
        );
      }
      const key = usernameKey(body.username);
      const deviceId = body.device.id.toLowerCase();

      const known = await ctx.db
        .selectFrom('devices')
        .innerJoin('users', 'users.id', 'devices.user_id')
        .select('devices.id')
        .where('devices.id', '=', deviceId)
        .where('devices.jkt', '=', proof.jkt)
        .where('devices.status', '=', 'active')
        .where('users.username_key', '=', key)
        .executeTakeFirst();
      const decisionToTry = await ctx.throttle.begin(key, ip, known !== undefined);
      if (!decisionToTry.allowed) {
        // One event per client (and account) and minute of refusals, not one per request.
        if (decisionToTry.first) {
          await ctx.events.append({
            type: 'login_throttled',
            subject: key,
            ip,
            data: { limit: decisionToTry.limit, retryAfterSeconds: decisionToTry.retryAfterSeconds },
          });
        }
        throw new HttpProblem(
          429,
          'login_throttled',
          'Too many sign-in attempts; wait before trying again.',
          {
            headers: { 'retry-after': String(decisionToTry.retryAfterSeconds) },
          },
        );
      }

      const user = await findUserByUsername(ctx.db, body.username);
      const ok = await ctx.passwords.verify(user?.password_hash, body.password);
      if (!ok || user === undefined) {
        await ctx.events.append({
          type: 'login_failed',
          actorUserId: user?.id ?? null,
          subject: key,
          ip,
          data: { reason: 'invalid_credentials' },
        });
        throw new HttpProblem(401, 'invalid_credentials', 'The username or password is wrong.');
      }
      // The second factor: a wrong or missing-then-wrong assertion counts as a failed attempt,
      // exactly like a wrong password (docs/identity.md#passkeys).
      let passkeyId: string | undefined;
      if (await ctx.passkeys.required(user)) {
        if (body.passkey === undefined) {
          let challenge: Awaited<ReturnType<typeof ctx.passkeys.authenticationOptions>>;
          try {
            challenge = await ctx.passkeys.authenticationOptions(user.id, proof.jkt);
          } catch (err) {
            throw passkeyProblem(err);
          }
          await ctx.throttle.firstFactorPassed(decisionToTry.ticket);
          await ctx.events.append({
            type: 'login_passkey_required',
            actorUserId: user.id,
            subject: key,
            ip,
            data: { challengeId: challenge.challengeId },
          });
          return sendProblem(reply, {
            ...problem(401, 'passkey_required', 'This account signs in with its passkey after the password.'),
            challengeId: challenge.challengeId,
            options: challenge.options,
          } as ReturnType<typeof problem>);
        }
        try {
          passkeyId = await ctx.passkeys.verifyAuthentication(user.id, proof.jkt, body.passkey);
        } catch (err) {
          if (err instanceof PasskeyError) {
            await ctx.events.append({
              type: 'login_failed',
              actorUserId: user.id,
              subject: key,
              ip,
              data: { reason: err.code },
            });
          }
          throw passkeyProblem(err, 401);
        }
      }
      await ctx.throttle.succeeded(decisionToTry.ticket);
      // A disabled account, seen before the session or under its row lock: refused, and logged.
      const refuseDisabled = async (): Promise<never> => {
        await ctx.events.append({
          type: 'login_failed',
          actorUserId: user.id,
          subject: key,
          ip,
          data: { reason: 'account_disabled' },
        });
        throw new HttpProblem(401, 'account_disabled', 'This account is disabled.');
      };
      if (user.disabled_at !== null) return refuseDisabled();
      // The hash this sign-in checked the password against (or rehashed it to, below).
      let checkedHash = user.password_hash;
      if (ctx.passwords.needsRehash(user.password_hash)) {
        const rehashed = await ctx.passwords.hash(body.password);
        // Only over the hash that was checked: a password changed meanwhile is not written back.
        const result = await ctx.db
          .updateTable('users')
          .set({ password_hash: rehashed })
          .where('id', '=', user.id)
          .where('password_hash', '=', user.password_hash)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 1) checkedHash = rehashed;
      }

      const { device, decision } = await enrollForSignIn(ctx, {
        userId: user.id,
        proof,
        declaration: { ...body.device, id: deviceId },
        ip,
      });
      // The session starts only if the password checked above is still the account's: a change
      // or reset that committed meanwhile ended every session there was, and this one must not
      // begin after it from the old password. (Every change stores a new salted hash.) The user
      // row is locked (PostgreSQL; SQLite has one writer), so a change either commits first and
      // is seen here, or waits for this session and ends it.
      // Likewise a disable that committed meanwhile: it ended every session there was, and one
      // started after it would come back to life when the account is enabled again.
      const started = await ctx.db.transaction().execute(async (trx) => {
        let current = trx
          .selectFrom('users')
          .select(['password_hash', 'disabled_at'])
          .where('id', '=', user.id);
        if (ctx.dialect === 'postgres') current = current.forUpdate();
        const row = await current.executeTakeFirst();
        if (row === undefined || row.password_hash !== checkedHash) return undefined;
        if (row.disabled_at !== null) return 'disabled' as const;
        return ctx.sessions.create({ userId: user.id, deviceId: device.id, jkt: proof.jkt }, trx);
      });
      if (started === 'disabled') return refuseDisabled();
      if (started === undefined) {
        await ctx.events.append({
          type: 'login_failed',
          actorUserId: user.id,
          subject: key,
          ip,
          data: { reason: 'password_changed_during_sign_in' },
        });
        throw new HttpProblem(401, 'invalid_credentials', 'The username or password is wrong.');
      }
      const { session, refreshToken } = started;
      const accessToken = await ctx.tokens.issue({
        sub: user.id,
        did: device.id,
        sid: session.id,
        jkt: proof.jkt,
      });
      await ctx.events.append({
        type: 'login_succeeded',
        actorUserId: user.id,
        actorDeviceId: device.id,
        subject: user.id,
        ip,
        data: passkeyId === undefined ? { sessionId: session.id } : { sessionId: session.id, passkeyId },
      });
      return {
        accessToken,
        tokenType: 'DPoP' as const,
        expiresIn: ctx.tokens.ttlSeconds,
        refreshToken,
        user: userView(user),
        device: { id: device.id, status: 'active' },
        policy: await policyPayload(device.id, decision),
      };
    },
  );

  app.post(
    '/auth/refresh',
    {
      schema: {
        tags: ['identity'],
        summary: 'Exchange a refresh token for new tokens (rotation); re-checks device, account and policy.',
        description:
          'Needs a DPoP proof (no ath) by the device key the session is bound to. A refresh token works once: ' +
          'presenting it again revokes the whole session (code refresh_token_reused).',
        body: {
          type: 'object',
          required: ['refreshToken'],
          additionalProperties: false,
          properties: {
            refreshToken: { type: 'string', minLength: 1, maxLength: 200 },
            device: {
              type: 'object',
              required: ['osVersion', 'appVersion', 'posture'],
              additionalProperties: false,
              properties: {
                osVersion: shortText,
                appVersion: shortText,
                posture: postureSchema,
              },
            },
          },
        },
        response: { 200: tokenResponseSchema, '4xx': errorResponses, '5xx': errorResponses },
      },
    },
    async (request) => {
      const ip = clientIp(request);
      const proof = await verifyProof(ctx, request, undefined);
      const candidate = await ctx.sessions.inspect(request.body.refreshToken, proof.jkt);
      const { session } = candidate;
      const reuse = async (): Promise<never> => {
        await ctx.sessions.revoke({ sessionId: session.id }, 'refresh_reuse');
        await ctx.events.append({
          type: 'refresh_reuse_detected',
          actorUserId: session.user_id,
          actorDeviceId: session.device_id,
          subject: session.id,
          ip,
          data: { sessionId: session.id },
        });
        throw new RefreshTokenError(
          'refresh_token_reused',
          'This refresh token was already used; the session is revoked.',
        );
      };
      const row = await ctx.db
        .selectFrom('devices')
        .innerJoin('users', 'users.id', 'devices.user_id')
        .selectAll('devices')
        .select(['users.username', 'users.role', 'users.disabled_at', 'users.must_change_password'])
        .where('devices.id', '=', session.device_id)
        .executeTakeFirstOrThrow();
      // A revoked device hears so before anything else, a reused token too: an app killed while
      // its refresh was in flight presents the spent token on its next start, and must still learn
      // that it is to wipe itself.
      if (row.status === 'revoked' || row.status === 'wipe_confirmed') throw new DeviceRevokedError();
      if (candidate.reused) return reuse();
      if (row.disabled_at !== null)
        throw new RefreshTokenError('account_disabled', 'This account is disabled.');
      if (session.revoked_at !== null)
        throw new RefreshTokenError('session_revoked', 'This session has ended.');
      if (Number(session.expires_at) <= ctx.now().getTime()) {
        throw new RefreshTokenError('session_expired', 'This session has expired; sign in again.');
      }

      const declared = request.body.device;
      const facts = {
        platform: row.platform,
        osVersion: declared?.osVersion ?? row.os_version,
        appVersion: declared?.appVersion ?? row.app_version,
        posture: declared?.posture ?? (JSON.parse(row.posture) as Posture),
      };
      const decision = evaluatePolicy(await ctx.devicePolicy.options(), facts);
      await updateDeviceFacts(ctx.db, ctx.now().getTime(), row.id, facts, decision);
      if (decision.decision === 'refuse') {
        await ctx.events.append({
          type: 'device_policy_refused',
          actorUserId: row.user_id,
          actorDeviceId: row.id,
          subject: row.id,
          ip,
          data: refusalDetails(decision, facts, 'refresh'),
        });
        // The refresh token is not spent: the device may retry once it complies.
        throw policyRefusal(decision);
      }
      const refreshToken = await ctx.sessions.rotate(candidate);
      if (refreshToken === undefined) return reuse();
      const accessToken = await ctx.tokens.issue({
        sub: row.user_id,
        did: row.id,
        sid: session.id,
        jkt: proof.jkt,
      });
      return {
        accessToken,
        tokenType: 'DPoP' as const,
        expiresIn: ctx.tokens.ttlSeconds,
        refreshToken,
        user: {
          id: row.user_id,
          username: row.username,
          role: row.role,
          mustChangePassword: row.must_change_password === 1,
        },
        device: { id: row.id, status: 'active' },
        policy: await policyPayload(row.id, decision),
      };
    },
  );

  app.post(
    '/auth/logout',
    {
      onRequest: requireAuth(ctx, { allowPasswordChangeRequired: true }),
      schema: {
        tags: ['identity'],
        summary: 'End the current session (its refresh token and access tokens stop working).',
        security: DPOP_SECURITY,
        response: { 204: { type: 'null', description: 'Session ended.' }, '4xx': errorResponses },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      await ctx.sessions.revoke({ sessionId: auth.sessionId }, 'logout');
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/password',
    {
      onRequest: requireAuth(ctx, { allowPasswordChangeRequired: true }),
      schema: {
        tags: ['identity'],
        summary: "Change the caller's password; ends every other session of the account.",
        security: DPOP_SECURITY,
        body: {
          type: 'object',
          required: ['currentPassword', 'newPassword'],
          additionalProperties: false,
          properties: {
            currentPassword: { type: 'string', minLength: 1, maxLength: 4096 },
            newPassword: { type: 'string', minLength: 1, maxLength: 4096 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['otherSessionsEnded'],
            properties: { otherSessionsEnded: { type: 'integer' } },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const ip = clientIp(request);
      const user = await ctx.db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', auth.userId)
        .executeTakeFirstOrThrow();
      const attempt = await ctx.throttle.begin(user.username_key, ip, true);
      if (!attempt.allowed) {
        throw new HttpProblem(429, 'login_throttled', 'Too many attempts; wait before trying again.', {
          headers: { 'retry-after': String(attempt.retryAfterSeconds) },
        });
      }
      // The current password wrong, or no longer the account's when the new one is written.
      const refuse = async (reason: string): Promise<never> => {
        await ctx.events.append({
          type: 'login_failed',
          actorUserId: user.id,
          actorDeviceId: auth.deviceId,
          subject: user.username_key,
          ip,
          data: { reason, during: 'password_change' },
        });
        throw new HttpProblem(401, 'invalid_credentials', 'The current password is wrong.');
      };
      if (!(await ctx.passwords.verify(user.password_hash, request.body.currentPassword))) {
        await refuse('invalid_credentials');
      }
      await ctx.throttle.succeeded(attempt.ticket);
      const issues = checkPasswordRules(request.body.newPassword, user.username, ctx.config.passwords);
      // Compared as the hasher compares them (normalised). Keeping the current password would keep a
      // one-time password (printed at start, or handed over by the admin who reset it) for good,
      // while clearing the obligation to change it.
      if (normalizePassword(request.body.newPassword) === normalizePassword(request.body.currentPassword)) {
        issues.push({
          path: '/newPassword',
          code: 'password_unchanged',
          message: 'The new password is the current one; choose another.',
        });
      }
      if (issues.length > 0) {
        throw new HttpProblem(400, 'password_rejected', 'The new password does not meet the rules.', {
          issues,
        });
      }
      const hash = await ctx.passwords.hash(request.body.newPassword);
      const nowMs = ctx.now().getTime();
      const ended = await ctx.db.transaction().execute(async (trx) => {
        // Only over the hash the current password was checked against: an admin reset (or another
        // change) that committed meanwhile must not be overwritten by a password chosen by whoever
        // held the old one — the reset may be what was meant to lock them out.
        const result = await trx
          .updateTable('users')
          .set({ password_hash: hash, must_change_password: 0, password_changed_at: nowMs })
          .where('id', '=', user.id)
          .where('password_hash', '=', user.password_hash)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) return undefined;
        return ctx.sessions.revoke({ userId: user.id }, 'password_changed', {
          except: auth.sessionId,
          db: trx,
        });
      });
      if (ended === undefined) await refuse('password_changed_during_change');
      await ctx.events.append({
        type: 'password_changed',
        actorUserId: user.id,
        actorDeviceId: auth.deviceId,
        subject: user.id,
        ip,
        data: { otherSessionsEnded: ended },
      });
      return { otherSessionsEnded: ended };
    },
  );
}

/** The account as its owner sees it. */
export function userView(user: Pick<UsersTable, 'id' | 'username' | 'role' | 'must_change_password'>) {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    mustChangePassword: user.must_change_password === 1,
  };
}
