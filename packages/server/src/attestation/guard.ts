/**
 * `requireIntegrity(ctx, route)`: the Fastify preHandler that applies the attestation policy to
 * a route, after `requireAuth`. It allows, allows with a `Bulwark-Integrity: warn` header,
 * demands a fresh assertion (`Bulwark-Integrity-Assertion: <challengeId> <assertion>`), or
 * refuses with 403 `device_integrity_refused`; in audit-only mode it logs and allows.
 */
import type { preHandlerAsyncHookHandler } from 'fastify';
import type { ServerContext } from '../context.js';
import { authOf } from '../http/authenticate.js';
import { HttpProblem } from '../http/problem.js';
import { clientIp } from '../http/request.js';

/** The header that carries a step-up assertion. */
export const ASSERTION_HEADER = 'bulwark-integrity-assertion';

/**
 * A preHandler applying the policy of `route` (a key of `attestation.policy.routes`).
 *
 * @example
 * ```ts
 * app.post('/transfers', { onRequest: requireAuth(ctx), preHandler: requireIntegrity(ctx, 'transfer') }, handler);
 * ```
 */
export function requireIntegrity(ctx: ServerContext, route: string): preHandlerAsyncHookHandler {
  return async function bulwarkIntegrity(request, reply) {
    const auth = authOf(request);
    const device = { userId: auth.userId, deviceId: auth.deviceId, jkt: auth.jkt, ip: clientIp(request) };
    const decision = await ctx.attestation.decide(auth.deviceId, route);
    await ctx.attestation.logDecision(device, route, decision);
    if (decision.mode === 'audit' && decision.action !== 'allow') {
      reply.header('bulwark-integrity', `audit; would=${decision.action}; verdict=${decision.verdict}`);
    }
    switch (decision.effective) {
      case 'allow':
        return;
      case 'warn':
        reply.header('bulwark-integrity', `warn; verdict=${decision.verdict}`);
        return;
      case 'refuse':
        throw new HttpProblem(
          403,
          'device_integrity_refused',
          'This device failed the integrity check this request needs.',
          {
            issues: [
              { path: '/device', code: `integrity_${decision.verdict}`, message: 'Verdict of the device.' },
            ],
          },
        );
      case 'step_up': {
        const header = request.headers[ASSERTION_HEADER];
        const value = typeof header === 'string' ? header.trim() : '';
        const space = value.indexOf(' ');
        if (space <= 0) {
          throw new HttpProblem(
            403,
            'device_integrity_step_up',
            'This request needs a fresh device assertion.',
            {
              headers: { 'bulwark-integrity': `step_up; verdict=${decision.verdict}` },
            },
          );
        }
        await ctx.attestation.assert(device, value.slice(0, space), value.slice(space + 1).trim());
        return;
      }
    }
  };
}
