/**
 * Federated sign-in routes: `GET /auth/providers` (what the sign-in screen offers) and
 * `POST /auth/ldap/:provider/login`. Each ends in the same device-bound DPoP session as
 * `POST /auth/login` (identity/federation/finish.ts). docs/api.md#federated-sign-in.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { ServerContext } from '../context.js';
import type { DeviceDeclaration } from '../devices/registry.js';
import { authOf, requireAuth, verifyProof } from '../http/authenticate.js';
import { HttpProblem } from '../http/problem.js';
import { clientIp } from '../http/request.js';
import type { ProviderConfig } from '../identity/federation/config.js';
import { finishFederatedSignIn, type SignInProof } from '../identity/federation/finish.js';
import { LdapDirectory } from '../identity/federation/ldap.js';
import { OidcRelyingParty } from '../identity/federation/oidc.js';
import { SamlServiceProvider } from '../identity/federation/saml.js';
import { ensurePendingRoom, federationDb } from '../identity/federation/tables.js';
import { usernameKey } from '../identity/users.js';
import {
  DPOP_SECURITY,
  deviceDeclarationSchema,
  ID_PATTERN,
  NO_CONTROL_CHARACTERS,
  tokenResponseSchema,
} from './schemas.js';

/** The body of a browser sign-in's start (OIDC and SAML): where the provider sends the user back. */
const startBody = {
  type: 'object',
  required: ['redirectUri'],
  additionalProperties: false,
  properties: {
    redirectUri: { type: 'string', minLength: 1, maxLength: 2000, pattern: NO_CONTROL_CHARACTERS },
  },
} as const;

const errorResponses = { description: 'application/problem+json with a stable code (docs/errors.md)' };

/** The device part of a sign-in body. */
export type SignInDevice = DeviceDeclaration & { publicKey: JWK };

/** The registered app a sign-in is for (its session may use that app's collections only). */
export const appIdSchema = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,39}$' } as const;

const providerParams = {
  type: 'object',
  required: ['provider'],
  properties: { provider: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,39}$' } },
} as const;

/** The provider `id` of `kind`, or 404 `provider_unknown`. */
export function providerOf<K extends ProviderConfig['kind']>(
  ctx: ServerContext,
  id: string,
  kind: K,
): Extract<ProviderConfig, { kind: K }> {
  const p = ctx.config.federation.providers.get(id);
  if (p === undefined || p.kind !== kind) {
    throw new HttpProblem(404, 'provider_unknown', `No ${kind} identity provider "${id}" is configured.`);
  }
  return p as Extract<ProviderConfig, { kind: K }>;
}

/**
 * Verifies the request's DPoP proof and that `device.publicKey` is the key that signed it
 * (400 `device_key_mismatch` otherwise), as `POST /auth/login` does.
 */
export async function deviceProof(
  ctx: ServerContext,
  request: Parameters<typeof verifyProof>[1],
  device: SignInDevice,
): Promise<SignInProof> {
  const proof = await verifyProof(ctx, request, undefined);
  let declared: string | undefined;
  try {
    const k = device.publicKey;
    declared = await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: String(k.x), y: String(k.y) });
  } catch {
    declared = undefined;
  }
  if (declared !== proof.jkt) {
    throw new HttpProblem(
      400,
      'device_key_mismatch',
      'device.publicKey is not the key that signed the DPoP proof.',
    );
  }
  return proof;
}

