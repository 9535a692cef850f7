/**
 * Which reverse proxies the server believes about the client address (`X-Forwarded-For`) and the
 * original scheme and host (`X-Forwarded-Proto/Host`). Fastify's `trustProxy` does the work, through
 * proxy-addr: the client address is the right-most `X-Forwarded-For` entry that was not written by a
 * trusted proxy. Trusting every proxy (`trustProxy: true`) would make it the left-most entry, which
 * the client writes itself, so it is not offered (docs/operations.md).
 */
import { isIP } from 'node:net';
import { BulwarkError } from '@bulwark/core';

/**
 * The proxies to trust: a hop count (that many proxies in front, the socket peer being the
 * first), or the addresses and CIDR ranges of the proxies (`loopback`, `linklocal` and
 * `uniquelocal` name the usual private ranges).
 */
export type TrustProxy = number | string | readonly string[];

/** Most proxies in a chain a hop count may name. */
const MAX_HOPS = 16;
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * A trust-proxy setting that cannot be used.
 *
 * @example
 * ```ts
 * try {
 *   parseTrustProxy('true');
 * } catch (e) {
 *   (e as TrustProxyError).code; // 'invalid_trust_proxy'
 * }
 * ```
 */
export class TrustProxyError extends BulwarkError<'invalid_trust_proxy'> {
  constructor(message: string) {
    super('invalid_trust_proxy', message);
  }
}

function checkEntry(entry: string): string {
  if (NAMED_RANGES.has(entry)) return entry;
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) {
    throw new TrustProxyError(`"${entry.slice(0, 64)}" is not an IP address, a CIDR range or a named range.`);
  }
  if (slash !== -1) {
    const prefix = entry.slice(slash + 1);
    const max = family === 4 ? 32 : 128;
    if (!/^[0-9]{1,3}$/.test(prefix) || Number(prefix) > max) {
      throw new TrustProxyError(`"${entry.slice(0, 64)}": the prefix length is 0 to ${max}.`);
    }
  }
  return entry;
}

function checkHops(hops: number): number {
  if (!Number.isSafeInteger(hops) || hops < 1 || hops > MAX_HOPS) {
    throw new TrustProxyError(`A hop count is an integer from 1 to ${MAX_HOPS}.`);
  }
  return hops;
}

/**
 * Reads the `--trust-proxy` argument: a hop count (`1`) or a comma-separated list of proxy
 * addresses and CIDR ranges (`10.0.0.5,10.1.0.0/16`). `true` and an empty value are refused.
 *
 * @example
 * ```ts
 * parseTrustProxy('2'); // 2
 * parseTrustProxy('10.0.0.5, 10.1.0.0/16'); // ['10.0.0.5', '10.1.0.0/16']
 * ```
 */
export function parseTrustProxy(text: string): TrustProxy {
  const value = text.trim();
  if (/^[0-9]+$/.test(value)) return checkHops(Number(value));
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0 || value === 'true') {
    throw new TrustProxyError(
      'Name the proxies to trust: a hop count (e.g. 1) or their addresses or CIDR ranges (e.g. 10.0.0.5,10.1.0.0/16).',
    );
  }
  return entries.map(checkEntry);
}

/**
 * The Fastify `trustProxy` option for `value`, checked. A hop count becomes a function trusting
 * that many hops from the socket, as Express's `trust proxy` counts them (Fastify no longer takes a
 * bare number: with hops alone, a client that reaches the server directly can write the address,
 * which docs/operations.md says). Addresses go to Fastify as they are, compiled by proxy-addr.
 *
 * @example
 * ```ts
 * Fastify({ trustProxy: fastifyTrustProxy(['10.0.0.5']) });
 * ```
 */
export function fastifyTrustProxy(
  value: TrustProxy | false | undefined,
): false | string[] | ((address: string, hop: number) => boolean) {
  if (value === undefined || value === false) return false;
  if (typeof value === 'number') {
    const hops = checkHops(value);
    return (_address, hop) => hop < hops;
  }
  if (typeof value === 'string') return fastifyTrustProxy(parseTrustProxy(value));
  if (!Array.isArray(value)) throw new TrustProxyError('trustProxy is a hop count or a list of addresses.');
  if (value.length === 0) throw new TrustProxyError('trustProxy names no proxy.');
  return value.map((e) => checkEntry(String(e).trim()));
}
