/**
 * What `bulwark audit` shows a person and hands a tool: the table grouped by rule with counts and
 * the first locations, the summary line, `--min-severity` (what is shown) against `--fail-on`
 * (the exit code), `--include-tests` (findings set aside by their place), and a problem repeated
 * across modules shown once with its locations, while JSON and SARIF keep every finding with the
 * grouping visible. Each test runs the CLI on an app tree the test writes.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupRepeated, selectFindings } from '../../src/audit/format/view.js';
import type { Finding } from '../../src/audit/types.js';
import { runCli } from '../lib/run-cli.js';
import { GITHUB_TOKEN } from './lib/fixtures.js';

const Ajv = AjvDraft04.default;
const addFormats = ajvFormats.default;
const here = dirname(fileURLToPath(import.meta.url));

const ATS_OFF = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>CFBundleIdentifier</key><string>com.acme.app</string>
  <key>NSAppTransportSecurity</key><dict><key>NSAllowsArbitraryLoads</key><true/></dict>
</dict></plist>
`;
/** Five targets of one iOS app, each with its own Info.plist turning ATS off. */
const MODULES = ['App', 'Intents', 'Widgets', 'Share', 'Watch'];
/** Five distinct cleartext endpoints in one file, to overflow the first three problems of a rule. */
const HOSTS = ['a', 'b', 'c', 'd', 'e'].map((h) => `http://${h}.acme-corp.io/v1`);

let root: string;
/** The app: repeated ATS setting (high), five URLs (medium), a token in a test and in a README. */
let app: string;
/** Only a test file holding a live-looking token: critical by its rule, set aside by its place. */
let testsOnly: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bulwark-audit-output-'));
  app = join(root, 'app');
  for (const m of MODULES) {
    await mkdir(join(app, 'Sources', m), { recursive: true });
    await writeFile(join(app, 'Sources', m, 'Info.plist'), ATS_OFF);
  }
  await mkdir(join(app, 'www'), { recursive: true });
  await writeFile(join(app, 'www', 'api.js'), HOSTS.map((u) => `fetch("${u}");`).join('\n'));
  await mkdir(join(app, 'src', 'test', 'java'), { recursive: true });
  await writeFile(join(app, 'src', 'test', 'java', 'ApiTest.java'), `String token = "${GITHUB_TOKEN}";\n`);
  await writeFile(join(app, 'README.md'), `Call with \`token = "${GITHUB_TOKEN}"\`\n`);

  testsOnly = join(root, 'tests-only');
  await mkdir(join(testsOnly, '__tests__'), { recursive: true });
  await writeFile(join(testsOnly, '__tests__', 'api.test.js'), `const token = "${GITHUB_TOKEN}";\n`);
  await writeFile(join(testsOnly, 'index.js'), 'export const ok = true;\n');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli('audit', ...args);

interface JsonOut {
  findings: (Finding & { group?: string })[];
  groups: { id: string; ruleId: string; severity: string; count: number; locations: { file: string }[] }[];
  stats: { kind: string; files: number; bytes: number; skipped: number; suppressed: number };
}

describe('the table', () => {
  it('groups by rule with counts, shows a repeated problem once with its first three places', async () => {
    const { code, stdout } = await cli(app);
    expect(code).toBe(1);
    expect(stdout).toContain('HIGH     ios-ats-arbitrary-loads  (5 findings in 5 files, 1 distinct problem)');
    // One entry for the five modules, three places listed, then the rest counted.
    expect(stdout.match(/NSAllowsArbitraryLoads is true/g)).toHaveLength(1);
    expect(stdout).toContain('    at 5 places:\n      Sources/App/Info.plist:');
    expect(stdout).toContain('      and 2 more\n');
    for (const m of ['App', 'Intents', 'Share']) expect(stdout).toContain(`Sources/${m}/Info.plist`);
    expect(stdout).not.toContain('Sources/Widgets/Info.plist');
    // Five distinct URLs of one rule: three listed, two counted.
    expect(stdout).toContain('MEDIUM   cleartext-http-url  (5 findings in 1 file)');
    expect(stdout).toContain('  and 2 more problems (--format json lists every finding)');
    expect(stdout.match(/cleartext endpoint http:\/\/[a-e]\.acme-corp\.io/g)).toHaveLength(3);
    // Most serious block first.
    expect(stdout.indexOf('ios-ats-arbitrary-loads')).toBeLessThan(stdout.indexOf('cleartext-http-url'));
  });

  it('ends with a summary line: counts by severity, files, size, time, what was set aside and why', async () => {
    const { stdout } = await cli(app);
    const last = stdout.trimEnd().split('\n').at(-1) ?? '';
    expect(last).toMatch(
      /^10 findings \(5 high, 5 medium\) in 8 files \(directory\), [\d.]+ MB in \d+\.\d\d s; 2 set aside by their place or reason, not shown \((?:documentation: 1; test code, not shipped: 1|test code, not shipped: 1; documentation: 1); --include-tests to list them\)\.$/,
    );
  });
});

