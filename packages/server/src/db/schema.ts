/**
 * Table types of the server database, for Kysely. Times are epoch milliseconds (UTC) in
 * `bigint` columns, flags are 0/1 integers, structured values are JSON text: one layout that
 * SQLite and PostgreSQL store alike.
 */
import type { Generated } from 'kysely';
import type { AttestationDatabase } from '../attestation/tables.js';

/** Key/value facts about this installation (instance id, creation time). */
export interface MetaTable {
  key: string;
  value: string;
  updated_at: Generated<string>;
}

/** Roles a user can hold. */
export type Role = 'admin' | 'user';

/** Local accounts. */
export interface UsersTable {
  id: string;
  /** As typed at creation, for display. */
  username: string;
  /** NFKC + lower case: the unique login name. */
  username_key: string;
  /** Argon2id PHC string. */
  password_hash: string;
  role: Role;
  /** 1 while the password is a one-time password that must be changed before anything else. */
  must_change_password: number;
  disabled_at: number | null;
  created_at: number;
  password_changed_at: number;
}

/** Lifecycle of a device (docs/identity.md). */
export type DeviceStatus = 'active' | 'blocked' | 'revoked' | 'wipe_confirmed';

/** Why a device was revoked. */
export type RevocationReason = 'lost' | 'stolen' | 'left_organisation' | 'admin';

/** The device registry. */
export interface DevicesTable {
  /** UUID chosen by the device at install, lower case. */
  id: string;
  user_id: string;
  /** RFC 7638 SHA-256 thumbprint of the device key. */
  jkt: string;
  /** The device's ECDSA P-256 public key (JWK, JSON). */
  public_jwk: string;
  /** A name the user gave the device (device-supplied, shown as data), when it sent one. */
  name: string | null;
  platform: string;
  os_version: string;
  app_version: string;
  /** Last posture report (JSON). */
  posture: string;
  /** Findings of the last policy decision (JSON). */
  policy_findings: string;
  status: DeviceStatus;
  revoked_reason: RevocationReason | null;
  enrolled_at: number;
  last_seen_at: number;
  revoked_at: number | null;
  wiped_at: number | null;
}

/** A login session: one refresh-token family bound to one device key. */
export interface SessionsTable {
  id: string;
  user_id: string;
  device_id: string;
  jkt: string;
  created_at: number;
  /** Absolute end of the family, whatever the refreshes. */
  expires_at: number;
  last_refresh_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
}

/** Refresh tokens, stored as SHA-256 hashes only. */
export interface RefreshTokensTable {
  token_hash: string;
  session_id: string;
  created_at: number;
  /** Set once, when the token is exchanged; a second use is reuse. */
  used_at: number | null;
}

/** Server signing keys (ES256). Private keys are stored as JWK: see docs/operations.md. */
export interface ServerKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk: string;
  created_at: number;
  /** Set when a newer key takes over signing; kept for verification until tokens expire. */
  retired_at: number | null;
}

/** Append-only, hash-chained security events. */
export interface AuditEventsTable {
  seq: number;
  /** ISO 8601 UTC. */
  at: string;
  type: string;
  actor_user_id: string | null;
  actor_device_id: string | null;
  subject: string | null;
  ip: string | null;
  /** Event details (JSON); never a secret. */
  data: string;
  prev_hash: string;
  hash: string;
}

/** The head of the security event chain (the table keeps its first name): the last sequence number and hash (one row, id 1). */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

/**
 * Records of every collection (docs/storage.md). A deleted record stays as a tombstone: `data`
 * and `device` are cleared, `deleted_at` is set, `attrs` keeps only what the read rule needs.
 */
