/**
 * Misses seen on real apps (issue 13), each reproduced by a small fixture written here: the
 * problem is found, and its nearest benign look-alike stays quiet. The per-rule pairs are in
 * `lib/miss-cases.ts` (also counted by the catalogue coverage check of `rules.test.ts`); the
 * variants of each rule are below.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPath } from '../../src/audit/scan.js';
import type { Finding } from '../../src/audit/types.js';
import { machO } from './lib/binaries.js';
import { bks, jks, pkcs12 } from './lib/keystores.js';
import { apk, MISS_CASES } from './lib/miss-cases.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bulwark-misses-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function scan(
  files: Record<string, string | Uint8Array>,
  apiDomains: string[] = [],
): Promise<Finding[]> {
  const dir = join(root, String(n++));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return (await auditPath(dir, { now: () => new Date('2026-06-01T00:00:00Z'), apiDomains })).findings;
}

const of = (found: Finding[], rule: string) => found.filter((f) => f.ruleId === rule);

describe('each added rule finds its miss and leaves its look-alike alone', () => {
  it.each(MISS_CASES)('$rule', async ({ rule, positive, negative, apiDomains }) => {
    expect(
      (await scan(positive, apiDomains)).map((f) => f.ruleId),
      'positive',
    ).toContain(rule);
    expect(of(await scan(negative, apiDomains), rule), 'negative').toEqual([]);
  });
});

describe('credentials in URLs', () => {
  it('finds them in connection strings, redacted, and not in placeholders or loopback', async () => {
    const found = await scan({
      'www/db.js': [
        'const a = "mongodb+srv://app:Xy7pQ2wz@cluster0.acme.mongodb.net/app";',
        'const b = "ftp://deploy:hunter22@files.acme-corp.io/";',
        'const c = "postgres://dev:devpass@localhost:5432/app";',
        'const d = "https://user:<password>@api.acme-corp.io/";',
        '',
      ].join('\n'),
    });
    const urls = of(found, 'secret-url-credentials');
    expect(urls.map((f) => f.line)).toEqual([1, 2]);
    expect(urls[0]?.severity).toBe('high');
    expect(JSON.stringify(found)).not.toContain('Xy7pQ2wz');
    expect(JSON.stringify(found)).not.toContain('hunter22');
  });
});

describe('keys found by their use', () => {
  it('finds literal keys under key names (low entropy too), in CryptoKit, CommonCrypto and native C', async () => {
    const found = await scan({
      'app/src/main/java/com/acme/Crypto.kt':
        'private const val ENCRYPTION_KEY = "aaaaaaaaaaaaaaaa"\nval spec = SecretKeySpec(byteArrayOf(1, 2, 3, 4, 5, 6, 7, 8), "AES")\nval main = SecretKeySpec(ENCRYPTION_KEY.toByteArray(), "AES")\n',
      'ios/App/Vault.swift': 'let key = SymmetricKey(data: Data("supersecretkey12".utf8))\n',
      'ios/App/Legacy.m':
        'CCCryptorStatus s = CCCrypt(kCCEncrypt, kCCAlgorithmAES, kCCOptionPKCS7Padding, "0123456789abcdef", kCCKeySizeAES128, iv, in, len, out, outLen, &moved);\n',
      'app/src/main/jni/keys.c':
        'static const char *aes_key = "1234567890abcdef";\nchar KEY[] = "abcdefghijklmnop";\nvoid init(AES_KEY *k) { AES_set_encrypt_key((const unsigned char *)aes_key, 128, k); }\nvoid mask(char *s, int n) { for (int i = 0; i < n; i++) s[i] ^= KEY[i % 16]; }\n',
    });
    const keys = of(found, 'crypto-hardcoded-key');
    expect(keys.map((f) => `${f.file}:${f.line}`).sort()).toEqual([
      'app/src/main/java/com/acme/Crypto.kt:1',
      'app/src/main/java/com/acme/Crypto.kt:2',
      'app/src/main/jni/keys.c:1',
      'app/src/main/jni/keys.c:2',
      'ios/App/Legacy.m:1',
      'ios/App/Vault.swift:1',
    ]);
    expect(keys.every((f) => f.severity === 'high')).toBe(true);
    expect(JSON.stringify(found)).not.toContain('supersecretkey12');
  });

  it('leaves names of preferences and short values under a plain key name alone', async () => {
    const found = await scan({
      'app/src/main/java/com/acme/Prefs.kt':
        'const val KEY = "theme"\nconst val PREF_KEY = "dark_mode"\nval key = "Settings"\nprivate const val API_KEY_HEADER = "X-Api-Key"\n',
    });
    expect(of(found, 'crypto-hardcoded-key')).toEqual([]);
  });
});

describe('secrets written in clear', () => {
  it('a token in preferences is medium, a password high; UserDefaults too', async () => {
    const found = await scan({
      'app/src/main/java/com/acme/Session.java':
        'class S { void s(SharedPreferences.Editor e, String t, String p) { e.putString("auth_token", t); e.putString("user_pin", p); } }\n',
      'ios/App/Store.swift': 'UserDefaults.standard.set(password, forKey: "userPassword")\n',
    });
    const prefs = of(found, 'storage-secret-in-preferences');
    expect(prefs.map((f) => [f.evidence, f.severity]).sort()).toEqual([
      ['auth_token', 'medium'],
      ['userPassword', 'high'],
      ['user_pin', 'high'],
    ]);
  });
});

describe('secrets in logs, plists and external storage', () => {
  it('finds interpolated secrets in logs, secrets in written plists and external files; not their look-alikes', async () => {
    const found = await scan({
      'app/src/main/java/com/acme/Auth.kt':
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Kotlin source of a fixture
        'fun login(user: String, password: String) {\n  println("login $user with $password")\n  Log.i(TAG, "user ${user.name}")\n}\n',
      'app/src/main/java/com/acme/Backup.java': [
        'class Backup {',
        '  void save(String password, byte[] data) throws IOException {',
        '    File f = new File(Environment.getExternalStorageDirectory(), "backup.txt");',
        '    FileOutputStream out = new FileOutputStream(f);',
        '    out.write(data);',
        '    out.write(password.getBytes());',
        '  }',
        '}',
        '',
      ].join('\n'),
      'ios/App/Settings.m':
        'NSDictionary *d = @{@"username": name, @"password": pw, @"label": @"Password"};\n[d writeToFile:path atomically:YES];\n',
    });
    expect(of(found, 'storage-secret-in-log').map((f) => [f.file, f.line])).toEqual([
      ['app/src/main/java/com/acme/Auth.kt', 2],
    ]);
    expect(
      of(found, 'storage-secret-in-preferences')
        .map((f) => [f.file, f.line, f.evidence])
        .sort(),
    ).toEqual([
      ['app/src/main/java/com/acme/Backup.java', 6, 'password'],
      ['ios/App/Settings.m', 1, 'password'],
    ]);
  });
});

describe('http URLs built by concatenation', () => {
  it('are cleartext endpoints; comparing or replacing the scheme is not', async () => {
    const found = await scan({
      'app/src/main/java/com/acme/Api.java':
        'class Api {\n  String base(String host) { return "http://" + host + "/api"; }\n  boolean plain(String u) { return u.startsWith("http://"); }\n  String up(String u) { return u.replace("http://", "https://"); }\n}\n',
      'www/app.js':
        // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source of a fixture
        'fetch(`http://${server}/v1/items`);\nconst dev = `http://${emulatorHost}/`;\nconst lo = "http://" + localhostForURL;\n',
    });
    const urls = of(found, 'cleartext-http-url');
    expect(urls.map((f) => `${f.file}:${f.line}`).sort()).toEqual([
      'app/src/main/java/com/acme/Api.java:2',
      'www/app.js:1',
    ]);
  });
});

describe('the other code rules', () => {
  it('bare "AES" is ECB; trust-all on iOS; gets() is medium, strcpy low; test code is lowered', async () => {
    const found = await scan({
      'app/src/main/java/com/acme/A.java': 'class A { Cipher c = Cipher.getInstance("AES"); }\n',
      'ios/App/Net.m': 'manager.securityPolicy.allowInvalidCertificates = YES;\n',
      'app/src/main/cpp/io.c': 'void r(char *b) { gets(b); }\nvoid w(char *d, char *s) { strcat(d, s); }\n',
      'app/src/test/java/com/acme/T.java':
        'class T { Cipher c = Cipher.getInstance("DES/ECB/NoPadding"); }\n',
    });
    const ecb = of(found, 'crypto-ecb-mode');
    expect(ecb.map((f) => [f.file, f.severity])).toEqual([
      ['app/src/main/java/com/acme/A.java', 'high'],
      ['app/src/test/java/com/acme/T.java', 'low'],
    ]);
    expect(of(found, 'network-trust-all-certificates').map((f) => f.file)).toEqual(['ios/App/Net.m']);
    expect(
      of(found, 'native-banned-api')
        .map((f) => [f.evidence, f.severity])
        .sort(),
    ).toEqual([
      ['gets', 'medium'],
      ['strcat', 'low'],
    ]);
  });

  it('comments are blanked, strings kept: a rule in a comment is quiet, "//" inside a string ends no line', async () => {
    const found = await scan({
      'app/src/main/java/com/acme/C.java': [
        'class C {',
        '  /* setJavaScriptEnabled(true) in a block comment */',
        '  String u = "https://acme-corp.io/a"; void f(WebView w) { w.getSettings().setJavaScriptEnabled(true); }',
        '  // addJavascriptInterface(new Bridge(), "Android");',
        '  /* an unterminated comment: addJavascriptInterface(b, "X")',
        '',
      ].join('\n'),
    });
    expect(of(found, 'android-webview-javascript').map((f) => f.line)).toEqual([3]);
    expect(of(found, 'android-webview-js-interface')).toEqual([]);
  });

  it('a WebView that proceeds on TLS errors trusts every certificate', async () => {
    const found = await scan({
      'app/src/main/java/com/acme/W.java':
        'class W extends WebViewClient {\n  @Override public void onReceivedSslError(WebView v, SslErrorHandler handler, SslError e) {\n    handler.proceed();\n  }\n}\n',
    });
    expect(of(found, 'network-trust-all-certificates').map((f) => f.line)).toEqual([2]);
  });
});

