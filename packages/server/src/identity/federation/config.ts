/**
 * Configuration of federated sign-in: the identity providers (OIDC, SAML, LDAP / Active
 * Directory) a server trusts, several at once, with optional just-in-time provisioning and the
 * rules that map claims, attributes and groups to roles and teams. Resolved and checked once at
 * start: an unsafe setting (a plain LDAP bind, an OIDC issuer over http outside loopback) is a
 * start-up error, never a silent downgrade. docs/identity.md#federated-sign-in explains each.
 */

import { ConfigError } from '../../config/errors.js';
import type { Role } from '../../db/schema.js';
import { TEAM_PATTERN } from '../../routes/teams.js';

/**
 * One mapping rule: when the claim (OIDC), attribute (SAML) or `groups` (LDAP: the DNs of the
 * user's groups) equals `equals` (or contains it, for a list), the user gets `role` and/or `team`.
 */
export interface ClaimMapping {
  readonly claim: string;
  readonly equals: string;
  readonly role?: Role;
  readonly team?: string;
}

/** What every kind of provider has. */
export interface ProviderCommonOptions {
  /** Stable id, used in routes (`/auth/ldap/<id>/login`): 1–40 of `a-z 0-9 -`. */
  readonly id: string;
  /** Name shown on the sign-in screen; default the id. */
  readonly displayName?: string;
  /**
   * Create an account at the first sign-in of an identity not linked yet (default false: an
   * admin creates and links accounts, and unknown identities are refused).
   */
  readonly jit?: boolean;
  /** Role of a provisioned account when no mapping gives one; default `user`. */
  readonly defaultRole?: Role;
  /**
   * Role and team rules. When one rule gives a role, the role is recomputed at every sign-in;
   * when one gives a team, the teams are (the identity provider is then the source of truth).
   */
  readonly mappings?: readonly ClaimMapping[];
}

/** An LDAP directory or Active Directory domain. */
export interface LdapProviderOptions extends ProviderCommonOptions {
  readonly kind: 'ldap';
  /** `ldaps://host:636`, or `ldap://host:389` with `startTls: true`. A plain bind is refused. */
  readonly url: string;
  readonly startTls?: boolean;
  /** TLS options for the connection (`ca` for a private CA). `rejectUnauthorized: false` is refused. */
  readonly tls?: { readonly ca?: string | readonly string[]; readonly servername?: string };
  /** Account that searches the directory for the user's entry and groups. */
  readonly bindDn: string;
  readonly bindPassword: string;
  /** Where users are searched (subtree). */
  readonly userBaseDn: string;
  /** Attribute holding the login name: `uid` (default) or `sAMAccountName` (AD). */
  readonly usernameAttribute?: string;
  /** Object class of user entries; default `person`. */
  readonly userObjectClass?: string;
  /** Stable, never reassigned id of the entry: `entryUUID` (default) or `objectGUID` (AD). */
  readonly subjectAttribute?: string;
  /** Attribute listing the user's groups on the entry (`memberOf`, AD); else groups are searched. */
  readonly memberOfAttribute?: string;
  /** Group search when there is no `memberOf`: groups under `baseDn` whose `memberAttribute` is the user's DN. */
  readonly groupSearch?: {
    readonly baseDn: string;
    readonly objectClass?: string;
    readonly memberAttribute?: string;
  };
  /**
   * How a disabled account is recognised: AD's `userAccountControl` with flag 2 (the default for
   * `sAMAccountName` directories), or an attribute equal to a value.
   */
  readonly disabled?:
    | { readonly attribute: string; readonly flag: number }
    | { readonly attribute: string; readonly equals: string };
  /** Network timeout per operation; default 5,000 ms. */
  readonly timeoutMs?: number;
  /**
   * Names the directory in account links (issuer, subject); default `ldap:<id>`. Two providers
   * reaching the same directory (e.g. two domain controllers) must share it.
   */
  readonly issuer?: string;
}

