/**
 * DPoP `htu` comparison (RFC 9449 §4.3 check 9): the proof's URI and the request's URI are
 * compared without query and fragment, after syntax- and scheme-based normalisation (scheme and
 * host lower case, default port removed, dot segments resolved, percent-encoding of unreserved
 * characters decoded) as WHATWG URL parsing does.
 */
import { LruMap } from '../lib/lru.js';

/**
 * The normalised form of `uri`, or undefined when it is not an absolute http(s) URI.
 *
 * @example
 * ```ts
 * normalizeHtu('HTTPS://API.Example.com:443/a/../me?x=1#f'); // 'https://api.example.com/me'
 * ```
 */
export function normalizeHtu(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  const path = url.pathname.replace(/%[0-9a-fA-F]{2}/g, (pct) => {
    const ch = String.fromCharCode(Number.parseInt(pct.slice(1), 16));
    return /[A-Za-z0-9\-._~]/.test(ch) ? ch : pct.toUpperCase();
  });
  return `${url.protocol}//${url.host}${path}`;
}

/**
 * A path that URL normalisation leaves as it is: only unreserved characters and slashes (no
 * percent-encoding, query, fragment or backslash) and no `.` or `..` segment.
 */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~/]*$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

/**
 * Normalised origins by the origin text of requests (`scheme://Host`) or of the public URL;
 * `null` when the text is not a bare usable origin (a Host value with a path, say), and the
 * whole URI must then be normalised. Bounded: Host is the client's choice.
 */
const origins = new LruMap<string, string | null>(256);

function normalizedOrigin(origin: string): string | null {
  const known = origins.get(origin);
  if (known !== undefined) return known;
  const root = normalizeHtu(`${origin}/`);
  let result: string | null = null;
  if (root !== undefined) {
    // Only what the origin text alone makes the root URI: no path, query or fragment of its own.
    const url = new URL(`${origin}/`);
    result = url.pathname === '/' && url.search === '' && url.hash === '' ? root.slice(0, -1) : null;
  }
  origins.set(origin, result);
  return result;
}

/** `new URL(publicUrl).origin`, by public URL (configuration: a handful of values). */
const publicOrigins = new LruMap<string, string>(16);

/**
 * The URI a request was made to: the configured public URL's origin, or scheme and Host. The
 * common case (a plain path, an origin seen before) builds no URL object: the result is the
 * same as normalising the whole URI.
 */
export function requestHtu(
  request: { protocol: string; host: string; url: string },
  publicUrl: string | undefined,
): string | undefined {
  const query = request.url.indexOf('?');
  const path = query < 0 ? request.url : request.url.slice(0, query);
  let origin =
    publicUrl === undefined ? `${request.protocol}://${request.host}` : publicOrigins.get(publicUrl);
  if (origin === undefined && publicUrl !== undefined) {
    origin = new URL(publicUrl).origin;
    publicOrigins.set(publicUrl, origin);
  }
  if (origin === undefined) return undefined;
  if (PLAIN_PATH.test(path) && !DOT_SEGMENT.test(path)) {
    const base = normalizedOrigin(origin);
    if (base !== null) return `${base}${path}`;
  }
  return normalizeHtu(`${origin}${path}`);
}
