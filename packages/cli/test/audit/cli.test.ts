/**
 * `bulwark audit` as a user runs it: output formats (table, JSON, SARIF validated against the
 * official SARIF 2.1.0 schema), exit codes (0 / 1 / 2 / 3), --fail-on, the baseline, and bad input
 * (missing path, corrupt zip, unreadable file, invalid baseline) answered with a message and a
 * distinct exit code, never a stack trace.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditArchiveError, AuditUnreadableError } from '../../src/audit/errors.js';
import { auditPath } from '../../src/audit/scan.js';
import { runCli } from '../lib/run-cli.js';

// CommonJS packages: their default export is the module object, whose .default is the export.
const Ajv = AjvDraft04.default;
const addFormats = ajvFormats.default;

import { buildFixtureApp, type FixtureApp, SECRETS } from './lib/fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
let root: string;
let vuln: FixtureApp;
let clean: FixtureApp;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bulwark-audit-cli-'));
  vuln = await buildFixtureApp(join(root, 'vulnerable'), true);
  clean = await buildFixtureApp(join(root, 'clean'), false);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => {
  process.exitCode = undefined;
});

/** `bulwark audit <args…>` in-process. */
const cli = (...args: string[]) => runCli('audit', ...args);

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('formats and exit codes', () => {
  it('table by default, exit 1 on findings at or above high', async () => {
    const { code, stdout } = await cli(vuln.dir);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^CRITICAL secret-stripe-live-key {2}\(\d+ findings? .*\)$/m);
    expect(stdout).toMatch(/^ {4,6}(?:at )?www\/main\.js:11$/m);
    expect(stdout).toMatch(
      /\d+ findings \(.*critical.*\) in \d+ files \(directory\), [\d.]+ MB in [\d.]+ s[.;]/,
    );
    expect(stdout).not.toContain('\u001b['); // no colour when not a TTY
  });

  it('json is {"findings": [...]} with redacted evidence', async () => {
    const { code, stdout } = await cli(vuln.apk, '--format', 'json');
    expect(code).toBe(1);
    const parsed = JSON.parse(stdout) as { findings: Record<string, unknown>[] };
    expect(Object.keys(parsed)).toEqual(['findings', 'groups', 'stats']);
    const debuggable = parsed.findings.find((f) => f.ruleId === 'android-debuggable');
    expect(debuggable).toMatchObject({
      severity: 'high',
      file: 'AndroidManifest.xml',
      masvs: 'MASVS-RESILIENCE-4',
      mastg: 'MASTG-TEST-0226',
    });
    expect(typeof debuggable?.fix).toBe('string');
    expect(stdout).not.toContain(SECRETS.stripeLive);
  });

  it('exit 0 on the clean twin, and --fail-on decides the threshold', async () => {
    expect((await cli(clean.dir)).code).toBe(0);
    // The Stripe live key in the IPA's Info.plist is critical.
    expect((await cli(vuln.ipa, '--fail-on', 'critical', '--format', 'json')).code).toBe(1);
    const medium = join(root, 'medium-only');
    await buildMediumOnly(medium);
    expect((await cli(medium, '--fail-on', 'high')).code).toBe(0);
    expect((await cli(medium, '--fail-on', 'medium')).code).toBe(1);
  });

  it('usage errors exit 2 (unknown format, unknown severity)', async () => {
    expect((await cli(vuln.dir, '--format', 'xml')).code).toBe(2);
    expect((await cli(vuln.dir, '--fail-on', 'severe')).code).toBe(2);
  });
});

async function buildMediumOnly(dir: string): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'app.js'), 'fetch("http://api.acme-corp.io/v1")\n');
}

