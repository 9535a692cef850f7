/**
 * False positives and misses measured on apps the rules had never been run on (the second part of
 * the corpus in bench/audit-corpus), each class reproduced by a small fixture written here, never
 * an app's own code: a false positive stays quiet or is lowered with its reason shown, a miss is
 * found, and a look-alike on the other side of the line keeps its verdict.
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
  root = await mkdtemp(join(tmpdir(), 'bulwark-audit-unseen-'));
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
const judged = (r: AuditReport, ruleId: string): [string, string, string | undefined][] =>
  of(r, ruleId)
    .map((f): [string, string, string | undefined] => [
      `${f.file}:${f.line ?? ''}`,
      f.severity,
      f.context?.reason,
    ])
    .sort((a, b) => a[0].localeCompare(b[0]));

describe('end-to-end test suites', () => {
  it('e2e/ and integration_test/ folders are set aside as tests; an e2ee/ folder of the app is not', async () => {
    const value = "const password = 'Kx9vQ2mLp4Zt';\n";
    const r = await audit({
      'detox/e2e/support/server_api/user.ts': value,
      'e2e/fixtures/users.js': value,
      'integration_test/login_test.js': value,
      'app/src/main/e2ee/keys.js': value,
      'app/src/main/e2e-config/keys.js': value,
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['app/src/main/e2e-config/keys.js:1', 'high', undefined],
      ['app/src/main/e2ee/keys.js:1', 'high', undefined],
      ['detox/e2e/support/server_api/user.ts:1', 'low', 'test code, not shipped'],
      ['e2e/fixtures/users.js:1', 'low', 'test code, not shipped'],
      ['integration_test/login_test.js:1', 'low', 'test code, not shipped'],
    ]);
  });
});

describe('flavours built for UI tests, and editor copies of documentation', () => {
  it('src/uiAutomation/, src/mock/ and src/<flavour>Mock/ are test places and a swap file of a README is documentation; src/main/ and a .swp of code are not', async () => {
    const cleartext = [
      '<?xml version="1.0" encoding="utf-8"?>',
      '<network-security-config><base-config cleartextTrafficPermitted="true" /></network-security-config>',
      '',
    ].join('\n');
    const jwt =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
    const r = await audit({
      'app/src/uiAutomation/res/xml/network_security_config.xml': cleartext,
      'app/src/mock/res/xml/network_security_config.xml': cleartext,
      'app/src/betaMock/res/xml/network_security_config.xml': cleartext,
      'app/src/main/res/xml/network_security_config.xml': cleartext,
      'server/.README.md.swp': `curl -H "Authorization: Bearer ${jwt}"\n`,
      'server/.session.js.swp': `const token = "${jwt}";\n`,
    });
    expect(
      judged(r, 'android-nsc-cleartext').map(([file, severity, reason]) => [
        file.split('/res/')[0],
        severity,
        reason,
      ]),
    ).toEqual([
      ['app/src/betaMock', 'low', 'test code, not shipped'],
      ['app/src/main', 'high', undefined],
      ['app/src/mock', 'low', 'test code, not shipped'],
      ['app/src/uiAutomation', 'low', 'test code, not shipped'],
    ]);
    expect(
      judged(r, 'secret-jwt').map(([file, severity, reason]) => [file.split(':')[0], severity, reason]),
    ).toEqual([
      ['server/.README.md.swp', 'low', 'documentation'],
      ['server/.session.js.swp', 'high', undefined],
    ]);
  });
});

describe('environment files that name no secret', () => {
  it('a .env of build switches and names is lowered with its reason; one with a secret-like name stays high', async () => {
    const r = await audit({
      'fastlane/.env.ios.beta': [
        '## You invoke this with --env ios.beta on the fastlane command',
        'APP_NAME="Acme Beta"',
        'MAIN_APP_IDENTIFIER=com.acme.beta',
        'export BETA_BUILD=true',
        'AWS_REGION=us-east-1',
        '',
      ].join('\n'),
      'www/.env': 'API_URL=https://api.acme.io\nSTRIPE_KEY=\n',
      'web/.env.production': 'API_URL=https://api.acme.io\nSESSION_SALT=abc\n',
      'empty/.env': '# nothing yet\n',
    });
    expect(judged(r, 'secret-dotenv-file')).toEqual([
      ['empty/.env:', 'low', 'no variable set in it'],
      [
        'fastlane/.env.ios.beta:',
        'low',
        'no variable in it is named as a secret (APP_NAME, MAIN_APP_IDENTIFIER, BETA_BUILD, …)',
      ],
      [
        'web/.env.production:',
        'medium',
        'no value shaped like a secret under the names that say secret (SESSION_SALT): empty, placeholders, references, URLs, file names or identifiers',
      ],
      [
        'www/.env:',
        'medium',
        'no value shaped like a secret under the names that say secret (STRIPE_KEY): empty, placeholders, references, URLs, file names or identifiers',
      ],
    ]);
  });

  it('a .env stays high only where a name that says secret holds a value that may be one', async () => {
    const clientSettings = [
      'API_BASE_URL=https://api.acme.io',
      "SENTRY_DSN='https://5b2c0e3f9a7d4e1b8c6a2f4d9e0b7c1a@o4501.ingest.sentry.io/4505'",
      'ADJUST_APP_TOKEN=qtn0x7k2m9ab',
      'IOS_KEYCHAIN_SERVICE_KEY="NOT USED"',
      'FIREBASE_API_PUBLIC_KEY=AIzaSyD3x9Kq2LmN8pQ4rS6tU1vW5yZ7aB0cDeF',
      'SUPABASE_ANON_KEY=eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJlc2lnbmF0dXJl',
      'SIGNING_KEY_PATH=keys/release.p8',
      "SUPPLY_JSON_KEY='fastlane/playStoreServiceAccount.json'",
      "IOS_KEYCHAIN_SERVICE_KEY_V2='rn_keychain_service_key_for_the_app'",
      'FIREBASE_AUTHDOMAIN=acme-app-production.firebaseapp.com',
      'COOKIES_POLICY_LINK=https://acme.io/cookies',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a reference to another variable, as dotenv-expand reads it
      'API_TOKEN=${CI_API_TOKEN}',
      'DB_PASSWORD=changeme',
      'STRIPE_SECRET_KEY=',
      '',
    ].join('\n');
    const r = await audit({
      'app/.env.integration': clientSettings,
      'app/.env.production': `${clientSettings}CONTENTFUL_ACCESS_TOKEN=Kx9vQ2mLp4ZtWq7Rb3Nc8VdYe\n`,
      'app/.env.staging': `${clientSettings}DB_PASSWORD=hunter22\n`,
      'app/.env.testing': `${clientSettings}DATABASE_URL=postgres://app:Kx9vQ2mLp4@db.acme.io/app\nDB_PASS_CRED=x\n`,
    });
    const dotenv = judged(r, 'secret-dotenv-file');
    expect(dotenv.map(([file, severity]) => [file, severity])).toEqual([
      ['app/.env.integration:', 'medium'],
      ['app/.env.production:', 'high'],
      ['app/.env.staging:', 'high'],
      ['app/.env.testing:', 'medium'],
    ]);
    const messages = r.findings.filter((f) => f.ruleId === 'secret-dotenv-file').map((f) => f.message);
    expect(messages.find((m) => m.startsWith('.env.production'))).toContain('CONTENTFUL_ACCESS_TOKEN');
    expect(messages.find((m) => m.startsWith('.env.staging'))).toContain('DB_PASSWORD');
    // Names, never values.
    expect(messages.join('\n')).not.toMatch(/hunter22|Kx9vQ2mLp4ZtWq7Rb3Nc8VdYe/);
  });
});

describe('keys their provider publishes to clients', () => {
  it('PostHog project keys, Stripe publishable keys and Mapbox public tokens stay quiet; the secret forms are found', async () => {
    const r = await audit({
      'app/src/main/kotlin/com/acme/Analytics.kt': [
        'val release = PosthogConfig(',
        '    apiKey = "phc_Jx8Kq2Lm9Np3Rt7Vw1Yz4Ab6Cd",',
        ')',
        'val stripeKey = "pk_live_51Hx8Kq2Lm9Np3Rt7Vw1Yz4Ab6Cd"',
        'val mapboxToken = "pk.eyJ1IjoiYWNtZSIsImEiOiJjazl4OHEyIn0.Jx8Kq2Lm9Np3"',
        'val adminKey = PosthogConfig(apiKey = "phx_Jx8Kq2Lm9Np3Rt7Vw1Yz4Ab6Cd")',
        'val mapboxSecret = "sk.eyJ1IjoiYWNtZSIsImEiOiJjazl4OHEyIn0.Jx8Kq2Lm9Np3"',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['app/src/main/kotlin/com/acme/Analytics.kt:6', 'high', undefined],
      ['app/src/main/kotlin/com/acme/Analytics.kt:7', 'high', undefined],
    ]);
  });
});

describe('a secret set in a plist dictionary by a call', () => {
  it('setValue/setObject forKey "password" in a file that writes plists is found; other keys, files that write no plist and defaults stay quiet', async () => {
    const r = await audit({
      'Sources/PListViewController.swift': [
        'func save() {',
        '    let data = NSMutableDictionary()',
        '    guard let password = passwordTextField.text else { return }',
        '    data.setValue(username, forKey: "username")',
        '    data.setValue(password, forKey: "password")',
        '    data.write(toFile: dataFilePath(), atomically: true)',
        '}',
        '',
      ].join('\n'),
      'Sources/Legacy/Store.m': [
        '- (void)save {',
        '    NSMutableDictionary *dict = [NSMutableDictionary dictionary];',
        '    [dict setObject:self.pinField.text forKey:@"pin"];',
        '    [dict writeToFile:[self path] atomically:YES];',
        '}',
        '',
      ].join('\n'),
      'Sources/Form.swift': [
        'let form = NSMutableDictionary()',
        'form.setValue(password, forKey: "password")',
        'api.post(form)',
        '',
      ].join('\n'),
      'Sources/Settings.swift': [
        'defaults?.setValue(password, forKey: "password")',
        'let hashed = NSMutableDictionary()',
        'hashed.setValue(hashOf(password), forKey: "password")',
        'try data.write(to: url)',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'storage-secret-in-preferences')).toEqual([
      ['Sources/Legacy/Store.m:3', 'high', undefined],
      ['Sources/PListViewController.swift:5', 'high', undefined],
    ]);
  });
});

describe('what the user typed, logged under a secret label', () => {
  it('a card number or PIN typed into a neutrally named field and logged is found; a search term is not', async () => {
    const r = await audit({
      'app/src/main/java/com/acme/LogActivity.java': [
        'class LogActivity extends Activity {',
        '  void checkout(View v) {',
        '    EditText cctxt = (EditText) findViewById(R.id.ccText);',
        '    Log.e("acme-log", "Error while processing transaction with credit card: " + cctxt.getText().toString());',
        '    Log.d("acme-log", "Searching for: " + query.getText().toString());',
        '  }',
        '}',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/Unlock.kt': [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Kotlin string templates of a fixture
        'Log.i("Unlock", "PIN entered: ${code.text}")',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Kotlin string templates of a fixture
        'Log.i("Unlock", "Pinned tab: ${tab.text}")',
        '',
      ].join('\n'),
      'Sources/Checkout.swift':
        'print("card number \\(numberField.text ?? "")")\nprint("city \\(cityField.text ?? "")")\n',
    });
    expect(judged(r, 'storage-secret-in-log')).toEqual([
      ['app/src/main/java/com/acme/LogActivity.java:4', 'medium', undefined],
      ['app/src/main/java/com/acme/Unlock.kt:1', 'medium', undefined],
      ['Sources/Checkout.swift:1', 'medium', undefined],
    ]);
  });
});

describe('secrets stored in clear in local databases and files of the app', () => {
  it('SQLite rows, ContentValues, Realm and Core Data objects, Couchbase documents, Yap collections and temporary files holding a password are found; hashed values, other columns and plain objects stay quiet', async () => {
    const r = await audit({
      'app/src/main/java/com/acme/SqlStore.java': [
        'class SqlStore {',
        '  void save(SQLiteDatabase db) {',
        '    db.execSQL("CREATE TABLE IF NOT EXISTS users(user VARCHAR, password VARCHAR);");',
        `    db.execSQL("INSERT INTO users VALUES ('" + usr.getText().toString() + "', '" + pwd.getText().toString() + "');");`,
        `    db.execSQL("INSERT INTO notes VALUES ('" + title.getText().toString() + "');");`,
        `    db.execSQL("INSERT INTO users VALUES ('" + usr + "', '" + hashOf(pwd) + "');");`,
        '  }',
        '}',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/AccountDao.kt': [
        'fun save(db: SQLiteDatabase, account: Account) {',
        '    val values = ContentValues()',
        '    values.put("user", account.user)',
        '    values.put("password", account.password)',
        '    values.put("pin", sha256(account.pin))',
        '    db.insert("accounts", null, values)',
        '}',
        '',
      ].join('\n'),
      'Sources/RealmStore.swift': [
        'import RealmSwift',
        'func save() {',
        '    let realm = try! Realm()',
        '    let user = RealmUser()',
        '    user.name = nameTextField.text',
        '    user.password = passwordTextField.text',
        '    self.password = passwordTextField.text',
        '    try! realm.write { realm.add(user) }',
        '}',
        '',
      ].join('\n'),
      'Sources/CoreDataStore.swift': [
        'let newUser = NSEntityDescription.insertNewObject(forEntityName: "User", into: context) as? User',
        'newUser?.password = passwordTextField.text',
        'try context.save()',
        '',
      ].join('\n'),
      'Sources/CouchStore.swift': [
        'let properties: [String: Any] = ["username": username, "password": password]',
        'let doc = database.createDocument()',
        'try doc.putProperties(properties)',
        '',
      ].join('\n'),
      'Sources/YapStore.swift': [
        'connection.readWrite { transaction in',
        '    transaction.setObject(username, forKey: "Username", inCollection: "app")',
        '    transaction.setObject(password, forKey: "Password", inCollection: "app")',
        '}',
        '',
      ].join('\n'),
      'Sources/Form.swift': 'form.password = passwordTextField.text\napi.send(form)\n',
      'app/src/main/java/com/acme/SecretProvider.kt': [
        'val encryptedFile = EncryptedFile(context, file)',
        'val secret = generateSecret()',
        'encryptedFile.openFileOutput().use { it.write(secret) }',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/TempStore.java': [
        'File uinfo = File.createTempFile("uinfo", "tmp", dir);',
        'FileWriter fw = new FileWriter(uinfo);',
        'fw.write(usr.getText().toString() + ":" + pwd.getText().toString() + "\\n");',
        'fw.write(note);',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'storage-secret-in-preferences')).toEqual([
      ['app/src/main/java/com/acme/AccountDao.kt:4', 'high', undefined],
      ['app/src/main/java/com/acme/SqlStore.java:4', 'high', undefined],
      ['app/src/main/java/com/acme/TempStore.java:3', 'high', undefined],
      ['Sources/CoreDataStore.swift:2', 'high', undefined],
      ['Sources/CouchStore.swift:1', 'high', undefined],
      ['Sources/RealmStore.swift:6', 'high', undefined],
      ['Sources/YapStore.swift:3', 'high', undefined],
    ]);
  });
});

describe('secrets compared or used as keys, written in the code', () => {
  it('a credentials map, an XOR key, a JNI macro compared with a Java string and a typed value compared with a literal naming a secret are found; look-alikes stay quiet', async () => {
    const r = await audit({
      'app/src/main/java/com/acme/Util.kt': [
        'private fun getUserCreds(): HashMap<String, String> {',
        '    val userCreds = HashMap<String, String>()',
        '    userCreds["shopuser"] = "!ns3csh0p"',
        '    userCreds["server"] = "https://shop.acme.io"',
        '    headers["Accept"] = "application/json"',
        '    return userCreds',
        '}',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/EncryptDecrypt.java': [
        'class EncryptDecrypt {',
        '  static public String secret = "amazing";',
        '  static String encrypt(String input, String other) {',
        '    StringBuilder out = new StringBuilder();',
        '    for (int i = 0; i < input.length(); i++) {',
        '      out.append((char) (input.charAt(i) ^ secret.charAt(i % secret.length())));',
        '      out.append((char) (input.charAt(i) ^ other.charAt(i % other.length())));',
        '    }',
        '    return out.toString();',
        '  }',
        '}',
        '',
      ].join('\n'),
      'app/src/main/jni/acmejni.c': [
        '#include <jni.h>',
        '#define VENDORKEY   "olsd;fgalh"',
        '#define CODE        ".dotdot"',
        '#define LOG_TAG     "acme"',
        'JNIEXPORT jint JNICALL Java_com_acme_Jni_access(JNIEnv * env, jobject o, jstring jkey) {',
        '    const char * key = (*env)->GetStringUTFChars(env, jkey, 0);',
        '    if (strncmp(code, CODE, sizeof(CODE)) == 0) return 2;',
        '    return ((strncmp(VENDORKEY, key, strlen(VENDORKEY))) ? 0 : 1);',
        '}',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/HardcodeActivity.java': [
        'EditText hckey = (EditText) findViewById(R.id.hcKey);',
        'if (hckey.getText().toString().equals("vendorsecretkey")) { grant(); }',
        'if (toggle.getText().toString().equals("Start")) { start(); }',
        'if (label.getText().toString().equals("Unlimited")) { show(); }',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['app/src/main/java/com/acme/Util.kt:3', 'high', undefined],
    ]);
    expect(judged(r, 'crypto-hardcoded-key')).toEqual([
      ['app/src/main/java/com/acme/EncryptDecrypt.java:6', 'high', undefined],
    ]);
    expect(judged(r, 'secret-hardcoded-comparison')).toEqual([
      ['app/src/main/java/com/acme/HardcodeActivity.java:2', 'high', undefined],
      ['app/src/main/jni/acmejni.c:2', 'high', undefined],
      ['app/src/main/jni/acmejni.c:3', 'medium', undefined],
    ]);
  });
});

describe('values built at run time, names about keys, placeholder URLs, hand-written HMACs, test-support modules', () => {
  it('each is quiet or lowered with its reason; the literal secret, key, URL password, plain MD5 of a password and app module beside them are found', async () => {
    const r = await audit({
      'internal/src/main/java/com/acme/SampleLogins.kt': [
        'sampleCredentials(domain = "fill.dev", username = "alice-$timestamp", password = "alice-$timestamp")',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Kotlin string templates of a fixture
        'sampleCredentials(domain = "fill.dev", username = "bob", password = "P${randomId}!Test1234")',
        'sampleCredentials(domain = "fill.dev", username = "carol", password = "Kx9vQ2mLp4Zt")',
        '',
      ].join('\n'),
      'src/api/users.ts': [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a JavaScript template literal of a fixture
        'const user = { password: `P${randomId}!Test1234` };',
        "const admin = { password: 'P4ssw0rd!Test1234' };",
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/IdentityWriter.kt': [
        'val key = "$accountUuid.$identityKey.$index"',
        'internal const val HKDF_INFO_MAIN_ENCRYPTION_KEY = "Main Key"',
        'internal const val MAIN_ENCRYPTION_KEY = "v8Kq2Lm9Np3Rt7Vw"',
        'fun mainKey() = SecretKeySpec(MAIN_ENCRYPTION_KEY.toByteArray(), "AES")',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/StoreUriDecoder.java': [
        '/**',
        ' * imap://auth:user:password@server:port ConnectionSecurity.NONE',
        ' */',
        'String legacy = "imap://auth:alice:Kx9vQ2mLp4Zt@mail.acme.io:993";',
        '',
      ].join('\n'),
      'mail/common/src/main/java/com/acme/Authentication.java': [
        'byte[] cramMd5(String password, byte[] nonce) throws Exception {',
        '  byte[] secretBytes = password.getBytes();',
        '  MessageDigest md = MessageDigest.getInstance("MD5");',
        '  byte[] ipad = new byte[64];',
        '  byte[] opad = new byte[64];',
        '  for (int i = 0; i < 64; i++) { ipad[i] ^= 0x36; opad[i] ^= 0x5c; }',
        '  md.update(ipad); md.update(nonce);',
        '  return md.digest();',
        '}',
        '',
      ].join('\n'),
      'mail/pop3/src/main/java/com/acme/Pop3Connection.java': [
        'MessageDigest md = MessageDigest.getInstance("MD5");',
        'byte[] digest = md.digest((timestamp + settings.getPassword()).getBytes());',
        '',
      ].join('\n'),
      'mail/testing/src/main/java/com/acme/testing/Servers.java': 'String password = "Kx9vQ2mLp4Zt";\n',
      'app/src/main/java/com/acme/testing/AbTesting.java': 'String password = "Kx9vQ2mLp4Zt";\n',
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['app/src/main/java/com/acme/testing/AbTesting.java:1', 'high', undefined],
      ['internal/src/main/java/com/acme/SampleLogins.kt:3', 'high', undefined],
      ['mail/testing/src/main/java/com/acme/testing/Servers.java:1', 'low', 'test code, not shipped'],
      ['src/api/users.ts:2', 'high', undefined],
    ]);
    expect(judged(r, 'crypto-hardcoded-key')).toEqual([
      ['app/src/main/java/com/acme/IdentityWriter.kt:3', 'high', undefined],
    ]);
    expect(judged(r, 'secret-url-credentials')).toEqual([
      ['app/src/main/java/com/acme/StoreUriDecoder.java:4', 'high', undefined],
    ]);
    expect(judged(r, 'crypto-weak-hash')).toEqual([
      [
        'mail/common/src/main/java/com/acme/Authentication.java:3',
        'low',
        'a hand-written HMAC (RFC 2104 ipad/opad)',
      ],
      ['mail/pop3/src/main/java/com/acme/Pop3Connection.java:1', 'high', undefined],
    ]);
  });
});

