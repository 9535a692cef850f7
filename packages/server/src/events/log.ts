/**
 * The append-only security event log. Each entry is hash-chained to the one before it
 * (events/chain.ts), so that `bulwark events verify` detects an edited, inserted or deleted
 * entry. Appends are serialised: in this process by a queue, across nodes by locking the chain
 * head row inside the transaction (PostgreSQL `select … for update`; SQLite has one writer).
 * Entries never hold a secret: callers pass identifiers and outcomes, not passwords or tokens.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { canonicalJson, entryHash } from './chain.js';

/** Kinds of security events (docs/identity.md lists them). */
export type SecurityEventType =
  | 'login_succeeded'
  | 'login_failed'
  | 'login_throttled'
  | 'password_changed'
  | 'device_enrolled'
  | 'device_policy_refused'
  | 'device_policy_warned'
  | 'device_revoked'
  | 'device_revoked_access'
  | 'device_wipe_confirmed'
  | 'session_refreshed'
  | 'refresh_reuse_detected'
  | 'sessions_revoked'
  | 'dpop_replay'
  | 'admin_created'
  | 'user_created'
  | 'user_disabled'
  | 'user_enabled'
  | 'signing_key_rotated'
  | 'user_teams_changed'
  | 'user_role_changed'
  | 'user_role_kept'
  | 'password_reset'
  | 'policy_changed'
  | 'login_passkey_required'
  | 'passkey_registered'
  | 'passkey_registration_refused'
  | 'passkey_deleted'
  | 'passkeys_reset'
  | 'seeded'
  | 'device_attestation_verified'
  | 'device_attestation_failed'
  | 'device_integrity_audit'
  | 'device_integrity_warned'
  | 'device_integrity_step_up'
  | 'device_integrity_step_up_failed'
  | 'device_integrity_refused'
  | 'app_assignments_changed'
  | 'federated_account_linked'
  | 'federated_account_unlinked';

/** One event to record. */
export interface SecurityEvent {
  readonly type: SecurityEventType;
  readonly actorUserId?: string | null;
  readonly actorDeviceId?: string | null;
  /** What the event is about (a user id, a device id, a username tried). */
  readonly subject?: string | null;
  readonly ip?: string | null;
  readonly data?: Record<string, unknown>;
}

/** A stored event, as admins read it. */
export interface SecurityEventEntry {
  readonly seq: number;
  readonly at: string;
  readonly type: string;
  readonly actorUserId: string | null;
  readonly actorDeviceId: string | null;
  readonly subject: string | null;
  readonly ip: string | null;
  readonly data: Record<string, unknown>;
  readonly hash: string;
}

/** A stored event as the admin API returns it (docs/api.md#security-events). */
export interface SecurityEventView {
  readonly seq: number;
  readonly at: string;
  readonly type: string;
  /** The user who acted (or tried to). */
  readonly userId?: string;
  /** The device the event came from. */
  readonly deviceId?: string;
  /** What the event is about: a user id, a device id, a username tried, a key id. */
  readonly subject?: string;
  readonly ip?: string;
  readonly details: Record<string, unknown>;
  readonly hash: string;
}

/** Filters of {@link SecurityEventLog.query}. */
export interface SecurityEventQuery {
  /** Any of these types (all when absent or empty). */
  readonly types?: readonly string[];
  /** Events by this user or about it (actor or subject). */
  readonly userId?: string;
  /** Events from this device or about it (actor device or subject). */
  readonly deviceId?: string;
  /** ISO 8601 UTC (`toISOString` form), inclusive. */
  readonly since?: string;
  /** ISO 8601 UTC (`toISOString` form), exclusive. */
  readonly until?: string;
  /** Events before this sequence number (the cursor of the previous page). */
  readonly beforeSeq?: number;
  /** Events after this sequence number, oldest first (the paging of earlier versions). */
  readonly afterSeq?: number;
  readonly limit: number;
}

/** Longest stored subject, in UTF-16 code units. */
const SUBJECT_MAX = 200;
/** What neither database stores as sent: unpaired surrogates (UTF-8), NUL (PostgreSQL text). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what it replaces.
const UNSTORABLE = /[\p{Cs}\u0000]/gu;

/**
 * `subject` as both databases store it: at most {@link SUBJECT_MAX} code units, not cut inside a
 * surrogate pair, and with any unpaired surrogate or NUL replaced by U+FFFD. UTF-8 (the storage of
 * both) has no unpaired surrogates, so the database would replace them itself, after the hash was
 * computed over the original: the stored entry would no longer match its hash; PostgreSQL text
 * cannot hold NUL at all, so the append would fail. Subjects are what callers typed (a username
 * tried at sign-in) or what an identity provider sent, so this is reachable without an account.
 */
function storableSubject(subject: string): string {
  let text = subject;
  if (text.length > SUBJECT_MAX) {
    const last = text.charCodeAt(SUBJECT_MAX - 1);
    text = text.slice(0, last >= 0xd800 && last <= 0xdbff ? SUBJECT_MAX - 1 : SUBJECT_MAX);
  }
  return text.replace(UNSTORABLE, '\ufffd');
}

/** Longest piece of an unreadable `data` column given back as is. */
const UNREADABLE_MAX = 2000;

