/**
 * What to pin. The leaf's key is the primary pin; the issuing CA's key (the first intermediate
 * of the chain whose signatures verify from the leaf) is a backup that survives a leaf key change
 * under the same CA; spare keys you hold offline (`--backup-key` / `--backup-pin`) are the
 * backups that survive a change of CA too. Root CA keys are never recommended: every certificate
 * that CA issues would match. Without any backup the recommendation is refused, because one
 * rotated key would lock every installed app out.
 * The expiration (Android pin-set, SDK config) defaults to the earliest expiry of the pinned
 * certificates: after it the pins fail open instead of bricking old installs.
 */

import type { ChainCertificate } from './chain.js';
import { PinsInputError } from './errors.js';

/**
 * A pin with what it pins.
 *
 * @example
 * ```ts
 * const pin: Pin = { pin: 'r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=', role: 'leaf', label: 'CN=api.example.com' };
 * ```
 */
export interface Pin {
  pin: string;
  role: 'leaf' | 'intermediate' | 'spare';
  label: string;
}

/**
 * A recommendation for one host.
 *
 * @example
 * ```ts
 * const rec = recommendPins('api.example.com', chain.certificates, [], new Date());
 * ```
 */
export interface PinRecommendation {
  host: string;
  primary: Pin[];
  backup: Pin[];
  /** Pin-set expiration (UTC midnight). */
  expires: Date;
  warnings: string[];
}

/**
 * Formats a date as `YYYY-MM-DD` (UTC).
 *
 * @example
 * ```ts
 * isoDay(new Date('2027-03-01T12:00:00Z')); // '2027-03-01'
 * ```
 */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Recommends pins for `host` from its chain (leaf first) and spare pins.
 *
 * @example
 * ```ts
 * const rec = recommendPins('api.example.com', certificates, ['spare-pin-base64='], new Date());
 * ```
 */
export function recommendPins(
  host: string,
  chain: readonly ChainCertificate[],
  spares: readonly string[],
  now: Date,
  expires?: Date,
): PinRecommendation {
  const leaf = chain[0];
  if (leaf === undefined) throw new PinsInputError(`${host}: empty certificate chain.`);
  const warnings: string[] = [];
  const primary: Pin[] = [{ pin: leaf.pin, role: 'leaf', label: leaf.subject }];
  const backup: Pin[] = [];
  const intermediate = chain.slice(1).find((c) => c.isCA && !c.selfSigned);
  if (intermediate !== undefined)
    backup.push({ pin: intermediate.pin, role: 'intermediate', label: intermediate.subject });
  for (const spare of spares) {
    if (spare === leaf.pin || backup.some((b) => b.pin === spare)) continue;
    backup.push({ pin: spare, role: 'spare', label: 'spare key (not in use)' });
  }
  if (backup.length === 0) {
    throw new PinsInputError(
      `${host}: no backup pin possible (no intermediate CA signed the leaf). Generate a spare key pair, keep it offline and pass it with --backup-key or --backup-pin.`,
    );
  }
  if (!backup.some((b) => b.role === 'spare')) {
    warnings.push(
      'no spare key: a change of CA would lock the app out; add one with --backup-key or --backup-pin.',
    );
  }
  const pinned = [leaf, ...(intermediate === undefined ? [] : [intermediate])];
  const earliest = new Date(Math.min(...pinned.map((c) => c.validTo.getTime())));
  const chosen = expires ?? new Date(`${isoDay(earliest)}T00:00:00Z`);
  if (chosen.getTime() <= now.getTime()) {
    warnings.push(`the expiration ${isoDay(chosen)} is not in the future: the pins would be ignored.`);
  }
  for (const c of chain) {
    if (c.validTo.getTime() <= now.getTime()) warnings.push(`${c.subject} expired on ${isoDay(c.validTo)}.`);
  }
  return { host, primary, backup, expires: chosen, warnings };
}
