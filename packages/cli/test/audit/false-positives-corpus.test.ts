/**
 * False positives measured on the audit corpus (bench/audit-corpus), each class reproduced by a
 * small fixture written here, never an app's own code: the false positive stays quiet or is
 * lowered with its reason shown, and a look-alike true case of the same rule is still found.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPath } from '../../src/audit/scan.js';
import type { AuditReport, Finding } from '../../src/audit/types.js';
import { encodeAxml } from './lib/axml-encoder.js';
import { jks } from './lib/keystores.js';

let root: string;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bulwark-audit-fpc-'));
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

const of = (r: AuditReport, ruleId: string): Finding[] => r.findings.filter((f) => f.ruleId === ruleId);
const places = (r: AuditReport, ruleId: string): string[] =>
  of(r, ruleId)
    .map((f) => `${f.file}:${f.line ?? ''}`)
    .sort();

describe('identifiers under password-like names', () => {
  it('test tags, event and screen names, storage keys and theme attributes stay quiet; real passwords beside them are found', async () => {
    const r = await audit({
      'app/src/main/kotlin/com/acme/ui/PinDialog.kt': [
        'BulwarkPasswordField(',
        '    passwordFieldTestTag = "AlertInputField",',
        '    showPasswordTestTag = "ShowCardNumberButton",',
        ')',
        '',
      ].join('\n'),
      'src/lib/events.ts': [
        "export const SAVE_PASSWORD_EVENT = 'rl_go_e2e_save_password';",
        "export const CHANGE_PASSWORD = 'e2e_sec_change_password';",
        "const E2E_PASSWORD_SCREEN = 'E2ESaveYourPasswordView';",
        "export const E2E_RANDOM_PASSWORD_KEY = 'RC_E2E_RANDOM_PASSWORD_KEY';",
        '',
      ].join('\n'),
      'app/src/main/res/layout/fragment_login.xml': [
        '<com.google.android.material.textfield.TextInputLayout',
        '    xmlns:app="http://schemas.android.com/apk/res-auto"',
        '    app:passwordToggleTint="?attr/primary_field_03"',
        '    app:passwordToggleDrawable="@drawable/ic_eye_24dp" />',
        '',
      ].join('\n'),
      // Look-alikes that are real: a weak password of one word with digits, a camel-case one,
      // and a high-entropy one under a test-tag-like variable that is no tag.
      'src/lib/db.ts': [
        "const DB_PASSWORD = 'password123';",
        "const ADMIN_PASSWORD = 'MyPassword1';",
        "const smtpPassword = 'Kx9vQ2mLp4Zt';",
        '',
      ].join('\n'),
    });
    expect(places(r, 'secret-generic-assignment')).toEqual([
      'src/lib/db.ts:1',
      'src/lib/db.ts:2',
      'src/lib/db.ts:3',
    ]);
  });
});

describe('CI and release files whose values are references', () => {
  it('secrets contexts, $VAR, quoted braced variables, env.X stay quiet; a literal password in the same workflow is found', async () => {
    const r = await audit({
      '.github/workflows/release.yml': [
        'jobs:',
        '  build:',
        '    env:',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression of a fixture
        '      KEYSTORE_PASSWORD: ${{secrets.KEYSTORE_PASSWORD }}',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression of a fixture
        '      KEY_PASSWORD: ${{ secrets.KEY_PASSWORD }}',
        '      STORE_PASSWORD: env.UPLOAD_STORE_PASSWORD',
        '    steps:',
        '      - run: |',
        '          bundle exec fastlane sign storePassword:$UPLOAD_KEYSTORE_PASSWORD \\',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable of a fixture
        '            keyPassword:"$KEY_PASSWORD" aliasPassword:"${ALIAS_PASSWORD}"',
        '      - run: echo done',
        '        env:',
        '          SIGNING_PASSWORD: Zq8rT3vNw5Yp',
        '',
      ].join('\n'),
      'fastlane/envfiles/decrypt_secrets.sh':
        'gpg --quiet --batch --yes --decrypt --passphrase="$API_JSON_FILE_DECRYPTKEY" --output api.json api.json.gpg\n',
    });
    expect(places(r, 'secret-generic-assignment')).toEqual(['.github/workflows/release.yml:13']);
  });
});

describe('Flutter translation files', () => {
  it('.arb files stay quiet; the same assignment in Dart is found', async () => {
    const r = await audit({
      'lib/l10n/app_ca.arb':
        '{\n  "@@locale": "ca",\n  "password": "Contrasenya",\n  "token": "Testimoni12"\n}\n',
      'lib/src/app_fr.arb': '{ "new_password": "Nouveau mot de passe" , "passwordHint": "MotDePasse1" }\n',
      'lib/config.dart': "const password = 'Contrasenya9';\n",
    });
    expect(places(r, 'secret-generic-assignment')).toEqual(['lib/config.dart:1']);
  });
});

/** Severity and the reason a finding was lowered for, by file. */
const judged = (r: AuditReport, ruleId: string): [string, string, string | undefined][] =>
  of(r, ruleId)
    .map((f): [string, string, string | undefined] => [f.file, f.severity, f.context?.reason])
    .sort((a, b) => a[0].localeCompare(b[0]));

