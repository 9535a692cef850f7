/** Hashing and encoding helpers shared by the identity modules (Node crypto, synchronous). */
import { hash, timingSafeEqual } from 'node:crypto';

// One-shot `hash` rather than `createHash`: no Hash object per call (the replay key of every
// authenticated request is one of these).

/** Hex SHA-256 of a UTF-8 string. */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}

/** base64url SHA-256 of a UTF-8 string (DPoP `ath`). */
export function sha256Base64url(value: string): string {
  return hash('sha256', value, 'base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * True when `segment` is canonical unpadded base64url (RFC 7515 §2): only the URL-safe alphabet,
 * no padding, no impossible length, and unused trailing bits zero, so that exactly one string
 * encodes each byte sequence. Runs on every request: it reads the last character's unused bits
 * (4 of them after 2 characters of a final group, 2 after 3) instead of decoding the segment.
 */
export function isStrictBase64url(segment: string): boolean {
  const tail = segment.length % 4;
  if (segment.length === 0 || tail === 1 || !BASE64URL.test(segment)) return false;
  if (tail === 0) return true;
  const last = ALPHABET.indexOf(segment.charAt(segment.length - 1));
  return (last & (tail === 2 ? 0b1111 : 0b11)) === 0;
}

/** Constant-time comparison of two strings of possibly different lengths. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}
