/**
 * The hash chain of the security event log: how one entry's hash is computed from the previous hash and
 * the entry's fields. Shared by the writer (events/log.ts) and the verifier (events/verify.ts).
 */
import { createHash } from 'node:crypto';

/** `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an entry that its hash covers (everything but the hash itself). */
export interface ChainedFields {
  readonly seq: number;
  readonly at: string;
  readonly type: string;
  readonly actor_user_id: string | null;
  readonly actor_device_id: string | null;
  readonly subject: string | null;
  readonly ip: string | null;
  readonly data: string;
  readonly prev_hash: string;
}

/** JSON with object keys sorted at every level, so equal data always serialises the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** SHA-256 (hex) of the previous hash and the entry's fields in a fixed order. */
export function entryHash(fields: ChainedFields): string {
  const body = JSON.stringify([
    fields.seq,
    fields.at,
    fields.type,
    fields.actor_user_id,
    fields.actor_device_id,
    fields.subject,
    fields.ip,
    fields.data,
  ]);
  return createHash('sha256').update(`${fields.prev_hash}\n${body}`, 'utf8').digest('hex');
}
