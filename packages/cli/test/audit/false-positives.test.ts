/**
 * False positives seen on real apps (issue 13), each reproduced by a small fixture written here:
 * the false positive stays quiet, and a true finding of the same rule is still found.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPath } from '../../src/audit/scan.js';
import type { AuditReport, Finding } from '../../src/audit/types.js';
import { encodeAxml } from './lib/axml-encoder.js';
import { GITHUB_TOKEN, JWT } from './lib/fixtures.js';
import { bks, jks } from './lib/keystores.js';

let root: string;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bulwark-audit-fp-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes the files (path → content) into a fresh app tree and audits it. */
async function audit(files: Record<string, string | Buffer>): Promise<AuditReport> {
  const dir = join(root, `app${n++}`);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return auditPath(dir, { now: () => new Date('2026-06-01T00:00:00Z') });
}

const of = (r: AuditReport, ruleId: string, file?: string): Finding[] =>
  r.findings.filter((f) => f.ruleId === ruleId && (file === undefined || f.file === file));

/** A real secret under a password name, in an ordinary source file. */
const REAL = `const DB_PASSWORD = "s3cr3tPa55w0rd!x";\n`;

describe('translation files are not taken for secrets', () => {
  it('Localizable.strings and i18n JSON stay quiet; the same assignment in code is found', async () => {
    const r = await audit({
      'ios/App/de.lproj/Localizable.strings':
        '"settings.password" = "Passwort";\n"login.password" = "Kennwort1";\n"api.token" = "Zugriffstoken9";\n',
      'app/i18n/locales/en.json':
        '{ "password": "Password1", "newPassword": "NewPass12", "token": "Token123x" }\n',
      'src/locales/fr/auth.json': '{ "auth": { "password": "MotDePasse1" } }\n',
      'src/db.js': REAL,
    });
    expect(of(r, 'secret-generic-assignment').map((f) => f.file)).toEqual(['src/db.js']);
  });

  it('a secret of its own shape is still found in a translation file', async () => {
    const r = await audit({ 'app/i18n/en.json': '{ "aws": "AKIAIOSFODNN7EXAMPLZ" }\n' });
    expect(r.findings.some((f) => f.ruleId.startsWith('secret-aws'))).toBe(true);
  });
});

