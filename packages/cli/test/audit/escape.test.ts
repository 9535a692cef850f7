/**
 * Terminal injection through findings: a crafted native library or dex carries, right after an
 * `http://` URL, the bytes that retitle a terminal (OSC 0), clear it (CSI 2J), paint fake report
 * lines (SGR colours), reorder text (bidi overrides) and a NUL. None of them may reach any
 * output: the table (its grouped locations, the reasons of findings set aside, the summary, with
 * and without `--include-tests` and `--min-severity`), JSON (its groups), SARIF (its related
 * locations) or a written baseline. Then, for arbitrary bytes around findings, no output string
 * holds a control character (fast-check).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaseline } from '../../src/audit/baseline.js';
import { formatJson } from '../../src/audit/format/json.js';
import { formatSarif } from '../../src/audit/format/sarif.js';
import { formatTable } from '../../src/audit/format/table.js';
import { toFinding } from '../../src/audit/lib/finding.js';
import { printable } from '../../src/audit/lib/printable.js';
import { TextEngine } from '../../src/audit/lib/text-engine.js';
import { WEB_DETECTORS } from '../../src/audit/rules/cleartext.js';
import { SECRET_DETECTORS } from '../../src/audit/rules/secrets.js';
import type { AuditReport, Finding } from '../../src/audit/types.js';
import { runCli } from '../lib/run-cli.js';
import { GITHUB_TOKEN } from './lib/fixtures.js';

/** Any C0 control but the newline, DEL, C1, ESC, bidi controls, line/paragraph separators. */
const CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** The same, newline included: for single strings, which never span lines. */
const CONTROL_OR_NEWLINE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** What a crafted binary puts after its URL: retitle, clear, home, fake red line, bidi, NUL. */
const INJECTION =
  '\u001b]0;pwned-title\u0007\u001b[2J\u001b[H\u001b[1;31mCRITICAL all clear\u001b[0m\u009b2J\u202etxt.exe\u0000';
const URL = 'http://telemetry.acme-corp.io/v1/collect';

/** An ELF-looking shared object: header, NULs, the URL string followed by the injection. */
function craftedSo(): Buffer {
  return Buffer.concat([
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(56).fill(0)]),
    Buffer.from(`${URL}${INJECTION}\u00ff\u00fe`, 'latin1'),
    Buffer.alloc(64),
  ]);
}

/** A dex-looking file with the same string in its string table. */
function craftedDex(): Buffer {
  return Buffer.concat([
    Buffer.from('dex\n035\u0000', 'latin1'),
    Buffer.alloc(104),
    Buffer.from([URL.length + 12]),
    Buffer.from(`${URL}/dex${INJECTION}`, 'latin1'),
    Buffer.alloc(32),
  ]);
}

let root: string;
let app: string;
let grouped: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bulwark-audit-escape-'));
  app = join(root, 'app');
  grouped = join(root, 'grouped');
  await mkdir(join(app, 'lib', 'arm64-v8a'), { recursive: true });
  await writeFile(join(app, 'lib', 'arm64-v8a', 'libcrafted.so'), craftedSo());
  await writeFile(join(app, 'classes.dex'), craftedDex());
  // A file name is the app author's text too.
  await writeFile(join(app, 'evil\u001b]0;named\u0007\u001b[2J.js'), `const token = "${GITHUB_TOKEN}";\n`);
  // The same crafted library in modules whose names carry escapes: one problem, listed with its
  // places; and once in a test folder, set aside with its reason.
  for (const module of [
    'mod\u001b[2J-a',
    'mod\u009b2J-b',
    'mod\u202e-c',
    'mod-d',
    'test/t\u001b]0;t\u0007',
  ]) {
    await mkdir(join(grouped, module, 'lib'), { recursive: true });
    await writeFile(join(grouped, module, 'lib', 'libcrafted.so'), craftedSo());
  }
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli('audit', ...args);

