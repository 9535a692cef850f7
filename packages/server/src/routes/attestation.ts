/**
 * Device attestation routes: `POST /devices/attestation/challenge` (a single-use challenge),
 * `POST /devices/attestation` (evidence → verdict stored with the device) and
 * `GET /admin/devices/:deviceId/attestation` (the verdict, for the console).
 * docs/attestation.md walks through the protocol.
 */
import type { FastifyInstance } from 'fastify';
import type { Evidence } from '../attestation/service.js';
import type { ServerContext } from '../context.js';
import { authOf, requireAuth } from '../http/authenticate.js';
import { HttpProblem } from '../http/problem.js';
import { clientIp } from '../http/request.js';
import { DPOP_SECURITY } from './schemas.js';

const errorResponses = { description: 'application/problem+json with a stable code (docs/errors.md)' };
const BASE64 = '^[A-Za-z0-9+/_-]+={0,2}$';

/** The route key of the policy applied to evidence submission. */
export const ENROLL_ROUTE = 'enroll';

const verdictSchema = {
  type: 'object',
  required: ['kind', 'status', 'checkedAt'],
  properties: {
    kind: { type: 'string' },
    status: { type: 'string' },
    environment: { type: 'string' },
    checkedAt: { type: 'string' },
  },
} as const;

interface SubmitBody {
  challengeId: string;
  evidence: {
    kind: Evidence['kind'];
    keyId?: string;
    attestation?: string;
    chain?: string[];
    token?: string;
    reason?: 'pwa' | 'emulator' | 'unsupported';
  };
}

function evidenceOf(body: SubmitBody['evidence']): Evidence {
  const missing = () =>
    new HttpProblem(400, 'invalid_request', `Evidence of kind ${body.kind} is incomplete.`);
  switch (body.kind) {
    case 'app_attest':
      if (body.keyId === undefined || body.attestation === undefined) throw missing();
      return { kind: 'app_attest', keyId: body.keyId, attestation: body.attestation };
    case 'android_key':
      if (body.chain === undefined) throw missing();
      return { kind: 'android_key', chain: body.chain };
    case 'play_integrity':
      if (body.token === undefined) throw missing();
      return { kind: 'play_integrity', token: body.token };
    default:
      if (body.reason === undefined) throw missing();
      return { kind: 'none', reason: body.reason };
  }
}

/** Registers the attestation routes. */
export function attestationRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const device = requireAuth(ctx);

  app.post<{ Body: { purpose: 'attest' | 'assert' } }>(
    '/devices/attestation/challenge',
    {
      onRequest: device,
      schema: {
        tags: ['devices'],
        summary: 'A single-use, short-lived challenge for attestation evidence or a step-up assertion.',
        security: DPOP_SECURITY,
        body: {
          type: 'object',
          required: ['purpose'],
          additionalProperties: false,
          properties: { purpose: { type: 'string', enum: ['attest', 'assert'] } },
        },
        response: {
          200: {
            type: 'object',
            required: ['challengeId', 'challenge', 'clientData', 'expiresAt'],
            properties: {
              challengeId: { type: 'string' },
              challenge: { type: 'string' },
              clientData: { type: 'string' },
              expiresAt: { type: 'string' },
            },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const auth = authOf(request);
      return ctx.attestation.issueChallenge(
        { userId: auth.userId, deviceId: auth.deviceId, jkt: auth.jkt },
        request.body.purpose,
      );
    },
  );

  app.post<{ Body: SubmitBody }>(
    '/devices/attestation',
    {
      onRequest: device,
      schema: {
        tags: ['devices'],
        summary: "Submit the platform's attestation evidence for this device; the verdict is stored with it.",
        security: DPOP_SECURITY,
        body: {
          type: 'object',
          required: ['challengeId', 'evidence'],
          additionalProperties: false,
          properties: {
            challengeId: { type: 'string', minLength: 1, maxLength: 36, pattern: '^[0-9a-f-]+$' },
            evidence: {
              type: 'object',
              required: ['kind'],
              additionalProperties: false,
              properties: {
                kind: { type: 'string', enum: ['app_attest', 'android_key', 'play_integrity', 'none'] },
                keyId: { type: 'string', maxLength: 64, pattern: BASE64 },
                attestation: { type: 'string', maxLength: 16_384, pattern: BASE64 },
                chain: {
                  type: 'array',
                  minItems: 2,
                  maxItems: 10,
                  items: { type: 'string', maxLength: 8192, pattern: BASE64 },
                },
                token: { type: 'string', maxLength: 16_384, pattern: '^[A-Za-z0-9._-]+$' },
                reason: { type: 'string', enum: ['pwa', 'emulator', 'unsupported'] },
              },
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['verdict', 'decision'],
            properties: {
              verdict: verdictSchema,
              decision: {
                type: 'object',
                required: ['action', 'effective', 'mode'],
                properties: {
                  action: { type: 'string' },
                  effective: { type: 'string' },
                  mode: { type: 'string' },
                },
              },
            },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const who = { userId: auth.userId, deviceId: auth.deviceId, jkt: auth.jkt, ip: clientIp(request) };
      const verdict = await ctx.attestation.submit(
        who,
        request.body.challengeId,
        evidenceOf(request.body.evidence),
      );
      const decision = await ctx.attestation.decide(auth.deviceId, ENROLL_ROUTE);
      await ctx.attestation.logDecision(who, ENROLL_ROUTE, decision);
      if (decision.effective === 'refuse') {
        throw new HttpProblem(403, 'device_integrity_refused', 'This device failed the integrity check.', {
          issues: [
            { path: '/evidence', code: `integrity_${decision.verdict}`, message: 'Verdict of the device.' },
          ],
        });
      }
      return {
        verdict: {
          kind: verdict.kind,
          status: verdict.status,
          ...(verdict.environment === undefined ? {} : { environment: verdict.environment }),
          checkedAt: new Date(verdict.checkedAt).toISOString(),
        },
        decision: { action: decision.action, effective: decision.effective, mode: decision.mode },
      };
    },
  );

  app.get<{ Params: { deviceId: string } }>(
    '/admin/devices/:deviceId/attestation',
    {
      onRequest: requireAuth(ctx, { role: 'admin' }),
      schema: {
        tags: ['admin'],
        summary: "A device's last attestation verdict (404 attestation_not_found before any evidence).",
        security: DPOP_SECURITY,
        params: {
          type: 'object',
          required: ['deviceId'],
          properties: { deviceId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
        },
        response: {
          200: {
            type: 'object',
            required: ['kind', 'status', 'checkedAt', 'facts', 'class'],
            properties: {
              ...verdictSchema.properties,
              failure: { type: 'string' },
              class: { type: 'string' },
              facts: { type: 'object', additionalProperties: true },
            },
          },
          '4xx': errorResponses,
        },
      },
    },
    async (request) => {
      const deviceId = request.params.deviceId.toLowerCase();
      const verdict = await ctx.attestation.verdictOf(deviceId);
      if (verdict === undefined)
        throw new HttpProblem(404, 'attestation_not_found', 'No attestation for this device.');
      const decision = await ctx.attestation.decide(deviceId, ENROLL_ROUTE);
      return {
        kind: verdict.kind,
        status: verdict.status,
        ...(verdict.failure === undefined ? {} : { failure: verdict.failure }),
        ...(verdict.environment === undefined ? {} : { environment: verdict.environment }),
        checkedAt: new Date(verdict.checkedAt).toISOString(),
        class: decision.verdict,
        facts: verdict.facts,
      };
    },
  );
}