describe('Android: cleartext by default, SDK levels, from the manifest or Gradle', () => {
  it('a project targeting 27 in Gradle, with no manifest flag, allows cleartext by default', async () => {
    const found = await scan({
      'app/build.gradle': 'android { defaultConfig { minSdkVersion 26\n targetSdkVersion 27 } }\n',
      'app/src/main/AndroidManifest.xml':
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android"><application android:allowBackup="false"/></manifest>',
    });
    expect(of(found, 'android-cleartext-default').map((f) => [f.file, f.severity])).toEqual([
      ['app/src/main/AndroidManifest.xml', 'medium'],
    ]);
  });

  it('usesCleartextTraffic="false", or a target of 28, closes it', async () => {
    const found = await scan({
      'a/src/main/AndroidManifest.xml':
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android"><uses-sdk android:targetSdkVersion="26"/><application android:usesCleartextTraffic="false"/></manifest>',
      'b/x.zip': Buffer.alloc(0),
    });
    expect(of(found, 'android-cleartext-default')).toEqual([]);
    const later = await scan({
      'app/src/main/AndroidManifest.xml':
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android"><uses-sdk android:targetSdkVersion="28"/><application/></manifest>',
    });
    expect(of(later, 'android-cleartext-default')).toEqual([]);
  });
});

