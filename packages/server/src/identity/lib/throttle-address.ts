/**
 * The client a sign-in throttle counts, from its address. An IPv4 address is itself. An IPv6
 * address is its /64 network: a subscriber (a home line, a cloud instance) is given at least a
 * /64 and may use any address in it, so counting single addresses would give an attacker 2^64 of
 * them and make every address-keyed limit void. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, how
 * a dual-stack socket reports an IPv4 peer) is the IPv4 address, so the two spellings of one
 * client share their counters.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The eight 16-bit groups of a valid IPv6 address (without zone). */
function groups(address: string): number[] {
  // WHATWG URL serialises an IPv6 host canonically: lower case, one `::` at most, no dotted tail.
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const front = parse(head);
  if (tail === undefined) return front;
  const back = parse(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

/**
 * The key of the client at `address` for the sign-in throttle: an IPv4 address as it is, an IPv6
 * one as its /64 network (`2001:db8:0:1::/64`), an IPv4-mapped one as its IPv4 address; anything
 * else (not an IP address) as it is.
 *
 * @example
 * ```ts
 * throttleAddress('203.0.113.7'); // '203.0.113.7'
 * throttleAddress('2001:db8:0:1:8a2e:370:7334:1'); // '2001:db8:0:1::/64'
 * throttleAddress('::ffff:203.0.113.7'); // '203.0.113.7'
 * ```
 */
export function throttleAddress(address: string): string {
  if (isIPv4(address)) return address;
  const zone = address.indexOf('%');
  const bare = zone < 0 ? address : address.slice(0, zone);
  if (!isIPv6(bare)) return address;
  const g = groups(bare);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    const [high = 0, low = 0] = g.slice(6);
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}