describe('identifier constants are not taken for secrets', () => {
  it('a value that names where a secret is kept stays quiet; a real value under the same name is found', async () => {
    const r = await audit({
      'app/src/main/java/com/acme/Prefs.java': [
        'static final String PREF_PROXY_PASSWORD = "prefProxyPassword";',
        "KEY_PASSWORD = 'password'",
        'String EXTRA_AUTH_TOKEN = "extra_auth_token";',
        'private static final String KEY_SECRET = "com.acme.keySecret";',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/Db.java':
        'static final String PREF_PROXY_PASSWORD = "Pr0xyPassw0rd2024";\n',
    });
    expect(of(r, 'secret-generic-assignment').map((f) => f.file)).toEqual([
      'app/src/main/java/com/acme/Db.java',
    ]);
  });
});

describe('certificate infrastructure and schema URLs are not cleartext endpoints', () => {
  /** Bytes as a signature carries them: DER-ish framing with the URL strings inside. */
  const signed = (urls: string[]) =>
    Buffer.concat(
      urls.flatMap((u) => [
        Buffer.from([0x30, 0x82, 0x01, 0x86, 0x06, 0x08, 0x2b, 0x06, 0x16, u.length]),
        Buffer.from(u),
      ]),
    );
  const PKI = [
    'http://crl.apple.com/root.crl',
    'http://ocsp.apple.com/ocsp03-wwdr01',
    'http://www.apple.com/appleca/root.crl',
    'http://www.apple.com/certificateauthority/',
    'http://certs.apple.com/wwdrg3.der',
    'http://crl3.digicert.com/sha2-assured-cs-g1.crl',
    'http://ocsp.digicert.com',
    'http://cacerts.digicert.com/DigiCertAssuredIDRootCA.crt',
    'http://www.microsoft.com/pki/certs/MicCodSigPCA_08-31-2010.crt',
    'http://timestamp.digicert.com',
  ];
  const SCHEMA = [
    'http://xml.org/sax/features/namespaces',
    'http://apache.org/xml/features/disallow-doctype-decl',
    'http://javax.xml.XMLConstants/property/accessExternalDTD',
    'http://schemas.android.com/apk/res/android',
  ];

  it('stay quiet in a provisioning profile, a signed binary and classes.dex; a real endpoint there is found', async () => {
    const r = await audit({
      'ios/App/embedded.mobileprovision': signed(PKI),
      'ios/App/App': Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 0, 0]), signed(PKI)]),
      'windows/acme.dll': Buffer.concat([Buffer.from('MZ\u0090\u0000', 'latin1'), signed(PKI)]),
      'classes.dex': Buffer.concat([
        Buffer.from('dex\n035\u0000', 'latin1'),
        signed([...SCHEMA, 'http://api.acme-corp.io/v2/login']),
      ]),
    });
    expect(of(r, 'cleartext-http-url').map((f) => [f.file, f.evidence])).toEqual([
      ['classes.dex', 'http://api.acme-corp.io/v2/login'],
    ]);
  });

  it('trailing punctuation is not part of a URL, and its spellings are one finding', async () => {
    const r = await audit({
      'www/about.html':
        '<p>See http://url.to/link, or http://url.to/link. (http://url.to/link) and http://url.to/link;</p>\n' +
        '<p>Also http://url.to/link?ref=1!</p>\n',
    });
    const found = of(r, 'cleartext-http-url');
    expect(found).toHaveLength(1);
    expect(found[0]?.evidence).toBe('http://url.to/link');
  });
});

describe("Capacitor's generated config.xml", () => {
  /** What `npx cap sync` writes, for its Cordova plugin layer. */
  const CAPACITOR = `<?xml version='1.0' encoding='utf-8'?>
<widget version="1.0.0" xmlns="http://www.w3.org/ns/widgets" xmlns:cdv="http://cordova.apache.org/ns/1.0">
  <access origin="*" />
  <feature name="Device"><param name="android-package" value="org.apache.cordova.device.Device"/></feature>
</widget>
`;
  const CORDOVA = `<?xml version='1.0' encoding='utf-8'?>
<widget id="com.acme.field" version="1.4.0" xmlns="http://www.w3.org/ns/widgets">
  <name>Field</name>
  <content src="index.html" />
  <access origin="*" />
</widget>
`;

  it('its <access origin="*"> is not flagged; a Cordova app\'s is', async () => {
    const r = await audit({
      'android/app/src/main/res/xml/config.xml': CAPACITOR,
      'ios/App/App/config.xml': CAPACITOR,
      'cordova/config.xml': CORDOVA,
    });
    expect(of(r, 'hybrid-access-any-origin').map((f) => f.file)).toEqual(['cordova/config.xml']);
  });
});