describe('a crafted binary cannot drive the terminal', () => {
  it('the table shows the URL, ended where the string ends, and none of the bytes after it', async () => {
    const { stdout, stderr } = await cli(app);
    expect(stdout).toContain(`cleartext endpoint ${URL}`);
    expect(stdout).toContain(`cleartext endpoint ${URL}/dex`);
    expect(stdout).not.toMatch(CONTROL);
    expect(stderr).not.toMatch(CONTROL);
    expect(stdout).not.toContain('pwned-title');
    expect(stdout).not.toContain('all clear');
    // The file name is shown, spelled out.
    expect(stdout).toContain('evil\\x1B]0;named\\x07\\x1B[2J.js');
  });

  it('JSON carries no control character, escaped or raw', async () => {
    const { stdout } = await cli(app, '--format', 'json');
    expect(stdout).not.toMatch(CONTROL);
    expect(stdout).not.toMatch(/\\u00[01][0-9a-f]|\\u007f/i);
    const { findings } = JSON.parse(stdout) as { findings: Finding[] };
    const urls = findings.filter((f) => f.ruleId === 'cleartext-http-url');
    expect(urls.map((f) => f.evidence).sort()).toEqual([URL, `${URL}/dex`]);
    for (const f of findings)
      for (const v of Object.values(f)) expect(String(v)).not.toMatch(CONTROL_OR_NEWLINE);
  });

  it('SARIF and a written baseline carry none either', async () => {
    const { stdout } = await cli(app, '--format', 'sarif');
    expect(stdout).not.toMatch(CONTROL);
    expect(stdout).not.toMatch(/\\u00[01][0-9a-f]|\\u007f/i);
    expect(stdout).toContain(`cleartext endpoint ${URL}`);
    const baseline = join(root, 'baseline.json');
    await cli(app, '--write-baseline', baseline);
    const written = await readFile(baseline, 'utf8');
    expect(written).toContain('evil\\\\x1B');
    expect(written).not.toMatch(CONTROL);
    expect(written).not.toMatch(/\\u00[01][0-9a-f]|\\u007f/i);
  });
});

describe('the grouped table, its summary and the set-aside findings print no control byte', () => {
  it('in every view of the table', async () => {
    for (const args of [
      [],
      ['--include-tests'],
      ['--min-severity', 'high'],
      ['--include-tests', '--min-severity', 'low'],
    ]) {
      const { stdout, stderr } = await cli(grouped, ...args);
      expect(stdout, args.join(' ')).not.toMatch(CONTROL);
      expect(stderr).not.toMatch(CONTROL);
      expect(stdout).not.toContain('pwned-title');
    }
    const all = (await cli(grouped, '--include-tests')).stdout;
    // One problem in four modules: its places listed, spelled out.
    expect(all).toMatch(/at 4 places:/);
    expect(all).toContain('mod\\x1B[2J-a/lib/libcrafted.so');
    expect(all).toContain('      and 1 more\n');
    expect(all).toContain('mod\\u202E-c/lib/libcrafted.so');
    // The one in the test folder, with the reason it was set aside.
    expect(all).toContain('test/t\\x1B]0;t\\x07/lib/libcrafted.so');
    expect(all).toContain('[lowered from medium: test code, not shipped]');
  });

  it('in JSON groups and SARIF related locations', async () => {
    const json = (await cli(grouped, '--format', 'json')).stdout;
    expect(json).not.toMatch(CONTROL);
    expect(json).not.toMatch(/\\u00[01][0-9a-f]|\\u007f/i);
    const { groups } = JSON.parse(json) as { groups: { locations: { file: string }[] }[] };
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) for (const l of g.locations) expect(l.file).not.toMatch(CONTROL_OR_NEWLINE);
    expect(groups.flatMap((g) => g.locations.map((l) => l.file))).toContain('mod\\x9B2J-b/lib/libcrafted.so');
    const sarif = (await cli(grouped, '--format', 'sarif')).stdout;
    expect(sarif).toContain('relatedLocations');
    expect(sarif).not.toMatch(CONTROL);
    expect(sarif).not.toMatch(/\\u00[01][0-9a-f]|\\u007f/i);
  });
});

describe('error messages', () => {
  it('spell out a path that carries escape sequences', async () => {
    const { code, stderr } = await cli(join(root, 'missing\u001b]0;t\u0007\u001b[2J'));
    expect(code).toBe(3);
    expect(stderr).toContain('missing\\x1B]0;t\\x07\\x1B[2J');
    expect(stderr).not.toMatch(CONTROL);
  });
});

