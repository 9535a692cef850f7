/**
 * Identity providers for the OIDC suites, on loopback: a real oidc-provider 9 with a public
 * native client (custom-scheme redirect, PKCE), whose login and consent the test finishes in
 * code; and a rogue provider whose token endpoint answers whatever ID token the test crafted
 * (wrong issuer, audience, signature, `alg: none`, expired, nonce), to prove the relying party
 * refuses each.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';

/** A running HTTP server on loopback. */
async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** An account of the test provider. */
export interface OpAccount {
  readonly sub: string;
  readonly preferred_username: string;
  readonly email?: string;
  readonly groups?: readonly string[];
}

/** The real provider and the means to sign a user in through it. */
export interface TestOp {
  readonly issuer: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly accounts: Map<string, OpAccount>;
  /**
   * Opens `authorizationUrl` as the system browser would, signs `sub` in and consents, and
   * returns the URL the provider redirected the browser to (the app's redirect URI with code
   * and state), without following it.
   */
  authorize(authorizationUrl: string, sub: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts oidc-provider with one native public client. */
export async function startTestOp(): Promise<TestOp> {
  const clientId = 'bulwark-mobile';
  const redirectUri = 'com.example.bulwark:/oauth2redirect';
  const accounts = new Map<string, OpAccount>();
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingJwk = { ...(await exportJWK(privateKey)), kid: 'op-key-1', alg: 'RS256', use: 'sig' };
  let provider: Provider | undefined;
  const nextLogin = new Map<string, string>();
  const { server, url } = await listen((req, res) => {
    void (async () => {
      if (provider === undefined) throw new Error('provider not ready');
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path.startsWith('/interaction/')) {
        const details = await provider.interactionDetails(req, res);
        const sub = nextLogin.get('sub') ?? '';
        if (details.prompt.name === 'login') {
          await provider.interactionFinished(
            req,
            res,
            { login: { accountId: sub } },
            { mergeWithLastSubmission: false },
          );
          return;
        }
        const grant = new provider.Grant({ accountId: sub, clientId });
        grant.addOIDCScope(String(details.params.scope ?? 'openid'));
        await provider.interactionFinished(
          req,
          res,
          { consent: { grantId: await grant.save() } },
          { mergeWithLastSubmission: true },
        );
        return;
      }
      provider.callback()(req, res);
    })().catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  provider = new Provider(url, {
    clients: [
      {
        client_id: clientId,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [signingJwk as JWK] },
    cookies: { keys: ['test-cookie-key-0123456789'] },
    claims: { openid: ['sub'], profile: ['preferred_username', 'groups'], email: ['email'] },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    async findAccount(_ctx: unknown, sub: string) {
      const account = accounts.get(sub);
      if (account === undefined) return undefined;
      return { accountId: sub, claims: async () => ({ ...account }) };
    },
  });
  provider.on('server_error', () => undefined);
  return {
    issuer: url,
    clientId,
    redirectUri,
    accounts,
    async authorize(authorizationUrl, sub) {
      nextLogin.set('sub', sub);
      const jar = new Map<string, string>();
      let next = new URL(authorizationUrl);
      for (let hop = 0; hop < 12; hop += 1) {
        const res = await fetch(next, {
          redirect: 'manual',
          headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
        });
        for (const c of res.headers.getSetCookie()) {
          const [pair] = c.split(';');
          const eq = (pair ?? '').indexOf('=');
          if (eq > 0) jar.set((pair ?? '').slice(0, eq), (pair ?? '').slice(eq + 1));
        }
        const location = res.headers.get('location');
        if (res.status < 300 || res.status >= 400 || location === null) {
          throw new Error(`provider answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
        }
        const target = new URL(location, next);
        if (target.origin !== url) return target.href;
        next = target;
      }
      throw new Error('too many redirects');
    },
    stop: () => close(server),
  };
}

/** A provider that answers the ID token the test sets, for each broken-token case. */
export interface RogueOp {
  readonly issuer: string;
  /** Its signing key (RS256, kid `rogue-1`), published in its JWKS. */
  readonly privateKey: CryptoKey;
  /** The ID token the next token request gets. */
  idToken: string;
  /** Codes seen by the token endpoint, and the PKCE verifier sent with each. */
  readonly tokenRequests: URLSearchParams[];
  stop(): Promise<void>;
}

/** Starts a rogue provider advertising `pkceMethods` (default S256). */
export async function startRogueOp(pkceMethods: readonly string[] = ['S256']): Promise<RogueOp> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'rogue-1', alg: 'RS256', use: 'sig' };
  const tokenRequests: URLSearchParams[] = [];
  const state = { idToken: '' };
  let issuer = '';
  const { server, url } = await listen((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const json = (body: unknown) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    if (path === '/.well-known/openid-configuration') {
      json({
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: pkceMethods,
      });
      return;
    }
    if (path === '/jwks') {
      json({ keys: [publicJwk] });
      return;
    }
    if (path === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        tokenRequests.push(new URLSearchParams(body));
        json({
          access_token: 'rogue-access-token',
          token_type: 'Bearer',
          expires_in: 300,
          id_token: state.idToken,
        });
      });
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  issuer = url;
  return {
    issuer,
    privateKey: privateKey as CryptoKey,
    get idToken() {
      return state.idToken;
    },
    set idToken(v: string) {
      state.idToken = v;
    },
    tokenRequests,
    stop: () => close(server),
  };
}
