/**
 * The console as a Bulwark client, made by the SDK's one call (`createClient`, browser preset):
 * a device key made in this browser (a non-extractable WebCrypto key kept in IndexedDB), the
 * session's refresh token in the IndexedDB keystore, every call signed with DPoP, like any
 * enrolled device. The console keeps no data offline, so its client has no collections (no
 * encrypted store or sync) and its vault is keystore-only (no passcode to ask an admin for). A
 * revocation reaches the SDK's one wipe path: keys, ids and tokens go, the receipt is sent, and
 * the next sign-in enrols a new device. Also the shapes of the admin API the screens read
 * (docs/api.md).
 */
import {
  type BulwarkClient,
  createClient,
  isLoopbackHost,
  ServerProblemError,
  type SignInResult,
  type Transport,
} from '@bulwark/client';
import { startAuthentication } from '@simplewebauthn/browser';

/** The console's own version, reported as its app version. */
export const CONSOLE_VERSION = '0.1.0';

/** Prefix of the console's IndexedDB databases (`bulwark-console-device`, `-keystore`, …). */
const DATABASES = 'bulwark-console';

/** Who is signed in. */
export interface Me {
  readonly userId: string;
  readonly username: string;
  readonly role: string;
  readonly deviceId: string;
  readonly mustChangePassword: boolean;
}

/** How the session ended, for the message the console shows. */
export type SessionEnd = 'signed_out' | 'session_ended' | 'device_revoked';

/** The connection of this browser to the server. */
export interface Connection {
  /** The transport of this browser's current device (a new one after a revocation). */
  readonly transport: Transport;
  /** This browser's install id as a device. */
  readonly deviceId: string;
  /**
   * Signs in; a server that requires the account's passkey after the password gets it from the
   * browser's authenticator (`passkey_required`, docs/api.md#passkeys). After a revocation it
   * first waits for the new device the wipe makes room for, so it never signs in with the wiped one.
   */
  signIn(username: string, password: string): Promise<SignInResult>;
}

/**
 * Opens this browser's device: its key (made on first use), its install id and its session.
 * `onRevoked` is called as soon as the server says this device is revoked, while the SDK's wipe
 * still runs; after the wipe the connection opens a new device for the next sign-in, as many
 * times as the browser is revoked.
 *
 * @example
 * ```ts
 * const connection = await connect(() => setEnded('device_revoked'));
 * await connection.signIn(username, password);
 * ```
 */
export async function connect(onRevoked: () => void): Promise<Connection> {
  // The device that follows a revocation: opened once the revoked one is wiped (same databases).
  let fresh: Promise<ConsoleClient> | undefined;
  const renew = (revoked: ConsoleClient) => {
    // The wipe the revocation started (a wipe that failed is tried again), then a new install.
    const opening = revoked.wiper.wipe('device_revoked').then(open);
    opening.catch(() => undefined);
    fresh = opening;
  };
  const open = (): Promise<ConsoleClient> =>
    openClient((revoked) => {
      renew(revoked);
      onRevoked();
    });
  let client = await open();
  const current = async (): Promise<ConsoleClient> => {
    const pending = fresh;
    if (pending === undefined) return client;
    const revoked = client;
    try {
      client = await pending;
    } catch (err) {
      // Said at this sign-in; the next one tries again.
      if (fresh === pending) renew(revoked);
      throw err;
    }
    if (fresh === pending) fresh = undefined;
    return client;
  };
  return {
    get transport() {
      return client.transport;
    },
    get deviceId() {
      return client.deviceId;
    },
    signIn: async (username, password) =>
      (await current()).signIn({
        username,
        password,
        passkey: async (options) =>
          startAuthentication({
            optionsJSON: options as Parameters<typeof startAuthentication>[0]['optionsJSON'],
          }),
      }),
  };
}

/**
 * What the console uses of its client (it keeps no collections), taken once its session is open:
 * after the wipe the client itself answers `vault_wiped` for each of them.
 */
interface ConsoleClient {
  readonly transport: Transport;
  readonly deviceId: string;
  readonly wiper: BulwarkClient['wiper'];
  signIn: BulwarkClient['signIn'];
}

