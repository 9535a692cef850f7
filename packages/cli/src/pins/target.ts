/**
 * Parsing of the target of `bulwark pins`: `host[:port]` (IPv6 as `[::1]:8443`) or an `https://`
 * URL, whose path is ignored (pins belong to a host). Other schemes are refused by name.
 */
import { isIP } from 'node:net';
import { PinsInputError } from './errors.js';

/**
 * Splits `host[:port]`; the port defaults to 443.
 *
 * @example
 * ```ts
 * parseTarget('api.example.com'); // { host: 'api.example.com', port: 443 }
 * parseTarget('[::1]:8443'); // { host: '::1', port: 8443 }
 * parseTarget('https://api.example.com:8443/v1'); // { host: 'api.example.com', port: 8443 }
 * ```
 */
export function parseTarget(target: string): { host: string; port: number } {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(target.trim());
  // `host:port` also starts with `word:`; a URL is told apart by the `//` after its scheme.
  if (scheme !== null && target.trim().slice(scheme[0].length).startsWith('//')) {
    return parseUrlTarget(target.trim(), (scheme[1] as string).toLowerCase());
  }
  return parseHostPort(target, target.trim());
}

function parseUrlTarget(target: string, scheme: string): { host: string; port: number } {
  if (scheme !== 'https') {
    throw new PinsInputError(
      `${target}: bulwark pins connects to TLS servers, not ${scheme}: URLs; give host[:port] or an https:// URL.`,
    );
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new PinsInputError(`${target}: not a valid https:// URL.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new PinsInputError(`${target}: URLs with credentials are refused; give host[:port].`);
  }
  const host = url.hostname;
  const port = url.port === '' ? '' : `:${url.port}`;
  // The URL parser has lower-cased and normalised the host (IPv6 keeps its brackets).
  return parseHostPort(target, `${host}${port}`);
}

function parseHostPort(target: string, text: string): { host: string; port: number } {
  let host = text;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (v6 !== null) {
    host = v6[1] as string;
    portText = v6[2];
    if (isIP(host) !== 6) throw new PinsInputError(`${target}: not an IPv6 address in brackets.`);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon !== -1) {
      portText = host.slice(colon + 1);
      host = host.slice(0, colon);
    }
    if (host.includes(':'))
      throw new PinsInputError(`${target}: write IPv6 addresses in brackets, e.g. [::1]:443.`);
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(host)) {
      throw new PinsInputError(`${target}: not a host name or address.`);
    }
  }
  const port = portText === undefined ? 443 : Number(portText);
  if (
    !Number.isInteger(port) ||
    port < 1 ||
    port > 65_535 ||
    (portText !== undefined && !/^\d+$/.test(portText))
  ) {
    throw new PinsInputError(`${target}: the port must be an integer from 1 to 65535.`);
  }
  return { host: host.toLowerCase(), port };
}