/** Registers the federated sign-in routes. */
export function federationRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const directories = new Map<string, LdapDirectory>();
  const relyingParties = new Map<string, OidcRelyingParty>();
  const serviceProviders = new Map<string, SamlServiceProvider>();
  for (const p of ctx.config.federation.providers.values()) {
    if (p.kind === 'ldap') directories.set(p.id, new LdapDirectory(p));
    if (p.kind === 'oidc') relyingParties.set(p.id, new OidcRelyingParty(p, federationDb(ctx.db), ctx.now));
    if (p.kind === 'saml')
      serviceProviders.set(p.id, new SamlServiceProvider(p, federationDb(ctx.db), ctx.now));
  }

  /**
   * Admits the start of a browser sign-in (OIDC, SAML): at most `signInStartsPerIp` unfinished
   * starts per client address (429 `login_throttled`, one security event per client and window,
   * not one per refused request of a flood), and, for a start that stores a request until it is
   * finished or expires (SAML; an OIDC start stores nothing), at most `maxPendingSignIns`
   * outstanding requests in all (503 `server_busy`).
   */
  const admitStart = async (request: FastifyRequest, providerId: string, stores: boolean): Promise<void> => {
    const ip = clientIp(request);
    const decision = await ctx.throttle.beginSignInStart(ip);
    if (!decision.allowed) {
      if (decision.first) {
        await ctx.events.append({
          type: 'login_throttled',
          subject: providerId,
          ip,
          data: {
            limit: decision.limit,
            retryAfterSeconds: decision.retryAfterSeconds,
            provider: providerId,
          },
        });
      }
      throw new HttpProblem(
        429,
        'login_throttled',
        'Too many sign-ins started from this address and not finished; wait before trying again.',
        { headers: { 'retry-after': String(decision.retryAfterSeconds) } },
      );
    }
    if (!stores) return;
    await ensurePendingRoom(
      federationDb(ctx.db),
      ctx.now().getTime(),
      ctx.config.federation.maxPendingSignIns,
    );
  };

  app.get(
    '/auth/providers',
    {
      schema: {
        tags: ['identity'],
        summary: 'The identity providers this server signs in with (for the sign-in screen).',
        response: {
          200: {
            type: 'object',
            required: ['providers'],
            properties: {
              providers: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'kind', 'displayName'],
                  properties: {
                    id: { type: 'string' },
                    kind: { type: 'string' },
                    displayName: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      },
    },
    async () => ({
      providers: [...ctx.config.federation.providers.values()].map((p) => ({
        id: p.id,
        kind: p.kind,
        displayName: p.displayName,
      })),
    }),
  );

  app.post<{
    Params: { provider: string };
    Body: { username: string; password: string; device: SignInDevice; app?: string };
  }>(
    '/auth/ldap/:provider/login',
    {
      schema: {
        tags: ['identity'],
        summary: 'Sign in with a directory (LDAP / Active Directory) username and password from a device.',
        description:
          'Like POST /auth/login: a DPoP proof by device.publicKey with the server nonce; the same throttling, ' +
          'the same answer for an unknown user and a wrong password, the same tokens.',
        params: providerParams,
        body: {
          type: 'object',
          required: ['username', 'password', 'device'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 200, pattern: NO_CONTROL_CHARACTERS },
            // Never empty: an empty password is an unauthenticated bind, which directories accept.
            password: { type: 'string', minLength: 1, maxLength: 4096 },
            device: deviceDeclarationSchema,
            app: appIdSchema,
          },
        },
        response: { 200: tokenResponseSchema, '4xx': errorResponses, '5xx': errorResponses },
      },
    },
    async (request) => {
      const provider = providerOf(ctx, request.params.provider, 'ldap');
      const body = request.body;
      const ip = clientIp(request);
      const proof = await deviceProof(ctx, request, body.device);
      const key = `${provider.issuer}\u0000${usernameKey(body.username)}`;
      const known = await federationDb(ctx.db)
        .selectFrom('devices')
        .innerJoin('users', 'users.id', 'devices.user_id')
        .innerJoin('federated_accounts', 'federated_accounts.user_id', 'users.id')
        .select('devices.id')
        .where('devices.id', '=', body.device.id.toLowerCase())
        .where('devices.jkt', '=', proof.jkt)
        .where('devices.status', '=', 'active')
        .where('federated_accounts.provider_id', '=', provider.id)
        .where('users.username_key', '=', usernameKey(body.username))
        .executeTakeFirst();
      const attempt = await ctx.throttle.begin(key, ip, known !== undefined);
      const subject = `${provider.id}:${usernameKey(body.username)}`.slice(0, 200);
      if (!attempt.allowed) {
        if (attempt.first) {
          await ctx.events.append({
            type: 'login_throttled',
            subject,
            ip,
            data: {
              limit: attempt.limit,
              retryAfterSeconds: attempt.retryAfterSeconds,
              provider: provider.id,
            },
          });
        }
        throw new HttpProblem(
          429,
          'login_throttled',
          'Too many sign-in attempts; wait before trying again.',
          {
            headers: { 'retry-after': String(attempt.retryAfterSeconds) },
          },
        );
      }
      const directory = directories.get(provider.id) as LdapDirectory;
      const outcome = await directory.authenticate(body.username, body.password);
      if (!outcome.ok) {
        await ctx.events.append({
          type: 'login_failed',
          subject,
          ip,
          data: { reason: 'invalid_credentials', provider: provider.id },
        });
        throw new HttpProblem(401, 'invalid_credentials', 'The username or password is wrong.');
      }
      await ctx.throttle.succeeded(attempt.ticket);
      if (outcome.disabled) {
        await ctx.events.append({
          type: 'login_failed',
          subject,
          ip,
          data: { reason: 'account_disabled', provider: provider.id },
        });
        throw new HttpProblem(401, 'account_disabled', 'This account is disabled.');
      }
      return finishFederatedSignIn(ctx, request, provider, outcome.identity, proof, body.device, body.app);
    },
  );

  app.post<{ Params: { provider: string }; Body: { redirectUri: string } }>(
    '/auth/oidc/:provider/start',
    {
      schema: {
        tags: ['identity'],
        summary: 'Start an OpenID Connect sign-in: the authorization URL to open in the system browser.',
        description:
          'Needs a DPoP proof (no ath) by the device key that will finish the sign-in. redirectUri must be one ' +
          "of the provider's registered redirect URIs, character for character. The answer expires after expiresIn seconds.",
        params: providerParams,
        body: startBody,
        response: {
          200: {
            type: 'object',
            required: ['authorizationUrl', 'expiresIn'],
            properties: { authorizationUrl: { type: 'string' }, expiresIn: { type: 'integer' } },
          },
          '4xx': errorResponses,
          '5xx': errorResponses,
        },
      },
    },
    async (request) => {
      const provider = providerOf(ctx, request.params.provider, 'oidc');
      const proof = await verifyProof(ctx, request, undefined);
      await admitStart(request, provider.id, false);
      const rp = relyingParties.get(provider.id) as OidcRelyingParty;
      return rp.start(proof.jkt, request.body.redirectUri);
    },
  );

  app.post<{
    Params: { provider: string };
    Body: { callbackUrl: string; device: SignInDevice; app?: string };
  }>(
    '/auth/oidc/:provider/callback',
    {
      schema: {
        tags: ['identity'],
        summary:
          'Finish an OpenID Connect sign-in with the URL the provider redirected to; returns DPoP-bound tokens.',
        description:
          'Needs a DPoP proof by the device key that started the sign-in (and device.publicKey = that key). ' +
          'callbackUrl is the full redirect URI with the code and state the provider appended. Each sign-in finishes once.',
        params: providerParams,
        body: {
          type: 'object',
          required: ['callbackUrl', 'device'],
          additionalProperties: false,
          properties: {
            callbackUrl: { type: 'string', minLength: 1, maxLength: 8000, pattern: NO_CONTROL_CHARACTERS },
            device: deviceDeclarationSchema,
            app: appIdSchema,
          },
        },
        response: { 200: tokenResponseSchema, '4xx': errorResponses, '5xx': errorResponses },
      },
    },
    async (request) => {
      const provider = providerOf(ctx, request.params.provider, 'oidc');
      const proof = await deviceProof(ctx, request, request.body.device);
      const rp = relyingParties.get(provider.id) as OidcRelyingParty;
      let identity: Awaited<ReturnType<OidcRelyingParty['finish']>>;
      try {
        identity = await rp.finish(proof.jkt, request.body.callbackUrl);
      } catch (err) {
        if (err instanceof HttpProblem && err.status < 500) {
          await ctx.events.append({
            type: 'login_failed',
            subject: provider.id,
            ip: clientIp(request),
            data: { reason: err.code, provider: provider.id },
          });
        }
        throw err;
      }
      const signedIn = await finishFederatedSignIn(
        ctx,
        request,
        provider,
        identity,
        proof,
        request.body.device,
        request.body.app,
      );
      await ctx.throttle.signInFinished(clientIp(request));
      return signedIn;
    },
  );

  app.get<{ Params: { provider: string } }>(
    '/auth/saml/:provider/metadata',
    {
      schema: {
        tags: ['identity'],
        summary: 'SAML service provider metadata (entity id, ACS URL) to give the identity provider.',
        params: providerParams,
      },
    },
    async (request, reply) => {
      const provider = providerOf(ctx, request.params.provider, 'saml');
      const sp = serviceProviders.get(provider.id) as SamlServiceProvider;
      return reply.type('application/samlmetadata+xml').send(sp.metadata());
    },
  );

  app.post<{ Params: { provider: string }; Body: { redirectUri: string } }>(
    '/auth/saml/:provider/start',
    {
      schema: {
        tags: ['identity'],
        summary:
          'Start a SAML sign-in: the identity provider URL (AuthnRequest) to open in the system browser.',
        description:
          'Needs a DPoP proof by the device key that will finish the sign-in. After the identity provider posts to ' +
          'the ACS, the browser is sent to redirectUri with a one-time code for POST /auth/saml/:provider/complete.',
        params: providerParams,
        body: startBody,
        response: {
          200: {
            type: 'object',
            required: ['redirectUrl', 'expiresIn'],
            properties: { redirectUrl: { type: 'string' }, expiresIn: { type: 'integer' } },
          },
          '4xx': errorResponses,
          '5xx': errorResponses,
        },
      },
    },
    async (request) => {
      const provider = providerOf(ctx, request.params.provider, 'saml');
      const proof = await verifyProof(ctx, request, undefined);
      await admitStart(request, provider.id, true);
      const sp = serviceProviders.get(provider.id) as SamlServiceProvider;
      return sp.start(proof.jkt, request.body.redirectUri);
    },
  );

  // The identity provider's HTTP-POST binding is a browser form post: this one route parses forms.
  app.register(async (child) => {
    child.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 512 * 1024 },
      (_request, body, done) => {
        const out: Record<string, string> = Object.create(null);
        for (const [k, v] of new URLSearchParams(String(body))) if (!(k in out)) out[k] = v;
        done(null, out);
      },
    );
    child.post<{ Params: { provider: string }; Body: { SAMLResponse: string; RelayState: string } }>(
      '/auth/saml/:provider/acs',
      {
        schema: {
          tags: ['identity'],
          summary:
            'SAML assertion consumer service (HTTP-POST binding): the identity provider posts its response here.',
          description:
            'Answers 303 to the redirect URI of the sign-in, with a one-time code. No DPoP proof: the system browser posts it.',
          params: providerParams,
          body: {
            type: 'object',
            required: ['SAMLResponse', 'RelayState'],
            additionalProperties: false,
            properties: {
              SAMLResponse: { type: 'string', minLength: 1, maxLength: 400_000 },
              RelayState: { type: 'string', minLength: 1, maxLength: 80 },
            },
          },
        },
      },
      async (request, reply) => {
        const provider = providerOf(ctx, request.params.provider, 'saml');
        const sp = serviceProviders.get(provider.id) as SamlServiceProvider;
        try {
          const { location } = await sp.consume(request.body.SAMLResponse, request.body.RelayState);
          return reply.code(303).header('location', location).send();
        } catch (err) {
          if (err instanceof HttpProblem && err.status < 500) {
            await ctx.events.append({
              type: 'login_failed',
              subject: provider.id,
              ip: clientIp(request),
              data: { reason: err.code, provider: provider.id },
            });
          }
          throw err;
        }
      },
    );
  });

  app.post<{ Params: { provider: string }; Body: { code: string; device: SignInDevice; app?: string } }>(
    '/auth/saml/:provider/complete',
    {
      schema: {
        tags: ['identity'],
        summary:
          'Finish a SAML sign-in with the one-time code the ACS redirect carried; returns DPoP-bound tokens.',
        description:
          'Needs a DPoP proof by the device key that started the sign-in. A code works once, for 2 minutes.',
        params: providerParams,
        body: {
          type: 'object',
          required: ['code', 'device'],
          additionalProperties: false,
          properties: {
            code: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' },
            device: deviceDeclarationSchema,
            app: appIdSchema,
          },
        },
        response: { 200: tokenResponseSchema, '4xx': errorResponses, '5xx': errorResponses },
      },
    },
    async (request) => {
      const provider = providerOf(ctx, request.params.provider, 'saml');
      const proof = await deviceProof(ctx, request, request.body.device);
      const sp = serviceProviders.get(provider.id) as SamlServiceProvider;
      const identity = await sp.complete(proof.jkt, request.body.code);
      const signedIn = await finishFederatedSignIn(
        ctx,
        request,
        provider,
        identity,
        proof,
        request.body.device,
        request.body.app,
      );
      await ctx.throttle.signInFinished(clientIp(request));
      return signedIn;
    },
  );

  /** The issuer under which a provider's identities are linked. */
  const issuerOf = (p: ProviderConfig): string =>
    p.kind === 'ldap' ? p.issuer : p.kind === 'oidc' ? p.issuer : p.idpEntityId;
  const linkSchema = {
    type: 'object',
    required: ['provider', 'subject'],
    additionalProperties: false,
    properties: {
      provider: providerParams.properties.provider,
      subject: { type: 'string', minLength: 1, maxLength: 255, pattern: NO_CONTROL_CHARACTERS },
    },
  } as const;
  const userParams = {
    type: 'object',
    required: ['userId'],
    properties: { userId: { type: 'string', pattern: ID_PATTERN } },
  } as const;

  app.get(
    '/admin/identity-providers',
    {
      onRequest: requireAuth(ctx, { role: 'admin' }),
      schema: {
        tags: ['admin'],
        summary:
          'The configured identity providers, read-only: kind, addresses, JIT and mappings; never a secret.',
        security: DPOP_SECURITY,
        response: { '4xx': errorResponses },
      },
    },
    async () => ({ providers: [...ctx.config.federation.providers.values()].map(providerAdminView) }),
  );

  app.get<{ Params: { userId: string } }>(
    '/admin/users/:userId/federated-accounts',
    {
      onRequest: requireAuth(ctx, { role: 'admin' }),
      schema: {
        tags: ['admin'],
        summary: 'The provider identities linked to an account.',
        security: DPOP_SECURITY,
        params: userParams,
        response: { '4xx': errorResponses },
      },
    },
    async (request) => {
      const rows = await federationDb(ctx.db)
        .selectFrom('federated_accounts')
        .select(['provider_id', 'issuer', 'subject', 'created_at', 'last_login_at'])
        .where('user_id', '=', request.params.userId)
        .execute();
      return {
        federatedAccounts: rows.map((r) => ({
          provider: r.provider_id,
          issuer: r.issuer,
          subject: r.subject,
          createdAt: new Date(Number(r.created_at)).toISOString(),
          lastLoginAt: new Date(Number(r.last_login_at)).toISOString(),
        })),
      };
    },
  );

  app.post<{ Params: { userId: string }; Body: { provider: string; subject: string } }>(
    '/admin/users/:userId/federated-accounts',
    {
      onRequest: requireAuth(ctx, { role: 'admin' }),
      schema: {
        tags: ['admin'],
        summary: "Link a provider identity (the provider's stable subject) to an account.",
        description: '409 federated_account_linked when that identity is linked to an account already.',
        security: DPOP_SECURITY,
        params: userParams,
        body: linkSchema,
        response: { '4xx': errorResponses },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const provider = ctx.config.federation.providers.get(request.body.provider);
      if (provider === undefined) {
        throw new HttpProblem(
          404,
          'provider_unknown',
          `No identity provider "${request.body.provider}" is configured.`,
        );
      }
      const user = await ctx.db
        .selectFrom('users')
        .select('id')
        .where('id', '=', request.params.userId)
        .executeTakeFirst();
      if (user === undefined) throw new HttpProblem(404, 'user_not_found', 'No such user.');
      const db = federationDb(ctx.db);
      const issuer = issuerOf(provider);
      const existing = await db
        .selectFrom('federated_accounts')
        .select('user_id')
        .where('issuer', '=', issuer)
        .where('subject', '=', request.body.subject)
        .executeTakeFirst();
      if (existing !== undefined) {
        throw new HttpProblem(
          409,
          'federated_account_linked',
          'This identity is linked to an account already.',
        );
      }
      const nowMs = ctx.now().getTime();
      try {
        await db
          .insertInto('federated_accounts')
          .values({
            issuer,
            subject: request.body.subject,
            provider_id: provider.id,
            user_id: user.id,
            created_at: nowMs,
            last_login_at: nowMs,
          })
          .execute();
      } catch (cause) {
        throw new HttpProblem(
          409,
          'federated_account_linked',
          'This identity is linked to an account already.',
          {
            cause,
          },
        );
      }
      await ctx.events.append({
        type: 'federated_account_linked',
        actorUserId: auth.userId,
        actorDeviceId: auth.deviceId,
        subject: user.id,
        ip: clientIp(request),
        data: { provider: provider.id, subject: request.body.subject },
      });
      return reply.code(201).send({ provider: provider.id, issuer, subject: request.body.subject });
    },
  );

  app.delete<{ Params: { userId: string }; Querystring: { provider: string; subject: string } }>(
    '/admin/users/:userId/federated-accounts',
    {
      onRequest: requireAuth(ctx, { role: 'admin' }),
      schema: {
        tags: ['admin'],
        summary:
          'Unlink a provider identity from an account (its next sign-in no longer reaches the account).',
        security: DPOP_SECURITY,
        params: userParams,
        querystring: linkSchema,
        response: { 204: { type: 'null', description: 'Unlinked.' }, '4xx': errorResponses },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const provider = ctx.config.federation.providers.get(request.query.provider);
      if (provider === undefined) {
        throw new HttpProblem(
          404,
          'provider_unknown',
          `No identity provider "${request.query.provider}" is configured.`,
        );
      }
      const result = await federationDb(ctx.db)
        .deleteFrom('federated_accounts')
        .where('user_id', '=', request.params.userId)
        .where('issuer', '=', issuerOf(provider))
        .where('subject', '=', request.query.subject)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) {
        throw new HttpProblem(
          404,
          'federated_account_not_found',
          'This identity is not linked to this account.',
        );
      }
      await ctx.events.append({
        type: 'federated_account_unlinked',
        actorUserId: auth.userId,
        actorDeviceId: auth.deviceId,
        subject: request.params.userId,
        ip: clientIp(request),
        data: { provider: provider.id, subject: request.query.subject },
      });
      return reply.code(204).send();
    },
  );
}

