/**
 * Secrets every server node must share (the HMAC keys of DPoP nonces and sync checkpoints): 32
 * random bytes kept in `bulwark_meta`, made by whichever node starts first. The insert does
 * nothing when another node got there first, so all nodes read the same value.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * The secret stored under `key`, created on first use.
 *
 * @example
 * ```ts
 * const secret = await loadSharedSecret(db, 'dpop_nonce_secret');
 * ```
 */
export async function loadSharedSecret(db: Kysely<Database>, key: string): Promise<Buffer> {
  await db
    .insertInto('bulwark_meta')
    .values({ key, value: randomBytes(32).toString('base64url') })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('bulwark_meta')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  return Buffer.from(row.value, 'base64url');
}
