/**
 * Certificate pinning for Node and Electron: a `fetch` whose TLS connections are accepted only
 * when the normal certificate checks pass AND the server certificate's public key (SHA-256 of
 * its DER SubjectPublicKeyInfo, base64, as in HPKP and Android's network security config) is one
 * of the pins. At least two pins are required (the current key and a backup), so a key
 * rotation never locks the app out. Built on undici's Agent (`connect.checkServerIdentity`).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { Agent } from 'undici';
import { InvalidArgumentError } from '../errors.js';
import { PinMismatchError } from '../transport/errors.js';

const PIN = /^[A-Za-z0-9+/]{43}=$/;

/**
 * The SPKI SHA-256 pin of a certificate (PEM text or DER bytes).
 *
 * @example
 * ```ts
 * const pin = spkiPin(readFileSync('server.pem', 'utf8')); // 'Xy…='
 * ```
 */
export function spkiPin(certificate: string | Uint8Array): string {
  const x509 = new X509Certificate(typeof certificate === 'string' ? certificate : Buffer.from(certificate));
  const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/**
 * Options of {@link createPinnedFetch}.
 *
 * @example
 * ```ts
 * const options: PinnedFetchOptions = { pins: [currentPin, backupPin] };
 * ```
 */
export interface PinnedFetchOptions {
  /** Base64 SHA-256 SPKI pins; at least two (current and backup). */
  readonly pins: readonly string[];
  /** Extra trusted CA certificates (PEM), e.g. a private CA. Default: Node's bundle. */
  readonly ca?: string | readonly string[];
}

/**
 * A `fetch` that refuses servers whose key is not pinned (`pin_mismatch`).
 *
 * @example
 * ```ts
 * const transport = new Transport({ baseUrl, fetch: createPinnedFetch({ pins }), deviceKey, sessions, posture });
 * ```
 */
export function createPinnedFetch(options: PinnedFetchOptions): typeof globalThis.fetch {
  const pins = new Set(options.pins);
  if (pins.size < 2) throw new InvalidArgumentError('pin at least two keys: the current one and a backup');
  for (const pin of pins) {
    if (!PIN.test(pin)) throw new InvalidArgumentError('pins are base64 SHA-256 digests (44 characters)');
  }
  // undici is loaded on first use: processes that never pin do not pay for it at start-up.
  let ready: Promise<{ agent: Agent; fetch: typeof import('undici').fetch }> | undefined;
  const load = async () => {
    const undici = await import('undici');
    const agent = new undici.Agent({
      connect: {
        ...(options.ca === undefined
          ? {}
          : { ca: typeof options.ca === 'string' ? options.ca : [...options.ca] }),
        checkServerIdentity(hostname: string, cert: PeerCertificate): Error | undefined {
          const identity = checkServerIdentity(hostname, cert);
          if (identity !== undefined) return identity;
          if (cert.raw === undefined || !pins.has(spkiPin(cert.raw))) return new PinMismatchError();
          return undefined;
        },
      },
    });
    return { agent, fetch: undici.fetch };
  };
  const pinned = async (input: string | URL | Request, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : input.toString();
    if (!url.startsWith('https:')) throw new InvalidArgumentError('a pinned fetch only speaks https');
    ready ??= load();
    const { agent, fetch } = await ready;
    return fetch(url, { ...(init as object), dispatcher: agent } as Parameters<typeof fetch>[1]);
  };
  return pinned as unknown as typeof globalThis.fetch;
}
