/**
 * DPoP `htu` comparison (RFC 9449 §4.3 check 9): the proof's URI and the request's URI are
 * compared without query and fragment, after syntax- and scheme-based normalisation (scheme and
 * host lower case, default port removed, dot segments resolved, percent-encoding of unreserved
 * characters decoded) as WHATWG URL parsing does.
 */

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

/** The URI a request was made to: the configured public URL's origin, or scheme and Host. */
export function requestHtu(
  request: { protocol: string; host: string; url: string },
  publicUrl: string | undefined,
): string | undefined {
  const path = request.url.split('?')[0] ?? '/';
  const origin =
    publicUrl === undefined ? `${request.protocol}://${request.host}` : new URL(publicUrl).origin;
  return normalizeHtu(`${origin}${path}`);
}