describe('Cordova <edit-config> and <config-file>', () => {
  it('get the manifest and ATS checks; the same blocks setting safe values stay quiet', async () => {
    const widget = (android: string, ios: string) =>
      `<?xml version="1.0"?>
<widget id="com.acme.app" xmlns="http://www.w3.org/ns/widgets" xmlns:android="http://schemas.android.com/apk/res/android">
  <platform name="android">
    <edit-config file="app/src/main/AndroidManifest.xml" mode="merge" target="/manifest/application">
      <application ${android}/>
    </edit-config>
  </platform>
  <platform name="ios">
    <config-file parent="NSAppTransportSecurity" target="*-Info.plist">
      <dict><key>NSAllowsArbitraryLoads</key><${ios}/></dict>
    </config-file>
  </platform>
</widget>
`;
    const found = await scan({
      'config.xml': widget('android:usesCleartextTraffic="true" android:debuggable="true"', 'true'),
    });
    expect(found.map((f) => f.ruleId).sort()).toEqual(
      expect.arrayContaining(['android-cleartext-traffic', 'android-debuggable', 'ios-ats-arbitrary-loads']),
    );
    expect(of(found, 'ios-ats-arbitrary-loads')[0]?.line).toBe(9);
    const safe = await scan({ 'config.xml': widget('android:usesCleartextTraffic="false"', 'false') });
    expect(
      safe.filter((f) =>
        ['android-cleartext-traffic', 'android-debuggable', 'ios-ats-arbitrary-loads'].includes(f.ruleId),
      ),
    ).toEqual([]);
  });
});

