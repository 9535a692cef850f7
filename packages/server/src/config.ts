/**
 * Settings of the identity layer, with the defaults a deployment gets when it sets nothing.
 * Every number here is a security decision; docs/identity.md explains each default.
 */
import type { AttestationOptions } from './attestation/config.js';
import { ConfigError } from './config/errors.js';
import type { DevicePolicyOptions } from './devices/policy.js';
import {
  type FederationConfig,
  type FederationOptions,
  resolveFederationConfig,
} from './identity/federation/config.js';

/** Argon2id cost parameters (OWASP minimum: m=19456 KiB, t=2, p=1). */
export interface Argon2Params {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/** Password rules and hashing. */
export interface PasswordOptions {
  /** Fewest characters (Unicode code points after NFKC); default 8. */
  readonly minLength?: number;
  /** Most characters accepted; default 1024 (well above the 64 that ASVS asks to accept). */
  readonly maxLength?: number;
  readonly argon2?: Partial<Argon2Params>;
  /** Password hashes computed at once; default 2. */
  readonly maxConcurrentHashes?: number;
  /** Hashes waiting for a slot before new ones get 503 `server_busy`; default 16. */
  readonly maxQueuedHashes?: number;
}

/** Login throttling (rate-limiter-flexible, counters in the database). */
export interface ThrottleOptions {
  /** Failed logins of one account from one IP before delays start; default 5. */
  readonly freeFailuresPerAccountIp?: number;
  /** First delay after the free failures, doubled at each further failure; default 1 s. */
  readonly baseDelaySeconds?: number;
  /** Longest delay; default 900 s (15 min). */
  readonly maxDelaySeconds?: number;
  /** How long an account+IP failure count is remembered; default 86,400 s (one day). */
  readonly accountIpWindowSeconds?: number;
  /** Failed logins from one IP (all accounts) per window; default 100. */
  readonly failuresPerIp?: number;
  /** Window of the per-IP count; default 3,600 s. */
  readonly ipWindowSeconds?: number;
  /** Failed logins of one account (all IPs) per window before unknown devices wait; default 50. */
  readonly failuresPerAccount?: number;
  /** Window of the per-account count; default 3,600 s. */
  readonly accountWindowSeconds?: number;
  /**
   * OIDC and SAML sign-ins one IP (an IPv6 /64) may start per window and leave unfinished;
   * default 30. A finished sign-in gives its start back (docs/identity.md#federated-sign-in).
   */
  readonly signInStartsPerIp?: number;
  /** Window of the sign-in start count; default 600 s. */
  readonly signInStartWindowSeconds?: number;
}

/** DPoP (RFC 9449) checks. */
export interface DpopOptions {
  /** Oldest accepted proof `iat`, in seconds before now; default 60. */
  readonly maxAgeSeconds?: number;
  /** Clock skew accepted for proofs dated in the future; default 5 s. */
  readonly futureSkewSeconds?: number;
  /** Require a server nonce in every proof; default true. */
  readonly requireNonce?: boolean;
  /** Lifetime of a server nonce; default 300 s. A fresh one is sent when half of it has passed. */
  readonly nonceLifetimeSeconds?: number;
  /** Entries kept in the process cache of imported device keys; default 10,000. */
  readonly keyCacheSize?: number;
}

/** Everything the identity layer can be told. */
export interface AuthOptions {
  /** `iss` of access tokens and signed policies; default `bulwark`. */
  readonly issuer?: string;
  /**
   * Public base URL of the API (`https://api.example.com`). When set, DPoP `htu` is checked
   * against it instead of the Host header of the request.
   */
  readonly publicUrl?: string;
  /** Access token lifetime; default 300 s. */
  readonly accessTokenTtlSeconds?: number;
  /** Absolute lifetime of a session (refresh-token family); default 30 days. */
  readonly sessionTtlSeconds?: number;
  readonly passwords?: PasswordOptions;
  readonly throttle?: ThrottleOptions;
  readonly dpop?: DpopOptions;
  readonly devicePolicy?: DevicePolicyOptions;
  /** Device attestation: App Attest, Android key attestation, Play Integrity (docs/attestation.md). */
  readonly attestation?: AttestationOptions;
  /** Username of the admin created on first start; default `admin`. */
  readonly initialAdminUsername?: string;
  /**
   * Origin of the pages that register and use passkeys (the console), e.g.
   * `https://bulwark.example.com`; default the origin of `publicUrl`, else (`bulwark serve`)
   * `http://localhost:<port>`. docs/identity.md#passkeys.
   */
  readonly publicOrigin?: string;
  /** WebAuthn relying party id: the origin's host or a parent domain of it; default the origin's host. */
  readonly rpId?: string;
  /** Name shown by the authenticator when a passkey is created; default `Bulwark`. */
  readonly rpName?: string;
  /**
   * An admin who has registered a passkey must present it after the password; default true.
   * Admins without a passkey (a fresh install) sign in with the password alone.
   */
  readonly requireAdminPasskey?: boolean;
  /** Lifetime of a passkey challenge; default 300 s. */
  readonly passkeyChallengeTtlSeconds?: number;
  /** Federated sign-in: OIDC, SAML and LDAP providers (docs/identity.md#federated-sign-in). */
  readonly federation?: FederationOptions;
}

/** Passkey settings with defaults filled in; `origin` unset until the server knows its address. */
export interface PasskeyConfig {
  readonly origin: string | undefined;
  readonly rpId: string | undefined;
  readonly rpName: string;
  readonly requireAdminPasskey: boolean;
  readonly challengeTtlSeconds: number;
}

/** {@link AuthOptions} with every default filled in. */
export interface AuthConfig {
  readonly issuer: string;
  readonly publicUrl: string | undefined;
  readonly accessTokenTtlSeconds: number;
  readonly sessionTtlSeconds: number;
  readonly passwords: Required<Omit<PasswordOptions, 'argon2'>> & { readonly argon2: Argon2Params };
  readonly throttle: Required<ThrottleOptions>;
  readonly dpop: Required<DpopOptions>;
  readonly devicePolicy: DevicePolicyOptions;
  readonly attestation: AttestationOptions;
  readonly initialAdminUsername: string;
  readonly passkeys: PasskeyConfig;
  readonly federation: FederationConfig;
}

/** OWASP Password Storage Cheat Sheet minimum for Argon2id. */
export const ARGON2_MINIMUM: Argon2Params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * Fills in defaults and refuses settings below the security floor.
 *
 * @example
 * ```ts
 * const config = resolveAuthConfig({ accessTokenTtlSeconds: 120 });
 * config.dpop.maxAgeSeconds; // 60
 * ```
 */
export function resolveAuthConfig(options: AuthOptions = {}): AuthConfig {
  const argon2: Argon2Params = { ...ARGON2_MINIMUM, ...options.passwords?.argon2 };
  if (
    argon2.memoryCost < ARGON2_MINIMUM.memoryCost ||
    argon2.timeCost < ARGON2_MINIMUM.timeCost ||
    argon2.parallelism < ARGON2_MINIMUM.parallelism
  ) {
    throw new ConfigError('Argon2id parameters below the OWASP minimum (m=19456, t=2, p=1) are refused');
  }
  const minLength = options.passwords?.minLength ?? 8;
  const maxLength = options.passwords?.maxLength ?? 1024;
  if (minLength < 8) throw new ConfigError('passwords.minLength below 8 is refused');
  if (maxLength < 64) throw new ConfigError('passwords.maxLength must accept at least 64 characters');
  const publicUrl = options.publicUrl;
  if (publicUrl !== undefined) {
    const parsed = parseUrl(publicUrl, 'publicUrl');
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      throw new ConfigError('publicUrl must be http(s)');
  }
  return {
    issuer: options.issuer ?? 'bulwark',
    publicUrl,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 300,
    sessionTtlSeconds: options.sessionTtlSeconds ?? 30 * 24 * 3600,
    passwords: {
      minLength,
      maxLength,
      argon2,
      maxConcurrentHashes: options.passwords?.maxConcurrentHashes ?? 2,
      maxQueuedHashes: options.passwords?.maxQueuedHashes ?? 16,
    },
    throttle: {
      freeFailuresPerAccountIp: 5,
      baseDelaySeconds: 1,
      maxDelaySeconds: 900,
      accountIpWindowSeconds: 86_400,
      failuresPerIp: 100,
      ipWindowSeconds: 3_600,
      failuresPerAccount: 50,
      accountWindowSeconds: 3_600,
      signInStartsPerIp: 30,
      signInStartWindowSeconds: 600,
      ...options.throttle,
    },
    dpop: {
      maxAgeSeconds: 60,
      futureSkewSeconds: 5,
      requireNonce: true,
      nonceLifetimeSeconds: 300,
      keyCacheSize: 10_000,
      ...options.dpop,
    },
    devicePolicy: options.devicePolicy ?? {},
    attestation: options.attestation ?? {},
    initialAdminUsername: options.initialAdminUsername ?? 'admin',
    passkeys: resolvePasskeyConfig(options, publicUrl),
    federation: resolveFederationConfig(options.federation),
  };
}

/**
 * The relying party of passkeys. WebAuthn works only in a secure context, so the origin is
 * https except on `localhost`, and the rp id must be the origin's host or a parent domain of it.
 */
function resolvePasskeyConfig(options: AuthOptions, publicUrl: string | undefined): PasskeyConfig {
  const origin =
    options.publicOrigin === undefined
      ? publicUrl === undefined
        ? undefined
        : parseUrl(publicUrl, 'publicUrl').origin
      : parseUrl(options.publicOrigin, 'publicOrigin').origin;
  let rpId = options.rpId;
  if (origin !== undefined) {
    const url = new URL(origin);
    if (url.protocol !== 'https:' && url.hostname !== 'localhost') {
      throw new ConfigError(
        'publicOrigin must be https (http only on localhost): WebAuthn needs a secure context',
      );
    }
    rpId ??= url.hostname;
    if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) {
      throw new ConfigError(`rpId ${rpId} is neither the host of ${origin} nor a parent domain of it`);
    }
  }
  const ttl = options.passkeyChallengeTtlSeconds ?? 300;
  if (!(ttl > 0 && ttl <= 900)) throw new ConfigError('passkeyChallengeTtlSeconds must be from 1 to 900');
  return {
    origin,
    rpId,
    rpName: options.rpName ?? 'Bulwark',
    requireAdminPasskey: options.requireAdminPasskey ?? true,
    challengeTtlSeconds: ttl,
  };
}

/** A URL of the configuration; one that does not parse is a `ConfigError`, not a `TypeError`. */
function parseUrl(value: string, name: string): URL {
  try {
    return new URL(value);
  } catch (err) {
    throw new ConfigError(`${name} is not an absolute URL`, { cause: err });
  }
}