describe('printable', () => {
  it('spells out C0, DEL, C1, ESC sequences and bidi controls, and leaves other text alone', () => {
    expect(printable('a\u0000b\u007fc\u0085d\u001b[2Je\u202ef\u2066')).toBe(
      'a\\x00b\\x7Fc\\x85d\\x1B[2Je\\u202Ef\\u2066',
    );
    const plain = 'café — 東京 http://x.test/ü';
    expect(printable(plain)).toBe(plain);
  });
});

describe('property: no output string holds a control character', () => {
  const engine = new TextEngine([...SECRET_DETECTORS, ...WEB_DETECTORS]);
  const bytes = fc.uint8Array({ maxLength: 48 });
  // Hosts, paths, user names and the secrets of a few rules, to put findings among the bytes.
  const seeds = fc.constantFrom(
    'http://api.acme-corp.io',
    'http://u:p@cdn.acme-corp.io:8080/a/b?c=d',
    'http://x.acme-corp.io/',
    `token = "${GITHUB_TOKEN}"`,
    'password = "',
    'localStorage.setItem("token", ',
  );
  const file = fc.oneof(fc.constant('lib/x.so'), fc.string({ unit: 'binary', maxLength: 20 }));

  it('for arbitrary bytes around findings, in every format', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(bytes, seeds), { maxLength: 4 }), bytes, file, (parts, tail, name) => {
        const source = Buffer.concat([
          ...parts.flatMap(([b, seed]) => [Buffer.from(b), Buffer.from(seed, 'latin1')]),
          Buffer.from(tail),
        ]);
        const hits = engine.scan(source, 0, source.length, { path: name, config: false });
        // The seeds are found whatever bytes surround them (so the outputs below are not empty)…
        const urls = hits.filter((h) => h.ruleId === 'cleartext-http-url');
        if (parts.some(([, seed]) => seed.startsWith('http://'))) expect(urls.length).toBeGreaterThan(0);
        // …and the cause is gone: no URL match carries a control byte or a non-ASCII one.
        for (const h of urls) expect(h.evidence).toMatch(/^[!-~•]+$/); // • masks a user name
        const findings = hits.map((h) =>
          toFinding({ ruleId: h.ruleId, file: name, message: h.message, evidence: h.evidence, key: h.key }),
        );
        const report: AuditReport = {
          kind: 'directory',
          findings,
          suppressed: 0,
          stats: { files: 1, bytes: source.length, skipped: 0 },
        };
        for (const out of [
          formatTable(report, { colour: false }),
          formatJson(report),
          formatSarif(report, '0.0.0'),
        ]) {
          expect(out).not.toMatch(CONTROL);
          expect(out).not.toMatch(/\\u00[01][0-9a-f]|\\u007f/i);
        }
        expect(JSON.stringify(createBaseline(findings))).not.toMatch(/\\u00[01][0-9a-f]|\\u007f/i);
      }),
      { numRuns: 400 },
    );
  });

  it('for findings built with arbitrary text, whoever built them', () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(text, text, text, text, fc.boolean(), (file, message, evidence, reason, includeContext) => {
        const finding: Finding = {
          ruleId: 'cleartext-http-url',
          severity: 'medium',
          file,
          message,
          evidence,
          masvs: 'MASVS-NETWORK-1',
          fix: 'fix',
          fingerprint: '0',
        };
        // The same problem in a second place (grouped), and once set aside with a reason.
        const report: AuditReport = {
          kind: 'file',
          findings: [
            finding,
            { ...finding, file: `${file}/2`, fingerprint: '1' },
            { ...finding, severity: 'low', context: { reason, loweredFrom: 'medium' }, fingerprint: '2' },
          ],
          suppressed: 0,
          stats: { files: 1, bytes: 0, skipped: 0 },
        };
        for (const out of [
          formatTable(report, { colour: false }),
          formatTable(report, { colour: false, view: { minSeverity: 'info', includeContext }, elapsedMs: 1 }),
          formatJson(report),
          formatSarif(report, '0.0.0'),
        ]) {
          expect(out).not.toMatch(CONTROL);
          expect(out).not.toMatch(/\\u00[01][0-9a-f]|\\u007f/i);
        }
      }),
      { numRuns: 300 },
    );
  });
});