/** The console's client, unlocked (or set up on first use), its session open. */
async function openClient(onRevoked: (client: ConsoleClient) => void): Promise<ConsoleClient> {
  const origin = new URL(location.origin);
  let opened: ConsoleClient | undefined;
  const client = await createClient({
    platform: 'browser',
    name: DATABASES,
    baseUrl: location.origin,
    devMode: origin.protocol === 'http:' && isLoopbackHost(origin.hostname),
    collections: [],
    posture: {
      // A browser cannot see root, a screen lock or an emulator: the console reports the values a
      // healthy device would, and its posture is no signal (docs/console.md).
      report: async () => ({
        platform: 'web-console',
        osVersion: navigator.userAgent.slice(0, 40),
        appVersion: CONSOLE_VERSION,
        posture: { rooted: false, screenLock: true, emulator: false },
      }),
    },
    // Told before the wipe ends: the console says so at once, whatever its other requests meet
    // meanwhile (the session is gone from the wipe's first steps on).
    onDeviceRevoked: () => {
      if (opened !== undefined) onRevoked(opened);
    },
  });
  if (client.status === 'uninitialized') {
    await client.setPasscode();
  } else {
    try {
      await client.unlock();
    } catch (err) {
      // The offline grace period ran out while the console was not used: the SDK wiped this
      // install at unlock. The next client is a new install, enrolled at the next sign-in.
      if (errorCode(err) === 'vault_wiped') return openClient(onRevoked);
      throw err;
    }
  }
  opened = {
    transport: client.transport,
    deviceId: client.deviceId,
    wiper: client.wiper,
    signIn: (credentials) => client.signIn(credentials),
  };
  return opened;
}

/** Codes after which the session is gone and the admin must sign in again. */
const ENDED = new Set([
  'not_signed_in',
  'refresh_token_reused',
  'session_revoked',
  'session_expired',
  'account_disabled',
  'invalid_refresh_token',
  'invalid_token',
]);

/**
 * What an error means to the console: the session ended, the device was revoked, the account
 * is not an admin, or a problem to show beside the control that caused it.
 *
 * @example
 * ```ts
 * if (classify(err) === 'session_ended') setScreen('signin');
 * ```
 */
export function classify(err: unknown): 'session_ended' | 'device_revoked' | 'forbidden' | 'other' {
  const code = errorCode(err);
  if (code === 'device_revoked') return 'device_revoked';
  if (code !== undefined && ENDED.has(code)) return 'session_ended';
  if (code === 'forbidden') return 'forbidden';
  return 'other';
}

/** The stable code of an error, if it has one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A sentence for an error, with its code; the server's per-field reasons appended.
 *
 * @example
 * ```ts
 * setError(describeError(err)); // "The username or password is wrong. (invalid_credentials)"
 * ```
 */
export function describeError(err: unknown): string {
  if (err instanceof ServerProblemError) {
    if (err.status === 404 && err.code === 'http_404')
      return 'This server does not offer this yet (HTTP 404).';
    // Each reason as a sentence of its own: joined with "; " after the message's own full stop they
    // read "…the rules. — Use at least 8 characters.; This password…".
    const issues = err.issues
      .map((i) => i.message ?? i.code)
      .map((reason) => (/[.!?]$/.test(reason) ? reason : `${reason}.`))
      .join(' ');
    return `${err.message}${issues === '' ? '' : ` ${issues}`} (${err.code})`;
  }
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return code === undefined ? message : `${message} (${code})`;
}

/** Builds a query string from the values that are set. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** An account as the admin API lists it. */
export interface User {
  readonly id: string;
  readonly username: string;
  readonly role: string;
  readonly disabled: boolean;
  readonly mustChangePassword?: boolean;
  readonly teams?: readonly string[];
  readonly createdAt: string;
  readonly deviceCount?: number;
  readonly lastSeenAt?: string | null;
}

/** One policy finding. */
export interface Finding {
  readonly code: string;
  readonly action: string;
  readonly message?: string;
}

