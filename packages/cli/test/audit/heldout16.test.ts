/**
 * Misses of the sixteenth held-out set (training apps: the MASTG demos, inter-component
 * communication labs, a React Native sample), each class reproduced by a small fixture written
 * here, never an app's own code: the miss is found, and a look-alike on the other side of the line
 * stays quiet or keeps its verdict.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../src/audit/types.js';
import { type TreeAuditor, treeAuditor } from './lib/app-tree.js';

let trees: TreeAuditor;

beforeAll(async () => {
  trees = await treeAuditor('bulwark-audit-heldout16-');
});
afterAll(() => trees.remove());

const audit = (files: Record<string, string | Uint8Array>): Promise<AuditReport> => trees.audit(files);

/** The findings of a rule as `file:line severity`, sorted. */
const seen = (r: AuditReport, ruleId: string): string[] =>
  r.findings
    .filter((f) => f.ruleId === ruleId)
    .map((f) => `${f.file}:${f.line ?? ''} ${f.severity}`)
    .sort();

describe('a sixteenth held-out set: packages named example, implicit intents', () => {
  it('a Java package named example under a source root is the app, an examples/ folder is not', async () => {
    const web = `class A { void f(android.webkit.WebView w) { w.addJavascriptInterface(new Bridge(), "Android"); } }\n`;
    const r = await audit({
      'app/src/main/java/com/example/shop/A.java': web,
      'app/src/main/kotlin/org/sample/B.java': web,
      'examples/app/src/main/java/com/acme/C.java': web,
      'sample/src/main/java/com/example/D.java': web,
    });
    expect(seen(r, 'android-webview-js-interface')).toEqual([
      'app/src/main/java/com/example/shop/A.java:1 medium',
      'app/src/main/kotlin/org/sample/B.java:1 medium',
      'examples/app/src/main/java/com/acme/C.java:1 low',
      'sample/src/main/java/com/example/D.java:1 low',
    ]);
  });

  it('an implicit intent of the app’s own action: grants and credentials high, a bare broadcast medium', async () => {
    const r = await audit({
      'app/src/main/java/com/acme/chat/DeleteActivity.kt': [
        'class DeleteActivity {',
        '  companion object { val DELETE_ACTION = "com.acme.chat.intent.action.DELETE" }',
        '  fun done(uri: Uri) {',
        '    val result = Intent()',
        '    result.action = DELETE_ACTION',
        '    result.setDataAndType(uri, "text/plain")',
        '    result.flags = Intent.FLAG_GRANT_READ_URI_PERMISSION or Intent.FLAG_GRANT_WRITE_URI_PERMISSION',
        '    startService(result)',
        '  }',
        '}',
      ].join('\n'),
      'app/src/main/java/com/acme/chat/Notifier.java': [
        'class Notifier {',
        '  void send(String pw) {',
        '    Intent intent = new Intent();',
        '    intent.setAction("com.acme.chat.LOGGED_IN");',
        '    intent.putExtra("password", pw);',
        '    sendBroadcast(intent);',
        '    Intent news = new Intent("com.acme.chat.NEWS");',
        '    news.putExtra("articles", "[]");',
        '    sendBroadcast(news);',
        '  }',
        '}',
      ].join('\n'),
      'app/src/main/java/com/acme/chat/Loading.kt': [
        'const val LOGIN_ACTION = "com.acme.chat.intent.action.LOGIN"',
        'class Loading {',
        '  fun go() {',
        '    val intent = makeLogIn()',
        '    startActivity(intent)',
        '  }',
        '  private fun makeLogIn(): Intent {',
        '    val intent = Intent(LOGIN_ACTION)',
        '    return intent',
        '  }',
        '}',
      ].join('\n'),
      // Quiet: a permission on the broadcast, a package, an explicit class, the platform's share
      // action with its grant (the chooser is the point), a local broadcast.
      'app/src/main/java/com/acme/chat/Quiet.kt': [
        'class Quiet {',
        '  fun a(uri: Uri) {',
        '    val guarded = Intent("com.acme.chat.SYNC")',
        '    guarded.putExtra("token", t)',
        '    sendBroadcast(guarded, "com.acme.chat.permission.SYNC")',
        '    val own = Intent("com.acme.chat.SYNC")',
        '    own.setPackage(packageName)',
        '    own.putExtra("token", t)',
        '    sendBroadcast(own)',
        '    val explicit = Intent(this, LoginActivity::class.java)',
        '    explicit.putExtra("password", p)',
        '    startActivity(explicit)',
        '    val share = Intent(Intent.ACTION_SEND)',
        '    share.addFlags(Intent.FLAG_GRANT_READ_URI_PERMISSION)',
        '    startActivity(share)',
        '    val view = Intent("android.intent.action.VIEW")',
        '    view.addFlags(Intent.FLAG_GRANT_READ_URI_PERMISSION)',
        '    startActivity(view)',
        '    val local = Intent("com.acme.chat.REFRESH")',
        '    LocalBroadcastManager.getInstance(this).sendBroadcast(local)',
        '  }',
        '}',
      ].join('\n'),
    });
    expect(seen(r, 'android-implicit-intent')).toEqual([
      'app/src/main/java/com/acme/chat/DeleteActivity.kt:8 high',
      'app/src/main/java/com/acme/chat/Loading.kt:5 medium',
      'app/src/main/java/com/acme/chat/Notifier.java:6 high',
      'app/src/main/java/com/acme/chat/Notifier.java:9 medium',
    ]);
  });
});

