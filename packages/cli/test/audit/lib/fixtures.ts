/**
 * Builds the fixture apps the audit tests scan, in a temp dir: a vulnerable app with one planted
 * problem per rule (a Capacitor/Cordova project directory, an APK-like zip with binary AXML
 * manifest and network security config, an AAB-like zip with the same in aapt2's protocol-buffer
 * XML and a feature module, an IPA-like zip with a binary Info.plist and a provisioning profile,
 * and a build-output directory holding the APK, the IPA and a zip inside a zip) and its clean
 * twin, which carries the look-alikes that must NOT be flagged (namespaces, loopback, publishable
 * keys, documented example keys, bad checksums).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import bplistCreator from 'bplist-creator';
import { zipSync } from 'fflate';
import type { AuditReport, Finding } from '../../../src/audit/types.js';
import { type AxmlSpec, encodeAxml } from './axml-encoder.js';
import { encodeProtoXml } from './proto-xml-encoder.js';

// GitHub tokens whose CRC32/base62 checksums were computed with Python's binascii.crc32, not
// with the code under test.
export const GITHUB_TOKEN = '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';
export const GITHUB_TOKEN_BAD_CHECKSUM = 'ghp_Xk4Lq9Tz2WbN7cRf1HvJ8mPd3GsY6a073n6A';

const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
export const JWT = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'svc-reporting', iss: 'acme', iat: 1700000000 })}.kV3f9Qz1Lx8pTn2Rw7Ys4Hb6Jc0Ud5Me`;

export const SECRETS = {
  awsKeyId: 'AKIAZ7Q3XN2LPD4RWT5Y',
  awsSecret: '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',
  gitlab: 'glpat-Zx8Kq2Lm9Nv4Bc7Rt1Ws',
  slack: 'xoxb-2468013579-1357924680-Qw3Er5Ty7Ui9Op1As3Df5Gh7',
  slackWebhook: 'https://hooks.slack.com/services/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',
  stripeLive: 'sk_live_51Hx9KqL2mN8vB4cR7tY1wZ3pD6fG0jS',
  stripeTest: 'sk_test_51Hx9KqL2mN8vB4cR7tY1wZ3pD6fG0jT',
  google: 'AIzaSyD4x9K2mQ7vL1pT8rW3nB6cF0hJ5gY2sZe',
  googleOauth: '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',
  azureStorage: `DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey=${'Zm9vYmFyYmF6cXV4'.repeat(5)}Qk9PTU==;EndpointSuffix=core.windows.net`,
  azureAd: 'Zb18Q~Xy7Zq2Wr4Et6Yu8Io0Pa2Sd4Fg6Hj8Kab1',
  generic: 'q8Zr2mN5vX1cL7kP0wB4yT6u',
};

function privateKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const abs = join(root, path);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
}

function zip(files: Record<string, string | Uint8Array>): Uint8Array {
  return zipSync(
    Object.fromEntries(
      Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? Buffer.from(v) : v]),
    ),
  );
}

function mobileProvision(getTaskAllow: boolean): Buffer {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>Name</key><string>Acme Field</string>
<key>Entitlements</key><dict><key>get-task-allow</key>${getTaskAllow ? '<true/>' : '<false/>'}<key>application-identifier</key><string>TEAM.com.acme.field</string></dict>
</dict></plist>`;
  // A CMS envelope around the plist: DER-ish bytes before and after.
  return Buffer.concat([
    Buffer.from([0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48]),
    Buffer.from(xml),
    Buffer.from([0xa0, 0x82, 0x01, 0x00, 0x00]),
  ]);
}

function manifestSpec(vulnerable: boolean): AxmlSpec {
  const app: AxmlSpec = {
    name: 'application',
    android: vulnerable
      ? {
          debuggable: true,
          allowBackup: true,
          usesCleartextTraffic: true,
          testOnly: true,
          networkSecurityConfig: { ref: 0x7f0f0001 },
        }
      : { debuggable: false, allowBackup: false, networkSecurityConfig: { ref: 0x7f0f0001 } },
    children: [
      {
        name: 'activity',
        android: { name: 'com.acme.MainActivity', exported: true },
        children: [
          {
            name: 'intent-filter',
            children: [
              { name: 'action', android: { name: 'android.intent.action.MAIN' } },
              { name: 'category', android: { name: 'android.intent.category.LAUNCHER' } },
            ],
          },
        ],
      },
      {
        name: 'activity',
        android: vulnerable
          ? { name: 'com.acme.DebugActivity', exported: true }
          : { name: 'com.acme.DebugActivity', exported: true, permission: 'com.acme.permission.INTERNAL' },
      },
      { name: 'service', android: { name: 'com.acme.SyncService', exported: false } },
      {
        name: 'meta-data',
        android: { name: 'com.google.android.geo.API_KEY', ...(vulnerable ? {} : {}) },
        plain: { value: vulnerable ? SECRETS.google : 'restricted-in-console' },
      },
    ],
  };
  return {
    name: 'manifest',
    plain: { package: 'com.acme.field' },
    children: [{ name: 'uses-permission', android: { name: 'android.permission.INTERNET' } }, app],
  };
}

function manifest(vulnerable: boolean, obfuscate = false): Buffer {
  return encodeAxml(manifestSpec(vulnerable), { obfuscateAttributeNames: obfuscate });
}

/** The day the fixture apps are scanned on (their pin-sets expire before it). */
export const now = () => new Date('2026-06-01T00:00:00Z');
/** The API host the fixture apps must pin. */
export const apiDomains = ['api.acme-corp.io'];

