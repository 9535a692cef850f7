/**
 * Fetches a server's certificate chain over TLS with node:tls and describes each certificate.
 * The chain is verified against the system CAs (plus `ca` when given) and the host name before
 * any pin is computed: pinning what an interceptor served would lock the app to the attacker.
 * The chain shown is the one whose signatures verify from the leaf upward, not the one Node
 * reports: Node links certificates by issuer and subject names, so an interceptor can append the
 * real intermediate to its own leaf and have it listed as the issuer.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { PeerCertificate } from 'node:tls';
import * as tls from 'node:tls';
import { PinsConnectError, PinsUntrustedError } from './errors.js';
import { spkiPin } from './spki.js';

/**
 * One certificate of the chain, leaf first.
 *
 * @example
 * ```ts
 * const [leaf] = (await fetchChain({ host: 'example.com', port: 443 })).certificates;
 * console.log(leaf.subject, leaf.pin);
 * ```
 */
export interface ChainCertificate {
  subject: string;
  issuer: string;
  validFrom: Date;
  validTo: Date;
  /** e.g. `RSA 2048`, `EC P-256`, `Ed25519`. */
  keyType: string;
  /** SPKI-SHA256, base64. */
  pin: string;
  /** SHA-256 fingerprint of the certificate (not of the key). */
  fingerprint256: string;
  isCA: boolean;
  selfSigned: boolean;
  pem: string;
}

/** Result of a fetch. */
export interface FetchedChain {
  host: string;
  port: number;
  /** Leaf first, each certificate signed by the key of the next. */
  certificates: ChainCertificate[];
  /** Certificates the server sent (or Node matched by name) that sign nothing in the chain. */
  ignored: ChainCertificate[];
  /** False only with `insecure`, when the chain did not verify. */
  verified: boolean;
  verifyError?: string;
}

/** Where and how to connect. */
export interface FetchChainOptions {
  host: string;
  port: number;
  /** Extra trusted CA certificates (PEM), added to the system ones. */
  ca?: string[];
  /** Skip verification (prints pins of whatever is served). */
  insecure?: boolean;
  timeoutMs?: number;
}

/**
 * Describes a certificate.
 *
 * @example
 * ```ts
 * describeCertificate(new X509Certificate(pem)).keyType; // 'EC P-256'
 * ```
 */
export function describeCertificate(cert: X509Certificate): ChainCertificate {
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const type = key.asymmetricKeyType ?? 'unknown';
  const keyType =
    type === 'rsa' || type === 'rsa-pss'
      ? `RSA ${details.modulusLength ?? '?'}`
      : type === 'ec'
        ? `EC ${details.namedCurve === 'prime256v1' ? 'P-256' : details.namedCurve === 'secp384r1' ? 'P-384' : details.namedCurve === 'secp521r1' ? 'P-521' : (details.namedCurve ?? '?')}`
        : type === 'ed25519'
          ? 'Ed25519'
          : type === 'ed448'
            ? 'Ed448'
            : type;
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    validFrom: new Date(cert.validFrom),
    validTo: new Date(cert.validTo),
    keyType,
    pin: spkiPin(cert),
    fingerprint256: cert.fingerprint256,
    isCA: cert.ca,
    selfSigned: cert.subject === cert.issuer && cert.checkIssued(cert),
    pem: cert.toString(),
  };
}

// Longer chains than this are not real server chains; the walks stop rather than loop.
const MAX_CHAIN = 10;

function signs(parent: X509Certificate, child: X509Certificate): boolean {
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

/** What Node reports, leaf first, by following `issuerCertificate` (linked by names only). */
function reported(peer: PeerCertificate & { issuerCertificate?: PeerCertificate }): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = peer;
  while (current?.raw !== undefined && !seen.has(current.fingerprint256) && out.length < MAX_CHAIN) {
    seen.add(current.fingerprint256);
    out.push(new X509Certificate(current.raw));
    current = current.issuerCertificate as typeof current | undefined;
  }
  return out;
}