describe('a twelfth held-out set: onion services, app objects named localStorage, licence headers, translated strings', () => {
  it('an object of the app named localStorage in Kotlin, and names about crypto tokens, are no Web Storage of a token; a token in Web Storage still is', async () => {
    const r = await audit({
      'app/src/main/java/com/acme/wallet/SwapViewModel.kt': [
        'fun onPicked(id: String) {',
        '    localStorage.swapRecentTokenQueryIds = listOf(id)',
        '    localStorage.authToken = token',
        '}',
        '',
      ].join('\n'),
      'src/wallet/recent.ts': [
        "await AsyncStorage.setItem('recentTokenIds', JSON.stringify(ids));",
        "localStorage.setItem('tokenListVisible', 'true');",
        "localStorage.setItem('sessionId', session.id);",
        "localStorage.setItem('access_token', token);",
        '',
      ].join('\n'),
    });
    expect(judged(r, 'storage-token-in-web-storage').map(([f, s]) => [f, s])).toEqual([
      ['src/wallet/recent.ts:3', 'high'],
      ['src/wallet/recent.ts:4', 'high'],
    ]);
  });

  it('an http URL in a block comment whose lines carry no leading star is a documentation link; after the comment ends, or after "image/*" in code, it is not', async () => {
    const r = await audit({
      'app/src/main/cpp/lzo/lzo1x.c': [
        '/* lzo1x.c -- LZO1X compression',
        '',
        '   Markus F.X.J. Oberhumer',
        '   http://www.oberhumer.com/opensource/lzo/',
        ' */',
        '',
        'static const char *UPDATE = "http://updates.acme-corp.io/lzo";',
        '',
      ].join('\n'),
      'src/upload.js': [
        "const accept = 'image/*';",
        "const url = 'http://upload.acme-corp.io/v1';",
        "const any = '*/*'; const also = 'http://files.acme-corp.io/v1';",
        '',
      ].join('\n'),
    });
    expect(
      judged(r, 'cleartext-http-url').map(([f, s, why]) => [f, s, why === undefined ? undefined : 'lowered']),
    ).toEqual([
      ['app/src/main/cpp/lzo/lzo1x.c:4', 'low', 'lowered'],
      ['app/src/main/cpp/lzo/lzo1x.c:7', 'medium', undefined],
      ['src/upload.js:2', 'medium', undefined],
      ['src/upload.js:3', 'medium', undefined],
    ]);
  });

  it('an http URL in an XML comment over several lines, or in a copyright file, is a licence link; after the comment closes, or after "<!--" in code, it is not', async () => {
    const header = [
      '<!--',
      '    ~ The contents of this file are subject to the OpenMRS Public License',
      '    ~ Version 1.0 (the "License"); you may obtain a copy of the License at',
      '    ~ http://license.acme-health.org',
      '    -->',
    ];
    const r = await audit({
      'app/src/main/res/layout/toast.xml': [
        '<?xml version="1.0" encoding="utf-8"?>',
        ...header,
        '<TextView android:text="http://help.acme-health.org/toast"/>',
        '',
      ].join('\n'),
      'copyright/copyright': [
        'You may obtain a copy of the License at',
        'http://license.acme-health.org',
        '',
      ].join('\n'),
      'src/page.js': ["const open = '<!--';", "const endpoint = 'http://api.acme-health.org/v1';", ''].join(
        '\n',
      ),
      'assets/licenses/GLYPHICONS_LICENCE': 'Glyphicons Halflings, http://glyphicons.com/\n',
      'assets/licenses/LICENCES': 'Photo by http://www.flickr.com/photos/acme/1/\n',
      'src/net/LicenseClient.kt': 'val server = "http://licensing.acme-health.org/check"\n',
    });
    expect(
      judged(r, 'cleartext-http-url').map(([f, s, why]) => [f, s, why === undefined ? undefined : 'lowered']),
    ).toEqual([
      ['app/src/main/res/layout/toast.xml:5', 'low', 'lowered'],
      ['app/src/main/res/layout/toast.xml:7', 'medium', undefined],
      ['assets/licenses/GLYPHICONS_LICENCE:1', 'low', 'lowered'],
      ['assets/licenses/LICENCES:1', 'low', 'lowered'],
      ['copyright/copyright:2', 'low', 'lowered'],
      ['src/net/LicenseClient.kt:1', 'medium', undefined],
      ['src/page.js:2', 'medium', undefined],
    ]);
  });

  it('an IV array filled before use (read back from the stream, got from a buffer, copied out of the message) is no constant; one never filled is', async () => {
    const r = await audit({
      'vault/src/main/java/com/acme/vault/CipherStreams.java': [
        'class CipherStreams {',
        '  static IvParameterSpec readIV(int size, InputStream is) throws IOException {',
        '    final byte[] iv = new byte[size];',
        '    int offset = 0;',
        '    while (offset < size) offset += is.read(iv, offset, size - offset);',
        '    return new IvParameterSpec(iv);',
        '  }',
        '}',
        '',
      ].join('\n'),
      'vault/src/main/java/com/acme/vault/Envelope.kt': [
        'fun open(message: ByteArray): Cipher {',
        '  val nonce = ByteArray(16)',
        '  message.copyInto(nonce, 0, 0, 16)',
        '  return Cipher.getInstance("AES/CBC/PKCS5Padding").apply { init(DECRYPT_MODE, key, IvParameterSpec(nonce)) }',
        '}',
        '',
      ].join('\n'),
      'vault/src/main/java/com/acme/vault/Frames.java': [
        'class Frames {',
        '  IvParameterSpec fromFrame(byte[] frame) {',
        '    byte[] salt = new byte[16];',
        '    System.arraycopy(frame, 0, salt, 0, 16);',
        '    return new IvParameterSpec(salt);',
        '  }',
        '}',
        '',
      ].join('\n'),
      'vault/src/main/java/com/acme/vault/Legacy.java': [
        'class Legacy {',
        '  IvParameterSpec spec() {',
        '    byte[] zero = new byte[16];',
        '    return new IvParameterSpec(zero);',
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    expect(of(r, 'crypto-static-iv').map((f) => `${f.file}:${f.line}`)).toEqual([
      'vault/src/main/java/com/acme/vault/Legacy.java:4',
    ]);
  });

  it('namespaces in XML written inside a string, in @Namespace(reference = …) and of XMP are names; an endpoint beside them is not', async () => {
    const r = await audit({
      'Sources/Nextcloud/Constants.swift': [
        'static let body = """',
        '  <d:propfind xmlns:d=\\"DAV:\\" xmlns:oc=\\"http://owncloud.acme-corp.io/ns\\">',
        '"""',
        'static let server = "http://dav.acme-corp.io/remote.php"',
        '',
      ].join('\n'),
      'src/main/java/com/acme/entity/Response.java': [
        '@Namespace(reference = "http://openrosa.acme-corp.io/http/response")',
        'public class Response {}',
        '@Namespace(prefix = "orx", reference = "http://openrosa.acme-corp.io/xforms")',
        'public class Forms {}',
        '',
      ].join('\n'),
      'src/main/java/com/acme/c2pa/Manifest.kt': [
        'put("exifEX", "http://cipa.jp/exif/1.0/")',
        'put("Iptc4xmpCore", "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/")',
        'put("DigitalSourceType", "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture")',
        'val upload = "http://c2pa.acme-corp.io/sign"',
        '',
      ].join('\n'),
    });
    expect(of(r, 'cleartext-http-url').map((f) => `${f.file}:${f.line}`)).toEqual([
      'Sources/Nextcloud/Constants.swift:4',
      'src/main/java/com/acme/c2pa/Manifest.kt:4',
    ]);
  });

  it('Go, Dart and Python test files, a Gradle debug signing config and onion services lower what they hold; a release signing config and https-less hosts beside them do not', async () => {
    const r = await audit({
      'libwallet/transaction_test.go': 'paymentSecretHex := "9f3a1c7e5b2d8f4a6c0e1b3d5f7a9c2e4b6d8f0a"\n',
      'libwallet/transaction.go': 'const serviceSecret = "9f3a1c7e5b2d8f4a6c0e1b3d5f7a9c2e4b6d8f0a"\n',
      'lib/smoke_test.dart': "const apiToken = 'Zq8vN3kLx7Rt2Wm9Yp4Bc6Df1Gh5Jk0';\n",
      'scripts/test_client.py': 'API_SECRET = "Zq8vN3kLx7Rt2Wm9Yp4Bc6Df1Gh5Jk0"\n',
      'app/build.gradle.kts': [
        'android {',
        '    signingConfigs {',
        '        getByName("debug") {',
        '            storeFile = file("../debug.jks")',
        '            storePassword = "IVY7834!DEbug"',
        '            keyPassword = "IVY7834!DEbug"',
        '        }',
        '        create("release") {',
        '            storeFile = file("../sign.jks")',
        '            storePassword = "Rel3ase!Kx9vQ2mLp4Zt"',
        '        }',
        '    }',
        '    buildTypes {',
        '        debug {',
        '            val apiSecret = "Zq8vN3kLx7Rt2Wm9Yp4Bc6Df1Gh5Jk0"',
        '        }',
        '    }',
        '}',
        '',
      ].join('\n'),
      'data/src/commonMain/kotlin/com/acme/Backends.kt': [
        'val torBackend = "http://mrrxtq6tjpbnbm7vh5jt6mpjctn7ggyfy5wegvbeff3x7jrznqawlmid.onion/"',
        'val plainBackend = "http://backend.acme-corp.io/"',
        '',
      ].join('\n'),
    });
    const shown = (ruleId: string) =>
      judged(r, ruleId).map(([f, s, why]) => [f, s, why === undefined ? undefined : why.split(':')[0]]);
    expect(shown('secret-generic-assignment')).toEqual([
      ['app/build.gradle.kts:10', 'high', undefined],
      ['app/build.gradle.kts:15', 'high', undefined],
      ['app/build.gradle.kts:5', 'low', 'the debug signing config (Gradle signingConfigs.debug)'],
      ['app/build.gradle.kts:6', 'low', 'the debug signing config (Gradle signingConfigs.debug)'],
      ['lib/smoke_test.dart:1', 'low', 'a smoke test or self-test (sample inputs)'],
      ['libwallet/transaction_test.go:1', 'low', 'test code, not shipped'],
      ['libwallet/transaction.go:1', 'high', undefined],
      ['scripts/test_client.py:1', 'low', 'test code, not shipped'],
    ]);
    expect(shown('cleartext-http-url')).toEqual([
      ['data/src/commonMain/kotlin/com/acme/Backends.kt:1', 'low', 'a Tor onion service'],
      ['data/src/commonMain/kotlin/com/acme/Backends.kt:2', 'medium', undefined],
    ]);
  });

  it('a secret whose comment says it is not secret is medium with that reason; one without such a comment, or far below it, stays high', async () => {
    const r = await audit({
      'server_manager/electron/gcp_oauth.ts': [
        '// Note: For native apps, the "client secret" is not actually a secret.',
        '// See https://developers.google.com/identity/protocols/oauth2/native-app.',
        '',
        'const OAUTH_CONFIG = {',
        "  project_id: 'manager-oauth',",
        "  client_id: '946220775492-a5v6bsdin6o7ncnqn34snuatmrp7dqh0.apps.googleusercontent.com',",
        "  client_secret: 'lQT4Qx9b3CaSHDcnuYFgyYVE',",
        '};',
        '',
      ].join('\n'),
      'src/config/keys.ts': [
        '// Do not commit secrets here: they are read from the environment.',
        "export const clientSecret = 'lQT4Qx9b3CaSHDcnuYFgyYVE';",
        '',
      ].join('\n'),
      'src/config/far.ts': [
        '// The public key below is not a secret.',
        ...Array.from({ length: 12 }, (_, i) => `export const line${i} = ${i};`),
        "export const apiSecret = 'Zq8vN3kLx7Rt2Wm9Yp4Bc6Df1Gh5Jk0';",
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['server_manager/electron/gcp_oauth.ts:7', 'medium'],
      ['src/config/far.ts:14', 'high'],
      ['src/config/keys.ts:2', 'high'],
    ]);
    expect(
      of(r, 'secret-generic-assignment').find((f) => f.file.endsWith('gcp_oauth.ts'))?.message,
    ).toContain('a comment beside it says the value is not secret');
  });

  it("a build tool's @secret:NAME@ token and a key whose value calls itself public are no secrets; a literal beside them is", async () => {
    const r = await audit({
      '.onedev-buildspec.yml': [
        'jobs:',
        '- name: release',
        '  envVars:',
        '  - name: BLOKADA_KEYSTORE_PWD',
        "    value: '@secret:BLOKADA_KEYSTORE_PWD@'",
        '',
      ].join('\n'),
      'ci/release.yml': ['env:', "  value: '@secret:BLOKADA_KEYSTORE_PWD@'", ''].join('\n'),
      'lib/payment/adapty_key.dart': [
        'class AdaptyApiKey {',
        '  String get() {',
        '    var apiKey = "public_live_jIrWAAbd.q43qsMhj7rTLOpF3zGBd";',
        '    var privateKey = "live_8Jq2LmN4xV7bT1cR9wY3zK6pQ5";',
        '    return apiKey;',
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['lib/payment/adapty_key.dart:4', 'high'],
    ]);
  });

  it("XMPP's namespaces (jabber.org/protocol/…, jabber.org/features/…, etherx.jabber.org) are names; another jabber.org page is not", async () => {
    const r = await audit({
      'Monal/Classes/MLXMPPConnection.m': [
        '[query addChildNode:[[MLXMLNode alloc] initWithElement:@"query" andNamespace:@"http://jabber.org/protocol/disco#info"]];',
        'NSString* caps = @"http://jabber.org/protocol/caps";',
        'NSString* sm = @"http://jabber.org/features/iq-register";',
        'NSString* stream = @"http://etherx.jabber.org/streams";',
        'NSString* help = @"http://jabber.org/faq.html";',
        '',
      ].join('\n'),
    });
    expect(of(r, 'cleartext-http-url').map((f) => `${f.file}:${f.line}`)).toEqual([
      'Monal/Classes/MLXMPPConnection.m:5',
    ]);
  });

  it('a key that opens with its kind (secret_live_…) is a key; names of words with a digit or two are names', async () => {
    const r = await audit({
      'lib/billing/keys.dart': [
        "const secretKey = 'secret_live_8Jq2LmN4xV7bT1cR9wY3zK6p';",
        "const savedPasswordPref = 'rl_go_e2e_save_password';",
        "const passwordView = 'E2ESaveYourPasswordView';",
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['lib/billing/keys.dart:1', 'high'],
    ]);
  });

  it("an SVG image's metadata and RDF resources are names; a URL in the image's own attributes is not", async () => {
    const r = await audit({
      'artwork/logo.svg': [
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
        '  <metadata>',
        '    <rdf:RDF><cc:Work rdf:about="">',
        '      <cc:license rdf:resource="http://creativecommons.org/publicdomain/zero/1.0/" />',
        '      <dc:source>http://logos.acme-transit.io/source</dc:source>',
        '    </cc:Work></rdf:RDF>',
        '  </metadata>',
        '  <image href="http://cdn.acme-transit.io/tile.png" />',
        '</svg>',
        '',
      ].join('\n'),
      'res/rdf.xml': '<cc:permits rdf:resource="http://web.resource.org/cc/Reproduction"/>\n',
    });
    expect(
      judged(r, 'cleartext-http-url').map(([f, s, why]) => [f, s, why === undefined ? undefined : 'lowered']),
    ).toEqual([
      ['artwork/logo.svg:5', 'low', 'lowered'],
      ['artwork/logo.svg:8', 'medium', undefined],
    ]);
  });

  it('.NET test projects (Stratum.Test/, App.UnitTests/) hold test code; a project whose name only contains Test does not', async () => {
    const secret = '{\n  "info": {\n    "secret": "KQ4MZT2VXNP7LRW6HCY3DBEJ5GUASFO2"\n  }\n}\n';
    const r = await audit({
      'Stratum.Test/data/aegis.unencrypted.json': secret,
      'AuthenticatorPro.UnitTests/data/export.json': secret,
      'Stratum.Core/data/defaults.json': secret,
      'TestFlight.Upload/data/config.json': secret,
    });
    expect(
      judged(r, 'secret-generic-assignment').map(([f, s, why]) => [
        f,
        s,
        why === undefined ? undefined : 'lowered',
      ]),
    ).toEqual([
      ['AuthenticatorPro.UnitTests/data/export.json:3', 'low', 'lowered'],
      ['Stratum.Core/data/defaults.json:3', 'high', undefined],
      ['Stratum.Test/data/aegis.unencrypted.json:3', 'low', 'lowered'],
      ['TestFlight.Upload/data/config.json:3', 'high', undefined],
    ]);
  });

  it('strings in a localization folder are words shown to the user, whatever their key', async () => {
    const strings = '{ "es": { "password": "Contraseña", "repeat_password": "Repetir contraseña1" } }\n';
    const r = await audit({
      'src/localization/authStrings.json': strings,
      'src/config/authStrings.json': strings,
    });
    expect(of(r, 'secret-generic-assignment').map((f) => f.file)).toEqual(['src/config/authStrings.json']);
  });

  it('SQL with a value spliced between quotes is found: high in a Cordova, Capacitor or React Native plugin, medium elsewhere, low in a migration; bound arguments, constants and unquoted names are not', async () => {
    const r = await audit({
      'plugins/notes/src/android/NotesPlugin.java': [
        'public class NotesPlugin extends CordovaPlugin {',
        '  private void create(CordovaArgs args) throws JSONException {',
        '    String title = args.getJSONObject(0).getString("title");',
        `    db.execSQL("INSERT INTO notes (title) VALUES('" + title + "');");`,
        '  }',
        '}',
        '',
      ].join('\n'),
      'android/src/main/java/com/acme/NotesModule.kt': [
        'class NotesModule : ReactContextBaseJavaModule() {',
        '  @ReactMethod',
        '  fun find(name: String) {',
        `    db.rawQuery("SELECT * FROM notes WHERE name = '$name'", null)`,
        '  }',
        '}',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/Search.java': [
        'class Search {',
        '  Cursor find(String q) {',
        `    return db.rawQuery("SELECT * FROM notes WHERE title = '" + q.trim() + "'", null);`,
        '  }',
        '  Cursor bound(String q) {',
        '    return db.rawQuery("SELECT * FROM notes WHERE title = ?", new String[] { q });',
        '  }',
        '  void table() {',
        '    db.execSQL("DELETE FROM " + TABLE_NAME + " WHERE id = " + id);',
        `    db.execSQL("UPDATE notes SET state = '" + Notes.STATE_DONE + "'");`,
        '  }',
        '}',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/db/Migrations.kt': [
        'val MIGRATION_3_4 = object : Migration(3, 4) {',
        '  override fun migrate(db: SupportSQLiteDatabase) {',
        `    db.execSQL("UPDATE settings SET lang = '" + defaultLang + "'")`,
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'code-sql-injection')).toEqual([
      ['android/src/main/java/com/acme/NotesModule.kt:4', 'high', undefined],
      [
        'app/src/main/java/com/acme/db/Migrations.kt:3',
        'low',
        "a database migration: what it splices comes from the app's own database",
      ],
      ['app/src/main/java/com/acme/Search.java:3', 'medium', undefined],
      ['plugins/notes/src/android/NotesPlugin.java:4', 'high', undefined],
    ]);
  });

  it('a key store named as one for tests is lowered with its reason; one whose name only holds the letters is not', async () => {
    const r = await audit({
      '.github/actions/deploy/release_test.keystore': jks(['key']),
      'ci/signing/TestKey.p12': jks(['key']),
      'keys/latest.jks': jks(['key']),
      'keys/contest-release.keystore': jks(['key']),
    });
    expect(judged(r, 'secret-private-key')).toEqual([
      [
        '.github/actions/deploy/release_test.keystore:',
        'low',
        'a key store named as one for tests (release_test.keystore)',
      ],
      ['ci/signing/TestKey.p12:', 'low', 'a key store named as one for tests (TestKey.p12)'],
      ['keys/contest-release.keystore:', 'high', undefined],
      ['keys/latest.jks:', 'high', undefined],
    ]);
  });

  it("a library module's manifest says nothing of backup, and pins are looked for on the app's own manifest, not a library's or a sample's", async () => {
    const manifest = (application: string) =>
      `<manifest xmlns:android="http://schemas.android.com/apk/res/android">\n  ${application}\n</manifest>\n`;
    const r = await audit({
      'components/browser/menu/src/main/AndroidManifest.xml': manifest(
        '<application android:supportsRtl="true" />',
      ),
      'components/feature/pwa/src/main/AndroidManifest.xml': manifest(
        '<application>\n    <activity android:name=".WebAppLauncherActivity" android:exported="false" />\n  </application>',
      ),
      'components/feature/opt-in/src/main/AndroidManifest.xml': manifest(
        '<application android:allowBackup="true" />',
      ),
      'samples/browser/src/main/AndroidManifest.xml': manifest(
        '<application android:label="Sample" android:icon="@mipmap/ic_launcher" android:allowBackup="false" />',
      ),
      'app/src/main/AndroidManifest.xml': manifest(
        '<application android:label="@string/app_name" android:icon="@mipmap/ic_launcher" />',
      ),
      'wear/src/main/AndroidManifest.xml': manifest(
        [
          '<application>',
          '    <activity android:name=".Main" android:exported="true">',
          '      <intent-filter>',
          '        <action android:name="android.intent.action.MAIN" />',
          '        <category android:name="android.intent.category.LAUNCHER" />',
          '      </intent-filter>',
          '    </activity>',
          '  </application>',
        ].join('\n'),
      ),
    });
    const reason =
      "a library module's manifest (no label, icon, Application class or launcher activity): the app's own manifest decides backup";
    expect(judged(r, 'android-allow-backup').map(([f, s, why]) => [f.replace(/:\d*$/, ''), s, why])).toEqual([
      ['app/src/main/AndroidManifest.xml', 'medium', undefined],
      ['components/browser/menu/src/main/AndroidManifest.xml', 'low', reason],
      ['components/feature/opt-in/src/main/AndroidManifest.xml', 'medium', undefined],
      ['components/feature/pwa/src/main/AndroidManifest.xml', 'low', reason],
      ['wear/src/main/AndroidManifest.xml', 'medium', undefined],
    ]);
    expect(of(r, 'android-nsc-no-pins').map((f) => [f.file, f.severity])).toEqual([
      ['app/src/main/AndroidManifest.xml', 'medium'],
    ]);
  });

  it('http URLs in a list of domains the app matches against are entries, not requests; the same URL in code is still reported', async () => {
    const list = JSON.stringify(
      { categories: { Advertising: [{ Tracker: { 'http://tracker.acme-ads.io/': ['acme-ads.io'] } }] } },
      null,
      2,
    );
    const r = await audit({
      'components/engine/src/main/res/raw/domain_blocklist.json': list,
      'app/src/main/assets/trackers.json': list,
      'app/src/main/assets/hosts.txt':
        '# from http://lists.acme-ads.io/hosts\n0.0.0.0 tracker.acme-ads.io\nhttp://tracker.acme-ads.io/\n',
      'app/src/main/assets/config.json': list,
    });
    expect(judged(r, 'cleartext-http-url').map(([f, s]) => [f.replace(/:\d*$/, ''), s])).toEqual([
      ['app/src/main/assets/config.json', 'medium'],
      ['app/src/main/assets/hosts.txt', 'low'],
      ['app/src/main/assets/hosts.txt', 'low'],
      ['app/src/main/assets/trackers.json', 'low'],
      ['components/engine/src/main/res/raw/domain_blocklist.json', 'low'],
    ]);
  });

  it('credentials in a URL are printable ASCII: fields of a binary database joined across control bytes are no URL; a real one in the same file is found', async () => {
    const db = Buffer.concat([
      Buffer.from('SQLite format 3\u0000'),
      Buffer.from('Smarts RU mmsmms.smarts.ruhttp://mmsc:8002mms172.24.121.5'),
      Buffer.from([0x1f, 0x90]),
      Buffer.from('n@kc'),
      Buffer.from([0x84, 0x1a, 0x17, 0x00]),
      Buffer.from('ftp://backup:Kx9vQ2mLp4Zt@files.acme-corp.io/'),
      Buffer.from([0x00]),
    ]);
    const r = await audit({ 'app/src/main/assets/databases/apns.db': db });
    expect(of(r, 'secret-url-credentials').map((f) => f.evidence)).toEqual([
      expect.stringContaining('@files.acme-corp.io'),
    ]);
  });

  it("the keys of Huawei AppGallery Connect's client configuration are medium with the reason; the same names elsewhere stay high", async () => {
    const config = JSON.stringify(
      {
        client: {
          client_id: '954244311350791232',
          client_secret: '555999202D718B6744DAD2E923B386DC17F3F4E29F5105CE0D061EED328DADEE',
          api_key: 'DAEDABeddLEqUy0QRwa1THLwRA0OqrSuyci/HjNvVSmsdWsXRM2U2hRa',
        },
      },
      null,
      2,
    );
    const r = await audit({
      'app/src/huawei/agconnect-services.json': config,
      'app/src/main/assets/server.json': config,
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f.replace(/:\d*$/, ''), s])).toEqual([
      ['app/src/huawei/agconnect-services.json', 'medium'],
      ['app/src/huawei/agconnect-services.json', 'medium'],
      ['app/src/main/assets/server.json', 'high'],
      ['app/src/main/assets/server.json', 'high'],
    ]);
  });

  it("a constant named as a dialog's tag or an intent extra holds an identifier, not a secret; a password under a plain name stays high", async () => {
    const r = await audit({
      'app/src/main/java/com/acme/Wizard.java': [
        'class Wizard {',
        '  private static final String DIALOG_TAG_PASSWORD_PRESET_CONFIRM = "pwPreset";',
        '  public static final String EXTRA_PASSWORD = "newPassword2";',
        '  private static final String ADMIN_PASSWORD = "Kx9vQ2mLp4Zt";',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/java/com/acme/Wizard.java:4', 'high'],
    ]);
  });

  it('an HMAC keyed by a constant over a key agreement is a key derivation, medium; the same constant HMAC key elsewhere stays high', async () => {
    const r = await audit({
      'lib/src/main/java/com/acme/crypto/Derive.kt': [
        'fun derive(pub: ByteArray, priv: ByteArray): ByteArray {',
        '    val shared = Curve25519.getInstance(Curve25519.BEST).calculateAgreement(pub, priv)',
        '    val mac = Mac.getInstance("HmacSHA256")',
        '    mac.init(SecretKeySpec("LOKI".toByteArray(), "HmacSHA256"))',
        '    return mac.doFinal(shared)',
        '}',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/api/Sign.kt': [
        'fun sign(body: ByteArray): ByteArray {',
        '    val mac = Mac.getInstance("HmacSHA256")',
        '    mac.init(SecretKeySpec("LOKI".toByteArray(), "HmacSHA256"))',
        '    return mac.doFinal(body)',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'crypto-hardcoded-key').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/java/com/acme/api/Sign.kt:3', 'high'],
      ['lib/src/main/java/com/acme/crypto/Derive.kt:4', 'medium'],
    ]);
  });

  it('CommonCrypto ECB without PKCS7 padding is the raw block operation, medium; with padding it stays high', async () => {
    const r = await audit({
      'Lib/crypto/aeskdf.cpp': [
        'int32_t rounds(const unsigned char *seed, unsigned char *key, uint64_t n) {',
        '    CCCryptorRef ref;',
        '    int32_t status = CCCryptorCreate(kCCEncrypt, kCCAlgorithmAES128, kCCOptionECBMode, seed, kCCKeySizeAES256, NULL, &ref);',
        '    return status;',
        '}',
        '',
      ].join('\n'),
      'App/Crypto/Seal.m': [
        '- (NSData *)seal:(NSData *)data {',
        '    CCCrypt(kCCEncrypt, kCCAlgorithmAES, kCCOptionECBMode | kCCOptionPKCS7Padding, key.bytes, kCCKeySizeAES256, NULL, data.bytes, data.length, out, size, &moved);',
        '    return nil;',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'crypto-ecb-mode').map(([f, s]) => [f, s])).toEqual([
      ['App/Crypto/Seal.m:2', 'high'],
      ['Lib/crypto/aeskdf.cpp:3', 'medium'],
    ]);
  });

  it('a Gradle module named as tests (release_tests/, ui-tests/) is test code; a folder whose name only ends in a test word is not', async () => {
    const trustAll = [
      'class TestApiClient {',
      '    private val trustManager = object : X509TrustManager {',
      '        override fun checkClientTrusted(chain: Array<X509Certificate>, authType: String) {}',
      '        override fun checkServerTrusted(chain: Array<X509Certificate>, authType: String) {}',
      '        override fun getAcceptedIssuers(): Array<X509Certificate> = arrayOf()',
      '    }',
      '}',
      '',
    ].join('\n');
    const r = await audit({
      'release_tests/src/main/java/com/acme/release_tests/TestApiClient.kt': trustAll,
      'ui-tests/src/main/java/com/acme/TestApiClient.kt': trustAll,
      'feature/contests/src/main/java/com/acme/ApiClient.kt': trustAll,
    });
    expect(judged(r, 'network-trust-all-certificates').map(([f, s]) => [f.replace(/:\d*$/, ''), s])).toEqual([
      ['feature/contests/src/main/java/com/acme/ApiClient.kt', 'high'],
      ['release_tests/src/main/java/com/acme/release_tests/TestApiClient.kt', 'low'],
      ['ui-tests/src/main/java/com/acme/TestApiClient.kt', 'low'],
    ]);
  });

  it('a PEM key in a file named as a test key is lowered with its reason; in a file named otherwise it stays critical', async () => {
    const pem = `-----BEGIN EC PRIVATE KEY-----\n${'MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oGYZp7Kz0p9zoAoGCCqGSM49'}\nAwEHoUQDQgAE\n-----END EC PRIVATE KEY-----\n`;
    const r = await audit({
      'signature/assets/test_private_key.pem': pem,
      'signature/assets/update_private_key.pem': pem,
    });
    expect(judged(r, 'secret-private-key').map(([f, s, why]) => [f.replace(/:\d*$/, ''), s, why])).toEqual([
      [
        'signature/assets/test_private_key.pem',
        'low',
        'a key file named as one for tests (test_private_key.pem)',
      ],
      ['signature/assets/update_private_key.pem', 'critical', undefined],
    ]);
  });

  it("a permission scope that names a secret by its path is no secret, and Taskcluster's folder is CI tooling", async () => {
    const r = await audit({
      'ci/kinds/sentry/kind.yml': 'scopes:\n  - secrets: get:project/mozillavpn/level-1/sentry\n',
      'taskcluster/kinds/sign/kind.yml': 'env:\n  api_secret: "Kx9vQ2mLp4ZtW7rB8nC3"\n',
      'app/config.yml': 'api_secret: "Kx9vQ2mLp4ZtW7rB8nC3"\n',
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f.replace(/:\d*$/, ''), s])).toEqual([
      ['app/config.yml', 'high'],
      ['taskcluster/kinds/sign/kind.yml', 'medium'],
    ]);
  });

  it("a relative path of a file under a secret's name names the file; a secret with a slash in it is still found", async () => {
    const r = await audit({
      'core/src/main/java/com/acme/game/Assets.java': [
        'class Assets {',
        '    public static final String SECRET   = "sounds/secret.mp3";',
        '    public static final String PASSWORD_ICON = "img/ui/password-eye.png";',
        '    public static final String API_SECRET = "q8Zr2kLm/9Xw4vT7bN3c";',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['core/src/main/java/com/acme/game/Assets.java:4', 'high'],
    ]);
  });

  it("an http link in an Android app's translated strings is text shown to the user; in the base strings, or under a qualifier that is no language, it keeps its severity", async () => {
    const strings =
      '<resources>\n  <string name="help">See http://community.acme-corp.io/ for help</string>\n</resources>\n';
    const r = await audit({
      'app/src/main/res/values/strings.xml': strings,
      'app/src/main/res/values-cs/strings.xml': strings,
      'app/src/main/res/values-pt-rBR/strings.xml': strings,
      'app/src/main/res/values-b+sr+Latn/strings.xml': strings,
      'app/src/main/res/values-night/strings.xml': strings,
      'app/src/main/res/values-car/strings.xml': strings,
    });
    expect(judged(r, 'cleartext-http-url').map(([f, s]) => [f.replace(/:\d*$/, ''), s])).toEqual([
      ['app/src/main/res/values-b+sr+Latn/strings.xml', 'low'],
      ['app/src/main/res/values-car/strings.xml', 'medium'],
      ['app/src/main/res/values-cs/strings.xml', 'low'],
      ['app/src/main/res/values-night/strings.xml', 'medium'],
      ['app/src/main/res/values-pt-rBR/strings.xml', 'low'],
      ['app/src/main/res/values/strings.xml', 'medium'],
    ]);
  });
});

describe('a held-out set of apps: localisations in .lproj folders, Wear OS data maps, request parameters beside a plist', () => {
  it('each stays quiet; a password in a plain JSON config, in SharedPreferences and in a dictionary written as a plist is found', async () => {
    const r = await audit({
      'Localization/StringsConvertor/input/ca.lproj/app.json': '{\n  "password": "Contrasenya1"\n}\n',
      'Localization/input/config.json': '{\n  "password": "Contrasenya1"\n}\n',
      'app/src/main/kotlin/com/acme/wear/SettingsWearViewModel.kt': [
        'PutDataMapRequest.create("/config").run {',
        '    dataMap.putString("TLSClientCertificatePassword", certificatePassword.orEmpty())',
        '    asPutDataRequest()',
        '}',
        'prefs.edit().putString("TLSClientCertificatePassword", certificatePassword).apply()',
        '',
      ].join('\n'),
      'Sources/LoginViewController.swift': [
        'let parameters: Parameters = [',
        '    "email": textFieldUserName.text!,',
        '    "password": textFieldPassword.text!',
        ']',
        'AF.request(url, method: .post, parameters: parameters)',
        'let dicContent: [String: String] = ["token": token]',
        'NSDictionary(dictionary: dicContent).write(toFile: path, atomically: true)',
        '',
      ].join('\n'),
      'Sources/CredentialsStore.swift': [
        'let stored: [String: String] = ["username": user, "password": passwordField.text!]',
        'NSDictionary(dictionary: stored).write(toFile: path, atomically: true)',
        '',
      ].join('\n'),
    });
    // (Medium since the fourth held-out set: a password made of words and digits.)
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['Localization/input/config.json:2', 'medium', undefined],
    ]);
    expect(judged(r, 'storage-secret-in-preferences')).toEqual([
      ['app/src/main/kotlin/com/acme/wear/SettingsWearViewModel.kt:5', 'high', undefined],
      ['Sources/CredentialsStore.swift:1', 'high', undefined],
      // The token the same file does write to its plist: a token, medium.
      ['Sources/LoginViewController.swift:6', 'medium', undefined],
    ]);
  });
});

describe('what the user typed, compared through a local', () => {
  it('a typed value kept in a local and compared with a code-like literal is found; an intent extra or a word compared the same way is not', async () => {
    const r = await audit({
      'app/src/main/java/com/acme/FlagOneLoginActivity.kt': [
        'fun submitFlag(view: View) {',
        '    val editText2 = findViewById<EditText>(R.id.editText2)',
        '    val post = editText2.text.toString()',
        '    if (post == "F1ag_0n3") { unlock() }',
        '    val tab = intent.getStringExtra("tab")',
        '    if (tab == "home2") { showHome() }',
        '    val answer = answerField.text.toString()',
        '    if (answer == "yes") { confirm() }',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-hardcoded-comparison')).toEqual([
      ['app/src/main/java/com/acme/FlagOneLoginActivity.kt:4', 'medium', undefined],
    ]);
  });
});

describe('a second held-out set: tooling, test data, public keys, secret-manager paths, pinned hosts', () => {
  it('each is skipped, set aside, quiet or lowered; the real secrets and the unpinned verifier beside them are found', async () => {
    const value = "const password = 'Kx9vQ2mLp4Zt';\n";
    const r = await audit({
      '.yarn/releases/yarn-4.15.0.cjs': value,
      'src/features/trustedDevice/fixtures/fixtures.ts': value,
      'src/__mocks__/api.ts': value,
      'owncloudTestUtil/src/main/java/com/acme/testutil/OCAccount.kt': value,
      'core-testing/src/main/java/com/acme/Servers.kt': value,
      'src/features/auth/session.ts': value,
      '.env.production': [
        'API_URL=https://api.acme.io',
        'CONTENTFUL_PUBLIC_ACCESS_TOKEN=Kx9vQ2mLp4ZtWq7Rb3Nc8Vd',
        'CONTENTFUL_ACCESS_TOKEN=Kx9vQ2mLp4ZtWq7Rb3Nc8Vd',
        '',
      ].join('\n'),
      '.github/workflows/deploy.yml': [
        '      - uses: google-github-actions/get-secretmanager-secrets@v3',
        '        with:',
        '          secrets: |-',
        '            MAESTRO_PASSWORD:acme-metier-ehp/acme-app-native-e2e-maestro-password',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression of a fixture
        '            KEYSTORE_PASSWORD:acme-metier-ehp/acme-app-android-${{ inputs.ENV }}-keystore-password',
        '      - run: ./deploy.sh',
        '        env:',
        '          STORE_PASSWORD: Kx9vQ2mLp4Zt',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/api/PinnedClient.kt': [
        'val trustManager = PinningTrustManager(pinnedKeyHashes)',
        'okClientBuilder.hostnameVerifier(HostnameVerifier { _, _ -> true })',
        '',
      ].join('\n'),
      'app/src/main/java/com/acme/api/LooseClient.kt':
        'okClientBuilder.hostnameVerifier(HostnameVerifier { _, _ -> true })\n',
    });
    expect(r.findings.some((f) => f.file.startsWith('.yarn/'))).toBe(false);
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['.env.production:3', 'high', undefined],
      ['.github/workflows/deploy.yml:8', 'medium', undefined],
      ['core-testing/src/main/java/com/acme/Servers.kt:1', 'low', 'test code, not shipped'],
      ['owncloudTestUtil/src/main/java/com/acme/testutil/OCAccount.kt:1', 'low', 'test code, not shipped'],
      ['src/__mocks__/api.ts:1', 'low', 'test code, not shipped'],
      ['src/features/auth/session.ts:1', 'high', undefined],
      ['src/features/trustedDevice/fixtures/fixtures.ts:1', 'low', 'test code, not shipped'],
    ]);
    expect(judged(r, 'network-hostname-verification-off')).toEqual([
      ['app/src/main/java/com/acme/api/LooseClient.kt:1', 'high', undefined],
      ['app/src/main/java/com/acme/api/PinnedClient.kt:2', 'medium', undefined],
    ]);
  });
});

describe('literal rows of a table with a secret column', () => {
  it('a password written as a literal into an unencrypted SQLite table is found; other columns, other tables and SQLCipher databases stay quiet', async () => {
    const table = [
      'db.execSQL("CREATE TABLE IF NOT EXISTS Accounts(Username VARCHAR,Password VARCHAR);");',
      `db.execSQL("INSERT INTO Accounts VALUES('admin','AdminPass');");`,
      `db.execSQL("INSERT INTO Notes VALUES('home','Buy milk');");`,
      `db.execSQL("INSERT INTO Accounts VALUES('guest','');");`,
    ];
    const r = await audit({
      'app/src/main/java/com/acme/PlainStore.java': `import android.database.sqlite.SQLiteDatabase;\n${table.join('\n')}\n`,
      'app/src/main/java/com/acme/CipherStore.java': `import net.sqlcipher.database.SQLiteDatabase;\n${table.join('\n')}\n`,
    });
    expect(judged(r, 'storage-secret-in-preferences')).toEqual([
      ['app/src/main/java/com/acme/PlainStore.java:3', 'high', undefined],
    ]);
  });
});

describe('a third held-out set: Genymotion hosts, demo copies of a configuration, passwords in markup', () => {
  it('cleartext only to loopback and emulator hosts (Genymotion too) is quiet; another private host keeps its finding', async () => {
    const nsc = (hosts: string[]): string =>
      `<?xml version="1.0" encoding="utf-8"?>\n<network-security-config>\n  <domain-config cleartextTrafficPermitted="true">\n${hosts
        .map((h) => `    <domain includeSubdomains="false">${h}</domain>\n`)
        .join('')}  </domain-config>\n</network-security-config>\n`;
    const r = await audit({
      'dev/android/app/src/main/res/xml/network_security_config.xml': nsc([
        'localhost',
        '10.0.2.2',
        '10.0.3.2',
        '127.0.0.1',
      ]),
      'lan/android/app/src/main/res/xml/network_security_config.xml': nsc(['10.0.3.2', '10.0.4.2']),
    });
    expect(judged(r, 'android-nsc-cleartext')).toEqual([
      ['lan/android/app/src/main/res/xml/network_security_config.xml:3', 'high', undefined],
    ]);
  });

  it('a demo or template copy of a configuration is lowered with its reason; the configuration itself and a demo feature are not', async () => {
    const swift =
      'struct SPCredentials {\n  static let simperiumApiKey = "6805ca9a091e45ada8a9d8988367f14e"\n}\n';
    const r = await audit({
      'App/SPCredentials-demo.swift': swift,
      'App/Keys.example.kt': 'object Keys { const val API_SECRET = "Zq8xW2vN5mK7pL3rT9yB4cD6" }\n',
      'App/SPCredentials.swift': swift,
      'App/DemoCredentials.swift': swift,
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['App/DemoCredentials.swift:2', 'high', undefined],
      [
        'App/Keys.example.kt:1',
        'low',
        'a demo or template copy of a configuration, for builds without the real one',
      ],
      [
        'App/SPCredentials-demo.swift:2',
        'low',
        'a demo or template copy of a configuration, for builds without the real one',
      ],
      ['App/SPCredentials.swift:2', 'high', undefined],
    ]);
  });

  it('a password written as an element of markup built in code is found; placeholders, references, templates and labels are not', async () => {
    const body = (inner: string): string =>
      `object Soap {\n  const val BODY = """\n    <soap:Header>\n${inner}\n    </soap:Header>\n  """\n}\n`;
    const r = await audit({
      'app/src/main/java/a/Siebel.kt': body(
        '      <UsernameToken xmlns="http://siebel.com/webservices">superadmin</UsernameToken>\n      <PasswordText xmlns="http://siebel.com/webservices">supersecurepassword</PasswordText>',
      ),
      'app/src/main/java/a/Wsse.java':
        'String h = "<wsse:Security><wsse:Password Type=\\"#PasswordText\\">Hunter2Secret</wsse:Password></wsse:Security>";\n',
      'app/src/main/java/a/Placeholder.kt': body('      <Password>password</Password>'),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Kotlin string template of a fixture
      'app/src/main/java/a/Reference.kt': body('      <Password>${BuildConfig.PASS}</Password>'),
      'app/src/main/java/a/Template.java': 'String s = "<password>%s</password>";\n',
      'app/src/main/res/layout/form.xml':
        '<LinearLayout>\n  <PasswordHint>enterYourPasswordHere</PasswordHint>\n</LinearLayout>\n',
      'settings.xml': '<settings><server><password>{maven-encrypted}</password></server></settings>\n',
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['app/src/main/java/a/Siebel.kt:5', 'high', undefined],
      ['app/src/main/java/a/Wsse.java:1', 'high', undefined],
    ]);
  });
});

describe('a third held-out set, second batch: Example/ folders, language folders, parameter names, words ending in a cipher, Visual Studio test keys, a field read and logged', () => {
  it('a capitalised Example/ folder is example code; an app folder that only contains the word is not', async () => {
    const plist =
      '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n  <key>NSAppTransportSecurity</key>\n  <dict>\n    <key>NSAllowsArbitraryLoads</key>\n    <true/>\n  </dict>\n</dict>\n</plist>\n';
    const r = await audit({
      'src/charts/Example/ios/Example/Info.plist': plist,
      'ios/ExampleApp/Info.plist': plist,
    });
    expect(judged(r, 'ios-ats-arbitrary-loads')).toEqual([
      ['ios/ExampleApp/Info.plist:6', 'high', undefined],
      ['src/charts/Example/ios/Example/Info.plist:6', 'low', 'example code'],
    ]);
  });

  it('translations in a languages/ folder or a file named by a locale and region stay quiet; a config beside them is read', async () => {
    const words = '{\n  "backup_password": "Contraseña",\n  "password": "Contraseña"\n}\n';
    const r = await audit({
      'src/languages/es_419.json': words,
      'src/strings/pt-BR.json': words,
      'src/config/env.json': '{\n  "password": "Kx9vQ2mLp4Zt"\n}\n',
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([['src/config/env.json:2', 'high', undefined]]);
  });

  it('the name of a query parameter is quiet; a password ending in = is not', async () => {
    const r = await audit({
      'Sources/API/WriteAPI.swift':
        'struct WriteAPI {\n  static let Password = "password="\n  static let Token = "&access_token="\n}\n',
      'Sources/API/Login.swift': 'struct Login {\n  static let password = "Kx9vQ2mLp4Zt="\n}\n',
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['Sources/API/Login.swift:2', 'high', undefined],
    ]);
  });

  it('a name that ends in the letters of a cipher is not a key; the cipher named as a word is', async () => {
    const r = await audit({
      'Sources/Json.swift':
        'enum Json {\n  static let NucleotidesKey = "nucleotides"\n  static let SucralosesKey = "sucraloses"\n}\n',
      'Sources/Crypto.swift':
        'enum Crypto {\n  static let desKey = "k3Y9pQ2x"\n  static let AES_KEY = "q8Lz2VfR7mNc4TpW"\n  static func seal() { CCCrypt(kCCEncrypt, 0, 0, desKey, 8, nil, nil, 0, nil, 0, nil); CCCrypt(kCCEncrypt, 0, 0, AES_KEY, 16, nil, nil, 0, nil, 0, nil) }\n}\n',
    });
    expect(judged(r, 'crypto-hardcoded-key')).toEqual([
      ['Sources/Crypto.swift:2', 'high', undefined],
      ['Sources/Crypto.swift:3', 'high', undefined],
    ]);
  });

  it("Visual Studio's temporary test key is lowered with its reason; another PKCS#12 store stays high", async () => {
    const p12 = Buffer.concat([Buffer.from([0x30, 0x82, 0x0a, 0x00]), Buffer.alloc(64, 1)]);
    const r = await audit({
      'vendor/sqlcipher/vsixtest/vsixtest_TemporaryKey.pfx': p12,
      'app/src/main/assets/client.pfx': p12,
    });
    expect(judged(r, 'secret-private-key')).toEqual([
      ['app/src/main/assets/client.pfx:', 'high', undefined],
      [
        'vendor/sqlcipher/vsixtest/vsixtest_TemporaryKey.pfx:',
        'low',
        'a temporary key Visual Studio generates to sign local test builds (…_TemporaryKey.pfx)',
      ],
    ]);
  });

  it('a password field read with getText().toString() and logged is found; its length and a user name are not', async () => {
    const r = await audit({
      'app/src/main/java/a/Login.java':
        'class Login {\n  void go() {\n    Log.d("username", etUsername.getText().toString());\n    Log.d("password", etPassword.getText().toString());\n    Log.d("len", String.valueOf(etPassword.getText().toString().length()));\n  }\n}\n',
    });
    expect(judged(r, 'storage-secret-in-log')).toEqual([
      ['app/src/main/java/a/Login.java:4', 'medium', undefined],
    ]);
  });
});

describe('a fourth held-out set: resource bundles, backup keys, qualified names, debug signing stores, raw block ciphers', () => {
  it('a .strings table with a suffix and Java resource bundles named by a locale are translations; gradle.properties and a secrets file beside them are read', async () => {
    const r = await audit({
      'App/Resources/de.lproj/Localizable.strings.current':
        '"settings.password" = "Passwort";\n"Password" = "Kx9vQ2mLp4Zt";\n',
      'www/resources/sap/m/messagebundle_en_US_saptrc.properties':
        'MULTIINPUT_SHOW_MORE_TOKENS=jOrXmBXclUle5q7QpWh3\n',
      'src/main/resources/messages_de.properties': 'login.token=Zk3vQ9pLm2Xr7TnW4yHb\n',
      'PasscodeLock/gradle.properties': 'passcodelock.password_enc_secret=5-maggio-2002-Karin-Zt9Q\n',
      'config/secrets.properties': 'api_token=Zk3vQ9pLm2Xr7TnW4yHb\n',
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['config/secrets.properties:1', 'high', undefined],
      ['PasscodeLock/gradle.properties:1', 'high', undefined],
    ]);
  });

  it('an Android Backup Service key is quiet; another key under the same name is found', async () => {
    const r = await audit({
      'app/build.gradle':
        'android {\n  defaultConfig {\n    manifestPlaceholders = [ googleAndroidBackupAPIKey:"AEdPqrEAAAAIbRfbV8fHLItXo8OcHwrO0sSNblqhPwkc0DPTqg" ]\n  }\n}\n',
      'lib/build.gradle':
        'android {\n  defaultConfig {\n    manifestPlaceholders = [ googleAndroidBackupAPIKey:"Q7pLm2Xr9TnW4yHbZk3v8sKd1RfGj6Ce" ]\n  }\n}\n',
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([['lib/build.gradle:3', 'high', undefined]]);
  });

  it("a name qualified by a package (another app's preference key) is not a key; a literal key under the same name is", async () => {
    const r = await audit({
      'app/src/main/java/a/Importer.java':
        'class Importer {\n  void read() {\n    final String secretKey = "com.blizzard.messenger.AUTHENTICATOR_DEVICE_SECRET";\n    final String apiToken = "org.acme.app.EXTRA_TOKEN_9";\n  }\n}\n',
      'app/src/main/java/a/Crypto.java':
        'class Crypto {\n  static final String secretKey = "q8Lz2VfR7mNc4TpW";\n  static Key spec() { return new SecretKeySpec(secretKey.getBytes(), "AES"); }\n}\n',
    });
    expect(judged(r, 'crypto-hardcoded-key')).toEqual([
      ['app/src/main/java/a/Crypto.java:2', 'high', undefined],
    ]);
    expect(judged(r, 'secret-generic-assignment').filter(([f]) => f.includes('Importer'))).toEqual([]);
  });

  it('a password made of words and digits and a UUID under a secret name are medium with the reason; a generated password and a random key stay high', async () => {
    const r = await audit({
      'fastlane/Fastfile': 'create_keychain(\n  name: "ci",\n  password: "temp_123456",\n)\n',
      'app/Importer.java':
        'class Importer {\n  private static final char[] PASSWORD = "TotpAuthenticator".toCharArray();\n}\n',
      'src/Logging/Logger.cs':
        'class Logger {\n  private const string AppSecret = "51f96ae5-68ba-45f6-99a1-8ad9f63046c3";\n}\n',
      'src/Login.ts': "const password = 'Kx9vQ2mLp4Zt';\n",
      'src/Sync.ts': "const syncPassword = 'hV7#qL2!mZ9@xR4$pT6w';\n",
      'src/Api.ts': "const apiSecret = 'Q7pLm2Xr9TnW4yHbZk3v8sKd';\n",
    });
    const found = of(r, 'secret-generic-assignment');
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['app/Importer.java:2', 'medium'],
      ['fastlane/Fastfile:3', 'medium'],
      ['src/Api.ts:1', 'high'],
      ['src/Logging/Logger.cs:2', 'medium'],
      ['src/Login.ts:1', 'high'],
      ['src/Sync.ts:1', 'high'],
    ]);
    expect(found.find((f) => f.file === 'fastlane/Fastfile')?.message).toContain(
      'build, CI or release tooling',
    );
    expect(found.find((f) => f.file === 'app/Importer.java')?.message).toContain(
      'a password made of words and digits',
    );
    expect(found.find((f) => f.file === 'src/Logging/Logger.cs')?.message).toContain('a UUID');
  });

  it('a key store named by a Gradle debug signing config is lowered with its reason; the release store and one no config names stay high', async () => {
    const jks = Buffer.concat([Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]), Buffer.alloc(64, 1)]);
    const r = await audit({
      'app/build.gradle': [
        'android {',
        '  signingConfigs {',
        '    debug {',
        "      storeFile file('testkey_untrusted.jks')",
        "      keyAlias 'alias'",
        '    }',
        '    release {',
        "      storeFile file('../keys/release.jks')",
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
      'wear/build.gradle.kts':
        'android {\n  signingConfigs {\n    getByName("debug") {\n      storeFile = file("debug-wear.jks")\n    }\n  }\n}\n',
      'lib/build.gradle':
        "android {\n  signingConfigs {\n    debug {\n      storeFile rootProject.file('keys/shared-debug.jks')\n    }\n  }\n}\n",
      'keys/shared-debug.jks': jks,
      'app/testkey_untrusted.jks': jks,
      'keys/release.jks': jks,
      'wear/debug-wear.jks': jks,
      'other/client.jks': jks,
    });
    const reason =
      'the store of a debug signing config (Gradle signingConfigs.debug): it signs debug builds only';
    expect(judged(r, 'secret-private-key')).toEqual([
      ['app/testkey_untrusted.jks:', 'low', reason],
      ['keys/release.jks:', 'high', undefined],
      ['keys/shared-debug.jks:', 'low', reason],
      ['other/client.jks:', 'high', undefined],
      ['wear/debug-wear.jks:', 'low', reason],
    ]);
  });

  it('ECB without padding (a raw block operation) is medium with the reason; ECB with padding stays high', async () => {
    const r = await audit({
      'crypto/src/main/java/a/AesKdf.kt':
        'object AesKdf {\n  fun round(seed: ByteArray) = Cipher.getInstance("AES/ECB/NoPadding")\n}\n',
      'app/src/main/java/a/Box.java':
        'class Box {\n  Cipher c() throws Exception { return Cipher.getInstance("AES/ECB/PKCS5Padding"); }\n}\n',
    });
    expect(judged(r, 'crypto-ecb-mode').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/java/a/Box.java:2', 'high'],
      ['crypto/src/main/java/a/AesKdf.kt:2', 'medium'],
    ]);
    expect(of(r, 'crypto-ecb-mode').find((f) => f.severity === 'medium')?.message).toContain(
      'raw block operation',
    );
  });

  it('a byte-array literal given to SecretKeySpec through a local, and a literal password given to RNCryptor, are found; random and typed keys are not', async () => {
    const r = await audit({
      'app/src/main/java/a/Encryption.java': [
        'class Encryption {',
        '  static byte[] enc(byte[] v) throws Exception {',
        '    byte[] key = {',
        '        1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1',
        '    };',
        '    SecretKeySpec spec = new SecretKeySpec(key, "AES");',
        '    return v;',
        '  }',
        '}',
        '',
      ].join('\n'),
      'app/src/main/java/a/Fresh.java': [
        'class Fresh {',
        '  static SecretKeySpec make() {',
        '    byte[] fresh = new byte[16];',
        '    new SecureRandom().nextBytes(fresh);',
        '    return new SecretKeySpec(fresh, "AES");',
        '  }',
        '}',
        '',
      ].join('\n'),
      'ios/App/BrokenCryptoVC.m': [
        '- (void)save {',
        '    NSData *encrypted = [RNEncryptor encryptData:data',
        '                                    withSettings:kRNCryptorAES256Settings',
        '                                        password:@"Secret-Key"',
        '                                           error:&error];',
        '    NSData *mine = [RNEncryptor encryptData:data withSettings:kRNCryptorAES256Settings password:self.passwordTextField.text error:&error];',
        '}',
        '',
      ].join('\n'),
      'ios/App/Vault.swift':
        'let sealed = RNCryptor.encrypt(data: data, withPassword: "k3Y-vault-2019")\nlet typed = RNCryptor.encrypt(data: data, withPassword: passwordField.text!)\n',
    });
    expect(judged(r, 'crypto-hardcoded-key').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/java/a/Encryption.java:6', 'high'],
      ['ios/App/BrokenCryptoVC.m:2', 'high'],
      ['ios/App/Vault.swift:1', 'high'],
    ]);
  });

  it('MD5 or SHA-1 named at the call of a hash helper of the app is found; SHA-256 and a helper named otherwise are not', async () => {
    const r = await audit({
      'app/src/main/java/a/HashScreen.java': [
        'class HashScreen {',
        '  void onClick() {',
        '    String value = field.getText().toString();',
        '    String weak = Encryption.hash("MD5", value);',
        '    String old = digestOf("SHA-1", value);',
        '    String good = Encryption.hash("SHA-256", value);',
        '    String label = format("MD5", value);',
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'crypto-weak-hash').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/java/a/HashScreen.java:4', 'medium'],
      ['app/src/main/java/a/HashScreen.java:5', 'medium'],
    ]);
  });
});

describe('a fourth held-out set, second batch: example hosts in documentation, Ruby templates, SDK ingest keys, push tokens, endpoints, abbreviated columns', () => {
  it('credentials in a URL to a host that is no address (a documentation example) are quiet; the same password to a server is found', async () => {
    const r = await audit({
      'app/src/main/java/a/FileUtils.java':
        'class FileUtils {\n  /** For URI paths: ["smb://user;workgroup:passw0rd@12.3.4", "ftp://u:passw0rd@300.1.2.3"] */\n  void f() {}\n}\n',
      'app/src/main/res/values/strings.xml':
        '<resources>\n  <string name="test_url">https://adm1n:passw0rd@dev.acme.org</string>\n  <string name="nas">smb://backup:passw0rd@10.0.0.12/share</string>\n</resources>\n',
    });
    expect(judged(r, 'secret-url-credentials').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/res/values/strings.xml:2', 'high'],
      ['app/src/main/res/values/strings.xml:3', 'high'],
    ]);
  });

  it("a password built by Ruby's interpolation in a Fastfile is quiet; a literal one is found", async () => {
    const r = await audit({
      'fastlane/Fastfile':
        'lane :temp do\n  password = "temp#{SecureRandom.hex(6)}"\n  other_password = "hV7#qL2!mZ9@xR4$pT6w"\nend\n',
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['fastlane/Fastfile:3', 'medium'],
    ]);
  });

  it("an analytics or crash-reporting SDK's client key is medium with the reason; an API key of the app stays high", async () => {
    const r = await audit({
      'ios/App/Info.plist': [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<plist version="1.0"><dict>',
        '\t<key>bugsnag</key>',
        '\t<dict>',
        '\t\t<key>apiKey</key>',
        '\t\t<string>17ba9059f676f1cc4f45d98182388b01</string>',
        '\t</dict>',
        '\t<key>ServiceApiKey</key>',
        '\t<string>Q7pLm2Xr9TnW4yHbZk3v8sKd</string>',
        '</dict></plist>',
        '',
      ].join('\n'),
      'ios/App/AppDelegate.swift':
        'Flurry.startSession(apiKey: "8RM5WHP628853HQXFKDX", sessionBuilder: builder)\n',
    });
    const found = of(r, 'secret-generic-assignment');
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['ios/App/AppDelegate.swift:1', 'medium'],
      ['ios/App/Info.plist:5', 'medium'],
      ['ios/App/Info.plist:8', 'high'],
    ]);
    expect(found.find((f) => f.line === 5)?.message).toContain('analytics or crash-reporting SDK');
  });

  it('a push token in AsyncStorage is quiet; an auth token is found', async () => {
    const r = await audit({
      'src/notifications.ts':
        'await AsyncStorage.setItem(PUSH_TOKEN, JSON.stringify(token));\nawait AsyncStorage.setItem("fcmToken", t);\nawait AsyncStorage.setItem(AUTH_TOKEN, session.token);\n',
    });
    expect(judged(r, 'storage-token-in-web-storage').map(([f, s]) => [f, s])).toEqual([
      ['src/notifications.ts:3', 'high'],
    ]);
  });

  it('an endpoint named after a password policy stored in Realm is quiet; the password beside it is found', async () => {
    const r = await audit({
      'Sources/Database.swift': [
        'import RealmSwift',
        'func store() {',
        '    let realm = try! Realm()',
        '    capabilities.passwordPolicyGenerateAPIEndpoint = caps["generate"] as? String ?? ""',
        '    account.password = passwordField.text',
        '    try! realm.write { realm.add(capabilities) }',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'storage-secret-in-preferences').map(([f, s]) => [f, s])).toEqual([
      ['Sources/Database.swift:5', 'high'],
    ]);
  });

  it('literal rows of a table whose column is named pass are found; a column named passage is not', async () => {
    const r = await audit({
      'app/src/main/java/a/DbLeak.java': [
        'class DbLeak {',
        '  void seed(SQLiteDatabase db) {',
        '    db.execSQL("CREATE TABLE IF NOT EXISTS CREDS(admin VARCHAR, pass VARCHAR, access VARCHAR);");',
        `    db.execSQL("INSERT INTO CREDS VALUES('Mr Admin', '0xNotSecure_', 'STAFF');");`,
        '    db.execSQL("CREATE TABLE IF NOT EXISTS BOOKS(title VARCHAR, passage VARCHAR);");',
        `    db.execSQL("INSERT INTO BOOKS VALUES('Dune', 'Fear is the mind-killer');");`,
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'storage-secret-in-preferences').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/java/a/DbLeak.java:4', 'high'],
    ]);
  });
});

describe('a fourth held-out set, third batch: grouped preference names, printf formats', () => {
  it('a preference name joined by double underscores under a plain key is quiet; a key-length random literal is found', async () => {
    const r = await audit({
      'app/src/main/kotlin/a/AppPrefs.kt': [
        'object AppPrefs {',
        '  val hintedSymbols = boolean(',
        '    key = "keyboard__hinted_symbols_enabled",',
        '    default = true,',
        '  )',
        '}',
        '',
      ].join('\n'),
      'app/src/main/kotlin/a/Vault.kt':
        'object Vault {\n  val key = "q8Lz2VfR7mNc4TpWq8Lz2VfR7mNc4TpW"\n  fun spec() = SecretKeySpec(key.toByteArray(), "AES")\n}\n',
    });
    expect(judged(r, 'crypto-hardcoded-key').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/kotlin/a/Vault.kt:2', 'high'],
    ]);
  });

  it('printf formats that write CI secrets into a file are quiet; a literal secret in the same workflow is found', async () => {
    const r = await audit({
      '.github/workflows/e2e.yml': [
        'jobs:',
        '  e2e:',
        '    steps:',
        '      - run: printf \'API_URL=https://api.acme.org\\nAPI_SECRET=%s\\nE2E_PASSWORD=%s\\n\' "$API_SECRET" "$E2E_PASSWORD" > .env',
        '      - env:',
        '          OTHER_SECRET: Zk3vQ9pLm2Xr7TnW4yHb',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['.github/workflows/e2e.yml:6', 'medium'],
    ]);
  });
});

describe('a fourth held-out set, fourth batch: mock data', () => {
  it("a token in a mock/ folder's canned answers is lowered with its reason; the same token in the app's code is not", async () => {
    const token = '"token": "CNM1DCvOw3P5D8yg7ItWZpk7nT4Pq8g5pt3Vl8jteGHAGm2nG3LAIJRbKGGlzIFF",';
    const r = await audit({
      'lib/data/mock/mock_login.dart': `const kMockLogin = '''\n{\n  ${token}\n}\n''';\n`,
      'src/mocks/session.json': `{\n  ${token}\n}\n`,
      'lib/data/web_client.dart': `const kLogin = '''\n{\n  ${token}\n}\n''';\n`,
    });
    const reason = 'mock data (a fake backend for tests or a demo mode)';
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['lib/data/mock/mock_login.dart:3', 'low', reason],
      ['lib/data/web_client.dart:3', 'high', undefined],
      ['src/mocks/session.json:2', 'low', reason],
    ]);
  });
});

