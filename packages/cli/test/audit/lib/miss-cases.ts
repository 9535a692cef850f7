/**
 * One positive and one negative case for each rule added for the misses of issue 13, in the shape
 * of `rules.test.ts`'s cases: the positive reproduces the miss in a small fixture written here
 * (never an app's code), the negative is the nearest benign look-alike, which must stay quiet.
 */

import { zipSync } from 'fflate';
import { elf, MH_PIE, machO, PT_DYNAMIC, PT_GNU_RELRO, PT_GNU_STACK } from './binaries.js';

/** A rule's two fixtures: files (path → content) of an app tree. */
export interface RuleCase {
  rule: string;
  positive: Record<string, string | Uint8Array>;
  negative: Record<string, string | Uint8Array>;
  apiDomains?: string[];
}

const java = (body: string) => ({
  'app/src/main/java/com/acme/Thing.java': `package com.acme;\n\nclass Thing {\n${body}\n}\n`,
});
const kotlin = (body: string) => ({
  'app/src/main/java/com/acme/Thing.kt': `package com.acme\n\n${body}\n`,
});

const manifest = (sdk: string, app = '', body = '') => ({
  'app/src/main/AndroidManifest.xml': `<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.acme">
  ${sdk}
  <application android:allowBackup="false" ${app}>
${body}
  </application>
</manifest>
`,
});

const HARDENED = [{ type: PT_DYNAMIC }, { type: PT_GNU_STACK, flags: 6 }, { type: PT_GNU_RELRO }];
const so = (path: string, content: Buffer) => ({ [`app/src/main/jniLibs/arm64-v8a/${path}`]: content });

/**
 * A small APK: a manifest and a v1 signature file, with or without an APK Signing Block (an
 * empty one: its size, no id-value pairs, its size again, the magic) spliced in before the
 * central directory, whose offset in the end record moves by the block's length.
 */
export function apk(signingBlock: boolean): Uint8Array {
  const zip = Buffer.from(
    zipSync({
      'AndroidManifest.xml': new TextEncoder().encode('<manifest package="com.acme"/>'),
      'META-INF/CERT.RSA': new TextEncoder().encode('0 CN=Acme Release, O=Acme, C=DE'),
    }),
  );
  if (!signingBlock) return zip;
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const directory = zip.readUInt32LE(eocd + 16);
  const block = Buffer.alloc(32);
  block.writeBigUInt64LE(24n, 0);
  block.writeBigUInt64LE(24n, 8);
  block.write('APK Sig Block 42', 16, 'latin1');
  const out = Buffer.concat([zip.subarray(0, directory), block, zip.subarray(directory)]);
  out.writeUInt32LE(directory + block.length, eocd + block.length + 16);
  return out;
}

