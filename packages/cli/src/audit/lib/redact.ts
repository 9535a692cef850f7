/**
 * Redaction of evidence: a finding shows the documented public prefix of a token (e.g. `sk_live_`),
 * never a character of its secret part, plus its length. Used by every output format.
 */

/**
 * Redacts `secret`, keeping only its first `keep` characters (a public prefix).
 *
 * @example
 * ```ts
 * redact('sk_live_abcdefghijklmnopqrstuvwx', 8); // 'sk_live_•••••• (32 chars)'
 * ```
 */
export function redact(secret: string, keep: number): string {
  const shown = secret.slice(0, Math.max(0, Math.min(keep, secret.length - 8)));
  return `${shown}•••••• (${secret.length} chars)`;
}
