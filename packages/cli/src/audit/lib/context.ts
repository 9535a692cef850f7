/**
 * Where a finding sits changes how much it matters: configuration that only a debug build
 * carries never reaches users; tests, documentation and examples hold sample values far more
 * often than live ones. A finding there is lowered to `low`, never dropped, and its message says
 * why, so a reader can see what was lowered and judge it.
 */

import { ruleMeta } from '../rules/catalog.js';
import { atOrAbove } from '../severity.js';
import type { Severity } from '../types.js';
import type { RawFinding } from './finding.js';

/**
 * A Gradle debug source set: `src/debug/`, a flavour's, `src/<flavour>Debug/`, or a debuggable
 * build type named from it (`src/debugOptimized/`, which React Native's Gradle plugin adds). Gradle
 * merges it into debug builds only (`src/debug/res/xml/network_security_config.xml`, a debug
 * `AndroidManifest.xml`).
 */
const DEBUG_SOURCE_SET =
  /(?:^|\/)src\/(?:debug(?:(?!Test|AndroidTest|UnitTest)[A-Z][A-Za-z0-9]*)?|[a-z][A-Za-z0-9]*Debug)\//;

/**
 * True for a path inside a Gradle debug source set, which only debug builds carry.
 *
 * @example
 * ```ts
 * isDebugOnlyPath('app/src/debug/res/xml/network_security_config.xml'); // true
 * isDebugOnlyPath('app/src/main/AndroidManifest.xml'); // false
 * ```
 */
export function isDebugOnlyPath(path: string): boolean {
  return DEBUG_SOURCE_SET.test(path);
}

/**
 * Whether `path` is a place that lowers its findings (a debug source set, tests, documentation,
 * examples, mock data: {@link inContext}), for checks that pick one file to stand for the app.
 *
 * @example
 * ```ts
 * isSetAsidePlace('samples/browser/src/main/AndroidManifest.xml'); // true
 * isSetAsidePlace('app/src/main/AndroidManifest.xml'); // false
 * ```
 */
export function isSetAsidePlace(path: string): boolean {
  return DEBUG_SOURCE_SET.test(path) || PLACES.some((p) => p.pattern.test(path));
}

/**
 * A key file whose name says it is for tests (`release_test.keystore`, `test.jks`,
 * `ci-testing.p12`, `test_private_key.pem`, AOSP's public `testkey`): a word of its name, split at `-`, `_`, `.`, spaces
 * and lower-to-upper case changes, is `test`, `tests`, `testing` or `testkey` (`latest.jks` and
 * `contest.p12` are not).
 */
export function namedForTests(name: string): boolean {
  const base = name.replace(/\.[^.]*$/, '');
  return base
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[-_. ]+/)
    .some((word) => /^(?:tests?|testing|testkey)$/i.test(word));
}

/** What a finding in a debug-only, test, documentation or example place is lowered to. */
const DEBUG_SEVERITY: Severity = 'low';