describe('a fourth held-out set, fifth batch: StoreKit test configurations', () => {
  it("the key pair of an Xcode StoreKit configuration is lowered with its reason; the same key in the app's JSON is not", async () => {
    const pair = '"privateKey" : "MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQgoBfhzTMV9qRkLiy4"';
    const r = await audit({
      'Pocket Casts Configuration.storekit': `{\n  "subscriptionOffersKeyPair" : {\n    "id" : "98EEF22A",\n    ${pair}\n  }\n}\n`,
      'App/Resources/offers.json': `{\n  ${pair}\n}\n`,
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['App/Resources/offers.json:2', 'high', undefined],
      [
        'Pocket Casts Configuration.storekit:4',
        'low',
        'a StoreKit configuration for testing purchases in Xcode, not shipped',
      ],
    ]);
  });
});

describe('a fourth held-out set, sixth batch: backup rules that exclude nothing', () => {
  const manifest = (backup: string) =>
    `<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="a.b">\n  <application android:allowBackup="${backup}" android:fullBackupContent="@xml/backup_rules" android:dataExtractionRules="@xml/data_extraction_rules" />\n</manifest>\n`;
  const template =
    '<?xml version="1.0" encoding="utf-8"?>\n<full-backup-content>\n  <!--\n  <include domain="sharedpref" path="."/>\n  <exclude domain="sharedpref" path="device.xml"/>\n  -->\n</full-backup-content>\n';
  const extraction =
    '<?xml version="1.0" encoding="utf-8"?>\n<data-extraction-rules>\n  <cloud-backup>\n    <!-- <exclude .../> -->\n  </cloud-backup>\n</data-extraction-rules>\n';
  const excluding =
    '<?xml version="1.0" encoding="utf-8"?>\n<data-extraction-rules>\n  <cloud-backup>\n    <exclude domain="sharedpref" path="secrets.xml"/>\n  </cloud-backup>\n</data-extraction-rules>\n';

  it("backup on under Android Studio's template rules is found; rules that exclude a file, and backup off, are quiet", async () => {
    const r = await audit({
      'template/src/main/AndroidManifest.xml': manifest('true'),
      'template/src/main/res/xml/backup_rules.xml': template,
      'template/src/main/res/xml/data_extraction_rules.xml': extraction,
    });
    expect(judged(r, 'android-allow-backup').map(([f, s]) => [f, s])).toEqual([
      ['template/src/main/AndroidManifest.xml:2', 'medium'],
    ]);
    expect(of(r, 'android-allow-backup')[0]?.message).toContain('include and exclude nothing');
    const quiet = await audit({
      'kept/src/main/AndroidManifest.xml': manifest('true'),
      'kept/src/main/res/xml/backup_rules.xml': template,
      'kept/src/main/res/xml/data_extraction_rules.xml': excluding,
    });
    expect(of(quiet, 'android-allow-backup')).toEqual([]);
    const off = await audit({
      'off/src/main/AndroidManifest.xml': manifest('false'),
      'off/src/main/res/xml/backup_rules.xml': template,
      'off/src/main/res/xml/data_extraction_rules.xml': extraction,
    });
    expect(of(off, 'android-allow-backup')).toEqual([]);
  });
});