/** The cases, in catalogue order. */
export const MISS_CASES: RuleCase[] = [
  {
    rule: 'android-cleartext-default',
    positive: manifest('<uses-sdk android:minSdkVersion="24" android:targetSdkVersion="27"/>'),
    negative: {
      ...manifest(
        '<uses-sdk android:minSdkVersion="24" android:targetSdkVersion="27"/>',
        'android:networkSecurityConfig="@xml/network_security_config"',
      ),
      'app/src/main/res/xml/network_security_config.xml':
        '<network-security-config><base-config cleartextTrafficPermitted="false"/></network-security-config>',
    },
  },
  {
    rule: 'android-task-hijacking',
    positive: manifest('', '', '    <activity android:name=".Pay" android:launchMode="singleTask"/>'),
    negative: manifest(
      '',
      'android:taskAffinity=""',
      '    <activity android:name=".Pay" android:launchMode="singleTask"/>',
    ),
  },
  {
    rule: 'android-grant-uri-permissions',
    positive: manifest(
      '',
      '',
      '    <provider android:name=".Docs" android:authorities="com.acme.docs" android:exported="true" android:grantUriPermissions="true"/>',
    ),
    negative: manifest(
      '',
      '',
      '    <provider android:name="androidx.core.content.FileProvider" android:authorities="com.acme.files" android:exported="false" android:grantUriPermissions="true"/>',
    ),
  },
  {
    rule: 'android-fileprovider-root-path',
    positive: { 'app/src/main/res/xml/file_paths.xml': '<paths><root-path name="root" path="."/></paths>' },
    negative: {
      'app/src/main/res/xml/file_paths.xml': '<paths><files-path name="shared" path="shared/"/></paths>',
    },
  },
  {
    rule: 'android-min-sdk',
    positive: {
      'app/build.gradle':
        'android {\n  defaultConfig {\n    minSdkVersion 19\n    targetSdkVersion 34\n  }\n}\n',
    },
    negative: {
      'app/build.gradle.kts': 'android {\n  defaultConfig {\n    minSdk = 26\n    targetSdk = 34\n  }\n}\n',
    },
  },
  {
    rule: 'android-debug-signed',
    positive: {
      'META-INF/CERT.RSA': Buffer.from(
        '0\x82\x03\x1b\x06\tCN=Android Debug, O=Android, C=US\x00\x01',
        'latin1',
      ),
    },
    negative: {
      'META-INF/CERT.RSA': Buffer.from('0\x82\x03\x1b\x06\tCN=Acme Release, O=Acme, C=DE\x00\x01', 'latin1'),
    },
  },
  {
    rule: 'android-v1-only-signed',
    positive: { 'app/build/outputs/apk/release/app-release.apk': apk(false) },
    negative: { 'app/build/outputs/apk/release/app-release.apk': apk(true) },
  },
  {
    rule: 'secret-url-credentials',
    positive: {
      'app/src/main/res/values/strings.xml':
        '<resources>\n  <string name="feed">https://admin:S3cr3t-2024@feeds.acme-corp.io/rss</string>\n</resources>\n',
    },
    negative: {
      'app/src/main/res/values/strings.xml': [
        '<resources>',
        '  <string name="a">https://admin@feeds.acme-corp.io/rss</string>',
        '  <string name="b">https://user:password@feeds.acme-corp.io/</string>',
        '  <string name="c">https://feeds.acme-corp.io/login?next=a@b.c</string>',
        '</resources>',
        '',
      ].join('\n'),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source of a fixture
      'www/app.js': 'const u = `https://${user}:${pass}@api.acme-corp.io/`;\n',
    },
  },
  {
    rule: 'firebase-database-url',
    positive: {
      'app/google-services.json':
        '{ "project_info": { "project_number": "1", "firebase_url": "https://acme-demo-app.firebaseio.com", "project_id": "acme-demo-app" } }\n',
    },
    negative: {
      'app/google-services.json':
        '{ "project_info": { "project_number": "1", "storage_bucket": "acme-demo-app.appspot.com", "project_id": "acme-demo-app" } }\n',
      'www/app.js': 'const site = "https://acme-demo-app.firebaseapp.com";\n',
    },
  },
  {
    rule: 'crypto-hardcoded-key',
    positive: java(
      '  byte[] enc(byte[] d) throws Exception {\n    SecretKeySpec k = new SecretKeySpec("0123456789abcdef".getBytes(), "AES");\n    return d;\n  }',
    ),
    negative: java(
      '  static final String KEY = "user_session";\n  static final String EXTRA_KEY = "com.acme.EXTRA_KEY";\n  byte[] enc(byte[] keyBytes) { SecretKeySpec k = new SecretKeySpec(keyBytes, "AES"); return keyBytes; }',
    ),
  },
  {
    // A promo code kept in a constant and compared with what the user typed (written here after
    // the AndroGoat case, not copied from it).
    rule: 'secret-hardcoded-comparison',
    positive: kotlin(
      'class Cart {\n  private val couponCode: String = "FREE2026"\n  fun apply(couponField: EditText): Boolean =\n    couponField.text.toString().equals(couponCode, ignoreCase = true)\n}',
    ),
    negative: kotlin(
      'class Cart {\n  fun confirm(confirmInput: EditText, timeLeft: TextView): Boolean =\n    confirmInput.text.toString() == "DELETE" && timeLeft.text == "1h 5m"\n}',
    ),
  },
  {
    rule: 'crypto-weak-hash',
    positive: kotlin(
      'fun hashPin(pin: String): String =\n  MessageDigest.getInstance("MD5").digest(pin.toByteArray()).joinToString("") { "%02x".format(it) }',
    ),
    negative: kotlin(
      'fun hashPin(pin: String): ByteArray = MessageDigest.getInstance("SHA-256").digest(pin.toByteArray())\nval mac = Mac.getInstance("HmacSHA1")',
    ),
  },
  {
    rule: 'crypto-static-iv',
    positive: java('  IvParameterSpec iv = new IvParameterSpec(new byte[16]);'),
    negative: java(
      '  IvParameterSpec fresh() { byte[] iv = new byte[16]; new SecureRandom().nextBytes(iv); return new IvParameterSpec(iv); }',
    ),
  },
  {
    rule: 'crypto-ecb-mode',
    positive: java('  Cipher c = Cipher.getInstance("AES/ECB/PKCS5Padding");'),
    negative: java(
      '  Cipher r = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");\n  Cipher g = Cipher.getInstance("AES/GCM/NoPadding");',
    ),
  },
  {
    rule: 'crypto-insecure-random',
    positive: java('  void f(byte[] iv) { new Random().nextBytes(iv); }'),
    negative: java(
      '  void f(byte[] iv) { new SecureRandom().nextBytes(iv); int delay = new Random().nextInt(100); }',
    ),
  },
  {
    rule: 'network-trust-all-certificates',
    positive: java(
      '  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {\n    // trust everyone\n  }',
    ),
    negative: java(
      '  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {\n    platform.checkServerTrusted(chain, authType);\n  }',
    ),
  },
  {
    rule: 'network-hostname-verification-off',
    positive: kotlin('val client = OkHttpClient.Builder().hostnameVerifier { _, _ -> true }.build()'),
    negative: kotlin(
      'val ok = HttpsURLConnection.getDefaultHostnameVerifier().verify(host, session)\nval client = OkHttpClient.Builder().build()',
    ),
  },
  {
    rule: 'android-webview-javascript',
    positive: java('  void setUp(WebView w) { w.getSettings().setJavaScriptEnabled(true); }'),
    negative: java(
      '  // Never call setJavaScriptEnabled(true) here.\n  void setUp(WebView w) { w.getSettings().setJavaScriptEnabled(false); }',
    ),
  },
  {
    rule: 'android-webview-file-access',
    positive: kotlin('fun setUp(w: WebView) { w.settings.allowUniversalAccessFromFileURLs = true }'),
    negative: kotlin('fun setUp(w: WebView) { w.settings.allowFileAccess = false }'),
  },
  {
    rule: 'android-webview-js-interface',
    positive: java('  void setUp(WebView w) { w.addJavascriptInterface(new Bridge(), "Android"); }'),
    negative: java('  void setUp(WebView w) { w.removeJavascriptInterface("Android"); }'),
  },
  {
    rule: 'storage-secret-in-preferences',
    positive: java(
      '  void save(SharedPreferences p, String pw) { p.edit().putString("password", pw).apply(); }',
    ),
    negative: {
      ...java(
        '  void save(SharedPreferences p, String h) { p.edit().putString("password_hint", h).apply(); }',
      ),
      'app/src/main/java/com/acme/Vault.kt':
        'val prefs = EncryptedSharedPreferences.create(ctx, "vault", key, AES256_SIV, AES256_GCM)\nfun save(pw: String) = prefs.edit().putString("password", pw).apply()\n',
    },
  },
  {
    rule: 'storage-external-write',
    positive: java(
      '  void save(String history) throws IOException {\n    String path = Environment.getExternalStorageDirectory() + "/history.html";\n    BufferedWriter out = new BufferedWriter(new FileWriter(path, true));\n    out.write(history);\n  }',
    ),
    negative: java(
      '  void save(String history) throws IOException {\n    boolean mounted = Environment.MEDIA_MOUNTED.equals(Environment.getExternalStorageState());\n    FileWriter out = new FileWriter(new File(getFilesDir(), "history.html"));\n    out.write(history);\n  }',
    ),
  },
  {
    rule: 'android-implicit-intent',
    positive: java(
      '  void notifyLogin(String user) {\n    Intent intent = new Intent();\n    intent.setAction("com.acme.app.LOGGED_IN");\n    intent.putExtra("user", user);\n    sendBroadcast(intent);\n  }',
    ),
    negative: java(
      '  void notifyLogin(String user) {\n    Intent intent = new Intent();\n    intent.setAction("com.acme.app.LOGGED_IN");\n    intent.setPackage(getPackageName());\n    intent.putExtra("user", user);\n    sendBroadcast(intent);\n  }',
    ),
  },
  {
    rule: 'storage-secret-in-log',
    positive: java(
      '  void login(String user, String password) { Log.d(TAG, "login " + user + " with " + password); }',
    ),
    negative: java('  void reset() { Log.d(TAG, "Password reset requested"); }'),
  },
  {
    rule: 'code-dynamic-loading',
    positive: java(
      '  ClassLoader load(String path) { return new DexClassLoader(path, dir, null, getClassLoader()); }',
    ),
    negative: java(
      '  Class<?> load() throws Exception { return getClassLoader().loadClass("com.acme.Plugin"); }',
    ),
  },
  {
    rule: 'code-sql-injection',
    positive: java(
      `  Cursor find(String name) { return db.rawQuery("SELECT * FROM users WHERE name = '" + name + "'", null); }`,
    ),
    negative: java(
      '  Cursor find(String name) { return db.rawQuery("SELECT * FROM users WHERE name = ?", new String[] { name }); }',
    ),
  },
  {
    rule: 'native-banned-api',
    positive: {
      'app/src/main/jni/native.c': 'void copy(char *dst, const char *src) { strcpy(dst, src); }\n',
    },
    negative: {
      'app/src/main/jni/native.c':
        'void copy(char *dst, const char *src, size_t n) { strlcpy(dst, src, n); snprintf(dst, n, "%s", src); }\n',
    },
  },
  {
    rule: 'native-nx-disabled',
    positive: so(
      'libexec.so',
      elf(
        3,
        [{ type: PT_DYNAMIC }, { type: PT_GNU_STACK, flags: 7 }, { type: PT_GNU_RELRO }],
        ['__stack_chk_fail'],
      ),
    ),
    negative: so('libok.so', elf(3, HARDENED, ['__stack_chk_fail'])),
  },
  {
    rule: 'native-not-pie',
    positive: so('libtool.so', elf(2, HARDENED, ['__stack_chk_fail'])),
    negative: {
      ...so('libok.so', elf(3, HARDENED, ['__stack_chk_fail'])),
      'Payload/App.app/App': machO(2, MH_PIE, ['___stack_chk_fail', '_objc_msgSend', '_objc_release']),
    },
  },
  {
    rule: 'native-no-relro',
    positive: so(
      'librw.so',
      elf(3, [{ type: PT_DYNAMIC }, { type: PT_GNU_STACK, flags: 6 }], ['__stack_chk_fail']),
    ),
    negative: so('libok.so', elf(3, HARDENED, ['__stack_chk_fail'])),
  },
  {
    rule: 'native-no-stack-canary',
    positive: so('libplain.so', elf(3, HARDENED, ['memcpy'])),
    negative: so('libok.so', elf(3, HARDENED, ['memcpy', '__stack_chk_fail'])),
  },
  {
    rule: 'ios-binary-no-arc',
    positive: {
      'Payload/App.app/App': machO(2, MH_PIE, ['___stack_chk_fail', '_objc_msgSend', '_objc_retain']),
    },
    negative: {
      'Payload/App.app/App': machO(2, MH_PIE, ['___stack_chk_fail', '_objc_msgSend', '_objc_release']),
    },
  },
];