/**
 * The chain from the leaf upward in which each certificate's signature verifies with the next
 * one's key: first from the certificates reported for the connection (`sent`: leaf first, what
 * the server sent and what Node matched to it by name), then, where those end before a
 * self-signed root, from the trusted CAs. The rest of `sent` is returned apart, never pinned.
 *
 * @example
 * ```ts
 * const { chain, ignored } = signedChain([leaf, intermediate], [root]);
 * ```
 */
export function signedChain(
  sent: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
): { chain: X509Certificate[]; ignored: X509Certificate[] } {
  const [leaf] = sent;
  if (leaf === undefined) return { chain: [], ignored: [] };
  const chain = [leaf];
  const pool = sent.slice(1);
  while (chain.length < MAX_CHAIN) {
    const child = chain[chain.length - 1] as X509Certificate;
    if (chain.length > 1 && signs(child, child)) break;
    const next =
      pool.find((c) => !chain.includes(c) && signs(c, child)) ??
      anchors.find((c) => !chain.some((k) => k.raw.equals(c.raw)) && signs(c, child));
    if (next === undefined) break;
    chain.push(next);
  }
  return { chain, ignored: pool.filter((c) => !chain.includes(c)) };
}

/**
 * Node's default CAs plus `extra`, as the SDK's pinned fetch trusts them. Node's `ca` option
 * replaces the default store; `tls.getCACertificates` (Node 22.15 and later) also returns those of
 * NODE_EXTRA_CA_CERTS, which `tls.rootCertificates` (the bundled Mozilla list) does not.
 */
function trustedCas(extra: readonly string[]): string[] {
  const defaults = (tls as { getCACertificates?: (type?: string) => string[] }).getCACertificates;
  return [...(typeof defaults === 'function' ? defaults('default') : tls.rootCertificates), ...extra];
}

function anchorsOf(ca: readonly string[] | undefined): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const pem of trustedCas(ca ?? [])) {
    // A --ca file may hold several certificates, and X509Certificate reads one: parse each block.
    for (const block of pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []) {
      try {
        out.push(new X509Certificate(block));
      } catch {
        // Not a certificate: it can anchor nothing.
      }
    }
  }
  return out;
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * Connects, verifies and returns the chain the server presents.
 *
 * @example
 * ```ts
 * const chain = await fetchChain({ host: 'api.example.com', port: 443 });
 * ```
 */
export function fetchChain(options: FetchChainOptions): Promise<FetchedChain> {
  const { host, port } = options;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host,
      port,
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ...(options.ca === undefined ? {} : { ca: trustedCas(options.ca) }),
      rejectUnauthorized: options.insecure !== true,
      timeout: options.timeoutMs ?? 10_000,
    });
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(err);
    };
    socket.once('timeout', () =>
      fail(new PinsConnectError(`${where}: no TLS handshake within ${options.timeoutMs ?? 10_000} ms.`)),
    );
    socket.once('error', (err: Error & { code?: string }) => {
      const code = err.code ?? '';
      if (UNTRUSTED.has(code)) {
        fail(
          new PinsUntrustedError(
            `${where}: the certificate chain does not verify (${code}); pass the CA with --ca, or --insecure to print pins of an unverified chain.`,
            { cause: err },
          ),
        );
      } else {
        fail(new PinsConnectError(`${where}: ${code || err.message}.`, { cause: err }));
      }
    });
    socket.once('secureConnect', () => {
      if (settled) return;
      settled = true;
      const peer = socket.getPeerCertificate(true);
      const verifyError = socket.authorizationError === null ? undefined : String(socket.authorizationError);
      socket.end();
      const { chain, ignored } = signedChain(reported(peer), anchorsOf(options.ca));
      if (chain.length === 0) {
        reject(new PinsConnectError(`${where}: the server sent no certificate.`));
        return;
      }
      const result: FetchedChain = {
        host,
        port,
        certificates: chain.map(describeCertificate),
        ignored: ignored.map(describeCertificate),
        verified: socket.authorized,
      };
      if (verifyError !== undefined) result.verifyError = verifyError;
      resolve(result);
    });
  });
}
