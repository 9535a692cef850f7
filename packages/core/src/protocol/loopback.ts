/**
 * Which hosts are loopback: the one rule the server (plain HTTP only on loopback), the client
 * transport (`http:` in development mode only to loopback) and the CLI's bundle scanner (a
 * cleartext URL to loopback never leaves the device) share. docs/api.md, "Loopback".
 *
 * Loopback is 127.0.0.0/8, `::1` (in any IPv6 spelling, and as the IPv4-mapped `::ffff:127.x.y.z`),
 * `localhost` and every name under `.localhost` (RFC 6761 §6.3: resolvers answer them with
 * loopback; browsers do). The Android emulator's alias of the host machine, `10.0.2.2`, is NOT
 * loopback: it is a routed address that, on a real device, may be anything on the local network.
 * A caller that accepts it (the bundle scanner, for development builds) says so separately with
 * {@link isAndroidEmulatorHost}.
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from '@bulwark/core/protocol';
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('10.0.2.2'); // false
 * ```
 */

/**
 * The four numbers of a dotted-quad IPv4 address in its strict form (no leading zeros, each
 * 0–255), or `undefined`. Shorthands such as `127.1` or `0x7f.0.0.1` are refused: a URL parser
 * normalises them before they get here, and a raw host in a configuration must be unambiguous.
 */
function ipv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const part of parts) {
    if (!/^(?:0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** The eight 16-bit groups of an IPv6 address (with an optional trailing dotted quad), or `undefined`. */
function ipv6(text: string): number[] | undefined {
  if (!/^[0-9a-f:.]+$/.test(text) || text.split('::').length > 2) return undefined;
  const groups = (side: string): number[] | undefined => {
    if (side === '') return [];
    const out: number[] = [];
    const pieces = side.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const quad = ipv4(piece);
        if (quad === undefined) return undefined;
        out.push(
          ((quad[0] as number) << 8) | (quad[1] as number),
          ((quad[2] as number) << 8) | (quad[3] as number),
        );
      } else {
        if (!/^[0-9a-f]{1,4}$/.test(piece)) return undefined;
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = groups(head);
  if (left === undefined) return undefined;
  if (tail === undefined) return left.length === 8 ? left : undefined;
  const right = groups(tail);
  if (right === undefined || left.length + right.length > 7) return undefined;
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * True for a host that never leaves the machine: 127.0.0.0/8, `::1`, IPv4-mapped loopback,
 * `localhost` and `*.localhost`. Case-insensitive; IPv6 may be in brackets (as in a URL's
 * `host`); one trailing dot (the absolute form of a name) is allowed.
 *
 * @example
 * ```ts
 * isLoopbackHost('localhost'); // true
 * isLoopbackHost('[::1]'); // true
 * isLoopbackHost('app.localhost'); // true
 * isLoopbackHost('localhost.example.com'); // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  if (typeof host !== 'string') return false;
  let h = host.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) {
    const groups = ipv6(h.slice(1, -1));
    return groups !== undefined && isLoopbackV6(groups);
  }
  if (h.includes(':')) {
    const groups = ipv6(h);
    return groups !== undefined && isLoopbackV6(groups);
  }
  const quad = ipv4(h);
  if (quad !== undefined) return quad[0] === 127;
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h === 'localhost') return true;
  // Each label of the name must be a real DNS label, so that `evil.com/.localhost` or an empty
  // label cannot pass for a name under .localhost.
  return (
    h.endsWith('.localhost') &&
    h.split('.').every((label) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(label))
  );
}

function isLoopbackV6(groups: readonly number[]): boolean {
  const zeros = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zeros(0, 7) && groups[7] === 1) return true;
  // ::ffff:127.x.y.z, which a dual-stack socket delivers to 127.x.y.z.
  return zeros(0, 5) && groups[5] === 0xffff && (groups[6] as number) >> 8 === 127;
}

/**
 * The Android emulator's alias of the host machine's loopback (`10.0.2.2`). Not loopback (see
 * {@link isLoopbackHost}); a caller that wants to accept it for development builds asks for it
 * by name.
 *
 * @example
 * ```ts
 * const devHost = isLoopbackHost(host) || isAndroidEmulatorHost(host);
 * ```
 */
export function isAndroidEmulatorHost(host: string): boolean {
  return host === ANDROID_EMULATOR_HOST;
}

/**
 * `10.0.2.2`, the address under which the Android emulator reaches the host machine.
 *
 * @example
 * ```ts
 * const url = `http://${ANDROID_EMULATOR_HOST}:8080`;
 * ```
 */
export const ANDROID_EMULATOR_HOST = '10.0.2.2';
