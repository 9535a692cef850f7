/**
 * OpenID Connect relying party with openid-client 6: the authorization code flow with PKCE
 * (S256 only), `state` and `nonce`, exact redirect URI matching. A sign-in is started by the
 * device (its DPoP key is recorded with the state, the nonce and the PKCE verifier, in the
 * database so any node can finish it) and finished by the same device key, once: the stored
 * request is deleted by the statement that reads it. openid-client checks the authorization
 * response (state, RFC 9207 `iss`), the token response and the ID token (issuer, audience,
 * signature against the provider's JWKS with the configured algorithm — never `none` — expiry,
 * nonce). docs/identity.md#openid-connect.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import * as client from 'openid-client';
import { HttpProblem } from '../../http/problem.js';
import type { FederatedIdentity } from './accounts.js';
import type { OidcProviderConfig } from './config.js';
import { type FederationDatabase, savePendingRequest, takePendingRequest } from './tables.js';

/** What is kept between the start and the end of a sign-in. */
interface PendingOidc {
  readonly nonce: string;
  readonly verifier: string;
  readonly redirectUri: string;
}

/** How far ahead of this server's clock an ID token's `iat` may be (the providers' clocks drift). */
const IAT_FUTURE_SECONDS = 60;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The provider could not be used: 503 when unreachable, 502 when what it says is unusable. */
function providerProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  const code = (err as { code?: unknown }).code;
  if (
    err instanceof client.ClientError &&
    (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' ||
      code === 'OAUTH_RESPONSE_IS_NOT_JSON' ||
      code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')
  ) {
    return new HttpProblem(
      502,
      'identity_provider_error',
      'The identity provider answered something unusable.',
      {
        cause: err,
      },
    );
  }
  return new HttpProblem(
    503,
    'identity_provider_unavailable',
    'The identity provider cannot be reached; try again later.',
    {
      cause: err,
    },
  );
}

/**
 * One OIDC provider.
 *
 * @example
 * ```ts
 * const rp = new OidcRelyingParty(config, db, () => new Date());
 * const { authorizationUrl } = await rp.start(jkt, 'com.example.app:/oauth2redirect');
 * // … the system browser returns to the app with ?code&state …
 * const identity = await rp.finish(jkt, callbackUrl);
 * ```
 */
export class OidcRelyingParty {
  readonly #config: OidcProviderConfig;
  readonly #db: Kysely<FederationDatabase>;
  readonly #now: () => Date;
  #discovered: Promise<client.Configuration> | undefined;

  constructor(config: OidcProviderConfig, db: Kysely<FederationDatabase>, now: () => Date) {
    this.#config = config;
    this.#db = db;
    this.#now = now;
  }

