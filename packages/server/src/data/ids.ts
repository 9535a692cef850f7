/**
 * Record ids: random version 4 UUIDs (122 random bits from the system CSPRNG), never sequential,
 * so that ids cannot be walked by counting. A device that creates a record offline proposes its
 * own UUID (sync push); only the canonical lower-case form is accepted.
 */
import { randomUUID } from 'node:crypto';

/** A record id in canonical form (lower-case UUID), as a JSON schema pattern. */
export const RECORD_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const UUID = new RegExp(RECORD_ID_PATTERN);

/**
 * A new record id.
 *
 * @example
 * ```ts
 * const id = newRecordId(); // '3b1f…-…'
 * ```
 */
export function newRecordId(): string {
  return randomUUID();
}

/** RFC 9562 version 4: the version nibble is 4 and the variant bits are 10. */
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Whether `value` may be the id of a new record a device proposes: a canonical random (version 4)
 * UUID. The nil UUID, sequential or time-based versions and hand-picked values are refused, so
 * ids stay unguessable whoever draws them.
 *
 * @example
 * ```ts
 * isNewRecordId('00000000-0000-0000-0000-000000000000'); // false
 * isNewRecordId(crypto.randomUUID()); // true
 * ```
 */
export function isNewRecordId(value: unknown): value is string {
  return typeof value === 'string' && UUID_V4.test(value);
}

/**
 * Whether `value` is a record id in canonical form (lower-case UUID). Looking a record up takes
 * any version: only new ids must be version 4 ({@link isNewRecordId}).
 *
 * @example
 * ```ts
 * isRecordId('3B1F…'); // false: upper case is not canonical
 * ```
 */
export function isRecordId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
