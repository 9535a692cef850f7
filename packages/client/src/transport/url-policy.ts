/**
 * Which URLs the transport uses: `https:` only. Plain `http:` is accepted in development mode
 * and then only to a loopback host (`isLoopbackHost` of `@bulwark/core/protocol`: 127.0.0.0/8, ::1, localhost, *.localhost), where nothing crosses a
 * network. Checked for the base URL and again for every request URL, so a redirect or a
 * server-supplied link cannot downgrade.
 */
import { isLoopbackHost } from '@bulwark/core/protocol';
import { InsecureTransportError } from './errors.js';

// The one loopback rule of client and server (docs/api.md, "Loopback").
export { isLoopbackHost } from '@bulwark/core/protocol';

/**
 * Parses `url` and refuses it unless the transport policy allows it.
 *
 * @example
 * ```ts
 * checkTransportUrl('https://api.example.com/sync'); // ok
 * checkTransportUrl('http://localhost:8080', { devMode: true }); // ok
 * checkTransportUrl('http://api.example.com'); // throws insecure_transport
 * ```
 */
export function checkTransportUrl(url: string | URL, options: { readonly devMode?: boolean } = {}): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InsecureTransportError('not an absolute URL');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new InsecureTransportError('URLs with credentials are refused');
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:') {
    if (options.devMode !== true) throw new InsecureTransportError('plain http is refused; use https');
    if (!isLoopbackHost(parsed.hostname)) {
      throw new InsecureTransportError('plain http is allowed only to a loopback host, in development mode');
    }
    return parsed;
  }
  throw new InsecureTransportError(`the ${parsed.protocol} scheme is refused`);
}
