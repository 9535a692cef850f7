/**
 * One positive and one negative case per rule: the positive is the provider's documented format
 * (or the unsafe setting), the negative is the nearest thing that must not be flagged (wrong
 * length, bad checksum, documented example key, publishable key, namespace URI, loopback, the
 * setting turned off). Each case is a real file scanned through `auditPath`.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_RULES } from '../../src/audit/rules/catalog.js';
import { auditPath } from '../../src/audit/scan.js';
import type { Finding } from '../../src/audit/types.js';
import { encodeAxml } from './lib/axml-encoder.js';
import { GITHUB_TOKEN, GITHUB_TOKEN_BAD_CHECKSUM, JWT, SECRETS } from './lib/fixtures.js';
import { MISS_CASES } from './lib/miss-cases.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bulwark-rules-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes files into a fresh directory and audits it. */
async function scan(
  files: Record<string, string | Uint8Array>,
  apiDomains: string[] = [],
): Promise<Finding[]> {
  const dir = join(root, String(n++));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  const report = await auditPath(dir, { now: () => new Date('2026-06-01T00:00:00Z'), apiDomains });
  return report.findings;
}

const js = (code: string) => ({ 'www/app.js': code });
const manifest = (app: string, extra = '') => ({
  'AndroidManifest.xml': `<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.acme">
  <application android:allowBackup="false" ${app}>
${extra}
  </application>
</manifest>
`,
});
const nsc = (body: string) => ({
  ...manifest('android:networkSecurityConfig="@xml/network_security_config"'),
  'res/xml/network_security_config.xml': `<?xml version="1.0" encoding="utf-8"?>\n<network-security-config>\n${body}\n</network-security-config>\n`,
});
const plist = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict>\n${body}\n</dict></plist>\n`;
const capacitor = (config: object) => ({ 'capacitor.config.json': JSON.stringify(config, null, 2) });
const pem = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();
const pinSet = (expiration: string) =>
  `<pin-set expiration="${expiration}"><pin digest="SHA-256">7HIpactkIAq2Y49orFOOQKurWxmmSFZhBCoQYcRhJ3Y=</pin><pin digest="SHA-256">fwza0LRMXouZHRC8Ei+4PyuldPDcf3UKgO/04cDM1oE=</pin></pin-set>`;

interface Case {
  rule: string;
  positive: Record<string, string | Uint8Array>;
  negative: Record<string, string | Uint8Array>;
  apiDomains?: string[];
}

const CASES: Case[] = [
  {
    rule: 'secret-aws-access-key-id',
    positive: js(`k = "${SECRETS.awsKeyId}"`),
    negative: js('k = "AKIAIOSFODNN7EXAMPLE"; j = "AKIAZ7Q3XN2LPD4RWT5"'),
  },
  {
    rule: 'secret-aws-secret-access-key',
    positive: { '.aws/credentials.ini': `aws_secret_access_key = ${SECRETS.awsSecret}\n` },
    negative: {
      '.aws/credentials.ini': 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
    },
  },
  {
    rule: 'secret-github-token',
    positive: js(`t = "${GITHUB_TOKEN}"`),
    negative: js(`t = "${GITHUB_TOKEN_BAD_CHECKSUM}"`),
  },
  {
    rule: 'secret-gitlab-token',
    positive: js(`t = "${SECRETS.gitlab}"`),
    negative: js('t = "glpat-Zx8Kq2Lm9"'),
  },
  { rule: 'secret-slack-token', positive: js(`t = "${SECRETS.slack}"`), negative: js('t = "xoxb-123-abc"') },
  {
    rule: 'secret-slack-webhook',
    positive: js(`u = "${SECRETS.slackWebhook}"`),
    negative: js('u = "https://hooks.slack.com/services/T000/B000/XXXX"'),
  },
  {
    rule: 'secret-stripe-live-key',
    positive: js(`k = "${SECRETS.stripeLive}"`),
    negative: js('k = "pk_live_51Hx9KqL2mN8vB4cR7tY1wZ3pD6fG0jS"'),
  },
  {
    rule: 'secret-stripe-test-key',
    positive: js(`k = "${SECRETS.stripeTest}"`),
    negative: js('k = "sk_test_short"'),
  },
  {
    rule: 'secret-google-api-key',
    positive: js(`k = "${SECRETS.google}"`),
    negative: js(`k = "${SECRETS.google.slice(0, -1)}"`),
  },
  {
    rule: 'secret-google-oauth-client-secret',
    positive: js(`k = "${SECRETS.googleOauth}"`),
    negative: js('k = "GOCSPX-tooShort123"'),
  },
  {
    rule: 'secret-azure-storage-key',
    positive: js(`c = "${SECRETS.azureStorage}"`),
    negative: js('c = "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=abc==;"'),
  },
  {
    rule: 'secret-azure-ad-client-secret',
    positive: js(`s = "${SECRETS.azureAd}"`),
    negative: js('s = "aQ~b"; t = "x~Q~y"'),
  },
  {
    rule: 'secret-private-key',
    positive: { 'www/keys/server.pem': pem },
    negative: js(
      'const header = "-----BEGIN PRIVATE KEY-----"; const pub = "-----BEGIN PUBLIC KEY-----\\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"',
    ),
  },
  {
    rule: 'secret-jwt',
    positive: js(`t = "${JWT}"`),
    negative: js('t = "eyJub3QganNvbi.eyJhbHNvIG5vdA.c2lnbmF0dXJlc2lnbmF0dXJl"'),
  },
  {
    rule: 'secret-dotenv-file',
    positive: { 'www/.env': 'API_URL=https://api.acme.io\n' },
    negative: { 'www/.env.example': 'API_URL=\n' },
  },
  {
    rule: 'secret-generic-assignment',
    positive: {
      ...js(`const clientSecret = "${SECRETS.generic}";`),
      'gradle.properties': `api_secret=${SECRETS.generic}\n`,
    },
    negative: js(
      `const clientSecret = "changeme-1234567890"; secret = "aaaaaaaaaaaaaaaaaaaa1"; tokenUrl = "https://x.io/t1234567890abcdef"; api_secret=${SECRETS.generic};`,
    ),
  },
  {
    rule: 'cleartext-http-url',
    positive: js('fetch("http://api.acme-corp.io/v1/orders")'),
    negative: {
      ...js(
        'ns = "http://www.w3.org/2000/svg"; a = "http://localhost:3000"; b = "http://127.0.0.1"; c = "http://[::1]:8080/x"; d = "http://api.example.com"; e = "http://10.0.2.2:8080"',
      ),
      'schema.json': '{ "$schema": "http://json-schema.org/draft-07/schema#" }',
      'layout.xml':
        '<LinearLayout xmlns:android="http://schemas.android.com/apk/res/android" xmlns:app="http://schemas.android.com/apk/res-auto"/>',
    },
  },
  {
    rule: 'storage-token-in-web-storage',
    positive: js(
      'localStorage.setItem("jwt", t); localStorage["accessToken"] = a; localStorage.authToken = b;',
    ),
    negative: js('localStorage.setItem("theme", "dark"); const t = localStorage.getItem("token");'),
  },
  {
    rule: 'sourcemap-shipped',
    positive: { 'www/app.js.map': '{"version":3,"sources":["a.ts"],"mappings":"AAAA"}' },
    negative: { 'www/app.js': 'x();\n//# sourceMappingURL=app.js.map\n', 'www/world.map': 'tiles: 12\n' },
  },
  {
    rule: 'android-debuggable',
    positive: manifest('android:debuggable="true"'),
    negative: manifest('android:debuggable="false"'),
  },
  {
    rule: 'android-allow-backup',
    positive: {
      'AndroidManifest.xml':
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android"><application android:allowBackup="true"/></manifest>',
    },
    negative: {
      'AndroidManifest.xml':
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android"><application android:allowBackup="true" android:dataExtractionRules="@xml/rules"/></manifest>',
    },
  },
  {
    rule: 'android-cleartext-traffic',
    positive: manifest('android:usesCleartextTraffic="true"'),
    negative: manifest('android:usesCleartextTraffic="false"'),
  },
  { rule: 'android-test-only', positive: manifest('android:testOnly="true"'), negative: manifest('') },
  {
    rule: 'android-exported-component',
    positive: manifest(
      '',
      '<receiver android:name=".PushReceiver"><intent-filter><action android:name="com.acme.PUSH"/></intent-filter></receiver>',
    ),
    negative: manifest(
      '',
      `<activity android:name=".Main" android:exported="true"><intent-filter><action android:name="android.intent.action.MAIN"/><category android:name="android.intent.category.LAUNCHER"/></intent-filter></activity>