/** What the vulnerable app's Android manifest and network security config plant, APK and AAB alike. */
export const PLANTED_ANDROID_RULES = [
  'android-debuggable',
  'android-allow-backup',
  'android-cleartext-traffic',
  'android-test-only',
  'android-exported-component',
  'android-nsc-cleartext',
  'android-nsc-user-certs',
  'android-nsc-no-pins',
  'android-nsc-expired-pins',
  'secret-google-api-key',
  'secret-stripe-live-key',
  'cleartext-http-url',
] as const;

/** The rule ids a report has. */
export const ids = (r: AuditReport) => new Set(r.findings.map((f) => f.ruleId));
/** The findings of one rule. */
export const where = (r: AuditReport, ruleId: string): Finding[] =>
  r.findings.filter((f) => f.ruleId === ruleId);

/**
 * A dynamic feature module's manifest: no app-level attributes (those are the base's), one
 * receiver, exported without a permission in the vulnerable app.
 */
function featureManifestSpec(vulnerable: boolean): AxmlSpec {
  return {
    name: 'manifest',
    plain: { package: 'com.acme.field', split: 'scanner' },
    children: [
      {
        name: 'application',
        android: { hasCode: true },
        children: [
          {
            name: 'receiver',
            android: vulnerable
              ? { name: 'com.acme.scanner.ScanReceiver', exported: true }
              : { name: 'com.acme.scanner.ScanReceiver', exported: false },
          },
        ],
      },
    ],
  };
}

function networkSecurityConfig(vulnerable: boolean): Buffer {
  return encodeAxml(networkSecurityConfigSpec(vulnerable));
}