/**
 * Places other than debug source sets that lower a finding, with the reason shown. Tests:
 * Gradle's `src/test`, `src/androidTest`, `src/testFixtures` (test fixtures shared by a module's
 * tests) and flavour variants before (`src/googleAndroidTest`) or after (`src/androidTestGoogleplay`,
 * `src/testDebug`: the Android Gradle plugin refuses flavour and build type names that start with
 * `test` or `androidTest`, so such a folder is always a variant's tests), source sets of flavours built for UI tests or against a fake
 * backend (`src/uiAutomation/`, `src/mock/`, `src/fake/`, `src/<flavour>Mock/`), `test(s)/`, `__tests__/` and its kin wrapped in one or two underscores (`_tests_/`, `__test__/`), Maestro's `.maestro/` flows
 * (and its YAML flows in a `maestro/` folder: a folder of that name holding other files may be an
 * app's own package), end-to-end suites (`e2e/`, as Detox, Appium and Playwright lay them out), Flutter's
 * `integration_test/` and the same suites named the other way round (`test_integration/`,
 * `test-integration/`), test data (`fixtures/`, `__fixtures__/`, `__mocks__/`), Gradle modules that
 * only tests depend on (`testing/src/`, `core-testing/src/`, `test-utils/src/`,
 * `owncloudTestUtil/src/`, `test-support/src/`, `testlib/src/`, and any module named `test-…` or
 * `test_…`: `test-feature/src/`, a module of mocks that the unit tests of every feature share), folders of test utilities in a
 * JavaScript or Dart tree (`testUtils/`, `test_helpers/`), Jest's setup files (`jestSetup.js`,
 * `jest.setup.ts`, `setupTests.js`, run only by Jest), `*.test.*`/`*.spec.*`, the files each
 * toolchain compiles only for its tests (Go's `*_test.go`, which `go build` never compiles;
 * `*_test.dart` that `dart test` and `flutter test` look for; pytest's `test_*.py` and
 * `*_test.py`), iOS
 * `*Tests/` targets, .NET test projects (`Stratum.Test/`, `App.UnitTests/`). Documentation: `*.md`, `*.markdown`, `*.rst`,
 * `*.adoc`, their editor swap and backup copies (`.README.md.swp`, `README.md~`), and `doc(s)/`
 * folders, also wrapped in underscores (`_docs/`). Examples: `example(s)/`, `sample(s)/`, `demo/` folders in any case (`Example/`), and files named as a demo or
 * template copy of another (`Credentials-demo.swift`, `keys.sample.json`). Mock data: `mock(s)/`
 * and `fake(s)/` folders anywhere (a fake backend's canned answers), and files named as a fake or
 * a mock (`fake-user.ts`, `MockData.kt`, `HttpDataServiceMock.cs`), and development or mock servers (`dev-api-server/`,
 * `mock-server/`, `fake-backend/`). Xcode's `.storekit` test configurations.
 */
