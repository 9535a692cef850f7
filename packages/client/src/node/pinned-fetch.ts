/**
 * Certificate pinning for Node and Electron: a `fetch` whose TLS connections are accepted only
 * when the normal certificate checks pass AND a certificate of the verified chain has a public
 * key (SHA-256 of its DER SubjectPublicKeyInfo, base64, as in Android's network security config)
 * among the pins. At least two pins are required (the current key and a backup), so a key
 * rotation never locks the app out. It reads the SDK pin configuration that `bulwark pins --emit
 * sdk` writes (docs/pins.md): pins for one host, and an expiry after which they are no longer
 * enforced. Built on undici's Agent (`connect.checkServerIdentity`).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { checkServerIdentity, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls';
import type { Agent } from 'undici';
import { InvalidArgumentError } from '../errors.js';
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
  const x509 = new X509Certificate(typeof certificate === 'string' ? certificate : Buffer.from(certificate));
  const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/**
 * The SDK pin configuration written by `bulwark pins --emit sdk`.
 *
 * @example
 * ```ts
 * const config: SdkPinConfig = JSON.parse(readFileSync('pins.json', 'utf8'));
 * ```
 */
export interface SdkPinConfig {
  readonly host: string;
  readonly pins: readonly string[];
  readonly backupPins: readonly string[];
  readonly expires?: string;
}

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
  /** Extra trusted CA certificates (PEM), e.g. a private CA. Default: Node's bundle. */
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
    throw new InvalidArgumentError('not an SDK pin configuration');
  }
  if (config.backupPins.length === 0)
    throw new InvalidArgumentError('the pin configuration has no backup pin');
  return {
    pins: [...config.pins, ...config.backupPins],
    host: config.host.toLowerCase(),
    ...(config.expires === undefined ? {} : { expires: config.expires }),
  };
}

function chain(cert: PeerCertificate): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<PeerCertificate>();
  let current: PeerCertificate | undefined = cert;
  while (current !== undefined && !seen.has(current)) {
    seen.add(current);
    if (current.raw !== undefined) out.push(current.raw);
    const issuer: DetailedPeerCertificate | undefined = (current as DetailedPeerCertificate)
      .issuerCertificate;
    current = issuer === current ? undefined : issuer;
  }
  return out;
}

/**
 * A `fetch` that refuses servers whose chain carries no pinned key (`pin_mismatch`).
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
    if (match === null) throw new InvalidArgumentError('pins are base64 SHA-256 digests (44 characters)');
    pins.add(match[1] as string);
  }
  if (pins.size < 2) throw new InvalidArgumentError('pin at least two keys: the current one and a backup');
  const expires = options.expires === undefined ? undefined : new Date(options.expires).getTime();
  if (expires !== undefined && Number.isNaN(expires)) throw new InvalidArgumentError('expires is not a date');
  const host = options.host?.toLowerCase();
  const now = options.now ?? Date.now;
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
          if (host !== undefined && hostname.toLowerCase() !== host) return undefined;
          if (expires !== undefined && now() > expires) return undefined;
          for (const raw of chain(cert)) if (pins.has(spkiPin(raw))) return undefined;
          return new PinMismatchError();
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