/**
 * A PKCS#12 as keytool writes it, reduced to what is read here: the PFX header, then a key bag's
 * attributes with its friendlyName (the alias) in the clear, then filler for the encrypted parts.
 */
function pkcs12WithAlias(alias: string): Buffer {
  const name = Buffer.from(alias, 'utf16le').swap16();
  return Buffer.concat([
    Buffer.from([0x30, 0x82, 0x04, 0x00, 0x02, 0x01, 0x03, 0x30, 0x82, 0x03, 0xf0]),
    Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]),
    Buffer.alloc(64, 4),
    Buffer.from([0x30, 0x06 + name.length + 13]),
    Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x14]),
    Buffer.from([0x31, name.length + 2, 0x1e, name.length]),
    name,
    Buffer.alloc(256, 5),
  ]);
}

/** A JKS whose first (key) entry has the given alias. */
function jksWithAlias(alias: string): Buffer {
  const store = jks(['key']);
  const at = 16; // magic, version, count, tag
  return Buffer.concat([
    store.subarray(0, at),
    Buffer.from([0, alias.length]),
    Buffer.from(alias),
    store.subarray(at + 2 + store.readUInt16BE(at)),
  ]);
}

describe('debug signing keystores', () => {
  it('a key store whose key is the debug key is lowered with its reason; a release or upload key stays high', async () => {
    const r = await audit({
      'debug.keystore': pkcs12WithAlias('androiddebugkey'),
      'keystores/debug-acme.keystore': pkcs12WithAlias('debugkey'),
      'app/debug.jks': jksWithAlias('androiddebugkey'),
      'keystores/release.keystore': pkcs12WithAlias('upload'),
      'app/debug-but-release.jks': jksWithAlias('release'),
      'app/mixed.keystore': Buffer.concat([pkcs12WithAlias('androiddebugkey'), pkcs12WithAlias('upload')]),
      'android/debug.keystore': jksWithAlias('debug-alias'),
      'app/debugger.jks': jksWithAlias('debugger'),
    });
    const debug = 'a debug signing key (alias androiddebugkey): it signs debug builds only';
    expect(judged(r, 'secret-private-key')).toEqual([
      [
        'android/debug.keystore',
        'low',
        'a debug signing key (alias debug-alias): it signs debug builds only',
      ],
      ['app/debug-but-release.jks', 'high', undefined],
      ['app/debug.jks', 'low', debug],
      ['app/debugger.jks', 'high', undefined],
      ['app/mixed.keystore', 'high', undefined],
      ['debug.keystore', 'low', debug],
      [
        'keystores/debug-acme.keystore',
        'low',
        'a debug signing key (alias debugkey): it signs debug builds only',
      ],
      ['keystores/release.keystore', 'high', undefined],
    ]);
  });
});

describe('debug APKs kept in the tree', () => {
  const manifest = encodeAxml({
    name: 'manifest',
    plain: { package: 'com.acme' },
    children: [{ name: 'application', android: { debuggable: true, allowBackup: false } }],
  });
  /** A v1 signature block: DER framing around the signer's distinguished name. */
  const signature = (cn: string) =>
    Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x00, 0x0c, cn.length]), Buffer.from(cn)]);
  const apk = (signer: string) =>
    Buffer.from(zipSync({ 'AndroidManifest.xml': manifest, 'META-INF/CERT.RSA': signature(signer) }));

  it('debuggable in a Gradle debug output or a debug-signed APK is lowered; in a release-named, release-signed APK it stays high', async () => {
    const r = await audit({
      'app/app-debug.apk': apk('Acme Release'),
      'app/build/outputs/apk/free/debug/app-free-debug.apk': apk('Acme Release'),
      'tools/exploit.apk': apk('Android Debug'),
      'app/app-release.apk': apk('Acme Release'),
      'app/debugger.apk': apk('Acme Release'),
    });
    expect(judged(r, 'android-debuggable')).toEqual([
      ['app/app-debug.apk!/AndroidManifest.xml', 'low', 'a debug build kept in the tree (app-debug.apk)'],
      ['app/app-release.apk!/AndroidManifest.xml', 'high', undefined],
      [
        'app/build/outputs/apk/free/debug/app-free-debug.apk!/AndroidManifest.xml',
        'low',
        'a debug build kept in the tree (app-free-debug.apk)',
      ],
      ['app/debugger.apk!/AndroidManifest.xml', 'high', undefined],
      [
        'tools/exploit.apk!/AndroidManifest.xml',
        'low',
        'a debug build (signed with the Android debug certificate, reported apart)',
      ],
    ]);
    expect(of(r, 'android-debug-signed').map((f) => f.file)).toEqual([
      'tools/exploit.apk!/META-INF/CERT.RSA',
    ]);
  });
});

