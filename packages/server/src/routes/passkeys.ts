/**
 * Passkey routes of the signed-in account: `POST /auth/passkeys/registration-options`,
 * `POST /auth/passkeys`, `GET /auth/passkeys`, `DELETE /auth/passkeys/:id`. The second factor at
 * sign-in lives in `POST /auth/login` (routes/auth.ts). docs/api.md#passkeys walks through both.
 */
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { authOf, requireAuth } from '../http/authenticate.js';
import { HttpProblem } from '../http/problem.js';
import { clientIp } from '../http/request.js';
import { PasskeyError } from '../identity/passkeys.js';
import { typed } from './lib/typed.js';
import { DPOP_SECURITY, ID_PATTERN, NO_CONTROL_CHARACTERS } from './schemas.js';

const errorResponses = { description: 'application/problem+json with a stable code (docs/errors.md)' };

const base64url = { type: 'string', minLength: 1, maxLength: 65_536, pattern: '^[A-Za-z0-9_-]+$' } as const;

/**
 * A PublicKeyCredential as @simplewebauthn/browser serialises it, around the ceremony's own
 * `response` (attestation on registration, assertion on authentication).
 */
function credentialSchema<Response extends object>(response: Response) {
  return {
    type: 'object',
    required: ['id', 'rawId', 'type', 'response', 'clientExtensionResults'],
    additionalProperties: false,
    properties: {
      id: { ...base64url, maxLength: 1400 },
      rawId: { ...base64url, maxLength: 1400 },
      type: { const: 'public-key' },
      authenticatorAttachment: { type: 'string', enum: ['platform', 'cross-platform'] },
      clientExtensionResults: { type: 'object' },
      response,
    },
  } as const;
}

/** RegistrationResponseJSON, as `startRegistration()` of @simplewebauthn/browser returns it. */
const registrationResponseSchema = credentialSchema({
  type: 'object',
  required: ['clientDataJSON', 'attestationObject'],
  properties: {
    clientDataJSON: base64url,
    attestationObject: base64url,
    authenticatorData: base64url,
    transports: { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 40 } },
    publicKeyAlgorithm: { type: 'integer' },
    publicKey: base64url,
  },
} as const);

/** AuthenticationResponseJSON, as `startAuthentication()` of @simplewebauthn/browser returns it. */
export const authenticationResponseSchema = credentialSchema({
  type: 'object',
  required: ['clientDataJSON', 'authenticatorData', 'signature'],
  properties: {
    clientDataJSON: base64url,
    authenticatorData: base64url,
    signature: base64url,
    userHandle: { type: 'string', maxLength: 200 },
  },
} as const);

const passkeySchema = {
  type: 'object',
  required: ['id', 'name', 'createdAt', 'backedUp'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    lastUsedAt: { type: 'string', format: 'date-time' },
    backedUp: { type: 'boolean' },
  },
} as const;

/** Status of each refusal on these routes (the login route answers 401 for its own). */
const STATUS: Record<PasskeyError['code'], number> = {
  passkeys_not_configured: 503,
  passkey_challenge_invalid: 400,
  passkey_registration_failed: 400,
  passkey_exists: 409,
  passkey_limit_reached: 409,
  passkey_not_registered: 400,
  passkey_invalid: 400,
  passkey_counter_regressed: 400,
};

/** A {@link PasskeyError} as problem+json; anything else goes on unchanged. */
export function passkeyProblem(err: unknown, status?: number): unknown {
  if (!(err instanceof PasskeyError)) return err;
  const code = err.code;
  return new HttpProblem(
    code === 'passkeys_not_configured' ? 503 : (status ?? STATUS[code]),
    code,
    err.message,
  );
}