describe('--min-severity and --fail-on', () => {
  it('--min-severity hides what is below it and says how many; the exit code still follows --fail-on', async () => {
    const high = await cli(app, '--min-severity', 'high');
    expect(high.stdout).toContain('ios-ats-arbitrary-loads');
    expect(high.stdout).not.toContain('cleartext-http-url');
    expect(high.stdout).toMatch(
      /^5 findings \(5 high\) in 8 files .*; 7 below --min-severity high not shown\.$/m,
    );
    expect(high.code).toBe(1);

    // Nothing shown at critical, but the highs still fail the default gate.
    const critical = await cli(app, '--min-severity', 'critical');
    expect(critical.stdout).toMatch(
      /^No findings in 8 files .*; 12 below --min-severity critical not shown\.$/m,
    );
    expect(critical.code).toBe(1);
    expect((await cli(app, '--min-severity', 'critical', '--fail-on', 'critical')).code).toBe(0);

    // Medium findings hidden from view still fail --fail-on medium.
    const www = join(app, 'www');
    expect((await cli(www, '--min-severity', 'high', '--fail-on', 'medium')).code).toBe(1);
    expect((await cli(www, '--min-severity', 'high', '--fail-on', 'high')).code).toBe(0);
  });

  it('rejects a severity it does not know (usage error, exit 2)', async () => {
    expect((await cli(app, '--min-severity', 'severe')).code).toBe(2);
  });
});

describe('--include-tests', () => {
  it('by default a finding in a test is counted, not listed, and does not fail the build', async () => {
    const { code, stdout } = await cli(testsOnly, '--fail-on', 'low');
    expect(code).toBe(0);
    expect(stdout).not.toContain('secret-github-token');
    expect(stdout).toMatch(
      /^No findings in 2 files \(directory\), .*; 1 set aside by their place or reason, not shown \(test code, not shipped: 1; --include-tests to list them\)\.$/m,
    );
  });

  it('lists it with the reason it was lowered, and lets it fail a gate at its lowered severity', async () => {
    const low = await cli(testsOnly, '--include-tests', '--fail-on', 'low');
    expect(low.code).toBe(1);
    expect(low.stdout).toContain('LOW      secret-github-token  (1 finding)');
    expect(low.stdout).toContain('[lowered from critical: test code, not shipped]');
    expect(low.stdout).toContain('at __tests__/api.test.js:1');
    expect(low.stdout).not.toContain('not shown');
    // Lowered to low, it does not fail the default gate even when listed.
    expect((await cli(testsOnly, '--include-tests')).code).toBe(0);
  });

  it('with --min-severity above the lowered severity the finding stays hidden, counted as below it', async () => {
    const { stdout } = await cli(testsOnly, '--include-tests', '--min-severity', 'medium');
    expect(stdout).toMatch(/^No findings in 2 files .*; 1 below --min-severity medium not shown\.$/m);
  });
});