/** An OpenID Connect provider (Entra ID, Google, Okta, Keycloak, …). */
export interface OidcProviderOptions extends ProviderCommonOptions {
  readonly kind: 'oidc';
  /** The issuer identifier (https); its `/.well-known/openid-configuration` is read at first use. */
  readonly issuer: string;
  readonly clientId: string;
  /** For a confidential client (`client_secret_basic`); without it the client is public (PKCE only). */
  readonly clientSecret?: string;
  /**
   * The redirect URIs registered at the provider, matched exactly (no prefix, no normalisation):
   * an app's custom scheme (`com.example.app:/oauth2redirect`), an https app link or web page, or
   * `http://127.0.0.1:<port>/…` for a desktop app's loopback redirect (RFC 8252 §7.3).
   */
  readonly redirectUris: readonly string[];
  /** Scopes asked for; default `openid profile email`. */
  readonly scopes?: readonly string[];
  /** Claim naming a provisioned account; default `preferred_username`, then `email`, then `sub`. */
  readonly usernameClaim?: string;
  /** ID token signature algorithm the provider uses; default RS256. `none` is never accepted. */
  readonly idTokenAlgorithm?: string;
  /** Lifetime of a started sign-in (state, nonce, PKCE verifier); default 600 s. */
  readonly requestTtlSeconds?: number;
  /**
   * Accept an `http://` issuer on a loopback address (127.0.0.1, ::1, localhost), for development
   * and tests only; any other http issuer is refused at start.
   */
  readonly allowHttpLoopback?: boolean;
}

/** A SAML 2.0 identity provider (Okta, Entra ID, AD FS, Keycloak, …); Bulwark is the SP. */
export interface SamlProviderOptions extends ProviderCommonOptions {
  readonly kind: 'saml';
  /** This service provider's entity id: the Issuer of its requests and the expected Audience. */
  readonly entityId: string;
  /** Public https URL of `POST /auth/saml/<id>/acs` (the Recipient the assertions must name). */
  readonly acsUrl: string;
  /** The identity provider's single sign-on URL (HTTP-Redirect binding). */
  readonly idpSsoUrl: string;
  /** The identity provider's entity id: the Issuer its assertions must carry. */
  readonly idpEntityId: string;
  /** Its signing certificate(s), PEM; several during a rollover. */
  readonly idpCert: string | readonly string[];
  /** Where the browser is sent after the ACS (the app's redirect), matched exactly. */
  readonly redirectUris: readonly string[];
  /** Attribute naming a provisioned account; default the NameID. */
  readonly usernameAttribute?: string;
  /** Clock skew accepted on assertion times; default 60 s. */
  readonly clockSkewSeconds?: number;
  /** Lifetime of a started sign-in; default 600 s. */
  readonly requestTtlSeconds?: number;
}

/** A provider of any kind. */
export type ProviderOptions = LdapProviderOptions | OidcProviderOptions | SamlProviderOptions;

/** An app registered for SSO and the app catalog. */
export interface RegisteredAppOptions {
  /** Stable id: 1–40 of `a-z 0-9 -`. */
  readonly id: string;
  readonly name: string;
  /** Where an SSO handoff may send the user into this app (its app link or custom scheme), exact. */
  readonly redirectUris: readonly string[];
  /** Collections this app's sessions may use (data routes; sync only when it holds every offline one). */
  readonly collections: readonly string[];
  /** Store or download link, shown by the catalog. */
  readonly installUrl?: string;
  /** Link that opens the app (an app link), shown by the catalog. */
  readonly openUrl?: string;
  /** Who may use it until an admin sets it (`PUT /admin/apps/:appId/assignments`). */
  readonly assignedTo?: { readonly roles?: readonly Role[]; readonly teams?: readonly string[] };
}

/** Federation settings of {@link import('../../config.js').AuthOptions}. */
export interface FederationOptions {
  readonly providers?: readonly ProviderOptions[];
  readonly apps?: readonly RegisteredAppOptions[];
  /**
   * Most stored sign-in requests (SAML sign-ins started and not yet finished or expired, SSO
   * handoffs, spent OIDC states), over all providers and clients; default 10,000. A SAML start
   * beyond it is refused with 503 `server_busy` and those in flight go on; an OIDC start stores
   * nothing and is not counted (docs/identity.md#unfinished-sign-in-starts).
   */
  readonly maxPendingSignIns?: number;
}

