/**
 * Record ids: random version 4 UUIDs (122 random bits from the system CSPRNG), never sequential,
 * so that ids cannot be walked by counting. A device that creates a record offline proposes its
 * own UUID (sync push); only the canonical lower-case form is accepted.
 */
import { randomUUID } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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

/**
 * Whether `value` is a record id in canonical form (lower-case UUID).
 *
 * @example
 * ```ts
 * isRecordId('3B1F…'); // false: upper case is not canonical
 * ```
 */
export function isRecordId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