describe('capacitor.config.ts, read without running it', () => {
  it('finds a live-reload server and cleartext written as literals', async () => {
    const marker = join(root, 'capacitor-config-ran');
    const found = await scan({
      'capacitor.config.ts': `import type { CapacitorConfig } from '@capacitor/cli';
// Writing this file proves the config ran: the audit must never run it.
require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x');
const config: CapacitorConfig = {
  appId: 'com.acme.app',
  webDir: "dist",
  server: {
    url: \`http://192.168.1.20:8100\`, // live reload
    cleartext: true,
  },
  android: { allowMixedContent: false },
};
export default config;
`,
    });
    expect(of(found, 'hybrid-dev-server-url').map((f) => [f.severity, f.line])).toEqual([['high', 8]]);
    expect(of(found, 'hybrid-cleartext')).toHaveLength(1);
    expect(of(found, 'hybrid-mixed-content')).toEqual([]);
    expect(of(found, 'audit-unparsed-file')).toEqual([]);
    await expect(import('node:fs').then((fs) => fs.existsSync(marker))).resolves.toBe(false);
  });

  it('says what it could not read: values from the environment, or a config built in code', async () => {
    const found = await scan({
      'capacitor.config.ts': `const config: CapacitorConfig = {
  appId: 'com.acme.app',
  server: process.env.LIVE ? { url: process.env.LIVE, cleartext: true } : undefined,
};
export default config;
`,
      'other/capacitor.config.js': 'module.exports = makeConfig();\n',
    });
    const notes = of(found, 'audit-unparsed-file');
    expect(notes.map((f) => [f.file, f.severity]).sort()).toEqual([
      ['capacitor.config.ts', 'low'],
      ['other/capacitor.config.js', 'low'],
    ]);
    expect(notes.find((f) => f.file === 'capacitor.config.ts')?.message).toContain('server');
    expect(of(found, 'hybrid-dev-server-url')).toEqual([]);
  });
});

describe('key stores by their magic bytes', () => {
  it('finds JKS, JCEKS, PKCS#12 and keyed BKS stores without extension; truststores and look-alikes stay quiet', async () => {
    const jceks = jks(['key']);
    jceks.writeUInt32BE(0xcececece, 0);
    const found = await scan({
      'app/src/main/assets/client': jks(['key']),
      'app/src/main/assets/vault.dat': jceks,
      'app/src/main/res/raw/identity': pkcs12(),
      'app/src/main/res/raw/mutual': bks(['cert', 'key']),
      'app/src/main/res/raw/trust': jks(['cert']),
      'app/src/main/res/raw/pins': bks(['cert']),
      'app/src/main/assets/cert.der': Buffer.concat([
        Buffer.from([0x30, 0x82, 0x01, 0x00, 0x30, 0x82]),
        Buffer.alloc(250, 1),
      ]),
      'app/src/main/assets/blob': Buffer.concat([
        Buffer.from([0, 0, 0, 2, 0, 0, 0, 20]),
        Buffer.alloc(60, 0),
      ]),
    });
    const stores = of(found, 'secret-private-key');
    expect(stores.map((f) => [f.file, f.severity]).sort()).toEqual([
      ['app/src/main/assets/client', 'high'],
      ['app/src/main/assets/vault.dat', 'high'],
      ['app/src/main/res/raw/identity', 'high'],
      ['app/src/main/res/raw/mutual', 'high'],
    ]);
    expect(stores.find((f) => f.file.endsWith('identity'))?.message).toContain('PKCS#12');
    expect(stores.find((f) => f.file.endsWith('client'))?.message).toContain(
      'JKS with a private or secret key entry',
    );
  });
});

