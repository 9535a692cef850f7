/**
 * Archives inside the input: a build-output directory with an APK, an IPA and a zip in a zip is
 * scanned entry by entry, each archive with its own checks, findings named
 * `<archive>!/<entry>` in every output format and in the baseline; the nesting depth limit, the
 * in-memory size limit, corrupt nested archives (reported, not fatal) and the zip-bomb limits
 * shared by every archive of a scan.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaseline } from '../../src/audit/baseline.js';
import { AuditArchiveError } from '../../src/audit/errors.js';
import { formatJson } from '../../src/audit/format/json.js';
import { formatSarif } from '../../src/audit/format/sarif.js';
import { formatTable } from '../../src/audit/format/table.js';
import { normaliseBuildPath } from '../../src/audit/lib/finding.js';
import { auditPath } from '../../src/audit/scan.js';
import type { ZipLimits } from '../../src/audit/sources/zip.js';
import type { AuditReport, Finding } from '../../src/audit/types.js';
import { encodeAxml } from './lib/axml-encoder.js';
import { apiDomains, buildFixtureApp, type FixtureApp, now, SECRETS, where } from './lib/fixtures.js';

// CommonJS packages: their default export is the module object, whose .default is the export.
const Ajv = AjvDraft04.default;
const addFormats = ajvFormats.default;

const here = dirname(fileURLToPath(import.meta.url));
const files = (r: AuditReport, ruleId: string): string[] =>
  where(r, ruleId)
    .map((f) => f.file)
    .sort();

type Tree = { [name: string]: string | Uint8Array | Tree };

/** A zip of `tree`; a nested object is itself zipped into the entry of that name. */
function zip(tree: Tree): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const [name, value] of Object.entries(tree)) {
    entries[name] =
      typeof value === 'string' ? Buffer.from(value) : value instanceof Uint8Array ? value : zip(value);
  }
  return zipSync(entries);
}

let root: string;
let n = 0;
let vuln: FixtureApp;
let clean: FixtureApp;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bulwark-nested-'));
  vuln = await buildFixtureApp(join(root, 'vulnerable'), true);
  clean = await buildFixtureApp(join(root, 'clean'), false);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes files into a fresh directory and returns its path. */