export interface RecordsTable {
  collection: string;
  /** Random UUID (122 random bits), never sequential. */
  id: string;
  /** User id of the creator; never changed. */
  owner: string;
  /** 1 at creation, +1 on every change (the delete included). */
  version: number;
  /** Position in the change sequence: the sync checkpoint order. Unique. */
  seq: number;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  /** The full record (serverOnly fields included), JSON. */
  data: string | null;
  /** The device projection (no serverOnly field), JSON: the only form ever sent. */
  device: string | null;
  /** Fields rules and filters read (strings encoded, rules/attrs.ts): jsonb on PostgreSQL. */
  attrs: string;
}

/** Visibility changes for sync: the rule attributes a record had before it changed or was deleted. */
export interface SyncNoticesTable {
  seq: number;
  collection: string;
  record_id: string;
  owner: string;
  attrs: string;
  created_at: number;
}

/**
 * Record keys (rules/keys.ts): one row per live record and value of a key field, at the record's
 * current `seq`, so a rule-filtered read looks the records a caller may see up by key, in
 * sequence order, instead of scanning the collection.
 */
export interface RecordKeysTable {
  collection: string;
  /** A key field's name, or `owner`. */
  field: string;
  /** The value in stored form (rules/keys.ts `keyValue`). */
  value: string;
  /** The record's current position in the change sequence (records.seq). */
  seq: number;
}

/** The last change sequence number handed out (one row, id 1; locked by each write). */
export interface SyncCounterTable {
  id: number;
  seq: number;
}

/** Answers to pushed mutations, kept so that a retry with the same id gets the same answer. */
export interface SyncMutationsTable {
  device_id: string;
  mutation_id: string;
  /** The result (JSON). */
  result: string;
  created_at: number;
}

/** Team membership: the `teams` claim of rules. */
export interface UserTeamsTable {
  user_id: string;
  team: string;
}

/**
 * The device policy as admins last set it (one row, id 1; devices/policy-store.ts). Without a
 * row, the policy of the configuration applies.
 */
export interface DevicePolicyTable {
  id: number;
  /** The policy (JSON, the `AdminPolicy` shape). */
  policy: string;
  updated_at: number;
  /** User id of the admin who set it. */
  updated_by: string | null;
}

/** Passkeys (WebAuthn credentials) of accounts: docs/identity.md#passkeys. */
export interface PasskeysTable {
  id: string;
  user_id: string;
  /** The WebAuthn credential id, base64url. */
  credential_id: string;
  /** COSE public key, base64url. */
  public_key: string;
  /** Signature counter last seen (0 for authenticators that do not count). */
  counter: number;
  /** Transports the authenticator reported (JSON array). */
  transports: string;
  name: string;
  /** `singleDevice` or `multiDevice` (synced passkey). */
  device_type: string;
  /** 1 when the authenticator says the passkey is backed up (synced). */
  backed_up: number;
  created_at: number;
  last_used_at: number | null;
}

/** Outstanding WebAuthn challenges: single use, short-lived, bound to a user and a device key. */
export interface PasskeyChallengesTable {
  id: string;
  user_id: string;
  purpose: 'registration' | 'authentication';
  /** base64url, as sent in the options. */
  challenge: string;
  /** Thumbprint of the device key that asked for it. */
  jkt: string;
  expires_at: number;
}

/** Every table of the server database. */
export interface Database extends AttestationDatabase {
  bulwark_meta: MetaTable;
  users: UsersTable;
  devices: DevicesTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  server_keys: ServerKeysTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  records: RecordsTable;
  sync_notices: SyncNoticesTable;
  record_keys: RecordKeysTable;
  sync_counter: SyncCounterTable;
  sync_mutations: SyncMutationsTable;
  user_teams: UserTeamsTable;
  device_policy: DevicePolicyTable;
  passkeys: PasskeysTable;
  passkey_challenges: PasskeyChallengesTable;
}

/** DPoP proofs already seen, keyed by SHA-256(key thumbprint, jti). */
export interface DpopJtiTable {
  key: string;
  expires_at: number;
}

/** Tables of the cache database (short-lived shared state, see database.ts). */
export interface CacheDatabase {
  dpop_jti: DpopJtiTable;
}
