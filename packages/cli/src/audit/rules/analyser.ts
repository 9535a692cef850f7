/**
 * The one shape of a file analyser: `matches(path)` says whether a file is its business (by name,
 * or by its first bytes for formats found whatever their name), `analyse(bytes, context)` runs
 * its checks and reports through the context. The rule modules (`android.ts`, `ios.ts`,
 * `hybrid.ts`, `code.ts`, `binary.ts`) export their analysers into the one table of
 * `registry.ts`; the scanner only walks, queues and hands each file to the analysers that match.
 * Checks that need a whole app (the pin coverage of the Android configs, cleartext by default)
 * are `AppCheck`s, run when an app (the input, or an archive inside it) has been read.
 */
import type { RawFinding } from '../lib/finding.js';
import type { XmlElement } from '../lib/xml-tree.js';

/** A network security config seen during the scan. */
export interface SeenNsc {
  file: string;
  root: XmlElement;
}

/** A manifest seen during the scan, with what the app-wide checks need of it. */
export interface SeenManifest {
  file: string;
  /** `uses-sdk` targetSdkVersion / minSdkVersion, when the manifest states them. */
  targetSdk?: number;
  minSdk?: number;
  /** android:usesCleartextTraffic as written ("true", "false"), when present. */
  usesCleartextTraffic?: string;
  /**
   * Backup on, under backup rules (`fullBackupContent`, `dataExtractionRules`): the rules'
   * resource names and where the application element is, for the check that the rules exclude
   * anything.
   */
  backupRules?: { names: string[]; line?: number; allowBackup?: string };
  networkSecurityConfig: boolean;
  /**
   * The configs it names as written (`@xml/network_security_config`): `android:networkSecurityConfig`,
   * and the `io.flutter.network-policy` meta-data, whose config Flutter's own HTTP stack applies.
   */
  networkSecurityConfigRefs?: string[];
  /** Whether it reads as an app's own manifest rather than a library module's (`isAppManifest`). */
  appLike: boolean;
}

/**
 * One app of the scan: the input, or an archive inside it (`prefix` is `dist/app.apk!/`), with
 * what its files told the app-wide checks.
 */
export interface AppScope {
  prefix: string;
  /** 0 for the input, 1 for an archive inside it, and so on. */
  depth: number;
  manifests: SeenManifest[];
  nscs: SeenNsc[];
  /** SDK levels stated in Gradle build files (`targetSdkVersion 27`, `minSdk = 21`), by file. */
  gradleSdk: { file: string; targetSdk?: number; minSdk?: number }[];
  flags: { apk: boolean; aab: boolean; ipa: boolean };
  /**
   * Key stores named as the store of a Gradle `signingConfigs { debug { storeFile … } }` block,
   * by their path in the scan (as `AnalyserContext.path` gives it).
   */
  debugSigningStores: string[];
  /** Key stores of a Gradle signing config whose store password the build file writes out. */
  publishedSigningStores: string[];
  /**
   * File names of key stores that the repository's instructions or scripts name on a Gradle
   * command line together with a written-out store password (`-PkeystoreFile=build.keystore
   * -PkeystorePassword=…`).
   */
  commandLineStores: string[];
  /** Backup rules files seen (`res/xml/<name>.xml`), and whether each includes or excludes anything. */
  backupRuleFiles: { name: string; restricts: boolean }[];
  /** Key store findings, held until every file of the app is read (see `debugSigningStores`). */
  keyStores: RawFinding[];
  /**
   * The Info.plists each Xcode project of the app names as a target's `INFOPLIST_FILE`, by the
   * project's folder (the one that holds `<Name>.xcodeproj`), as paths of the scan.
   */
  xcodeInfoPlists: { project: string; root: string; files: string[] }[];
  /** Findings of Info.plists, held until every file of the app is read (see `xcodeInfoPlists`). */
  infoPlistFindings: RawFinding[];
  /**
   * Findings of network security configs in a Gradle module's `res/xml/`, held until every
   * manifest of the app is read (a config no manifest names is not applied).
   */
  nscFindings: RawFinding[];
  /** `usesCleartextTraffic` findings of manifests that name a config, held until minSdk is known. */
  cleartextBesideNsc: RawFinding[];
  /** The first source file that opens Realm with an encryption key, if any. */
  realmEncryptedBy?: string;
  /** The source files that name Realm, whose Realm objects' secrets `realmEncryptedBy` may lower. */
  realmFiles: string[];
  /** The first v1 (JAR) signature file of the app (`META-INF/*.RSA`, `.DSA`, `.EC`). */
  v1Signature?: string;
  /**
   * Whether the archive holds an APK Signing Block (v2 or later signatures) before its central
   * directory; undefined when the app is not an archive or its end records could not be read.
   */
  signingBlock?: boolean | undefined;
}