describe('debug-only configuration', () => {
  const manifest = (app: string) => `<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.acme">
  <application android:allowBackup="false" ${app}></application>
</manifest>
`;
  const NSC_CLEARTEXT = `<?xml version="1.0" encoding="utf-8"?>
<network-security-config><base-config cleartextTrafficPermitted="true"/></network-security-config>
`;

  it('is lowered to low with the reason in the message; the same in the main source set stays high', async () => {
    const r = await audit({
      'app/src/main/AndroidManifest.xml': manifest(''),
      'app/src/debug/AndroidManifest.xml': manifest(
        'android:debuggable="true" android:usesCleartextTraffic="true"',
      ),
      'app/src/debug/res/xml/network_security_config.xml': NSC_CLEARTEXT,
      'app/src/stagingDebug/res/xml/network_security_config.xml': NSC_CLEARTEXT,
      'lib/src/main/res/xml/network_security_config.xml': NSC_CLEARTEXT,
    });
    const nsc = of(r, 'android-nsc-cleartext');
    expect(nsc.map((f) => [f.file, f.severity])).toEqual([
      ['lib/src/main/res/xml/network_security_config.xml', 'high'],
      ['app/src/debug/res/xml/network_security_config.xml', 'low'],
      ['app/src/stagingDebug/res/xml/network_security_config.xml', 'low'],
    ]);
    expect(nsc[1]?.message).toMatch(
      /\[lowered from high: debug build only \(Gradle source set src\/debug\)\]$/,
    );
    expect(nsc[2]?.message).toContain('(Gradle source set src/stagingDebug)');
    for (const rule of ['android-debuggable', 'android-cleartext-traffic']) {
      expect(of(r, rule).map((f) => [f.file, f.severity])).toEqual([
        ['app/src/debug/AndroidManifest.xml', 'low'],
      ]);
    }
    // Nothing debug-only fails the default gate.
    expect(r.findings.filter((f) => f.file.includes('/src/debug') && f.severity === 'high')).toEqual([]);
  });
});

describe('pin coverage looks at what a release build carries', () => {
  const manifest = `<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.acme">
  <application android:allowBackup="false" android:networkSecurityConfig="@xml/network_security_config"></application>
</manifest>
`;
  const nsc = (body: string) =>
    `<?xml version="1.0" encoding="utf-8"?>\n<network-security-config>${body}</network-security-config>\n`;
  const PINNED = nsc(
    '<domain-config><domain includeSubdomains="true">api.acme-corp.io</domain><pin-set><pin digest="SHA-256">7HIpactkIAq2Y49orFOOQKurWxmmSFZhBCoQYcRhJ3Y=</pin></pin-set></domain-config>',
  );
  const PLAIN = nsc('<base-config cleartextTrafficPermitted="false"/>');

  it('android-nsc-no-pins goes on the main config, not the debug one', async () => {
    const r = await audit({
      'app/src/main/AndroidManifest.xml': manifest,
      'app/src/main/res/xml/network_security_config.xml': PLAIN,
      'app/src/debug/res/xml/network_security_config.xml': PLAIN,
    });
    expect(of(r, 'android-nsc-no-pins').map((f) => [f.file, f.severity])).toEqual([
      ['app/src/main/res/xml/network_security_config.xml', 'medium'],
    ]);
  });

  it('pins only in the debug config do not protect the release build; pins in the main one do', async () => {
    const debugPinned = await audit({
      'app/src/main/AndroidManifest.xml': manifest,
      'app/src/debug/res/xml/network_security_config.xml': PINNED,
    });
    expect(of(debugPinned, 'android-nsc-no-pins').map((f) => [f.file, f.severity])).toEqual([
      ['app/src/main/AndroidManifest.xml', 'medium'],
    ]);
    const mainPinned = await audit({
      'app/src/main/AndroidManifest.xml': manifest,
      'app/src/main/res/xml/network_security_config.xml': PINNED,
      'app/src/debug/res/xml/network_security_config.xml': PLAIN,
    });
    expect(of(mainPinned, 'android-nsc-no-pins')).toEqual([]);
  });
});