describe('a sixteenth held-out set: TLS errors accepted after a log line', () => {
  it('onReceivedSslError that logs then proceeds is high; proceeding under a condition or a dialog is not', async () => {
    const r = await audit({
      'app/src/main/java/com/acme/web/Client.kt': [
        'class Client : WebViewClient() {',
        '  override fun onReceivedSslError(view: WebView, handler: SslErrorHandler, error: SslError) {',
        '    val message = describe(error)',
        '    Log.e("Client", "SSL error: $message")',
        '    handler.proceed()',
        '  }',
        '}',
      ].join('\n'),
      'app/src/main/java/com/acme/web/Asks.kt': [
        'class Asks : WebViewClient() {',
        '  override fun onReceivedSslError(view: WebView, handler: SslErrorHandler, error: SslError) {',
        '    if (trusted) handler.proceed()',
        '    dialog.setPositiveButton(R.string.ok) { _, _ -> handler.proceed() }',
        '    dialog.setNegativeButton(R.string.no) { _, _ -> handler.cancel() }',
        '  }',
        '}',
      ].join('\n'),
      'app/src/main/java/com/acme/web/Debug.java': [
        'class Debug extends WebViewClient {',
        '  public void onReceivedSslError(WebView v, SslErrorHandler handler, SslError e) {',
        '    if (BuildConfig.DEBUG)',
        '      handler.proceed();',
        '    else handler.cancel();',
        '  }',
        '}',
      ].join('\n'),
    });
    expect(seen(r, 'network-trust-all-certificates')).toEqual([
      'app/src/main/java/com/acme/web/Client.kt:2 high',
    ]);
  });

  it('a HostnameVerifier lambda that logs the host and returns true is high; one that compares is quiet', async () => {
    const r = await audit({
      'app/src/main/java/com/acme/net/Any.kt': [
        'fun open(c: HttpsURLConnection) {',
        '  c.hostnameVerifier = HostnameVerifier { hostname, _ ->',
        '    Log.w("TLS", "allowing $hostname")',
        '    true',
        '  }',
        '}',
      ].join('\n'),
      'app/src/main/java/com/acme/net/Checks.kt': [
        'fun open(c: HttpsURLConnection) {',
        '  c.hostnameVerifier = HostnameVerifier { hostname, session ->',
        '    Log.w("TLS", "checking $hostname")',
        '    hostname == "api.acme.com"',
        '  }',
        '}',
      ].join('\n'),
      'app/src/main/java/com/acme/net/Logs.java': [
        'class Logs implements HostnameVerifier {',
        '  public boolean verify(String host, SSLSession session) {',
        '    Log.w("TLS", host);',
        '    return true;',
        '  }',
        '}',
      ].join('\n'),
    });
    expect(seen(r, 'network-hostname-verification-off')).toEqual([
      'app/src/main/java/com/acme/net/Any.kt:2 high',
      'app/src/main/java/com/acme/net/Logs.java:2 high',
    ]);
  });
});

