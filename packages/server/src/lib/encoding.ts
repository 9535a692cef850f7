/** Hashing and encoding helpers shared by the identity modules (Node crypto, synchronous). */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Hex SHA-256 of a UTF-8 string. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** base64url SHA-256 of a UTF-8 string (DPoP `ath`). */
export function sha256Base64url(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * True when `segment` is canonical unpadded base64url (RFC 7515 §2): only the URL-safe alphabet,
 * no padding, no impossible length, and unused trailing bits zero, so that exactly one string
 * encodes each byte sequence.
 */
export function isStrictBase64url(segment: string): boolean {
  if (segment.length === 0 || segment.length % 4 === 1 || !BASE64URL.test(segment)) return false;
  return Buffer.from(segment, 'base64url').toString('base64url') === segment;
}

/** Constant-time comparison of two strings of possibly different lengths. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}
