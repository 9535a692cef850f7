/**
 * Classes of false findings measured on the thirty-first to thirty-third held-out sets of
 * bench/audit-corpus (native and cross-platform apps of areas not read before), each reproduced
 * by a small fixture written here, never an app's own code: the false finding is lowered with its
 * reason shown (or no longer found where nothing is wrong), and a look-alike on the other side of
 * the line keeps its verdict.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../src/audit/types.js';
import { seen, severitiesOf, type TreeAuditor, treeAuditor } from './lib/app-tree.js';
import { jks } from './lib/keystores.js';

let trees: TreeAuditor;

beforeAll(async () => {
  trees = await treeAuditor('bulwark-audit-heldout31-');
});
afterAll(() => trees.remove());

const audit = (files: Record<string, string | Uint8Array>): Promise<AuditReport> => trees.audit(files);

/** A PEM private key (PKCS #8, P-256), made once for the fixtures of this file. */
const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;

/** A network security config that permits cleartext to every host. */
const nsc =
  '<?xml version="1.0" encoding="utf-8"?>\n<network-security-config>\n  <base-config cleartextTrafficPermitted="true"/>\n</network-security-config>\n';

/** An app's manifest (a launcher activity), with `attrs` on its application element. */
const manifest = (attrs: string) =>
  `<?xml version="1.0" encoding="utf-8"?>\n<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="io.acme">\n  <application android:label="Acme"${attrs}>\n    <activity android:name=".Main" android:exported="true"><intent-filter><action android:name="android.intent.action.MAIN"/><category android:name="android.intent.category.LAUNCHER"/></intent-filter></activity>\n  </application>\n</manifest>\n`;

describe('a thirty-third held-out set: a client made in a file that also writes Core Data', () => {
  it('the password given to a network session the file makes is not a stored secret; one set on an object made in a context, or handed to Realm, is', async () => {
    const r = await audit({
      'App/Connection.m': [
        '- (MQTTSession *)newSession {',
        '    MQTTSession *session;',
        '    session = [[MQTTSession alloc] init];',
        '    session.userName = self.user;',
        '    session.password = self.pass;',
        '    Queue *queue = [NSEntityDescription insertNewObjectForEntityForName:@"Queue"',
        '                                                 inManagedObjectContext:moc];',
        '    queue.password = self.pass;',
        '    return session;',
        '}',
        '',
      ].join('\n'),
      'App/Store.swift': [
        'import RealmSwift',
        'func save() {',
        '    let realm = try! Realm()',
        '    let client = APIClient()',
        '    client.password = passwordField.text',
        '    let account = Account()',
        '    account.password = passwordField.text',
        '    try! realm.write { realm.add(account) }',
        '    let item = Item(context: viewContext)',
        '    item.secret = secretField.text',
        '}',
        '',
      ].join('\n'),
    });
    expect(seen(r, 'storage-secret-in-preferences')).toEqual([
      'App/Connection.m:8 high',
      'App/Store.swift:10 high',
      'App/Store.swift:7 high',
    ]);
  });
});

describe('a thirty-third held-out set: keys of a server stack started with Docker Compose', () => {
  it('a key file beside a Docker Compose file outside the root is medium with its reason; one below it, beside a root compose file, or in the app stays critical', async () => {
    const r = await audit({
      'docker-compose.yml': 'services:\n  api:\n    image: api\n',
      'server.key': pem,
      'util/mqtt-local/docker-compose.yaml': 'services:\n  mosquitto:\n    image: eclipse-mosquitto\n',
      'util/mqtt-local/rootCA-key.pem': pem,
      'util/mqtt-local/certs/broker.key': pem,
      'util/mqtt-local/Config.java': `class Config { static final String KEY = """\n${pem}"""; }\n`,
      'app/src/main/assets/client.pem': pem,
    });
    expect(severitiesOf(r, 'secret-private-key')).toEqual([
      ['app/src/main/assets/client.pem', 'critical'],
      ['server.key', 'critical'],
      ['util/mqtt-local/certs/broker.key', 'critical'],
      ['util/mqtt-local/Config.java', 'critical'],
      ['util/mqtt-local/rootCA-key.pem', 'medium'],
    ]);
    expect(r.findings.find((f) => f.file === 'util/mqtt-local/rootCA-key.pem')?.message).toContain(
      'a key file of the server stack that the Docker Compose file in mqtt-local/ starts',
    );
  });
});

describe('a thirty-third held-out set: stale copies of an Info.plist', () => {
  const plist = (arbitrary: boolean) =>
    [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<plist version="1.0"><dict>',
      '<key>NSAppTransportSecurity</key>',
      `<dict><key>NSAllowsArbitraryLoads</key><${arbitrary}/></dict>`,
      '</dict></plist>',
      '',
    ].join('\n');
  const project = (infoPlist: string) =>
    `/* Begin XCBuildConfiguration section */\n\t\tA1 /* Release */ = {\n\t\t\tbuildSettings = {\n\t\t\t\tINFOPLIST_FILE = "${infoPlist}";\n\t\t\t\t"INFOPLIST_FILE[sdk=*]" = "${infoPlist}";\n\t\t\t};\n\t\t};\n`;

  it('a copy no target reads, beside the one the Xcode project names, is medium with its reason; the named one, and a plist of a project that names none of its name, keep their verdict', async () => {
    const r = await audit({
      'App/App.xcodeproj/project.pbxproj': project('App/Base.lproj/App-Info.plist'),
      'App/App/Base.lproj/App-Info.plist': plist(true),
      'App/App/sv-SE.lproj/App-Info.plist': plist(true),
      'Other/Other.xcodeproj/project.pbxproj': project('$(SRCROOT)/Other/Info.plist'),
      'Other/Other/Info.plist': plist(true),
      'Other/Widget/Widget-Info.plist': plist(true),
    });
    expect(severitiesOf(r, 'ios-ats-arbitrary-loads')).toEqual([
      ['App/App/Base.lproj/App-Info.plist', 'high'],
      ['App/App/sv-SE.lproj/App-Info.plist', 'medium'],
      ['Other/Other/Info.plist', 'high'],
      ['Other/Widget/Widget-Info.plist', 'high'],
    ]);
    expect(r.findings.find((f) => f.severity === 'medium')?.message).toContain(
      'a copy no target reads; the targets of App.xcodeproj read other files of this name, such as Base.lproj/App-Info.plist',
    );
  });

  it('with no Xcode project in the tree every Info.plist keeps its verdict', async () => {
    const r = await audit({
      'ios/Runner/Info.plist': plist(true),
      'ios/Runner/fr.lproj/Info.plist': plist(true),
    });
    expect(severitiesOf(r, 'ios-ats-arbitrary-loads')).toEqual([
      ['ios/Runner/fr.lproj/Info.plist', 'high'],
      ['ios/Runner/Info.plist', 'high'],
    ]);
  });
});

