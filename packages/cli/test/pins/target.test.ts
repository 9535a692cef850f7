/**
 * Properties of the `bulwark pins` target parser: `host[:port]` and `https://` URLs name the same
 * server, whatever the letter case of the scheme and host and whatever path follows; every other
 * scheme is refused by name (never as a bad port or a bad host); ports outside 1–65535 are refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTarget } from '../../src/pins/target.js';

// Labels start with a letter: an all-numeric name is an IPv4 address to the URL parser ('0' is
// 0.0.0.0), and no real host name is one.
const label = fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
const hostName = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));
const ipv4 = fc.ipV4();
const host = fc.oneof(hostName, ipv4);
const port = fc.integer({ min: 1, max: 65_535 });
const path = fc.constantFrom('', '/', '/api/v1', '/x?y=1#z');
const randomCase = (text: string, flips: boolean[]) =>
  [...text].map((c, i) => (flips[i % flips.length] ? c.toUpperCase() : c)).join('');

describe('parseTarget', () => {
  it('reads an https:// URL as the host and port it names', () => {
    fc.assert(
      fc.property(
        host,
        fc.option(port),
        path,
        fc.array(fc.boolean(), { minLength: 1 }),
        (h, p, rest, flips) => {
          const scheme = randomCase('https', flips);
          const target = `${scheme}://${randomCase(h, flips)}${p === null ? '' : `:${p}`}${rest}`;
          expect(parseTarget(target)).toEqual({ host: h, port: p ?? 443 });
          expect(parseTarget(`${h}${p === null ? '' : `:${p}`}`)).toEqual({ host: h, port: p ?? 443 });
        },
      ),
    );
  });

  it('refuses every other scheme by name', () => {
    const scheme = fc.stringMatching(/^[a-z][a-z0-9+.-]{0,8}$/).filter((s) => s !== 'https');
    fc.assert(
      fc.property(scheme, host, fc.option(port), (s, h, p) => {
        const target = `${s}://${h}${p === null ? '' : `:${p}`}/x`;
        expect(() => parseTarget(target)).toThrow(
          expect.objectContaining({
            code: 'pins_invalid_input',
            message: expect.stringContaining(`not ${s}: URLs`),
          }),
        );
      }),
    );
  });

  it('refuses ports outside 1–65535 in either form', () => {
    const bad = fc.oneof(fc.constant(0), fc.integer({ min: 65_536, max: 10_000_000 }));
    fc.assert(
      fc.property(host, bad, (h, p) => {
        for (const target of [`${h}:${p}`, `https://${h}:${p}`]) {
          expect(() => parseTarget(target), target).toThrow(
            expect.objectContaining({ code: 'pins_invalid_input' }),
          );
        }
      }),
    );
  });
});