describe('generalisation: guesses need evidence to be high', () => {
  it('a generic guess in build, CI or release tooling is medium with its reason; the same value in the app stays high', async () => {
    const value = 'password = "Kx9vQ2mLp4Zt"\n';
    const r = await audit({
      '.github/workflows/release.yml': `env:\n  keystore_${value.replace(' = ', ': ')}`,
      'fastlane/Fastfile': `lane :beta do\n  ${value}end\n`,
      'scripts/sign.sh': `store_${value.replace(/ /g, '')}`,
      'app/src/main/java/a/Login.java': `class Login { String ${value.replace('\n', ';\n')}}\n`,
    });
    const found = judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s]);
    expect(found).toEqual([
      ['.github/workflows/release.yml:2', 'medium'],
      ['app/src/main/java/a/Login.java:1', 'high'],
      ['fastlane/Fastfile:2', 'medium'],
      ['scripts/sign.sh:1', 'medium'],
    ]);
    for (const f of of(r, 'secret-generic-assignment').filter((x) => x.severity === 'medium'))
      expect(f.message).toContain('build, CI or release tooling');
  });

  it('a literal named as a key is high only when its file gives it to a cipher; a key-named map key or label is medium', async () => {
    const r = await audit({
      'app/src/main/java/a/Crypto.java':
        'class Crypto {\n  static final String AES_KEY = "q8Zr3LmW0pXv7TnB";\n  byte[] enc(byte[] d) throws Exception {\n    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");\n    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(AES_KEY.getBytes(), "AES"));\n    return c.doFinal(d);\n  }\n}\n',
      'app/src/main/java/a/Xor.java':
        'class Xor {\n  static final String encryptionKey = "Zq7pLk2V";\n  String x(String s) {\n    StringBuilder b = new StringBuilder();\n    for (int i = 0; i < s.length(); i++) b.append((char) (s.charAt(i) ^ encryptionKey.charAt(i % 8)));\n    return b.toString();\n  }\n}\n',
      'app/src/main/java/a/Prefs.java':
        'class Prefs {\n  static final String SESSION_KEY = "session_store_v2";\n  static final String encryptionKey = "settings_encryption_enabled_flag";\n  boolean on(Map<String, Boolean> m) { return m.get(encryptionKey); }\n}\n',
      'Sources/App/Strings.swift': 'let cryptoKey = "Zq7pLk2Vx9Qw3RtY"\n',
    });
    const found = judged(r, 'crypto-hardcoded-key').map(([f, s]) => [f, s]);
    expect(found).toEqual([
      ['app/src/main/java/a/Crypto.java:2', 'high'],
      ['app/src/main/java/a/Xor.java:2', 'high'],
      ['Sources/App/Strings.swift:1', 'medium'],
    ]);
    expect(of(r, 'crypto-hardcoded-key').find((f) => f.severity === 'medium')?.message).toContain(
      'gives it to no cipher',
    );
  });
});