/** {@link LdapProviderOptions} with defaults filled in. */
export interface LdapProviderConfig extends Omit<LdapProviderOptions, 'tls'> {
  readonly displayName: string;
  readonly jit: boolean;
  readonly defaultRole: Role;
  readonly mappings: readonly ClaimMapping[];
  readonly usernameAttribute: string;
  readonly userObjectClass: string;
  readonly subjectAttribute: string;
  readonly startTls: boolean;
  readonly tls: { ca?: string[]; servername?: string };
  readonly timeoutMs: number;
  /** The issuer of federated account keys: `ldap:<id>`. */
  readonly issuer: string;
}

/** {@link OidcProviderOptions} with defaults filled in. */
export interface OidcProviderConfig extends OidcProviderOptions {
  readonly displayName: string;
  readonly jit: boolean;
  readonly defaultRole: Role;
  readonly mappings: readonly ClaimMapping[];
  readonly scopes: readonly string[];
  readonly idTokenAlgorithm: string;
  readonly requestTtlSeconds: number;
}

/** {@link SamlProviderOptions} with defaults filled in. */
export interface SamlProviderConfig extends Omit<SamlProviderOptions, 'idpCert'> {
  readonly displayName: string;
  readonly jit: boolean;
  readonly defaultRole: Role;
  readonly mappings: readonly ClaimMapping[];
  readonly idpCert: string[];
  readonly clockSkewSeconds: number;
  readonly requestTtlSeconds: number;
}

/** A resolved provider. */
export type ProviderConfig = LdapProviderConfig | OidcProviderConfig | SamlProviderConfig;

/** Resolved federation settings. */
export interface FederationConfig {
  readonly providers: ReadonlyMap<string, ProviderConfig>;
  readonly apps: ReadonlyMap<string, RegisteredAppOptions>;
  readonly maxPendingSignIns: number;
}

const PROVIDER_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;
const TEAM = new RegExp(TEAM_PATTERN);

function common(options: ProviderCommonOptions) {
  if (!PROVIDER_ID.test(options.id)) {
    throw new ConfigError(`federation: provider id "${options.id}" must be 1-40 of a-z, 0-9 and -`);
  }
  for (const m of options.mappings ?? []) {
    if (m.claim.length === 0 || m.equals.length === 0) {
      throw new ConfigError(`federation: provider ${options.id} has a mapping with an empty claim or value`);
    }
    if (m.role !== undefined && m.role !== 'admin' && m.role !== 'user') {
      throw new ConfigError(`federation: provider ${options.id} maps to an unknown role`);
    }
    if (m.team !== undefined && !TEAM.test(m.team)) {
      throw new ConfigError(`federation: provider ${options.id} maps to an invalid team name`);
    }
    if (m.role === undefined && m.team === undefined) {
      throw new ConfigError(
        `federation: provider ${options.id} has a mapping that gives neither role nor team`,
      );
    }
  }
  return {
    displayName: options.displayName ?? options.id,
    jit: options.jit ?? false,
    defaultRole: options.defaultRole ?? ('user' as Role),
    mappings: options.mappings ?? [],
  };
}

