/**
 * The policy document a device receives at enrollment and on every refresh: the decision, the
 * findings and the settings it must apply, signed with the server key (JWS, ES256, `typ`
 * bulwark-policy+jwt) so that the SDK can verify it against the server's JWKS and a man in the
 * middle cannot relax the settings. It expires after the offline grace period.
 */
import { POLICY_TYP } from '@bulwark/core/protocol';
import { SignJWT } from 'jose';
import type { SigningKeySet } from '../tokens/keys.js';
import type { PolicyDecision } from './policy.js';

export { POLICY_TYP } from '@bulwark/core/protocol';

/**
 * Signs `decision` for device `deviceId`.
 *
 * @example
 * ```ts
 * const jws = await signPolicy(keys, 'bulwark', deviceId, decision, new Date());
 * // SDK side: await jwtVerify(jws, jwks, { typ: 'bulwark-policy+jwt', issuer: 'bulwark', subject: deviceId });
 * ```
 */
export async function signPolicy(
  keys: SigningKeySet,
  issuer: string,
  deviceId: string,
  decision: PolicyDecision,
  now: Date,
): Promise<string> {
  const { kid, privateKey } = await keys.currentSigningKey();
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({
    decision: decision.decision,
    findings: decision.findings,
    settings: decision.settings,
  })
    .setProtectedHeader({ alg: 'ES256', typ: POLICY_TYP, kid })
    .setIssuer(issuer)
    .setSubject(deviceId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + decision.settings.offlineGraceSeconds)
    .sign(privateKey);
}
