/**
 * Certificate pinning for Node and Electron: a `fetch` whose TLS connections are accepted only
 * when the normal certificate checks pass AND a certificate whose signatures link it to the leaf
 * has a public key (SHA-256 of its DER SubjectPublicKeyInfo, base64, as in Android's network
 * security config) among the pins. At least two pins are required (the current key and a
 * backup), so a key rotation never locks the app out. It reads the SDK pin configuration that
 * `bulwark pins --emit sdk` writes (docs/pins.md): pins for one host, and an expiry after which
 * they are no longer enforced. Built on undici's Agent (`connect.checkServerIdentity`).
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';
import * as tls from 'node:tls';
import type { SdkPinConfig } from '@bulwark/core/protocol';
import type { Agent } from 'undici';
import { ConfigError, InvalidArgumentError } from '../errors.js';
import { PinMismatchError } from '../transport/errors.js';

const PIN = /^(?:sha256\/)?([A-Za-z0-9+/]{43}=)$/;

/**
 * The SPKI SHA-256 pin of a certificate (PEM text or DER bytes), base64.
 *
 * @example
 * ```ts
 * const pin = spkiPin(readFileSync('server.pem', 'utf8')); // 'Xy…='
 * ```
 */
export function spkiPin(certificate: string | Uint8Array): string {
  return pinOf(new X509Certificate(typeof certificate === 'string' ? certificate : Buffer.from(certificate)));
}