describe('native binaries', () => {
  it('an iOS executable without PIE, with an executable stack, is found; a dylib is not an executable', async () => {
    const found = await scan({
      'Payload/App.app/App': machO(2, 0x20000, ['___stack_chk_fail', '_objc_msgSend', '_objc_release']),
      'Payload/App.app/Frameworks/Kit.framework/Kit': machO(6, 0, [
        '___stack_chk_fail',
        '_swift_release',
        '_objc_msgSend',
      ]),
    });
    expect(
      found
        .filter((f) => f.ruleId.startsWith('native-') || f.ruleId.startsWith('ios-binary'))
        .map((f) => [f.ruleId, f.file])
        .sort(),
    ).toEqual([
      ['native-not-pie', 'Payload/App.app/App'],
      ['native-nx-disabled', 'Payload/App.app/App'],
    ]);
  });

  it('a file named .so that is not ELF is no finding', async () => {
    const found = await scan({ 'lib/arm64-v8a/libfake.so': 'not an ELF file' });
    expect(found.filter((f) => f.ruleId.startsWith('native-'))).toEqual([]);
  });
});

describe('v1-only signing', () => {
  it('is found in an APK given as the input too, and not in a zip that is no APK', async () => {
    const dir = join(root, String(n++));
    await mkdir(dir, { recursive: true });
    const at = (name: string) => join(dir, name);
    await writeFile(at('v1.apk'), apk(false));
    await writeFile(at('v2.apk'), apk(true));
    const rules = async (file: string) => (await auditPath(file)).findings.map((f) => f.ruleId);
    expect(await rules(at('v1.apk'))).toContain('android-v1-only-signed');
    expect(await rules(at('v2.apk'))).not.toContain('android-v1-only-signed');
    const { zipSync } = await import('fflate');
    await writeFile(at('docs.zip'), zipSync({ 'META-INF/CERT.RSA': new Uint8Array([0x30]) }));
    expect(await rules(at('docs.zip'))).not.toContain('android-v1-only-signed');
  });
});

describe('codes compared with what the user typed', () => {
  it('finds a literal or a constant of the file compared with an input, in Kotlin, Java, Swift and Objective-C', async () => {
    const found = await scan({
      'app/src/main/java/com/acme/Promo.kt':
        'class Promo {\n  private val promoCode: String = "SPRING24"\n  fun ok(promoCodeValue: EditText) = promoCodeValue.text.toString().equals(promoCode, ignoreCase = true)\n}\n',
      'app/src/main/java/com/acme/Unlock.java':
        'class Unlock {\n  boolean ok(EditText pinField) {\n    if ("4711".equals(pinField.getText().toString())) return true;\n    return false;\n  }\n}\n',
      'ios/App/Gate.swift':
        'func open(_ codeField: UITextField) -> Bool {\n  if codeField.text == "VIP2025" { return true }\n  return false\n}\n',
      'ios/App/Gate.m': 'if ([self.passcodeField.text isEqualToString:@"9981"]) { [self unlock]; }\n',
    });
    const hits = of(found, 'secret-hardcoded-comparison');
    expect(hits.map((f) => [f.file, f.line, f.severity]).sort()).toEqual([
      ['app/src/main/java/com/acme/Promo.kt', 3, 'high'],
      ['app/src/main/java/com/acme/Unlock.java', 3, 'high'],
      ['ios/App/Gate.m', 1, 'high'],
      // `codeField` says it holds a code, not what the code opens (a postal or country code too).
      ['ios/App/Gate.swift', 2, 'medium'],
    ]);
    // The code itself is redacted like any secret.
    expect(JSON.stringify(found)).not.toContain('SPRING24');
    expect(JSON.stringify(found)).not.toContain('VIP2025');
  });

  it('stays quiet on labels, words typed to confirm, state checks and values from elsewhere', async () => {
    const found = await scan({
      'app/src/main/java/com/acme/Quiet.kt': [
        'fun f(confirmInput: EditText, timeLeft: TextView, amountField: EditText, remote: String) {',
        '  if (confirmInput.text.toString() == "DELETE") wipe()',
        '  if (timeLeft.text == "1h 5m") tick()',
        '  if (Environment.MEDIA_MOUNTED == Environment.getExternalStorageState()) save()',
        '  if (amountField.text.toString() == remote) pay()',
        '  if (amountField.text.toString() == "") warn()',
        '}',
        '',
      ].join('\n'),
    });
    expect(of(found, 'secret-hardcoded-comparison')).toEqual([]);
  });

  it('rates a token compared with an input whose names say nothing of a code as medium, and an address or phrase not at all', async () => {
    const found = await scan({
      'app/src/main/java/com/acme/Search.kt': [
        'fun f(searchInput: EditText, emailInput: EditText, nameField: EditText) {',
        '  if (searchInput.text.toString() == "iphone15") showPhones()',
        '  if (emailInput.text.toString() == "a@b.c1") fill()',
        '  if (nameField.text.toString().equals("Room 101")) room()',
        '}',
        '',
      ].join('\n'),
    });
    expect(of(found, 'secret-hardcoded-comparison').map((f) => [f.line, f.severity])).toEqual([
      [2, 'medium'],
    ]);
  });

  it('finds a constant of the file given to SecretKeySpec as the key', async () => {
    const found = await scan({
      'app/src/main/java/com/acme/Vendor.java':
        'class Vendor {\n  static final String VENDOR_ID = "AcmeVendor2020";\n  SecretKeySpec k = new SecretKeySpec(VENDOR_ID.getBytes(), "AES");\n  SecretKeySpec r = new SecretKeySpec(loadKey(), "AES");\n}\n',
    });
    expect(of(found, 'crypto-hardcoded-key').map((f) => f.line)).toEqual([3]);
  });
});

