/**
 * The vault's persistent state and its encoding: JSON with base64 blobs, validated field by field
 * on read so that a damaged or foreign record is refused (`corrupt_data`) rather than half-used.
 * The record holds only wrapped keys, counters and the last server policy settings, never a key in
 * clear.
 */

import { fromBase64, toBase64, utf8Decode, utf8Encode } from '@bulwark/core/crypto';
import { CorruptDataError } from '../../errors.js';

/** A data key wrapped under the vault root key. */
export interface WrappedDataKey {
  readonly id: string;
  readonly wrapped: Uint8Array<ArrayBuffer>;
}

/**
 * The settings of the last verified server policy that bind the vault (docs/client.md, "Vault"):
 * kept with the state so that a restart without network keeps the admin's limits.
 */
export interface PolicySettings {
  readonly lockTimeoutSeconds: number;
  readonly failedUnlockLimit: number;
}

/** A live vault. `dataKeys[0]` is the primary (sealing) key. */
export interface LiveState {
  readonly kind: 'live';
  readonly installId: string;
  /** Keystore key name of the current KEK. */
  readonly kek: string;
  /** A KEK replaced by a rotation whose deletion is not yet confirmed. */
  readonly retiredKek?: string;
  readonly protection: 'keystore' | 'passcode';
  /** keystore: a core wrapped-key blob of the root key; passcode: that blob sealed under the KEK. */
  readonly root: Uint8Array<ArrayBuffer>;
  readonly biometric?: { readonly key: string; readonly root: Uint8Array<ArrayBuffer> };
  readonly dataKeys: readonly WrappedDataKey[];
  readonly failedAttempts: number;
  /** The last verified server policy settings, absent until one has come. */
  readonly policy?: PolicySettings;
}

/** Why a wipe was made, as its tombstone keeps it (the `Wiper`'s reasons). */
export type TombstoneReason =
  | 'device_revoked'
  | 'logout'
  | 'offline_grace_expired'
  | 'failed_unlocks'
  | 'manual';

const TOMBSTONE_REASONS: readonly string[] = [
  'device_revoked',
  'logout',
  'offline_grace_expired',
  'failed_unlocks',
  'manual',
] satisfies readonly TombstoneReason[];

/**
 * What remains after the wipe destroyed the vault's keys: a tombstone, so the app can tell
 * "wiped" from "never set up", and, while the store that holds it has not been destroyed yet, a
 * wipe that a crash cut short from a finished one.
 */
export interface WipedState {
  readonly kind: 'wiped';
  readonly reason?: TombstoneReason;
}

export type VaultState = LiveState | WipedState;

const ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Serialises a state record. */
export function encodeState(state: VaultState): Uint8Array<ArrayBuffer> {
  if (state.kind === 'wiped') {
    return utf8Encode(
      JSON.stringify({ v: 1, wiped: true, ...(state.reason === undefined ? {} : { reason: state.reason }) }),
    );
  }
  return utf8Encode(
    JSON.stringify({
      v: 1,
      installId: state.installId,
      kek: state.kek,
      ...(state.retiredKek === undefined ? {} : { retiredKek: state.retiredKek }),
      protection: state.protection,
      root: toBase64(state.root),
      ...(state.biometric === undefined
        ? {}
        : { biometric: { key: state.biometric.key, root: toBase64(state.biometric.root) } }),
      dataKeys: state.dataKeys.map((k) => ({ id: k.id, wrapped: toBase64(k.wrapped) })),
      failedAttempts: state.failedAttempts,
      ...(state.policy === undefined
        ? {}
        : {
            policy: {
              lockTimeoutSeconds: state.policy.lockTimeoutSeconds,
              failedUnlockLimit: state.policy.failedUnlockLimit,
            },
          }),
    }),
  );
}

function fail(): never {
  throw new CorruptDataError('vault state is not in the expected format');
}

function id(value: unknown): string {
  return typeof value === 'string' && ID.test(value) ? value : fail();
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : fail();
}

function blob(value: unknown): Uint8Array<ArrayBuffer> {
  const bytes = typeof value === 'string' ? fromBase64(value) : undefined;
  return bytes === undefined || bytes.length === 0 ? fail() : bytes;
}

/** Parses and validates a state record. */
export function decodeState(record: Uint8Array): VaultState {
  let raw: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(utf8Decode(record));
    raw =
      typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as never) : fail();
  } catch {
    fail();
  }
  if (raw.v !== 1) fail();
  if (raw.wiped === true) {
    if (raw.reason === undefined) return { kind: 'wiped' };
    const reason =
      typeof raw.reason === 'string' && TOMBSTONE_REASONS.includes(raw.reason)
        ? (raw.reason as TombstoneReason)
        : fail();
    return { kind: 'wiped', reason };
  }
  const protection = raw.protection === 'keystore' || raw.protection === 'passcode' ? raw.protection : fail();
  const failedAttempts = count(raw.failedAttempts);
  const dataKeys = Array.isArray(raw.dataKeys) && raw.dataKeys.length > 0 ? raw.dataKeys : fail();
  let biometric: LiveState['biometric'];
  if (raw.biometric !== undefined) {
    const b = typeof raw.biometric === 'object' && raw.biometric !== null ? (raw.biometric as never) : fail();
    biometric = { key: id((b as { key: unknown }).key), root: blob((b as { root: unknown }).root) };
  }
  let policy: PolicySettings | undefined;
  if (raw.policy !== undefined) {
    const p =
      typeof raw.policy === 'object' && raw.policy !== null
        ? (raw.policy as { lockTimeoutSeconds?: unknown; failedUnlockLimit?: unknown })
        : fail();
    policy = {
      lockTimeoutSeconds: count(p.lockTimeoutSeconds),
      failedUnlockLimit: count(p.failedUnlockLimit),
    };
  }
  return {
    kind: 'live',
    installId: id(raw.installId),
    kek: id(raw.kek),
    ...(raw.retiredKek === undefined ? {} : { retiredKek: id(raw.retiredKek) }),
    protection,
    root: blob(raw.root),
    ...(biometric === undefined ? {} : { biometric }),
    dataKeys: dataKeys.map((k: unknown) => {
      const entry = typeof k === 'object' && k !== null ? (k as { id: unknown; wrapped: unknown }) : fail();
      return { id: id(entry.id), wrapped: blob(entry.wrapped) };
    }),
    failedAttempts,
    ...(policy === undefined ? {} : { policy }),
  };
}