describe('cleartext only to certificate revocation hosts', () => {
  it('a domain-config of CRL and OCSP hosts is lowered with its reason; one with an app host beside them stays high', async () => {
    const nsc = (domains: string[]) =>
      [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<network-security-config>',
        '  <base-config cleartextTrafficPermitted="false" />',
        '  <domain-config cleartextTrafficPermitted="true">',
        ...domains.map((d) => `    <domain includeSubdomains="true">${d}</domain>`),
        '  </domain-config>',
        '</network-security-config>',
        '',
      ].join('\n');
    const r = await audit({
      'app/src/main/res/xml/network_security_config.xml': nsc([
        'c.lencr.org',
        'o.pki.goog',
        'crls.certainly.com',
        'ocsp.sectigo.com',
        'crl3.digicert.com',
      ]),
      'app/src/beta/res/xml/network_security_config.xml': nsc(['ocsp.sectigo.com', 'api.acme-corp.io']),
      'lib/src/main/res/xml/network_security_config.xml': nsc([
        'ocsp-proxy.acme-corp.io',
        'lencr.org.acme.io',
      ]),
    });
    expect(judged(r, 'android-nsc-cleartext')).toEqual([
      ['app/src/beta/res/xml/network_security_config.xml', 'high', undefined],
      [
        'app/src/main/res/xml/network_security_config.xml',
        'low',
        'only certificate revocation hosts (CRL, OCSP), whose answers are signed',
      ],
      ['lib/src/main/res/xml/network_security_config.xml', 'high', undefined],
    ]);
  });
});

describe('test places not recognised before', () => {
  it('Maestro flows and Gradle test fixtures are set aside as tests; a .maestro-like name elsewhere is not', async () => {
    const value = "const password = 'Kx9vQ2mLp4Zt';\n";
    const r = await audit({
      '.maestro/scripts/data.js': value,
      'network/src/testFixtures/kotlin/com/acme/Keys.kt': value,
      'network/src/debugTestFixtures/kotlin/com/acme/Keys.kt': value,
      'app/maestro-client/data.js': value,
      'network/src/main/kotlin/com/acme/Keys.kt': value,
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['.maestro/scripts/data.js', 'low', 'test code, not shipped'],
      ['app/maestro-client/data.js', 'high', undefined],
      ['network/src/debugTestFixtures/kotlin/com/acme/Keys.kt', 'low', 'test code, not shipped'],
      ['network/src/main/kotlin/com/acme/Keys.kt', 'high', undefined],
      ['network/src/testFixtures/kotlin/com/acme/Keys.kt', 'low', 'test code, not shipped'],
    ]);
  });
});

describe('saved-state bundles are not preferences', () => {
  it('putString on a Bundle stays quiet; on SharedPreferences it is found', async () => {
    const r = await audit({
      'app/src/main/java/com/acme/LoginActivity.java': [
        'class LoginActivity extends Activity {',
        '  @Override',
        '  protected void onSaveInstanceState(Bundle outState) {',
        '    super.onSaveInstanceState(outState);',
        '    outState.putString("password", password);',
        '  }',
        '  static LoginFragment of(String token) {',
        '    Bundle b = new Bundle();',
        '    b.putString("auth_token", token);',
        '    return new LoginFragment(b);',
        '  }',
        '}',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/Session.kt': [
        'fun keep(state: Bundle, password: String) {',
        '    state.putString("password", password)',
        '    Bundle().putString("secret", password)',
        '}',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/Store.java': [
        'void save(String password) {',
        '  SharedPreferences.Editor editor = getSharedPreferences("login", MODE_PRIVATE).edit();',
        '  editor.putString("password", password);',
        '  editor.apply();',
        '}',
        '',
      ].join('\n'),
    });
    expect(places(r, 'storage-secret-in-preferences')).toEqual(['app/src/main/java/com/acme/Store.java:3']);
  });
});

