/** Parsing of the `host[:port]` argument of `bulwark pins` (IPv6 as `[::1]:8443`). */
import { isIP } from 'node:net';
import { PinsInputError } from './errors.js';

/**
 * Splits `host[:port]`; the port defaults to 443.
 *
 * @example
 * ```ts
 * parseTarget('api.example.com'); // { host: 'api.example.com', port: 443 }
 * parseTarget('[::1]:8443'); // { host: '::1', port: 8443 }
 * ```
 */
export function parseTarget(target: string): { host: string; port: number } {
  let host = target.trim();
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
