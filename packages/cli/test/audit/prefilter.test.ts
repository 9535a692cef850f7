/**
 * The prefilter and the line counting against naive references: every occurrence of every
 * trigger is reported once, in order of start, whatever the letter case (when ignored), the
 * overlaps, the alignment of the buffer in memory and the bounds asked for; line feeds are
 * counted exactly on bytes and strings, and across decoded windows.
 */
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RawFinding } from '../../src/audit/lib/finding.js';
import { countNewlines, LineCounter } from '../../src/audit/lib/line-count.js';
import { type TextDetector, TextEngine } from '../../src/audit/lib/text-engine.js';
import { scanTextBytes } from '../../src/audit/lib/text-file.js';
import { scanTextStream } from '../../src/audit/lib/text-stream.js';
import { TriggerIndex, type TriggerSpec } from '../../src/audit/lib/trigger-index.js';
import { WEB_DETECTORS } from '../../src/audit/rules/cleartext.js';
import { SECRET_DETECTORS } from '../../src/audit/rules/secrets.js';

/** Every `(trigger, start)` with start in `[from, before)`, by plain string comparison. */
function naive(text: string, triggers: readonly TriggerSpec[], from: number, before: number): number[][] {
  const hits: number[][] = [];
  for (let s = Math.max(0, from); s < Math.min(before, text.length); s++) {
    triggers.forEach((t, i) => {
      const piece = text.slice(s, s + t.text.length);
      if (piece.length !== t.text.length) return;
      if (t.ignoreCase ? piece.toLowerCase() === t.text.toLowerCase() : piece === t.text) hits.push([s, i]);
    });
  }
  return hits;
}

/** The index's answer as `[start, trigger]` pairs sorted the same way as `naive`. */
function found(index: TriggerIndex, source: Uint8Array | string, from: number, before: number): number[][] {
  const out: number[] = [];
  index.find(source, from, before, out);
  const pairs: number[][] = [];
  for (let i = 0; i < out.length; i += 2) pairs.push([out[i + 1] as number, out[i] as number]);
  // Starts must come in order; ties (two triggers at one start) in any order.
  for (let i = 1; i < pairs.length; i++) {
    expect((pairs[i]?.[0] as number) >= (pairs[i - 1]?.[0] as number)).toBe(true);
  }
  return pairs.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
}

/** `text` as latin1 bytes placed `shift` bytes into a larger buffer, to vary the alignment. */
function bytesAt(text: string, shift: number): Buffer {
  const whole = Buffer.alloc(text.length + shift + 8, 0x7e);
  whole.write(text, shift, 'latin1');
  return whole.subarray(shift, shift + text.length);
}

const REAL: TriggerSpec[] = [
  { text: 'token', ignoreCase: true },
  { text: 'secret', ignoreCase: true },
  { text: 'pwd', ignoreCase: true },
  { text: 'http://', ignoreCase: true },
  { text: 'AKIA', ignoreCase: false },
  { text: 'ghp_', ignoreCase: false },
  { text: 'eyJ', ignoreCase: false },
  { text: '7Q~', ignoreCase: false },
  { text: 'xoxb-', ignoreCase: false },
  { text: '-----BEGIN ', ignoreCase: false },
  { text: 'sourceMappingURL=data:', ignoreCase: false },
];

// Text made of pieces of the triggers in random case, so that occurrences, near misses and
// overlaps are frequent.
const pieces = fc.constantFrom(
  'token',
  'TOKEN',
  'tOkEn',
  'tok',
  'ken',
  'secret',
  'SeCrEt',
  'pwd',
  'PWD',
  'http://',
  'HTTP://',
  'htt',
  'AKIA',
  'akia',
  'ghp_',
  'GHP_',
  'eyJ',
  'eyj',
  'eyJeyJ',
  '7Q~',
  'Q~',
  'xoxb-',
  '-----BEGIN ',
  '-----',
  'sourceMappingURL=data:',
  'a',
  ' ',
  '\n',
  '=',
  '\u00e9',
);
const texts = fc.array(pieces, { maxLength: 60 }).map((p) => p.join(''));

