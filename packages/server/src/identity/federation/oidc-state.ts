/**
 * The OIDC `state` of a sign-in as a MAC'd token that carries what the sign-in needs at its end,
 * so that starting one stores nothing: a flood of starts from many addresses (which the
 * per-address throttle cannot hold back) fills no table and blocks nobody's sign-in.
 *
 * Layout (72 bytes, 96 characters of base64url): version 1 (1 byte) ‖ seed (16 random bytes) ‖
 * expiry (ms since the epoch, 6 bytes big-endian) ‖ index of the redirect URI in the provider's
 * registered list (1 byte) ‖ the starting device key's RFC 7638 thumbprint (32 bytes) ‖ tag
 * (16 bytes: HMAC-SHA256 truncated, over a label, the provider id and everything before it). The
 * nonce and the PKCE verifier are not in it: both are HMAC-SHA256 of the body under keys only the
 * servers hold, so the state (which the browser, the provider and their logs see) tells neither.
 * The keys come from one secret shared by every node (db/shared-secret.ts), so any node finishes
 * what another started.
 *
 * Hand-written rather than a JWT/JWE from jose: the state is a single-purpose authenticated
 * token of fixed layout that must stay short (providers and browsers limit URL lengths) and
 * whose parsing admits exactly one form; a JOSE token would carry a header and JSON and accept
 * more than this needs. The primitives are node:crypto's HMAC.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 1;
const SEED = 16;
const EXPIRY = 6;
const JKT = 32;
const TAG = 16;
const BODY = 1 + SEED + EXPIRY + 1 + JKT;
/** Length of a state in base64url characters. */
export const OIDC_STATE_LENGTH = Math.ceil(((BODY + TAG) * 4) / 3);

/** What a state that verified says. */
export interface OpenedOidcState {
  readonly nonce: string;
  readonly verifier: string;
  readonly redirectIndex: number;
  readonly jkt: string;
  readonly expiresAtMs: number;
}

/** Makes and opens the states of one provider. */
export class OidcStateCodec {
  readonly #tagKey: Buffer;
  readonly #deriveKey: Buffer;
  readonly #providerId: string;

  /**
   * @param secret The servers' shared secret (32 bytes).
   * @param providerId The provider the states are for: a state of another provider does not open.
   */
  constructor(secret: Buffer, providerId: string) {
    this.#tagKey = createHmac('sha256', secret).update('bulwark oidc state tag v1').digest();
    this.#deriveKey = createHmac('sha256', secret).update('bulwark oidc state derive v1').digest();
    this.#providerId = providerId;
  }

  /**
   * A new state for the device key `jkt` (an RFC 7638 SHA-256 thumbprint, base64url), valid
   * until `expiresAtMs`, and the nonce and PKCE verifier that go with it.
   *
   * @example
   * ```ts
   * const { state, nonce, verifier } = codec.seal({ jkt, redirectIndex: 0, expiresAtMs: Date.now() + 600_000 });
   * ```
   */
  seal(request: { jkt: string; redirectIndex: number; expiresAtMs: number }): {
    state: string;
    nonce: string;
    verifier: string;
  } {
    const jkt = Buffer.from(request.jkt, 'base64url');
    if (jkt.length !== JKT || jkt.toString('base64url') !== request.jkt) {
      throw new RangeError('jkt must be a SHA-256 thumbprint in base64url');
    }
    if (
      !Number.isInteger(request.redirectIndex) ||
      request.redirectIndex < 0 ||
      request.redirectIndex > 255
    ) {
      throw new RangeError('redirectIndex must be 0 to 255');
    }
    const body = Buffer.alloc(BODY);
    body[0] = VERSION;
    randomBytes(SEED).copy(body, 1);
    body.writeUIntBE(request.expiresAtMs, 1 + SEED, EXPIRY);
    body[1 + SEED + EXPIRY] = request.redirectIndex;
    jkt.copy(body, 1 + SEED + EXPIRY + 1);
    const state = Buffer.concat([body, this.#tag(body)]).toString('base64url');
    return { state, ...this.#derived(body) };
  }

  /**
   * The state's content, or undefined when it is not one this server made for this provider
   * (any other length, alphabet, version or tag). Expiry and the device key are the caller's
   * to check, so that each refusal can say why.
   *
   * @example
   * ```ts
   * const opened = codec.open(url.searchParams.get('state') ?? '');
   * if (opened === undefined || opened.expiresAtMs <= Date.now() || opened.jkt !== jkt) refuse();
   * ```
   */
  open(state: string): OpenedOidcState | undefined {
    if (state.length !== OIDC_STATE_LENGTH || !/^[A-Za-z0-9_-]+$/.test(state)) return undefined;
    const bytes = Buffer.from(state, 'base64url');
    if (bytes.length !== BODY + TAG || bytes.toString('base64url') !== state) return undefined;
    const body = bytes.subarray(0, BODY);
    if (!timingSafeEqual(bytes.subarray(BODY), this.#tag(body)) || body[0] !== VERSION) return undefined;
    return {
      ...this.#derived(body),
      expiresAtMs: body.readUIntBE(1 + SEED, EXPIRY),
      redirectIndex: body[1 + SEED + EXPIRY] as number,
      jkt: body.subarray(1 + SEED + EXPIRY + 1).toString('base64url'),
    };
  }

  #tag(body: Buffer): Buffer {
    return createHmac('sha256', this.#tagKey)
      .update(`${this.#providerId}\u0000`)
      .update(body)
      .digest()
      .subarray(0, TAG);
  }

  #derived(body: Buffer): { nonce: string; verifier: string } {
    const derive = (label: string) =>
      createHmac('sha256', this.#deriveKey)
        .update(`${label}\u0000${this.#providerId}\u0000`)
        .update(body)
        .digest('base64url');
    // 43 characters each: a PKCE verifier of the length RFC 7636 §4.1 asks at least.
    return { nonce: derive('nonce'), verifier: derive('pkce verifier') };
  }
}