describe('weak hashes', () => {
  it('is high for a secret hashed, low and set aside for a checksum, medium otherwise', async () => {
    const found = await scan({
      'app/src/main/java/com/acme/Hashes.kt': [
        'fun hashPIN(pinValue: String) = MessageDigest.getInstance("MD5").digest(pinValue.toByteArray())',
        'fun fileChecksum(file: File): ByteArray {',
        '  val digest = MessageDigest.getInstance("MD5")',
        '  digest.update(file.readBytes())',
        '  return digest.digest()',
        '}',
        'fun id(name: String) = MessageDigest.getInstance("SHA-1").digest(name.toByteArray())',
        'fun login(password: String): String {',
        '  val md = MessageDigest.getInstance("SHA1")',
        '  md.update(password.toByteArray())',
        '  return hex(md.digest())',
        '}',
        'fun good(b: ByteArray) = MessageDigest.getInstance("SHA-256").digest(b)',
        '',
      ].join('\n'),
      'ios/App/Hash.swift':
        'let d = Insecure.MD5.hash(data: passwordData)\nlet s = SHA256.hash(data: data)\n',
      'ios/App/Legacy.m': 'CC_SHA1(bytes, (CC_LONG)len, digest);\n',
      'www/app.js':
        'const a = crypto.createHash("md5").update(password).digest("hex"); const b = CryptoJS.SHA1(body); const c = crypto.createHash("sha256").update(x);\n',
    });
    const hashes = of(found, 'crypto-weak-hash').map((f) => [f.file, f.line, f.severity]);
    expect(hashes.sort()).toEqual([
      ['app/src/main/java/com/acme/Hashes.kt', 1, 'high'],
      ['app/src/main/java/com/acme/Hashes.kt', 3, 'low'],
      ['app/src/main/java/com/acme/Hashes.kt', 7, 'medium'],
      ['app/src/main/java/com/acme/Hashes.kt', 9, 'high'],
      ['ios/App/Hash.swift', 1, 'high'],
      ['ios/App/Legacy.m', 1, 'medium'],
      ['www/app.js', 1, 'high'],
      ['www/app.js', 1, 'medium'],
    ]);
    const checksum = of(found, 'crypto-weak-hash').find((f) => f.severity === 'low');
    expect(checksum?.context).toEqual({
      reason: 'named as a checksum (fileChecksum)',
      loweredFrom: 'medium',
    });
  });
});

describe('writes to external storage', () => {
  it('finds files opened for writing there, directly or through a variable, and world-readable modes', async () => {
    const found = await scan({
      'app/src/main/java/com/acme/Export.kt': [
        'fun export(data: String) {',
        '  val tmp = File.createTempFile("users", "_tmp", getExternalFilesDir(null))',
        '  val fw = FileWriter(tmp)',
        '  fw.write(data)',
        '  File(Environment.getExternalStoragePublicDirectory(Environment.DIRECTORY_DOCUMENTS), "x.txt").writeText(data)',
        '  File(filesDir, "private.txt").writeText(data)',
        '  val prefs = getSharedPreferences("p", Context.MODE_WORLD_READABLE)',
        '  Log.d(TAG, "never use MODE_WORLD_READABLE here")',
        '}',
        '',
      ].join('\n'),
    });
    expect(of(found, 'storage-external-write').map((f) => [f.line, f.severity])).toEqual([
      [3, 'medium'],
      [5, 'medium'],
      [7, 'medium'],
    ]);
  });
});
