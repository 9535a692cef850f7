/**
 * Every rule of `bulwark audit` in one table: id, default severity, MASVS v2 control, MASTG test
 * and fix hint. The detectors refer to rules by id; SARIF lists this table as `tool.driver.rules`.
 * Why each rule exists and how it decides is in `docs/audit.md`.
 */
import type { Severity } from '../types.js';

/**
 * Static description of a rule.
 *
 * @example
 * ```ts
 * const rule = RULES['android-debuggable'];
 * console.log(rule.title, rule.masvs);
 * ```
 */
export interface RuleMeta<Id extends string = string> {
  id: Id;
  /** Default severity; a detector may lower it (e.g. an encrypted private key). */
  severity: Severity;
  title: string;
  masvs: string;
  mastg?: string;
  fix: string;
}

function rule<const Id extends string>(
  id: Id,
  severity: Severity,
  masvs: string,
  mastg: string | undefined,
  title: string,
  fix: string,
): RuleMeta<Id> {
  return mastg === undefined
    ? { id, severity, title, masvs, fix }
    : { id, severity, title, masvs, mastg, fix };
}

const SECRET_FIX =
  'Remove it from the app, revoke and rotate it at the provider, and have the server call the API on the app’s behalf.';

const LIST = [
  // Secrets shipped in the bundle (MASWE-0005 / MASWE-0014).
  rule('secret-aws-access-key-id', 'high', 'MASVS-STORAGE-1', undefined, 'AWS access key id', SECRET_FIX),
  rule(
    'secret-aws-secret-access-key',
    'critical',
    'MASVS-STORAGE-1',
    undefined,
    'AWS secret access key',
    SECRET_FIX,
  ),
  rule('secret-github-token', 'critical', 'MASVS-STORAGE-1', undefined, 'GitHub token', SECRET_FIX),
  rule('secret-gitlab-token', 'critical', 'MASVS-STORAGE-1', undefined, 'GitLab token', SECRET_FIX),
  rule('secret-slack-token', 'high', 'MASVS-STORAGE-1', undefined, 'Slack token', SECRET_FIX),
  rule(
    'secret-slack-webhook',
    'high',
    'MASVS-STORAGE-1',
    undefined,
    'Slack incoming webhook URL',
    SECRET_FIX,
  ),
  rule(
    'secret-stripe-live-key',
    'critical',
    'MASVS-STORAGE-1',
    undefined,
    'Stripe live secret or restricted key',
    SECRET_FIX,
  ),
  rule(
    'secret-stripe-test-key',
    'medium',
    'MASVS-STORAGE-1',
    undefined,
    'Stripe test-mode secret key',
    SECRET_FIX,
  ),
  rule(
    'secret-google-api-key',
    'medium',
    'MASVS-STORAGE-1',
    undefined,
    'Google API key',
    'Google API keys shipped in apps must be restricted (app signature / bundle id and API list) in the Cloud console; move privileged calls to the server.',
  ),
  rule(
    'secret-google-oauth-client-secret',
    'high',
    'MASVS-STORAGE-1',
    undefined,
    'Google OAuth client secret',
    SECRET_FIX,
  ),
  rule(
    'secret-azure-storage-key',
    'critical',
    'MASVS-STORAGE-1',
    undefined,
    'Azure storage account key',
    SECRET_FIX,
  ),
  rule(
    'secret-azure-ad-client-secret',
    'critical',
    'MASVS-STORAGE-1',
    undefined,
    'Microsoft Entra ID (Azure AD) client secret',
    SECRET_FIX,
  ),
  rule(
    'secret-private-key',
    'critical',
    'MASVS-CRYPTO-2',
    'MASTG-TEST-0214',
    'Private key (PEM)',
    'Never ship private keys: keep them on the server, or generate device keys in the platform keystore at run time.',
  ),
  rule(
    'secret-jwt',
    'high',
    'MASVS-STORAGE-1',
    undefined,
    'JSON Web Token',
    'Do not embed tokens in the app: obtain short-lived tokens at run time from the server.',
  ),
  rule(
    'secret-dotenv-file',
    'high',
    'MASVS-STORAGE-1',
    undefined,
    '.env file shipped',
    'Keep .env files out of the build output (bundler config, .gitignore is not enough); inline only public values.',
  ),
  rule(
    'secret-generic-assignment',
    'high',
    'MASVS-STORAGE-1',
    undefined,
    'High-entropy secret assigned to a secret-like name',
    SECRET_FIX,
  ),
  // Network.
  rule(
    'cleartext-http-url',
    'medium',
    'MASVS-NETWORK-1',
    'MASTG-TEST-0233',
    'Cleartext http:// endpoint',
    'Use https:// for every endpoint; loopback addresses, XML namespaces and schema identifiers are not flagged.',
  ),
  // Storage.
  rule(
    'storage-token-in-web-storage',
    'high',
    'MASVS-STORAGE-1',
    'MASTG-TEST-0052',
    'Token or credential written to localStorage / AsyncStorage',
    'Keep tokens in the platform keystore (Keychain / Android Keystore) or the Bulwark vault, never in localStorage or AsyncStorage, which are plaintext files on the device.',
  ),
  rule(
    'sourcemap-shipped',
    'medium',
    'MASVS-RESILIENCE-3',
    undefined,
    'Source map shipped',
    'Do not ship source maps (or inline ones) in the release bundle; upload them to your crash reporter instead.',
  ),
  // Android manifest.
  rule(
    'android-debuggable',
    'high',
    'MASVS-RESILIENCE-4',
    'MASTG-TEST-0226',
    'Debuggable app',
    'Remove android:debuggable from the manifest; release builds set it to false.',
  ),
  rule(
    'android-allow-backup',
    'medium',
    'MASVS-STORAGE-2',
    'MASTG-TEST-0262',
    'Backup allowed without exclusion rules',
    'Set android:allowBackup="false", or add android:fullBackupContent / android:dataExtractionRules that exclude secrets and databases.',
  ),
  rule(
    'android-cleartext-traffic',
    'high',
    'MASVS-NETWORK-1',
    'MASTG-TEST-0235',
    'usesCleartextTraffic enabled',
    'Remove android:usesCleartextTraffic="true"; allow cleartext only for loopback in a debug-only network security config.',
  ),
  rule(
    'android-test-only',
    'high',
    'MASVS-RESILIENCE-4',
    undefined,
    'testOnly build',
    'Ship a release build: remove android:testOnly.',
  ),
  rule(
    'android-exported-component',
    'medium',
    'MASVS-PLATFORM-1',
    'MASTG-TEST-0029',
    'Component exported without a permission',
    'Set android:exported="false" or protect the component with android:permission (signature level).',
  ),
  rule(
    'android-cleartext-default',
    'medium',
    'MASVS-NETWORK-1',
    'MASTG-TEST-0235',
    'Cleartext allowed by default (targetSdkVersion < 28)',
    'Target API 28 or later, or set android:usesCleartextTraffic="false" (or a network security config base-config with cleartextTrafficPermitted="false").',
  ),
  rule(
    'android-task-hijacking',
    'low',
    'MASVS-PLATFORM-1',
    undefined,
    'Activity open to task hijacking',
    'Set android:taskAffinity="" on the application (or the activity) and use launchMode standard or singleTop where you can.',
  ),
  rule(
    'android-grant-uri-permissions',
    'medium',
    'MASVS-PLATFORM-1',
    undefined,
    'Exported content provider grants URI permissions',
    'Do not export the provider (a FileProvider must not be); grant per-URI access with Intent flags instead.',
  ),
  rule(
    'android-implicit-intent',
    'medium',
    'MASVS-PLATFORM-1',
    'MASTG-TEST-0026',
    'Implicit intent of the app’s own action',
    'Name the component (setPackage, setComponent, or Intent(context, Target::class.java)), or give a broadcast a receiver permission; never put secrets or URI grants on an intent another app can answer.',
  ),
  rule(
    'android-fileprovider-root-path',
    'medium',
    'MASVS-PLATFORM-1',
    undefined,
    'FileProvider shares the whole file system',
    'Replace <root-path> with the narrowest <files-path>/<cache-path> subdirectory that holds what you share.',
  ),
  rule(
    'android-min-sdk',
    'low',
    'MASVS-CODE-1',
    undefined,
    'Supports Android versions below 7.0',
    'Raise minSdkVersion to 24 or more; on older versions user CAs are trusted and network security configs ignored.',
  ),
  rule(
    'android-debug-signed',
    'medium',
    'MASVS-RESILIENCE-2',
    undefined,
    'Signed with the Android debug certificate',
    'Build and sign the release with your release key (or Play App Signing); never ship a debug build.',
  ),
  rule(
    'android-v1-only-signed',
    'medium',
    'MASVS-RESILIENCE-2',
    'MASTG-TEST-0224',
    'Signed with the v1 (JAR) signature scheme only',
    'Sign with APK Signature Scheme v2 or later as well (apksigner and the Android Gradle plugin do by default); a v1-only APK can be modified without breaking its signature on Android 5.0 to 8.0.',
  ),
  rule(
    'android-nsc-cleartext',
    'high',
    'MASVS-NETWORK-1',
    'MASTG-TEST-0235',
    'Network security config permits cleartext',
    'Set cleartextTrafficPermitted="false" (the default since API 28) outside a debug-overrides block.',
  ),
  rule(
    'android-nsc-user-certs',
    'high',
    'MASVS-NETWORK-1',
    'MASTG-TEST-0286',
    'Network security config trusts user-installed CAs',
    'Trust only system CAs in release builds; put <certificates src="user"/> in <debug-overrides> only.',
  ),
  rule(
    'android-nsc-no-pins',
    'medium',
    'MASVS-NETWORK-2',
    'MASTG-TEST-0242',
    'No certificate pins for the API domain',
    'Add a <pin-set> with a backup pin for the API domain; `bulwark pins <host> --emit android` writes one.',
  ),
  rule(
    'android-nsc-expired-pins',
    'high',
    'MASVS-NETWORK-2',
    'MASTG-TEST-0243',
    'Expired pin-set (pinning is off)',
    'Renew the pin-set and its expiration date; `bulwark pins <host> --emit android` writes a current one.',
  ),
  // iOS.
  rule(
    'ios-ats-arbitrary-loads',
    'high',
    'MASVS-NETWORK-1',
    'MASTG-TEST-0065',
    'App Transport Security disabled',
    'Remove NSAllowsArbitraryLoads (and its InWebContent / ForMedia variants) from Info.plist.',
  ),
  rule(
    'ios-ats-exception',
    'medium',
    'MASVS-NETWORK-1',
    'MASTG-TEST-0065',
    'App Transport Security exception for a domain',
    'Remove the NSExceptionDomains entry, or limit it to a domain you do not control and require TLS 1.2+.',
  ),
  rule(
    'ios-debug-entitlement',
    'high',
    'MASVS-RESILIENCE-4',
    'MASTG-TEST-0261',
    'get-task-allow entitlement (debuggable)',
    'Sign the release with a distribution profile: get-task-allow must be false.',
  ),
  // Capacitor / Cordova.
  rule(
    'hybrid-dev-server-url',
    'high',
    'MASVS-PLATFORM-2',
    undefined,
    'WebView loads the app from a development server',
    'Remove server.url from capacitor.config.json before building a release (it is for live reload).',
  ),
  rule(
    'hybrid-cleartext',
    'high',
    'MASVS-NETWORK-1',
    'MASTG-TEST-0237',
    'Capacitor server.cleartext enabled',
    'Remove server.cleartext from the release configuration.',
  ),
  rule(
    'hybrid-mixed-content',
    'medium',
    'MASVS-NETWORK-1',
    'MASTG-TEST-0237',
    'WebView allows mixed content',
    'Remove android.allowMixedContent; load every resource over https://.',
  ),
  rule(
    'hybrid-webview-debugging',
    'high',
    'MASVS-RESILIENCE-4',
    'MASTG-TEST-0227',
    'WebView debugging enabled',
    'Remove webContentsDebuggingEnabled (or set it to false) for release builds.',
  ),
  rule(
    'hybrid-access-any-origin',
    'medium',
    'MASVS-PLATFORM-2',
    undefined,
    'Cordova allows any origin',
    'List the exact origins in <access origin> / <allow-navigation href> instead of "*".',
  ),
  // Found in a bundle's text (any file), beside the secrets above.
  rule(
    'secret-url-credentials',
    'high',
    'MASVS-STORAGE-1',
    undefined,
    'User name and password inside a URL',
    'Remove the credentials from the URL; have the server hold them, or obtain a per-user token at run time.',
  ),
  rule(
    'firebase-database-url',
    'low',
    'MASVS-AUTH-1',
    undefined,
    'Firebase Realtime Database URL',
    'Make sure the database rules deny unauthenticated reads and writes (`curl https://<db>/.json` must answer "Permission denied").',
  ),
  // Source code (Java, Kotlin, Swift, Objective-C, C).
  rule(
    'secret-hardcoded-comparison',
    'high',
    'MASVS-AUTH-1',
    undefined,
    'User input compared with a literal in the app (promo code, unlock code, PIN)',
    'Check codes, PINs and passwords on the server (or against a salted slow hash for an offline PIN); anyone who unpacks the app reads a literal compared in it.',
  ),
  rule(
    'crypto-hardcoded-key',
    'high',
    'MASVS-CRYPTO-2',
    undefined,
    'Hard-coded symmetric key',
    'Generate keys at run time in the Android Keystore / iOS Keychain (Secure Enclave where possible); never ship key material in the app.',
  ),
  rule(
    'crypto-weak-hash',
    'medium',
    'MASVS-CRYPTO-1',
    undefined,
    'MD5 or SHA-1 used as a hash',
    'Hash passwords and PINs with a slow, salted function (Argon2, scrypt, PBKDF2 with a high count) and anything else with SHA-256 or better; MD5 and SHA-1 are fit only for non-security checksums.',
  ),
  rule(
    'crypto-static-iv',
    'medium',
    'MASVS-CRYPTO-1',
    undefined,
    'Static or zero IV',
    'Use a fresh random IV (SecureRandom) for every encryption, stored beside the ciphertext; prefer AES-GCM.',
  ),
  rule(
    'crypto-ecb-mode',
    'high',
    'MASVS-CRYPTO-1',
    undefined,
    'ECB mode',
    'Name an authenticated mode: "AES/GCM/NoPadding" with a random 12-byte IV.',
  ),
  rule(
    'crypto-insecure-random',
    'medium',
    'MASVS-CRYPTO-1',
    undefined,
    'Predictable random numbers for a security value',
    'Use java.security.SecureRandom (SecRandomCopyBytes on iOS) for keys, IVs, salts, nonces and tokens.',
  ),
  rule(
    'network-trust-all-certificates',
    'high',
    'MASVS-NETWORK-1',
    undefined,
    'TLS certificates not validated',
    'Remove the custom TrustManager / SSL-error handler; rely on the platform validation (and pin with a network security config).',
  ),
  rule(
    'network-hostname-verification-off',
    'high',
    'MASVS-NETWORK-1',
    undefined,
    'TLS host name not verified',
    'Remove the custom HostnameVerifier; the platform default checks the host name.',
  ),
  rule(
    'android-webview-javascript',
    'low',
    'MASVS-PLATFORM-2',
    undefined,
    'WebView JavaScript enabled',
    'Enable JavaScript only for WebViews that load your own content over https://.',
  ),
  rule(
    'android-webview-file-access',
    'medium',
    'MASVS-PLATFORM-2',
    undefined,
    'WebView file access enabled',
    'Set allowFileAccess, allowFileAccessFromFileURLs and allowUniversalAccessFromFileURLs to false; serve local content with WebViewAssetLoader.',
  ),
  rule(
    'android-webview-js-interface',
    'medium',
    'MASVS-PLATFORM-2',
    undefined,
    'Native methods exposed to WebView JavaScript',
    'Expose a JavaScript interface only to your own origin (WebViewCompat.addWebMessageListener with an allow-list) and only the methods it needs.',
  ),
  rule(
    'storage-secret-in-preferences',
    'high',
    'MASVS-STORAGE-1',
    undefined,
    'Secret written in clear to preferences, plists, local databases or external storage',
    'Keep secrets in the Android Keystore / iOS Keychain (or EncryptedSharedPreferences, the Bulwark vault), not in preference files.',
  ),
  rule(
    'storage-external-write',
    'medium',
    'MASVS-STORAGE-1',
    undefined,
    'File written to external storage or made world-readable',
    'Write app data to internal storage (getFilesDir, Context.MODE_PRIVATE) and share single files through a FileProvider; keep nothing sensitive on external storage, and never use MODE_WORLD_READABLE/WRITEABLE.',
  ),
  rule(
    'storage-secret-in-log',
    'medium',
    'MASVS-STORAGE-2',
    undefined,
    'Secret written to the log',
    'Do not log secrets; strip debug logging from release builds (R8 -assumenosideeffects, #if DEBUG).',
  ),
  rule(
    'code-sql-injection',
    'medium',
    'MASVS-CODE-4',
    undefined,
    'SQL built by splicing a value into a quoted literal',
    'Pass values as bound arguments (rawQuery(sql, selectionArgs), SQLiteStatement.bindString, ContentValues with insert/update), never spliced into the SQL text; above all a value that arrives through a WebView bridge or an Intent.',
  ),
  rule(
    'code-dynamic-loading',
    'medium',
    'MASVS-CODE-4',
    undefined,
    'Code loaded at run time',
    'Ship the code in the app; if it must be loaded, load it only from the app’s private storage and verify its signature first.',
  ),
  rule(
    'native-banned-api',
    'low',
    'MASVS-CODE-4',
    undefined,
    'Unbounded C string function',
    'Use the bounded functions (fgets, strlcpy, strlcat, snprintf) and check their results.',
  ),
  // Native binaries (ELF libraries, Mach-O executables).
  rule(
    'native-nx-disabled',
    'medium',
    'MASVS-CODE-4',
    undefined,
    'Executable stack (no NX)',
    'Link with -z noexecstack (the NDK default); remove any assembly or linker flag that marks the stack executable.',
  ),
  rule(
    'native-not-pie',
    'medium',
    'MASVS-CODE-4',
    undefined,
    'Native code not position-independent',
    'Build with -fPIE -pie (Android) or keep the MH_PIE default (iOS), so the loader can randomise the address.',
  ),
  rule(
    'native-no-relro',
    'low',
    'MASVS-CODE-4',
    undefined,
    'No RELRO',
    'Link with -Wl,-z,relro,-z,now (the NDK default).',
  ),
  rule(
    'native-no-stack-canary',
    'low',
    'MASVS-CODE-4',
    undefined,
    'No stack canary',
    'Compile with -fstack-protector-strong (the NDK and Xcode default).',
  ),
  rule(
    'ios-binary-no-arc',
    'low',
    'MASVS-CODE-4',
    undefined,
    'Objective-C without ARC',
    'Build with -fobjc-arc (CLANG_ENABLE_OBJC_ARC = YES).',
  ),
  // The scanner itself.
  rule(
    'audit-unparsed-file',
    'medium',
    'MASVS-CODE-4',
    undefined,
    'Configuration file could not be parsed',
    'The checks for this file did not run: make sure it is a valid manifest, plist, XML or JSON file.',
  ),
] as const satisfies readonly RuleMeta[];