function networkSecurityConfigSpec(vulnerable: boolean): AxmlSpec {
  if (vulnerable) {
    return {
      name: 'network-security-config',
      children: [
        {
          name: 'base-config',
          plain: { cleartextTrafficPermitted: true },
          children: [
            {
              name: 'trust-anchors',
              children: [
                { name: 'certificates', plain: { src: 'system' } },
                { name: 'certificates', plain: { src: 'user' } },
              ],
            },
          ],
        },
        {
          name: 'domain-config',
          children: [{ name: 'domain', plain: { includeSubdomains: true }, text: 'api.acme-corp.io' }],
        },
        {
          name: 'domain-config',
          children: [
            { name: 'domain', plain: { includeSubdomains: false }, text: 'cdn.acme-corp.io' },
            {
              name: 'pin-set',
              plain: { expiration: '2020-01-01' },
              children: [
                {
                  name: 'pin',
                  plain: { digest: 'SHA-256' },
                  text: '7HIpactkIAq2Y49orFOOQKurWxmmSFZhBCoQYcRhJ3Y=',
                },
              ],
            },
          ],
        },
      ],
    };
  }
  return {
    name: 'network-security-config',
    children: [
      { name: 'base-config', plain: { cleartextTrafficPermitted: false } },
      {
        name: 'domain-config',
        children: [
          { name: 'domain', plain: { includeSubdomains: true }, text: 'api.acme-corp.io' },
          {
            name: 'pin-set',
            plain: { expiration: '2099-01-01' },
            children: [
              {
                name: 'pin',
                plain: { digest: 'SHA-256' },
                text: '7HIpactkIAq2Y49orFOOQKurWxmmSFZhBCoQYcRhJ3Y=',
              },
              {
                name: 'pin',
                plain: { digest: 'SHA-256' },
                text: 'fwza0LRMXouZHRC8Ei+4PyuldPDcf3UKgO/04cDM1oE=',
              },
            ],
          },
        ],
      },
      {
        name: 'domain-config',
        plain: { cleartextTrafficPermitted: true },
        children: [{ name: 'domain', text: 'localhost' }],
      },
      {
        name: 'debug-overrides',
        children: [{ name: 'trust-anchors', children: [{ name: 'certificates', plain: { src: 'user' } }] }],
      },
    ],
  };
}

function infoPlist(vulnerable: boolean): Buffer {
  const ats = vulnerable
    ? {
        NSAllowsArbitraryLoads: true,
        NSExceptionDomains: {
          'legacy.acme-corp.io': { NSExceptionAllowsInsecureHTTPLoads: true, NSIncludesSubdomains: true },
        },
      }
    : {
        NSAllowsLocalNetworking: true,
        NSExceptionDomains: { localhost: { NSExceptionAllowsInsecureHTTPLoads: true } },
      };
  return bplistCreator({
    CFBundleIdentifier: 'com.acme.field',
    CFBundleShortVersionString: '1.4.0',
    NSAppTransportSecurity: ats,
    ...(vulnerable ? { AcmeStripeKey: SECRETS.stripeLive } : {}),
  });
}

// Split so the test runner does not take it for this file's own source map.
const INLINE_MAP = `//# source${'MappingURL'}=data:application/json;base64,eyJ2ZXJzaW9uIjozfQ==`;

const VULN_JS = `/*! acme field app | license: http://www.apache.org/licenses/LICENSE-2.0 */
const svgNs = "http://www.w3.org/2000/svg";
const config = {
  apiBase: "http://api.acme-corp.io/v1",
  awsAccessKeyId: "${SECRETS.awsKeyId}",
  aws_secret_access_key: "${SECRETS.awsSecret}",
  githubToken: "${GITHUB_TOKEN}",
  gitlab: "${SECRETS.gitlab}",
  slack: "${SECRETS.slack}",
  alerts: "${SECRETS.slackWebhook}",
  stripe: "${SECRETS.stripeLive}",
  stripeSandbox: "${SECRETS.stripeTest}",
  maps: "${SECRETS.google}",
  oauthClient: "${SECRETS.googleOauth}",
  storage: "${SECRETS.azureStorage}",
  graph: "${SECRETS.azureAd}",
  serviceJwt: "${JWT}",
  reportingSecret: "${SECRETS.generic}",
};
export async function login(user) {
  const res = await fetch(config.apiBase + "/login", { method: "POST", body: JSON.stringify(user) });
  const body = await res.json();
  localStorage.setItem("authToken", body.accessToken);
  await AsyncStorage.setItem("refresh_token", body.refreshToken);
  return body;
}
${INLINE_MAP}
`;