describe('a sixteenth held-out set: keys written in the code of iOS and JavaScript apps', () => {
  const bytes = Array.from(
    { length: 32 },
    (_, i) => `0x${((i * 37 + 11) % 256).toString(16).padStart(2, '0')}`,
  ).join(', ');

  it('a private key from a byte-array literal given to CryptoKit or SecKeyCreateWithData is high', async () => {
    const r = await audit({
      'App/Signer.swift': [
        'import CryptoKit',
        'func sign(_ d: Data) throws -> Data {',
        `  let keyBytes: [UInt8] = [${bytes}]`,
        '  let keyData = Data(keyBytes)',
        '  let key = try P256.Signing.PrivateKey(rawRepresentation: keyData)',
        '  return try key.signature(for: d).rawRepresentation',
        '}',
      ].join('\n'),
      'App/Rsa.swift': [
        'import Security',
        `let der = Data(base64Encoded: "${'MIICXAIBAAKBgQC9'.repeat(3)}")!`,
        'let attrs: [String: Any] = [kSecAttrKeyType as String: kSecAttrKeyTypeRSA, kSecAttrKeyClass as String: kSecAttrKeyClassPrivate]',
        'let key = SecKeyCreateWithData(der as CFData, attrs as CFDictionary, nil)',
      ].join('\n'),
      // Quiet: a key generated on the device, a public key's bytes, a key read from the keychain.
      'App/Fresh.swift': [
        'import CryptoKit',
        'let fresh = P256.Signing.PrivateKey()',
        'let stored = try P256.Signing.PrivateKey(rawRepresentation: keychain.read("signing"))',
        `let pubBytes: [UInt8] = [${bytes}]`,
        'let attrs: [String: Any] = [kSecAttrKeyClass as String: kSecAttrKeyClassPublic]',
        'let pub = SecKeyCreateWithData(Data(pubBytes) as CFData, attrs as CFDictionary, nil)',
      ].join('\n'),
    });
    expect(seen(r, 'crypto-hardcoded-key')).toEqual(['App/Rsa.swift:4 high', 'App/Signer.swift:5 high']);
  });

  it('a JWT signed with a secret written in the script is high; a key from the environment or a PEM is not this rule', async () => {
    const r = await audit({
      'src/App.js':
        "import jwt from 'jsonwebtoken';\nconst secret = 'supersecretkey';\nexport const t = (p) => jwt.sign(p, secret, { expiresIn: '1h' });\n",
      'src/inline.ts': "export const v = (t: string) => jwt.verify(t, 'Zq8!kLm2#pW');\n",
      'src/env.js': 'export const t = (p) => jwt.sign(p, process.env.JWT_SECRET);\n',
      'src/pem.js': "export const v = (t) => jwt.verify(t, '-----BEGIN PUBLIC KEY-----\\nMFkw');\n",
    });
    expect(seen(r, 'crypto-hardcoded-key')).toEqual(['src/App.js:3 high', 'src/inline.ts:1 high']);
  });
});

