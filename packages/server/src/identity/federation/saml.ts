/**
 * SAML 2.0 service provider with @node-saml/node-saml 5. node-saml checks the XML signature of
 * the assertion (signed assertions are required, whatever the response), reads the profile from
 * the signed XML only (so a wrapped, unsigned copy is never what is read), and checks the
 * Issuer, Audience, time conditions and InResponseTo (against requests stored in the database).
 * Bulwark adds what node-saml leaves out: the SubjectConfirmation Recipient and the Response
 * Destination must be the ACS URL, each assertion id is accepted once (table
 * `saml_assertions_seen`), and the response must answer the request this device started.
 * docs/identity.md#saml-20.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type CacheProvider, type Profile, SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import type { Kysely } from 'kysely';
import { HttpProblem } from '../../http/problem.js';
import type { FederatedIdentity } from './accounts.js';
import type { SamlProviderConfig } from './config.js';
import { type FederationDatabase, savePendingRequest, takePendingRequest } from './tables.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** What a started sign-in keeps until the identity provider answers. */
interface PendingSaml {
  readonly requestId: string;
  readonly redirectUri: string;
}

function invalid(detail: string, cause?: unknown): HttpProblem {
  return new HttpProblem(401, 'saml_response_invalid', detail, cause === undefined ? {} : { cause });
}

/** Values of an element's attribute in xml2js output, without trusting its shape. */
function attr(node: unknown, name: string): string | undefined {
  const v = (node as { $?: Record<string, unknown> } | undefined)?.$?.[name];
  return typeof v === 'string' ? v : undefined;
}

function children(node: unknown, name: string): unknown[] {
  const v = (node as Record<string, unknown> | undefined)?.[name];
  return Array.isArray(v) ? v : [];
}

/**
 * One SAML identity provider.
 *
 * @example
 * ```ts
 * const sp = new SamlServiceProvider(config, db, () => new Date());
 * const { redirectUrl } = await sp.start(jkt, 'com.example.app:/saml-done');
 * ```
 */
export class SamlServiceProvider {
  readonly #config: SamlProviderConfig;
  readonly #db: Kysely<FederationDatabase>;
  readonly #now: () => Date;

  constructor(config: SamlProviderConfig, db: Kysely<FederationDatabase>, now: () => Date) {
    this.#config = config;
    this.#db = db;
    this.#now = now;
  }