const PLACES: readonly { pattern: RegExp; reason: string }[] = [
  {
    pattern:
      /(?:^|\/)(?:src\/(?:(?:test|androidTest|testFixtures)(?:[A-Z][A-Za-z0-9]*)?|uiAutomation|mock|fake|[a-z][A-Za-z0-9]*(?:Test|AndroidTest|TestFixtures|Automation|Mock|Fake))\/|tests?\/|_{1,2}tests?_{1,2}\/|[A-Za-z0-9_-]*Tests\/|[A-Za-z0-9_.-]+\.(?:[A-Z][A-Za-z]*)?Tests?\/|[A-Za-z0-9]+[-_]tests\/|\.maestro\/|e2e\/|appium\/|integration_test\/|test[-_]integration\/|__mocks__\/|__fixtures__\/|fixtures\/|[A-Za-z0-9_-]*(?:[Tt]esting|[Tt]est-?[Uu]tils?|[Tt]est-?[Ss]upport|[Tt]est-?[Hh]elpers?|[Tt]est[Ll]ib)\/src\/|[Tt]est[-_][A-Za-z0-9_-]+\/src\/|[Tt]est[-_]?(?:[Uu]tils?|[Uu]tilities|[Hh]elpers?)\/)|\.(?:test|spec)\.[A-Za-z0-9]+$|(?<!smoke|self)_test\.(?:go|dart|py)$|(?:^|\/)test_[^/]+\.py$|(?:^|\/)(?:jest[-_.]?[Ss]etup[A-Za-z0-9_.-]*|setupTests)\.[cm]?[jt]sx?$|(?:^|\/)maestro\/(?:[^/]+\/)*[^/]+\.ya?ml$/,
    reason: 'test code, not shipped',
  },
  {
    // A project of tests named with the word glued on (`injitest/src/`, `uitest/src/`,
    // `e2etest/src/`, `AppTest/src/`): an Appium or TestNG suite built apart from the app. Not a
    // word that only ends in `test` (`latest/`, `contest/`, `protest/`, `attest/`, `detest/`).
    pattern: /(?:^|\/)[A-Za-z0-9]*[A-Za-z0-9](?<!la|con|pro|at|de)[Tt]est\/src\//,
    reason: 'test code, not shipped',
  },
  {
    // Benchmarks (`benchmark/`, `benchmarks/`: a vendored plugin's load tests with their own
    // server key, Jetpack Macrobenchmark modules): measured by developers, never built into the app.
    pattern: /(?:^|\/)benchmarks?\//i,
    reason: 'benchmark code, not shipped',
  },
  {
    // Another secret scanner's baseline (detect-secrets' `.secrets.baseline`, gitleaks'
    // `.gitleaksignore`): digests of the values it judged and where they are, not the values.
    pattern: /(?:^|\/)(?:\.secrets\.baseline|\.gitleaksignore|\.gitleaks\.toml|\.trufflehogignore)$/,
    reason: 'another secret scanner’s baseline (digests of values it has judged), not shipped',
  },
  {
    // A playground app beside the real one (`android/playground/`, React Native's host app for
    // trying components, with its own application id): a developer's harness, like a demo.
    pattern: /(?:^|\/)playgrounds?\//i,
    reason: 'example code',
  },
  {
    // Requests of a REST client kept for developers (VS Code REST Client, JetBrains HTTP Client:
    // `api-test.http`, `*.rest`), with test tokens for a local server.
    pattern: /\.(?:http|rest)$/i,
    reason: 'requests of a REST client for developers, not shipped',
  },
  {
    // Recorded network traffic that Playwright replays in end-to-end tests (`routeFromHAR`): HAR
    // files and the bodies beside them (`playwright-hars/onboarding/…json`), answers of a test
    // backend on the developer's machine.
    pattern: /(?:^|\/)(?:playwright[-_][^/]*|[^/]*[-_]hars)\/|\.har$/i,
    reason: 'test code, not shipped',
  },
  {
    // A library's test helpers packed in its archive (`google-http-client.jar!/com/google/api/
    // client/testing/…`, `…aar!/…/test/…`): the keys and certificates there are the library's
    // published fixtures, not the app's, though the archive ships with the app.
    pattern: /\.(?:jar|aar)!\/(?:[^/]+\/)*testing\//,
    reason: 'a library’s test helpers (a testing package inside its archive)',
  },
  {
    pattern: /(?:^|\/)_{0,2}docs?_{0,2}\/|\.(?:md|markdown|rst|adoc)(?:\.sw[a-p]|\.bak|\.orig|~)?$/i,
    reason: 'documentation',
  },
  // Any case: Xcode and React Native libraries name theirs `Example/` (`…/Example/ios/…`). Not a
  // package of a Java or Kotlin source root (`src/main/java/com/example/app/`, Android Studio's
  // default package): that is the app's own code, compiled into the app, whatever the package is
  // called; an `examples/` folder before the source root still is example code.
  {
    pattern: /^(?:(?!src\/[A-Za-z0-9]+\/(?:java|kotlin)\/).)*?(?:^|\/)(?:examples?|samples?|demo)\//i,
    reason: 'example code',
  },
  {
    // TypeScript declarations: `.d.ts` files and the type files XState's typegen writes
    // (`IssuersMachine.typegen.ts`, `interface Typegen0 { … }`). Their string literals are types
    // (the names of a machine's events), which compiling erases: nothing of them reaches the app.
    pattern: /\.(?:d|typegen)\.[cm]?ts$/,
    reason: 'TypeScript type declarations (erased when compiled: nothing of them is in the app)',
  },
  {
    // Xcode's StoreKit configuration, for testing purchases in Xcode and the simulator: the
    // subscription-offer key pair it holds is one Xcode generates for that test, and the file is
    // not bundled with the app.
    pattern: /\.storekit$/i,
    reason: 'a StoreKit configuration for testing purchases in Xcode, not shipped',
  },
  {
    // A fake backend's canned answers (`lib/data/mock/mock_login.dart`, `src/mocks/`), for tests
    // or a demo mode: sample tokens of sample accounts. Lowered, not dropped: the name is a guess.
    // The same for fakes (`src/util/fake/`) and for files named as a fake or a mock of something
    // (`fake-user.ts`, `FakeAccount.swift`, `mock_login.dart`, `MockData.kt`).
    pattern: /(?:^|\/)(?:[\w-]*[-_])?(?:mocks?|fakes?)(?:[-_][\w-]*)?\/|\.mock$/i,
    reason: 'mock data (a fake backend for tests or a demo mode)',
  },
  {
    // A stand-in backend for running the app on a developer's machine (`apps/dev-api-server/`,
    // `mock-server/`, `fake-backend/`, `stub-api/`): a package of its own that answers the app
    // with sample sessions and made-up keys; it is never built into the app.
    pattern:
      /(?:^|\/)(?:(?:dev|mock|fake|stub)[-_]?(?:api[-_]?)?(?:server|backend)|(?:mock|fake|stub)[-_]?api)s?\//i,
    reason: 'a development or mock server (a stand-in backend for running the app locally), not shipped',
  },
  {
    // Named as a fake or a mock of something, the word first (`fake-user.ts`, `MockData.kt`) or
    // last (`HttpDataServiceMock.cs`, `AccountRepositoryFake.kt`, `api_mock.dart`): a stand-in
    // for the real service, which a build for tests or a demo mode registers instead of it.
    pattern:
      /(?:^|\/)(?:[Ff]ake|[Mm]ock|FAKE|MOCK)(?:[-_]|[A-Z])[^/]*$|[a-z0-9](?:Mock|Fake)s?\.[A-Za-z]+$|[-_](?:mock|fake)s?\.[A-Za-z]+$/,
    reason: 'mock data (a fake backend for tests or a demo mode)',
  },
  {
    // A smoke test or self-test kept beside the code it checks (`NativeCryptoDesktopSmoke.kt`,
    // `CryptoSelfTest.swift`, `smoke_test.dart`): its keys and passwords are sample inputs whose
    // answers it knows. Lowered, not dropped: such a check may run in the shipped app.
    pattern:
      /(?:Smoke|SelfTest)(?:Tests?)?\.[A-Za-z0-9]+$|(?:^|[-_/])(?:smoke|self)[-_]?tests?\.[A-Za-z0-9]+$/,
    reason: 'a smoke test or self-test (sample inputs)',
  },
  {
    // The copy of a configuration a project ships for those who build it without its own secrets
    // (`SPCredentials-demo.swift` beside the ignored `SPCredentials.swift`, `Keys.example.kt`).
    pattern:
      /[-_.](?:demo|examples?|samples?|templates?)\.(?:swift|m|h|kt|kts|java|dart|js|jsx|ts|tsx|json|plist|xml|properties|ya?ml|gradle)$/i,
    reason: 'a demo or template copy of a configuration, for builds without the real one',
  },
  {
    // The same for environment files, whose convention puts the template's suffix last
    // (`.env.example`, `.env.dev.example`, `.env.dist`): the file a developer copies to `.env`
    // and fills in. Lowered, not dropped: a real value pasted into a template is still read.
    pattern: /(?:^|\/)\.env(?:\.[^/]*)?\.(?:example|sample|template|dist)$/i,
    reason: 'a demo or template copy of a configuration, for builds without the real one',
  },
  {
    // The same suffix after a configuration file's own extension (`local.settings.json.example`,
    // `config.yml.sample`, `appsettings.json.template`, `app.config.dist`): the copy a developer
    // renames and fills in; nothing reads it as it is.
    pattern:
      /\.(?:json|jsonc|plist|xml|properties|ya?ml|toml|ini|cfg|conf|config|settings|gradle|xcconfig)\.(?:example|sample|template|dist|tmpl|tpl)$/i,
    reason: 'a demo or template copy of a configuration, for builds without the real one',
  },
  {
    // The defaults file of Google's Secrets Gradle Plugin (`secrets.defaults.properties`, or
    // `local.defaults.properties` as its documentation names it): committed by design so that a
    // checkout builds without the real `secrets.properties`, which is kept out of the repository.
    pattern: /(?:^|\/)(?:secrets|local)\.defaults\.properties$/,
    reason: 'a demo or template copy of a configuration, for builds without the real one',
  },
];

