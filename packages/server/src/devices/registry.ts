/**
 * The device registry: enrollment (one row per device id, bound at first enrollment to one
 * user and one device key), status changes (blocked by policy, revoked, wipe confirmed) and
 * listings for admins. A device id is never re-bound: a revoked device must re-install (new id).
 */
import type { JWK } from 'jose';
import { type Kysely, sql } from 'kysely';
import type { Database, DeviceStatus, DevicesTable, RevocationReason } from '../db/schema.js';
import { HttpProblem } from '../http/problem.js';
import { usernameKey } from '../identity/users.js';
import { likeContains } from '../lib/like.js';
import type { PolicyDecision, PolicyFinding, Posture } from './policy.js';

/** A device row. */
export type DeviceRow = DevicesTable;

/** What a device declares at enrollment and refresh. */
export interface DeviceDeclaration {
  readonly id: string;
  /** A name the user gave the device (optional). */
  readonly name?: string;
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
  const read = () => db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
  let existing = await read();
  if (existing === undefined) {
    const device: DeviceRow = {
      id,
      user_id: input.userId,
      jkt: input.jkt,
      public_jwk: JSON.stringify(input.publicJwk),
      name: d.name ?? null,
      ...facts,
      status,
      revoked_reason: null,
      enrolled_at: nowMs,
      revoked_at: null,
      wiped_at: null,
    };
    try {
      await db.insertInto('devices').values(device).execute();
      return { device, created: true };
    } catch (cause) {
      // Another sign-in with this id committed first: the same app signing in twice at once (a
      // double tap, a retry), or another account or key. Decide on the row it wrote, like a
      // device enrolled before; no row means the insert failed for another reason.
      existing = await read();
      if (existing === undefined) throw cause;
    }
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

/** The verdict of the last policy check of a device. */
export interface DeviceDecisionView {
  readonly decision: 'allow' | 'warn' | 'refuse';
  readonly findings: readonly PolicyFinding[];
}

/**
 * A device as admins see it. Every string that came from the device (name, platform, versions)
 * is returned as it was stored, as JSON data: the console must render it as text.
 */
export interface DeviceView {
  readonly id: string;
  readonly userId: string;
  readonly username: string;
  readonly name?: string;
  readonly platform: string;
  readonly osVersion: string;
  readonly appVersion: string;
  readonly posture: Posture;
  readonly status: DeviceStatus;
  readonly revokedAt?: string;
  readonly revokedReason?: RevocationReason;
  readonly wipeConfirmedAt?: string;
  readonly enrolledAt: string;
  readonly lastSeenAt: string;
  readonly lastDecision: DeviceDecisionView;
}

/** A device row with its owner's username. */
export type DeviceWithOwner = DeviceRow & { readonly username: string };

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

/**
 * The admin view of a row.
 *
 * @example
 * ```ts
 * const row = await deviceWithOwner(db, deviceId);
 * if (row) reply.send(deviceView(row));
 * ```
 */
export function deviceView(row: DeviceWithOwner): DeviceView {
  const findings = JSON.parse(row.policy_findings) as PolicyFinding[];
  const decision = findings.some((f) => f.action === 'refuse')
    ? 'refuse'
    : findings.length > 0
      ? 'warn'
      : 'allow';
  return {
    id: row.id,
    userId: row.user_id,
    username: row.username,
    ...(row.name === null ? {} : { name: row.name }),
    platform: row.platform,
    osVersion: row.os_version,
    appVersion: row.app_version,
    posture: JSON.parse(row.posture) as Posture,
    status: row.status,
    ...(row.revoked_at === null ? {} : { revokedAt: iso(row.revoked_at) }),
    ...(row.revoked_reason === null ? {} : { revokedReason: row.revoked_reason }),
    ...(row.wiped_at === null ? {} : { wipeConfirmedAt: iso(row.wiped_at) }),
    enrolledAt: iso(row.enrolled_at),
    lastSeenAt: iso(row.last_seen_at),
    lastDecision: {
      decision,
      findings: findings.map((f) => ({ code: f.code, action: f.action, message: f.message })),
    },
  };
}

const withOwner = (db: Kysely<Database>) =>
  db
    .selectFrom('devices')
    .innerJoin('users', 'users.id', 'devices.user_id')
    .selectAll('devices')
    .select('users.username');

/**
 * One device with its owner's username, or undefined.
 *
 * @example
 * ```ts
 * const row = await deviceWithOwner(db, deviceId);
 * ```
 */
export async function deviceWithOwner(
  db: Kysely<Database>,
  deviceId: string,
): Promise<DeviceWithOwner | undefined> {
  return withOwner(db).where('devices.id', '=', deviceId.toLowerCase()).executeTakeFirst();
}

/** Filters of {@link listDevices}. */
export interface DeviceFilter {
  readonly userId?: string;
  readonly status?: DeviceStatus;
  /** Substring of the device id, its name or its owner's username (case-insensitive). */
  readonly q?: string;
  readonly limit: number;
  /** Sort key (enrolled at, id) of the last device of the previous page. */
  readonly after?: readonly [number, string];
}

/**
 * One page of devices, newest enrolment first (ties by id); `more` says whether another page
 * follows.
 *
 * @example
 * ```ts
 * const { rows, more } = await listDevices(db, { status: 'revoked', limit: 50 });
 * ```
 */
export async function listDevices(
  db: Kysely<Database>,
  filter: DeviceFilter,
): Promise<{ rows: DeviceWithOwner[]; more: boolean }> {
  let query = withOwner(db);
  if (filter.userId !== undefined) query = query.where('devices.user_id', '=', filter.userId);
  if (filter.status !== undefined) query = query.where('devices.status', '=', filter.status);
  if (filter.q !== undefined && filter.q !== '') {
    const needle = filter.q.toLowerCase();
    query = query.where((eb) =>
      eb.or([
        likeContains(sql.ref('devices.id'), needle),
        likeContains(sql`lower(${sql.ref('devices.name')})`, needle),
        likeContains(sql.ref('users.username_key'), usernameKey(filter.q ?? '')),
      ]),
    );
  }
  if (filter.after !== undefined) {
    const [enrolledAt, id] = filter.after;
    query = query.where((eb) =>
      eb.or([
        eb('devices.enrolled_at', '<', enrolledAt),
        eb.and([eb('devices.enrolled_at', '=', enrolledAt), eb('devices.id', '<', id)]),
      ]),
    );
  }
  const rows = await query
    .orderBy('devices.enrolled_at', 'desc')
    .orderBy('devices.id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  return { rows: rows.slice(0, filter.limit), more: rows.length > filter.limit };
}
