/**
 * The parsers added for issue 13 read untrusted bytes and text: a capacitor.config.ts, ELF and
 * Mach-O headers, key store headers. Property tests: a literal object comes back as written, and
 * arbitrary or mutated input never throws anything but an ordinary Error (never a RangeError
 * from reading past a buffer) and never hangs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readStaticObject } from '../../src/audit/lib/js-literal.js';
import { keyStoreFormat } from '../../src/audit/lib/keystore.js';
import type { AnalyserContext, AppScope } from '../../src/audit/rules/analyser.js';
import { newAppScope } from '../../src/audit/rules/analyser.js';
import { BINARY_ANALYSERS, elfFacts } from '../../src/audit/rules/binary.js';
import { elf, MH_PIE, machO, PT_DYNAMIC, PT_GNU_RELRO, PT_GNU_STACK } from './lib/binaries.js';
import { jks, pkcs12 } from './lib/keystores.js';

/** A JSON value as a config literal may hold it (no undefined, finite numbers). */
const json = fc.jsonValue({ maxDepth: 4 }).filter((v) => JSON.stringify(v) !== undefined);
const config = fc.dictionary(
  fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constant('__proto__')),
  json,
  { maxKeys: 6 },
);

describe('readStaticObject', () => {
  it('reads back any object literal written as JSON', () => {
    fc.assert(
      fc.property(config, (value) => {
        const text = `import type { CapacitorConfig } from '@capacitor/cli';\nconst config: CapacitorConfig = ${JSON.stringify(value, null, 2)};\nexport default config;\n`;
        const read = readStaticObject(text);
        expect(read?.dynamic).toEqual([]);
        expect(read?.value).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('ends on a stray closing bracket (it once looped for ever, growing its list of unread paths)', () => {
    expect(
      readStaticObject('const config: CapacitorConfig = { a: 1, ) b: [1, )], c: true };')?.value,
    ).toMatchObject({ a: 1 });
  });

  it('never throws anything but an Error, and ends, on arbitrary text after the config start', () => {
    const piece = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      "'",
      '"',
      '`',
      '${',
      '/*',
      '//',
      '\n',
      'a',
      'true',
      '1',
      ' ',
      '\\',
      '...',
      '(',
      ')',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
        try {
          readStaticObject(`const config: CapacitorConfig = {${pieces.join('')}`);
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
          expect(err).not.toBeInstanceOf(RangeError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

function context(path: string): AnalyserContext & { found: unknown[] } {
  const app: AppScope = newAppScope('', 0);
  const found: unknown[] = [];
  return {
    path,
    name: path.slice(path.lastIndexOf('/') + 1),
    inner: path,
    app,
    now: new Date(0),
    found,
    report: (...raws) => {
      found.push(...raws);
    },
    unparsed: () => undefined,
    xml: () => Promise.reject(new Error('not XML')),
  };
}

describe('binary and key store headers', () => {
  const samples = [
    elf(
      3,
      [{ type: PT_DYNAMIC }, { type: PT_GNU_STACK, flags: 6 }, { type: PT_GNU_RELRO }],
      ['__stack_chk_fail'],
    ),
    elf(2, [{ type: PT_GNU_STACK, flags: 7 }]),
    machO(2, MH_PIE, ['___stack_chk_fail']),
    Buffer.concat([
      Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 1]),
      Buffer.alloc(8), // cputype, cpusubtype
      Buffer.from([0, 0, 0, 28]), // offset of the slice
      Buffer.alloc(8), // size, align
      machO(2, 0),
    ]),
    jks(['key']),
    pkcs12(),
  ];

  it('mutated or truncated headers never make an analyser throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(),
        async (sample, edits, cut) => {
          const bytes = Buffer.from(sample);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const input = bytes.subarray(0, cut % (bytes.length + 1));
          for (const analyser of BINARY_ANALYSERS) {
            await analyser.analyse(input, context('Payload/App.app/App'));
            await analyser.analyse(input, context('lib/arm64-v8a/libx.so'));
          }
          elfFacts(input);
          keyStoreFormat(input);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('reads the facts of well-formed headers', () => {
    expect(elfFacts(samples[0] as Buffer)).toEqual({
      executable: false,
      execStack: false,
      relro: true,
      dynamic: true,
    });
    expect(elfFacts(samples[1] as Buffer)).toEqual({
      executable: true,
      execStack: true,
      relro: false,
      dynamic: false,
    });
    expect(keyStoreFormat(samples[4] as Buffer)).toBe('JKS');
    expect(keyStoreFormat(samples[5] as Buffer)).toBe('PKCS#12');
  });

  it('a fat Mach-O is read through its first slice', async () => {
    const c = context('Payload/App.app/App');
    await BINARY_ANALYSERS[1]?.analyse(samples[3] as Buffer, c);
    expect(c.found.map((f) => (f as { ruleId: string }).ruleId)).toContain('native-not-pie');
  });
});
