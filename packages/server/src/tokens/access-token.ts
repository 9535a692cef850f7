/**
 * Access tokens: short-lived JWTs (ES256, `typ` at+jwt, RFC 9068 layout) signed with the server
 * signing key set and bound to the device key by `cnf.jkt` (RFC 9449 §6). A token whose signature was
 * checked once is remembered (bounded cache) so that a steady client costs no second asymmetric
 * verify; expiry is still checked against the clock on every use.
 */

import { errors, jwtVerify, SignJWT } from 'jose';
import type { ServerErrorCode } from '../http/codes.js';
import { HttpProblem } from '../http/problem.js';
import { sha256Base64url } from '../lib/encoding.js';
import { LruMap } from '../lib/lru.js';
import type { SigningKeySet } from './keys.js';

/** What a verified access token says. */
export interface AccessClaims {
  /** User id. */
  readonly sub: string;
  /** Device id. */
  readonly did: string;
  /** Session (refresh family) id. */
  readonly sid: string;
  /** Thumbprint of the device key the token is bound to. */
  readonly jkt: string;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
}

/** A verified access token and the DPoP `ath` of its text (RFC 9449 §4.2), computed once. */
export interface VerifiedAccessToken {
  readonly claims: AccessClaims;
  /** base64url SHA-256 of the token, what a proof made for it carries as `ath`. */
  readonly ath: string;
}

/** A token the caller may not use: 401 with `WWW-Authenticate: DPoP error="invalid_token"`. */
export class InvalidTokenError extends HttpProblem {
  constructor(code: ServerErrorCode, detail: string, cause?: unknown) {
    super(401, code, detail, {
      cause,
      headers: { 'www-authenticate': 'DPoP error="invalid_token", algs="ES256"' },
    });
  }
}

/** Issues and verifies access tokens. */
export class AccessTokens {
  readonly #keys: SigningKeySet;
  readonly #issuer: string;
  readonly #ttlSeconds: number;
  readonly #now: () => Date;
  readonly #verified: LruMap<string, VerifiedAccessToken>;

  constructor(keys: SigningKeySet, issuer: string, ttlSeconds: number, now: () => Date, cacheSize = 10_000) {
    this.#keys = keys;
    this.#issuer = issuer;
    this.#ttlSeconds = ttlSeconds;
    this.#now = now;
    this.#verified = new LruMap(cacheSize);
  }

  /** Lifetime of new tokens, in seconds. */
  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  /**
   * Signs a token for a user's session on a device.
   *
   * @example
   * ```ts
   * const token = await tokens.issue({ sub: user.id, did: device.id, sid: session.id, jkt });
   * ```
   */
  async issue(claims: Omit<AccessClaims, 'exp'>): Promise<string> {
    const { kid, privateKey } = await this.#keys.currentSigningKey();
    const iat = Math.floor(this.#now().getTime() / 1000);
    return new SignJWT({ did: claims.did, sid: claims.sid, cnf: { jkt: claims.jkt } })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
      .setIssuer(this.#issuer)
      .setAudience(this.#issuer)
      .setSubject(claims.sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.#ttlSeconds)
      .setJti(crypto.randomUUID())
      .sign(privateKey);
  }

  /**
   * Verifies a token (signature once, expiry every time); throws {@link InvalidTokenError}.
   *
   * @example
   * ```ts
   * const claims = await tokens.verify(token);
   * ```
   */
  async verify(token: string): Promise<AccessClaims> {
    return (this.verifyCached(token) ?? (await this.verifyWithHash(token))).claims;
  }

  /**
   * The token, synchronously, when its signature was checked before; undefined when it was
   * not (the caller then awaits {@link AccessTokens.verifyWithHash}). Expiry is checked here:
   * throws `token_expired` when the remembered token has expired.
   *
   * @example
   * ```ts
   * const { claims, ath } = tokens.verifyCached(token) ?? (await tokens.verifyWithHash(token));
   * ```
   */
  verifyCached(token: string): VerifiedAccessToken | undefined {
    const cached = this.#verified.get(token);
    if (cached === undefined) return undefined;
    if (cached.claims.exp <= this.#now().getTime() / 1000) {
      this.#verified.delete(token);
      throw new InvalidTokenError('token_expired', 'The access token has expired; refresh it.');
    }
    return cached;
  }

  /**
   * {@link AccessTokens.verify}, with the token's `ath` beside its claims.
   *
   * @example
   * ```ts
   * const { claims, ath } = await tokens.verifyWithHash(token);
   * ```
   */
  async verifyWithHash(token: string): Promise<VerifiedAccessToken> {
    const cached = this.verifyCached(token);
    if (cached !== undefined) return cached;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(
        token,
        async (header) => {
          const key = await this.#keys.verificationKey(header.kid);
          if (key === undefined) throw new errors.JWKSNoMatchingKey();
          return key;
        },
        {
          algorithms: ['ES256'],
          typ: 'at+jwt',
          issuer: this.#issuer,
          audience: this.#issuer,
          currentDate: this.#now(),
          requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        },
      ));
    } catch (cause) {
      if (cause instanceof errors.JWTExpired) {
        throw new InvalidTokenError('token_expired', 'The access token has expired; refresh it.', cause);
      }
      throw new InvalidTokenError('invalid_token', 'The access token is not valid.', cause);
    }
    const cnf = payload.cnf as { jkt?: unknown } | undefined;
    const { sub, did, sid, exp } = payload;
    if (
      typeof sub !== 'string' ||
      typeof did !== 'string' ||
      typeof sid !== 'string' ||
      typeof exp !== 'number' ||
      typeof cnf?.jkt !== 'string'
    ) {
      throw new InvalidTokenError('invalid_token', 'The access token is not valid.');
    }
    const verified: VerifiedAccessToken = {
      claims: { sub, did, sid, jkt: cnf.jkt, exp },
      ath: sha256Base64url(token),
    };
    this.#verified.set(token, verified);
    return verified;
  }
}