describe('TriggerIndex', () => {
  it('reports every occurrence once, in order, as a plain search does', () => {
    const index = new TriggerIndex(REAL);
    fc.assert(
      fc.property(texts, fc.integer({ min: 0, max: 7 }), (text, shift) => {
        const expected = naive(text, REAL, 0, text.length);
        expect(found(index, bytesAt(text, shift), 0, text.length)).toEqual(expected);
        expect(found(index, text, 0, text.length)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps to the bounds asked for: starts in [from, before), matches may run past before', () => {
    const index = new TriggerIndex(REAL);
    fc.assert(
      fc.property(texts, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 3 }), (text, a, b, shift) => {
        const from = text.length === 0 ? 0 : a % (text.length + 1);
        const before = from + (text.length === 0 ? 0 : b % (text.length + 1 - from));
        const expected = naive(text, REAL, from, before);
        expect(found(index, bytesAt(text, shift), from, before)).toEqual(expected);
        expect(found(index, text, from, before)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('handles random trigger sets and long texts (the aligned word loop)', () => {
    const alphabet = 'abAB_-:~';
    const word = fc
      .array(fc.constantFrom(...alphabet), { minLength: 3, maxLength: 7 })
      .map((c) => c.join(''));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ text: word, ignoreCase: fc.boolean() }), {
          minLength: 1,
          maxLength: 6,
          selector: (t) => t.text.toLowerCase(),
        }),
        fc.array(fc.constantFrom(...alphabet), { minLength: 0, maxLength: 3000 }).map((c) => c.join('')),
        fc.integer({ min: 0, max: 7 }),
        (triggers, text, shift) => {
          const index = new TriggerIndex(triggers);
          const expected = naive(text, triggers, 0, text.length);
          expect(found(index, bytesAt(text, shift), 0, text.length)).toEqual(expected);
          expect(found(index, text, 0, text.length)).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('puts a trigger found late (its anchor is near its end) before those that start after it', () => {
    // `~` is the rarest character, so the long trigger is anchored at its end, after the short
    // ones inside it have been found.
    const index = new TriggerIndex([
      { text: 'zzzz~~q', ignoreCase: false },
      { text: 'zzz', ignoreCase: false },
    ]);
    for (const source of [Buffer.from('zzzz~~q'), 'zzzz~~q']) {
      const out: number[] = [];
      index.find(source, 0, 7, out);
      // Starts in order (0, 0, 1); the two at 0 in either order.
      expect(out.filter((_, i) => i % 2 === 1)).toEqual([0, 0, 1]);
      expect(found(index, source, 0, 7)).toEqual([
        [0, 0],
        [0, 1],
        [1, 1],
      ]);
    }
  });

  it('finds triggers at the very start and end of the buffer, and nothing in an empty one', () => {
    const index = new TriggerIndex([{ text: 'AKIA', ignoreCase: false }]);
    const text = `AKIA${'x'.repeat(1001)}AKIA`;
    expect(found(index, Buffer.from(text, 'latin1'), 0, text.length)).toEqual([
      [0, 0],
      [1005, 0],
    ]);
    expect(found(index, Buffer.alloc(0), 0, 0)).toEqual([]);
    expect(found(index, 'AKI', 0, 3)).toEqual([]);
  });

  it('hands over more occurrences than one batch holds, none lost or repeated at the seams', () => {
    // Overlapping triggers a few bytes apart: 90,000 occurrences, several times what the
    // WebAssembly scan writes out before it returns, so batches end in the middle of a run.
    const triggers: TriggerSpec[] = [
      { text: 'abc', ignoreCase: false },
      { text: 'bca', ignoreCase: false },
      { text: 'CAB', ignoreCase: true },
    ];
    const index = new TriggerIndex(triggers);
    const text = 'abcab.'.repeat(30_000);
    const expected = naive(text, triggers, 0, text.length);
    expect(expected.length).toBe(90_000);
    expect(found(index, bytesAt(text, 3), 0, text.length)).toEqual(expected);
    let batches = 0;
    let total = 0;
    index.findInBatches(Buffer.from(text, 'latin1'), 0, text.length, (_pairs, count) => {
      batches++;
      total += count;
    });
    expect(total).toBe(90_000);
    expect(batches).toBeGreaterThan(2);
  });

  it('never matches characters above 255 in a string', () => {
    const index = new TriggerIndex([{ text: 'token', ignoreCase: true }]);
    // U+0174 lower-cases to U+0175 and U+212A (Kelvin) to k: no trigger may match through them.
    expect(found(index, 'to\u212Aen \u0174oken token', 0, 17)).toEqual([[12, 0]]);
  });

  it('refuses triggers it cannot index', () => {
    expect(() => new TriggerIndex([{ text: 'Q~', ignoreCase: false }])).toThrow(/three or more/);
    expect(() => new TriggerIndex([{ text: 'clé', ignoreCase: false }])).toThrow(/printable ASCII/);
  });
});

describe('line counting', () => {
  const lines = fc
    .array(fc.constantFrom('a', 'bc', '\n', '\r\n', 'xyzw', '\n\n', 'é'), { maxLength: 400 })
    .map((p) => p.join(''));
  const naiveCount = (text: string, from: number, to: number) =>
    text.slice(Math.max(0, from), Math.max(0, to)).split('\n').length - 1;

  it('counts line feeds in any stretch of bytes or of a string', () => {
    fc.assert(
      fc.property(lines, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), (text, a, b, shift) => {
        const from = a % (text.length + 1);
        const to = from + (b % (text.length + 1 - from));
        const expected = naiveCount(text, from, to);
        expect(countNewlines(bytesAt(text, shift), from, to)).toBe(expected);
        expect(countNewlines(text, from, to)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('counts alike whether lines are long (found one by one) or short (counted a word at a time)', () => {
    // Runs of long and of short lines, so that the count switches from the first way to the
    // second at any place, and bounds that cut a line anywhere.
    const mixed = fc
      .array(
        fc.oneof(
          fc.array(fc.integer({ min: 0, max: 31 }), { maxLength: 40 }),
          fc.array(fc.integer({ min: 32, max: 300 }), { maxLength: 8 }),
        ),
        { maxLength: 6 },
      )
      .map((runs) =>
        runs
          .flat()
          .map((n) => `${'x'.repeat(n)}\n`)
          .join(''),
      );
    fc.assert(
      fc.property(mixed, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), (text, a, b, shift) => {
        const from = a % (text.length + 1);
        const to = from + (b % (text.length + 1 - from));
        expect(countNewlines(bytesAt(text, shift), from, to)).toBe(naiveCount(text, from, to));
      }),
      { numRuns: 300 },
    );
  });

  it('counts long stretches of short lines (WebAssembly, 64 KiB at a time) exactly', () => {
    // Short lines, so the count goes to the word loop and, past 4 KiB, to WebAssembly; stretches
    // of up to three copies of its memory, cut anywhere, with bytes of every value around.
    const noise = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 0, maxLength: 8 });
    const text = fc
      .tuple(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), noise), { minLength: 6000, maxLength: 12_000 }),
      )
      .map(([lines]) =>
        lines.map(([n, bytes]) => `${'x'.repeat(n)}${String.fromCharCode(...bytes)}\n`).join(''),
      );
    fc.assert(
      fc.property(text, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), (t, a, b, shift) => {
        const from = a % (t.length + 1);
        const to = from + (b % (t.length + 1 - from));
        expect(countNewlines(bytesAt(t, shift), from, to)).toBe(naiveCount(t, from, to));
        expect(countNewlines(bytesAt(t, shift), 0, t.length)).toBe(naiveCount(t, 0, t.length));
      }),
      { numRuns: 40 },
    );
  });

  it('gives the line of each position, in or out of a decoded window, forwards or a step back', () => {
    fc.assert(
      fc.property(
        lines,
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { maxLength: 12 }),
        (text, probes) => {
          const bytes = Buffer.from(text, 'latin1');
          const counter = new LineCounter(bytes, 0, 1);
          let last = 0;
          for (const [p, w, l] of probes) {
            // Mostly forwards, sometimes a little back, as hits come out of the engine.
            const at = Math.min(text.length, p % 3 === 0 ? Math.max(0, last - (p % 7)) : last + (p % 50));
            last = Math.max(last, at);
            const base = Math.min(at, w % (at + 1));
            const window = text.slice(base, Math.min(text.length, base + (l % 80)));
            expect(counter.lineAt(at, window, base)).toBe(1 + naiveCount(text, 0, at));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('dismissal on the bytes, before any decoding', () => {
  const detectors = [...SECRET_DETECTORS, ...WEB_DETECTORS].filter((d) => d.dismiss !== undefined);
  const pieces = fc.constantFrom(
    'token',
    'Password',
    'secret',
    'api_key',
    'pwd',
    'http://',
    'HTTP://',
    'www.w3.org',
    'schemas.android.com',
    'www.w3.org.',
    'example.com',
    'api.acme.io',
    'localhost',
    '10.0.2.2',
    'user@',
    ':8080',
    '/2000/svg',
    '"',
    "'",
    '`',
    ':=',
    ' ',
    '\t',
    '\n',
    '=',
    ' = ',
    ':',
    '(',
    ')',
    '.',
    '-',
    '_',
    'x'.repeat(90),
    'abc',
    'Key',
    '\u00e9',
    '\u00a0',
    'android:name',
    'android:name="',
    ' android:value="',
    '<meta-data ',
  );
  // Shaped like the assignments and URLs the detectors look for, with every part varied.
  const assignment = fc
    .tuple(
      fc.constantFrom('', 'api', 'x.', '"', "'", ' '),
      fc.constantFrom('token', 'Password', 'secret', 'api_key', 'pwd'),
      fc.constantFrom('', '"', "'", 'X', '_id', 'ize'),
      fc.constantFrom('', ' ', '\t', '    ', '     ', '\u00a0'),
      fc.constantFrom('=', ':', ':=', '(', '.', '=='),
      fc.constantFrom('', ' ', '  ', '     ', '\u00a0'),
      fc.constantFrom('"', "'", '`', '', 'x'),
      fc.constantFrom('abcdefgh1234', 'short', 'x'.repeat(20), 'a b c d e f g h'),
      fc.constantFrom('"', "'", '`', ''),
    )
    .map((parts) => parts.join(''));
  const url = fc
    .tuple(
      fc.constantFrom('http://', 'HTTP://', 'xmlns="http://', 'https://', 'mongodb+srv://'),
      fc.constantFrom('', 'user@', 'a:b@', 'a:b:c@', ':@', '"+', '${', '\\(', '%s'),
      fc.constantFrom(
        'www.w3.org',
        'WWW.W3.ORG',
        'www.w3.org.',
        'schemas.android.com',
        'api.acme.io',
        'example.com',
        '',
      ),
      fc.constantFrom('', ':8080', ':'),
      fc.constantFrom('/2000/svg', '"', "'", ' ', '', '\n', '?q=1', '#x', '\\'),
    )
    .map((parts) => parts.join(''));
  const texts = fc.array(fc.oneof(pieces, assignment, url), { maxLength: 30 }).map((p) => p.join(''));

  it('dismisses only where the detector would find nothing in the decoded text', () => {
    expect(detectors.length).toBeGreaterThanOrEqual(3);
    let dismissed = 0;
    fc.assert(
      fc.property(texts, (text) => {
        const bytes = Buffer.from(text, 'latin1');
        for (const d of detectors) {
          const haystack = d.ignoreCase === true ? text.toLowerCase() : text;
          for (const trigger of d.triggers) {
            const needle = d.ignoreCase === true ? trigger.toLowerCase() : trigger;
            for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) {
              if (d.dismiss?.(bytes, at) !== true) continue;
              dismissed++;
              // Nothing found from there: no start, or the regex does not match where it starts.
              const start = d.start?.(text, at) ?? at;
              if (start === -1) continue;
              d.pattern.lastIndex = start;
              expect(d.pattern.exec(text), `${JSON.stringify(text)} at ${at}`).toBeNull();
            }
          }
        }
      }),
      { numRuns: 500 },
    );
    // Not a check that never fires: the texts give it plenty to dismiss.
    expect(dismissed).toBeGreaterThan(100);
  });

  it('dismisses the common cases and keeps what may be a finding', () => {
    const url = WEB_DETECTORS[0];
    const generic = SECRET_DETECTORS.find((d) => d.triggers.includes('token') && d.configOnly !== true);
    const config = SECRET_DETECTORS.find((d) => d.triggers.includes('token') && d.configOnly === true);
    const dismiss = (d: typeof url, text: string, at = text.search(/:\/\/|token/i)) =>
      d?.dismiss?.(Buffer.from(text, 'latin1'), at);
    expect(dismiss(url, 'xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(dismiss(url, '"https://api.acme.io/v1"')).toBe(true);
    expect(dismiss(url, '"http://api.acme.io/v1"')).toBe(false);
    expect(dismiss(url, '"HtTp://api.acme.io/v1"')).toBe(false);
    expect(dismiss(url, '"http://user@www.w3.org/"')).toBe(false);
    expect(dismiss(url, '"http://www.w3.org:8080/"')).toBe(false);
    expect(dismiss(generic, 'tokenize(x)')).toBe(true);
    expect(dismiss(generic, 'token.length')).toBe(true);
    expect(dismiss(generic, 'token = "abc"')).toBe(false);
    expect(dismiss(generic, '"token": "abc"')).toBe(false);
    expect(dismiss(generic, 'token = `abc`')).toBe(false);
    expect(dismiss(generic, "token:='abc'")).toBe(false);
    // Quoted values only in code; config files take them bare.
    expect(dismiss(generic, 'authToken\t: x')).toBe(true);
    expect(dismiss(config, 'authToken\t: x')).toBe(false);
    expect(dismiss(config, 'tokenize(x)')).toBe(true);
    // Android meta-data: only a keyword inside the quoted value of android:name is kept.
    const meta = SECRET_DETECTORS.find((d) => d.pattern.source.startsWith('android:name'));
    const atPassword = (text: string) => dismiss(meta, text, text.indexOf('password'));
    expect(atPassword('<meta-data android:name="admin_password" android:value="x"/>')).toBe(false);
    expect(atPassword('<meta-data android:name = "db.password" android:value="x"/>')).toBe(false);
    expect(atPassword('const password = "x"')).toBe(true);
    expect(atPassword('<meta-data android:value="password" />')).toBe(true);
    expect(atPassword('android:label="password"')).toBe(true);
  });
});

describe('http:// URLs woken by the shared `://` trigger', () => {
  // The reference: each http detector woken by a trigger `http://` of its own, letter case
  // ignored, as before the two shared the `://` of the URL-credentials detector; its start and
  // dismissal are the detector's own, from the `://` four characters on.
  const shared = [...SECRET_DETECTORS, ...WEB_DETECTORS];
  const http = new Set(WEB_DETECTORS.filter((d) => d.triggers.includes('://')));
  const ownTrigger = shared.map((d): TextDetector => {
    if (!http.has(d)) return d;
    const { start, dismiss } = d;
    return {
      ...d,
      triggers: ['http://'],
      ignoreCase: true,
      start: (text, at) => (start === undefined ? at : start(text, at + 4)),
      ...(dismiss === undefined
        ? {}
        : { dismiss: (bytes: Uint8Array, at: number) => dismiss(bytes, at + 4) }),
    };
  });
  const engines = { shared: new TextEngine(shared), own: new TextEngine(ownTrigger) };
  const piece = fc.constantFrom(
    'http://',
    'HTTP://',
    'hTtP://',
    'https://',
    '://',
    'xhttp://',
    'ttp://',
    'http:/',
    'api.acme.io',
    'www.w3.org',
    'localhost:8080',
    'user:pw0rd@',
    '/v1/items',
    '"http://" + host',
    "'http://';",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a JavaScript template, scanned
    '`http://${host}`',
    '"http://%s"',
    '"http://\\(host)"',
    'xmlns="',
    '// see ',
    '"',
    ' ',
    '\n',
    'x'.repeat(40),
  );
  const texts = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));
  const info = { path: 'www/main.js', config: false };
  // Hits of different rules at one start may come in either order (the report sorts them by
  // rule); those of one rule keep theirs, which a stable sort leaves alone.
  const byRule = <T extends { ruleId: string }>(list: T[], at: (t: T) => number): T[] =>
    [...list].sort((a, b) => at(a) - at(b) || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
  const findings = (engine: TextEngine, text: string): RawFinding[] =>
    byRule(scanTextBytes(engine, Buffer.from(text, 'latin1'), info), (f) => f.line ?? 0);

  it('finds the same in strings and in bytes, whatever the case and the place of http', () => {
    let found = 0;
    fc.assert(
      fc.property(texts, (text) => {
        const hits = (engine: TextEngine) =>
          byRule(engine.scan(text, 0, text.length, info, 1), (h) => h.start);
        expect(hits(engines.shared)).toEqual(hits(engines.own));
        const bytes = findings(engines.own, text);
        expect(findings(engines.shared, text)).toEqual(bytes);
        found += bytes.filter((f) => f.ruleId === 'cleartext-http-url').length;
      }),
      { numRuns: 400 },
    );
    expect(found).toBeGreaterThan(100);
  });

  it('finds the same when http:// straddles the boundary of two streamed chunks', async () => {
    const chunking = { chunk: 64, overlap: 48, context: 16 };
    for (let pad = 0; pad < 130; pad++) {
      const text = `${'x'.repeat(pad)}"http://api.acme.io/v1" + "http://" + host;\nHTTP://user:pw0rd@db.acme.io/\n`;
      const out: Record<string, RawFinding[]> = { shared: [], own: [] };
      for (const name of ['shared', 'own'] as const) {
        const pieces = [...Buffer.from(text, 'latin1')].map((b) => Buffer.from([b]));
        await scanTextStream(
          engines[name],
          Readable.from(pieces),
          info,
          out[name] as RawFinding[],
          () => undefined,
          chunking,
        );
      }
      const line = (f: RawFinding) => f.line ?? 0;
      expect(byRule(out.shared ?? [], line), `pad ${pad}`).toEqual(byRule(out.own ?? [], line));
      expect(out.shared?.filter((f) => f.ruleId === 'cleartext-http-url')).toHaveLength(3);
    }
  });
});

describe('the WebAssembly scan', () => {
  it('is the assembly of trigger-scan.wat (npm run build:wasm)', () => {
    const script = fileURLToPath(new URL('../../scripts/build-wasm.mjs', import.meta.url));
    const result = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