describe('names and addresses under key-like names', () => {
  it('a stored key name, a localisation key and a key server URL stay quiet; key literals beside them are found', async () => {
    const r = await audit({
      'app/src/main/kotlin/com/acme/LegacyStorage.kt': [
        'private val prefsMasterKey = "SecureStorageKey"',
        'private val encryptionKey = "Zx81kQ0vLm2pW9rT"',
        '',
      ].join('\n'),
      'Sources/Shared/Strings.swift': [
        'func text(state: String) -> String {',
        '    let key = "state::default::\\(state)"',
        '    return key',
        '}',
        'let key = "a8Fk2mQ9zX1pL7wR"',
        '',
      ].join('\n'),
      'Sources/Exercises/KeyServerVC.swift': [
        'let cryptoKey = "http://localhost:8081/cryptoKey.php"',
        'let aesKey = "TopSecretAesKey!"',
        '',
      ].join('\n'),
    });
    expect(places(r, 'crypto-hardcoded-key')).toEqual([
      'Sources/Exercises/KeyServerVC.swift:2',
      'Sources/Shared/Strings.swift:5',
      'app/src/main/kotlin/com/acme/LegacyStorage.kt:2',
    ]);
  });
});

describe('signed public documents are not tokens', () => {
  const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const sig = 'kV3f9Qz1Lx8pTn2Rw7Ys4Hb6Jc0Ud5MeAb1Cd2Ef3Gh4';
  const jws = (alg: string, payload: object) => `${b64url({ alg, typ: 'JWT' })}.${b64url(payload)}.${sig}`;

  it('an RS256 JWS of configuration is lowered with its reason; a token with a subject or expiry, or HMAC-signed, stays high', async () => {
    const config = { timestamp: '2026-01-01T00:00:00Z', versions: [{ version: '6.3.1' }], messages: [] };
    const r = await audit({
      'app-supportedversions.json': `{ "signed": "${jws('RS256', config)}" }\n`,
      'src/session.json': `{ "token": "${jws('RS256', { ...config, sub: 'user-42', exp: 1900000000 })}" }\n`,
      'src/shared.json': `{ "config": "${jws('HS256', config)}" }\n`,
    });
    expect(judged(r, 'secret-jwt')).toEqual([
      [
        'app-supportedversions.json',
        'low',
        'a signed document, not a credential: public-key signature (the app verifies, it cannot sign) and no subject, audience, expiry or scope claim',
      ],
      ['src/session.json', 'high', undefined],
      ['src/shared.json', 'high', undefined],
    ]);
  });
});