/**
 * The raw finding as its place makes it: lowered to `low`, with the reason in its message, when
 * it sits in a debug-only source set, tests, documentation or examples and its rule is more
 * serious than that; else unchanged. Either way a finding in such a place carries its `context`
 * (the reason, and the severity before), which the table uses to set it aside.
 *
 * @example
 * ```ts
 * inContext({ ruleId: 'android-nsc-cleartext', file: 'app/src/debug/res/xml/network_security_config.xml', message: '…', key: 'base' });
 * // severity 'low', message ending in '[lowered from high: debug build only (Gradle source set src/debug)]'
 * ```
 */
export function inContext(raw: RawFinding): RawFinding {
  if (raw.context !== undefined) return raw;
  const set = DEBUG_SOURCE_SET.exec(raw.file);
  const place = set === null ? PLACES.find((p) => p.pattern.test(raw.file)) : undefined;
  if (set === null && place === undefined) return raw;
  const severity = raw.severity ?? ruleMeta(raw.ruleId).severity;
  const reason =
    set === null
      ? (place as { reason: string }).reason
      : `debug build only (Gradle source set ${set[0].replace(/^\//, '').replace(/\/$/, '')})`;
  if (severity === DEBUG_SEVERITY || !atOrAbove(severity, DEBUG_SEVERITY))
    return { ...raw, context: { reason, loweredFrom: severity } };
  return {
    ...raw,
    severity: DEBUG_SEVERITY,
    message: `${raw.message} [lowered from ${severity}: ${reason}]`,
    context: { reason, loweredFrom: severity },
  };
}

