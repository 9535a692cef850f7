/**
 * The failures of the transport, one class each with a stable `code` (docs/client.md). A problem
 * answered by the server keeps the server's own `code` (e.g. `invalid_credentials`), so an app
 * switches on the same codes the server documents.
 */
import { BulwarkError } from '@bulwark/core';

/**
 * A URL the transport will not use: anything but `https:`, except `http:` to a loopback host in
 * development mode.
 *
 * @example
 * ```ts
 * try { new Transport({ ...options, baseUrl: 'http://api.example.com' }); } catch (err) {
 *   if (err instanceof InsecureTransportError) console.error(err.message); // insecure_transport
 * }
 * ```
 */
export class InsecureTransportError extends BulwarkError<'insecure_transport'> {
  constructor(message: string) {
    super('insecure_transport', message);
  }
}

/**
 * The server's certificate does not carry one of the pinned public keys (SPKI SHA-256).
 *
 * @example
 * ```ts
 * try { await transport.request('GET', '/me'); } catch (err) {
 *   if (err instanceof PinMismatchError) reportPossibleInterception(); // pin_mismatch
 * }
 * ```
 */
export class PinMismatchError extends BulwarkError<'pin_mismatch'> {
  constructor() {
    super('pin_mismatch', 'the server certificate does not match a pinned public key');
  }
}

/**
 * The server answered with an RFC 9457 problem. `code` is the server's stable code; `status`
 * the HTTP status; `issues` the per-field reasons of a rejected input.
 *
 * @example
 * ```ts
 * try { await transport.login(credentials); } catch (err) {
 *   if (err instanceof ServerProblemError && err.code === 'invalid_credentials') showError();
 * }
 * ```
 */
export class ServerProblemError extends BulwarkError {
  readonly status: number;
  readonly issues: readonly { readonly path: string; readonly code: string; readonly message?: string }[];
  /** The problem's other members (RFC 9457 extension members), e.g. `challengeId` of `passkey_required`. */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(
    status: number,
    code: string,
    detail: string,
    issues: readonly { readonly path: string; readonly code: string; readonly message?: string }[] = [],
    extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, detail);
    this.status = status;
    this.issues = issues;
    this.extensions = extensions;
  }
}

/**
 * The request did not reach the server or got no usable answer (offline, DNS, TLS, timeout, a
 * body that is not JSON). Nothing is known to have been applied; retry later.
 *
 * @example
 * ```ts
 * try { await sync.push(); } catch (err) { if (err instanceof NetworkError) scheduleRetry(); } // network_error
 * ```
 */
export class NetworkError extends BulwarkError<'network_error'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('network_error', message, options);
  }
}

/**
 * No session: sign in first (or the session ended and refresh is no longer possible).
 *
 * @example
 * ```ts
 * try { await transport.request('GET', '/me'); } catch (err) {
 *   if (err instanceof NotSignedInError) goToLogin(); // not_signed_in
 * }
 * ```
 */
export class NotSignedInError extends BulwarkError<'not_signed_in'> {
  constructor() {
    super('not_signed_in', 'sign in first');
  }
}