/** Registers the /auth/passkeys routes. */
export function passkeyRoutes(instance: FastifyInstance, ctx: ServerContext): void {
  const app = typed(instance);
  app.post(
    '/auth/passkeys/registration-options',
    {
      preHandler: requireAuth(ctx),
      schema: {
        tags: ['identity'],
        summary: 'Options for navigator.credentials.create(): a new passkey for the caller.',
        description:
          'PublicKeyCredentialCreationOptionsJSON (pass it to startRegistration() of @simplewebauthn/browser). ' +
          'Its challenge is single use, expires after passkeyChallengeTtlSeconds (300 s) and is bound to the ' +
          'caller and the device key of the DPoP proof. The prf extension is requested.',
        security: DPOP_SECURITY,
        response: {
          200: {
            type: 'object',
            required: ['options'],
            properties: { options: { type: 'object', additionalProperties: true } },
          },
          '4xx': errorResponses,
          '5xx': errorResponses,
        },
      },
    },
    async (request) => {
      const auth = authOf(request);
      try {
        return {
          options: await ctx.passkeys.registrationOptions(
            { id: auth.userId, username: auth.username },
            auth.jkt,
          ),
        };
      } catch (err) {
        throw passkeyProblem(err);
      }
    },
  );

  app.post(
    '/auth/passkeys',
    {
      preHandler: requireAuth(ctx),
      schema: {
        tags: ['identity'],
        summary: 'Register a passkey: the answer of navigator.credentials.create() to the options above.',
        description:
          'Only attestation "none" is asked for; origin and rp id are checked against publicOrigin and rpId. ' +
          'Refusals: passkey_challenge_invalid (unknown, spent, expired, or issued to another account or ' +
          'device), passkey_registration_failed, passkey_exists, passkey_limit_reached.',
        security: DPOP_SECURITY,
        body: {
          type: 'object',
          required: ['response'],
          additionalProperties: false,
          properties: {
            response: registrationResponseSchema,
            name: { type: 'string', minLength: 1, maxLength: 100, pattern: NO_CONTROL_CHARACTERS },
          },
        },
        response: {
          201: { type: 'object', required: ['passkey'], properties: { passkey: passkeySchema } },
          '4xx': errorResponses,
          '5xx': errorResponses,
        },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const ip = clientIp(request);
      try {
        const passkey = await ctx.passkeys.register(
          auth.userId,
          auth.jkt,
          // The schema pins the shape; which transports exist is @simplewebauthn's to judge, so its
          // enum stays out of the schema and the checked body is handed over as its type.
          request.body.response as RegistrationResponseJSON,
          request.body.name?.trim() || undefined,
        );
        await ctx.events.append({
          type: 'passkey_registered',
          actorUserId: auth.userId,
          actorDeviceId: auth.deviceId,
          subject: auth.userId,
          ip,
          data: { passkeyId: passkey.id, backedUp: passkey.backedUp },
        });
        return reply.code(201).send({ passkey });
      } catch (err) {
        if (err instanceof PasskeyError) {
          await ctx.events.append({
            type: 'passkey_registration_refused',
            actorUserId: auth.userId,
            actorDeviceId: auth.deviceId,
            subject: auth.userId,
            ip,
            data: { reason: err.code },
          });
        }
        throw passkeyProblem(err);
      }
    },
  );

  app.get(
    '/auth/passkeys',
    {
      preHandler: requireAuth(ctx),
      schema: {
        tags: ['identity'],
        summary: "The caller's passkeys.",
        security: DPOP_SECURITY,
        response: {
          200: {
            type: 'object',
            required: ['passkeys'],
            properties: { passkeys: { type: 'array', items: passkeySchema } },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => ({ passkeys: await ctx.passkeys.list(authOf(request).userId) }),
  );

  app.delete(
    '/auth/passkeys/:id',
    {
      preHandler: requireAuth(ctx),
      schema: {
        tags: ['identity'],
        summary: "Delete one of the caller's own passkeys (404 passkey_not_found for any other).",
        security: DPOP_SECURITY,
        params: {
          type: 'object',
          required: ['id'],
          // Passkey ids are UUIDs; anything else (a NUL would fail the PostgreSQL statement) is 400.
          properties: { id: { type: 'string', pattern: ID_PATTERN } },
        },
        response: { 204: { type: 'null', description: 'Deleted.' }, '4xx': errorResponses },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      if (!(await ctx.passkeys.remove(auth.userId, request.params.id))) {
        throw new HttpProblem(404, 'passkey_not_found', 'You have no passkey with this id.');
      }
      await ctx.events.append({
        type: 'passkey_deleted',
        actorUserId: auth.userId,
        actorDeviceId: auth.deviceId,
        subject: auth.userId,
        ip: clientIp(request),
        data: { passkeyId: request.params.id },
      });
      return reply.code(204).send(null);
    },
  );
}
