/**
 * Federated sign-in from the SDK, one call per kind: `signInWithOidc`, `signInWithSaml` (both
 * through the system browser and back to the app by a {@link RedirectHandler}) and
 * `signInWithLdap` (username and password, like `Transport.login`). Each ends in the same
 * DPoP-bound session as a local sign-in. docs/identity.md#federated-sign-in.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Transport } from './transport.js';

/**
 * Opens `url` in the system browser and resolves with the URL the browser was sent back to the
 * app with (the redirect URI plus its query). On iOS use `ASWebAuthenticationSession`, on Android
 * Custom Tabs with an app link (e.g. `@capacitor/browser` plus `App.addListener('appUrlOpen')`),
 * in a web app a popup or a full-page redirect. Never an embedded WebView: the app could read the
 * user's password there, and identity providers refuse it.
 */
export interface RedirectHandler {
  open(url: string, redirectUri: string): Promise<string>;
}

/** What every federated sign-in takes. */
export interface FederatedSignInInput {
  /** The provider id configured on the server (`GET /auth/providers`). */
  readonly provider: string;
  /** Install id (UUID), chosen once per install. */
  readonly deviceId: string;
  /** The registered app this session is for (its collections only); optional. */
  readonly app?: string;
}

/** Sign-in through a browser: where the provider sends the user back, and how. */
export interface BrowserSignInInput extends FederatedSignInInput {
  /** One of the provider's registered redirect URIs, exactly (an app link or custom scheme). */
  readonly redirectUri: string;
  readonly redirect: RedirectHandler;
}

/** What a sign-in answers: the account and the verified device settings. */
type SignedIn = Awaited<ReturnType<Transport['login']>>;

const segment = (id: string) => encodeURIComponent(id);

/**
 * Signs in with an OpenID Connect provider (authorization code + PKCE, run by the server).
 *
 * @example
 * ```ts
 * await signInWithOidc(transport, { provider: 'entra', deviceId, redirectUri: 'https://app.example.com/auth', redirect });
 * ```
 */
export async function signInWithOidc(transport: Transport, input: BrowserSignInInput): Promise<SignedIn> {
  const base = `/auth/oidc/${segment(input.provider)}`;
  const { authorizationUrl } = await transport.publicRequest<{ authorizationUrl: string }>(
    'POST',
    `${base}/start`,
    {
      redirectUri: input.redirectUri,
    },
  );
  const callbackUrl = await input.redirect.open(authorizationUrl, input.redirectUri);
  return transport.completeSignIn(
    `${base}/callback`,
    { callbackUrl, ...(input.app === undefined ? {} : { app: input.app }) },
    input.deviceId,
  );
}

/**
 * Signs in with a SAML 2.0 identity provider (the server is the service provider).
 *
 * @example
 * ```ts
 * await signInWithSaml(transport, { provider: 'okta', deviceId, redirectUri: 'https://app.example.com/saml', redirect });
 * ```
 */
export async function signInWithSaml(transport: Transport, input: BrowserSignInInput): Promise<SignedIn> {
  const base = `/auth/saml/${segment(input.provider)}`;
  const { redirectUrl } = await transport.publicRequest<{ redirectUrl: string }>('POST', `${base}/start`, {
    redirectUri: input.redirectUri,
  });
  const returned = await input.redirect.open(redirectUrl, input.redirectUri);
  const code = codeOf(returned);
  if (code === null) {
    throw new InvalidArgumentError('the redirect handler returned a URL without the sign-in code');
  }
  return transport.completeSignIn(
    `${base}/complete`,
    { code, ...(input.app === undefined ? {} : { app: input.app }) },
    input.deviceId,
  );
}

/**
 * Signs in with a directory (LDAP / Active Directory) username and password.
 *
 * @example
 * ```ts
 * await signInWithLdap(transport, { provider: 'corp', deviceId, username: 'ada', password });
 * ```
 */
export async function signInWithLdap(
  transport: Transport,
  input: FederatedSignInInput & { readonly username: string; readonly password: string },
): Promise<SignedIn> {
  return transport.completeSignIn(
    `/auth/ldap/${segment(input.provider)}/login`,
    {
      username: input.username,
      password: input.password,
      ...(input.app === undefined ? {} : { app: input.app }),
    },
    input.deviceId,
  );
}

/** The `code` of the URL the browser came back with; null when there is none or it is not a URL. */
function codeOf(returned: string): string | null {
  // `new URL` in a try, not `URL.canParse`: older WebViews and React Native's URL lack the latter.
  try {
    return new URL(returned).searchParams.get('code');
  } catch {
    return null;
  }
}