/**
 * The id of a rule of the catalogue: a detector that names any other id does not compile.
 *
 * @example
 * ```ts
 * const id: RuleId = 'android-debuggable';
 * ```
 */
export type RuleId = (typeof LIST)[number]['id'];

/**
 * Rules by id.
 *
 * @example
 * ```ts
 * RULES['secret-private-key']?.severity; // 'critical'
 * ```
 */
export const RULES: Readonly<Record<RuleId, RuleMeta<RuleId>>> = Object.freeze(
  Object.fromEntries(LIST.map((r) => [r.id, r])) as Record<RuleId, RuleMeta<RuleId>>,
);

/**
 * Every rule, in catalogue order.
 *
 * @example
 * ```ts
 * for (const r of ALL_RULES) console.log(r.id);
 * ```
 */
export const ALL_RULES: readonly RuleMeta[] = LIST;

/**
 * Looks up a rule; throws on an unknown id (a programming error, not bad input).
 *
 * @example
 * ```ts
 * const meta = ruleMeta('android-debuggable');
 * ```
 */
export function ruleMeta(id: string): RuleMeta<RuleId> {
  const meta = (RULES as Readonly<Record<string, RuleMeta<RuleId> | undefined>>)[id];
  if (meta === undefined) throw new Error(`unknown rule ${id}`);
  return meta;
}
