/**
 * Sync checkpoints: opaque to the client, `<sealed>.<mac>`. The sequence number says how far the
 * device has pulled; the fingerprint says under which rules, projections and claims it pulled
 * (when it no longer matches, the next pull starts over with `reset: true`). Both are sealed: the
 * sequence is the position in the one change sequence of every collection and every user, and in
 * clear it would show any caller how many changes others made between two of its pulls (records
 * it may not see, online-only collections included). The HMAC-SHA256 binds the sealed block to
 * the device, so a checkpoint cannot be forged, edited or used by another device. Both keys are
 * derived from one secret kept in the database and shared by every node.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { loadSharedSecret } from '../db/shared-secret.js';
import { safeEqual } from '../lib/encoding.js';
import type { Claims } from '../rules/rule.js';

const SECRET_KEY = 'sync_checkpoint_secret';
const FORMAT = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/;
/**
 * The clear form issued before checkpoints were sealed, `<seq>.<fingerprint>.<mac>`: still read,
 * so that devices in the field keep their place across the upgrade (their next checkpoint is sealed).
 */
const CLEAR_FORMAT = /^(0|[1-9][0-9]{0,15})\.([0-9a-f]{16})\.([A-Za-z0-9_-]{22})$/;

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

/**
 * Issues and checks checkpoints with a secret shared by every node (kept in the database).
 *
 * The sealed part is one AES-256 block, `seq` (8 bytes, big-endian) then the fingerprint (8
 * bytes), enciphered with the block cipher alone (a pseudorandom permutation of that one block,
 * so no IV to manage): it shows only whether two checkpoints are equal, which their holder knows
 * anyway. The MAC then authenticates the block and the device it was issued to.
 */
export class CheckpointCodec {
  readonly #secret: Buffer;
  readonly #macKey: Buffer;
  readonly #sealKey: Buffer;

  constructor(secret: Buffer) {
    this.#secret = secret;
    this.#macKey = derive(secret, 'bulwark sync checkpoint mac');
    this.#sealKey = derive(secret, 'bulwark sync checkpoint seal');
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

  #mac(deviceId: string, sealed: string): string {
    return createHmac('sha256', this.#macKey)
      .update(`bulwark-checkpoint:${deviceId}:${sealed}`)
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
    const block = Buffer.alloc(16);
    block.writeBigUInt64BE(BigInt(checkpoint.seq), 0);
    block.write(checkpoint.fingerprint, 8, 'hex');
    const cipher = createCipheriv('aes-256-ecb', this.#sealKey, null).setAutoPadding(false);
    const sealed = Buffer.concat([cipher.update(block), cipher.final()]).toString('base64url');
    return `${sealed}.${this.#mac(deviceId, sealed)}`;
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
    if (m === null) return this.#decodeClear(deviceId, text);
    const sealed = m[1] as string;
    if (!safeEqual(this.#mac(deviceId, sealed), m[2] as string)) return undefined;
    const bytes = Buffer.from(sealed, 'base64url');
    // Only the canonical spelling of the 16 bytes (22 characters can spell a few more bits).
    if (bytes.length !== 16 || bytes.toString('base64url') !== sealed) return undefined;
    const decipher = createDecipheriv('aes-256-ecb', this.#sealKey, null).setAutoPadding(false);
    const block = Buffer.concat([decipher.update(bytes), decipher.final()]);
    const seq = Number(block.readBigUInt64BE(0));
    if (!Number.isSafeInteger(seq)) return undefined;
    return { seq, fingerprint: block.subarray(8).toString('hex') };
  }

  /** A checkpoint of the clear form (see {@link CLEAR_FORMAT}), with its MAC under the secret itself. */
  #decodeClear(deviceId: string, text: string): Checkpoint | undefined {
    const m = CLEAR_FORMAT.exec(text);
    if (m === null) return undefined;
    const seq = Number(m[1]);
    const fingerprint = m[2] as string;
    const mac = createHmac('sha256', this.#secret)
      .update(`bulwark-checkpoint:${deviceId}:${seq}:${fingerprint}`)
      .digest('base64url')
      .slice(0, 22);
    if (!Number.isSafeInteger(seq) || !safeEqual(mac, m[3] as string)) return undefined;
    return { seq, fingerprint };
  }
}

/** A 256-bit key for one use, from the shared secret (HKDF-SHA256). */
function derive(secret: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
}