describe('a thirty-first and thirty-second held-out set: names, slugs, emulator keys, templates and mocks', () => {
  it('a word slug and a reverse-DNS name under a secret-like name are quiet; a random value under the same names is found', async () => {
    const r = await audit({
      'app/src/main/assets/genres.xml': [
        '<genres>',
        '  <subgenres id="2786" title="c 1700 to c 1800" token="c_1700_to_c_1800"/>',
        '  <subgenres id="2901" title="Interest age: from c 10 years" token="interest_age_from_c_10_years"/>',
        '  <subgenres id="4342" title="Medical study guides" token="medical_study_revision_gui2467"/>',
        '  <subgenres id="9" title="x" token="q8Zr2Lk9Wm4Tx7Vb3Np6"/>',
        '</genres>',
        '',
      ].join('\n'),
      'App/Protection/Migration.swift': [
        'let GCMTokenKey = "com.2fas.GCM_NEW"',
        'let pushTokenKey = "io.app.push.Token_v2"',
        'let sessionTokenKey = "Hq7Lm2Xv9Rt4Bn8Kc3Wz"',
        '',
      ].join('\n'),
    });
    expect(seen(r, 'secret-generic-assignment')).toEqual([
      'App/Protection/Migration.swift:3 high',
      'app/src/main/assets/genres.xml:5 high',
    ]);
  });

  it('the published key of Azure’s local emulators is lowered with its reason; another account key stays critical', async () => {
    const emulator =
      'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';
    const other = `${'Qz8'.repeat(28)}xy==`;
    const r = await audit({
      'src/Backend/Startup.cs': `var a = "AccountEndpoint=https://localhost:8081/;AccountKey=${emulator}";\nvar b = "DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=${other};";\n`,
    });
    expect(seen(r, 'secret-azure-storage-key')).toEqual([
      'src/Backend/Startup.cs:1 low',
      'src/Backend/Startup.cs:2 critical',
    ]);
    expect(r.findings.find((f) => f.severity === 'low')?.message).toContain('local emulators');
  });

  it('a configuration template named with its suffix last, and a service named as a mock at its end, are set aside; the real configuration and service are not', async () => {
    const settings =
      '{ "Values": { "VerificationKeySecret": "MHcCAQEEIFdaIjZgfoIiTvck6OkQ9xR2Lm4Wp8Zt" } }\n';
    const service =
      'class HttpDataService { string Sas() { var SasToken = "sv=2012-02-12&sig=t8Zr2Lk9Wm4Tx7Vb3Np6Qa"; return SasToken; } }\n';
    const r = await audit({
      'src/Backend/local.settings.json.example': settings,
      'src/Backend/local.settings.json': settings,
      'App/Services/HttpDataServiceMock.cs': service,
      'App/Services/HttpDataService.cs': service,
      'App/Services/Hammock.cs': service,
    });
    expect(severitiesOf(r, 'secret-generic-assignment')).toEqual([
      ['App/Services/Hammock.cs', 'high'],
      ['App/Services/HttpDataService.cs', 'high'],
      ['App/Services/HttpDataServiceMock.cs', 'low'],
      ['src/Backend/local.settings.json', 'high'],
      ['src/Backend/local.settings.json.example', 'low'],
    ]);
  });
});

describe('a thirty-first held-out set: a demo client in a build file', () => {
  it('a secret under a comment that says it is a demo is medium with its reason; the same secret without it stays high', async () => {
    const block = (comment: string) =>
      [
        'if (clientId.isEmpty()) {',
        comment,
        '    enabled = false',
        '    clientId = "8_2jx5jt9r39ic40ooc80c8c0884okgk0owsowg808c4csg8ko8g"',
        '    clientSecret = "1v7d6nwe1v9c8skok44g0gc8cc04cc0wwwo8swwgckoogwsww4"',
        '}',
        '',
      ].join('\n');
    const r = await audit({
      'build.gradle': block('    // Demo, with enabled set to false connect to testing.example.org'),
      'app/build.gradle': block('    // Fallback when the properties file is missing'),
    });
    expect(seen(r, 'secret-generic-assignment')).toEqual([
      'app/build.gradle:5 high',
      'build.gradle:5 medium',
    ]);
    expect(r.findings.find((f) => f.severity === 'medium')?.message).toContain('demo or a test service');
  });
});

describe('a thirty-second held-out set, misses: Dart callbacks that accept bad certificates', () => {
  const tree = (body: string) => ({
    'lib/api.dart': `import 'dart:io';\nHttpClient make(bool strict) {\n  final client = HttpClient();\n${body}\n  return client;\n}\n`,
  });
  const verdict = async (body: string) => {
    const r = await audit(tree(body));
    return r.findings
      .filter((f) => f.ruleId === 'network-trust-all-certificates')
      .map((f) => [f.severity, f.message]);
  };

  it('a callback that returns true always, or unless a setting says otherwise, is high', async () => {
    expect(
      await verdict(
        '  client.badCertificateCallback = (X509Certificate cert, String host, int port) => true;',
      ),
    ).toEqual([
      ['high', 'badCertificateCallback returns true: every certificate is accepted, TLS can be intercepted'],
    ]);
    const [[severity, message] = []] = await verdict(
      '  client.badCertificateCallback = (cert, host, port) {\n    if (strict) {\n      return false;\n    }\n    return true;\n  };',
    );
    expect([severity, message]).toEqual([
      'high',
      'badCertificateCallback returns true unless a setting says otherwise: every certificate is accepted whenever it is off',
    ]);
    expect(
      await verdict('  adapter.onBadCertificate = (cert, host, port) { return !strict; };'),
    ).toHaveLength(1);
  });

  it('a callback that compares the certificate or the host is medium; one that returns false is quiet', async () => {
    expect(
      (
        await verdict(
          '  client.badCertificateCallback = (cert, host, port) => cert.sha1.toString() == pinned;',
        )
      ).map(([s]) => s),
    ).toEqual(['medium']);
    expect(
      (
        await verdict("  client.badCertificateCallback = (cert, host, port) { return host == 'localhost'; };")
      ).map(([s]) => s),
    ).toEqual(['medium']);
    expect(await verdict('  client.badCertificateCallback = (cert, host, port) => false;')).toEqual([]);
  });
});

