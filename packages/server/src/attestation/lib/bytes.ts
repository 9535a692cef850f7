/** Byte helpers of the attestation verifiers (Node crypto). */
import { createHash, timingSafeEqual } from 'node:crypto';

/** SHA-256 of the concatenated parts. */
export function sha256(...parts: readonly Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Constant-time equality of two byte strings (false when lengths differ). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A byte string from CBOR or ASN.1 (Buffer, Uint8Array or ArrayBuffer), else undefined. */
export function asBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return undefined;
}

/**
 * The bytes of an ASN.1 OCTET STRING as @peculiar/asn1-schema hands them over: an
 * `OctetString` object or, for `AsnPropTypes.OctetString` fields, a bare ArrayBuffer.
 */
export function octets(value: unknown): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  const inner = (value as { buffer?: unknown } | null)?.buffer;
  if (inner instanceof ArrayBuffer) return new Uint8Array(inner);
  return new Uint8Array();
}