describe('a fifth held-out set: debug APKs, imports, sample configurations, published signing keys, constant seeds', () => {
  it('a manifest setting inside a debug-signed APK is lowered like its debuggable; in a release-signed APK it stays high', async () => {
    const manifest = encodeAxml({
      name: 'manifest',
      plain: { package: 'com.acme' },
      children: [{ name: 'application', android: { usesCleartextTraffic: true, allowBackup: false } }],
    });
    const signature = (cn: string) =>
      Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x00, 0x0c, cn.length]), Buffer.from(cn)]);
    const apk = (signer: string) =>
      Buffer.from(zipSync({ 'AndroidManifest.xml': manifest, 'META-INF/CERT.RSA': signature(signer) }));
    const r = await audit({
      'app/insecure_app.apk': apk('Android Debug'),
      'out/release.apk': apk('Acme Release'),
    });
    expect(judged(r, 'android-cleartext-traffic')).toEqual([
      [
        'app/insecure_app.apk!/AndroidManifest.xml:3',
        'low',
        'a debug build (signed with the Android debug certificate, reported apart)',
      ],
      ['out/release.apk!/AndroidManifest.xml:3', 'high', undefined],
    ]);
  });

  it('an import of ALLOW_ALL_HOSTNAME_VERIFIER is no use of it; the use is found on its own line', async () => {
    const imp = 'import static org.apache.http.conn.ssl.SSLSocketFactory.ALLOW_ALL_HOSTNAME_VERIFIER;\n';
    const r = await audit({
      'app/src/main/java/a/Caller.java': `package a;\n${imp}final class Caller { void run() {} }\n`,
      'app/src/main/java/a/Tls.java': `package a;\n${imp}final class Tls {\n  OkHttpClient c = new OkHttpClient.Builder()\n      .hostnameVerifier(ALLOW_ALL_HOSTNAME_VERIFIER).build();\n}\n`,
    });
    expect(judged(r, 'network-hostname-verification-off').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/java/a/Tls.java:5', 'high'],
    ]);
  });

  it('a credential in an object whose server is the loopback address is medium; the same to a real host stays high', async () => {
    const outbound = (server: string) =>
      `const Map<String, dynamic> outbounds = {\n  "trojan": {\n    "type": "trojan",\n    "server": "${server}",\n    "server_port": 1080,\n    "password": "8JCsPssfgS8tiRwiMlhARg==",\n  },\n};\n`;
    const r = await audit({
      'lib/features/editor/templates.dart': outbound('127.0.0.1'),
      'lib/features/profile/default_profile.dart': outbound('vpn.acme.example.net'),
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['lib/features/editor/templates.dart:6', 'medium'],
      ['lib/features/profile/default_profile.dart:6', 'high'],
    ]);
    expect(of(r, 'secret-generic-assignment').find((f) => f.severity === 'medium')?.message).toContain(
      'loopback address',
    );
  });

  it('a SecureRandom seeded with a constant is found; one seeded by the system or a plain Random seeded for a shuffle is not', async () => {
    const r = await audit({
      'app/src/main/java/a/Seeds.java': [
        'class Seeds {',
        '  void run() {',
        '    SecureRandom fixed = new SecureRandom("12345".getBytes());',
        '    SecureRandom later = new SecureRandom();',
        '    later.setSeed(12345);',
        '    SecureRandom fine = new SecureRandom();',
        '    fine.setSeed(System.nanoTime());',
        '    Random shuffle = new Random();',
        '    shuffle.setSeed(42);',
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'crypto-insecure-random').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/java/a/Seeds.java:3', 'medium'],
      ['app/src/main/java/a/Seeds.java:5', 'medium'],
    ]);
  });

  it('a key store whose Gradle signing config writes its password is medium; one whose password comes from CI stays high', async () => {
    const gradle = [
      'android {',
      '    signingConfigs {',
      '        release {',
      '            def keystorePath = System.getenv("KEYSTOREPATH")',
      '            if (keystorePath != null) {',
      '                storeFile file(keystorePath)',
      '                storePassword System.getenv("KEYSTOREPWD")',
      '            } else {',
      '                storeFile file("${rootDir}/tools/fallback-release-keystore.jks")',
      '                storePassword "Test@123"',
      '                keyAlias "my-key"',
      '                keyPassword "Test@123"',
      '            }',
      '        }',
      '        nightly {',
      '            storeFile file("signature/nightly.keystore")',
      '            storePassword System.getenv("NIGHTLY_STOREPASSWORD")',
      '        }',
      '    }',
      '}',
      '',
    ].join('\n');
    const r = await audit({
      'AnkiDroid/build.gradle': gradle,
      'tools/fallback-release-keystore.jks': jks(['key']),
      'AnkiDroid/signature/nightly.keystore': jks(['key']),
    });
    expect(judged(r, 'secret-private-key').map(([f, s]) => [f, s])).toEqual([
      ['AnkiDroid/signature/nightly.keystore:', 'high'],
      ['tools/fallback-release-keystore.jks:', 'medium'],
    ]);
    expect(of(r, 'secret-private-key').find((f) => f.severity === 'medium')?.message).toContain(
      'writes the store password in the build file',
    );
  });
});