describe('a thirty-second held-out set, misses: mixed content allowed in a WebView’s own settings', () => {
  it('MIXED_CONTENT_ALWAYS_ALLOW set in Kotlin or Java is found; the compatibility and never modes are not', async () => {
    const r = await audit({
      'android/app/src/main/java/com/acme/WebHelper.kt':
        'fun setup(view: WebView) {\n  view.settings.mixedContentMode = WebSettings.MIXED_CONTENT_ALWAYS_ALLOW\n}\n',
      'android/app/src/main/java/com/acme/Legacy.java':
        'class Legacy { void setup(WebView v) { v.getSettings().setMixedContentMode(WebSettings.MIXED_CONTENT_COMPATIBILITY_MODE); } }\n',
      'android/app/src/main/java/com/acme/Strict.java':
        'class Strict { void setup(WebView v) { v.getSettings().setMixedContentMode(WebSettings.MIXED_CONTENT_NEVER_ALLOW); } }\n',
    });
    expect(seen(r, 'hybrid-mixed-content')).toEqual([
      'android/app/src/main/java/com/acme/WebHelper.kt:2 medium',
    ]);
  });
});

describe('a thirty-sixth held-out set: type names in an interface schema', () => {
  it('a field whose value is a type named for it is quiet; a one-word name, or a value not ending in the name, is still read', async () => {
    const r = await audit({
      'ipc-schema/types/IPCEd25519KeyPair.json':
        '{\n  "name": "IPCEd25519KeyPair",\n  "fields": {\n    "publicKey": "IPCEd25519PublicKey",\n    "privateKey": "IPCEd25519PrivateKey"\n  }\n}\n',
      'config/app.json':
        '{\n  "secret": "Hq7Lm2Xv9Rt4Bn8KSecret",\n  "privateKey": "Zq8Lm2Xv9Rt4Bn8Kc3Wz"\n}\n',
    });
    expect(seen(r, 'secret-generic-assignment')).toEqual([
      'config/app.json:2 high',
      'config/app.json:3 high',
    ]);
  });
});

describe('a thirty-fifth held-out set: bundles, prose, types, test suites and recordings', () => {
  it('a resource bundle named by a language and region, and the first word of a sentence, are no secrets; a local properties file still is', async () => {
    const r = await audit({
      'shared/resources/mobile/mobile_de.properties':
        'onboarding.password.button.skip=Überspringen\nuser.password.failed=Ungültiges\n',
      'shared/resources/mobile/wallet_pt_BR.properties': 'wallet.password.headline=Criptografar\n',
      'shared/resources/mobile/mobile.properties':
        'mobile.resources.backup.password.info=Optionally, provide a password to encrypt your backup.\n',
      'app/keystore.properties': 'storePassword=Vq8kLz2Wm4rXp7Tn\n',
    });
    expect(seen(r, 'secret-generic-assignment')).toEqual(['app/keystore.properties:1 high']);
  });

  it('TypeScript declarations and an end-to-end suite named with its word glued on are set aside; a module named latest is not', async () => {
    const line = "export const privateKey = 'Uq7Lm2Xv9Rt4Bn8Kc3Wz6Yp1Sd5Fg0Hj';\n";
    const r = await audit({
      'machines/IssuersMachine.typegen.ts': line,
      'types/env.d.ts': line,
      'injitest/src/main/resources/config/Kernel.ts': line,
      'latest/src/main/config.ts': line,
      'playwright-hars/onboarding/0a1b2c.json':
        '{\n  "session_token": "80f09f20e52e74ee12a6bb91ecd8c4d7"\n}\n',
      'src/session.json': '{\n  "session_token": "80f09f20e52e74ee12a6bb91ecd8c4d7"\n}\n',
    });
    expect(severitiesOf(r, 'secret-generic-assignment')).toEqual([
      ['injitest/src/main/resources/config/Kernel.ts', 'low'],
      ['latest/src/main/config.ts', 'high'],
      ['machines/IssuersMachine.typegen.ts', 'low'],
      ['playwright-hars/onboarding/0a1b2c.json', 'low'],
      ['src/session.json', 'high'],
      ['types/env.d.ts', 'low'],
    ]);
  });

  it('the examples of an OpenAPI document are set aside; the same values in another YAML file are not', async () => {
    const body = [
      'paths:',
      '  /apps:',
      '    get:',
      '      example:',
      '        fetch_token: Mq8Lz2Wm4rXp7TnB5vC9',
      '',
    ].join('\n');
    const r = await audit({
      'backend/RevenueCat/revenuecat.yaml': `info:\n  title: Developer API\n${body}openapi: 3.0.3\n`,
      'backend/config.yaml': `info:\n  title: Config\n${body}`,
    });
    expect(severitiesOf(r, 'secret-generic-assignment')).toEqual([
      ['backend/config.yaml', 'high'],
      ['backend/RevenueCat/revenuecat.yaml', 'low'],
    ]);
  });

  it('a value in a commented-out line or a documentation comment is medium with its reason; the same line in code is high', async () => {
    const r = await audit({
      'src/app/models/user.ts':
        "// Return a fake user when developing in browser\n//   user.accessToken = 'NixkZWZhdWx0LGlsaWFzX3BlZ2FzdXMsMTcw';\nexport const x = 1;\n",
      'Sources/Models/Response.swift':
        '/// ## JSON Example:\n///     "api_token": "1kcsh572fonm3hawalrncam4l1gktr2rzx25a22l8g9hx108o9oi0rztpcvwnfnd",\nstruct R {}\n',
      'src/app/models/live.ts': "export const accessToken = 'NixkZWZhdWx0LGlsaWFzX3BlZ2FzdXMsMTcw';\n",
    });
    expect(seen(r, 'secret-generic-assignment')).toEqual([
      'Sources/Models/Response.swift:2 medium',
      'src/app/models/live.ts:1 high',
      'src/app/models/user.ts:2 medium',
    ]);
  });
});