function resolveLdap(options: LdapProviderOptions): LdapProviderConfig {
  const base = common(options);
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new ConfigError(`federation: provider ${options.id} has an invalid url`);
  }
  const startTls = options.startTls ?? false;
  if (url.protocol === 'ldap:' && !startTls) {
    throw new ConfigError(
      `federation: provider ${options.id} would bind over plain ldap://; use ldaps:// or startTls: true`,
    );
  }
  if (url.protocol === 'ldaps:' && startTls) {
    throw new ConfigError(`federation: provider ${options.id}: startTls is for ldap:// urls only`);
  }
  if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:') {
    throw new ConfigError(`federation: provider ${options.id} needs an ldaps:// or ldap:// url`);
  }
  if ((options.tls as { rejectUnauthorized?: unknown } | undefined)?.rejectUnauthorized === false) {
    throw new ConfigError(`federation: provider ${options.id}: certificate checks cannot be turned off`);
  }
  if (options.bindDn.length === 0 || options.bindPassword.length === 0) {
    // An empty password is an unauthenticated bind (RFC 4513 §5.1.2): it "succeeds" for any DN.
    throw new ConfigError(`federation: provider ${options.id} needs bindDn and a non-empty bindPassword`);
  }
  const ca = options.tls?.ca;
  const usernameAttribute = options.usernameAttribute ?? 'uid';
  const ad = usernameAttribute.toLowerCase() === 'samaccountname';
  const disabled = options.disabled ?? (ad ? { attribute: 'userAccountControl', flag: 2 } : undefined);
  return {
    ...options,
    ...base,
    startTls,
    tls: {
      ...(ca === undefined ? {} : { ca: typeof ca === 'string' ? [ca] : [...ca] }),
      ...(options.tls?.servername === undefined ? {} : { servername: options.tls.servername }),
    },
    usernameAttribute,
    userObjectClass: options.userObjectClass ?? (ad ? 'user' : 'person'),
    subjectAttribute: options.subjectAttribute ?? (ad ? 'objectGUID' : 'entryUUID'),
    ...(disabled === undefined ? {} : { disabled }),
    timeoutMs: options.timeoutMs ?? 5000,
    issuer: options.issuer ?? `ldap:${options.id}`,
  };
}

/** OIDC needs the `openid` scope; without it a provider answers plain OAuth (no ID token). */
function withOpenid(scopes: readonly string[]): readonly string[] {
  return scopes.includes('openid') ? scopes : ['openid', ...scopes];
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

function resolveOidc(options: OidcProviderOptions): OidcProviderConfig {
  const base = common(options);
  let issuer: URL;
  try {
    issuer = new URL(options.issuer);
  } catch {
    throw new ConfigError(`federation: provider ${options.id} has an invalid issuer`);
  }
  const loopback = LOOPBACK.has(issuer.hostname);
  if (
    issuer.protocol !== 'https:' &&
    !(issuer.protocol === 'http:' && loopback && options.allowHttpLoopback === true)
  ) {
    throw new ConfigError(`federation: provider ${options.id}: the issuer must be https`);
  }
  if (options.clientId.length === 0)
    throw new ConfigError(`federation: provider ${options.id} needs a clientId`);
  if (options.redirectUris.length === 0) {
    throw new ConfigError(`federation: provider ${options.id} needs at least one redirect URI`);
  }
  for (const uri of options.redirectUris) {
    let u: URL;
    try {
      u = new URL(uri);
    } catch {
      throw new ConfigError(`federation: provider ${options.id}: redirect URI ${uri} is not absolute`);
    }
    if (u.hash !== '' || uri.includes('#')) {
      throw new ConfigError(`federation: provider ${options.id}: redirect URI ${uri} has a fragment`);
    }
    if (u.protocol === 'http:' && !LOOPBACK.has(u.hostname)) {
      throw new ConfigError(
        `federation: provider ${options.id}: redirect URI ${uri} is http on a non-loopback host`,
      );
    }
    if (['javascript:', 'data:', 'file:', 'blob:'].includes(u.protocol)) {
      throw new ConfigError(`federation: provider ${options.id}: redirect URI ${uri} has a forbidden scheme`);
    }
  }
  const idTokenAlgorithm = options.idTokenAlgorithm ?? 'RS256';
  if (idTokenAlgorithm.toLowerCase() === 'none' || idTokenAlgorithm.startsWith('HS')) {
    // HS* would make the client secret the verification key, shared with every holder of it.
    throw new ConfigError(
      `federation: provider ${options.id}: ID tokens must be signed with an asymmetric key`,
    );
  }
  const ttl = options.requestTtlSeconds ?? 600;
  if (!(ttl >= 60 && ttl <= 3600)) {
    throw new ConfigError(`federation: provider ${options.id}: requestTtlSeconds must be from 60 to 3600`);
  }
  return {
    ...options,
    ...base,
    scopes: withOpenid(options.scopes ?? ['openid', 'profile', 'email']),
    idTokenAlgorithm,
    requestTtlSeconds: ttl,
  };
}

function resolveSaml(options: SamlProviderOptions): SamlProviderConfig {
  const base = common(options);
  for (const [name, value] of [
    ['acsUrl', options.acsUrl],
    ['idpSsoUrl', options.idpSsoUrl],
  ] as const) {
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      throw new ConfigError(`federation: provider ${options.id}: ${name} is not a URL`);
    }
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.has(u.hostname))) {
      throw new ConfigError(`federation: provider ${options.id}: ${name} must be https`);
    }
  }
  if (options.entityId.length === 0 || options.idpEntityId.length === 0) {
    throw new ConfigError(`federation: provider ${options.id} needs entityId and idpEntityId`);
  }
  const certs = typeof options.idpCert === 'string' ? [options.idpCert] : [...options.idpCert];
  if (certs.length === 0 || certs.some((c) => c.trim().length === 0)) {
    // Without a certificate node-saml could not check signatures: never start like that.
    throw new ConfigError(`federation: provider ${options.id} needs the identity provider's certificate`);
  }
  if (options.redirectUris.length === 0) {
    throw new ConfigError(`federation: provider ${options.id} needs at least one redirect URI`);
  }
  const skew = options.clockSkewSeconds ?? 60;
  if (!(skew >= 0 && skew <= 300)) {
    throw new ConfigError(`federation: provider ${options.id}: clockSkewSeconds must be from 0 to 300`);
  }
  const ttl = options.requestTtlSeconds ?? 600;
  if (!(ttl >= 60 && ttl <= 3600)) {
    throw new ConfigError(`federation: provider ${options.id}: requestTtlSeconds must be from 60 to 3600`);
  }
  return { ...options, ...base, idpCert: certs, clockSkewSeconds: skew, requestTtlSeconds: ttl };
}