describe('a tenth held-out set: onion services, pinning AFSecurityPolicy, markup in comments, string resources compared', () => {
  it('cleartext only to Tor onion services is lowered with its reason; an onion beside a web host stays high', async () => {
    const nsc = (domains: string[]) =>
      [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<network-security-config>',
        '  <domain-config cleartextTrafficPermitted="true">',
        ...domains.map((d) => `    <domain includeSubdomains="true">${d}</domain>`),
        '  </domain-config>',
        '</network-security-config>',
        '',
      ].join('\n');
    const r = await audit({
      'app/src/main/res/xml/network_security_config.xml': nsc(['onion']),
      'tor/src/main/res/xml/network_security_config.xml': nsc([
        'duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion',
      ]),
      'lib/src/main/res/xml/network_security_config.xml': nsc(['onion', 'api.acme-corp.io']),
      'web/src/main/res/xml/network_security_config.xml': nsc(['onion.acme-corp.io']),
    });
    const reason = 'only Tor onion services (.onion), which Tor encrypts and authenticates end to end';
    expect(judged(r, 'android-nsc-cleartext')).toEqual([
      ['app/src/main/res/xml/network_security_config.xml:3', 'low', reason],
      ['lib/src/main/res/xml/network_security_config.xml:3', 'high', undefined],
      ['tor/src/main/res/xml/network_security_config.xml:3', 'low', reason],
      ['web/src/main/res/xml/network_security_config.xml:3', 'high', undefined],
    ]);
  });

  it('an AFSecurityPolicy that pins keys is medium for invalid certificates and names; a policy without pins stays high', async () => {
    const policy = (mode: string) =>
      '@implementation Pinning\n' +
      '- (instancetype)init {\n' +
      '    if (self = [super init]) {\n' +
      `        _securityPolicy = [AFSecurityPolicy policyWithPinningMode:${mode}];\n` +
      '        self.securityPolicy.validatesDomainName = NO;\n' +
      '        self.securityPolicy.allowInvalidCertificates = YES;\n' +
      '    }\n    return self;\n}\n@end\n';
    const r = await audit({
      'Core/Pinning.m': policy('AFSSLPinningModePublicKey'),
      'Core/Open.m': policy('AFSSLPinningModeNone'),
      'Core/Pins.swift':
        'let policy = AFSecurityPolicy(pinningMode: .certificate)\npolicy.allowInvalidCertificates = true\n',
      // A comparison with AFSSLPinningModeNone makes no policy (Seafile's connection checks which
      // mode the policy it made has).
      'Core/Compared.m': `${policy('AFSSLPinningModePublicKey')}BOOL pinned = policy.SSLPinningMode != AFSSLPinningModeNone;\n`,
      'Core/Reset.m': `${policy('AFSSLPinningModePublicKey')}policy.SSLPinningMode = AFSSLPinningModeNone;\n`,
    });
    expect(judged(r, 'network-trust-all-certificates')).toEqual([
      ['Core/Compared.m:6', 'medium', undefined],
      ['Core/Open.m:6', 'high', undefined],
      ['Core/Pinning.m:6', 'medium', undefined],
      ['Core/Pins.swift:2', 'medium', undefined],
      ['Core/Reset.m:6', 'high', undefined],
    ]);
    expect(judged(r, 'network-hostname-verification-off')).toEqual([
      ['Core/Compared.m:5', 'medium', undefined],
      ['Core/Open.m:5', 'high', undefined],
      ['Core/Pinning.m:5', 'medium', undefined],
      ['Core/Reset.m:5', 'high', undefined],
    ]);
    expect(of(r, 'network-trust-all-certificates').find((f) => f.file === 'Core/Pinning.m')?.message).toMatch(
      /pins keys or certificates/,
    );
  });

  it('a password element quoted in a code comment is lowered with its reason; the same element in a string of the code stays high', async () => {
    const r = await audit({
      'Classes/RoomManager.m':
        '// An invitation, from the protocol:\n' +
        "//   <x xmlns='http://jabber.org/protocol/muc#user'>\n" +
        '//     <password>cauldronburn</password>\n' +
        '//   </x>\n' +
        '- (void)join { }\n',
      'Classes/Join.m': 'NSString *body = @"<password>cauldronburn</password>";\n',
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['Classes/Join.m:1', 'high', undefined],
      [
        'Classes/RoomManager.m:3',
        'low',
        'markup quoted in a code comment: an example of a protocol or format, not a value the app uses',
      ],
    ]);
  });

  it('a typed password compared with a string resource (in a local, decoded or not, or read in place) is high; a typed word compared with a label, or a PIN read under a key a resource names, is not reported', async () => {
    const r = await audit({
      'app/src/main/res/values/strings.xml':
        '<resources>\n    <string name="backdoor">QkFDS0RPT1I=</string>\n    <string name="confirm_word">DELETE</string>\n</resources>\n',
      'app/src/main/java/a/LoginActivity.java':
        'class LoginActivity {\n' +
        '    boolean valid(String enteredPassword) {\n' +
        '        String shortcut = getString(R.string.backdoor);\n' +
        '        byte[] bytes = Base64.decode(shortcut, Base64.DEFAULT);\n' +
        '        shortcut = new String(bytes);\n' +
        '        return enteredPassword.equals(shortcut);\n' +
        '    }\n}\n',
      'app/src/main/java/a/PinActivity.java':
        'class PinActivity {\n' +
        '    boolean ok() {\n' +
        '        String pin = pinInput.getText().toString();\n' +
        '        String master = getString(R.string.master_pin);\n' +
        '        return pin.equals(master);\n' +
        '    }\n}\n',
      'app/src/main/java/a/AdminActivity.java':
        'class AdminActivity {\n' +
        '    boolean ok(String enteredPin) {\n' +
        '        return enteredPin.equals(getResources().getString(R.string.admin_pin));\n' +
        '    }\n}\n',
      'app/src/main/java/a/NotesActivity.java':
        'class NotesActivity {\n' +
        '    boolean ok() {\n' +
        '        String pin = prefs.getString(getString(R.string.pkey), "");\n' +
        '        String userpin = pinTxt.getText().toString();\n' +
        '        return userpin.equals(pin);\n' +
        '    }\n}\n',
      'app/src/main/java/a/DeleteActivity.java':
        'class DeleteActivity {\n' +
        '    boolean ok(String enteredWord) {\n' +
        '        String word = getString(R.string.confirm_word);\n' +
        '        return enteredWord.equals(word);\n' +
        '    }\n}\n',
    });
    expect(judged(r, 'secret-hardcoded-comparison')).toEqual([
      ['app/src/main/java/a/AdminActivity.java:3', 'high', undefined],
      ['app/src/main/java/a/LoginActivity.java:6', 'high', undefined],
      ['app/src/main/java/a/PinActivity.java:5', 'high', undefined],
    ]);
    expect(
      of(r, 'secret-hardcoded-comparison').find((f) => f.file.endsWith('LoginActivity.java'))?.message,
    ).toMatch(/string resource backdoor \(decoded at run time\)/);
    expect(
      of(r, 'secret-hardcoded-comparison').find((f) => f.file.endsWith('PinActivity.java'))?.message,
    ).not.toMatch(/decoded/);
  });
});

describe('known misses: console calls of JavaScript, Swift Logger with privacy: .public', () => {
  it('a secret given to console.log in the app is written to the log; a message about it, a flag, an id, a comment, __DEV__, a minified line and a bundle are not', async () => {
    const minified = `!function(){var a=1;${'b=a+1;'.repeat(200)}console.log("cookie",prefCookie)}();\n`;
    const r = await audit({
      'src/api/session.js':
        "export function save(token, user) {\n  console.log('saved token', token);\n  console.log(`Saved password for ${user.name}`);\n" +
        '  console.warn("login", { password });\n  // console.log(token)\n  if (__DEV__) console.log(token);\n}\n',
      'src/lib/push.ts':
        "console.log('[push] failed to register push token:', e);\nconsole.debug(`push ${pushToken}`);\n" +
        "console.log('has token', !!pushToken, hasSession);\nconsole.log(`asset ${tokenId} ${fioTokenCode}`);\n" +
        '/* debug:\n  console.log({ privateKey, tweak });\n*/\n',
      'src/lib/vendor.js': minified,
      'android/app/src/main/assets/index.android.bundle.js': `${'// filler\n'.repeat(30000)}console.log(token);\n`,
      'e2e/login.spec.ts': "console.log('password', password);\n",
      'scripts/makeHeaders.ts': 'console.log(apiKey)\n',
    });
    expect(judged(r, 'storage-secret-in-log')).toEqual([
      ['e2e/login.spec.ts:1', 'low', 'test code, not shipped'],
      [
        'scripts/makeHeaders.ts:1',
        'low',
        "a build or release script: it logs on a developer's or the CI's machine, not in the app",
      ],
      ['src/api/session.js:2', 'medium', undefined],
      ['src/api/session.js:4', 'medium', undefined],
      ['src/lib/push.ts:2', 'medium', undefined],
    ]);
  });

  it('a logged call is read by whole names: a getter gives the value it names, a call cut short by a letter is no value', async () => {
    const r = await audit({
      'app/src/main/java/a/Feed.java':
        'class Feed {\n' +
        '  void show() {\n' +
        '    Log.d(TAG, "Author is " + feed.getAuthor());\n' +
        '    Log.i(TAG, "mode " + getAuthTypeName(authType));\n' +
        '    Timber.i("size " + acct.getCredentials().getAuthToken().length());\n' +
        '    Log.e(TAG, String.valueOf(entry.getPrivateKey().getEncoded()));\n' +
        '    Log.d(TAG, "user " + user.getPassword());\n' +
        '  }\n}\n',
    });
    expect(of(r, 'storage-secret-in-log').map((f) => [f.line, f.evidence])).toEqual([
      [6, 'PrivateKey'],
      [7, 'Password'],
    ]);
  });

  it('a secret interpolated with privacy: .public into a Swift Logger message is found; the default (private) and other strings are not', async () => {
    const r = await audit({
      'App/Auth.swift':
        'import os\nlet logger = Logger(subsystem: "app", category: "auth")\n' +
        'func signedIn(token: String, user: String) {\n' +
        '    logger.info("token \\(token, privacy: .public) for \\(user, privacy: .public)")\n' +
        '    logger.debug("token \\(token)")\n' +
        '    Logger.auth.error("refresh failed: \\(refreshToken, privacy: .private)")\n' +
        '    let label = "\\(password, privacy: .public)"\n' +
        '    os_log("%{public}@", log: .default, "\\(apiSecret, privacy: .public)")\n' +
        '}\n',
    });
    expect(judged(r, 'storage-secret-in-log')).toEqual([
      ['App/Auth.swift:4', 'medium', undefined],
      ['App/Auth.swift:8', 'medium', undefined],
    ]);
  });
});

describe('a ninth held-out set: cipher names, Ktor env references, env templates, seeds in variables, logged literals, decoded secrets', () => {
  it("a cipher transformation under a passphrase's name is no secret; a random value under that name stays high", async () => {
    const r = await audit({
      'android/app/src/main/java/a/Constants.kt':
        'object Constants {\n' +
        '    const val PARANOIA_PASSPHRASE_CIPHER_ALGORITHM = "AES/CBC/PKCS7Padding"\n' +
        '    const val PASSWORD_KDF = "PBKDF2WithHmacSHA256"\n' +
        '    const val PARANOIA_PASSPHRASE = "q8Zr2kLm9Xw4vT7b"\n}\n',
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['android/app/src/main/java/a/Constants.kt:4', 'high', undefined],
    ]);
  });

  it("Ktor's $NAME: reference to an environment variable is no secret; a secret-like default after it stays high", async () => {
    const r = await audit({
      'backend/src/main/resources/application.yaml':
        'database:\n    user: "$DB_USERNAME:"\n    password: "$DB_PASSWORD:"\nservice:\n    secret: "$ADMIN_SECRET:test"\n' +
        'cache:\n    password: "$CACHE_PASSWORD:Vq7rZ2xK9mLp4TbW"\n',
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['backend/src/main/resources/application.yaml:7', 'high', undefined],
    ]);
  });

  it('a template of an env file (.env.dev.example) is set aside with its reason; the .env itself is not', async () => {
    const line = 'PROVIDER_CLIENT_SECRET=a7yM0xyVEp1ru8cJxTXv\n';
    const r = await audit({ '.env.dev.example': line, 'config/.env.example': line, '.env.dev': line });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['.env.dev:1', 'high', undefined],
      [
        '.env.dev.example:1',
        'low',
        'a demo or template copy of a configuration, for builds without the real one',
      ],
      [
        'config/.env.example:1',
        'low',
        'a demo or template copy of a configuration, for builds without the real one',
      ],
    ]);
  });

  it("a SecureRandom seeded with a variable holding a constant is found; one seeded with the clock's variable is not", async () => {
    const r = await audit({
      'app/src/main/java/a/Login.java': [
        'class Login {',
        '  void key() throws Exception {',
        '    byte[] keyStart = "s3cr3t".getBytes();',
        '    KeyGenerator kgen = KeyGenerator.getInstance("AES");',
        '    SecureRandom sr = SecureRandom.getInstance("SHA1PRNG");',
        '    sr.setSeed(keyStart);',
        '    kgen.init(128, sr);',
        '  }',
        '  void fine() {',
        '    long now = System.nanoTime();',
        '    SecureRandom other = new SecureRandom();',
        '    other.setSeed(now);',
        '  }',
        '}',
      ].join('\n'),
    });
    expect(judged(r, 'crypto-insecure-random')).toEqual([
      ['app/src/main/java/a/Login.java:6', 'medium', undefined],
    ]);
  });

  it('a credential logged as a literal under a tag naming it is found; a sentence under that tag, or a pair under another tag, is not', async () => {
    const r = await audit({
      'app/src/main/java/a/LoginActivity.java': [
        'class LoginActivity {',
        '  void onCreate() {',
        '    Log.d("Credentials", "foo@example.com:hellouu");',
        '    Log.d("Credentials", "loaded from the key store");',
        '    Log.d("Layout", "width=320");',
        '  }',
        '}',
      ].join('\n'),
    });
    expect(judged(r, 'storage-secret-in-log')).toEqual([
      ['app/src/main/java/a/LoginActivity.java:3', 'medium', undefined],
    ]);
  });

  it('a secret decoded at run time from a literal is found; a decoded label, or a secret read at run time, is not', async () => {
    const r = await audit({
      'app/src/main/java/a/CredentialsLoader.java': [
        'class CredentialsLoader {',
        '  private static final String OBFUSCATED_PASSWORD = "\\u0017 2\\u00174/44\'\\u0006066::9";',
        '  private static final String OBFUSCATED_USERNAME = "418<;";',
        '  static User user() {',
        '    String username = deobfuscate(OBFUSCATED_USERNAME);',
        '    String password = deobfuscate(OBFUSCATED_PASSWORD);',
        '    String passwordHint = deobfuscate("Y29sb3Vy");',
        '    String token = decrypt(prefs.getString("token", ""));',
        '    return new User(username, password);',
        '  }',
        '}',
      ].join('\n'),
      'app/src/main/java/a/AppConstants.java': [
        'class AppConstants {',
        '  void init() {',
        '    Map<String, String> config = new HashMap<>();',
        '    config.put("cloud_name", s.H("?\\u0014.\\b\\"??,_*"));',
        '    config.put("api_secret", s.H("\\u0004\\u001Fl\\u0002:\\u001Do\\"815(+18"));',
        '    config.put("api_key", s.H("i[n_j[lYlYmZc]c"));',
        '  }',
        '}',
      ].join('\n'),
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['app/src/main/java/a/AppConstants.java:5', 'high', undefined],
      ['app/src/main/java/a/CredentialsLoader.java:6', 'high', undefined],
    ]);
  });

  it("a key store given as an environment variable's fallback with a password written as one is medium; one without a written password stays high", async () => {
    const gradle = [
      'android {',
      '    signingConfigs {',
      '        create("release") {',
      '            storeFile = file(System.getenv("KEYSTORE_PATH") ?: "../keystores/release_keystore.keystore")',
      '            storePassword = System.getenv("KEYSTORE_PASSWORD") ?: "mifos1234"',
      '            keyAlias = System.getenv("KEYSTORE_ALIAS") ?: "mifos"',
      '        }',
      '        create("nightly") {',
      '            storeFile = file(System.getenv("NIGHTLY_PATH") ?: "../keystores/nightly.keystore")',
      '            storePassword = System.getenv("NIGHTLY_PASSWORD")',
      '        }',
      '    }',
      '}',
      '',
    ].join('\n');
    const r = await audit({
      'app/build.gradle.kts': gradle,
      'keystores/release_keystore.keystore': jks(['key']),
      'keystores/nightly.keystore': jks(['key']),
    });
    expect(judged(r, 'secret-private-key').map(([f, s]) => [f, s])).toEqual([
      ['keystores/nightly.keystore:', 'high'],
      ['keystores/release_keystore.keystore:', 'medium'],
    ]);
  });

  it("the Secrets Gradle Plugin's defaults file is set aside with its reason; the same value in the app's properties is not", async () => {
    const line = 'GEO_API_KEY=Zq8LmSyAZTZqvDGyyw21z2Ee7N-dE_WuZQwKL0\n';
    const r = await audit({ 'secrets.defaults.properties': line, 'app/config.properties': line });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['app/config.properties:1', 'high', undefined],
      [
        'secrets.defaults.properties:1',
        'low',
        'a demo or template copy of a configuration, for builds without the real one',
      ],
    ]);
  });
});

