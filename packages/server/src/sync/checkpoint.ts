/**
 * Sync checkpoints: opaque to the client, `<seq>.<fingerprint>.<mac>`. The sequence number says
 * how far the device has pulled; the fingerprint says under which rules, projections and claims
 * it pulled (when it no longer matches, the next pull starts over with `reset: true`); the
 * HMAC-SHA256 under a server secret binds both to the device, so a checkpoint cannot be forged,
 * edited or used by another device.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { loadSharedSecret } from '../db/shared-secret.js';
import { safeEqual } from '../lib/encoding.js';
import type { Claims } from '../rules/rule.js';

const SECRET_KEY = 'sync_checkpoint_secret';
const FORMAT = /^(0|[1-9][0-9]{0,15})\.([0-9a-f]{16})\.([A-Za-z0-9_-]{22})$/;

/** A checkpoint as read back from a client. */
export interface Checkpoint {
  readonly seq: number;
  readonly fingerprint: string;
}

/**
 * The fingerprint of what a device may hold: the data model's sync fingerprint and the claims
 * rules can read (role, username, teams).
 *
 * @example
 * ```ts
 * const fp = syncFingerprint(model.syncFingerprint, claims);
 * ```
 */
export function syncFingerprint(modelFingerprint: string, claims: Claims): string {
  const teams = [...claims.teams].sort();
  return createHash('sha256')
    .update(JSON.stringify([modelFingerprint, claims.userId, claims.username, claims.role, teams]))
    .digest('hex')
    .slice(0, 16);
}

/** Issues and checks checkpoints with a secret shared by every node (kept in the database). */
export class CheckpointCodec {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  /**
   * Loads the shared secret, creating it on first start.
   *
   * @example
   * ```ts
   * const codec = await CheckpointCodec.load(db);
   * ```
   */
  static async load(db: Kysely<Database>): Promise<CheckpointCodec> {
    return new CheckpointCodec(await loadSharedSecret(db, SECRET_KEY));
  }

  #mac(deviceId: string, seq: number, fingerprint: string): string {
    return createHmac('sha256', this.#secret)
      .update(`bulwark-checkpoint:${deviceId}:${seq}:${fingerprint}`)
      .digest('base64url')
      .slice(0, 22);
  }

  /**
   * A checkpoint for `deviceId`.
   *
   * @example
   * ```ts
   * codec.encode(deviceId, { seq: 1042, fingerprint });
   * ```
   */
  encode(deviceId: string, checkpoint: Checkpoint): string {
    return `${checkpoint.seq}.${checkpoint.fingerprint}.${this.#mac(deviceId, checkpoint.seq, checkpoint.fingerprint)}`;
  }

  /**
   * Reads a checkpoint sent by `deviceId`; undefined when it is malformed, forged or another
   * device's.
   *
   * @example
   * ```ts
   * const cp = codec.decode(deviceId, body.checkpoint);
   * ```
   */
  decode(deviceId: string, text: string): Checkpoint | undefined {
    const m = FORMAT.exec(text);
    if (m === null) return undefined;
    const seq = Number(m[1]);
    const fingerprint = m[2] as string;
    if (!Number.isSafeInteger(seq) || !safeEqual(this.#mac(deviceId, seq, fingerprint), m[3] as string)) {
      return undefined;
    }
    return { seq, fingerprint };
  }
}