<service android:name=".Sync" android:exported="true" android:permission="com.acme.permission.SYNC"/>
<provider android:name=".Files" android:exported="false"/>`,
    ),
  },
  {
    rule: 'android-nsc-cleartext',
    positive: nsc('<base-config cleartextTrafficPermitted="true"/>'),
    negative: nsc(
      '<domain-config cleartextTrafficPermitted="true"><domain>localhost</domain><domain>127.0.0.1</domain></domain-config>',
    ),
  },
  {
    rule: 'android-nsc-user-certs',
    positive: nsc('<base-config><trust-anchors><certificates src="user"/></trust-anchors></base-config>'),
    negative: nsc(
      '<debug-overrides><trust-anchors><certificates src="user"/></trust-anchors></debug-overrides>',
    ),
  },
  {
    rule: 'android-nsc-no-pins',
    apiDomains: ['api.acme-corp.io'],
    positive: nsc(`<domain-config><domain>cdn.acme-corp.io</domain>${pinSet('2099-01-01')}</domain-config>`),
    negative: nsc(
      `<domain-config><domain includeSubdomains="true">acme-corp.io</domain>${pinSet('2099-01-01')}<domain-config><domain>api.acme-corp.io</domain></domain-config></domain-config>`,
    ),
  },
  {
    rule: 'android-nsc-expired-pins',
    positive: nsc(`<domain-config><domain>api.acme-corp.io</domain>${pinSet('2025-12-31')}</domain-config>`),
    negative: nsc(`<domain-config><domain>api.acme-corp.io</domain>${pinSet('2026-06-02')}</domain-config>`),
  },
  {
    rule: 'ios-ats-arbitrary-loads',
    positive: {
      'ios/App/App/Info.plist': plist(
        '<key>NSAppTransportSecurity</key><dict><key>NSAllowsArbitraryLoads</key><true/></dict>',
      ),
    },
    negative: {
      'ios/App/App/Info.plist': plist(
        '<key>NSAppTransportSecurity</key><dict><key>NSAllowsArbitraryLoads</key><false/></dict>',
      ),
    },
  },
  {
    rule: 'ios-ats-exception',
    positive: {
      'ios/App/App/Info.plist': plist(
        '<key>NSAppTransportSecurity</key><dict><key>NSExceptionDomains</key><dict><key>old.acme-corp.io</key><dict><key>NSExceptionMinimumTLSVersion</key><string>TLSv1.0</string></dict></dict></dict>',
      ),
    },
    negative: {
      'ios/App/App/Info.plist': plist(
        '<key>NSAppTransportSecurity</key><dict><key>NSExceptionDomains</key><dict><key>localhost</key><dict><key>NSExceptionAllowsInsecureHTTPLoads</key><true/></dict><key>api.acme-corp.io</key><dict><key>NSExceptionMinimumTLSVersion</key><string>TLSv1.2</string></dict></dict></dict>',
      ),
    },
  },
  {
    rule: 'ios-debug-entitlement',
    positive: { 'ios/App/App/App.entitlements': plist('<key>get-task-allow</key><true/>') },
    negative: { 'ios/App/App/App.entitlements': plist('<key>get-task-allow</key><false/>') },
  },
  {
    rule: 'hybrid-dev-server-url',
    positive: capacitor({ server: { url: 'http://192.168.1.20:8100' } }),
    negative: capacitor({ server: { androidScheme: 'https' } }),
  },
  {
    rule: 'hybrid-cleartext',
    positive: capacitor({ server: { cleartext: true } }),
    negative: capacitor({ server: { cleartext: false } }),
  },
  {
    rule: 'hybrid-mixed-content',
    positive: capacitor({ android: { allowMixedContent: true } }),
    negative: capacitor({ android: { allowMixedContent: false } }),
  },
  {
    rule: 'hybrid-webview-debugging',
    positive: capacitor({ ios: { webContentsDebuggingEnabled: true } }),
    negative: capacitor({ android: { webContentsDebuggingEnabled: false } }),
  },
  {
    rule: 'hybrid-access-any-origin',
    positive: {
      'config.xml': '<widget xmlns="http://www.w3.org/ns/widgets"><allow-navigation href="*"/></widget>',
    },
    negative: {
      'config.xml':
        '<widget xmlns="http://www.w3.org/ns/widgets"><access origin="https://api.acme-corp.io"/></widget>',
    },
  },
  {
    rule: 'audit-unparsed-file',
    positive: { 'AndroidManifest.xml': encodeAxml({ name: 'manifest' }).subarray(0, 40) },
    negative: manifest(''),
  },
];

describe('every rule has a positive and a negative case', () => {
  it('covers the whole catalogue', () => {
    // The rules added for the misses of issue 13 have their cases in misses.test.ts.
    expect([...CASES, ...MISS_CASES].map((c) => c.rule).sort()).toEqual(ALL_RULES.map((r) => r.id).sort());
  });

  it.each(CASES)('$rule', async ({ rule, positive, negative, apiDomains }) => {
    const found = await scan(positive, apiDomains);
    expect(
      found.map((f) => f.ruleId),
      'positive',
    ).toContain(rule);
    const clean = await scan(negative, apiDomains);
    expect(
      clean.filter((f) => f.ruleId === rule),
      'negative',
    ).toEqual([]);
  });
});

describe('details', () => {
  it('an encrypted private key is medium, a key store file is high', async () => {
    const encrypted = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
      .toString();
    const found = await scan({
      'a.pem': encrypted,
      'release.jks': Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]),
    });
    expect(found.find((f) => f.file === 'a.pem')?.severity).toBe('medium');
    expect(found.find((f) => f.file === 'release.jks')?.severity).toBe('high');
  });

  it('a private key inside a JS string with escaped newlines is found', async () => {
    const inline = JSON.stringify(pem);
    const found = await scan(js(`const key = ${inline};`));
    expect(found.map((f) => f.ruleId)).toContain('secret-private-key');
    expect(JSON.stringify(found)).not.toContain(pem.split('\n')[1]);
  });

  it('a server.url on a public https host is medium, not high', async () => {
    const found = await scan(capacitor({ server: { url: 'https://app.acme-corp.io' } }));
    expect(found.find((f) => f.ruleId === 'hybrid-dev-server-url')?.severity).toBe('medium');
  });

  it('without --api-domain, an app with no pin-set at all is flagged once', async () => {
    const found = await scan(manifest(''));
    expect(found.filter((f) => f.ruleId === 'android-nsc-no-pins')).toHaveLength(1);
  });

  it('the same secret twice in one file is one finding; in two files two', async () => {
    const found = await scan({
      'a.js': `x="${SECRETS.stripeLive}";y="${SECRETS.stripeLive}"`,
      'b.js': `z="${SECRETS.stripeLive}"`,
    });
    expect(found.filter((f) => f.ruleId === 'secret-stripe-live-key').map((f) => f.file)).toEqual([
      'a.js',
      'b.js',
    ]);
  });

  it('a generic finding yields to the specific rule on the same value', async () => {
    const found = await scan(js(`const stripeSecret = "${SECRETS.stripeLive}";`));
    expect(found.map((f) => f.ruleId)).toEqual(['secret-stripe-live-key']);
  });
});