describe('a thirty-fourth held-out set: command bytes, flags and pinned trust managers', () => {
  it('a few bytes decoded from hex under a PIN-like name are a protocol constant; a key-length hex literal is still found', async () => {
    const r = await audit({
      'app/src/main/java/ee/ria/Nfc.java': [
        'class Nfc {',
        '  private static final byte[] VER_PIN2_CMD = Hex.decode("00200085");',
        '  private static final byte[] GAMutualAuthentication = Hex.decode("008600000c7c0a8508");',
        '  private static final byte[] SECRET_PIN = Hex.decode("8f3a9c1e5b7d2f4a6c8e0b1d3f5a7c9e");',
        '}',
        '',
      ].join('\n'),
    });
    expect(seen(r, 'secret-generic-assignment')).toEqual(['app/src/main/java/ee/ria/Nfc.java:4 high']);
  });

  it('a column saying whether a password is valid is no stored password; the password column beside it is', async () => {
    const r = await audit({
      'app/src/main/java/de/opac/AccountDataSource.java': [
        'class AccountDataSource {',
        '  void store(Account acc) {',
        '    ContentValues values = new ContentValues();',
        '    values.put("password", acc.getPassword());',
        '    values.put("passwordValid", acc.isPasswordKnownValid() ? 1 : 0);',
        '    database.insert("accounts", null, values);',
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    expect(seen(r, 'storage-secret-in-preferences')).toEqual([
      'app/src/main/java/de/opac/AccountDataSource.java:4 high',
    ]);
  });

  it('a host name verifier that accepts all, beside a trust manager made with a pinned fingerprint, is medium; alone it is high', async () => {
    const client = (pinned: boolean) =>
      [
        'fun build(host: String, tlsFingerprint: String) = OkHttpClient.Builder().apply {',
        pinned ? '  val tm = TlsTrustManager(host, tlsFingerprint)' : '  val tm = DefaultTrustManager(host)',
        '  sslSocketFactory(ctx.socketFactory, tm)',
        '  hostnameVerifier { hostname, session -> true }',
        '}',
        '',
      ].join('\n');
    const r = await audit({
      'app/src/main/kotlin/a/Pinned.kt': client(true),
      'app/src/main/kotlin/a/Plain.kt': client(false),
    });
    expect(severitiesOf(r, 'network-hostname-verification-off')).toEqual([
      ['app/src/main/kotlin/a/Pinned.kt', 'medium'],
      ['app/src/main/kotlin/a/Plain.kt', 'high'],
    ]);
  });
});

describe('a thirty-fifth held-out set: network security configs no manifest applies', () => {
  it('a config in an app module whose manifest names none is medium with its reason; the named one, and a library’s config an app names, stay high', async () => {
    const r = await audit({
      'android/app/src/main/AndroidManifest.xml': manifest(
        ' android:networkSecurityConfig="@xml/network_security_config"',
      ),
      'android/app/src/main/res/xml/network_security_config.xml': nsc,
      'legacy/android/app/src/main/AndroidManifest.xml': manifest(''),
      'legacy/android/app/src/main/res/xml/network_security_config.xml': nsc,
      'core/src/main/res/xml/shared_nsc.xml': nsc,
      'tv/src/main/AndroidManifest.xml': manifest(' android:networkSecurityConfig="@xml/shared_nsc"'),
    });
    expect(severitiesOf(r, 'android-nsc-cleartext')).toEqual([
      ['android/app/src/main/res/xml/network_security_config.xml', 'high'],
      ['core/src/main/res/xml/shared_nsc.xml', 'high'],
      ['legacy/android/app/src/main/res/xml/network_security_config.xml', 'medium'],
    ]);
  });

  it('with a config named through a placeholder, every config keeps its verdict', async () => {
    const r = await audit({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a manifest placeholder, as the file has it
      'app/src/main/AndroidManifest.xml': manifest(' android:networkSecurityConfig="${nsc}"'),
      'app/src/main/res/xml/network_security_config.xml': nsc,
    });
    expect(severitiesOf(r, 'android-nsc-cleartext')).toEqual([
      ['app/src/main/res/xml/network_security_config.xml', 'high'],
    ]);
  });
});

describe('a network security config named for Flutter’s own HTTP stack', () => {
  it('a config named by the io.flutter.network-policy meta-data keeps its verdict', async () => {
    const r = await audit({
      'android/app/src/main/AndroidManifest.xml':
        '<?xml version="1.0" encoding="utf-8"?>\n<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="io.acme">\n  <application android:label="Acme">\n    <activity android:name=".Main" android:exported="true"><intent-filter><action android:name="android.intent.action.MAIN"/><category android:name="android.intent.category.LAUNCHER"/></intent-filter></activity>\n    <meta-data android:name="io.flutter.network-policy" android:resource="@xml/network_security_config" />\n  </application>\n</manifest>\n',
      'android/app/src/main/res/xml/network_security_config.xml':
        '<?xml version="1.0" encoding="utf-8"?>\n<network-security-config>\n  <base-config cleartextTrafficPermitted="true"/>\n</network-security-config>\n',
    });
    expect(severitiesOf(r, 'android-nsc-cleartext')).toEqual([
      ['android/app/src/main/res/xml/network_security_config.xml', 'high'],
    ]);
  });
});

describe('a thirty-seventh held-out set: tables of ids, names of CI secrets, bridge maps', () => {
  it('a value in a table of like values under mostly plain names is an identifier; the same value alone under a token name is found', async () => {
    const hex = (i: number) =>
      Array.from({ length: 64 }, (_, j) => '0123456789ABCDEF'[(i * 7 + j * 13 + ((i * j) % 5)) % 16]).join(
        '',
      );
    const names = [
      'HardenedValidations',
      'NegativeUNL',
      'TicketBatch',
      'FlowSortStrands',
      'BalanceRewards',
      'Import',
    ];
    const table = [
      'export const Amendments = {',
      ...names.map((n, i) => `    ${n}: '${hex(i)}',`),
      `    NonFungibleTokensV1: '${hex(9)}',`,
      `    URIToken: '${hex(10)}',`,
      '};',
      '',
    ].join('\n');
    const r = await audit({
      'src/common/constants/amendments.ts': table,
      'src/config/keys.ts': `export const apiToken = '${hex(11)}';\n`,
    });
    expect(seen(r, 'secret-generic-assignment')).toEqual(['src/config/keys.ts:1 high']);
  });

  it('the name of a CI secret given as a value is no secret; a random value under the same name is', async () => {
    const r = await audit({
      'variants/prod/variant.env': "ANDROID_JKS_BASE64_SECRET='PLAY_STORE_JKS_BASE64_SAQA'\n",
      'variants/dev/variant.env': "ANDROID_JKS_BASE64_SECRET='Vq8kLz2Wm4rXp7TnB5vC'\n",
    });
    expect(seen(r, 'secret-generic-assignment')).toEqual(['variants/dev/variant.env:1 high']);
  });

  it('putString on a React Native bridge map is no preference write; on a SharedPreferences editor it is', async () => {
    const r = await audit({
      'android/src/main/java/com/acme/CoreModule.kt': [
        'class CoreModule {',
        '  fun keys(prefs: SharedPreferences) {',
        '    val keyPair: WritableMap = Arguments.createMap()',
        '    keyPair.putString("password", value)',
        '    val config = Arguments.createMap()',
        '    config.putString("bearerAuthToken", "token")',
        '    prefs.edit().putString("password", value).apply()',
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    expect(seen(r, 'storage-secret-in-preferences')).toEqual([
      'android/src/main/java/com/acme/CoreModule.kt:7 high',
    ]);
  });
});

describe('a thirty-seventh held-out set: configs Android does not read', () => {
  it('a copy of the config nested below res/values/ is medium; the one in res/xml/ stays high', async () => {
    const r = await audit({
      'android/app/src/main/AndroidManifest.xml': manifest(
        ' android:networkSecurityConfig="@xml/network_security_config"',
      ),
      'android/app/src/main/res/xml/network_security_config.xml': nsc,
      'android/app/src/main/res/values/xml/network_security_config.xml': nsc,
    });
    expect(severitiesOf(r, 'android-nsc-cleartext')).toEqual([
      ['android/app/src/main/res/values/xml/network_security_config.xml', 'medium'],
      ['android/app/src/main/res/xml/network_security_config.xml', 'high'],
    ]);
  });

  it('a staging source set’s manifest and config are medium; the main ones stay high', async () => {
    const r = await audit({
      'android/app/src/main/AndroidManifest.xml': manifest(' android:usesCleartextTraffic="true"'),
      'android/app/src/staging/AndroidManifest.xml': manifest(
        ' android:usesCleartextTraffic="true" android:networkSecurityConfig="@xml/network_security_config"',
      ),
      'android/app/src/staging/res/xml/network_security_config.xml': nsc,
    });
    expect(severitiesOf(r, 'android-cleartext-traffic')).toEqual([
      ['android/app/src/main/AndroidManifest.xml', 'high'],
      ['android/app/src/staging/AndroidManifest.xml', 'medium'],
    ]);
    expect(severitiesOf(r, 'android-nsc-cleartext')).toEqual([
      ['android/app/src/staging/res/xml/network_security_config.xml', 'medium'],
    ]);
  });

  it('usesCleartextTraffic beside a named config is lowered when minSdk is 24 or more; below, it stays high', async () => {
    const tree = (minSdk: number) => ({
      'android/build.gradle': `buildscript {\n  ext {\n    minSdkVersion = ${minSdk}\n  }\n}\n`,
      'android/app/src/main/AndroidManifest.xml': manifest(
        ' android:usesCleartextTraffic="true" android:networkSecurityConfig="@xml/network_security_config"',
      ),
      'android/app/src/main/res/xml/network_security_config.xml':
        '<?xml version="1.0" encoding="utf-8"?>\n<network-security-config>\n  <domain-config cleartextTrafficPermitted="true"><domain>bithyve.com</domain></domain-config>\n</network-security-config>\n',
    });
    expect(severitiesOf(await audit(tree(26)), 'android-cleartext-traffic')).toEqual([
      ['android/app/src/main/AndroidManifest.xml', 'low'],
    ]);
    expect(severitiesOf(await audit(tree(23)), 'android-cleartext-traffic')).toEqual([
      ['android/app/src/main/AndroidManifest.xml', 'high'],
    ]);
  });
});

describe('a forty-first held-out set: Swift patterns and load-testing targets', () => {
  it('an enum pattern in a file that writes Core Data is no stored secret; a managed object’s password is', async () => {
    const r = await audit({
      'PDCore/FileUploader/PhotoUploader.swift': [
        'import CoreData',
        'func retriable(_ error: Error, context: NSManagedObjectContext) -> Bool {',
        '    if let uploaderError = error as? FileUploaderError, case .noCredentialFound = uploaderError {',
        '        return true',
        '    }',
        '    let share = Share(context: context)',
        '    share.password = passwordField.text',
        '    return false',
        '}',
        '',
      ].join('\n'),
    });
    expect(seen(r, 'storage-secret-in-preferences')).toEqual([
      'PDCore/FileUploader/PhotoUploader.swift:7 high',
    ]);
  });

  it('the Info.plist of a target named for load testing is medium; the app’s stays high', async () => {
    const plist =
      '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>\n<key>NSAppTransportSecurity</key>\n<dict><key>NSAllowsArbitraryLoads</key><true/></dict>\n</dict></plist>\n';
    const r = await audit({ 'App/LoadTesting-Info.plist': plist, 'App/Info.plist': plist });
    expect(severitiesOf(r, 'ios-ats-arbitrary-loads')).toEqual([
      ['App/Info.plist', 'high'],
      ['App/LoadTesting-Info.plist', 'medium'],
    ]);
  });
});

describe('a fortieth held-out set: encrypted Realms and settings keyed by enum cases', () => {
  const store = [
    'import RealmSwift',
    'func save() {',
    '    let realm = try! Realm()',
    '    let password = Password()',
    '    password.secret = secretRow.value!',
    '    try! realm.write { realm.add(password) }',
    '}',
    '',
  ].join('\n');

  it('a secret on a Realm object is medium when a file of the app opens Realm with a key; high with none or with nil', async () => {
    const helper = (key: string) =>
      `import RealmSwift\nfunc open(key: Data?) {\n    Realm.Configuration.defaultConfiguration = Realm.Configuration(\n        fileURL: url,\n        encryptionKey: ${key},\n        schemaVersion: 3)\n}\n`;
    const encrypted = await audit({
      'Raivo/RealmHelper.swift': helper('encryptionKey'),
      'Raivo/Store.swift': store,
    });
    expect(severitiesOf(encrypted, 'storage-secret-in-preferences')).toEqual([
      ['Raivo/Store.swift', 'medium'],
    ]);
    expect(encrypted.findings.find((f) => f.file === 'Raivo/Store.swift')?.message).toContain(
      'the app opens Realm with an encryption key, in RealmHelper.swift',
    );
    const plain = await audit({ 'Raivo/RealmHelper.swift': helper('nil'), 'Raivo/Store.swift': store });
    expect(severitiesOf(plain, 'storage-secret-in-preferences')).toEqual([['Raivo/Store.swift', 'high']]);
    const none = await audit({ 'Raivo/Store.swift': store });
    expect(severitiesOf(none, 'storage-secret-in-preferences')).toEqual([['Raivo/Store.swift', 'high']]);
    // The Realm library's own sources in the tree (CocoaPods) configure nothing of the app's.
    const vendored = await audit({
      'Pods/RealmSwift/RealmSwift/RealmConfiguration.swift': helper('encryptionKey'),
      'Raivo/Store.swift': store,
    });
    expect(severitiesOf(vendored, 'storage-secret-in-preferences')).toEqual([['Raivo/Store.swift', 'high']]);
  });

  it('a setting stored under an enum case named for a password is found; a flag named authorized, and a bare set outside a UserDefaults extension, are not', async () => {
    const r = await audit({
      'xDrip/Extensions/UserDefaults.swift': [
        'extension UserDefaults {',
        '    @objc dynamic var dexcomSharePassword: String? {',
        '        get { return string(forKey: Key.dexcomSharePassword.rawValue) }',
        '        set { set(newValue, forKey: Key.dexcomSharePassword.rawValue) }',
        '    }',
        '    var storeReadingsInHealthkitAuthorized: Bool {',
        '        set { set(newValue, forKey: Key.storeReadingsInHealthkitAuthorized.rawValue) }',
        '    }',
        '}',
        '',
      ].join('\n'),
      'xDrip/Other.swift': 'func f() { cache.set(token, forKey: Key.sessionPassword.rawValue) }\n',
      'DcCore/events.swift':
        'func done() { UserDefaults.standard.set(true, forKey: Constants.Keys.userProvidedCredentialsKey) }\n',
    });
    expect(seen(r, 'storage-secret-in-preferences')).toEqual(['xDrip/Extensions/UserDefaults.swift:4 high']);
  });
});

describe('a thirty-ninth held-out set: Flutter apps', () => {
  it('a callback given by name, and rhttp’s verifyCertificates: false, are found; a trust-all in a file named for debugging is medium', async () => {
    const r = await audit({
      'lib/services/web_analyzer.dart': [
        'class WebAnalyzer {',
        '  static bool _certificateCheck(X509Certificate cert, String host, int port) =>',
        '      true;',
        '  Future<void> fetch() async {',
        '    final HttpClient ioClient = HttpClient()',
        '      ..badCertificateCallback = _certificateCheck',
        '      ..connectionTimeout = tenSeconds;',
        '  }',
        '}',
        '',
      ].join('\n'),
      'lib/network/settings.dart':
        'r.ClientSettings compatible() {\n  return r.ClientSettings(tlsSettings: r.TlsSettings(verifyCertificates: false, sni: false));\n}\n',
      'lib/network/strict.dart':
        'r.ClientSettings strict() {\n  return r.ClientSettings(tlsSettings: r.TlsSettings(verifyCertificates: true));\n}\n',
      'lib/utils/debug_http_overrides.dart':
        'class DebugHttpOverrides extends HttpOverrides {\n  HttpClient createHttpClient(SecurityContext? c) {\n    return super.createHttpClient(c)\n      ..badCertificateCallback = (X509Certificate cert, String host, int port) => true;\n  }\n}\n',
    });
    expect(severitiesOf(r, 'network-trust-all-certificates')).toEqual([
      ['lib/network/settings.dart', 'high'],
      ['lib/services/web_analyzer.dart', 'high'],
      ['lib/utils/debug_http_overrides.dart', 'medium'],
    ]);
  });

  it('a benchmark’s key, a sample key store and translations in scripts named by language are set aside; the real ones are not', async () => {
    const r = await audit({
      'plugins/rhttp/benchmark/cert/privateKey.pem': pem,
      'android/app/src/main/assets/server.pem': pem,
      'monitor/frontend/src/i18n/de/index.ts':
        "export default {\n  terminalPasswordlessDisable: 'Abschaltenxyz',\n};\n",
      'monitor/frontend/src/config/index.ts':
        "export default {\n  terminalPasswordlessDisable: 'Qz8Lm2Xv9Rt4Bn8Kc',\n};\n",
    });
    expect(severitiesOf(r, 'secret-private-key')).toEqual([
      ['android/app/src/main/assets/server.pem', 'critical'],
      ['plugins/rhttp/benchmark/cert/privateKey.pem', 'low'],
    ]);
    expect(seen(r, 'secret-generic-assignment')).toEqual(['monitor/frontend/src/config/index.ts:2 high']);
  });

  it('a key store named as a sample is lowered; the release one beside it is not', async () => {
    const r = await audit({
      'docker/zwallet-sample.jks': jks(['key']),
      'docker/zwallet.jks': jks(['key']),
    });
    expect(severitiesOf(r, 'secret-private-key')).toEqual([
      ['docker/zwallet-sample.jks', 'low'],
      ['docker/zwallet.jks', 'high'],
    ]);
  });
});

describe('a forty-second held-out set: baselines, debug build types, expired tokens, playgrounds, templates, flags', () => {
  const jwt = (exp: number) =>
    [
      Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url'),
      Buffer.from(JSON.stringify({ user: 'u1', iat: exp - 60, exp })).toString('base64url'),
      'b3QML1x8Zt2Lm4Wp8Zt6Nq3Rv9Hs1Jd5Kc7Ya0Eb',
    ].join('.');

  it('a secret scanner’s baseline and a playground app are set aside; the same in the app are not', async () => {
    const r = await audit({
      '.secrets.baseline':
        '{\n  "results": {\n    "a.ts": [{ "hashed_secret": "6760dd7958e1c1d5f4e0c9b6a3d2f1e0a9b8c7d6" }]\n  }\n}\n',
      'src/config.json': '{\n  "hashed_secret": "6760dd7958e1c1d5f4e0c9b6a3d2f1e0a9b8c7d6"\n}\n',
      'android/playground/src/main/AndroidManifest.xml': manifest(' android:usesCleartextTraffic="true"'),
      'android/app/src/main/AndroidManifest.xml': manifest(' android:usesCleartextTraffic="true"'),
      'android/app/src/debugOptimized/AndroidManifest.xml': manifest(' android:usesCleartextTraffic="true"'),
    });
    expect(severitiesOf(r, 'secret-generic-assignment')).toEqual([
      ['.secrets.baseline', 'low'],
      ['src/config.json', 'high'],
    ]);
    expect(severitiesOf(r, 'android-cleartext-traffic')).toEqual([
      ['android/app/src/debugOptimized/AndroidManifest.xml', 'low'],
      ['android/app/src/main/AndroidManifest.xml', 'high'],
      ['android/playground/src/main/AndroidManifest.xml', 'low'],
    ]);
  });

  it('a JWT that expired long ago is lowered with its date; one that has not expired stays high', async () => {
    const r = await audit({
      'src/data/asyncStorageDump.ts': `export const dump = [["auth_token", "${jwt(1733644539)}"]];\n`,
      'src/data/live.ts': `export const token = "${jwt(4102444800)}";\n`,
    });
    expect(severitiesOf(r, 'secret-jwt')).toEqual([
      ['src/data/asyncStorageDump.ts', 'low'],
      ['src/data/live.ts', 'high'],
    ]);
    expect(r.findings.find((f) => f.severity === 'low' && f.ruleId === 'secret-jwt')?.message).toContain(
      'expired on 2024-12-08',
    );
  });

  it('a template id under a token name and a flag stored under a token key are no secrets; a token is', async () => {
    const r = await audit({
      'App/Constants.cs':
        'public const string TransferTokenTemplate = "2a6d6b09-cae9-bb7e-4015-a272cd9cd5b9@legal.lab.tagroot.io";\npublic const string TransferToken = "Vq8kLz2Wm4rXp7TnB5vC9dE";\n',
      'src/notifications/storage.js':
        // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source, as the file has it
        "await AsyncStorage.setItem(`${EMAILED_TESTING_TOKEN}_${userName}`, 'true');\nawait AsyncStorage.setItem('auth_token', token);\n",
    });
    expect(seen(r, 'secret-generic-assignment')).toEqual(['App/Constants.cs:2 high']);
    expect(seen(r, 'storage-token-in-web-storage')).toEqual(['src/notifications/storage.js:2 high']);
  });
});

describe('a forty-third held-out set: version catalogs, kebab-case tags, DES keys', () => {
  it('a library coordinate under a credentials name and a kebab-case tag are no secrets; a random value is', async () => {
    const r = await audit({
      'gradle/libs.versions.toml':
        '[libraries]\nandroidx-credentials = "androidx.credentials:credentials:1.5.0"\nandroidx-credentials-play = "androidx.credentials:credentials-play-services-auth:1.5.0"\n',
      'app/src/main/java/a/Consent.kt':
        'fun show() = notifier.show(\n    token = "nip46-signer-consent",\n)\n',
      'app/src/main/java/a/Api.kt': 'val apiToken = "Vq8kLz2Wm4rXp7TnB5vC9dE"\n',
    });
    expect(seen(r, 'secret-generic-assignment')).toEqual(['app/src/main/java/a/Api.kt:1 high']);
  });

  it('a constant given to DESKeySpec is a hard-coded key, a ; inside its literal too', async () => {
    const r = await audit({
      'app/src/main/java/a/DESUtils.kt': [
        'object DESUtils {',
        `    private const val secret = "mJn':4Nbk};AMVFGEWiY!(8&gp1xOv@/"`,
        '    fun key() = SecretKeyFactory.getInstance("DES").generateSecret(DESKeySpec(secret.toByteArray()))',
        '}',
        '',
      ].join('\n'),
    });
    expect(seen(r, 'crypto-hardcoded-key')).toEqual(['app/src/main/java/a/DESUtils.kt:3 high']);
  });
});

describe('a forty-fourth held-out set: UI-test mock servers, key names, documented URL formats, misnamed archives', () => {
  it('an Appium suite and its mock server are set aside; the app’s own key is not', async () => {
    const r = await audit({
      'appium/api-mocks/apis/ekm/ekm-endpoints.ts': `export const key0 = \`${pem}\`;\n`,
      'appium/api-mocks/mock-ssl-cert/key.pem.mock': pem,
      'appium/helpers/keys.ts': `export const key1 = \`${pem}\`;\n`,
      'App/Resources/server.pem': pem,
    });
    expect(severitiesOf(r, 'secret-private-key')).toEqual([
      ['App/Resources/server.pem', 'critical'],
      ['appium/api-mocks/apis/ekm/ekm-endpoints.ts', 'low'],
      ['appium/api-mocks/mock-ssl-cert/key.pem.mock', 'low'],
      ['appium/helpers/keys.ts', 'low'],
    ]);
  });

  it('a key name that spells its own constant is quiet; a random value under the same name is found', async () => {
    const r = await audit({
      'Sources/Migration/Policy.swift':
        'private static let apiKeyForOwnedIdentityKey = "KeycloakServerToKeycloakServerMigrationPolicyV48ToV49.apiKeyForOwnedIdentityKey"\nprivate static let apiKeyForServer = "Hq7Lm2Xv9Rt4Bn8Kc3Wz6Yp"\n',
    });
    expect(seen(r, 'secret-generic-assignment')).toEqual(['Sources/Migration/Policy.swift:2 high']);
  });

  it('credentials a comment gives as a URL format are no secret, or medium in a comment; in code they are high', async () => {
    const r = await audit({
      'Classes/Settings/ProxySettings.m': [
        '// e.g., http://NTDOMAIN%5CNTUser:password@proxyhost:3375,',
        '//       http://user%20name:pass%20word@proxyhost:8080,',
        '//       http://svc:Xq8Lm2Xv9Rt4@proxy.acme-corp.net:8080',
        'NSString *url = @"http://svc:Wm4rXp7TnB5v@proxy.acme-corp.net:8080";',
        '',
      ].join('\n'),
    });
    expect(seen(r, 'secret-url-credentials')).toEqual([
      'Classes/Settings/ProxySettings.m:3 medium',
      'Classes/Settings/ProxySettings.m:4 high',
    ]);
  });

  it('xz data named .zip among the app’s resources is medium; named .apk it stays high', async () => {
    const xz = Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(64, 7)]);
    const r = await audit({ 'AlphaWallet/Resources/chains.zip': xz, 'dist/app.apk': xz });
    expect(severitiesOf(r, 'audit-unparsed-file')).toEqual([
      ['AlphaWallet/Resources/chains.zip', 'medium'],
      ['dist/app.apk', 'high'],
    ]);
    expect(r.findings.find((f) => f.file.endsWith('chains.zip'))?.message).toContain(
      'xz data, not a zip archive',
    );
  });
});

describe('a forty-fifth held-out set: vendored development stacks, CI references, commented tokens, debug-only configs', () => {
  const token = [
    Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url'),
    Buffer.from(JSON.stringify({ email: 'tester@example.org', sub: 'u1' })).toString('base64url'),
    'b3QML1x8Zt2Lm4Wp8Zt6Nq3Rv9Hs1Jd5Kc7Ya0Eb',
  ].join('.');

  it('everything of a development stack under dev/ or vendor/ beside its compose file is set aside; a stack elsewhere keeps its verdicts but for key files', async () => {
    const r = await audit({
      'dev/vendor/galoy-quickstart/docker-compose.yml': `services:\n  api:\n    environment:\n      - SVIX_SECRET=${token}\n`,
      'dev/vendor/galoy-quickstart/dev/config/lnd/tls.key': pem,
      'backend/docker-compose.yml': `services:\n  api:\n    environment:\n      - SVIX_SECRET=${token}\n`,
    });
    expect(severitiesOf(r, 'secret-jwt')).toEqual([
      ['backend/docker-compose.yml', 'high'],
      ['dev/vendor/galoy-quickstart/docker-compose.yml', 'low'],
    ]);
    expect(severitiesOf(r, 'secret-private-key')).toEqual([
      ['dev/vendor/galoy-quickstart/dev/config/lnd/tls.key', 'low'],
    ]);
  });

  it('a Concourse credential reference is no value; a token in a commented-out line is medium', async () => {
    const r = await audit({
      'ci/values.yml':
        'galoy_test_tokens: ((galoy-tokens.galoy_test_tokens))\nmailslurp_api_key: Vq8kLz2Wm4rXp7TnB5vC9dE\n',
      'src/app/services/websocket.ts': `// this.ws = new WebSocket("wss://pre.example.net/?token=JWT ${token}")\n`,
      'src/app/services/live.ts': `export const live = "${token}";\n`,
    });
    expect(seen(r, 'secret-generic-assignment')).toEqual(['ci/values.yml:2 high']);
    expect(seen(r, 'secret-jwt')).toEqual([
      'src/app/services/live.ts:1 high',
      'src/app/services/websocket.ts:1 medium',
    ]);
  });

  it('a config only the debug manifest names is medium; one the main manifest names stays high', async () => {
    const tree = (mainAttrs: string) => ({
      'android/app/src/main/AndroidManifest.xml': manifest(mainAttrs),
      'android/app/src/debug/AndroidManifest.xml':
        '<?xml version="1.0" encoding="utf-8"?>\n<manifest xmlns:android="http://schemas.android.com/apk/res/android">\n  <application android:networkSecurityConfig="@xml/network_security_config"/>\n</manifest>\n',
      'android/app/src/main/res/xml/network_security_config.xml': nsc,
    });
    expect(severitiesOf(await audit(tree('')), 'android-nsc-cleartext')).toEqual([
      ['android/app/src/main/res/xml/network_security_config.xml', 'medium'],
    ]);
    expect(
      severitiesOf(
        await audit(tree(' android:networkSecurityConfig="@xml/network_security_config"')),
        'android-nsc-cleartext',
      ),
    ).toEqual([['android/app/src/main/res/xml/network_security_config.xml', 'high']]);
  });
});

describe('a forty-seventh held-out set: Google-shaped keys and the flutter_web_auth_2 callback', () => {
  it('a value shaped as a Google API key but one character short is medium, as the Google key rule rates one; flutter_web_auth_2’s callback page is quiet', async () => {
    const r = await audit({
      'innertube/src/main/java/a/YouTubeClient.kt':
        'val WEB = YouTubeClient(\n    api_key = "AIzaSyC9XL3ZjWddXya6X74dJoCTL-WEYFDNX3",\n)\n',
      'web/auth.html':
        "<script>\nif (window.opener) { window.opener.postMessage({'flutter-web-auth-2': window.location.href}, window.location.origin); }\nelse { localStorage.setItem('flutter-web-auth-2', window.location.href); }\nlocalStorage.setItem('auth_token', token);\n</script>\n",
    });
    expect(seen(r, 'secret-generic-assignment')).toEqual([
      'innertube/src/main/java/a/YouTubeClient.kt:2 medium',
    ]);
    expect(seen(r, 'storage-token-in-web-storage')).toEqual(['web/auth.html:4 high']);
  });
});

describe('a forty-sixth held-out set: CodePush deployment keys in an environment file', () => {
  it('an environment file of CodePush deployment keys is no secret file; one with a server secret is', async () => {
    const r = await audit({
      '.env.review':
        'ENV=review\nCODEPUSH_PROD_KEY_ANDROID=_C083_CqL7CmKwASrv6Xrj1wqH7erJMhIBnRQ\nCODEPUSH_PROD_KEY_IOS=FxvJT6OhtBM6PAQZ9iTtrkqT-vMavQQq-BfbJ\n',
      '.env.production': 'ENV=production\nSERVER_API_SECRET=FxvJT6OhtBM6PAQZ9iTtrkqT-vMavQQq-BfbJ\n',
    });
    expect(seen(r, 'secret-dotenv-file').filter((f) => f.endsWith('high'))).toEqual([
      '.env.production: high',
    ]);
  });
});

describe('a forty-ninth held-out set: development keys, lock-file digests, REST client files', () => {
  it('a key in a folder or file named for development or staging is medium; one named for production stays critical', async () => {
    const r = await audit({
      'firmware/config/keys/w1a-dev/app-signing-key-dev.priv.pem': pem,
      'server/src/wsm/keys/staging-codesigning-pki/leaf-key.pem': pem,
      'firmware/config/keys/w1a-prod/app-signing-key-prod.priv.pem': pem,
    });
    expect(severitiesOf(r, 'secret-private-key')).toEqual([
      ['firmware/config/keys/w1a-dev/app-signing-key-dev.priv.pem', 'medium'],
      ['firmware/config/keys/w1a-prod/app-signing-key-prod.priv.pem', 'critical'],
      ['server/src/wsm/keys/staging-codesigning-pki/leaf-key.pem', 'medium'],
    ]);
  });

  it('an artifact’s digest in a lock file and a REST client’s request file are quiet or set aside; a secret is found', async () => {
    const token = [
      Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url'),
      Buffer.from(JSON.stringify({ sub: 'TEST', iss: 'TEST' })).toString('base64url'),
      'b3QML1x8Zt2Lm4Wp8Zt6Nq3Rv9Hs1Jd5Kc7Ya0Eb',
    ].join('.');
    const r = await audit({
      'app/gradle-lock/aws.sdk.kotlin:secretsmanager-jvm.json':
        '{\n  "artifacts": {\n    "secretsmanager-jvm-1.3.109.jar": "92efb4788c5c66abff11183f19b0b0a5c4811f61c8e64eaace4f7a932caca0ac"\n  }\n}\n',
      'app/config.json':
        '{\n  "secretsmanager_key": "92efb4788c5c66abff11183f19b0b0a5c4811f61c8e64eaace4f7a932caca0ac"\n}\n',
      'server/src/api/partnerships/api-test.http': `@TOKEN=${token}\nGET http://localhost:8080/api\n`,
    });
    expect(seen(r, 'secret-generic-assignment')).toEqual(['app/config.json:2 high']);
    expect(severitiesOf(r, 'secret-jwt')).toEqual([['server/src/api/partnerships/api-test.http', 'low']]);
  });
});
