/**
 * The device registry: enrollment (one row per device id, bound at first enrollment to one
 * user and one device key), status changes (blocked by policy, revoked, wipe confirmed) and
 * listings for admins. A device id is never re-bound: a revoked device must re-install (new id).
 */
import type { JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { Database, DeviceStatus, DevicesTable, RevocationReason } from '../db/schema.js';
import { HttpProblem } from '../http/problem.js';
import type { PolicyDecision, Posture } from './policy.js';

/** A device row. */
export type DeviceRow = DevicesTable;

/** What a device declares at enrollment and refresh. */
export interface DeviceDeclaration {
  readonly id: string;
  readonly platform: string;
  readonly osVersion: string;
  readonly appVersion: string;
  readonly posture: Posture;
}

/** The device has been revoked: 403 `device_revoked`, the SDK wipes on this code. */
export class DeviceRevokedError extends HttpProblem {
  constructor() {
    super(403, 'device_revoked', 'This device has been revoked; its local data must be wiped.');
  }
}

/**
 * Registers a device or updates its declaration after a login. Refuses a device id that belongs
 * to another user or another key (409 `device_conflict`) and a revoked one (403 `device_revoked`).
 * Returns the row and whether it is new.
 *
 * @example
 * ```ts
 * const { device, created } = await enrollDevice(db, Date.now(), { userId, jkt, publicJwk, declaration, decision });
 * ```
 */
export async function enrollDevice(
  db: Kysely<Database>,
  nowMs: number,
  input: {
    userId: string;
    jkt: string;
    publicJwk: JWK;
    declaration: DeviceDeclaration;
    decision: PolicyDecision;
  },
): Promise<{ device: DeviceRow; created: boolean }> {
  const d = input.declaration;
  const id = d.id.toLowerCase();
  const status: DeviceStatus = input.decision.decision === 'refuse' ? 'blocked' : 'active';
  const facts = {
    platform: d.platform,
    os_version: d.osVersion,
    app_version: d.appVersion,
    posture: JSON.stringify(d.posture),
    policy_findings: JSON.stringify(input.decision.findings),
    last_seen_at: nowMs,
  };
  const existing = await db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
  if (existing === undefined) {
    const device: DeviceRow = {
      id,
      user_id: input.userId,
      jkt: input.jkt,
      public_jwk: JSON.stringify(input.publicJwk),
      ...facts,
      status,
      revoked_reason: null,
      enrolled_at: nowMs,
      revoked_at: null,
      wiped_at: null,
    };
    try {
      await db.insertInto('devices').values(device).execute();
    } catch (cause) {
      throw new HttpProblem(409, 'device_conflict', 'This device id is already enrolled.', { cause });
    }
    return { device, created: true };
  }
  if (existing.status === 'revoked' || existing.status === 'wipe_confirmed') throw new DeviceRevokedError();
  if (existing.user_id !== input.userId || existing.jkt !== input.jkt) {
    throw new HttpProblem(409, 'device_conflict', 'This device id is enrolled to another account or key.');
  }
  await db
    .updateTable('devices')
    .set({ ...facts, status })
    .where('id', '=', id)
    .where('status', 'in', ['active', 'blocked'])
    .execute();
  return { device: { ...existing, ...facts, status }, created: false };
}

/** Stores a new declaration (refresh) and the policy's verdict on it. */
export async function updateDeviceFacts(
  db: Kysely<Database>,
  nowMs: number,
  deviceId: string,
  declaration: Omit<DeviceDeclaration, 'id' | 'platform'>,
  decision: PolicyDecision,
): Promise<void> {
  await db
    .updateTable('devices')
    .set({
      os_version: declaration.osVersion,
      app_version: declaration.appVersion,
      posture: JSON.stringify(declaration.posture),
      policy_findings: JSON.stringify(decision.findings),
      status: decision.decision === 'refuse' ? 'blocked' : 'active',
      last_seen_at: nowMs,
    })
    .where('id', '=', deviceId)
    .where('status', 'in', ['active', 'blocked'])
    .execute();
}

/**
 * Marks a device revoked; returns false when it was already revoked or wiped.
 *
 * @example
 * ```ts
 * await revokeDevice(db, Date.now(), deviceId, 'stolen');
 * ```
 */
export async function revokeDevice(
  db: Kysely<Database>,
  nowMs: number,
  deviceId: string,
  reason: RevocationReason,
): Promise<boolean> {
  const result = await db
    .updateTable('devices')
    .set({ status: 'revoked', revoked_reason: reason, revoked_at: nowMs })
    .where('id', '=', deviceId)
    .where('status', 'in', ['active', 'blocked'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** A device as admins see it. */
export interface DeviceView {
  readonly id: string;
  readonly userId: string;
  readonly platform: string;
  readonly osVersion: string;
  readonly appVersion: string;
  readonly posture: Posture;
  readonly policyFindings: unknown[];
  readonly status: DeviceStatus;
  readonly revokedReason: RevocationReason | null;
  readonly enrolledAt: string;
  readonly lastSeenAt: string;
  readonly revokedAt: string | null;
  readonly wipedAt: string | null;
}

/** The admin view of a row. */
export function deviceView(row: DeviceRow): DeviceView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
  return {
    id: row.id,
    userId: row.user_id,
    platform: row.platform,
    osVersion: row.os_version,
    appVersion: row.app_version,
    posture: JSON.parse(row.posture) as Posture,
    policyFindings: JSON.parse(row.policy_findings) as unknown[],
    status: row.status,
    revokedReason: row.revoked_reason,
    enrolledAt: new Date(Number(row.enrolled_at)).toISOString(),
    lastSeenAt: new Date(Number(row.last_seen_at)).toISOString(),
    revokedAt: iso(row.revoked_at),
    wipedAt: iso(row.wiped_at),
  };
}
