/**
 * Device-side routes: `GET /me` (who am I, on which device — also the trivial authenticated
 * route of the benchmark) and `POST /devices/wipe-receipt` (a revoked device confirms its wipe).
 */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { acceptWipeReceipt } from '../devices/wipe-receipt.js';
import { authOf, requireAuth } from '../http/authenticate.js';
import { clientIp } from '../http/request.js';
import { typed } from './lib/typed.js';
import { DPOP_SECURITY } from './schemas.js';

const errorResponses = { description: 'application/problem+json with a stable code (docs/errors.md)' };

/** Registers /me and /devices routes. */
export function deviceRoutes(instance: FastifyInstance, ctx: ServerContext): void {
  const app = typed(instance);
  app.get(
    '/me',
    {
      onRequest: requireAuth(ctx, { allowPasswordChangeRequired: true }),
      schema: {
        tags: ['identity'],
        summary: 'The caller: user, device and session.',
        security: DPOP_SECURITY,
        response: {
          200: {
            type: 'object',
            required: ['userId', 'username', 'role', 'deviceId', 'sessionId', 'mustChangePassword'],
            properties: {
              userId: { type: 'string' },
              username: { type: 'string' },
              role: { type: 'string' },
              deviceId: { type: 'string' },
              sessionId: { type: 'string' },
              mustChangePassword: { type: 'boolean' },
            },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const auth = authOf(request);
      return {
        userId: auth.userId,
        username: auth.username,
        role: auth.role,
        deviceId: auth.deviceId,
        sessionId: auth.sessionId,
        mustChangePassword: auth.mustChangePassword,
      };
    },
  );

  app.post(
    '/devices/wipe-receipt',
    {
      schema: {
        tags: ['devices'],
        summary: 'A revoked device confirms that it wiped its data (receipt signed with its device key).',
        body: {
          type: 'object',
          required: ['receipt'],
          additionalProperties: false,
          properties: {
            receipt: {
              type: 'string',
              maxLength: 4096,
              description:
                'JWS (ES256, typ bulwark-wipe+jwt, sub = device id, iat) signed with the device key.',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['deviceId', 'status'],
            properties: { deviceId: { type: 'string' }, status: { type: 'string', const: 'wipe_confirmed' } },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const { deviceId, confirmed } = await acceptWipeReceipt(ctx.db, ctx.now(), request.body.receipt);
      if (confirmed) {
        await ctx.events.append({
          type: 'device_wipe_confirmed',
          actorDeviceId: deviceId,
          subject: deviceId,
          ip: clientIp(request),
        });
      }
      return { deviceId, status: 'wipe_confirmed' as const };
    },
  );

  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['identity'],
        summary: 'Public keys that sign access tokens and device policies (JWKS).',
        response: {
          200: {
            type: 'object',
            required: ['keys'],
            properties: { keys: { type: 'array', items: { type: 'object', additionalProperties: true } } },
          },
        },
      },
    },
    async () => ctx.keys.jwks(),
  );
}