describe('JSON and SARIF keep every finding, with the grouping visible', () => {
  it('JSON lists each finding, set-aside ones with their context, repeated ones with their group', async () => {
    const { stdout } = await cli(app, '--format', 'json');
    const out = JSON.parse(stdout) as JsonOut;
    expect(Object.keys(out)).toEqual(['findings', 'groups', 'stats']);
    expect(out.findings).toHaveLength(12);
    const ats = out.findings.filter((f) => f.ruleId === 'ios-ats-arbitrary-loads');
    expect(ats).toHaveLength(5);
    const groupId = ats[0]?.group;
    expect(groupId).toMatch(/^[0-9a-f]{16}$/);
    expect(ats.every((f) => f.group === groupId)).toBe(true);
    expect(out.groups).toEqual([
      expect.objectContaining({ id: groupId, ruleId: 'ios-ats-arbitrary-loads', severity: 'high', count: 5 }),
    ]);
    expect(out.groups[0]?.locations.map((l) => l.file)).toEqual(ats.map((f) => f.file));
    // Distinct URLs are not grouped.
    expect(
      out.findings.filter((f) => f.ruleId === 'cleartext-http-url').every((f) => f.group === undefined),
    ).toBe(true);
    const test = out.findings.find((f) => f.file === 'src/test/java/ApiTest.java');
    expect(test).toMatchObject({
      severity: 'low',
      context: { reason: 'test code, not shipped', loweredFrom: 'critical' },
    });
    expect(out.findings.find((f) => f.file === 'README.md')?.context).toEqual({
      reason: 'documentation',
      loweredFrom: 'critical',
    });
    expect(out.stats).toMatchObject({ kind: 'directory', files: 8, suppressed: 0 });
  });

  it('JSON follows --min-severity', async () => {
    const out = JSON.parse((await cli(app, '--format', 'json', '--min-severity', 'high')).stdout) as JsonOut;
    expect(out.findings.map((f) => f.ruleId)).toEqual(Array(5).fill('ios-ats-arbitrary-loads'));
  });

  it('SARIF has a result for each location, the others of its group in relatedLocations, and validates', async () => {
    const { stdout } = await cli(app, '--format', 'sarif');
    const log = JSON.parse(stdout) as {
      runs: {
        results: {
          ruleId: string;
          locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
          relatedLocations?: { id: number; physicalLocation: { artifactLocation: { uri: string } } }[];
          properties: Record<string, unknown>;
        }[];
      }[];
    };
    const schema = JSON.parse(
      await readFile(join(here, 'fixtures', 'sarif-schema-2.1.0.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const results = log.runs[0]?.results ?? [];
    expect(results).toHaveLength(12);
    const ats = results.filter((r) => r.ruleId === 'ios-ats-arbitrary-loads');
    expect(ats.map((r) => r.locations[0]?.physicalLocation.artifactLocation.uri).sort()).toEqual(
      MODULES.map((m) => `Sources/${m}/Info.plist`).sort(),
    );
    for (const r of ats) {
      expect(r.properties.groupSize).toBe(5);
      const own = r.locations[0]?.physicalLocation.artifactLocation.uri;
      const related = (r.relatedLocations ?? []).map((l) => l.physicalLocation.artifactLocation.uri);
      expect(related).toHaveLength(4);
      expect(related).not.toContain(own);
    }
    const test = results.find(
      (r) => r.locations[0]?.physicalLocation.artifactLocation.uri === 'src/test/java/ApiTest.java',
    );
    expect(test?.properties).toMatchObject({ context: 'test code, not shipped', loweredFrom: 'critical' });
  });
});

describe('grouping and selection (library)', () => {
  const base: Finding = {
    ruleId: 'android-allow-backup',
    severity: 'medium',
    file: 'a/src/main/AndroidManifest.xml',
    message: 'allowBackup is on',
    masvs: 'MASVS-STORAGE-2',
    fix: 'fix',
    fingerprint: '1',
  };
  it('groups the same rule, severity, message and evidence, whatever the file and line', () => {
    const findings: Finding[] = [
      base,
      { ...base, file: 'b/src/main/AndroidManifest.xml', line: 4, fingerprint: '2' },
      { ...base, severity: 'high', fingerprint: '3' },
      { ...base, evidence: 'x', fingerprint: '4' },
      { ...base, message: 'other', fingerprint: '5' },
    ];
    const groups = groupRepeated(findings);
    expect(groups.map((g) => g.findings.map((f) => f.fingerprint))).toEqual([
      ['1', '2'],
      ['3'],
      ['4'],
      ['5'],
    ]);
    expect(new Set(groups.map((g) => g.id)).size).toBe(4);
  });

  it('counts a finding below the minimum as such even when it is also set aside', () => {
    const aside: Finding = {
      ...base,
      severity: 'low',
      context: { reason: 'documentation', loweredFrom: 'high' },
    };
    const s = selectFindings([base, aside], { minSeverity: 'medium', includeContext: false });
    expect([s.shown.length, s.belowMinimum.length, s.setAside.length]).toEqual([1, 1, 0]);
    const t = selectFindings([base, aside], { minSeverity: 'info', includeContext: false });
    expect([t.shown.length, t.belowMinimum.length, t.setAside.length]).toEqual([1, 0, 1]);
  });
});