/**
 * A finding lowered to `low` for a reason a detector knows (not its place): the reason goes in
 * its message and its `context`, so the table sets it aside and `--include-tests` shows it, as
 * for a finding in tests.
 *
 * @example
 * ```ts
 * lowered({ ruleId: 'secret-private-key', file: 'debug.keystore', message: 'key store…', key: 'keystore' },
 *   'debug signing key (alias androiddebugkey)');
 * ```
 */
export function lowered(raw: RawFinding, reason: string): RawFinding {
  const severity = raw.severity ?? ruleMeta(raw.ruleId).severity;
  if (severity === DEBUG_SEVERITY || !atOrAbove(severity, DEBUG_SEVERITY))
    return { ...raw, context: { reason, loweredFrom: severity } };
  return {
    ...raw,
    severity: DEBUG_SEVERITY,
    message: `${raw.message} [lowered from ${severity}: ${reason}]`,
    context: { reason, loweredFrom: severity },
  };
}

/**
 * A high or critical finding made medium for a reason that does not make it safe (a copy no build
 * reads, a development environment's setting): the reason goes in its message as `(medium: …)`;
 * a finding already medium or lower is unchanged.
 *
 * @example
 * ```ts
 * toMedium(raw, 'in the source set src/staging, named for a test environment');
 * ```
 */
export function toMedium(raw: RawFinding, reason: string): RawFinding {
  const severity = raw.severity ?? ruleMeta(raw.ruleId).severity;
  if (!atOrAbove(severity, 'high')) return raw;
  return { ...raw, severity: 'medium', message: `${raw.message} (medium: ${reason})` };
}