/**
 * An entry's stored details as an object. The server only ever writes a JSON object there, but
 * the log exists for the day someone edited the database: one entry whose details no longer parse
 * (or are not an object) must not make every page that holds it fail, hiding the rest of the log
 * from the admin who is looking for what happened. Such details are given back as
 * `{ unreadable: <the stored text> }`; the chain check reports the entry itself.
 */
function storedDetails(data: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(data);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // Falls through to the text as stored.
  }
  return { unreadable: data.slice(0, UNREADABLE_MAX) };
}

/** Appends and reads security events. */
export class SecurityEventLog {
  readonly #db: Kysely<Database>;
  readonly #now: () => Date;
  readonly #dialect: 'sqlite' | 'postgres';
  #tail: Promise<unknown> = Promise.resolve();

  constructor(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', now: () => Date) {
    this.#db = db;
    this.#dialect = dialect;
    this.#now = now;
  }

  /**
   * Appends one event; resolves with its sequence number once it is stored.
   *
   * @example
   * ```ts
   * await events.append({ type: 'login_failed', subject: 'alice', ip: '203.0.113.7' });
   * ```
   */
  append(event: SecurityEvent): Promise<number> {
    const run = this.#tail.then(
      () => this.#write(event),
      () => this.#write(event),
    );
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #write(event: SecurityEvent): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      let headQuery = trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
      if (this.#dialect === 'postgres') headQuery = headQuery.forUpdate();
      const head = await headQuery.executeTakeFirstOrThrow();
      const seq = Number(head.seq) + 1;
      const fields = {
        seq,
        at: this.#now().toISOString(),
        type: event.type,
        actor_user_id: event.actorUserId ?? null,
        actor_device_id: event.actorDeviceId ?? null,
        subject:
          event.subject === undefined || event.subject === null ? null : storableSubject(event.subject),
        ip: event.ip ?? null,
        data: canonicalJson(event.data ?? {}),
        prev_hash: head.hash,
      };
      const hash = entryHash(fields);
      await trx
        .insertInto('audit_events')
        .values({ ...fields, hash })
        .execute();
      await trx.updateTable('audit_head').set({ seq, hash }).where('id', '=', 1).execute();
      return seq;
    });
  }

  /** Waits until every append started so far is stored (tests, shutdown). */
  async flush(): Promise<void> {
    await this.#tail;
  }

  /**
   * One page of events, newest first, with filters; `more` says whether another page follows.
   *
   * @example
   * ```ts
   * const { events: page } = await events.query({ types: ['login_failed'], since: '2030-01-01T00:00:00.000Z', limit: 50 });
   * ```
   */
  async query(q: SecurityEventQuery): Promise<{ events: SecurityEventView[]; more: boolean }> {
    let query = this.#db.selectFrom('audit_events').selectAll();
    if (q.types !== undefined && q.types.length > 0) query = query.where('type', 'in', [...q.types]);
    const { userId, deviceId } = q;
    if (userId !== undefined) {
      query = query.where((eb) => eb.or([eb('actor_user_id', '=', userId), eb('subject', '=', userId)]));
    }
    if (deviceId !== undefined) {
      query = query.where((eb) =>
        eb.or([eb('actor_device_id', '=', deviceId), eb('subject', '=', deviceId)]),
      );
    }
    // `at` is always written by toISOString, so text order is time order.
    if (q.since !== undefined) query = query.where('at', '>=', q.since);
    if (q.until !== undefined) query = query.where('at', '<', q.until);
    if (q.beforeSeq !== undefined) query = query.where('seq', '<', q.beforeSeq);
    if (q.afterSeq !== undefined) query = query.where('seq', '>', q.afterSeq);
    const rows = await query
      .orderBy('seq', q.afterSeq === undefined ? 'desc' : 'asc')
      .limit(q.limit + 1)
      .execute();
    const events = rows.slice(0, q.limit).map((r) => ({
      seq: Number(r.seq),
      at: r.at,
      type: r.type,
      ...(r.actor_user_id === null ? {} : { userId: r.actor_user_id }),
      ...(r.actor_device_id === null ? {} : { deviceId: r.actor_device_id }),
      ...(r.subject === null ? {} : { subject: r.subject }),
      ...(r.ip === null ? {} : { ip: r.ip }),
      details: storedDetails(r.data),
      hash: r.hash,
    }));
    return { events, more: rows.length > q.limit };
  }

  /**
   * Reads events after `afterSeq`, oldest first.
   *
   * @example
   * ```ts
   * const page = await events.list({ afterSeq: 0, limit: 100 });
   * ```
   */
  async list(
    options: { afterSeq?: number; limit?: number; type?: string } = {},
  ): Promise<SecurityEventEntry[]> {
    let query = this.#db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', options.afterSeq ?? 0)
      .orderBy('seq', 'asc')
      .limit(Math.min(Math.max(options.limit ?? 100, 1), 1000));
    if (options.type !== undefined) query = query.where('type', '=', options.type);
    const rows = await query.execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: r.at,
      type: r.type,
      actorUserId: r.actor_user_id,
      actorDeviceId: r.actor_device_id,
      subject: r.subject,
      ip: r.ip,
      data: storedDetails(r.data),
      hash: r.hash,
    }));
  }
}