function pinOf(x509: X509Certificate): string {
  const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

export type { SdkPinConfig } from '@bulwark/core/protocol';

/**
 * Options of {@link createPinnedFetch}.
 *
 * @example
 * ```ts
 * const options: PinnedFetchOptions = { pins: [currentPin, backupPin], host: 'api.example.com' };
 * ```
 */
export interface PinnedFetchOptions {
  /** SPKI SHA-256 pins, base64 with or without the `sha256/` prefix; at least two. */
  readonly pins: readonly string[];
  /** The host the pins apply to (exact match); other hosts get normal validation only. Default: every host. */
  readonly host?: string;
  /** After this instant the pins are no longer enforced (normal validation continues). */
  readonly expires?: string | Date;
  /**
   * Extra trusted CA certificates (PEM), e.g. a private CA, added to Node's default CAs (as
   * `bulwark pins --ca` does). Default: Node's default CAs only.
   */
  readonly ca?: string | readonly string[];
  /** Milliseconds since the epoch, for the expiry. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Options for {@link createPinnedFetch} from the configuration `bulwark pins --emit sdk` wrote.
 *
 * @example
 * ```ts
 * const fetch = createPinnedFetch(pinOptionsFromConfig(JSON.parse(readFileSync('pins.json', 'utf8'))));
 * ```
 */
export function pinOptionsFromConfig(config: SdkPinConfig): PinnedFetchOptions {
  if (typeof config?.host !== 'string' || !Array.isArray(config.pins) || !Array.isArray(config.backupPins)) {
    throw new ConfigError('not an SDK pin configuration');
  }
  if (config.backupPins.length === 0) throw new ConfigError('the pin configuration has no backup pin');
  // Required, as `bulwark pins --emit sdk` always writes it (docs/pins.md): a
  // configuration without one would pin forever.
  if (typeof config.expires !== 'string' || Number.isNaN(new Date(config.expires).getTime())) {
    throw new ConfigError('the pin configuration has no valid expires date');
  }
  return {
    pins: [...config.pins, ...config.backupPins],
    host: config.host.toLowerCase(),
    expires: config.expires,
  };
}

// Longer chains than this are not real server chains; the walk stops rather than loop.
const MAX_CHAIN = 10;

/**
 * The certificates whose signatures link them to the leaf: the leaf, the certificate whose key
 * signed it, the one whose key signed that, and so on, stopping at the first link that does not
 * verify. Node reports the peer chain to `checkServerIdentity` by matching issuer and subject
 * names (and key identifiers), not signatures, so a server can append a real intermediate that
 * never signed its leaf; only a verified signature proves that a key stands behind the leaf.
 */
function signedChain(peer: PeerCertificate): X509Certificate[] {
  if (peer.raw === undefined) return [];
  const out = [new X509Certificate(peer.raw)];
  let current = peer as DetailedPeerCertificate;
  while (out.length < MAX_CHAIN) {
    const issuer: DetailedPeerCertificate | undefined = current.issuerCertificate;
    if (issuer === undefined || issuer === current || issuer.raw === undefined) break;
    const child = out[out.length - 1] as X509Certificate;
    const parent = new X509Certificate(issuer.raw);
    if (parent.raw.equals(child.raw)) break;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) break;
    out.push(parent);
    current = issuer;
  }
  return out;
}

/**
 * The CAs a pinned connection trusts: Node's default ones plus `extra`. Node's `ca` option
 * replaces the default store, so the defaults are listed explicitly; `tls.getCACertificates`
 * (Node 22.15 and later) also returns those of NODE_EXTRA_CA_CERTS, which `tls.rootCertificates`
 * (Node's bundled Mozilla list) does not.
 */
function trustedCas(extra: string | readonly string[]): string[] {
  const defaults = (tls as { getCACertificates?: (type?: string) => string[] }).getCACertificates;
  return [
    ...(typeof defaults === 'function' ? defaults('default') : tls.rootCertificates),
    ...(typeof extra === 'string' ? [extra] : extra),
  ];
}

function isRequest(input: unknown): input is Request {
  return (
    typeof input === 'object' &&
    input !== null &&
    !(input instanceof URL) &&
    typeof (input as Request).url === 'string' &&
    typeof (input as Request).arrayBuffer === 'function'
  );
}

/** What `fetch(request, init)` sends, per the Fetch standard: the request's fields, then `init`'s. */
async function requestInit(request: Request, init: RequestInit | undefined): Promise<RequestInit> {
  const body = init?.body !== undefined || request.body === null ? {} : { body: await request.arrayBuffer() };
  const headers: [string, string][] = [];
  request.headers.forEach((value, name) => {
    headers.push([name, value]);
  });
  return {
    method: request.method,
    headers,
    redirect: request.redirect,
    signal: request.signal,
    keepalive: request.keepalive,
    ...body,
    ...init,
  };
}

/**
 * A `fetch` that refuses servers whose leaf is not linked by verified signatures to a pinned key
 * (`pin_mismatch`). Takes a URL or a `Request` (its method, headers and body are sent).
 *
 * @example
 * ```ts
 * const transport = new Transport({ baseUrl, fetch: createPinnedFetch({ pins }), deviceKey, sessions, posture });
 * ```
 */
export function createPinnedFetch(options: PinnedFetchOptions): typeof globalThis.fetch {
  const pins = new Set<string>();
  for (const pin of options.pins) {
    const match = typeof pin === 'string' ? PIN.exec(pin) : null;
    if (match === null) throw new ConfigError('pins are base64 SHA-256 digests (44 characters)');
    pins.add(match[1] as string);
  }
  if (pins.size < 2) throw new ConfigError('pin at least two keys: the current one and a backup');
  const expires = options.expires === undefined ? undefined : new Date(options.expires).getTime();
  if (expires !== undefined && Number.isNaN(expires)) throw new ConfigError('expires is not a date');
  const host = options.host?.toLowerCase();
  const now = options.now ?? Date.now;
  // undici is loaded on first use: processes that never pin do not pay for it at start-up.
  let ready: Promise<{ agent: Agent; fetch: typeof import('undici').fetch }> | undefined;
  const load = async () => {
    const undici = await import('undici');
    const agent = new undici.Agent({
      connect: {
        ...(options.ca === undefined ? {} : { ca: trustedCas(options.ca) }),
        checkServerIdentity(hostname: string, cert: PeerCertificate): Error | undefined {
          const identity = tls.checkServerIdentity(hostname, cert);
          if (identity !== undefined) return identity;
          if (host !== undefined && hostname.toLowerCase() !== host) return undefined;
          if (expires !== undefined && now() > expires) return undefined;
          for (const x509 of signedChain(cert)) if (pins.has(pinOf(x509))) return undefined;
          return new PinMismatchError();
        },
      },
    });
    return { agent, fetch: undici.fetch };
  };
  const pinned = async (input: string | URL | Request, init?: RequestInit) => {
    let url: URL;
    try {
      url = new URL(isRequest(input) ? input.url : String(input));
    } catch {
      throw new InvalidArgumentError('not an absolute URL');
    }
    // The parsed scheme is lower case whatever was written (`HTTPS://` is https).
    if (url.protocol !== 'https:') throw new InvalidArgumentError('a pinned fetch only speaks https');
    const sent = isRequest(input) ? await requestInit(input, init) : init;
    ready ??= load();
    const { agent, fetch } = await ready;
    return fetch(url, { ...(sent as object), dispatcher: agent } as Parameters<typeof fetch>[1]);
  };
  return pinned as unknown as typeof globalThis.fetch;
}
