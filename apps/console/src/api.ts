/**
 * The console as a Bulwark client: a device key made in this browser (a non-extractable
 * WebCrypto key kept in IndexedDB), the session's refresh token in the IndexedDB keystore, and
 * every call signed with DPoP by the SDK's `Transport`, like any enrolled device. Also the
 * shapes of the admin API that the screens read (docs/api.md).
 */
import {
  IndexedDbDeviceKeyStorage,
  IndexedDbKeystore,
  isLoopbackHost,
  loadOrCreateDeviceKey,
  SecureItems,
  SecureItemsSessionStore,
  ServerProblemError,
  Transport,
} from '@bulwark/client';

/** The console's own version, reported as its app version. */
export const CONSOLE_VERSION = '0.1.0';

const DEVICE_ID_KEY = 'bulwark-console-device-id';
const DEVICE_DB = 'bulwark-console-device';
const KEYSTORE_DB = 'bulwark-console-keystore';

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
  readonly transport: Transport;
  readonly deviceId: string;
  /** Forgets the device key and id (after a revocation). */
  forgetDevice(): Promise<void>;
}

/**
 * Opens this browser's device: its key (made on first use), its install id and its session.
 *
 * @example
 * ```ts
 * const connection = await connect((why) => setEnded(why));
 * await connection.transport.login({ username, password, deviceId: connection.deviceId });
 * ```
 */
export async function connect(onRevoked: () => void): Promise<Connection> {
  const deviceKeys = new IndexedDbDeviceKeyStorage({ databaseName: DEVICE_DB });
  const deviceKey = await loadOrCreateDeviceKey(deviceKeys);
  let deviceId = localStorage.getItem(DEVICE_ID_KEY);
  if (deviceId === null) {
    deviceId = crypto.randomUUID();
    localStorage.setItem(DEVICE_ID_KEY, deviceId);
  }
  const keystore = await IndexedDbKeystore.open({ databaseName: KEYSTORE_DB });
  const sessions = new SecureItemsSessionStore(new SecureItems(keystore));
  const origin = new URL(location.origin);
  const transport = new Transport({
    baseUrl: location.origin,
    devMode: origin.protocol === 'http:' && isLoopbackHost(origin.hostname),
    deviceKey,
    sessions,
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
    onDeviceRevoked: async () => {
      await forgetDevice();
      onRevoked();
    },
  });
  async function forgetDevice() {
    await transport.forget().catch(() => undefined);
    await deviceKeys.delete().catch(() => undefined);
    localStorage.removeItem(DEVICE_ID_KEY);
  }
  return { transport, deviceId, forgetDevice };
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
    const issues = err.issues.map((i) => i.message ?? i.code).join('; ');
    return `${err.message}${issues === '' ? '' : ` — ${issues}`} (${err.code})`;
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
