/**
 * Certificate path checks shared by App Attest and Android key attestation: a linear chain,
 * leaf first, each certificate signed by the next, ending at (or signed by) one of the
 * configured roots, every certificate valid now and every issuer a CA. `@peculiar/x509` parses
 * and verifies the signatures; the path walk is written here because both platforms send the
 * whole chain in order and a general path builder would accept more than they ever send.
 */
import { webcrypto } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { BasicConstraintsExtension, cryptoProvider, X509Certificate } from '@peculiar/x509';
import { AttestationError } from '../errors.js';

// Node 20 has WebCrypto; @peculiar/x509 types it as the DOM `Crypto`, which this build does not load.
cryptoProvider.set(webcrypto as never);

/** Parses DER or PEM certificates; a certificate that does not parse is `attestation_malformed`. */
export function parseCertificates(items: readonly (Uint8Array | string)[]): X509Certificate[] {
  return items.map((item) => {
    let cert: X509Certificate;
    let canonical: Buffer;
    try {
      cert =
        typeof item === 'string' ? new X509Certificate(item) : new X509Certificate(Uint8Array.from(item));
      canonical = Buffer.from(AsnConvert.serialize(AsnConvert.parse(cert.rawData, Certificate)));
    } catch (cause) {
      throw new AttestationError('attestation_malformed', 'A certificate does not parse.', { cause });
    }
    // DER only: a certificate re-encodes to its own bytes. Signatures cover the TBS part alone, so
    // a tolerant parser would let the same certificate travel in many spellings.
    if (!canonical.equals(Buffer.from(cert.rawData))) {
      throw new AttestationError('attestation_malformed', 'A certificate is not in DER.');
    }
    // The signature of an ECDSA certificate is itself DER (two integers) inside a bit string
    // that the certificate's own encoding treats as opaque; WebCrypto's conversion of it is
    // lenient, so it is checked here.
    if (
      (cert.signatureAlgorithm as { name?: string }).name === 'ECDSA' &&
      !isDerEcdsaSignature(new Uint8Array(cert.signature))
    ) {
      throw new AttestationError('attestation_malformed', 'A certificate signature is not in DER.');
    }
    return cert;
  });
}

/**
 * True when `bytes` is exactly `SEQUENCE { INTEGER r, INTEGER s }` in DER: definite minimal
 * lengths, minimal positive integers, nothing after. Written by hand: a few checks, and the
 * ASN.1 libraries at hand decode leniently, which is the point of the check.
 */
function isDerEcdsaSignature(bytes: Uint8Array): boolean {
  let at = 0;
  const length = (): number => {
    const first = bytes[at++];
    if (first === undefined) return -1;
    if (first < 0x80) return first;
    if (first !== 0x81) return -1;
    const value = bytes[at++];
    return value !== undefined && value >= 0x80 ? value : -1;
  };
  const integer = (): boolean => {
    if (bytes[at++] !== 0x02) return false;
    const n = length();
    if (n < 1 || at + n > bytes.length) return false;
    const lead = bytes[at] as number;
    const next = n > 1 ? (bytes[at + 1] as number) : 0;
    if (lead & 0x80) return false;
    if (lead === 0 && n > 1 && !(next & 0x80)) return false;
    at += n;
    return true;
  };
  if (bytes[at++] !== 0x30) return false;
  const total = length();
  if (total < 0 || at + total !== bytes.length) return false;
  return integer() && integer() && at === bytes.length;
}

const sameBytes = (a: ArrayBuffer, b: ArrayBuffer) => Buffer.from(a).equals(Buffer.from(b));

async function signedBy(cert: X509Certificate, issuer: X509Certificate): Promise<boolean> {
  if (cert.issuer !== issuer.subject) return false;
  try {
    return await cert.verify({ publicKey: issuer, signatureOnly: true });
  } catch {
    return false;
  }
}

async function findIssuer(
  cert: X509Certificate,
  roots: readonly X509Certificate[],
): Promise<X509Certificate | undefined> {
  for (const root of roots) if (await signedBy(cert, root)) return root;
  return undefined;
}

/**
 * Verifies `chain` (leaf first) up to one of `roots` at `nowMs`. Throws `attestation_wrong_root`
 * when a signature or the anchor does not match, `attestation_certificate_expired` when a
 * certificate is outside its validity, `attestation_malformed` for an issuer that is not a CA.
 *
 * @example
 * ```ts
 * await verifyChain(parseCertificates(x5c), parseCertificates([APPLE_APP_ATTESTATION_ROOT]), Date.now());
 * ```
 */
export async function verifyChain(
  chain: readonly X509Certificate[],
  roots: readonly X509Certificate[],
  nowMs: number,
): Promise<void> {
  try {
    await walkChain(chain, roots, nowMs);
  } catch (cause) {
    if (cause instanceof AttestationError) throw cause;
    // Names, keys and extensions are decoded on first use: a field that does not decode is a
    // malformed certificate, never an internal error.
    throw new AttestationError('attestation_malformed', 'A certificate does not decode.', { cause });
  }
}

async function walkChain(
  chain: readonly X509Certificate[],
  roots: readonly X509Certificate[],
  nowMs: number,
): Promise<void> {
  if (chain.length === 0 || chain.length > 10) {
    throw new AttestationError('attestation_malformed', 'The certificate chain is empty or too long.');
  }
  for (let i = 0; i + 1 < chain.length; i += 1) {
    const cert = chain[i] as X509Certificate;
    const issuer = chain[i + 1] as X509Certificate;
    if (!(await signedBy(cert, issuer))) {
      throw new AttestationError('attestation_wrong_root', 'The certificate chain is broken.');
    }
    const constraints = issuer.getExtension(BasicConstraintsExtension);
    if (constraints === null || !constraints.ca) {
      throw new AttestationError('attestation_malformed', 'An issuing certificate is not a CA.');
    }
  }
  const top = chain[chain.length - 1] as X509Certificate;
  // A chain may end with its own copy of the root. Trust comes from the configured root with the
  // same name and key, so that copy's validity dates do not matter (Android devices still ship
  // copies of Google's first root, which expired in 2026, whose key the re-issued roots keep);
  // the configured root's dates do.
  const copyOf = roots.find(
    (root) => sameBytes(root.publicKey.rawData, top.publicKey.rawData) && top.subject === root.subject,
  );
  const anchor = copyOf ?? (await findIssuer(top, roots));
  if (anchor === undefined) {
    throw new AttestationError('attestation_wrong_root', 'The chain does not end at a trusted root.');
  }
  const checked = copyOf === undefined ? [...chain, anchor] : [...chain.slice(0, -1), anchor];
  for (const cert of checked) {
    if (nowMs < cert.notBefore.getTime() || nowMs > cert.notAfter.getTime()) {
      throw new AttestationError(
        'attestation_certificate_expired',
        'A certificate of the chain is not valid now.',
      );
    }
  }
}