const CLEAN_JS = `/*! acme field app | license: http://www.apache.org/licenses/LICENSE-2.0 */
const svgNs = "http://www.w3.org/2000/svg";
const xlink = "http://www.w3.org/1999/xlink";
const config = {
  apiBase: "https://api.acme-corp.io/v1",
  devServer: "http://localhost:8100",
  emulatorHost: "http://10.0.2.2:3000/api",
  loopback: "http://127.0.0.1:9000/health",
  docs: "http://api.example.com/v1",
  stripePublishable: "pk_live_51Hx9KqL2mN8vB4cR7tY1wZ3pD6fG0jS",
  awsDocsExample: "AKIAIOSFODNN7EXAMPLE",
  buildLabel: "${GITHUB_TOKEN_BAD_CHECKSUM}",
  tokenStorageKey: "auth_token",
  passwordLabel: "Enter your password",
  password: "",
  secretTitle: "settings.secret.title",
  tokenEndpoint: "https://login.acme-corp.io/oauth2/token",
  apiKeyHeader: "X-Api-Key",
};
export async function login(user, vault) {
  const res = await fetch(config.apiBase + "/login", { method: "POST", body: JSON.stringify(user) });
  const body = await res.json();
  await vault.put("session", body.accessToken);
  localStorage.setItem("theme", "dark");
  return body;
}
`;

const MANIFEST_NS =
  '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"></svg>';

export interface FixtureApp {
  dir: string;
  apk: string;
  obfuscatedApk: string;
  /** An Android App Bundle: protocol-buffer manifests (base and a feature module) and config. */
  aab: string;
  /** The same bundle with android attribute names and compiled values' source strings blanked. */
  obfuscatedAab: string;
  ipa: string;
  /**
   * A build-output directory: `outputs/app-release.apk` (the APK above), `outputs/App.ipa`, and
   * `outputs/web.zip` holding `www/` and `legacy.zip`, itself holding `main.js`.
   */
  outputs: string;
}