describe('allowBackup with a custom backupAgent', () => {
  const manifest = (app: string) => `<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.acme">
  <application ${app}></application>
</manifest>
`;

  it('is not reported when the agent alone decides what is backed up; is with fullBackupOnly or no agent', async () => {
    const r = await audit({
      'agent/AndroidManifest.xml': manifest(
        'android:allowBackup="true" android:backupAgent=".AcmeBackupAgent"',
      ),
      'fullonly/AndroidManifest.xml': manifest(
        'android:allowBackup="true" android:backupAgent=".AcmeBackupAgent" android:fullBackupOnly="true"',
      ),
      'none/AndroidManifest.xml': manifest('android:allowBackup="true"'),
    });
    expect(
      of(r, 'android-allow-backup')
        .map((f) => f.file)
        .sort(),
    ).toEqual(['fullonly/AndroidManifest.xml', 'none/AndroidManifest.xml']);
  });

  it('reads the agent by resource id in a binary manifest whose attribute names are blanked', async () => {
    const axml = (android: Record<string, string | boolean>) =>
      encodeAxml(
        { name: 'manifest', plain: { package: 'com.acme' }, children: [{ name: 'application', android }] },
        { obfuscateAttributeNames: true },
      );
    const r = await audit({
      'agent/AndroidManifest.xml': axml({ allowBackup: true, backupAgent: '.AcmeBackupAgent' }),
      'fullonly/AndroidManifest.xml': axml({
        allowBackup: true,
        backupAgent: '.AcmeBackupAgent',
        fullBackupOnly: true,
      }),
    });
    expect(of(r, 'android-allow-backup').map((f) => f.file)).toEqual(['fullonly/AndroidManifest.xml']);
  });
});

describe('tests, documentation and examples', () => {
  it('lower a finding to low with the reason shown; the same in shipped code stays at its severity', async () => {
    const r = await audit({
      'README.md': `Call the API with\n\n    Authorization: Bearer ${JWT}\n`,
      'docs/setup.md': `export GITHUB_TOKEN=${GITHUB_TOKEN}\n`,
      'app/src/test/java/com/acme/ApiTest.java': `String token = "${GITHUB_TOKEN}";\n`,
      'src/__tests__/api.js': `const jwt = "${JWT}";\n`,
      'src/api.spec.ts': `const jwt = "${JWT}";\n`,
      'example/lib/main.dart': `const token = '${GITHUB_TOKEN}';\n`,
      'www/main.js': `const jwt = "${JWT}"; const gh = "${GITHUB_TOKEN}";\n`,
    });
    const shown = (rule: string) =>
      of(r, rule)
        .map((f) => [f.file, f.severity, /\[lowered from \w+: ([^\]]+)\]$/.exec(f.message)?.[1]])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(shown('secret-jwt')).toEqual([
      ['README.md', 'low', 'documentation'],
      ['src/__tests__/api.js', 'low', 'test code, not shipped'],
      ['src/api.spec.ts', 'low', 'test code, not shipped'],
      ['www/main.js', 'high', undefined],
    ]);
    expect(shown('secret-github-token')).toEqual([
      ['app/src/test/java/com/acme/ApiTest.java', 'low', 'test code, not shipped'],
      ['docs/setup.md', 'low', 'documentation'],
      ['example/lib/main.dart', 'low', 'example code'],
      ['www/main.js', 'critical', undefined],
    ]);
  });
});

describe('a truststore is not a key store', () => {
  it('a JKS or BKS of trusted certificates stays quiet; one holding a key, or a store it cannot read, is reported', async () => {
    const r = await audit({
      'app/src/main/res/raw/truststore.bks': bks(['cert']),
      'app/src/main/res/raw/pins.bks': bks(['cert', 'cert']),
      'app/src/main/assets/truststore.jks': jks(['cert', 'cert']),
      'app/src/main/res/raw/client.bks': bks(['cert', 'key']),
      'app/src/main/assets/client.jks': jks(['key']),
      'app/src/main/assets/client.p12': Buffer.concat([
        Buffer.from([0x30, 0x82, 0x0a, 0x00]),
        Buffer.alloc(64, 1),
      ]),
      'app/src/main/assets/broken.jks': jks(['cert']).subarray(0, 40),
    });
    expect(
      of(r, 'secret-private-key')
        .map((f) => f.file)
        .sort(),
    ).toEqual([
      'app/src/main/assets/broken.jks',
      'app/src/main/assets/client.jks',
      'app/src/main/assets/client.p12',
      'app/src/main/res/raw/client.bks',
    ]);
  });
});