describe('SARIF', () => {
  it('validates against the SARIF 2.1.0 schema and carries GitHub code scanning fields', async () => {
    const schema = JSON.parse(
      await readFile(join(here, 'fixtures', 'sarif-schema-2.1.0.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    for (const input of [vuln.dir, vuln.apk, vuln.ipa, clean.dir]) {
      const { stdout } = await cli(input, '--format', 'sarif');
      const log = JSON.parse(stdout) as {
        version: string;
        runs: {
          tool: { driver: { rules: { id: string; properties: Record<string, unknown> }[] } };
          results: Record<string, unknown>[];
        }[];
      };
      const ok = validate(log);
      expect(validate.errors ?? [], input).toEqual([]);
      expect(ok).toBe(true);
      expect(log.version).toBe('2.1.0');
      const run0 = log.runs[0];
      expect(
        run0?.tool.driver.rules.every((r) => typeof r.properties['security-severity'] === 'string'),
      ).toBe(true);
      for (const r of run0?.results ?? []) {
        expect(r).toHaveProperty('partialFingerprints');
        expect(JSON.stringify(r)).not.toContain(SECRETS.stripeLive);
      }
    }
  });

  it('the schema check is able to fail', async () => {
    const schema = JSON.parse(
      await readFile(join(here, 'fixtures', 'sarif-schema-2.1.0.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const { stdout } = await cli(vuln.dir, '--format', 'sarif');
    const log = JSON.parse(stdout) as { runs: { results: { level: string }[] }[] };
    const first = log.runs[0]?.results[0];
    if (first) first.level = 'severe';
    expect(validate(log)).toBe(false);
  });
});

describe('baseline', () => {
  it('accepts the findings it lists, and a new secret is reported again', async () => {
    const baseline = join(root, 'baseline.json');
    const written = await cli(vuln.dir, '--write-baseline', baseline);
    expect(written.code).toBe(0);
    const data = JSON.parse(await readFile(baseline, 'utf8')) as {
      version: number;
      accepted: { fingerprint: string }[];
    };
    expect(data.version).toBe(1);
    expect(data.accepted.length).toBeGreaterThan(20);
    expect(JSON.stringify(data)).not.toContain(SECRETS.stripeLive);

    const accepted = await cli(vuln.dir, '--baseline', baseline);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(
      /No findings in \d+ files \(directory\), [\d.]+ MB in [\d.]+ s; \d+ accepted by the baseline\./,
    );

    const original = await readFile(join(vuln.dir, 'www', 'main.js'), 'utf8');
    await writeFile(
      join(vuln.dir, 'www', 'main.js'),
      `${original}\nconst other = "sk_live_51Zz9KqL2mN8vB4cR7tY1wZ3pD6fG0jQ";\n`,
    );
    try {
      const again = await cli(vuln.dir, '--baseline', baseline, '--format', 'json');
      expect(again.code).toBe(1);
      const findings = (JSON.parse(again.stdout) as { findings: { ruleId: string; line: number }[] })
        .findings;
      expect(findings.map((f) => f.ruleId)).toEqual(['secret-stripe-live-key']);
    } finally {
      await writeFile(join(vuln.dir, 'www', 'main.js'), original);
    }
  });

  it('an invalid baseline is bad input (exit 3)', async () => {
    const bad = join(root, 'bad-baseline.json');
    await writeFile(bad, '{"version": 1, "accepted": [{"fingerprint": "nope"}]}');
    const result = await cli(vuln.dir, '--baseline', bad);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('[audit_baseline_invalid]');
    const missing = await cli(vuln.dir, '--baseline', join(root, 'absent.json'));
    expect(missing.code).toBe(3);
  });
});

describe('bad input', () => {
  it('a missing path: message, exit 3, no stack trace', async () => {
    const result = await cli(join(root, 'does-not-exist'));
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('no such file or directory. [audit_path_not_found]');
    expect(result.stdout).toBe('');
    noStack(result.stderr);
  });

  it('a corrupt zip: message, exit 3, no stack trace', async () => {
    const good = Buffer.from(
      zipSync({ 'AndroidManifest.xml': Buffer.alloc(100, 1), 'classes.dex': Buffer.alloc(5000, 7) }),
    );
    const corrupt = join(root, 'corrupt.apk');
    await writeFile(corrupt, good.subarray(0, good.length - 30));
    const result = await cli(corrupt);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('[audit_archive_corrupt]');
    noStack(result.stderr);
    const garbage = join(root, 'garbage.ipa');
    await writeFile(garbage, Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(200, 0xaa)]));
    expect((await cli(garbage)).code).toBe(3);
    // Not a zip at all (a failed download, an HTML error page saved as the APK).
    const notZip = join(root, 'download.apk');
    await writeFile(notZip, '<html>404 Not Found</html>\n');
    const refused = await cli(notZip);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('not a zip archive). [audit_archive_corrupt]');
    noStack(refused.stderr);
  });

  it('a corrupt archive inside a readable input is a finding, not exit 3', async () => {
    const { mkdir } = await import('node:fs/promises');
    const dir = join(root, 'with-corrupt-apk');
    await mkdir(dir, { recursive: true });
    const good = Buffer.from(zipSync({ 'classes.dex': Buffer.alloc(5000, 7) }));
    await writeFile(join(dir, 'app-release.apk'), good.subarray(0, good.length - 30));
    // High: the default --fail-on fails the build on an app it could not read.
    const result = await cli(dir, '--format', 'json');
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain('[audit_archive_corrupt]');
    const report = JSON.parse(result.stdout) as { findings: { ruleId: string; file: string }[] };
    expect(report.findings.map((f) => `${f.ruleId} ${f.file}`)).toEqual([
      'audit-unparsed-file app-release.apk',
    ]);
  });

  it('an unreadable input (a FIFO): message, exit 3', async () => {
    const fifo = join(root, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const result = await cli(fifo);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('[audit_unreadable]');
    noStack(result.stderr);
  });

  it('a file that fails to read inside a directory stops the scan with its name', async () => {
    const failing = async (path: string) => {
      if (path.endsWith('main.js'))
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return readFile(path);
    };
    await expect(auditPath(vuln.dir, { readFile: failing })).rejects.toThrow(AuditUnreadableError);
    await expect(auditPath(vuln.dir, { readFile: failing })).rejects.toThrow(
      'www/main.js: cannot be read (EACCES).',
    );
  });

  it('a zip that expands beyond the limits is refused (zip bomb guard)', async () => {
    const bomb = join(root, 'bomb.apk');
    await writeFile(bomb, zipSync({ 'a.bin': new Uint8Array(4_000_000) }, { level: 9 }));
    await expect(
      auditPath(bomb, { zipLimits: { maxEntryBytes: 1_000_000, maxTotalBytes: 8_000_000, maxEntries: 10 } }),
    ).rejects.toThrow(AuditArchiveError);
  });
});