/** Writes the vulnerable app (or its clean twin) under `root`. */
export async function buildFixtureApp(root: string, vulnerable: boolean): Promise<FixtureApp> {
  const dir = join(root, 'project');
  const files: Record<string, string | Uint8Array> = vulnerable
    ? {
        'www/index.html': `<!doctype html><html><body>${MANIFEST_NS}<script src="main.js"></script></body></html>`,
        'www/main.js': VULN_JS,
        'www/main.js.map': '{"version":3,"sources":["src/main.ts"],"names":[],"mappings":"AAAA"}',
        'www/.env.production': `API_URL=https://api.acme-corp.io\nSTRIPE_SECRET_KEY=${SECRETS.stripeLive}\n`,
        'www/certs/server-key.pem': privateKeyPem(),
        'www/assets/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]),
        'capacitor.config.json': JSON.stringify(
          {
            appId: 'com.acme.field',
            webDir: 'www',
            server: { url: 'http://192.168.1.20:8100', cleartext: true },
            android: { allowMixedContent: true, webContentsDebuggingEnabled: true },
          },
          null,
          2,
        ),
        'config.xml': `<?xml version="1.0" encoding="utf-8"?>
<widget id="com.acme.field" version="1.4.0" xmlns="http://www.w3.org/ns/widgets" xmlns:cdv="http://cordova.apache.org/ns/1.0">
  <name>Acme Field</name>
  <access origin="*" />
  <allow-navigation href="https://*.acme-corp.io/*" />
</widget>
`,
      }
    : {
        'www/index.html': `<!doctype html><html><body>${MANIFEST_NS}<script src="main.js"></script></body></html>`,
        'www/main.js': CLEAN_JS,
        'www/.env.example': 'API_URL=https://api.example.com\nSTRIPE_SECRET_KEY=your-key-here\n',
        'www/assets/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]),
        'capacitor.config.json': JSON.stringify(
          { appId: 'com.acme.field', webDir: 'www', android: { allowMixedContent: false } },
          null,
          2,
        ),
        'config.xml': `<?xml version="1.0" encoding="utf-8"?>
<widget id="com.acme.field" version="1.4.0" xmlns="http://www.w3.org/ns/widgets" xmlns:cdv="http://cordova.apache.org/ns/1.0">
  <name>Acme Field</name>
  <access origin="https://api.acme-corp.io" />
  <allow-navigation href="https://*.acme-corp.io/*" />
</widget>
`,
        'android/app/src/main/res/values/strings.xml':
          '<?xml version="1.0" encoding="utf-8"?>\n<resources xmlns:tools="http://schemas.android.com/tools">\n  <string name="app_name">Acme Field</string>\n</resources>\n',
      };
  await writeTree(dir, files);
  const apkFiles = (obfuscate: boolean) => ({
    'AndroidManifest.xml': manifest(vulnerable, obfuscate),
    'res/xml/network_security_config.xml': networkSecurityConfig(vulnerable),
    'assets/public/index.html': `<html>${MANIFEST_NS}</html>`,
    'assets/public/main.js': vulnerable ? VULN_JS : CLEAN_JS,
    'res/drawable/icon.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    'classes.dex': Buffer.concat([
      Buffer.from('dex\n035\0'),
      Buffer.alloc(64),
      Buffer.from(
        vulnerable ? 'http://telemetry.acme-corp.io/collect\0' : 'https://telemetry.acme-corp.io/collect\0',
      ),
    ]),
  });
  const apk = join(root, 'app-release.apk');
  await writeFile(apk, zip(apkFiles(false)));
  const obfuscatedApk = join(root, 'app-obfuscated.apk');
  await writeFile(obfuscatedApk, zip(apkFiles(true)));
  const aabFiles = (obfuscate: boolean) => ({
    'BundleConfig.pb': Buffer.from([0x0a, 0x07, 0x0a, 0x05, 0x31, 0x2e, 0x31, 0x38, 0x2e, 0x31]),
    'base/manifest/AndroidManifest.xml': encodeProtoXml(manifestSpec(vulnerable), { obfuscate }),
    'base/res/xml/network_security_config.xml': encodeProtoXml(networkSecurityConfigSpec(vulnerable), {
      obfuscate,
    }),
    'base/assets/public/index.html': `<html>${MANIFEST_NS}</html>`,
    'base/assets/public/main.js': vulnerable ? VULN_JS : CLEAN_JS,
    'base/res/drawable/icon.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    'base/dex/classes.dex': apkFiles(false)['classes.dex'],
    'scanner/manifest/AndroidManifest.xml': encodeProtoXml(featureManifestSpec(vulnerable), { obfuscate }),
  });
  const aab = join(root, 'app-release.aab');
  await writeFile(aab, zip(aabFiles(false)));
  const obfuscatedAab = join(root, 'app-obfuscated.aab');
  await writeFile(obfuscatedAab, zip(aabFiles(true)));
  const ipaBytes = zip({
    'Payload/App.app/Info.plist': infoPlist(vulnerable),
    'Payload/App.app/embedded.mobileprovision': mobileProvision(vulnerable),
    'Payload/App.app/public/main.js': vulnerable ? VULN_JS : CLEAN_JS,
  });
  const ipa = join(root, 'App.ipa');
  await writeFile(ipa, ipaBytes);
  const outputs = join(root, 'outputs');
  await writeTree(outputs, {
    'app-release.apk': zip(apkFiles(false)),
    'App.ipa': ipaBytes,
    'web.zip': zip({
      'www/index.html': `<!doctype html><html><body>${MANIFEST_NS}</body></html>`,
      'legacy.zip': zip({ 'main.js': vulnerable ? VULN_JS : CLEAN_JS }),
    }),
  });
  return { dir, apk, obfuscatedApk, aab, obfuscatedAab, ipa, outputs };
}