async function directory(tree: Record<string, string | Uint8Array>): Promise<string> {
  const dir = join(root, `d${n++}`);
  for (const [path, content] of Object.entries(tree)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

describe('a build-output directory with an APK, an IPA and a zip in a zip', () => {
  it('scans each archive with its own checks and names findings <archive>!/<entry>', async () => {
    const report = await auditPath(vuln.outputs, { now, apiDomains });
    expect(report.kind).toBe('directory');
    const manifest = 'app-release.apk!/AndroidManifest.xml';
    const nsc = 'app-release.apk!/res/xml/network_security_config.xml';
    for (const rule of ['android-debuggable', 'android-test-only', 'android-cleartext-traffic']) {
      expect(files(report, rule), rule).toEqual([manifest]);
    }
    expect(files(report, 'android-nsc-cleartext')).toEqual([nsc]);
    // Pin coverage is the APK's own, reported on its own config.
    expect(files(report, 'android-nsc-no-pins')).toEqual([nsc]);
    expect(files(report, 'ios-ats-arbitrary-loads')).toEqual(['App.ipa!/Payload/App.app/Info.plist']);
    expect(files(report, 'ios-debug-entitlement')).toEqual([
      'App.ipa!/Payload/App.app/embedded.mobileprovision',
    ]);
    expect(files(report, 'secret-stripe-live-key')).toEqual([
      'App.ipa!/Payload/App.app/Info.plist',
      'App.ipa!/Payload/App.app/public/main.js',
      'app-release.apk!/assets/public/main.js',
      'web.zip!/legacy.zip!/main.js',
    ]);
    // Lines inside a nested entry are the entry's own.
    expect(
      where(report, 'secret-stripe-live-key').find((f) => f.file === 'web.zip!/legacy.zip!/main.js')?.line,
    ).toBe(11);
    expect(files(report, 'cleartext-http-url')).toContain('app-release.apk!/classes.dex');
    expect(where(report, 'audit-unparsed-file')).toEqual([]);
  });

  it('the clean twin has no finding', async () => {
    const report = await auditPath(clean.outputs, { now, apiDomains });
    expect(report.findings).toEqual([]);
    expect(report.stats.files).toBeGreaterThan(10);
  });

  it('an archive inside the archive given as input is opened too', async () => {
    const outer = join(root, 'release.zip');
    await writeFile(outer, zip({ 'app-release.apk': await readFile(vuln.apk) }));
    const report = await auditPath(outer, { now, apiDomains });
    expect(report.kind).toBe('zip');
    expect(files(report, 'android-debuggable')).toEqual(['app-release.apk!/AndroidManifest.xml']);
  });

  it('table, JSON and SARIF name the nested file; the SARIF stays valid', async () => {
    const report = await auditPath(vuln.outputs, { now, apiDomains });
    const nested = 'web.zip!/legacy.zip!/main.js';
    // The table lists the first places of each rule; its findings in that file alone show its name.
    const inNested = { ...report, findings: report.findings.filter((f) => f.file === nested) };
    expect(inNested.findings.length).toBeGreaterThan(0);
    expect(formatTable(inNested, { colour: false })).toContain(`${nested}:11`);
    const json = JSON.parse(formatJson(report)) as { findings: Finding[] };
    expect(json.findings.map((f) => f.file)).toContain(nested);
    const schema = JSON.parse(
      await readFile(join(here, 'fixtures', 'sarif-schema-2.1.0.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const log = JSON.parse(formatSarif(report, '0.0.0')) as {
      runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[];
    };
    validate(log);
    expect(validate.errors ?? []).toEqual([]);
    const uris = log.runs[0]?.results.map((r) => r.locations[0]?.physicalLocation.artifactLocation.uri);
    expect(uris).toContain(nested);
    expect(JSON.stringify(log)).not.toContain(SECRETS.stripeLive);
  });

  it('build hashes in archive names are normalised in fingerprints, as in entry names', () => {
    expect(normaliseBuildPath('out/app-3f9a1c2b.apk!/assets/main.0a1b2c3d.js')).toBe(
      'out/app-*.apk!/assets/main.*.js',
    );
    expect(normaliseBuildPath('a.zip!/b-9f8e7d6c5b.zip!/c.js')).toBe('a.zip!/b-*.zip!/c.js');
    // Names without a digit and a letter are words, not hashes.
    expect(normaliseBuildPath('app-release.apk!/AndroidManifest.xml')).toBe(
      'app-release.apk!/AndroidManifest.xml',
    );
  });

  it('the baseline fingerprint is of the nested name', async () => {
    const nested = await auditPath(vuln.outputs, { now, apiDomains });
    const direct = await auditPath(vuln.apk, { now, apiDomains });
    const fp = (r: AuditReport, file: string) =>
      r.findings.find((f) => f.ruleId === 'android-debuggable' && f.file === file)?.fingerprint;
    const inside = fp(nested, 'app-release.apk!/AndroidManifest.xml');
    expect(inside).toMatch(/^[0-9a-f]{32}$/);
    expect(inside).not.toBe(fp(direct, 'AndroidManifest.xml'));
    const baseline = createBaseline(nested.findings);
    expect(baseline.accepted.map((a) => a.file)).toContain('web.zip!/legacy.zip!/main.js');
    const again = await auditPath(vuln.outputs, { now, apiDomains, baseline });
    expect(again.findings).toEqual([]);
    expect(again.suppressed).toBe(nested.findings.length);
    // The same APK accepted in the directory does not accept it given alone.
    const alone = await auditPath(vuln.apk, { now, apiDomains, baseline });
    expect(alone.findings.length).toBe(direct.findings.length);
  });

  it('split APKs of an .apks set are checked as splits', async () => {
    const base = encodeAxml({
      name: 'manifest',
      plain: { package: 'com.acme' },
      children: [{ name: 'application', android: { allowBackup: false } }],
    });
    const config = encodeAxml({
      name: 'manifest',
      plain: { package: 'com.acme', split: 'config.xxhdpi' },
      children: [{ name: 'application', plain: { hasCode: false } }],
    });
    const dir = await directory({
      'app.apks': zip({
        'toc.pb': new Uint8Array([8, 1]),
        'splits/base-master.apk': zip({ 'AndroidManifest.xml': base }),
        'splits/base-xxhdpi.apk': zip({ 'AndroidManifest.xml': config }),
      }),
    });
    const report = await auditPath(dir, { now });
    // No allowBackup default on the config split, and one pin check, the base's.
    expect(report.findings.map((f) => `${f.ruleId} ${f.file}`)).toEqual([
      'android-nsc-no-pins app.apks!/splits/base-master.apk!/AndroidManifest.xml',
    ]);
  });
});

describe('limits', () => {
  const secret = (i: number) => `const k${i} = "${SECRETS.stripeLive.slice(0, -2)}${i}${i}";\n`;
  /** l1.zip holding s1.js and l2.zip, holding s2.js and l3.zip, … down to l<levels>.zip. */
  const chain = (levels: number, from = 1): Tree => {
    const tree: Tree = { [`s${from}.js`]: secret(from) };
    if (from < levels) tree[`l${from + 1}.zip`] = chain(levels, from + 1);
    return tree;
  };

  it('opens archives three levels deep and reports the fourth, unopened', async () => {
    const dir = await directory({ 'l1.zip': zip(chain(5)) });
    const report = await auditPath(dir, { now });
    expect(files(report, 'secret-stripe-live-key')).toEqual([
      'l1.zip!/l2.zip!/l3.zip!/s3.js',
      'l1.zip!/l2.zip!/s2.js',
      'l1.zip!/s1.js',
    ]);
    expect(where(report, 'audit-unparsed-file').map((f) => [f.file, f.severity])).toEqual([
      ['l1.zip!/l2.zip!/l3.zip!/l4.zip', 'medium'],
    ]);
    expect(where(report, 'audit-unparsed-file')[0]?.message).toContain('nested deeper than 3 archives');
  });

  it('the depth counts from the input, archive or directory', async () => {
    const input = join(root, 'l1.zip');
    await writeFile(input, zip(chain(5)));
    const report = await auditPath(input, { now, zipLimits: limits({ maxNestingDepth: 1 }) });
    expect(files(report, 'secret-stripe-live-key')).toEqual(['l2.zip!/s2.js', 's1.js']);
    expect(files(report, 'audit-unparsed-file')).toEqual(['l2.zip!/l3.zip']);
  });

  const limits = (overrides: Partial<ZipLimits>): ZipLimits => ({
    maxEntryBytes: 2 ** 31,
    maxTotalBytes: 2 ** 33,
    maxEntries: 500_000,
    ...overrides,
  });

  it('an archive inside an archive is read into memory only up to its limit', async () => {
    const dir = await directory({
      // Random bytes do not compress: inner.zip stays above 50 000 bytes.
      'big.zip': zip({ 'inner.zip': zip({ 'a.js': secret(1), 'pad.bin': randomBytes(50_000) }) }),
      'small.zip': zip({ 'a.js': secret(2) }),
    });
    const report = await auditPath(dir, { now, zipLimits: limits({ maxNestedArchiveBytes: 10_000 }) });
    // Archives of the directory are opened in place, whatever their size.
    expect(files(report, 'secret-stripe-live-key')).toEqual(['small.zip!/a.js']);
    const unparsed = where(report, 'audit-unparsed-file');
    expect(unparsed.map((f) => [f.file, f.severity])).toEqual([['big.zip!/inner.zip', 'medium']]);
    expect(unparsed[0]?.message).toContain('10000-byte limit');
  });

  it('a corrupt nested archive is reported and the scan goes on', async () => {
    const good = Buffer.from(zip({ 'a.js': secret(1) }));
    const dir = await directory({
      'broken.apk': good.subarray(0, good.length - 30),
      // Binary that is no zip (a text file named .jar is read as text: heldout20.test.ts).
      'fake.jar': Buffer.from('\u0000\u0001not a zip at all\u0000'),
      'outer.zip': zip({ 'inner.apk': good.subarray(0, good.length - 30), 'b.js': secret(2) }),
      'c.js': secret(3),
    });
    const report = await auditPath(dir, { now });
    expect(where(report, 'audit-unparsed-file').map((f) => [f.file, f.severity])).toEqual([
      ['broken.apk', 'high'],
      ['fake.jar', 'high'],
      ['outer.zip!/inner.apk', 'high'],
    ]);
    expect(where(report, 'audit-unparsed-file')[1]?.message).toContain('not a zip archive');
    expect(files(report, 'secret-stripe-live-key')).toEqual(['c.js', 'outer.zip!/b.js']);
  });

  it('a nested archive that fails to inflate keeps what was scanned before the damage', async () => {
    const body = Buffer.from(`${'x'.repeat(2000)}\n${secret(2)}`);
    const inner = Buffer.from(zipSync({ 'a.js': [Buffer.from(secret(1)), { level: 0 }], 'b.js': body }));
    // Overwrite b.js's deflate stream (after its 30-byte local header and name) with an invalid block type.
    const at = inner.indexOf('b.js') + 'b.js'.length;
    inner.fill(0xff, at, at + 16);
    const input = join(root, 'damaged.zip');
    await writeFile(input, zip({ 'inner.zip': inner }));
    const report = await auditPath(input, { now });
    expect(files(report, 'secret-stripe-live-key')).toEqual(['inner.zip!/a.js']);
    expect(where(report, 'audit-unparsed-file').map((f) => f.file)).toEqual(['inner.zip']);
    expect(where(report, 'audit-unparsed-file')[0]?.message).toContain('b.js');
  });

  it('the zip-bomb limits are shared by every archive of the scan', async () => {
    const bomb = () => zip({ 'zeros.bin': new Uint8Array(900_000) });
    const shared = limits({ maxEntryBytes: 1_000_000, maxTotalBytes: 1_500_000 });
    // Each archive alone is within the limits…
    const one = await directory({ 'a.zip': bomb() });
    await expect(auditPath(one, { now, zipLimits: shared })).resolves.toBeDefined();
    const input = join(root, 'one-inside.zip');
    await writeFile(input, zip({ 'a.zip': bomb() }));
    await expect(auditPath(input, { now, zipLimits: shared })).resolves.toBeDefined();
    // …two are not, side by side in a directory or nested in the input.
    const two = await directory({ 'a.zip': bomb(), 'b.zip': bomb() });
    await expect(auditPath(two, { now, zipLimits: shared })).rejects.toThrow(AuditArchiveError);
    const nested = join(root, 'two-inside.zip');
    await writeFile(nested, zip({ 'a.zip': bomb(), 'b.zip': bomb() }));
    await expect(auditPath(nested, { now, zipLimits: shared })).rejects.toThrow(
      'expands beyond the size limit',
    );
    // The entry count too: 2 + 2 + the outer 2 entries.
    const counted = limits({ maxEntries: 5 });
    const many = join(root, 'many.zip');
    await writeFile(
      many,
      zip({ 'a.zip': { '1.js': 'a', '2.js': 'b' }, 'b.zip': { '3.js': 'c', '4.js': 'd' } }),
    );
    await expect(auditPath(many, { now, zipLimits: counted })).rejects.toThrow('too many entries');
    await expect(auditPath(many, { now, zipLimits: limits({ maxEntries: 6 }) })).resolves.toBeDefined();
  });

  it('a zip bomb nested in a directory stops the scan, naming the archive', async () => {
    const dir = await directory({
      'dist/web.zip': zip({ 'inner.zip': { 'z.bin': new Uint8Array(2_000_000) } }),
    });
    await expect(auditPath(dir, { now, zipLimits: limits({ maxEntryBytes: 1_000_000 }) })).rejects.toThrow(
      'dist/web.zip!/inner.zip: not a readable zip archive (entry z.bin is larger than the limit)',
    );
  });

  it('gzip, 7z and rar stay skipped; Gradle wrapper jars are not opened', async () => {
    const dir = await directory({
      'dist/bundle.tgz': Buffer.from(secret(1)),
      'dist/assets.7z': Buffer.from(secret(2)),
      'dist/old.rar': Buffer.from(secret(3)),
      'android/gradle/wrapper/gradle-wrapper.jar': zip({ 'a.js': secret(4) }),
      'android/app/libs/vendor.jar': zip({ 'b.js': secret(5) }),
    });
    const report = await auditPath(dir, { now });
    expect(files(report, 'secret-stripe-live-key')).toEqual(['android/app/libs/vendor.jar!/b.js']);
    expect(report.stats.skipped).toBe(4);
  });
});
