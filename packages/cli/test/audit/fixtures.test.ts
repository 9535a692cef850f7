/**
 * The fixture apps, built in a temp dir: every planted problem of the vulnerable app is found in
 * its project directory, its APK (binary AXML manifest and network security config) and its IPA
 * (binary Info.plist, provisioning profile); the clean twin has nothing high, and namespace URIs,
 * loopback http, publishable keys, documented example keys and bad checksums are not flagged.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPath } from '../../src/audit/scan.js';
import { atOrAbove } from '../../src/audit/severity.js';
import {
  apiDomains,
  buildFixtureApp,
  type FixtureApp,
  ids,
  now,
  PLANTED_ANDROID_RULES,
  where,
} from './lib/fixtures.js';

let root: string;
let vuln: FixtureApp;
let clean: FixtureApp;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bulwark-audit-'));
  vuln = await buildFixtureApp(join(root, 'vulnerable'), true);
  clean = await buildFixtureApp(join(root, 'clean'), false);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('vulnerable project directory', () => {
  it('finds every planted secret, cleartext, storage, source-map and hybrid problem', async () => {
    const report = await auditPath(vuln.dir, { now, apiDomains });
    expect(report.kind).toBe('directory');
    for (const rule of [
      'secret-aws-access-key-id',
      'secret-aws-secret-access-key',
      'secret-github-token',
      'secret-gitlab-token',
      'secret-slack-token',
      'secret-slack-webhook',
      'secret-stripe-live-key',
      'secret-stripe-test-key',
      'secret-google-api-key',
      'secret-google-oauth-client-secret',
      'secret-azure-storage-key',
      'secret-azure-ad-client-secret',
      'secret-private-key',
      'secret-jwt',
      'secret-dotenv-file',
      'secret-generic-assignment',
      'cleartext-http-url',
      'storage-token-in-web-storage',
      'sourcemap-shipped',
      'hybrid-dev-server-url',
      'hybrid-cleartext',
      'hybrid-mixed-content',
      'hybrid-webview-debugging',
      'hybrid-access-any-origin',
    ]) {
      expect(ids(report), rule).toContain(rule);
    }
    // Both web storages, the inline map and the shipped .map file.
    expect(where(report, 'storage-token-in-web-storage').map((f) => f.evidence)).toEqual(
      expect.arrayContaining(['localStorage ← authToken', 'AsyncStorage ← refresh_token']),
    );
    expect(
      where(report, 'sourcemap-shipped')
        .map((f) => f.file)
        .sort(),
    ).toEqual(['www/main.js', 'www/main.js.map']);
    // The cleartext endpoints are the planted ones (code and the dev server in capacitor.config.json):
    // not the svg namespace, the Cordova widget namespace nor the license URL.
    expect(
      where(report, 'cleartext-http-url')
        .map((f) => f.evidence)
        .sort(),
    ).toEqual(['http://192.168.1.20:8100', 'http://api.acme-corp.io/v1']);
    // Lines point at the planted line.
    const stripe = where(report, 'secret-stripe-live-key').find((f) => f.file === 'www/main.js');
    expect(stripe?.line).toBe(11);
    expect(where(report, 'hybrid-dev-server-url')[0]?.severity).toBe('high');
  });

  it('never shows a secret in the findings', async () => {
    const report = await auditPath(vuln.dir, { now, apiDomains });
    const text = JSON.stringify(report);
    for (const secret of [
      'Zx8Kq2Lm9Nv4Bc7Rt1Ws',
      'Qw3Er5Ty7Ui9Op1As3Df5Gh7',
      '51Hx9KqL2mN8vB4cR7tY1wZ3pD6fG0jS',
      'Xk4Lq9Tz2WbN7cRf1HvJ8mPd3GsY6a',
      'q8Zr2mN5vX1cL7kP0wB4yT6u',
      'wJalrXUtnFEMI/K7MDENG',
      'Z7Q3XN2LPD4RWT5Y',
      'kV3f9Qz1Lx8pTn2Rw7Ys4Hb6Jc0Ud5Me',
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('vulnerable APK (binary manifest and network security config)', () => {
  it('finds every Android problem and the secrets inside the archive', async () => {
    const report = await auditPath(vuln.apk, { now, apiDomains });
    expect(report.kind).toBe('apk');
    for (const rule of PLANTED_ANDROID_RULES) {
      expect(ids(report), rule).toContain(rule);
    }
    expect(where(report, 'android-exported-component').map((f) => f.evidence)).toEqual([
      'com.acme.DebugActivity',
    ]);
    expect(where(report, 'android-nsc-no-pins')[0]?.message).toContain('api.acme-corp.io');
    // The meta-data API key comes from the AXML string pool, the cleartext URL from classes.dex.
    expect(where(report, 'secret-google-api-key').map((f) => f.file)).toContain('AndroidManifest.xml');
    expect(where(report, 'cleartext-http-url').map((f) => f.file)).toContain('classes.dex');
  });

  it('resolves attributes by resource id when an obfuscator blanked their names', async () => {
    const report = await auditPath(vuln.obfuscatedApk, { now, apiDomains });
    for (const rule of [
      'android-debuggable',
      'android-allow-backup',
      'android-cleartext-traffic',
      'android-test-only',
    ]) {
      expect(ids(report), rule).toContain(rule);
    }
  });

  it('flags an expired pin-set only once the clock passes its date', async () => {
    const before = await auditPath(vuln.apk, { now: () => new Date('2019-12-31T00:00:00Z'), apiDomains });
    expect(ids(before)).not.toContain('android-nsc-expired-pins');
  });
});

describe('vulnerable IPA (binary Info.plist, provisioning profile)', () => {
  it('finds ATS exceptions, the debug entitlement and secrets in the binary plist', async () => {
    const report = await auditPath(vuln.ipa, { now });
    expect(report.kind).toBe('ipa');
    for (const rule of [
      'ios-ats-arbitrary-loads',
      'ios-ats-exception',
      'ios-debug-entitlement',
      'secret-stripe-live-key',
    ]) {
      expect(ids(report), rule).toContain(rule);
    }
    expect(where(report, 'ios-ats-exception')[0]?.evidence).toBe('legacy.acme-corp.io');
    expect(where(report, 'secret-stripe-live-key').map((f) => f.file)).toContain(
      'Payload/App.app/Info.plist',
    );
  });
});

describe('clean twin', () => {
  it.each(['dir', 'apk', 'obfuscatedApk', 'aab', 'obfuscatedAab', 'ipa', 'outputs'] as const)(
    '%s has nothing at or above high, and no finding at all',
    async (kind) => {
      const report = await auditPath(clean[kind], { now, apiDomains });
      expect(report.findings.filter((f) => atOrAbove(f.severity, 'high'))).toEqual([]);
      expect(report.findings).toEqual([]);
      expect(report.stats.files).toBeGreaterThan(2);
    },
  );
});