  /** Outstanding request ids, in the database so that any node can check InResponseTo. */
  #cache(jkt: string): CacheProvider {
    const db = this.#db;
    const c = this.#config;
    const now = this.#now;
    const key = (id: string) => sha256(`saml-request\u0000${c.id}\u0000${id}`);
    return {
      async saveAsync(id, value) {
        await db
          .insertInto('federation_requests')
          .values({
            id: key(id),
            provider_id: c.id,
            jkt,
            data: JSON.stringify({ value }),
            expires_at: now().getTime() + c.requestTtlSeconds * 1000,
          })
          .execute();
        return { value, createdAt: now().getTime() };
      },
      async getAsync(id) {
        const row = await db
          .selectFrom('federation_requests')
          .select(['data', 'expires_at'])
          .where('id', '=', key(id))
          .executeTakeFirst();
        if (row === undefined || Number(row.expires_at) <= now().getTime()) return null;
        return (JSON.parse(row.data) as { value: string }).value;
      },
      async removeAsync(id) {
        if (id === null) return null;
        await db.deleteFrom('federation_requests').where('id', '=', key(id)).execute();
        return id;
      },
    };
  }

  #saml(jkt: string, requestId?: string): SAML {
    const c = this.#config;
    return new SAML({
      callbackUrl: c.acsUrl,
      entryPoint: c.idpSsoUrl,
      issuer: c.entityId,
      audience: c.entityId,
      idpIssuer: c.idpEntityId,
      idpCert: c.idpCert,
      wantAssertionsSigned: true,
      // Many providers sign only the assertion; the assertion's signature is what is required.
      wantAuthnResponseSigned: false,
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: c.requestTtlSeconds * 1000,
      acceptedClockSkewMs: c.clockSkewSeconds * 1000,
      identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      cacheProvider: this.#cache(jkt),
      ...(requestId === undefined ? {} : { generateUniqueId: () => requestId }),
    });
  }

  /** The SP metadata document (entity id, ACS URL, signed assertions wanted). */
  metadata(): string {
    return this.#saml('').generateServiceProviderMetadata(null, null);
  }

  /**
   * Starts a sign-in for the device key `jkt`: the identity provider URL to open in the system
   * browser (an AuthnRequest, HTTP-Redirect binding, with a RelayState naming this request).
   */
  async start(jkt: string, redirectUri: string): Promise<{ redirectUrl: string; expiresIn: number }> {
    const c = this.#config;
    if (!c.redirectUris.includes(redirectUri)) {
      throw new HttpProblem(
        400,
        'saml_redirect_uri_invalid',
        'This redirect URI is not registered for the provider.',
      );
    }
    // A SAML ID must be an NCName: it may not start with a digit.
    const requestId = `_${randomBytes(20).toString('hex')}`;
    const relayState = randomBytes(32).toString('base64url');
    const pending: PendingSaml = { requestId, redirectUri };
    const redirectUrl = await this.#saml(jkt, requestId).getAuthorizeUrlAsync(relayState, undefined, {});
    await savePendingRequest(this.#db, {
      id: sha256(`saml-relay\u0000${relayState}`),
      providerId: c.id,
      jkt,
      data: pending,
      ttlSeconds: c.requestTtlSeconds,
      nowMs: this.#now().getTime(),
    });
    await this.#db
      .deleteFrom('saml_assertions_seen')
      .where('expires_at', '<=', this.#now().getTime())
      .execute();
    return { redirectUrl, expiresIn: c.requestTtlSeconds };
  }

  /**
   * The assertion consumer: validates the identity provider's POSTed response and answers where
   * to send the browser (the app's redirect URI with a one-time `code`, valid 2 minutes, that only
   * the device key which started the sign-in can redeem).
   */
  async consume(samlResponse: string, relayState: string): Promise<{ location: string }> {
    const c = this.#config;
    const relay = await takePendingRequest<PendingSaml>(this.#db, {
      id: sha256(`saml-relay\u0000${relayState}`),
      providerId: c.id,
      nowMs: this.#now().getTime(),
    });
    if (relay === undefined) {
      throw new HttpProblem(
        400,
        'saml_relay_state_invalid',
        'This sign-in was not started here, or it expired or ended.',
      );
    }
    const pending = relay.data;
    let profile: Profile | null;
    try {
      ({ profile } = await this.#saml(relay.jkt).validatePostResponseAsync({ SAMLResponse: samlResponse }));
    } catch (err) {
      throw invalid('The SAML response failed validation.', err);
    }
    if (profile === null) throw invalid('The SAML response holds no assertion.');
    if (profile.inResponseTo !== pending.requestId) {
      throw invalid('The SAML response does not answer this sign-in.');
    }
    if (profile.issuer !== c.idpEntityId) throw invalid('The assertion comes from another issuer.');
    const assertion = (profile.getAssertion?.() as { Assertion?: unknown } | undefined)?.Assertion;
    const assertionId = attr(assertion, 'ID');
    if (assertionId === undefined || assertionId.length === 0) throw invalid('The assertion has no ID.');
    const bearer = children(children(assertion, 'Subject')[0], 'SubjectConfirmation').filter(
      (sc) => attr(sc, 'Method') === 'urn:oasis:names:tc:SAML:2.0:cm:bearer',
    );
    const recipients = bearer.map((sc) => attr(children(sc, 'SubjectConfirmationData')[0], 'Recipient'));
    if (recipients.length === 0 || !recipients.every((r) => r === c.acsUrl)) {
      throw invalid('The assertion is meant for another recipient.');
    }
    const destination = /<(?:[\w-]+:)?Response\b[^>]*\sDestination="([^"]*)"/.exec(
      Buffer.from(samlResponse, 'base64').toString('utf8'),
    )?.[1];
    if (destination !== undefined && destination !== c.acsUrl) {
      throw invalid('The response is meant for another destination.');
    }
    const nameId = profile.nameID;
    if (typeof nameId !== 'string' || nameId.length === 0) throw invalid('The assertion has no NameID.');
    await this.#acceptOnce(assertionId, assertion);

    const attributes = (profile.attributes ?? {}) as Record<string, unknown>;
    const named = c.usernameAttribute === undefined ? undefined : attributes[c.usernameAttribute];
    const identity: FederatedIdentity = {
      providerId: c.id,
      issuer: c.idpEntityId,
      subject: nameId,
      username: typeof named === 'string' && named.length > 0 ? named : nameId,
      claims: { ...attributes, nameID: nameId },
    };
    const code = randomBytes(32).toString('base64url');
    await savePendingRequest(this.#db, {
      id: sha256(`saml-code\u0000${code}`),
      providerId: c.id,
      jkt: relay.jkt,
      data: identity,
      ttlSeconds: 120,
      nowMs: this.#now().getTime(),
    });
    const target = new URL(pending.redirectUri);
    target.searchParams.set('code', code);
    return { location: target.href };
  }

  /** Records the assertion id; a second use of it is refused (`saml_assertion_replayed`). */
  async #acceptOnce(assertionId: string, assertion: unknown): Promise<void> {
    const c = this.#config;
    const conditions = children(assertion, 'Conditions')[0];
    const notOnOrAfter = Date.parse(attr(conditions, 'NotOnOrAfter') ?? '');
    const nowMs = this.#now().getTime();
    // Kept until no clock could accept the assertion any more (a day when it names no end).
    const until = Number.isFinite(notOnOrAfter)
      ? notOnOrAfter + c.clockSkewSeconds * 1000
      : nowMs + 86_400_000;
    const id = sha256(`${c.idpEntityId}\u0000${assertionId}`);
    const seen = await this.#db
      .selectFrom('saml_assertions_seen')
      .select('id')
      .where('id', '=', id)
      .executeTakeFirst();
    if (seen !== undefined) {
      throw new HttpProblem(401, 'saml_assertion_replayed', 'This assertion was used already.');
    }
    try {
      await this.#db
        .insertInto('saml_assertions_seen')
        .values({ id, expires_at: Math.max(until, nowMs) })
        .execute();
    } catch (cause) {
      // Two nodes consuming the same assertion at once: the primary key elects one.
      throw new HttpProblem(401, 'saml_assertion_replayed', 'This assertion was used already.', { cause });
    }
  }

  /** Redeems the one-time code for the identity, for the device key that started the sign-in. */
  async complete(jkt: string, code: string): Promise<FederatedIdentity> {
    const taken = await takePendingRequest<FederatedIdentity>(this.#db, {
      id: sha256(`saml-code\u0000${code}`),
      providerId: this.#config.id,
      jkt,
      nowMs: this.#now().getTime(),
    });
    if (taken === undefined) {
      throw new HttpProblem(
        400,
        'saml_code_invalid',
        'This code was not issued to this device, or it expired or was used.',
      );
    }
    return taken.data;
  }
}
