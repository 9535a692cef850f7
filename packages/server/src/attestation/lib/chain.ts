/**
 * Certificate path checks shared by App Attest and Android key attestation: a linear chain,
 * leaf first, each certificate signed by the next, ending at (or signed by) one of the
 * configured roots, every certificate valid now and every issuer a CA. `@peculiar/x509` parses
 * and verifies the signatures; the path walk is written here because both platforms send the
 * whole chain in order and a general path builder would accept more than they ever send.
 */
import { webcrypto } from 'node:crypto';
import { BasicConstraintsExtension, cryptoProvider, X509Certificate } from '@peculiar/x509';
import { AttestationError } from '../errors.js';

// Node 20 has WebCrypto; @peculiar/x509 types it as the DOM `Crypto`, which this build does not load.
cryptoProvider.set(webcrypto as never);

/** Parses DER or PEM certificates; a certificate that does not parse is `attestation_malformed`. */
export function parseCertificates(items: readonly (Uint8Array | string)[]): X509Certificate[] {
  try {
    return items.map((item) =>
      typeof item === 'string' ? new X509Certificate(item) : new X509Certificate(Uint8Array.from(item)),
    );
  } catch (cause) {
    throw new AttestationError('attestation_malformed', 'A certificate does not parse.', { cause });
  }
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