describe('misses of training apps found one step back', () => {
  it('a secret logged or written to external storage through a local message, a static IV and a key by use, a scheme held in a variable', async () => {
    const r = await audit({
      'app/src/main/java/com/acme/LoggingActivity.kt': [
        'button.setOnClickListener {',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Kotlin string templates of a fixture
        '    val logMessage = "Username: ${username.text} and Password: ${password.text} are verified"',
        '    Log.i("Info:", logMessage)',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Kotlin string templates of a fixture
        '    val greeting = "Hello ${username.text}"',
        '    Log.i("Info:", greeting)',
        '}',
        '',
      ].join('\n'),
      'Sources/DeviceLogsVC.swift':
        'NSLog("pinNo: %@", pinTextField.text ?? "")\nNSLog("name: %@", nameTextField.text ?? "")\n',
      'app/src/main/java/com/acme/SdCardActivity.kt': [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Kotlin string templates of a fixture
        'val data = "Stored on ${Date()}: Username - ${username.text} Password - ${password.text}"',
        'val userinfo = File.createTempFile("users", "_tmp", getExternalFilesDir(null))',
        'val fw = FileWriter(userinfo)',
        'fw.write(data)',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Kotlin string templates of a fixture
        'val note = "Stored on ${Date()}"',
        'fw.write(note)',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/CryptoClass.java': [
        'class CryptoClass {',
        '  String key = "This is the super secret key 123";',
        '  String title = "This is the title of a page 1234";',
        '  byte[] ivBytes = {',
        '    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00',
        '  };',
        '  byte[] encrypt(byte[] text, byte[] freshIv) throws Exception {',
        '    byte[] keyBytes = key.getBytes("UTF-8");',
        '    Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");',
        '    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(keyBytes, "AES"), new IvParameterSpec(ivBytes));',
        '    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(keyBytes, "AES"), new IvParameterSpec(freshIv));',
        '    return c.doFinal(text);',
        '  }',
        '}',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/Messages.java': 'String key = "This is the key of a message 123";\n',
      'app/src/main/java/com/acme/DoLogin.java': [
        'String protocol = "http://";',
        'HttpPost post = new HttpPost(protocol + serverip + ":" + serverport + "/login");',
        'boolean plain = url.startsWith("http://");',
        '',
      ].join('\n'),
    });
    expect(places(r, 'storage-secret-in-log')).toEqual([
      'Sources/DeviceLogsVC.swift:1',
      'app/src/main/java/com/acme/LoggingActivity.kt:3',
    ]);
    expect(places(r, 'storage-secret-in-preferences')).toEqual([
      'app/src/main/java/com/acme/SdCardActivity.kt:4',
    ]);
    expect(places(r, 'crypto-hardcoded-key')).toEqual(['app/src/main/java/com/acme/CryptoClass.java:2']);
    expect(places(r, 'crypto-static-iv')).toEqual(['app/src/main/java/com/acme/CryptoClass.java:10']);
    expect(of(r, 'cleartext-http-url').map((f) => `${f.file}:${f.line}`)).toEqual([
      'app/src/main/java/com/acme/DoLogin.java:1',
    ]);
  });
});

describe('http URLs that are no request of the app', () => {
  it('in translations, licences, build and CI files and comments they are lowered with the reason; endpoints in code stay medium', async () => {
    const r = await audit({
      'ios/App/fr.lproj/Localizable.strings': '"help" = "Voir http://help.acme-corp.io/fr";\n',
      'LICENSE.txt': 'Apache License, see http://www.licence-texts.net/v2.html\n',
      'gradle.properties': 'systemProp.http.proxyHost=http://proxy.acme-corp.io\n',
      '.github/workflows/ci.yml': 'env:\n  MIRROR: http://mirror.acme-corp.io/repo\n',
      'app/build.gradle': 'repositories { maven { url "http://maven.acme-corp.io/releases" } }\n',
      'app/src/main/java/com/acme/Feeds.java': [
        '/**',
        ' * See http://www.feedspec-notes.net/rss-autodiscovery',
        ' * Replaces the feeds of http://old.acme-corp.io/v0',
        ' */',
        'class Feeds {',
        '  // from http://answers-forum.net/questions/7804335',
        '  String api = "http://api.acme-corp.io/v1/feeds"; // the legacy endpoint',
        '  String cdn = "//cdn.acme-corp.io"; String old = "http://old.acme-corp.io/v0";',
        '}',
        '',
      ].join('\n'),
      'app/src/main/res/xml/config.xml':
        '<config>\n  <!-- mirrors http://docs.acme-corp.io/config -->\n  <server url="http://sync.acme-corp.io/" />\n</config>\n',
    });
    expect(
      judged(r, 'cleartext-http-url')
        .map(([file, severity, reason]) => `${file} ${severity} ${reason ?? ''}`)
        .sort(),
    ).toEqual([
      '.github/workflows/ci.yml low build or CI configuration, not the app',
      'LICENSE.txt low a licence or notice file',
      'app/build.gradle medium ',
      'app/src/main/java/com/acme/Feeds.java low in a comment: a documentation link, not a request',
      'app/src/main/java/com/acme/Feeds.java low in a comment: a documentation link, not a request',
      'app/src/main/java/com/acme/Feeds.java medium ',
      'app/src/main/java/com/acme/Feeds.java medium ',
      'app/src/main/res/xml/config.xml low in a comment: a documentation link, not a request',
      'app/src/main/res/xml/config.xml medium ',
      'gradle.properties low build or CI configuration, not the app',
      'ios/App/fr.lproj/Localizable.strings low a translation file: text shown to the user, not a request',
    ]);
  });
});

describe('property lists', () => {
  it('a password under a plist key is found; names, build-setting references and short values there stay quiet', async () => {
    const plist = (body: string) =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n${body}</dict>\n</plist>\n`;
    const r = await audit({
      'App/Exercises/Credentials.plist': plist(
        '\t<key>User</key>\n\t<string>admin</string>\n\t<key>Password</key>\n\t<string>Secret@123</string>\n',
      ),
      'App/Info.plist': plist(
        [
          '\t<key>PasswordFieldIdentifier</key>\n\t<string>LoginPasswordField</string>\n',
          '\t<key>APIToken</key>\n\t<string>$(API_TOKEN)</string>\n',
          '\t<key>NSFaceIDUsageDescription</key>\n\t<string>Unlock your vault with Face ID</string>\n',
          '\t<key>pwd</key>\n\t<string>abc</string>\n',
        ].join(''),
      ),
    });
    expect(places(r, 'secret-generic-assignment')).toEqual(['App/Exercises/Credentials.plist:6']);
  });
});