describe('an eighth held-out set: Rust test modules, self-tests, extras, lint baselines, env(), Fabric', () => {
  const KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACCzPq7zfqLffKoBDe/eo04kH2XxtSmk9D7RQyf1xUqrYgAAAJgAIAxdACAM\n-----END OPENSSH PRIVATE KEY-----`;

  it("a key in a Rust file's #[cfg(test)] module is test code; one above it, or in a module the crate goes on after, is not", async () => {
    const r = await audit({
      'crates/ssh/src/import.rs': `pub fn parse(s: &str) {}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n    const K: &str = "${KEY.replace(/\n/g, '\\n')}";\n    #[test]\n    fn parses() { if true { parse(K); } }\n}\n`,
      'crates/ssh/src/keys.rs': `const K: &str = "${KEY.replace(/\n/g, '\\n')}";\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n`,
      'crates/ssh/src/mixed.rs': `#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n\npub const K: &str = "${KEY.replace(/\n/g, '\\n')}";\n`,
    });
    expect(judged(r, 'secret-private-key')).toEqual([
      ['crates/ssh/src/import.rs:6', 'low', 'test code, not shipped'],
      ['crates/ssh/src/keys.rs:1', 'critical', undefined],
      ['crates/ssh/src/mixed.rs:7', 'critical', undefined],
    ]);
  });

  it('a smoke test or self-test file is set aside with its reason; a crypto file of the app is not', async () => {
    const value = `private const val KEY = """${KEY}"""\n`;
    const r = await audit({
      'util/crypto/src/desktopMain/kotlin/NativeCryptoDesktopSmoke.kt': value,
      'ios/App/CryptoSelfTest.swift': value.replace('private const val', 'let').replace(/"""/g, '"""\n'),
      'util/crypto/src/desktopMain/kotlin/NativeCrypto.kt': value,
    });
    expect(
      judged(r, 'secret-private-key').map(([file, severity, reason]) => [
        file.replace(/:.*/, ''),
        severity,
        reason,
      ]),
    ).toEqual([
      ['ios/App/CryptoSelfTest.swift', 'low', 'a smoke test or self-test (sample inputs)'],
      ['util/crypto/src/desktopMain/kotlin/NativeCrypto.kt', 'critical', undefined],
      [
        'util/crypto/src/desktopMain/kotlin/NativeCryptoDesktopSmoke.kt',
        'low',
        'a smoke test or self-test (sample inputs)',
      ],
    ]);
  });

  it('putString with the key of a Bundle extra is no preference; a password put in SharedPreferences stays', async () => {
    const r = await audit({
      'app/src/main/java/a/PasskeyCreate.kt':
        'val response = CreatePasswordResponse().apply {\n' +
        '    this.data.putString("androidx.credentials.BUNDLE_KEY_ID", data.id)\n' +
        '    this.data.putString("androidx.credentials.BUNDLE_KEY_PASSWORD", data.password)\n' +
        '    payload.putString(EXTRA_PASSWORD, data.password)\n}\n',
      'app/src/main/java/a/Login.kt':
        'val prefs = context.getSharedPreferences("login", 0)\nprefs.edit().putString("password", password).apply()\n',
    });
    expect(judged(r, 'storage-secret-in-preferences').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/java/a/Login.kt:2', 'high'],
    ]);
  });

  it("a lint baseline's quotation of code is no assignment; the same line in the code is judged where it is", async () => {
    const line =
      'private const val lifetimeToken = "KG2A.AgBEMhTHQlS2NdAS__8.BeXEYQf63KWXTca_xvHTgQuR1BNqNKA6"';
    const r = await audit({
      'config/detekt/baseline/common.xml': `<SmellBaseline><CurrentIssues><ID>TopLevelPropertyNaming:Kg2Decoder.kt:${line.replace(/"/g, '&quot;')}</ID></CurrentIssues></SmellBaseline>\n`,
      'app/lint-baseline.xml': `<issues><issue id="HardcodedText" message="${line.replace(/"/g, '&quot;')}"/></issues>\n`,
      'common/src/main/kotlin/Kg2Decoder.kt': `${line}\n`,
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['common/src/main/kotlin/Kg2Decoder.kt:1', 'high'],
    ]);
  });

  it('an env(NAME) reference in a TOML configuration is no secret; a literal beside it stays high', async () => {
    const r = await audit({
      'supabase/config.toml':
        '[storage]\ns3_access_key = "env(S3_ACCESS_KEY)"\ns3_secret_key = "env(S3_SECRET_KEY)"\n',
      'backend/config.toml': '[storage]\ns3_secret_key = "Qm7vX2pLr9TzK4wN"\n',
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['backend/config.toml:2', 'high'],
    ]);
  });

  it("Fabric's API key in an Info.plist is an ingest key (medium); another APIKey stays high", async () => {
    const plist = (sdk: string) =>
      `<?xml version="1.0"?>\n<plist version="1.0"><dict>\n<key>${sdk}</key>\n<dict>\n<key>APIKey</key>\n<string>f1fad9d488bbe6a5a5434d2511423aae3aa653d2</string>\n</dict>\n</dict></plist>\n`;
    const r = await audit({ 'ios/A/Info.plist': plist('Fabric'), 'ios/B/Info.plist': plist('Payments') });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['ios/A/Info.plist:5', 'medium'],
      ['ios/B/Info.plist:5', 'high'],
    ]);
  });
});

describe('a seventh held-out set: mangled URIs, lock files, fakes', () => {
  it('a scheme name before the colon is a mangled URI, not a user; real credentials in a URL stay high', async () => {
    const r = await audit({
      'lib/util/urls.dart':
        '/// so `mailto:a@b.com` is not mangled into `https://mailto:a@b.com`.\n' +
        "const tel = 'http://tel:5551234@dial.example.org';\n",
      'lib/net/client.dart': "const feed = 'https://reader:Vt7qLm29xKpd@feeds.acme-news.io/rss';\n",
    });
    expect(judged(r, 'secret-url-credentials')).toEqual([['lib/net/client.dart:1', 'high', undefined]]);
  });

  it('a package named like a secret in a lock file or a manifest is no assignment; the same name with a secret stays high', async () => {
    const r = await audit({
      'yarn.lock':
        'licenses@0.1.0:\n  dependencies:\n    password-prompt: "npm:^1.0.4"\n    secret-handshake: "npm:~2.3.1"\n',
      'pnpm-lock.yaml': "packages:\n  /token-types@5.0.1:\n    token-types: '5.0.1'\n",
      'package.json':
        '{ "dependencies": { "password-prompt": "^1.0.4", "jwt-secret-rotator": ">=2.0.0-rc.1" } }\n',
      'src/config.ts': "export const apiSecret = 'Zq8rNw4TyLx2Vb7m';\n",
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([['src/config.ts:1', 'high', undefined]]);
  });

  it("a fake account in a fake/ folder or a file named as a fake or a mock is lowered; the app's own file is not", async () => {
    const value = "const password = 'y7Q8mV4pLfUq';\n";
    const r = await audit({
      'src/util/fake-user.ts': value,
      'src/util/fake/userDump.ts': value,
      'ios/App/FakeAccount.swift': value,
      'lib/mock_login.dart': value,
      'src/util/faker-seed.ts': value,
      'src/util/user.ts': value,
    });
    const lowered = 'mock data (a fake backend for tests or a demo mode)';
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['ios/App/FakeAccount.swift:1', 'low', lowered],
      ['lib/mock_login.dart:1', 'low', lowered],
      ['src/util/fake-user.ts:1', 'low', lowered],
      ['src/util/fake/userDump.ts:1', 'low', lowered],
      ['src/util/faker-seed.ts:1', 'high', undefined],
      ['src/util/user.ts:1', 'high', undefined],
    ]);
  });
});