/**
 * The settings of an Android package that a debug build may hold apart from the release:
 * `debuggable`, and the manifest's and network security config's (cleartext, user CAs, backup,
 * exported components), which a debug source set commonly overrides. The secrets and code rules
 * are not among them: what a debug APK holds of those, the release holds too.
 */
const DEBUG_BUILD_SETTING = /^android-(?!debug-signed$)/;

/** Gradle's name for a debug variant's output: `app-debug.apk`, `app-free-debug-unsigned.apk`. */
const GRADLE_DEBUG_OUTPUT = /(?:^|[-_/])debug(?:-unsigned)?\.(?:apk|aab)$/i;

/**
 * Findings judged by what else the same app showed: `android:debuggable`, and every other setting
 * of the manifest or network security config (cleartext permitted, user CAs, backup), in an APK
 * kept in the tree that is a debug build (named as Gradle names a debug variant's output, or
 * signed with the Android debug certificate, which `android-debug-signed` reports) is a debug
 * build's setting, not the release's, so it is lowered with that reason; in the release APK
 * beside it, or in the sources (where the same setting is found on its own), it stays high. In the
 * sources, a setting in a flavour's source set of a module that also has a production flavour
 * (`productionModules`, from `productionModuleOf`) is lowered when the flavour is named for a
 * development or test environment, and a high one is medium when its name does not say.
 *
 * @example
 * ```ts
 * const raws = inAppContext(allRaws); // then each through inContext
 * ```
 */
export function inAppContext(
  raws: readonly RawFinding[],
  productionModules: ReadonlySet<string> = new Set(),
): RawFinding[] {
  const debugSigned = new Set(
    raws.filter((r) => r.ruleId === 'android-debug-signed').map((r) => archiveOf(r.file)),
  );
  return raws.map((raw) => {
    if (!DEBUG_BUILD_SETTING.test(raw.ruleId)) return raw;
    const archive = archiveOf(raw.file);
    if (archive === undefined) {
      const flavour = FLAVOUR_SOURCE_SET.exec(raw.file);
      if (flavour === null) return raw;
      // A debug or test source set keeps the reason its place gives (`inContext`).
      if (DEBUG_SOURCE_SET.test(raw.file) || PLACES.some((p) => p.pattern.test(raw.file))) return raw;
      if (!productionModules.has(flavour[1] ?? '')) return environmentSourceSet(raw, flavour[2] as string);
      return besideProduction(raw, flavour[2] as string);
    }
    if (GRADLE_DEBUG_OUTPUT.test(archive))
      return lowered(raw, `a debug build kept in the tree (${archive.slice(archive.lastIndexOf('/') + 1)})`);
    if (debugSigned.has(archive))
      return lowered(raw, 'a debug build (signed with the Android debug certificate, reported apart)');
    return raw;
  });
}

/**
 * Flavours built against a development, test or acceptance backend (`dev`, `staging`, `qa`,
 * `uat`, `acceptance` and German `abnahme`/`abn`, `preprod`, `integration`, `sandbox`, `local`,
 * `internal`), alone or first in a combined name (`devGoogle`).
 */
const ENVIRONMENT_FLAVOUR =
  /^(?:dev|devel|develop|development|staging|stage|stg|qa|uat|acceptance|abn|abnahme|preprod|preproduction|integration|int|sandbox|local|internal)(?:[A-Z0-9]|$)/;

/**
 * Flavours that are, or may be, published: the production environment's own, a store's or a
 * distribution's (F-Droid, Play, Huawei, Amazon, FOSS builds), an edition (free, pro, lite) or a
 * release channel (alpha, beta, nightly).
 */
const PUBLISHED_FLAVOUR =
  /^(?:main|prod|production|release|live|store|play|playstore|gplay|google|gms|fdroid|foss|libre|oss|huawei|hms|amazon|galaxy|samsung|github|market|free|paid|pro|full|lite|standard|generic|custom|alpha|beta|nightly|canary)(?:[A-Z0-9]|$)/;

