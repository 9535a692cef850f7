/**
 * The attestation round trip in one call each: `attestDevice` (challenge, evidence from the
 * platform, verdict from the server) and `requestWithStepUp` (a request that the server may
 * answer `device_integrity_step_up`: the SDK fetches an assertion challenge, has the provider
 * sign it, and repeats the request once with the assertion).
 */

import { ServerProblemError } from '../transport/errors.js';
import type { Transport } from '../transport/transport.js';
import type { AttestationProvider } from './provider.js';

/** The server's answer to evidence. */
export interface AttestationResult {
  readonly verdict: {
    readonly kind: string;
    readonly status: string;
    readonly environment?: string;
    readonly checkedAt: string;
  };
  readonly decision: { readonly action: string; readonly effective: string; readonly mode: string };
}

interface Challenge {
  readonly challengeId: string;
  readonly clientData: string;
}

/**
 * Attests this device: one challenge, the provider's evidence bound to it, the server's verdict.
 * A refusal by the policy is a `ServerProblemError` with code `device_integrity_refused`.
 *
 * @example
 * ```ts
 * const { verdict } = await attestDevice(transport, noAttestation('pwa'));
 * ```
 */
export async function attestDevice(
  transport: Transport,
  provider: AttestationProvider,
): Promise<AttestationResult> {
  const challenge = await transport.request<Challenge>('POST', '/devices/attestation/challenge', {
    purpose: 'attest',
  });
  const evidence = await provider.attest(challenge.clientData);
  return transport.request<AttestationResult>('POST', '/devices/attestation', {
    challengeId: challenge.challengeId,
    evidence,
  });
}

/**
 * The header of a step-up assertion for one request.
 *
 * @example
 * ```ts
 * const headers = await stepUpHeaders(transport, provider);
 * ```
 */
export async function stepUpHeaders(
  transport: Transport,
  provider: AttestationProvider,
): Promise<Record<string, string>> {
  const challenge = await transport.request<Challenge>('POST', '/devices/attestation/challenge', {
    purpose: 'assert',
  });
  const assertion = await provider.assert(challenge.clientData);
  return { 'bulwark-integrity-assertion': `${challenge.challengeId} ${assertion}` };
}

/**
 * An authenticated request that, when the server demands a fresh assertion
 * (`device_integrity_step_up`), is repeated once with one.
 *
 * @example
 * ```ts
 * await requestWithStepUp(transport, provider, 'POST', '/transfers', { amount: 10 });
 * ```
 */
export async function requestWithStepUp<T = unknown>(
  transport: Transport,
  provider: AttestationProvider,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  try {
    return await transport.request<T>(method, path, body);
  } catch (err) {
    if (!(err instanceof ServerProblemError) || err.code !== 'device_integrity_step_up') throw err;
    return transport.request<T>(method, path, body, { headers: await stepUpHeaders(transport, provider) });
  }
}