/**
 * Checks and completes the federation settings; throws a `ConfigError` (`config_invalid`) naming the unsafe or
 * invalid setting.
 *
 * @example
 * ```ts
 * const federation = resolveFederationConfig({
 *   providers: [{ kind: 'ldap', id: 'corp', url: 'ldaps://dc1.corp.example', bindDn, bindPassword, userBaseDn }],
 * });
 * ```
 */
export function resolveFederationConfig(options: FederationOptions = {}): FederationConfig {
  const providers = new Map<string, ProviderConfig>();
  for (const p of options.providers ?? []) {
    if (providers.has(p.id)) throw new ConfigError(`federation: provider id "${p.id}" is used twice`);
    switch (p.kind) {
      case 'ldap':
        providers.set(p.id, resolveLdap(p));
        break;
      case 'oidc':
        providers.set(p.id, resolveOidc(p));
        break;
      case 'saml':
        providers.set(p.id, resolveSaml(p));
        break;
      default:
        throw new ConfigError(`federation: unknown provider kind "${(p as { kind: string }).kind}"`);
    }
  }
  const apps = new Map<string, RegisteredAppOptions>();
  for (const a of options.apps ?? []) {
    if (!PROVIDER_ID.test(a.id))
      throw new ConfigError(`federation: app id "${a.id}" must be 1-40 of a-z, 0-9 and -`);
    if (apps.has(a.id)) throw new ConfigError(`federation: app id "${a.id}" is used twice`);
    for (const uri of a.redirectUris) {
      let u: URL;
      try {
        u = new URL(uri);
      } catch {
        throw new ConfigError(`federation: app ${a.id}: redirect URI ${uri} is not absolute`);
      }
      if (u.protocol === 'http:' || ['javascript:', 'data:', 'file:', 'blob:'].includes(u.protocol)) {
        throw new ConfigError(
          `federation: app ${a.id}: redirect URI ${uri} must be an app link or custom scheme`,
        );
      }
    }
    for (const t of a.assignedTo?.teams ?? []) {
      if (!TEAM.test(t)) throw new ConfigError(`federation: app ${a.id} is assigned to an invalid team name`);
    }
    apps.set(a.id, a);
  }
  const maxPendingSignIns = options.maxPendingSignIns ?? 10_000;
  if (!Number.isInteger(maxPendingSignIns) || maxPendingSignIns < 1) {
    throw new ConfigError('federation: maxPendingSignIns must be a whole number of at least 1');
  }
  return { providers, apps, maxPendingSignIns };
}