/**
 * A setting in a flavour's source set of a module that has a production flavour: lowered with the
 * reason when the flavour is named for a development or test environment; a high one is medium,
 * with the reason, when its name says neither (`src/log/`: an internal build as often as a second
 * published one); a published flavour's keeps its verdict.
 */
function besideProduction(raw: RawFinding, name: string): RawFinding {
  if (PUBLISHED_FLAVOUR.test(name)) return raw;
  if (ENVIRONMENT_FLAVOUR.test(name))
    return lowered(
      raw,
      `a development or test environment's flavour (src/${name}, beside the module's src/prod)`,
    );
  return toMedium(
    raw,
    `in the flavour src/${name}, beside the module's production flavour src/prod; it ships only if this flavour is published`,
  );
}

/**
 * A setting in a source set named for a development or test environment (`src/staging/`,
 * `src/qa/`, `src/dev/`: a build type or flavour for internal testers) of a module with no
 * production flavour to compare it with: a high one is medium, with the reason; the store's build
 * reads `src/main/` and the release build type.
 */
function environmentSourceSet(raw: RawFinding, name: string): RawFinding {
  if (!ENVIRONMENT_FLAVOUR.test(name)) return raw;
  return toMedium(
    raw,
    `in the source set src/${name}, named for a development or test environment; it ships only if that variant is published`,
  );
}

/**
 * A module's source set for the production flavour of an environment dimension (`src/prod/`,
 * `src/production/`): group 1 is the module's folder (`app/`, or empty at the root).
 */
const PRODUCTION_SOURCE_SET = /^((?:[^!]*\/)?)src\/(?:prod|production)\//;

/** A flavour's source set: group 1 the module's folder, group 2 the flavour. */
const FLAVOUR_SOURCE_SET = /^((?:[^!]*\/)?)src\/([a-z][A-Za-z0-9]*)\//;

/**
 * The module folder of a path in a production flavour's source set (`app/` for
 * `app/src/prod/java/…`), or undefined. A module that has one builds its other flavours of that
 * dimension (`dev`, `staging`, `abnahme`) against other backends, for its developers and
 * testers: their overrides of the manifest or network security config (debuggable, cleartext,
 * user CAs) are not what the store's build carries, so `inAppContext` lowers them with that
 * reason. Only flavours named for such an environment: a flavour built for a store or a
 * distribution (`fdroid`, `play`, `beta`) beside `prod` is shipped too.
 *
 * @example
 * ```ts
 * productionModuleOf('app/src/prod/java/ch/Foo.java'); // 'app/'
 * ```
 */
export function productionModuleOf(path: string): string | undefined {
  return PRODUCTION_SOURCE_SET.exec(path)?.[1];
}

/**
 * A Docker Compose file (`docker-compose.yaml`, `compose.yml`, `docker-compose.dev.yml`): the folder
 * that holds one describes servers to start with `docker compose up`, not the app.
 */
const COMPOSE_FILE = /(?:^|\/)(?:docker-)?compose(?:\.[A-Za-z0-9_-]+)?\.ya?ml$/i;

/**
 * The folder of `path` when it is a Docker Compose file in a folder other than the tree's root
 * (`util/mqtt-local/` for `util/mqtt-local/docker-compose.yaml`), else undefined: a root compose
 * file often sits beside the app's own sources.
 *
 * @example
 * ```ts
 * composeFolderOf('util/mqtt-local/docker-compose.yaml'); // 'util/mqtt-local/'
 * composeFolderOf('docker-compose.yml'); // undefined
 * ```
 */
export function composeFolderOf(path: string): string | undefined {
  if (!COMPOSE_FILE.test(path) || path.includes('!/')) return undefined;
  const at = path.lastIndexOf('/');
  return at < 0 ? undefined : path.slice(0, at + 1);
}