describe('a sixth held-out set: chain addresses, test utilities, labels, loopback CAs, <Target>-Info.plist', () => {
  it('an Ethereum address, or any value under a name ending in address, is no secret; a 32-byte private key of the same chain stays high', async () => {
    const r = await audit({
      'src/configs/envConfig.js': [
        'export default {',
        "  STAKING_TOKEN_ADDRESS: '0x0DC0f405Fb0a716E9C5A412cD2b6f0698Dc87210',",
        "  DEPLOYER_PRIVATE_KEY: '0x067D674A5D8D0DEBC0B02D4E5DB5166B3FA08384DCE50A574A0D0E370B4534F9',",
        "  REWARD_TOKEN_MINT_ADDRESS: 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v',",
        '};',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['src/configs/envConfig.js:3', 'high'],
    ]);
  });

  it('a testUtils/ folder and a Jest setup file are test code; a utils/ folder of the app is not', async () => {
    const mock =
      "const mockWallet = {\n  privateKey: '0x067D674A5D8D0DEBC0B02D4E5DB5166B3FA08384DCE50A574A0D0E370B4534F9',\n};\n";
    const r = await audit({
      'src/testUtils/jestSetup.js': mock,
      'src/test_helpers/wallet.ts': mock,
      'jest.setup.js': mock,
      'src/utils/wallet.js': mock,
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['jest.setup.js:2', 'low', 'test code, not shipped'],
      ['src/test_helpers/wallet.ts:2', 'low', 'test code, not shipped'],
      ['src/testUtils/jestSetup.js:2', 'low', 'test code, not shipped'],
      ['src/utils/wallet.js:2', 'high', undefined],
    ]);
  });

  it('a value that spells the end of its own name is a label; a passphrase that does not stays high', async () => {
    const r = await audit({
      'app/src/main/java/a/Operation.java': [
        'class Operation {',
        '  public static final String PASSPHRASE_FORMAT_NUMERIC9X4 = "numeric9x4";',
        '  public static final String BACKUP_PASSPHRASE = "k7Qz!x9Tm2Lp";',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/java/a/Operation.java:3', 'high'],
    ]);
  });

  it('user CAs trusted for localhost only are quiet; for a real host or the base-config they stay high', async () => {
    const nsc = (domain: string) =>
      `<?xml version="1.0" encoding="utf-8"?>\n<network-security-config>\n  <domain-config>\n    <domain includeSubdomains="true">${domain}</domain>\n    <trust-anchors>\n      <certificates src="user" />\n    </trust-anchors>\n  </domain-config>\n</network-security-config>\n`;
    const r = await audit({
      'a/src/main/res/xml/network_security_config.xml': nsc('localhost'),
      'b/src/main/res/xml/network_security_config.xml': nsc('127.0.0.1'),
      'c/src/main/res/xml/network_security_config.xml': nsc('api.acme.example'),
    });
    expect(judged(r, 'android-nsc-user-certs').map(([f, s]) => [f, s])).toEqual([
      ['c/src/main/res/xml/network_security_config.xml:6', 'high'],
    ]);
  });

  it('a test source set named after a variant (androidTestGoogleplay, testGoogleplayRelease) is test code; a flavour named otherwise is not', async () => {
    const token = 'val purchaseToken = "ciogggalpbohflhmjamciehl.AO-J1OyjBpBOnwKCOBSN0Cil7yM65ZYnk"\n';
    const r = await audit({
      'app/src/androidTestGoogleplay/java/a/InventoryTest.kt': token,
      'app/src/testGoogleplayRelease/java/a/BillingTest.kt': token,
      'app/src/googleplay/java/a/Billing.kt': token,
    });
    expect(judged(r, 'secret-generic-assignment')).toEqual([
      ['app/src/androidTestGoogleplay/java/a/InventoryTest.kt:1', 'low', 'test code, not shipped'],
      ['app/src/googleplay/java/a/Billing.kt:1', 'high', undefined],
      ['app/src/testGoogleplayRelease/java/a/BillingTest.kt:1', 'low', 'test code, not shipped'],
    ]);
  });

  it('a package name in a lock file is no secret; a token in a registry URL there is still found, and the same name in the app is a guess', async () => {
    const r = await audit({
      'yarn.lock':
        'sudo-prompt@^8.2.0:\n  dependencies:\n    password-prompt: "npm:^1.0.4x9Qz"\n  resolved "https://ci:Zx81kQv0pLm3@registry.acme.io/sudo-prompt.tgz"\n',
      'src/config.js': 'export const passwordPrompt = "npm:^1.0.4x9Qz";\n',
    });
    expect(judged(r, 'secret-generic-assignment').map(([f]) => f)).toEqual(['src/config.js:1']);
    expect(judged(r, 'secret-url-credentials').map(([f]) => f)).toEqual(['yarn.lock:4']);
  });

  it('ATS off in a <Target>-Info.plist is found as in an Info.plist; GoogleService-Info.plist is not read as one', async () => {
    const ats =
      '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n\t<key>NSAppTransportSecurity</key>\n\t<dict>\n\t\t<key>NSAllowsArbitraryLoads</key>\n\t\t<true/>\n\t</dict>\n</dict>\n</plist>\n';
    const r = await audit({
      'iGoat/iGoat/iGoat-Info.plist': ats,
      'openHAB/Info.plist': ats,
      'openHAB/GoogleService-Info.plist': ats,
    });
    expect(judged(r, 'ios-ats-arbitrary-loads').map(([f, s]) => [f, s])).toEqual([
      ['iGoat/iGoat/iGoat-Info.plist:6', 'high'],
      ['openHAB/Info.plist:6', 'high'],
    ]);
  });
});

describe('a sixth held-out set, misses: keys through helpers and constants, XOR with a string, Dart ciphers and logs, SQLite binds', () => {
  it('a literal given to a helper that hashes it into a SecretKeySpec is a hard-coded key; a helper that loads a key by alias is not', async () => {
    const r = await audit({
      'app/src/main/java/a/Contacts.java': [
        'class Contacts {',
        '  private static String AES = "AES";',
        '  static String encrypt(String data) throws Exception {',
        '    SecretKeySpec key = generateKey("secretKey");',
        '    Cipher cipher = Cipher.getInstance(AES);',
        '    cipher.init(Cipher.ENCRYPT_MODE, key);',
        '    return new String(cipher.doFinal(data.getBytes()));',
        '  }',
        '  static SecretKeySpec generateKey(String secretKey) throws Exception {',
        '    MessageDigest digest = MessageDigest.getInstance("SHA-256");',
        '    byte[] bytes = secretKey.getBytes("UTF-8");',
        '    digest.update(bytes, 0, bytes.length);',
        '    return new SecretKeySpec(digest.digest(), "AES");',
        '  }',
        '}',
        '',
      ].join('\n'),
      'app/src/main/java/a/Vault.java': [
        'class Vault {',
        '  private static final String MODE = "AES/GCM/NoPadding";',
        '  byte[] seal(byte[] data) throws Exception {',
        '    SecretKey key = loadKey("vault_key_alias");',
        '    Cipher cipher = Cipher.getInstance(MODE);',
        '    cipher.init(Cipher.ENCRYPT_MODE, key);',
        '    return cipher.doFinal(data);',
        '  }',
        '  SecretKey loadKey(String alias) throws Exception {',
        '    KeyStore ks = KeyStore.getInstance("AndroidKeyStore");',
        '    ks.load(null);',
        '    return (SecretKey) ks.getKey(alias, null);',
        '  }',
        '  SecretKeySpec wrap(byte[] raw) { return new SecretKeySpec(raw, "AES"); }',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'crypto-hardcoded-key').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/java/a/Contacts.java:4', 'high'],
    ]);
    expect(judged(r, 'crypto-ecb-mode').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/java/a/Contacts.java:5', 'high'],
    ]);
  });

  it('an XOR with the bytes of a string constant is found in Objective-C, C, Swift and Dart; an XOR with a table or with input is not', async () => {
    const r = await audit({
      'iGoat/Photo/PhotoVC.m': [
        '- (NSString *)thePw {',
        '    char xored[] = {0x5e, 0x42, 0x56, 0x5a};',
        '    char key[] = "1234567890";',
        '    char pw[20] = {0};',
        '    for (int i = 0; i < sizeof(xored); i++) {',
        '        pw[i] = xored[i] ^ key[i % sizeof(key)];',
        '    }',
        '    return [NSString stringWithUTF8String:pw];',
        '}',
        '- (void)transform:(NSData *)input {',
        '    NSString* secret = @"iGoat";',
        '    unsigned char* pBytesInput = (unsigned char*)[input bytes];',
        '    unsigned char* pBytesKey = (unsigned char*)[[secret dataUsingEncoding:NSUTF8StringEncoding] bytes];',
        '    for (unsigned int v = 0; v < 8; v++) { pBytesInput[v] = pBytesInput[v] ^ pBytesKey[v % 5]; }',
        '}',
        '',
      ].join('\n'),
      'Sources/Obfuscator.swift': [
        'func reveal(_ data: [UInt8]) -> [UInt8] {',
        '    let salt: [UInt8] = Array("n0t-s0-s3cret".utf8)',
        '    return data.enumerated().map { $0.element ^ salt[$0.offset % salt.count] }',
        '}',
        '',
      ].join('\n'),
      'lib/obfuscate.dart': [
        "const _k = 'flutter-key';",
        'String xor(String s) {',
        '  return String.fromCharCodes(',
        '      List.generate(s.length, (i) => s.codeUnitAt(i) ^ _k.codeUnitAt(i % _k.length)));',
        '}',
        '',
      ].join('\n'),
      'app/src/main/cpp/native-lib.cpp': [
        "    char key[5] = {'M', 'A', 'D'};",
        '    string output = "win";',
        '    for (int i = 0; i < output.size(); i++) {',
        '        output[i] = output[i] ^ key[i % (sizeof(key) / sizeof(char))];',
        '    }',
        '',
      ].join('\n'),
      'src/crc.c': [
        'static const unsigned int table[256] = { 0x00000000, 0x77073096 };',
        'unsigned int crc(const char *msg, int n) {',
        '    const char *prefix = "v1";',
        '    unsigned int c = 0xffffffff;',
        '    for (int i = 0; i < n; i++) c = table[(c ^ msg[i]) & 0xff] ^ (c >> 8);',
        '    return c;',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'crypto-hardcoded-key').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/cpp/native-lib.cpp:4', 'high'],
      ['iGoat/Photo/PhotoVC.m:14', 'high'],
      ['iGoat/Photo/PhotoVC.m:6', 'high'],
      ['lib/obfuscate.dart:4', 'high'],
      ['Sources/Obfuscator.swift:3', 'high'],
    ]);
    // The data written back (`output[i] = output[i] ^ …`) is not taken for the key.
    expect(of(r, 'crypto-hardcoded-key').find((f) => f.file.endsWith('native-lib.cpp'))?.message).toMatch(
      /^key \(/,
    );
  });

  it('Dart ciphers: a literal key and IV, an all-zero IV and ECB are found; random keys and IVs are not, unpadded ECB is medium', async () => {
    const r = await audit({
      'lib/bugs/static.dart': [
        "import 'package:encrypt/encrypt.dart';",
        "const _iv = 'abcdefghijklmnop';",
        'String run(String text) {',
        "  final key = Key.fromUtf8('my32lengthsupersecretnooneknows1');",
        '  final iv = IV.fromUtf8(_iv);',
        '  final zero = IV.fromLength(16);',
        '  final enc = Encrypter(AES(key, mode: AESMode.ecb));',
        '  return enc.encrypt(text, iv: iv).base64 + zero.base64;',
        '}',
        '',
      ].join('\n'),
      'lib/crypto/good.dart': [
        "import 'package:encrypt/encrypt.dart';",
        'String run(String text, String stored) {',
        '  final key = Key.fromSecureRandom(32);',
        '  final iv = IV.fromSecureRandom(16);',
        '  final other = Key.fromBase64(stored);',
        '  final enc = Encrypter(AES(key, mode: AESMode.gcm));',
        '  final raw = Encrypter(AES(other, mode: AESMode.ecb, padding: null));',
        '  return enc.encrypt(text, iv: iv).base64 + raw.algo.toString();',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'crypto-hardcoded-key').map(([f, s]) => [f, s])).toEqual([
      ['lib/bugs/static.dart:4', 'high'],
    ]);
    expect(judged(r, 'crypto-static-iv').map(([f, s]) => [f, s])).toEqual([
      ['lib/bugs/static.dart:5', 'medium'],
      ['lib/bugs/static.dart:6', 'medium'],
    ]);
    expect(judged(r, 'crypto-ecb-mode').map(([f, s]) => [f, s])).toEqual([
      ['lib/bugs/static.dart:7', 'high'],
      ['lib/crypto/good.dart:7', 'medium'],
    ]);
  });

  it('a token or password printed in Dart is written to the log; a message that only names a password is not', async () => {
    const r = await audit({
      'lib/auth/session.dart': [
        'void signedIn(String accessToken, String password) {',
        "  print('token: $accessToken');",
        "  debugPrint('wrong password, try again');",
        '  debugPrint(password);',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'storage-secret-in-log').map(([f, s]) => [f, s])).toEqual([
      ['lib/auth/session.dart:2', 'medium'],
      ['lib/auth/session.dart:4', 'medium'],
    ]);
  });

  it('a password bound into an SQLite row with the C API or set in a YapDatabase from Objective-C is found; a SQLCipher database keyed with PRAGMA key is not', async () => {
    const bind = [
      '- (void)store:(NSString *)username password:(NSString *)password {',
      '    sqlite3_stmt *stmt;',
      '    sqlite3_prepare_v2(db, "INSERT INTO creds(username, password) VALUES(?, ?)", -1, &stmt, NULL);',
      '    sqlite3_bind_text(stmt, 1, [username UTF8String], -1, SQLITE_TRANSIENT);',
      '    sqlite3_bind_text(stmt, 2, [password UTF8String], -1, SQLITE_TRANSIENT);',
      '}',
      '',
    ].join('\n');
    const r = await audit({
      'App/Local/LocalStorage.m': bind,
      'App/Keyed/KeyedStorage.m': `// keyed\nstatic const char *k = "PRAGMA key = 'x'";\n${bind}`,
      'sqlite/ext/userauth/userauth.c':
        'static int check(sqlite3 *db) {\n  sqlite3_bind_text(pStmt, 2, db->auth.zAuthUser, -1, SQLITE_STATIC);\n  return 0;\n}\n',
      'App/Yap/YapVC.m': [
        'static NSString *const YapKeyPassword = @"YapKeyPassword";',
        '- (void)save {',
        '    [self.connection readWriteWithBlock:^(YapDatabaseReadWriteTransaction *transaction) {',
        '        [transaction setObject:self.passwordField.text forKey:YapKeyPassword inCollection:@"app"];',
        '    }];',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'storage-secret-in-preferences').map(([f, s]) => [f, s])).toEqual([
      ['App/Local/LocalStorage.m:5', 'high'],
      ['App/Yap/YapVC.m:4', 'high'],
    ]);
  });
});

describe('an eleventh held-out set: library test packages, messages/ folders, file checksums, Sentry DSNs, client tokens, local stacks, GIF keys, meta-data passwords, logged constants', () => {
  const KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACCzPq7zfqLffKoBDe/eo04kH2XxtSmk9D7RQyf1xUqrYgAAAJgAIAxdACAM\n-----END OPENSSH PRIVATE KEY-----`;

  it("a key in a testing package inside a library's jar is that library's test helper; one in another package of the jar is not", async () => {
    const jar = Buffer.from(
      zipSync({
        'com/acme/http/testing/webtoken/TestCertificates.class': Buffer.from(
          `\u00ca\u00fe\u00ba\u00be${KEY}\n`,
          'latin1',
        ),
        'com/acme/http/auth/Signer.class': Buffer.from(`\u00ca\u00fe\u00ba\u00be${KEY}\n`, 'latin1'),
      }),
    );
    const r = await audit({ 'libs/acme-http-1.0.jar': jar });
    expect(judged(r, 'secret-private-key')).toEqual([
      ['libs/acme-http-1.0.jar!/com/acme/http/auth/Signer.class:1', 'critical', undefined],
      [
        'libs/acme-http-1.0.jar!/com/acme/http/testing/webtoken/TestCertificates.class:1',
        'low',
        'a library’s test helpers (a testing package inside its archive)',
      ],
    ]);
  });

  it('a locale file in a messages/ folder is a translation; a settings file there is not', async () => {
    const r = await audit({
      'messages/en.json': '{\n  "password-colon": "Password:",\n  "api-secret-label": "Secret9Label7x"\n}\n',
      'web/messages/pt-BR.json': '{\n  "password-colon": "Senha:"\n}\n',
      'messages/settings.json': '{\n  "password": "Kx9vQ2mLp4Zt"\n}\n',
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['messages/settings.json:2', 'high'],
    ]);
  });

  it("a file's digest under its path is a checksum (git-secret's mapping.cfg); the same digest under a dotted setting is judged", async () => {
    const digest = 'f681dfcfd467ec885ccbdf49e0a6dda4ecbd8aa670eb5c3465c589b7464bcb27';
    const r = await audit({
      '.gitsecret/paths/mapping.cfg': `internal/AuthKey_X1Y2Z3.p8:${digest}\ninternal/release-key.jks:${digest}\n`,
      'config/app.properties': `app.secret=${digest}\n`,
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['config/app.properties:1', 'high'],
    ]);
  });

  it('a Sentry DSN in its legacy public:secret form is no credential in a URL; other keys in a URL still are', async () => {
    const hex = (c: string) => `${c}0b9ab849bf4485beb4884adcc5be8`.padEnd(32, '3').slice(0, 32);
    const r = await audit({
      'index.js': [
        `Sentry.init({ dsn: 'https://${hex('a')}:${hex('b')}@sentry.io/200469' });`,
        `Raven.config('https://${hex('c')}:${hex('d')}@errors.acme.org:9000/12').install();`,
        `const db = 'https://${hex('e')}:${hex('f')}@db.acme.org/data';`,
        "const api = 'https://admin:Kx9vQ2mLp4Zt@api.acme.org/v1';",
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-url-credentials').map(([f, s]) => [f, s])).toEqual([
      ['index.js:3', 'high'],
      ['index.js:4', 'high'],
    ]);
  });

  it('a client token (Facebook, Datadog) is meant to ship, in code and in a .env; a client secret is not', async () => {
    const r = await audit({
      '.env': 'FACEBOOK_APP_ID=325314560922421\nFACEBOOK_CLIENT_TOKEN=dbae1d5c0f4b7e2a9c3d6f8a1b2c4e5f\n',
      'src/config.ts': "export const facebook = { clientToken: 'dbae1d5c0f4b7e2a9c3d6f8a1b2c4e5f' };\n",
      'secret/.env':
        'FACEBOOK_APP_ID=325314560922421\nFACEBOOK_CLIENT_SECRET=dbae1d5c0f4b7e2a9c3d6f8a1b2c4e5f\n',
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['secret/.env:2', 'high'],
    ]);
    expect(judged(r, 'secret-dotenv-file')).toEqual([
      ['.env:', 'low', 'no variable in it is named as a secret (FACEBOOK_APP_ID, FACEBOOK_CLIENT_TOKEN)'],
      ['secret/.env:', 'high', undefined],
    ]);
  });

  it("the keys of a service whose address in the same .env is this machine are a local stack's (medium, with the reason); a remote service's stay high", async () => {
    const r = await audit({
      'supabase/functions/.env': [
        'S3_ENDPOINT=localhost:54321/storage/v1/s3',
        'S3_SECRET_ACCESS_KEY=850181e4652dd023b7a98c58ae0d2d34bd487ee0cc3254aed6eda37307425907',
        'API_SECRET=testsecret',
        'LANDING_URL=https://acme.app',
        '',
      ].join('\n'),
      'workers/.env.local': [
        'S3_ENDPOINT=host.docker.internal:9000',
        'S3_SECRET_ACCESS_KEY=CHANGEME123',
        'SUPABASE_URL=http://127.0.0.1:54321',
        'SUPABASE_SERVICE_ROLE_KEY=sb_secret_Q7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz',
        '',
      ].join('\n'),
      'deploy/.env': [
        'S3_ENDPOINT=https://s3.eu-west-1.amazonaws.com',
        'S3_SECRET_ACCESS_KEY=850181e4652dd023b7a98c58ae0d2d34bd487ee0cc3254aed6eda37307425907',
        'CACHE_URL=redis://localhost:6379',
        '',
      ].join('\n'),
    });
    const local = expect.stringContaining('this machine');
    expect(judged(r, 'secret-dotenv-file')).toEqual([
      ['deploy/.env:', 'high', undefined],
      ['supabase/functions/.env:', 'medium', local],
      ['workers/.env.local:', 'medium', local],
    ]);
    expect(
      of(r, 'secret-generic-assignment')
        .map((f) => [`${f.file}:${f.line}`, f.severity, /this machine/.test(f.message)])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual([
      ['deploy/.env:2', 'high', false],
      ['supabase/functions/.env:2', 'medium', true],
    ]);
  });

  it('the API key of a GIF search (GIPHY) is lowered with its reason; the same key under another block stays high', async () => {
    const r = await audit({
      'src/config/env.ts': [
        'export default {',
        '  giphy: {',
        "    apiKey: 'l2YStwkAmzBNWuFxe9',",
        '  },',
        '  billing: {',
        "    apiKey: 'q8YStwkAmzBNWuFxe7',",
        '  },',
        '};',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['src/config/env.ts:3', 'medium'],
      ['src/config/env.ts:6', 'high'],
    ]);
  });

  it("a password in an Android manifest's meta-data is found; a resource reference, a placeholder or another name is not", async () => {
    const r = await audit({
      'android/app/src/main/AndroidManifest.xml': [
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.acme.bank">',
        '  <application android:label="Bank">',
        '    <meta-data android:name="admin_password" android:value="admin123" />',
        '    <meta-data android:name="db_password" android:value="@string/db_password" />',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Gradle manifest placeholder, written as the manifest holds it
        '    <meta-data android:name="proxy_password" android:value="${proxyPassword}" />',
        '    <meta-data android:name="debug_endpoint" android:value="/debug/users" />',
        '    <meta-data android:name="password_min_length" android:value="12345678" />',
        '  </application>',
        '</manifest>',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['android/app/src/main/AndroidManifest.xml:3', 'high'],
    ]);
  });

  it('a constant holding a credential, logged, is found; a constant naming a preference key or a message is not', async () => {
    const r = await audit({
      'app/src/main/java/com/acme/Main.kt': [
        'class Main {',
        '  fun start() {',
        '    Log.d("Secrets", Secrets.HARDCODED_ADMIN_JWT)',
        '    Log.d(TAG, "saving " + PREF_PASSWORD)',
        '    Log.w(TAG, ERROR_WRONG_PASSWORD)',
        '    Log.i(TAG, "the ADMIN_TOKEN is not set")',
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'storage-secret-in-log').map(([f, s]) => [f, s])).toEqual([
      ['app/src/main/java/com/acme/Main.kt:3', 'medium'],
    ]);
  });

  it('an alphabet a token is drawn from is no token; a random value under the same name is, and a sorted password is', async () => {
    const r = await audit({
      'src/libs/share.ts': [
        "const SHARE_TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';",
        "const HEX_TOKEN_CHARS = '0123456789abcdef';",
        "const SHARE_TOKEN_SEED = 'Qm7xK2pL9vRt4Zc8Wn3s';",
        "const ADMIN_PASSWORD = 'abcdefghijk1';",
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-generic-assignment').map(([f, s]) => [f, s])).toEqual([
      ['src/libs/share.ts:3', 'high'],
      ['src/libs/share.ts:4', 'medium'],
    ]);
  });
});

describe('a thirteenth held-out set: _tests_ folders, #if DEBUG blocks, non-production flavours, self-naming labels', () => {
  const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  // An HMAC-signed token with a subject: a credential, high wherever the app ships it.
  const jwt = (n = 0) =>
    `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: `user-${4711 + n}`, exp: 1900000000 })}.${'Qk9XTEFSSy1URVNULVNJR05BVFVSRS0x'.repeat(2)}`;

  it('tests in folders wrapped in underscores (_tests_/, __test__/) are set aside; a folder that only ends so is not', async () => {
    const line = `let token = "${jwt()}"\n`;
    const r = await audit({
      'Sources/Scenes/QRScanner/_tests_/ParserTests.swift': line,
      'src/components/__test__/parser.js': line,
      'Sources/Scenes/my_tests_/Parser.swift': line,
    });
    expect(judged(r, 'secret-jwt')).toEqual([
      ['Sources/Scenes/my_tests_/Parser.swift:1', 'high', undefined],
      ['Sources/Scenes/QRScanner/_tests_/ParserTests.swift:1', 'low', 'test code, not shipped'],
      ['src/components/__test__/parser.js:1', 'low', 'test code, not shipped'],
    ]);
  });

  it('a token inside #if DEBUG or #if targetEnvironment(simulator) is lowered with its reason; on the release side of #else, under #if !DEBUG or an or-ed condition it stays high', async () => {
    const reason = 'debug or simulator builds only (inside #if DEBUG or #if targetEnvironment(simulator))';
    const r = await audit({
      'Sources/QRScannerViewModel.swift': [
        '#if targetEnvironment(simulator)', // 1
        'func fakeScan() {',
        '  #if DEBUG',
        `  parse("${jwt(1)}")`, // 4: debug
        '  #endif',
        '}',
        '#endif',
        '#if DEBUG && os(iOS)',
        `let debugToken = "${jwt(2)}"`, // 9: debug
        '#else',
        `let releaseToken = "${jwt(3)}"`, // 11: release
        '#endif',
        '#if !DEBUG',
        `let shipped = "${jwt(4)}"`, // 14: release
        '#else',
        `let notShipped = "${jwt(5)}"`, // 16: debug
        '#endif',
        '#if DEBUG || BETA',
        `let beta = "${jwt(6)}"`, // 19: beta builds ship to testers
        '#endif',
        `let always = "${jwt(7)}"`, // 21
        '',
      ].join('\n'),
      'Sources/Legacy/Config.m': [
        '#ifdef DEBUG',
        `static NSString *token = @"${jwt(8)}";`,
        '#endif',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'secret-jwt')).toEqual([
      ['Sources/Legacy/Config.m:2', 'low', reason],
      ['Sources/QRScannerViewModel.swift:11', 'high', undefined],
      ['Sources/QRScannerViewModel.swift:14', 'high', undefined],
      ['Sources/QRScannerViewModel.swift:16', 'low', reason],
      ['Sources/QRScannerViewModel.swift:19', 'high', undefined],
      ['Sources/QRScannerViewModel.swift:21', 'high', undefined],
      ['Sources/QRScannerViewModel.swift:4', 'low', reason],
      ['Sources/QRScannerViewModel.swift:9', 'low', reason],
    ]);
  });

  it("a flavour's override beside a production flavour is lowered when named for a development or test environment, medium when its name does not say; a store's flavour and the prod flavour's own stay high; in a module without one, an environment's is medium", async () => {
    const nsc = [
      '<?xml version="1.0" encoding="utf-8"?>',
      '<network-security-config>',
      '  <base-config cleartextTrafficPermitted="true" />',
      '</network-security-config>',
      '',
    ].join('\n');
    const manifest = [
      '<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.acme.health">',
      '  <application android:debuggable="true" android:allowBackup="false" />',
      '</manifest>',
      '',
    ].join('\n');
    const r = await audit({
      'app/src/prod/java/com/acme/health/debug/DebugFragment.java': 'class DebugFragment {}\n',
      'app/src/dev/res/xml/network_security_config.xml': nsc,
      'app/src/acceptance/AndroidManifest.xml': manifest,
      'app/src/logs/AndroidManifest.xml': manifest,
      'app/src/fdroid/AndroidManifest.xml': manifest,
      'app/src/prod/res/xml/network_security_config.xml': nsc,
      'app/src/devDebug/res/xml/network_security_config.xml': nsc,
      'wear/src/dev/res/xml/network_security_config.xml': nsc,
    });
    const env = (name: string) =>
      `a development or test environment's flavour (src/${name}, beside the module's src/prod)`;
    expect(judged(r, 'android-nsc-cleartext').map(([f, s, why]) => [f.replace(/:\d*$/, ''), s, why])).toEqual(
      [
        ['app/src/dev/res/xml/network_security_config.xml', 'low', env('dev')],
        [
          'app/src/devDebug/res/xml/network_security_config.xml',
          'low',
          'debug build only (Gradle source set src/devDebug)',
        ],
        ['app/src/prod/res/xml/network_security_config.xml', 'high', undefined],
        ['wear/src/dev/res/xml/network_security_config.xml', 'medium', undefined],
      ],
    );
    expect(of(r, 'android-nsc-cleartext').find((f) => f.file.startsWith('wear/'))?.message).toContain(
      '(medium: in the source set src/dev, named for a development or test environment; it ships only if that variant is published)',
    );
    expect(judged(r, 'android-debuggable').map(([f, s, why]) => [f.replace(/:\d*$/, ''), s, why])).toEqual([
      ['app/src/acceptance/AndroidManifest.xml', 'low', env('acceptance')],
      ['app/src/fdroid/AndroidManifest.xml', 'high', undefined],
      ['app/src/logs/AndroidManifest.xml', 'medium', undefined],
    ]);
    expect(of(r, 'android-debuggable').find((f) => f.file.includes('/logs/'))?.message).toContain(
      "(medium: in the flavour src/logs, beside the module's production flavour src/prod; it ships only if this flavour is published)",
    );
  });

  it("a missing pin is reported on the main source set's config, not on a development flavour's that is lowered", async () => {
    const nsc = [
      '<?xml version="1.0" encoding="utf-8"?>',
      '<network-security-config>',
      '  <base-config cleartextTrafficPermitted="false" />',
      '</network-security-config>',
      '',
    ].join('\n');
    const r = await audit({
      'app/src/main/AndroidManifest.xml':
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.acme.health"><application android:allowBackup="false" /></manifest>\n',
      'app/src/prod/java/com/acme/health/Flavour.java': 'class Flavour {}\n',
      'app/src/dev/res/xml/network_security_config.xml': nsc,
      'app/src/main/res/xml/network_security_config.xml': nsc,
    });
    expect(judged(r, 'android-nsc-no-pins')).toEqual([
      ['app/src/main/res/xml/network_security_config.xml:', 'medium', undefined],
    ]);
  });

  it('a key-named literal that spells its own name and is hashed with other input is lowered as a label; given to a cipher as it is, or not self-naming, it stays high', async () => {
    const hex = (s: string) => Buffer.from(s).toString('hex');
    const r = await audit({
      'app/src/main/java/com/acme/checkin/CheckInCrypto.kt': [
        'import javax.crypto.spec.SecretKeySpec',
        'class CheckInCrypto {',
        '  fun key(id: ByteArray) = ACME_ENCRYPTION_KEY.plus(id).toSHA256()',
        '  fun cipher() = SecretKeySpec(ACME_CIPHER_KEY, "AES")',
        '  fun other(id: ByteArray) = ACME_SECRET_KEY.plus(id).toSHA256()',
        '  companion object {',
        `    private val ACME_ENCRYPTION_KEY = "${hex('ACME-ENCRYPTION-KEY')}".decodeHex()`, // 7: a label
        `    private val ACME_CIPHER_KEY = "${hex('ACME-CIPHER-KEY')}".decodeHex()`, // 8: the key itself
        `    private val ACME_SECRET_KEY = "${hex('Zq8#kW2!pL5x')}".decodeHex()`, // 9: a secret, hashed
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    expect(judged(r, 'crypto-hardcoded-key')).toEqual([
      [
        'app/src/main/java/com/acme/checkin/CheckInCrypto.kt:7',
        'low',
        'a label that spells its own name ("ACME-ENCRYPTION-KEY"), not key material: a public domain-separation constant, mixed with other input',
      ],
      ['app/src/main/java/com/acme/checkin/CheckInCrypto.kt:8', 'high', undefined],
      ['app/src/main/java/com/acme/checkin/CheckInCrypto.kt:9', 'high', undefined],
    ]);
  });
  it('a key store whose password the repository gives on a Gradle command line is medium with its reason; one named with a password from a variable, or not named, stays high', async () => {
    const r = await audit({
      'REPRODUCIBLE_BUILDS.md': [
        '# Verify the build',
        '```shell',
        'docker run builder gradle assembleProdRelease -PkeystorePassword=securePassword -PkeyAliasPassword=securePassword -PkeystoreFile=build.keystore',
        'gradle assembleRelease -PkeystoreFile=release.keystore -PkeystorePassword=$KEYSTORE_PASSWORD',
        '```',
        '',
      ].join('\n'),
      'app/build.keystore': jks(['key']),
      'app/release.keystore': jks(['key']),
      'app/upload.keystore': jks(['key']),
    });
    expect(judged(r, 'secret-private-key').map(([f, s]) => [f, s])).toEqual([
      ['app/build.keystore:', 'medium'],
      ['app/release.keystore:', 'high'],
      ['app/upload.keystore:', 'high'],
    ]);
    expect(of(r, 'secret-private-key').find((f) => f.file === 'app/build.keystore')?.message).toContain(
      "the repository's own instructions or scripts give its password on a Gradle command line",
    );
  });
});