/**
 * What an admin sees of a provider. Built field by field, never by spreading the configuration,
 * so that a secret added to the options later (a client secret, a bind password) cannot leak.
 *
 * @example
 * ```ts
 * providerAdminView(ctx.config.federation.providers.get('entra')!).issuer;
 * ```
 */
export function providerAdminView(p: ProviderConfig): Record<string, unknown> {
  const common = {
    id: p.id,
    kind: p.kind,
    displayName: p.displayName,
    jit: p.jit,
    defaultRole: p.defaultRole,
    mappings: p.mappings.map((m) => ({
      claim: m.claim,
      equals: m.equals,
      ...(m.role === undefined ? {} : { role: m.role }),
      ...(m.team === undefined ? {} : { team: m.team }),
    })),
  };
  if (p.kind === 'oidc') {
    return {
      ...common,
      issuer: p.issuer,
      clientId: p.clientId,
      confidentialClient: p.clientSecret !== undefined,
      redirectUris: [...p.redirectUris],
      scopes: [...p.scopes],
    };
  }
  if (p.kind === 'saml') {
    return {
      ...common,
      issuer: p.idpEntityId,
      entityId: p.entityId,
      acsUrl: p.acsUrl,
      idpSsoUrl: p.idpSsoUrl,
      idpCertificates: p.idpCert.length,
      redirectUris: [...p.redirectUris],
    };
  }
  return {
    ...common,
    issuer: p.issuer,
    url: p.url,
    startTls: p.startTls,
    userBaseDn: p.userBaseDn,
    usernameAttribute: p.usernameAttribute,
  };
}