/** A file that holds key material alone (not code): PEM, DER and key store files. */
const KEY_FILE = /\.(?:pem|key|crt|der|p8|p12|pfx|jks|bks|keystore)$/i;

/**
 * A Docker Compose stack for development: its folder is under `dev/`, `vendor/`, `devstack/` or a
 * `*quickstart*` folder (`dev/vendor/galoy-quickstart/`, a backend's local stack that vendir copies
 * into the app's repository). Everything in it and below is the stack's, not the app's.
 */
const DEV_STACK = /(?:^|\/)(?:dev|vendor|devstack|[^/]*quickstart[^/]*)\//i;

/**
 * A private key in a file of its own beside a Docker Compose file (`composeFolders`, from
 * {@link composeFolderOf}; directly in that folder, not below it): the TLS keys of a server stack
 * started for development or testing (a local MQTT broker and its reverse proxies, their
 * certificates made with mkcert), which no build of the app carries. Medium, with that reason:
 * the key is still in the repository, and a stack's keys may be a deployment's.
 */
export function inServerStacks(
  raws: readonly RawFinding[],
  composeFolders: ReadonlySet<string>,
): RawFinding[] {
  if (composeFolders.size === 0) return [...raws];
  const devStacks = [...composeFolders].filter((f) => DEV_STACK.test(f));
  return raws.map((raw) => {
    const stack = devStacks.find((f) => raw.file.startsWith(f) && !raw.file.includes('!/'));
    if (stack !== undefined)
      return lowered(
        raw,
        `a development server stack started with Docker Compose (${stack.slice(0, -1)}), kept beside the app's sources: not part of the app`,
      );
    if (raw.ruleId !== 'secret-private-key' || !KEY_FILE.test(raw.file)) return raw;
    const at = raw.file.lastIndexOf('/');
    const folder = at < 0 ? '' : raw.file.slice(0, at + 1);
    if (!composeFolders.has(folder)) return raw;
    const compose = folder.slice(0, -1);
    return toMedium(
      raw,
      `a key file of the server stack that the Docker Compose file in ${compose.slice(compose.lastIndexOf('/') + 1)}/ starts, not part of the app`,
    );
  });
}

/**
 * A folder or file name that says a development, staging or simulator environment
 * (`w1a-dev/`, `dev-certs/`, `staging-codesigning-pki/`, `wsm-staging-noise-private-key.pem`).
 */
const DEVELOPMENT_KEY_PLACE =
  /(?:^|[-_./])(?:dev|devel|development|staging|stage|stg|sandbox|sim|simulator)(?:[-_.]|$)/i;

/**
 * A private key in a key file (`.pem`, `.key`, a key store) whose folders or name say it is for
 * development, staging or a simulator (a hardware wallet's firmware signing keys for dev boards,
 * a backend's staging PKI): medium, with that reason; the production keys of such a repository are
 * kept elsewhere, often only their public halves. A key named for production keeps its verdict.
 *
 * @example
 * ```ts
 * const raws = inDevelopmentKeyPlaces(allRaws);
 * ```
 */
export function inDevelopmentKeyPlaces(raws: readonly RawFinding[]): RawFinding[] {
  return raws.map((raw) => {
    if (raw.ruleId !== 'secret-private-key' || !KEY_FILE.test(raw.file) || raw.file.includes('!/'))
      return raw;
    const place = raw.file.split('/').find((part) => DEVELOPMENT_KEY_PLACE.test(part) && !/prod/i.test(part));
    if (place === undefined) return raw;
    return toMedium(
      raw,
      `in a place named for development, staging or a simulator, ${place.slice(0, 60)}; check that no production build uses it`,
    );
  });
}

/** The innermost archive a file sits in (`out/app.apk` for `out/app.apk!/AndroidManifest.xml`). */
function archiveOf(file: string): string | undefined {
  const at = file.lastIndexOf('!/');
  return at < 0 ? undefined : file.slice(0, at);
}