/** A device as the admin API lists it. */
export interface Device {
  readonly id: string;
  readonly userId: string;
  readonly username?: string;
  readonly name?: string | null;
  readonly platform: string;
  readonly osVersion: string;
  readonly appVersion: string;
  readonly posture: { readonly rooted: boolean; readonly screenLock: boolean; readonly emulator: boolean };
  readonly status: 'active' | 'blocked' | 'revoked' | 'wipe_confirmed';
  readonly revokedAt?: string | null;
  readonly revokedReason?: string | null;
  readonly wipeConfirmedAt?: string | null;
  readonly wipedAt?: string | null;
  readonly enrolledAt: string;
  readonly lastSeenAt: string;
  readonly lastDecision?: { readonly decision: string; readonly findings: readonly Finding[] } | null;
  readonly policyFindings?: readonly Finding[];
}

/** Why a device is revoked (the server's RevocationReason). */
export const REVOCATION_REASONS = [
  ['lost', 'Lost'],
  ['stolen', 'Stolen'],
  ['left_organisation', 'Left the organisation'],
  ['admin', 'Other (admin decision)'],
] as const;

/** A security event. */
export interface SecurityEvent {
  readonly seq: number;
  readonly at: string;
  readonly type: string;
  readonly userId?: string | null;
  readonly deviceId?: string | null;
  readonly actorUserId?: string | null;
  readonly actorDeviceId?: string | null;
  readonly subject?: string | null;
  readonly ip?: string | null;
  readonly details?: Record<string, unknown>;
  readonly data?: Record<string, unknown>;
  readonly hash?: string;
}

/** The chain verification. */
export interface ChainStatus {
  readonly ok: boolean;
  readonly count: number;
  readonly headSeq?: number | null;
  readonly headHash?: string | null;
  readonly brokenAtSeq?: number | null;
  readonly problems?: readonly { readonly seq: number; readonly reason: string; readonly anchor?: string }[];
}

/** The device policy. */
export interface Policy {
  readonly rooted: Action;
  readonly emulator: Action;
  readonly screenLockMissing: Action;
  readonly minAppVersion?: string | null;
  readonly appVersionTooOld: Action;
  readonly settings: {
    readonly lockTimeoutSeconds: number;
    readonly failedUnlockLimit: number;
    readonly offlineGraceSeconds: number;
  };
}

/** What a policy rule does. */
export type Action = 'allow' | 'warn' | 'refuse';

/** A server signing key. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly status: 'active' | 'retired';
  readonly createdAt: string;
  readonly retiredAt?: string | null;
}

/** A registered passkey. */
export interface Passkey {
  readonly id: string;
  readonly name?: string | null;
  readonly createdAt?: string;
  readonly lastUsedAt?: string | null;
}

/** Who may use an app: its roles and teams, and whether an admin set them or the configuration. */
export interface AppAssignment {
  readonly roles: readonly string[];
  readonly teams: readonly string[];
  readonly source: 'config' | 'admin';
}

/** A registered app as `GET /admin/apps` lists it. */
export interface RegisteredApp {
  readonly id: string;
  readonly name: string;
  readonly redirectUris?: readonly string[];
  readonly collections: readonly string[];
  readonly installUrl?: string;
  readonly openUrl?: string;
  readonly assignedTo: AppAssignment;
}

/** A claim, attribute or group rule of a provider. */
export interface ProviderMapping {
  readonly claim: string;
  readonly equals: string;
  readonly role?: string;
  readonly team?: string;
}

/** A configured identity provider as `GET /admin/identity-providers` shows it (no secret). */
export interface IdentityProvider {
  readonly id: string;
  readonly kind: 'oidc' | 'saml' | 'ldap';
  readonly displayName: string;
  readonly jit: boolean;
  readonly defaultRole: string;
  readonly mappings: readonly ProviderMapping[];
  readonly issuer: string;
  readonly clientId?: string;
  readonly confidentialClient?: boolean;
  readonly scopes?: readonly string[];
  readonly redirectUris?: readonly string[];
  readonly entityId?: string;
  readonly acsUrl?: string;
  readonly idpSsoUrl?: string;
  readonly idpCertificates?: number;
  readonly url?: string;
  readonly startTls?: boolean;
  readonly userBaseDn?: string;
  readonly usernameAttribute?: string;
}

/** A provider identity linked to an account. */
export interface FederatedAccount {
  readonly provider: string;
  readonly issuer: string;
  readonly subject: string;
  readonly createdAt: string;
  readonly lastLoginAt: string;
}