  /** The provider's metadata, read once (a failed read is retried by the next sign-in). */
  async #configuration(): Promise<client.Configuration> {
    const c = this.#config;
    this.#discovered ??= (async () => {
      const metadata: Partial<client.ClientMetadata> = {
        id_token_signed_response_alg: c.idTokenAlgorithm,
        // The provider's clock is the real one; the server's may be a test's: check times by ours.
        [client.clockSkew]: Math.round((this.#now().getTime() - Date.now()) / 1000),
        ...(c.clientSecret === undefined ? {} : { client_secret: c.clientSecret }),
      };
      const configuration = await client.discovery(
        new URL(c.issuer),
        c.clientId,
        metadata,
        c.clientSecret === undefined ? client.None() : client.ClientSecretBasic(c.clientSecret),
        {
          timeout: 10,
          // openid-client trusts TLS for an ID token read from the token endpoint (OIDC Core
          // §3.1.3.7) and does not check its signature unless asked: ask, so that a token
          // endpoint answer is only as good as the provider's signing key (docs/identity.md).
          execute:
            c.allowHttpLoopback === true && new URL(c.issuer).protocol === 'http:'
              ? [client.allowInsecureRequests, client.enableNonRepudiationChecks]
              : [client.enableNonRepudiationChecks],
        },
      );
      const methods = configuration.serverMetadata().code_challenge_methods_supported;
      if (methods !== undefined && !methods.includes('S256')) {
        // A provider that offers only `plain` PKCE would see the verifier in the authorization URL.
        throw new HttpProblem(
          502,
          'identity_provider_error',
          'The identity provider does not support PKCE S256.',
        );
      }
      return configuration;
    })();
    try {
      return await this.#discovered;
    } catch (err) {
      this.#discovered = undefined;
      throw providerProblem(err);
    }
  }

  /**
   * Starts a sign-in for the device key `jkt`: answers the provider's authorization URL (to open
   * in the system browser) and records state, nonce and PKCE verifier.
   */
  async start(jkt: string, redirectUri: string): Promise<{ authorizationUrl: string; expiresIn: number }> {
    const c = this.#config;
    // Exact string comparison: a URI differing by one character, a letter's case or a trailing
    // slash is another URI (OAuth 2.0 Security BCP §4.1.3).
    if (!c.redirectUris.includes(redirectUri)) {
      throw new HttpProblem(
        400,
        'oidc_redirect_uri_invalid',
        'This redirect URI is not registered for the provider.',
      );
    }
    const configuration = await this.#configuration();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const verifier = client.randomPKCECodeVerifier();
    const challenge = await client.calculatePKCECodeChallenge(verifier);
    const pending: PendingOidc = { nonce, verifier, redirectUri };
    await savePendingRequest(this.#db, {
      id: sha256(`oidc\u0000${state}`),
      providerId: c.id,
      jkt,
      data: pending,
      ttlSeconds: c.requestTtlSeconds,
      nowMs: this.#now().getTime(),
    });
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: c.scopes.join(' '),
      state,
      nonce,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    return { authorizationUrl: url.href, expiresIn: c.requestTtlSeconds };
  }

  /**
   * Finishes the sign-in the device key `jkt` started, from the URL the provider redirected to.
   * Throws 400 `oidc_state_invalid` (missing, unknown, expired, used, another device's state),
   * 400 `oidc_redirect_uri_mismatch`, 401 `oidc_authorization_denied` (the provider's `error`),
   * 401 `oidc_code_rejected` (the token endpoint refused the code: reused, expired, PKCE) and
   * 401 `oidc_id_token_invalid` (issuer, audience, signature, algorithm, expiry, nonce).
   */
  async finish(jkt: string, callbackUrl: string): Promise<FederatedIdentity> {
    const c = this.#config;
    let current: URL;
    try {
      current = new URL(callbackUrl);
    } catch {
      throw new HttpProblem(400, 'oidc_state_invalid', 'The callback URL is not a URL.');
    }
    const state = current.searchParams.get('state');
    if (state === null || state.length === 0 || state.length > 200) {
      throw new HttpProblem(400, 'oidc_state_invalid', 'The callback has no valid state.');
    }
    const taken = await takePendingRequest<PendingOidc>(this.#db, {
      id: sha256(`oidc\u0000${state}`),
      providerId: c.id,
      jkt,
      nowMs: this.#now().getTime(),
    });
    if (taken === undefined) {
      throw new HttpProblem(
        400,
        'oidc_state_invalid',
        'This sign-in was not started by this device, or it expired or ended.',
      );
    }
    const pending = taken.data;
    const base = new URL(callbackUrl);
    base.search = '';
    base.hash = '';
    if (base.href !== new URL(pending.redirectUri).href) {
      throw new HttpProblem(
        400,
        'oidc_redirect_uri_mismatch',
        'The callback URL is not the redirect URI of this sign-in.',
      );
    }
    if (current.searchParams.has('error')) {
      throw new HttpProblem(
        401,
        'oidc_authorization_denied',
        'The identity provider did not authorize the sign-in.',
      );
    }
    const configuration = await this.#configuration();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      if (err instanceof client.ResponseBodyError) {
        throw new HttpProblem(
          401,
          'oidc_code_rejected',
          'The identity provider refused the authorization code.',
          {
            cause: err,
          },
        );
      }
      if (err instanceof client.AuthorizationResponseError) {
        throw new HttpProblem(
          401,
          'oidc_authorization_denied',
          'The identity provider did not authorize the sign-in.',
          {
            cause: err,
          },
        );
      }
      if (err instanceof client.ClientError && !isTransport(err)) {
        throw new HttpProblem(
          401,
          'oidc_id_token_invalid',
          "The identity provider's answer failed validation.",
          {
            cause: err,
          },
        );
      }
      throw providerProblem(err);
    }
    const claims = tokens.claims();
    if (claims === undefined) {
      throw new HttpProblem(401, 'oidc_id_token_invalid', 'The identity provider sent no ID token.');
    }
    // What openid-client leaves to the relying party (OIDC Core §3.1.3.7): a token authorized
    // for another client (`azp`) is not ours even when our id is in its audience, and a token
    // issued in the future was not issued in answer to this sign-in.
    if (claims.azp !== undefined && claims.azp !== c.clientId) {
      throw new HttpProblem(401, 'oidc_id_token_invalid', 'The ID token was issued to another client.');
    }
    if (claims.iat > this.#now().getTime() / 1000 + IAT_FUTURE_SECONDS) {
      throw new HttpProblem(401, 'oidc_id_token_invalid', 'The ID token says it was issued in the future.');
    }
    // Providers that follow OIDC Core §5.4 strictly put profile claims in UserInfo, not in the
    // ID token; UserInfo must name the same subject (openid-client checks it).
    let merged: Record<string, unknown> = { ...claims };
    if (configuration.serverMetadata().userinfo_endpoint !== undefined) {
      try {
        const info = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
        merged = { ...info, ...claims };
      } catch (err) {
        throw providerProblem(err);
      }
    }
    // An address the provider says it has not verified is whatever the user typed (someone
    // else's, as like as not): it never names an account.
    const unverifiedEmail = merged.email_verified === false || merged.email_verified === 'false';
    const nameFrom = (claim: string) =>
      claim === 'email' && unverifiedEmail ? undefined : stringClaim(merged[claim]);
    const username =
      (c.usernameClaim === undefined ? undefined : nameFrom(c.usernameClaim)) ??
      stringClaim(merged.preferred_username) ??
      nameFrom('email') ??
      claims.sub;
    return {
      providerId: c.id,
      // The configured issuer, which discovery checked the metadata against: links made by admins
      // (POST /admin/users/:userId/federated-accounts) use the same string.
      issuer: c.issuer,
      subject: claims.sub,
      username,
      claims: merged,
    };
  }
}

function stringClaim(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Errors that say the provider could not be reached, rather than that its answer was wrong. */
function isTransport(err: client.ClientError): boolean {
  return err.code === 'OAUTH_HTTP_REQUEST_FORBIDDEN' || err.code === 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN';
}
