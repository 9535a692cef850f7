/**
 * The one loopback rule (`@bulwark/core/protocol`): 127.0.0.0/8, ::1 in every spelling,
 * IPv4-mapped loopback, localhost and *.localhost are loopback; nothing else is, the Android
 * emulator alias 10.0.2.2 included. Property tests generate both sides.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANDROID_EMULATOR_HOST, isAndroidEmulatorHost, isLoopbackHost } from '../../src/protocol/index.js';

const octet = fc.integer({ min: 0, max: 255 });
const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);

/** Every textual form of an IPv6 address: full, leading zeros, `::` at each possible run of zeros. */
function spellings(groups: readonly number[]): string[] {
  const hex = groups.map((g) => g.toString(16));
  const out = [hex.join(':'), groups.map((g) => g.toString(16).padStart(4, '0')).join(':')];
  for (let start = 0; start < 8; start++) {
    for (let end = start + 1; end <= 8; end++) {
      if (groups.slice(start, end).every((g) => g === 0))
        out.push(`${hex.slice(0, start).join(':')}::${hex.slice(end).join(':')}`);
    }
  }
  return out;
}

describe('isLoopbackHost', () => {
  it('accepts every address of 127.0.0.0/8', () => {
    fc.assert(fc.property(octet, octet, octet, (b, c, d) => isLoopbackHost(`127.${b}.${c}.${d}`)));
  });

  it('refuses every other IPv4 address', () => {
    fc.assert(
      fc.property(
        octet.filter((a) => a !== 127),
        octet,
        octet,
        octet,
        (a, b, c, d) => !isLoopbackHost(`${a}.${b}.${c}.${d}`),
      ),
    );
  });

  it('accepts localhost and every name under .localhost, in any case', () => {
    fc.assert(
      fc.property(fc.array(label, { maxLength: 3 }), fc.boolean(), (labels, upper) => {
        const name = [...labels, 'localhost'].join('.');
        return isLoopbackHost(upper ? name.toUpperCase() : name);
      }),
    );
  });

  it('refuses names that only contain or resemble localhost', () => {
    fc.assert(
      fc.property(
        label,
        (l) => (!isLoopbackHost(`localhost.${l}`) && !isLoopbackHost(`${l}localhost`)) || l === '',
      ),
    );
    for (const host of [
      'localhost.example.com',
      'notlocalhost',
      'localhost-x',
      '.localhost',
      'a..localhost',
      'evil.com/.localhost',
      'evil.com@localhost',
      'local host',
      '',
    ])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('accepts ::1 in every spelling, bracketed or not, and IPv4-mapped loopback', () => {
    for (const spelling of spellings([0, 0, 0, 0, 0, 0, 0, 1])) {
      expect(isLoopbackHost(spelling), spelling).toBe(true);
      expect(isLoopbackHost(`[${spelling}]`), spelling).toBe(true);
    }
    fc.assert(fc.property(octet, octet, octet, (b, c, d) => isLoopbackHost(`[::ffff:127.${b}.${c}.${d}]`)));
    // The form a URL parser gives it.
    expect(isLoopbackHost(new URL('http://[::ffff:127.0.0.1]/').hostname)).toBe(true);
  });

  it('refuses every other IPv6 address', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        const loopback =
          (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) ||
          (groups.slice(0, 5).every((g) => g === 0) &&
            groups[5] === 0xffff &&
            (groups[6] as number) >> 8 === 127);
        return spellings(groups).every((s) => isLoopbackHost(`[${s}]`) === loopback);
      }),
    );
    for (const host of [
      '::',
      '[::]',
      '::2',
      '1::1',
      '::1:0',
      '[::1',
      '::1]',
      '::ffff:10.0.0.1',
      ':::1',
      '::1::',
    ])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('refuses the unspecified and private addresses, malformed quads and the emulator alias', () => {
    for (const host of [
      '0.0.0.0',
      '10.0.0.1',
      ANDROID_EMULATOR_HOST,
      '128.0.0.1',
      '126.255.255.255',
      '127.0.0',
      '127.0.0.1.5',
      '127.256.0.1',
      '127.0.0.01',
      '127.1',
      '0x7f.0.0.1',
      'example.com',
    ])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('allows the emulator alias only when asked for by name', () => {
    expect(isAndroidEmulatorHost('10.0.2.2')).toBe(true);
    expect(isAndroidEmulatorHost('10.0.2.3')).toBe(false);
    expect(isAndroidEmulatorHost('127.0.0.1')).toBe(false);
  });

  it('answers false, never throws, for values that are not strings', () => {
    expect(isLoopbackHost(undefined as unknown as string)).toBe(false);
  });
});