describe('a sixteenth held-out set: entitlements dumped or named as .NET names them, secrets drawn from java.util.Random', () => {
  it('get-task-allow in an Entitlements.plist is found; a plist of another name is not read as entitlements', async () => {
    const plist = (key: string) =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n\t<key>${key}</key>\n\t<true/>\n</dict>\n</plist>\n`;
    const r = await audit({
      'Platforms/iOS/Entitlements.plist': plist('get-task-allow'),
      'dump/entitlements.plist': plist('get-task-allow'),
      'App/Settings.plist': plist('get-task-allow'),
    });
    expect(seen(r, 'ios-debug-entitlement')).toEqual([
      'Platforms/iOS/Entitlements.plist:4 high',
      'dump/entitlements.plist:4 high',
    ]);
  });

  it('a password appended from java.util.Random is found; from SecureRandom it is not', async () => {
    const r = await audit({
      'app/src/main/java/com/acme/Gen.kt': [
        'fun make(): String {',
        '  val random = Random()',
        '  val password = StringBuilder()',
        '  for (i in 0 until 16) password.append(chars[random.nextInt(chars.length)])',
        '  return password.toString()',
        '}',
      ].join('\n'),
      'app/src/main/java/com/acme/Safe.kt': [
        'fun make(): String {',
        '  val random = SecureRandom()',
        '  val password = StringBuilder()',
        '  for (i in 0 until 16) password.append(chars[random.nextInt(chars.length)])',
        '  return password.toString()',
        '}',
      ].join('\n'),
    });
    expect(seen(r, 'crypto-insecure-random')).toEqual(['app/src/main/java/com/acme/Gen.kt:4 medium']);
  });
});

describe('known misses taken up by the sixteenth held-out set', () => {
  it('an object logged whole after its password was set is found; one without a secret field is not', async () => {
    const r = await audit({
      'App/SignUp.m': [
        '- (void)signUp {',
        '    PFObject *user = [PFObject objectWithClassName:@"Person"];',
        '    user[@"name"] = self.nameField.text;',
        '    user[@"password"] = self.passwordField.text;',
        '    NSLog(@"user saved: %@", user.description);',
        '}',
      ].join('\n'),
      'App/Note.m': [
        '- (void)save {',
        '    PFObject *note = [PFObject objectWithClassName:@"Note"];',
        '    note[@"title"] = self.titleField.text;',
        '    NSLog(@"note saved: %@", note.description);',
        '}',
      ].join('\n'),
      'app/src/main/java/com/acme/Account.java': [
        'class Account {',
        '  void make(String pw) {',
        '    User user = new User();',
        '    user.password = pw;',
        '    Log.d(TAG, "created " + user);',
        '  }',
        '}',
      ].join('\n'),
    });
    expect(seen(r, 'storage-secret-in-log')).toEqual([
      'App/SignUp.m:5 medium',
      'app/src/main/java/com/acme/Account.java:5 medium',
    ]);
  });

  it('a Cordova plugin returning the launching intent’s extra named by the page is found; a fixed extra is not', async () => {
    const plugin = (get: string) =>
      [
        'public class Extras extends CordovaPlugin {',
        '  boolean getExtra(JSONArray args, CallbackContext cb) throws JSONException {',
        '    Intent i = this.cordova.getActivity().getIntent();',
        '    String extraName = args.getString(0);',
        `    cb.sendPluginResult(new PluginResult(PluginResult.Status.OK, ${get}));`,
        '    return true;',
        '  }',
        '}',
      ].join('\n');
    const r = await audit({
      'plugins/extras/src/android/Extras.java': plugin('i.getStringExtra(extraName)'),
      'plugins/fixed/src/android/Extras.java': plugin('i.getStringExtra("theme")'),
    });
    expect(seen(r, 'android-webview-js-interface')).toEqual([
      'plugins/extras/src/android/Extras.java:5 medium',
    ]);
  });

  it('found on the regression run: an extra naming the id of a session is no credential, an object describing itself is not logged whole', async () => {
    const r = await audit({
      'lib/src/main/java/org/acme/support/Launcher.java': [
        'class Launcher {',
        '  static final String LAUNCH = "org.acme.action.SESSION";',
        '  void launch(Context c, String appId) {',
        '    Intent intent = new Intent(LAUNCH);',
        '    intent.putExtra(SESSION_ENDPOINT_APP_ID, appId);',
        '    c.startActivity(intent);',
        '  }',
        '}',
      ].join('\n'),
      'app/src/main/java/org/acme/api/Request.java': [
        'class Request {',
        '  Request(TypeToken<T> t) {',
        '    this.respTypeToken = t;',
        '    Log.d(TAG, "new request " + this);',
        '  }',
        '}',
      ].join('\n'),
    });
    expect(seen(r, 'android-implicit-intent')).toEqual([
      'lib/src/main/java/org/acme/support/Launcher.java:6 medium',
    ]);
    expect(seen(r, 'storage-secret-in-log')).toEqual([]);
  });
});