/**
 * A fresh app scope.
 *
 * @example
 * ```ts
 * const app = newAppScope('outputs/app.apk!/', 1);
 * ```
 */
export function newAppScope(prefix: string, depth: number): AppScope {
  return {
    prefix,
    depth,
    manifests: [],
    nscs: [],
    gradleSdk: [],
    debugSigningStores: [],
    publishedSigningStores: [],
    commandLineStores: [],
    backupRuleFiles: [],
    keyStores: [],
    xcodeInfoPlists: [],
    infoPlistFindings: [],
    nscFindings: [],
    cleartextBesideNsc: [],
    realmFiles: [],
    flags: { apk: false, aab: false, ipa: false },
  };
}

/** A decoded XML file; `strings` (binary forms only) are scanned instead of the raw bytes. */
export interface DecodedXml {
  root: XmlElement;
  strings?: string[];
}

/** What an analyser is given besides the bytes. */
export interface AnalyserContext {
  /** Path relative to the scanned root (`<archive>!/<entry>` inside an archive). */
  readonly path: string;
  /** The last path segment. */
  readonly name: string;
  /** The path inside the app's own archive (the whole path for the input). */
  readonly inner: string;
  readonly app: AppScope;
  /** The scan's clock (pin-set expiry). */
  readonly now: Date;
  report(...raws: RawFinding[]): void;
  /** Reports that this file could not be parsed, so its checks did not run. */
  unparsed(what: string, err: unknown): void;
  /** The file decoded as XML, in whichever form it ships (decoded once for every analyser). */
  xml(): Promise<DecodedXml>;
}

/**
 * What an analyser asks of the text scan: `text` to scan instead of the raw bytes (the strings of
 * a binary form), or `skip` when the file is not text at all (a key store).
 */
export interface Analysis {
  text?: string;
  lines?: boolean;
  skip?: boolean;
}

/**
 * A configuration, code or binary analyser.
 *
 * @example
 * ```ts
 * const gradle: FileAnalyser = {
 *   matches: (path) => path.endsWith('build.gradle'),
 *   analyse: (bytes, context) => {
 *     context.report(...checkGradle(bytes.toString('utf8'), context.path));
 *     return undefined;
 *   },
 * };
 * ```
 */
export interface FileAnalyser {
  /** True when the file is this analyser's, by its path. */
  matches(path: string, name: string): boolean;
  /**
   * True when the file is this analyser's by its first bytes, whatever its name (a key store
   * without extension). Asked only of files read whole on the main thread and matched by no path.
   */
  sniff?(head: Uint8Array): boolean;
  analyse(bytes: Buffer, context: AnalyserContext): Analysis | undefined | Promise<Analysis | undefined>;
  /**
   * The largest file (bytes) the analyser takes, when it reads sources people write rather than
   * what a build emits: a larger file of its kind (a bundle) goes to the text scan alone, on a
   * worker, as a file no analyser takes.
   */
  maxBytes?: number;
  /** For a matching file too large to be read whole (streamed through the text scan instead). */
  tooLarge?(context: AnalyserContext): void;
}

/**
 * A check of a whole app, run once all its files have been read.
 *
 * @example
 * ```ts
 * const check: AppCheck = (app) => (app.manifests.length === 0 ? [] : []);
 * ```
 */
export type AppCheck = (app: AppScope, options: { apiDomains: readonly string[] }) => RawFinding[];
