/**
 * Wipe receipts: after a revoked device has destroyed its keys and data, it signs a short
 * statement with its device key (JWS, ES256, `typ` bulwark-wipe+jwt, `sub` = device id, `iat`)
 * and posts it. The server checks it against the key registered at enrollment — not a key
 * embedded in the receipt — and moves the device to `wipe_confirmed`.
 *
 * A device that learns of its revocation may lose the network before the receipt goes out; its
 * SDK keeps the receipt and posts it later (its key is gone by then, so it cannot sign anew). So
 * a receipt is accepted up to 30 days after it was signed, but only if it was signed after the
 * revocation (less two minutes of clock skew): one signed earlier, say by a tampered app before
 * any wipe, proves nothing. Replaying a receipt changes nothing (the state is already
 * `wipe_confirmed`), and is not recorded as another confirmation: the route takes no credentials,
 * so anyone holding a receipt could otherwise grow the security event log at will.
 */
import { WIPE_RECEIPT_TYP } from '@bulwark/core/protocol';
import {
  type CryptoKey,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  importJWK,
  type JWK,
  jwtVerify,
} from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { HttpProblem } from '../http/problem.js';
import { isStrictBase64url } from '../lib/encoding.js';

export { WIPE_RECEIPT_TYP } from '@bulwark/core/protocol';

/** Oldest accepted receipt, in seconds: it may have waited for the network on the device. */
const MAX_AGE_SECONDS = 30 * 24 * 3600;
/** Clock skew allowed between the device and the server when comparing with the revocation. */
const SKEW_SECONDS = 120;

let absentKey: Promise<CryptoKey> | undefined;
/** A key no receipt is signed with, stood in for the key of a device that does not exist. */
function absentDeviceKey(): Promise<CryptoKey> {
  absentKey ??= generateKeyPair('ES256').then((pair) => pair.publicKey);
  return absentKey;
}

function invalid(cause?: unknown): HttpProblem {
  return new HttpProblem(400, 'invalid_wipe_receipt', 'The wipe receipt is not valid.', { cause });
}

/** What an accepted receipt did. */
export interface WipeReceiptOutcome {
  readonly deviceId: string;
  /**
   * Whether this receipt moved the device to `wipe_confirmed`; false for a replay of a receipt
   * (or a second one) once the device is confirmed, which changes nothing and is not an event.
   */
  readonly confirmed: boolean;
}

/**
 * Verifies `receipt` and records the wipe.
 *
 * @example
 * ```ts
 * const { deviceId, confirmed } = await acceptWipeReceipt(db, new Date(), jws);
 * ```
 */
export async function acceptWipeReceipt(
  db: Kysely<Database>,
  now: Date,
  receipt: string,
): Promise<WipeReceiptOutcome> {
  const parts = receipt.split('.');
  if (parts.length !== 3 || !parts.every(isStrictBase64url)) throw invalid();
  let sub: unknown;
  try {
    const header = decodeProtectedHeader(receipt);
    if (header.typ !== WIPE_RECEIPT_TYP || header.alg !== 'ES256') throw invalid();
    sub = decodeJwt(receipt).sub;
  } catch (cause) {
    throw cause instanceof HttpProblem ? cause : invalid(cause);
  }
  if (typeof sub !== 'string' || sub.length > 36) throw invalid();
  const device = await db
    .selectFrom('devices')
    .selectAll()
    .where('id', '=', sub.toLowerCase())
    .executeTakeFirst();
  let issuedAt: number;
  try {
    // An unknown id is answered like a bad signature, after the same verification work, so the
    // route cannot be used to learn which device ids exist.
    const key =
      device === undefined
        ? await absentDeviceKey()
        : await importJWK(JSON.parse(device.public_jwk) as JWK, 'ES256');
    const { payload } = await jwtVerify(receipt, key, {
      algorithms: ['ES256'],
      typ: WIPE_RECEIPT_TYP,
      subject: sub.toLowerCase(),
      currentDate: now,
      maxTokenAge: MAX_AGE_SECONDS,
      requiredClaims: ['iat', 'sub'],
    });
    issuedAt = payload.iat as number;
  } catch (cause) {
    throw invalid(cause);
  }
  if (device === undefined) throw invalid();
  if (device.status === 'wipe_confirmed') return { deviceId: device.id, confirmed: false };
  if (device.status !== 'revoked' || device.revoked_at === null) {
    throw new HttpProblem(409, 'device_not_revoked', 'Only a revoked device confirms a wipe.');
  }
  if (issuedAt * 1000 < device.revoked_at - SKEW_SECONDS * 1000) throw invalid();
  // Receipts posted at once all pass the checks above; only the one whose update finds the device
  // still revoked confirms it.
  const updated = await db
    .updateTable('devices')
    .set({ status: 'wipe_confirmed', wiped_at: now.getTime() })
    .where('id', '=', device.id)
    .where('status', '=', 'revoked')
    .executeTakeFirst();
  return { deviceId: device.id, confirmed: Number(updated.numUpdatedRows) > 0 };
}
