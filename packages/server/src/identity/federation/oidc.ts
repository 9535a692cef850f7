/**
 * OpenID Connect relying party with openid-client 6: the authorization code flow with PKCE
 * (S256 only), `state` and `nonce`, exact redirect URI matching. A sign-in is started by the
 * device and finished by the same device key, once: the `state` is a token this server MACs,
 * which binds the device key, the redirect URI and an expiry, and from which only the servers
 * derive the nonce and the PKCE verifier (oidc-state.ts), so a start stores nothing; the state
 * of a finished sign-in is recorded as spent until it expires (what only a sign-in the provider
 * authorized can write). openid-client checks the authorization
 * response (state, RFC 9207 `iss`), the token response and the ID token (issuer, audience,
 * signature against the provider's JWKS with the configured algorithm — never `none` — expiry,
 * nonce). docs/identity.md#openid-connect.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import * as client from 'openid-client';
import type { Database } from '../../db/schema.js';
import { loadSharedSecret } from '../../db/shared-secret.js';
import { HttpProblem } from '../../http/problem.js';
import type { FederatedIdentity } from './accounts.js';
import type { OidcProviderConfig } from './config.js';
import { OidcStateCodec } from './oidc-state.js';
import type { FederationDatabase } from './tables.js';

/** The key of the servers' shared secret that OIDC states are made with. */
const STATE_SECRET_KEY = 'oidc_state_secret';

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
  #states: Promise<OidcStateCodec> | undefined;

  constructor(config: OidcProviderConfig, db: Kysely<FederationDatabase>, now: () => Date) {
    this.#config = config;
    this.#db = db;
    this.#now = now;
  }

  /** The codec of this provider's states (the shared secret read once). */
  #stateCodec(): Promise<OidcStateCodec> {
    this.#states ??= loadSharedSecret(this.#db as unknown as Kysely<Database>, STATE_SECRET_KEY).then(
      (secret) => new OidcStateCodec(secret, this.#config.id),
    );
    this.#states.catch(() => {
      this.#states = undefined;
    });
    return this.#states;
  }

  /** The row that marks `state` as spent (in the federation requests, until it expires). */
  #spentId(state: string): string {
    return sha256(`oidc spent\u0000${this.#config.id}\u0000${state}`);
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
   * in the system browser), whose state carries what the end of the sign-in needs. Stores
   * nothing.
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
    const { state, nonce, verifier } = (await this.#stateCodec()).seal({
      jkt,
      redirectIndex: c.redirectUris.indexOf(redirectUri),
      expiresAtMs: this.#now().getTime() + c.requestTtlSeconds * 1000,
    });
    const challenge = await client.calculatePKCECodeChallenge(verifier);
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
    const opened = (await this.#stateCodec()).open(state);
    const redirectUri = opened === undefined ? undefined : c.redirectUris[opened.redirectIndex];
    if (
      opened === undefined ||
      redirectUri === undefined ||
      opened.jkt !== jkt ||
      opened.expiresAtMs <= this.#now().getTime() ||
      (await this.#spent(state))
    ) {
      throw new HttpProblem(
        400,
        'oidc_state_invalid',
        'This sign-in was not started by this device, or it expired or ended.',
      );
    }
    const pending = { nonce: opened.nonce, verifier: opened.verifier, redirectUri };
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
    // Spent from here on: the provider authorized this sign-in, so only real sign-ins write
    // these rows (a start writes none, and a callback that fails before this point neither).
    await this.#spend(state, jkt, opened.expiresAtMs);
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

  /** Whether `state` was spent by a sign-in that finished. */
  async #spent(state: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('federation_requests')
      .select('id')
      .where('id', '=', this.#spentId(state))
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Marks `state` spent until it expires; a second finish of the same sign-in writes nothing. */
  async #spend(state: string, jkt: string, expiresAtMs: number): Promise<void> {
    await this.#db
      .insertInto('federation_requests')
      .values({
        id: this.#spentId(state),
        provider_id: this.#config.id,
        jkt,
        data: '{"spent":true}',
        expires_at: expiresAtMs,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    // Rows are written by finished sign-ins only; those whose state can no longer be used go.
    await this.#db
      .deleteFrom('federation_requests')
      .where('expires_at', '<=', this.#now().getTime())
      .execute();
  }
}

function stringClaim(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Errors that say the provider could not be reached, rather than that its answer was wrong. */
function isTransport(err: client.ClientError): boolean {
  return err.code === 'OAUTH_HTTP_REQUEST_FORBIDDEN' || err.code === 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN';
}
