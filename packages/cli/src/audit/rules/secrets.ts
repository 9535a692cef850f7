/**
 * Secret detectors, each written from the provider's documented token format: fixed prefixes,
 * alphabets and lengths, and the CRC32 checksum of GitHub's current tokens. A match that fails
 * the format (wrong length, bad checksum, AWS's documented example key) is not reported. Evidence
 * keeps only the public prefix. See `docs/audit.md` for each rule's source and limits.
 */
import { createRequire } from 'node:module';
import { isSetAsidePlace, namedForTests } from '../lib/context.js';
import { characterClasses, shannonEntropy } from '../lib/entropy.js';
import { localStackReason } from '../lib/local-stack.js';
import { redact } from '../lib/redact.js';
import type { TextDetector, TextFileInfo, TextVerdict } from '../lib/text-engine.js';
import type { RuleId } from './catalog.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

let zlib: typeof import('node:zlib') | undefined;

/**
 * Checks the checksum of a GitHub token of the 2021 format (`ghp_`, `gho_`, `ghu_`, `ghs_`,
 * `ghr_` + 30 random base62 characters + 6 characters of base62 CRC32 of the random part).
 *
 * @example
 * ```ts
 * githubChecksumOk('ghp_' + random30 + checksum6); // true
 * ```
 */
export function githubChecksumOk(token: string): boolean {
  // node:zlib loads on the first token that needs its checksum: most scans meet none, and
  // loading it costs a short-lived CLI process about 2 ms of CPU time.
  zlib ??= createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
  const { crc32 } = zlib;
  const body = token.slice(4);
  if (body.length !== 36) return false;
  const random = body.slice(0, 30);
  let n = crc32(Buffer.from(random, 'latin1'));
  let encoded = '';
  do {
    encoded = BASE62[n % 62] + encoded;
    n = Math.floor(n / 62);
  } while (n > 0);
  return encoded.padStart(6, '0') === body.slice(30);
}

/** Walks back from a keyword to the start of the identifier that contains it (and its quote). */
function identifierStart(text: string, at: number): number {
  let i = at;
  while (i > 0 && isNameChar(text, i - 1)) i--;
  if (i > 0 && (text[i - 1] === '"' || text[i - 1] === "'")) i--;
  return i;
}

/** [A-Za-z0-9_$.-], by character code: a table, so hot loops have one branch, not seven. */
const NAME_CHARS = new Uint8Array(128).map((_, c) =>
  /[A-Za-z0-9_$.-]/.test(String.fromCharCode(c)) ? 1 : 0,
);

/** The code at `i`, -1 past the end (not NaN, which V8 handles on a slow path). */
function codeAt(text: string, i: number): number {
  return i < text.length ? text.charCodeAt(i) : -1;
}

/** Whether `text[i]` is a name character (false past either end). */
function isNameChar(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c < 128 && NAME_CHARS[c] === 1;
}

/** The longest name the generic detectors take (their regexes' `{1,80}`). */
const MAX_NAME = 80;

/**
 * Start of the `name = value` assignment around a keyword, or -1 when there can be none. The
 * generic detectors' regexes match the whole name from its first character (what follows must be
 * a quote, a space, `:` or `=`, none of them a name character) and at most 80 of them, so where
 * the name is longer, or goes on into a quote, at most four spaces and no `:` or `=`, neither can
 * match: most keywords of a bundle (`tokenize(`, `password.length`, the middle of a long dotted
 * chain) are dismissed here, reading at most 80 characters either way, without running a regex.
 */
function assignmentStart(text: string, at: number): number {
  let i = at;
  const limit = Math.min(text.length, at + MAX_NAME + 1);
  while (i < limit && isNameChar(text, i)) i++;
  if (i - at > MAX_NAME) return -1;
  const end = i;
  let c = codeAt(text, i);
  if (c === 34 || c === 39) c = codeAt(text, ++i);
  // Up to four characters of JavaScript \s (every code above 127 is let through: it may be one).
  for (let spaces = 0; spaces < 4 && (c === 32 || (c >= 9 && c <= 13) || c > 127); spaces++) {
    c = codeAt(text, ++i);
  }
  if (c !== 58 && c !== 61) return -1;
  let s = at;
  const floor = Math.max(0, end - MAX_NAME);
  while (s > floor && isNameChar(text, s - 1)) s--;
  if (s > 0 && isNameChar(text, s - 1)) return -1;
  // The name's opening quote, if any, as identifierStart gives it.
  return identifierStart(text, s);
}

/**
 * On the bytes of a latin1 file, before anything is decoded: true when the keyword at `at` does
 * not end a name of at most 80 characters followed by `=` or `:` (`assignmentStart`'s first
 * test), and with `quoted`, also when no quote follows the operator (the quoted detector's regex
 * needs one). Written apart from those because the bytes are read by index, not `charCodeAt`;
 * a property test holds it to dismiss only what the detector would find nothing in.
 */
function notAnAssignment(bytes: Uint8Array, at: number, quoted: boolean): boolean {
  let i = at;
  const limit = Math.min(bytes.length, at + MAX_NAME + 1);
  while (i < limit && isNameByte(bytes[i] as number)) i++;
  if (i - at > MAX_NAME) return true;
  if (bytes[i] === 34 || bytes[i] === 39) i++;
  i = afterSpaces(bytes, i);
  const operator = byteAt(bytes, i);
  if (operator !== 58 && operator !== 61) return true;
  if (!quoted) return false;
  // `:=`, `:` or `=`, up to four spaces, then the value's quote.
  if (operator === 58 && bytes[i + 1] === 61) i++;
  const c = byteAt(bytes, afterSpaces(bytes, i + 1));
  return c !== 34 && c !== 39 && c !== 96;
}

/**
 * Past up to four characters of JavaScript `\s` from `i` (every code above 127 is let through:
 * it may be one).
 */
function afterSpaces(bytes: Uint8Array, i: number): number {
  let j = i;
  for (let spaces = 0; spaces < 4; spaces++) {
    const c = byteAt(bytes, j);
    if (!(c === 32 || (c >= 9 && c <= 13) || c > 127)) break;
    j++;
  }
  return j;
}

function byteAt(bytes: Uint8Array, i: number): number {
  return i < bytes.length ? (bytes[i] as number) : -1;
}

function isNameByte(c: number): boolean {
  return c < 128 && NAME_CHARS[c] === 1;
}

function verdict(
  ruleId: RuleId,
  secret: string,
  keep: number,
  message: string,
  extra: Partial<TextVerdict> = {},
): TextVerdict {
  return { ruleId, message, evidence: redact(secret, keep), key: secret, ...extra };
}

const PLACEHOLDER =
  /^(?:x{4,}|\*{3,}|\.{3,}|<.*>|\$\{.*\}|\{\{.*\}\}|%[A-Z_]+%|your[-_ ]|change[-_]?me|replace[-_]?me|example|sample|dummy|placeholder|test[-_]?(?:key|token|secret)|undefined|null|true|false|none|redacted)/i;
// Names that hold metadata about a secret, not the secret itself, or another value the secret's
// word only qualifies (`FORGOT_PASSWORD_EMAIL`, the e-mail address a password reset is sent to).
const NOT_A_SECRET_NAME =
  /(?:url|uri|endpoint|path|type|name|label|field|header|prefix|length|len|expiry|expires|expiresin|expiration|ttl|placeholder|hint|title|text|message|msg|error|regex|pattern|format|input|class|id|mode|policy|strategy|storage|cookie|param|version|enabled|required|visible|count|timeout|method|scheme|location|provider|service|file|dir|route|event|action|icon|style|min|max|tag|screen|view|tint|color|colour|button|toggle|address|addr|e[-_]?mail|template)s?$/i;
const PASSWORD_NAME = /passw|pwd|passphrase/i;
/**
 * The path of a secret kept in a secret manager (`my-project/app-e2e-maestro-password`, as
 * google-github-actions/get-secretmanager-secrets reads `NAME:project/secret`): segments of
 * lowercase words joined by `-` or `_`, separated by `/`. It names where the secret is, not the
 * secret.
 */
const SECRET_MANAGER_PATH = /^[a-z0-9]+(?:[-_][a-z0-9]+)+(?:\/[a-z0-9]+(?:[-_][a-z0-9]+)+)+$/;
/**
 * The account keys Microsoft publishes for its local emulators, the same in every install: the
 * Azure Storage emulator's (Azurite, `devstoreaccount1`) and the Cosmos DB emulator's.
 */
const AZURE_EMULATOR_KEYS = new Set([
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==',
]);
/**
 * Keys whose provider documents them as public, made to ship in clients, told by their prefix:
 * PostHog project API keys (`phc_`, write-only ingestion), Stripe publishable keys (`pk_live_`,
 * `pk_test_`), Mapbox public tokens (`pk.` and a JWT-like body) and any key whose value opens by
 * calling itself public (Adapty's SDK keys, `public_live_…`). The secret forms of the same
 * providers (`phx_`, `sk_live_`, Mapbox `sk.`) are not these prefixes. Android Backup Service
 * keys (`AEdPqrEAAAAI…`) are registered for one package name and go in the app's manifest
 * (`com.google.android.backup.api_key`), as Google's documentation says to.
 */
const PUBLISHABLE_KEY = /^(?:phc_|pk_(?:live|test)_|pk\.eyJ|AEdPqrEAAAAI|(?:public|publishable)[_-])/;

/**
 * An account or contract address of Ethereum and the chains that share its format: `0x` and 20
 * bytes in hex. Addresses are public on a public ledger (`STAKING_TOKEN_ADDRESS`, a token's
 * contract, is a token's address, not a token). A private key of the same chains is 32 bytes, 64
 * hex digits, and stays a candidate.
 */
const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * The value spells the last words of its own name, without case or separators: a label whose
 * constant says what it labels (`PASSPHRASE_FORMAT_NUMERIC9X4 = "numeric9x4"`,
 * `TOKEN_TYPE_BEARER = "bearer"`). A secret does not repeat the name it is kept under.
 */
function spellsItsName(name: string, value: string): boolean {
  const spelled = value.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (spelled.length < 4) return false;
  const words = name
    .split(/[^A-Za-z0-9]+/)
    .flatMap((part) => part.split(/(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/))
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
  let tail = '';
  for (let i = words.length - 1; i >= 0 && tail.length < spelled.length; i--) {
    tail = `${words[i]}${tail}`;
    if (tail === spelled) return true;
  }
  return false;
}

/**
 * A character set written out in order (`ABC…XYZabc…xyz0123456789`, `0123456789abcdef`), as the
 * alphabet a token is drawn from (`SHARE_TOKEN_ALPHABET`, nanoid's `customAlphabet`): four in five
 * neighbouring characters or more follow each other in code order. A key or token is drawn at
 * random and is never so sorted; under a password's name the same run is a weak password and is
 * judged as one.
 */
function isAlphabet(value: string): boolean {
  let next = 0;
  for (let i = 1; i < value.length; i++) if (value.charCodeAt(i) === value.charCodeAt(i - 1) + 1) next++;
  return value.length >= 10 && next >= 0.8 * (value.length - 1);
}

/**
 * A name that says its value is the key or tag of something else: a dialog's or fragment's tag
 * (`DIALOG_TAG_PASSWORD_PRESET_CONFIRM = "pwPreset"`), an intent extra, argument, action, saved
 * state, notification channel or work tag (`EXTRA_PASSWORD`, `ARG_TOKEN`, `ACTION_RESET_PASSWORD`).
 * Such a constant holds an identifier by which the app finds the thing, never the secret.
 */
const NAMES_A_KEY =
  /(?:^|_)(?:DIALOG_|FRAGMENT_)?TAG_|_TAG$|^(?:EXTRA|ARG|ARGS|BUNDLE|INTENT|ACTION|REQUEST_CODE|RESULT|SAVED_STATE|STATE|NOTIFICATION|CHANNEL|WORK|JOB)_|^(?:dialog|fragment)Tag[A-Z]/;

/**
 * A permission scope that names a secret by its path (Taskcluster's `secrets:get:project/app/level-1/sentry`,
 * the value after `secrets:` being `get:project/…`): what a task may read, not what it reads.
 */
const PERMISSION_SCOPE =
  /^(?:get|set|read|write|list|create|delete|update|use)(?::[A-Za-z0-9._-]+)*:[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)+$/;

/**
 * A relative path of a file the app ships or reads (`sounds/secret.mp3`, `keys/token.json`,
 * `img/password-eye.png`): folders and a file name with a known extension. It names where
 * something is, not a secret (a game's sound effect named `SECRET`).
 */
const ASSET_PATH =
  /^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_.-]+)*\/[A-Za-z0-9_.-]+\.(?:mp3|ogg|wav|m4a|aac|png|jpe?g|gif|webp|svg|ico|json|xml|txt|html?|css|js|ttf|otf|woff2?|pem|crt|cer|der|p12|pfx|jks|bks|keystore|key|mp4|webm|db|sqlite|plist|ya?ml|csv|pdf|zip|atlas|tmx|fnt)$/i;

/**
 * A route or page of a web API written relative to its site (`wp/v2/users/me/application-passwords`,
 * `wp-login.php?action=lostpassword`): lowercase words joined by `/`, or one page with a web
 * extension, with an optional query of words. It says where a request goes (a REST route named for
 * the passwords it manages), not a secret. Each segment is words with at most two trailing digits
 * or a version (`v2`), so a random lowercase token split by `/` is not one.
 */
const WEB_ROUTE =
  /^(?:(?:v[0-9]{1,2}|[a-z]+(?:[-_.][a-z]+)*[0-9]{0,2})(?:\/(?:v[0-9]{1,2}|[a-z]+(?:[-_.][a-z]+)*[0-9]{0,2}))+\/?|[a-z]+(?:[-_][a-z]+)*\.(?:php|html?|aspx?|jsp|cgi))(?:\?[a-z_]+=[a-z_-]*(?:&[a-z_]+=[a-z_-]*)*)?$/;

/** The source files where `//` starts a comment that runs to the end of the line. */
const LINE_COMMENT_SOURCE =
  /\.(?:[cm]?[jt]sx?|java|kt|kts|swift|dart|m|mm|c|cc|cpp|h|hpp|go|rs|cs|scala|groovy|gradle)$/i;

const COMMENTED_KEY_NOTE =
  ' (medium: in a commented-out line of code, which is not compiled into the app; check that the key is not one in use)';

/**
 * True when the text at `at` sits in a line that starts as a `//` comment in a source file
 * (`// "privateKey": "-----BEGIN RSA PRIVATE KEY-----\n…"`, test data left commented out): the
 * compiler and the bundler's minifier drop it. Only the line before `at` is read.
 */
function inLineComment(text: string, at: number, path: string): boolean {
  if (!LINE_COMMENT_SOURCE.test(path)) return false;
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  return /^[ \t]*\/\//.test(text.slice(lineStart, Math.min(at, lineStart + 400)));
}

/** Judges the value of a `name = "value"` assignment whose name looks secret. */
function genericSecret(name: string, value: string): boolean {
  // Words that merely contain a keyword (tokenize, tokenizer, secretary) name no secret.
  if (NOT_A_SECRET_NAME.test(name) || /tokeni[sz]|secretar/i.test(name)) return false;
  // A name that says the value is public (`CONTENTFUL_PUBLIC_ACCESS_TOKEN`, `publishableKey`,
  // `GOOGLE_MAPS_API_PUBLIC_KEY`): a client key meant to ship, as the provider names it. So is a
  // client token (`FACEBOOK_CLIENT_TOKEN`, Datadog's `clientToken`): the name Facebook and Datadog
  // give the token they have every app embed, apart from the app secret or API key kept on servers.
  if (/public|publishable|client[-_.]?token/i.test(name)) return false;
  if (SECRET_MANAGER_PATH.test(value) || PERMISSION_SCOPE.test(value)) return false;
  if (NAMES_A_KEY.test(name) && /^[A-Za-z][A-Za-z0-9_.:-]{0,39}$/.test(value)) return false;
  if (
    PLACEHOLDER.test(value) ||
    value.includes('://') ||
    /^[./~]/.test(value) ||
    ASSET_PATH.test(value) ||
    WEB_ROUTE.test(value)
  )
    return false;
  if (/^(.)\1+$/.test(value) || PUBLISHABLE_KEY.test(value)) return false;
  if (EVM_ADDRESS.test(value) || spellsItsName(name, value)) return false;
  // A sorted run under a password's name is a weak password (`abcdef123`), still reported.
  if (!PASSWORD_NAME.test(name) && isAlphabet(value)) return false;
  // Dotted or dashed words (i18n keys, property paths, CSS classes) are not secrets, nor are they
  // with a version after them (`monero_wallet_update_v1`, a preference key of a migration).
  if (/^[A-Za-z]+(?:[._:-][A-Za-z]+)+(?:[._:-]v[0-9]{1,3})?$/.test(value) || isQualifiedName(value))
    return false;
  if (PASSWORD_NAME.test(name)) {
    return value.length >= 8 && characterClasses(value) >= 2 && shannonEntropy(value) >= 2.5;
  }
  return (
    value.length >= 16 && characterClasses(value) >= 2 && /[0-9]/.test(value) && shannonEntropy(value) >= 3.5
  );
}

/**
 * A name qualified by a package, as Android and Java name preference keys, intent extras and
 * actions: lowercase package segments, then a constant or class name
 * (`com.blizzard.messenger.AUTHENTICATOR_DEVICE_SECRET`, `org.acme.app.EXTRA_TOKEN`). Where a
 * secret is kept or passed, not the secret.
 *
 * @example
 * ```ts
 * isQualifiedName('com.example.app.PREF_SECRET_KEY'); // true
 * isQualifiedName('q8Lz2VfR.7mNc4TpW'); // false
 * ```
 */
export function isQualifiedName(value: string): boolean {
  return /^[a-z][a-z0-9]*(?:\.[a-z][a-z0-9_]*){1,8}\.[A-Za-z][A-Za-z0-9_]*$/.test(value);
}

/**
 * A UUID (8-4-4-4-12 hexadecimal digits): the shape of an app, tenant or client identifier as
 * often as of a key (App Center's app secret, Heroku's API key), so a UUID under a secret's name
 * is reported at medium.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Analytics and crash-reporting SDKs whose client key every app embeds by the vendor's
 * instructions (Bugsnag's `apiKey` in Info.plist, `Flurry.startSession(apiKey:)`, Mixpanel's
 * project token): it lets anyone send events to the project, not read its data. Told by the SDK's
 * name in the key's name or before it in the same block (the same call, the same plist dictionary).
 */
export const INGEST_SDK =
  /bugsnag|flurry|mixpanel|amplitude|appcenter|instabug|countly|crashlytics|fabric|newrelic|appsflyer/i;

/**
 * GIF search APIs (GIPHY, Tenor) whose API key the vendor issues for a client app to call the
 * search from the user's device (`giphy: { apiKey: … }`): it searches public GIFs under the app's
 * rate limit and reads nothing. Told as `INGEST_SDK` is, by the name in the key's name or before
 * it in the same block.
 */
export const GIF_SEARCH_API = /giphy|\btenor\b/i;

/**
 * Build, CI and release tooling: CI configuration (`.github/`, `.gitlab-ci.yml`, `.circleci/`,
 * Bitrise, Codemagic, Travis, Azure Pipelines, Jenkins, Buildkite), fastlane (`fastlane/`,
 * `Fastfile`, `Matchfile`…), `scripts/` and shell or batch scripts, and package managers' vendored
 * releases (`.yarn/releases/`). None of it ships in the app. Over all the judged apps every
 * generic guess there on an ordinary app was false (a temporary CI keychain's password, a
 * `printf` format writing a CI secret, a `NAME:project/secret` reference, a vendored Yarn).
 */
const BUILD_TOOLING =
  /(?:^|\/)(?:\.github|\.gitlab|\.circleci|\.buildkite|\.bitrise|\.travis|\.azure-pipelines|\.husky|\.yarn|\.taskcluster|taskcluster|fastlane|scripts)\/|(?:^|\/)(?:Fastfile|Appfile|Matchfile|Pluginfile|Dangerfile|Jenkinsfile|bitrise\.ya?ml|codemagic\.ya?ml|\.gitlab-ci\.ya?ml|\.travis\.ya?ml|azure-pipelines\.ya?ml|appveyor\.ya?ml|\.onedev-buildspec\.ya?ml)$|\.(?:sh|bash|zsh|ps1|bat|cmd)$/;

/**
 * A last word that says what kind of value a name holds, not what it is for: a default, a sample,
 * a mock (`DATA_BREACHED_PASSWORD_DEFAULT`, `passwordSample`, `PASSWORD_PLACEHOLDER`). The word
 * before it says what the value is, and is judged as the last.
 */
const VALUE_QUALIFIER =
  /[-_.]?(?:default|defaults|sample|example|mock|fake|dummy|demo|preview|placeholder|stub|fixture)$/i;

/** The last word of a name says password: `keychain_password`, `withPassword`, `PWD`. */
const PASSWORD_LAST_WORD = /(?:passw(?:or)?d|pwd|passphrase|passcode)s?$/i;

/**
 * How sure a guess of the generic rule is, when it is less than high: a name that ends in a
 * password word and a value made of words and digits (`temp_123456`, `Guest!@123456`,
 * `TotpAuthenticator`), or any UUID. On the ordinary apps of the corpus every such password was
 * something other than a credential of the app (a temporary CI keychain's, a guest account every
 * install shares, another app's backup format), which the code around it decides and the rule
 * cannot see; a generated value (16 characters or more of three classes or, shorter, one with no
 * run of four lowercase letters) is a provisioned secret and stays high.
 */
/**
 * The client configuration file of Huawei's AppGallery Connect (`agconnect-services.json`, the
 * counterpart of Firebase's `google-services.json`), which the AGConnect plugin and SDK read from
 * the app: its `api_key` and `client_secret` ship in every installed copy by the provider's design.
 */
const PROVIDER_CLIENT_CONFIG = /(?:^|\/)agconnect-services\.json$/;

function guessSeverity(name: string, value: string, before: string, path: string): string | undefined {
  if (BUILD_TOOLING.test(path))
    return 'a guess by its name in build, CI or release tooling (a workflow, a fastlane lane, a script, a vendored tool): not shipped in the app, and such files hold temporary keychains, CI variables and test accounts far more often than the app’s credentials';
  if (UUID.test(value)) return 'a UUID, the shape of an identifier as often as of a key';
  if (/key|token/i.test(name) && INGEST_SDK.test(`${before} ${name}`))
    return 'the key of an analytics or crash-reporting SDK, which its vendor has every app ship: it sends events, it reads nothing';
  if (PROVIDER_CLIENT_CONFIG.test(path))
    return "a key of a push or app-services provider's client configuration (Huawei AppGallery Connect's agconnect-services.json), which its SDK reads from the app: every installed copy holds it, as Firebase's google-services.json; restrict what it may do in the provider's console";
  if (/key/i.test(name) && GIF_SEARCH_API.test(`${before} ${name}`))
    return 'the key of a GIF search API, which its vendor issues for apps to call from the client: it searches public GIFs, it reads nothing of the project';
  if (!PASSWORD_LAST_WORD.test(name.replace(/[^A-Za-z]+$/, '').replace(VALUE_QUALIFIER, '')))
    return undefined;
  const generated =
    characterClasses(value) >= 3 &&
    shannonEntropy(value) >= 3.5 &&
    (value.length >= 16 || !/[a-z]{4}/.test(value));
  return generated
    ? undefined
    : 'a password made of words and digits: nothing here says what it protects (an account, a test or temporary store, another app’s format)';
}

const GENERIC_TRIGGERS = [
  'secret',
  'passw',
  'pwd',
  'passphrase',
  'token',
  'apikey',
  'api_key',
  'api-key',
  'accesskey',
  'access_key',
  'privatekey',
  'private_key',
  'credential',
  'authkey',
  'auth_key',
] as const;

/**
 * Start of the scheme before a `://` (up to 16 letters, digits, `+`, `.`, `-`), or -1. One
 * trigger for every scheme: a trigger per scheme (https, mongodb+srv, postgres, redis…) put
 * their common letter pairs in the prefilter and cost a sixth of the whole scan.
 */
function schemeStart(text: string, at: number): number {
  let i = at;
  const floor = Math.max(0, at - 16);
  while (i > floor && /[A-Za-z0-9+.-]/.test(text.charAt(i - 1))) i--;
  return i < at && /[A-Za-z]/.test(text.charAt(i)) ? i : -1;
}

/**
 * On the bytes: true when the URL whose `://` is at `at` has no `user:password@` (no `@` before the end of its
 * authority, or no `:` before that `@`). Nearly every URL of a bundle ends here.
 */
function noUserInfo(bytes: Uint8Array, at: number): boolean {
  let i = at + 3; // past `://`
  const limit = Math.min(bytes.length, i + 200);
  let colon = false;
  // One table read a byte, for the bytes of a host (nearly all of them) the only test.
  for (; i < limit; i++) {
    const kind = URL_AUTHORITY_BYTE[bytes[i] as number] as number;
    if (kind === 0) continue;
    if (kind === AUTHORITY_END) return true;
    if (kind === AUTHORITY_AT) return !colon;
    colon = true;
  }
  return true;
}

const AUTHORITY_END = 1;
const AUTHORITY_AT = 2;
const AUTHORITY_COLON = 3;
/**
 * What a byte is to `noUserInfo`: `@`, `:`, one the URL regex takes in neither user nor password
 * (whitespace, / ? # quotes < > and backslash: the end of the authority), or 0 for any other.
 */
const URL_AUTHORITY_BYTE = new Uint8Array(256).map((_, c) =>
  c === 0x40
    ? AUTHORITY_AT
    : c === 0x3a
      ? AUTHORITY_COLON
      : /[\s/?#"'`<>\\]/.test(String.fromCharCode(c))
        ? AUTHORITY_END
        : 0,
);

/** Passwords and users that only show where a credential goes. */
const URL_PLACEHOLDER =
  /^(?:password|passwd|pass|pwd|secret|user|username|login|x+|\*+|\.{3}|[$%{<:[].*|.*[}>\]]$|your.*|changeme|example|test|dummy|placeholder)$/i;

/**
 * A host made of numbers that is no IPv4 address (`12.3.4`, `300.1.1.1`): what documentation
 * writes for "some address" in an example URL (`smb://user;workgroup:passw0rd@12.3.4` in a
 * Javadoc comment), never a server an app reaches.
 */
function notAnAddress(host: string): boolean {
  if (!/^[0-9.]+$/.test(host)) return false;
  const parts = host.split('.');
  return parts.length !== 4 || parts.some((p) => p === '' || Number(p) > 255);
}

/**
 * A user that is the name of a URI scheme: what prefixing `https://` to another URI makes of it
 * (`https://mailto:a@b.com`, `http://tel:123@…`), the mangled URI code comments and tests describe,
 * not a credential.
 */
const SCHEME_AS_USER =
  /^(?:mailto|tel|sms|smsto|mms|geo|market|intent|callto|skype|facetime|https?|ftps?|file|data|javascript|content|about)$/i;

/**
 * A Sentry DSN in its legacy form, `https://<public key>:<secret key>@host/<project id>`: two keys
 * of 32 hex digits and a numeric project after the host (sentry.io's or a self-hosted server's).
 * A DSN is what the SDK in every client is given to report errors; Sentry documents DSNs as safe
 * to publish, and the secret key of the legacy form has not been required since Sentry 9.
 */
function isSentryDsn(user: string, password: string, after: string): boolean {
  return (
    /^[0-9a-f]{32}$/.test(user) &&
    /^[0-9a-f]{32}$/.test(password) &&
    /^(?::[0-9]{1,5})?\/(?:[A-Za-z0-9_-]+\/)*[0-9]+(?![A-Za-z0-9_/-])/.test(after)
  );
}

/**
 * An Android string resource of another language than the default (`res/values-ro/`,
 * `res/values-pt-rBR/`, `res/values-b+sr+Latn/`): a translator's copy of a string of
 * `res/values/`, where a credential in an example is written in the translator's words
 * (`mongodb://utilizator:parola@…` for `user:pass`). A real one in the default file stays high.
 */
const ANDROID_TRANSLATION =
  /(?:^|\/)res\/(values-(?:[a-z]{2,3}(?:-r[A-Z]{2})?|b\+[a-z]{2,3}(?:\+[A-Za-z0-9]+)*)(?:-[^/]*)?)\/[^/]+\.xml$/;

function urlCredentials(m: RegExpExecArray, text: string, path: string): TextVerdict | undefined {
  const user = m[2] as string;
  const password = m[3] as string;
  const host = (m[4] as string).toLowerCase().replace(/\.+$/, '');
  if (URL_PLACEHOLDER.test(password) || /^[$%{<]/.test(user) || notAnAddress(host)) return undefined;
  // Percent-encoded words (`user%20name:pass%20word@proxyhost`, a format's documentation).
  if (URL_PLACEHOLDER.test(percentDecoded(password).replace(/\s+/g, ''))) return undefined;
  if (SCHEME_AS_USER.test(user)) return undefined;
  const end = (m.index as number) + m[0].length;
  if (isSentryDsn(user, password, text.slice(end, end + 80))) return undefined;
  if (
    host === 'localhost' ||
    /^127\./.test(host) ||
    /(?:^|\.)example\.(?:com|net|org)$/.test(host) ||
    /\.(?:example|test|invalid|localhost)$/.test(host) ||
    /^(?:host|hostname|server|servername|domain)$/.test(host) ||
    password.split(':').every((part) => URL_PLACEHOLDER.test(part))
  ) {
    return undefined;
  }
  const translation = ANDROID_TRANSLATION.exec(path);
  const commented = inLineComment(text, m.index as number, path);
  return verdict(
    'secret-url-credentials',
    password,
    0,
    `user name and password in a ${m[1]?.toLowerCase()}:// URL to ${host.slice(0, 80)}${translation ? `, in a translation (${translation[1]}/): the default language’s strings.xml holds the string, where its value is judged` : ''}`,
    {
      evidence: `${m[1]?.toLowerCase()}://${user.slice(0, 2)}•••:${redact(password, 0)}@${host.slice(0, 80)}`,
      key: `${user}\u0000${password}\u0000${host}`,
      ...(translation || commented ? { severity: 'medium' as const } : {}),
      ...(commented && !translation
        ? {
            message: `user name and password in a ${m[1]?.toLowerCase()}:// URL to ${host.slice(0, 80)}${COMMENTED_KEY_NOTE}`,
          }
        : {}),
    },
  );
}

/** `s` with its %XX escapes decoded; `s` itself when they do not decode. */
function percentDecoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Every secret detector, in rule-catalogue order. */
export const SECRET_DETECTORS: readonly TextDetector[] = [
  {
    // AWS: access key ids are 20 characters, AKIA (long-term) or ASIA (temporary) + 16 of [A-Z0-9].
    triggers: ['AKIA', 'ASIA'],
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/y,
    check: (m) =>
      // AKIAIOSFODNN7EXAMPLE is the key AWS uses in its own documentation.
      m[0].endsWith('EXAMPLE')
        ? undefined
        : verdict(
            'secret-aws-access-key-id',
            m[0],
            4,
            `AWS access key id ${m[0].slice(0, 4)}… shipped in the app`,
          ),
  },
  {
    // AWS secret access keys: 40 characters of base64 assigned to an aws secret name.
    triggers: ['secret'],
    ignoreCase: true,
    start: identifierStart,
    pattern:
      /(["']?)([A-Za-z0-9_$.-]*(?:aws.?secret|secret.?access.?key)[A-Za-z0-9_$.-]*)\1\s{0,4}(?::=|[:=])\s{0,4}(["'`]?)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])\3/iy,
    check: (m) => {
      const value = m[4] as string;
      if (PLACEHOLDER.test(value) || value.endsWith('EXAMPLEKEY')) return undefined;
      return verdict('secret-aws-secret-access-key', value, 0, `AWS secret access key assigned to ${m[2]}`, {
        valueStart: (m.index as number) + m[0].indexOf(value),
        valueEnd: (m.index as number) + m[0].indexOf(value) + value.length,
      });
    },
  },
  {
    // GitHub tokens since 2021: prefix + 30 random base62 + 6 base62 CRC32 checksum.
    triggers: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    pattern: /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36}(?![A-Za-z0-9])/y,
    check: (m) =>
      githubChecksumOk(m[0])
        ? verdict('secret-github-token', m[0], 4, `GitHub ${m[0].slice(0, 4)} token with a valid checksum`)
        : undefined,
  },
  {
    // GitHub fine-grained personal access tokens: github_pat_ + 22 + _ + 59.
    triggers: ['github_pat_'],
    pattern: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}(?![A-Za-z0-9])/y,
    check: (m) => verdict('secret-github-token', m[0], 11, 'GitHub fine-grained personal access token'),
  },
  {
    // GitLab tokens: documented prefixes (glpat- personal, gldt- deploy, glrt- runner, glptt- pipeline
    // trigger, gloas- OAuth secret, glsoat- service account, glcbt- CI build) + at least 20 characters.
    triggers: ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'gloas-', 'glsoat-', 'glcbt-'],
    pattern:
      /(?<![A-Za-z0-9_-])gl(?:pat|dt|rt|ptt|oas|soat|cbt)-[A-Za-z0-9_-]{20,80}(?:\.[0-9a-z]{2}[0-9a-z]{7})?(?![A-Za-z0-9_-])/y,
    check: (m) => {
      const prefix = m[0].slice(0, m[0].indexOf('-') + 1);
      return verdict('secret-gitlab-token', m[0], prefix.length, `GitLab ${prefix} token`);
    },
  },
  {
    // Slack tokens: xoxb- (bot), xoxp- (user), xoxa-/xoxr-/xoxs-/xoxo- (legacy), xoxe- (refresh),
    // numeric workspace/user ids separated by dashes, then the secret part.
    triggers: ['xoxb-', 'xoxp-', 'xoxa-', 'xoxr-', 'xoxs-', 'xoxo-', 'xoxe-'],
    pattern: /(?<![A-Za-z0-9])xox[bparsoe]-(?:[0-9]{6,}-){1,3}[A-Za-z0-9]{16,64}(?![A-Za-z0-9-])/y,
    check: (m) => verdict('secret-slack-token', m[0], 5, `Slack ${m[0].slice(0, 4)} token`),
  },
  {
    // Slack app-level tokens: xapp-<n>-<app id>-<digits>-<hex>.
    triggers: ['xapp-'],
    pattern: /(?<![A-Za-z0-9])xapp-[0-9]-[A-Z0-9]{8,}-[0-9]{6,}-[a-f0-9]{32,80}(?![A-Za-z0-9])/y,
    check: (m) => verdict('secret-slack-token', m[0], 5, 'Slack app-level token'),
  },
  {
    // Slack incoming webhooks: https://hooks.slack.com/services/T…/B…/<24 characters>.
    triggers: ['hooks.slack.com/'],
    pattern:
      /hooks\.slack\.com\/(?:services|workflows|triggers)\/T[A-Z0-9]{8,12}\/[AB][A-Z0-9]{8,12}\/[A-Za-z0-9]{24,32}(?![A-Za-z0-9])/y,
    check: (m) => verdict('secret-slack-webhook', m[0], 25, 'Slack incoming webhook URL'),
  },
  {
    // Stripe secret (sk_) and restricted (rk_) keys, live or test mode. Publishable keys (pk_)
    // are meant to ship and are not matched.
    triggers: ['sk_live_', 'rk_live_', 'sk_test_', 'rk_test_'],
    pattern: /(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[A-Za-z0-9]{24,247}(?![A-Za-z0-9])/y,
    check: (m) => {
      const live = m[0].includes('_live_');
      return verdict(
        live ? 'secret-stripe-live-key' : 'secret-stripe-test-key',
        m[0],
        8,
        `Stripe ${live ? 'live' : 'test-mode'} ${m[0].startsWith('rk') ? 'restricted' : 'secret'} key`,
      );
    },
  },
  {
    // Google API keys: AIza + 35 characters of [A-Za-z0-9_-].
    triggers: ['AIza'],
    pattern: /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/y,
    check: (m) => verdict('secret-google-api-key', m[0], 4, 'Google API key (check it is restricted)'),
  },
  {
    // Google OAuth client secrets: GOCSPX- + 28 characters.
    triggers: ['GOCSPX-'],
    pattern: /(?<![A-Za-z0-9_-])GOCSPX-[A-Za-z0-9_-]{28}(?![A-Za-z0-9_-])/y,
    check: (m) => verdict('secret-google-oauth-client-secret', m[0], 7, 'Google OAuth client secret'),
  },
  {
    // Azure storage account keys: 64 random bytes, base64 (88 characters), in a connection string.
    triggers: ['AccountKey='],
    pattern: /AccountKey=([A-Za-z0-9+/]{86}==)/y,
    check: (m) => {
      const key = m[1] as string;
      if (AZURE_EMULATOR_KEYS.has(key))
        return verdict('secret-azure-storage-key', key, 0, 'Azure account key in a connection string', {
          lowered:
            'the fixed key Microsoft publishes for its local emulators (Azurite, the Cosmos DB emulator): it opens only an emulator on the developer’s machine',
        });
      return verdict('secret-azure-storage-key', key, 0, 'Azure storage account key in a connection string');
    },
  },
  {
    // Microsoft Entra ID client secrets: 3 characters, a digit, "Q~", then 31 to 34 characters.
    triggers: ['0Q~', '1Q~', '2Q~', '3Q~', '4Q~', '5Q~', '6Q~', '7Q~', '8Q~', '9Q~'],
    start: (_text, at) => at - 3,
    pattern: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/y,
    check: (m) =>
      verdict('secret-azure-ad-client-secret', m[0], 0, 'Microsoft Entra ID (Azure AD) client secret'),
  },
  {
    // PEM private keys: the BEGIN line followed by base64 body (also inside JS strings with \n).
    triggers: ['-----BEGIN '],
    // Any amount of blank lines, quotes and string concatenation may come before the body.
    reach: 64 * 1024,
    pattern:
      /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----(?:\\[rn]|[\s"'`+,])*(Proc-Type:[^\n\\]*(?:\\n|\n))?(?:DEK-Info:[^\n\\]*(?:\\n|\n)(?:\\n|\n)?)?(?:\\[rn]|[\s"'`+,])*[A-Za-z0-9+/=]{40}/y,
    check: (m, text, file) => {
      const kind = m[1] as string;
      const encrypted = kind.startsWith('ENCRYPTED') || m[2] !== undefined;
      const name = file.path.slice(file.path.lastIndexOf('/') + 1);
      const commented = inLineComment(text, m.index as number, file.path);
      return {
        ruleId: 'secret-private-key',
        message: `${encrypted ? 'Encrypted private key' : 'Private key'} (${kind}) shipped in the app${commented ? COMMENTED_KEY_NOTE : ''}`,
        evidence: `-----BEGIN ${kind}----- ••••••`,
        key: m[0],
        ...(encrypted || commented ? { severity: 'medium' as const } : {}),
        // A file named as a test key (`test_private_key.pem`, `testkey.pem`): a fixture.
        ...(namedForTests(name) && !isSetAsidePlace(file.path)
          ? { lowered: `a key file named as one for tests (${name})` }
          : {}),
      };
    },
  },
  {
    // JWTs: base64url header and payload that are JSON objects (the header names an alg).
    triggers: ['eyJ'],
    // A token with many claims can run to tens of kilobytes.
    reach: 64 * 1024,
    pattern:
      /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}(?![A-Za-z0-9_-])/y,
    check: (m, text, file) => {
      const [head, body] = m[0].split('.');
      const commented = inLineComment(text, m.index as number, file.path);
      const header = decodeJsonPart(head as string);
      const payload = decodeJsonPart(body as string);
      if (header === undefined || payload === undefined || typeof header.alg !== 'string') return undefined;
      const claims = Object.keys(payload).slice(0, 6).join(', ');
      const bound = keyBound(payload);
      return {
        ruleId: 'secret-jwt',
        message: `JSON Web Token (alg ${String(header.alg).slice(0, 10)}, claims: ${claims || 'none'})${bound ? ` (medium: ${KEY_BOUND})` : ''}`,
        evidence: redact(m[0], 3),
        key: m[0],
        ...(bound ? { severity: 'medium' as const } : {}),
        ...(commented && !bound
          ? {
              severity: 'medium' as const,
              message: `JSON Web Token (alg ${String(header.alg).slice(0, 10)}, claims: ${claims || 'none'})${COMMENTED_KEY_NOTE.replace('the key is', 'the token is')}`,
            }
          : {}),
        ...(expiredLongAgo(payload)
          ? {
              lowered: `expired on ${new Date((payload.exp as number) * 1000).toISOString().slice(0, 10)}, over 30 days before this scan: it no longer grants access (what its claims say of a person may still be personal data)`,
            }
          : {}),
        ...(isSignedDocument(header, payload)
          ? {
              lowered:
                'a signed document, not a credential: public-key signature (the app verifies, it cannot sign) and no subject, audience, expiry or scope claim',
            }
          : {}),
      };
    },
  },
  {
    // Credentials inside a URL: scheme://user:password@host (http, ftp, database and broker URLs).
    // User and password are printable ASCII (RFC 3986's userinfo, percent-encoded beyond it): in
    // a binary file (an SQLite database of carriers' APN settings) a control byte or a byte past
    // ASCII ends one field, and a "URL" read across it joins fields of different rows.
    triggers: ['://'],
    start: schemeStart,
    dismiss: noUserInfo,
    pattern:
      /([a-z][a-z0-9+.-]{1,15}):\/\/([!$-&(-.0-9;=A-Z[\]-_a-z{-~]{1,64}):([!$-&(-.0-;=A-Z[\]-_a-z{-~]{1,128})@([A-Za-z0-9][A-Za-z0-9.-]{0,252})/iy,
    check: (m, text, file) => urlCredentials(m, text, file.path),
  },
  {
    // Generic: a secret-like name assigned a quoted high-entropy value.
    triggers: GENERIC_TRIGGERS,
    ignoreCase: true,
    start: assignmentStart,
    dismiss: (bytes, at) => notAnAssignment(bytes, at, true),
    pattern: /(["']?)([A-Za-z0-9_$.-]{1,80})\1\s{0,4}(?::=|[:=])\s{0,4}(["'`])([^"'`\s\\]{8,300})\3/y,
    check: (m, text, file) => genericVerdict(m, m[2] as string, m[4] as string, file, text),
  },
  {
    // Generic, property lists: `<key>Password</key><string>…</string>` (a bundled credentials
    // plist), judged as a `name = value` assignment.
    triggers: ['</key>'],
    start: plistKeyStart,
    pattern: /<key>([A-Za-z0-9_$.-]{1,80})<\/key>\s{0,40}<string>([^<\s]{8,300})<\/string>/y,
    check: (m, text, file) => genericVerdict(m, m[1] as string, m[2] as string, file, text),
  },
  {
    // Generic, markup: `<PasswordText>…</PasswordText>`, `<wsse:Password …>…</wsse:Password>`, a
    // credential written as an element's text (a SOAP header built in code, a client's XML
    // configuration).
    triggers: GENERIC_TRIGGERS,
    ignoreCase: true,
    start: elementStart,
    dismiss: notAnElement,
    pattern:
      /<(?:[A-Za-z][A-Za-z0-9_.-]{0,30}:)?([A-Za-z][A-Za-z0-9_.-]{0,79})(?:\s[^<>]{0,200})?>([^<\s]{6,300})<\/(?:[A-Za-z][A-Za-z0-9_.-]{0,30}:)?\1>/y,
    check: (m, text, file) => elementVerdict(m, m[1] as string, m[2] as string, file, text),
  },
  {
    // Generic, Android meta-data: `<meta-data android:name="admin_password" android:value="…"/>`,
    // a credential the manifest (or a resource) carries as a name and a value, which any APK
    // tool prints.
    triggers: GENERIC_TRIGGERS,
    ignoreCase: true,
    start: metaDataStart,
    dismiss: notMetaData,
    pattern: /android:name\s*=\s*"([^"<>\s]{1,120})"\s+android:value\s*=\s*"([^"<>]{1,300})"/y,
    check: (m, text, file) => metaDataVerdict(m, m[1] as string, m[2] as string, file, text),
  },
  {
    // Generic, config files (.env, .properties, .yaml…): unquoted values too.
    triggers: GENERIC_TRIGGERS,
    ignoreCase: true,
    start: assignmentStart,
    dismiss: (bytes, at) => notAnAssignment(bytes, at, false),
    configOnly: true,
    pattern: /([A-Za-z0-9_.-]{1,80})[ \t]{0,4}[:=][ \t]{0,4}([^\s"'`#;,]{8,300})/y,
    check: (m, text, file) => {
      // The first word of a sentence (`backup.password.info=Optionally, provide a password to…`):
      // words follow on the same line, so the value is text shown to a person, not a secret.
      const after = text.slice((m.index as number) + m[0].length, (m.index as number) + m[0].length + 24);
      if (/^[,;:]?[ \t]+\p{L}{2,}[ \t,.;:!?]+\p{L}/u.test(after)) return undefined;
      return genericVerdict(m, m[1] as string, m[2] as string, file, text);
    },
  },
];

/**
 * Start of the `android:name="…"` attribute whose quoted value holds the keyword at `at`, or -1:
 * the name is at most 120 characters, and no quote lies between its opening quote and `at`.
 */
function metaDataStart(text: string, at: number): number {
  const from = Math.max(0, at - 140);
  const i = text.slice(from, at).lastIndexOf('android:name');
  if (i < 0) return -1;
  const start = from + i;
  let quotes = 0;
  for (let j = start; j < at; j++) if (text.charCodeAt(j) === 34) quotes++;
  return quotes === 1 ? start : -1;
}

const ANDROID_NAME = Buffer.from('android:name', 'latin1');

/**
 * On the bytes: true when the keyword at `at` is not inside the quoted value of an
 * `android:name` attribute (name bytes back to a `"`, then `=` between optional spaces, then
 * `android:name`). A byte above 127 (which may be a space to the regex) keeps the trigger.
 */
function notMetaData(bytes: Uint8Array, at: number): boolean {
  let i = at;
  const floor = Math.max(0, at - 120);
  for (; i > floor; i--) {
    const c = bytes[i - 1] as number;
    if (c > 127) return false;
    if (c === 34) break;
    if (c === 60 || c === 62 || c === 32 || (c >= 9 && c <= 13)) return true;
  }
  if (i === floor || bytes[i - 1] !== 34) return true;
  i--;
  const spaceFloor = Math.max(0, i - 140);
  let equals = false;
  while (i > spaceFloor) {
    const c = bytes[i - 1] as number;
    if (c > 127) return false;
    if (c === 61 && !equals) equals = true;
    else if (!(c === 32 || (c >= 9 && c <= 13))) break;
    i--;
  }
  if (!equals || i < ANDROID_NAME.length) return true;
  for (let k = 0; k < ANDROID_NAME.length; k++)
    if (bytes[i - ANDROID_NAME.length + k] !== ANDROID_NAME[k]) return true;
  return false;
}

/**
 * Judges an Android `<meta-data>` pair: a password under a name that says so (`admin_password`)
 * at any letters of 6 or more, as a password element's text is, since the name is the only label
 * the value has; a name that says secret is judged as an assignment. Resource references
 * (`@string/…`) and manifest placeholders (`\${…}`) are where a value comes from, not the value;
 * API keys and tokens under such names are left to the detectors of their own shape.
 */
function metaDataVerdict(
  m: RegExpExecArray,
  name: string,
  value: string,
  file: TextFileInfo,
  text: string,
): TextVerdict | undefined {
  if (/^[@?$]|\$\{/.test(value) || NOT_A_SECRET_NAME.test(name) || isTranslationFile(file.path))
    return undefined;
  if (!PASSWORD_NAME.test(name))
    return /secret/i.test(name) ? genericVerdict(m, name, value, file, text) : undefined;
  if (value.length < 6 || URL_PLACEHOLDER.test(value) || PLACEHOLDER.test(value) || isReference(value))
    return undefined;
  if (isTemplate(value, file.path) || /^[%{]|[}]$/.test(value) || isIdentifierNamingASecret(value))
    return undefined;
  const valueStart = (m.index as number) + m[0].lastIndexOf(`"${value}"`) + 1;
  return {
    ruleId: 'secret-generic-assignment',
    message: `password written in the meta-data ${name.slice(0, 60)}`,
    evidence: `${name.slice(0, 60)} = ${redact(value, 0)}`,
    key: `meta:${name}\u0000${value}`,
    generic: true,
    valueStart,
    valueEnd: valueStart + value.length,
  };
}

/**
 * Start of the `<key>` whose `</key>` is at `at`, or -1: the key name is at most 80 characters,
 * so at most 86 characters are read back.
 */
function plistKeyStart(text: string, at: number): number {
  const from = Math.max(0, at - 86);
  const open = text.slice(from, at).lastIndexOf('<key>');
  return open < 0 ? -1 : from + open;
}

/**
 * Start of the element whose name holds the keyword at `at`, or -1: the name (at most 80 name
 * characters, after an optional `prefix:`) must follow a `<` directly.
 */
function elementStart(text: string, at: number): number {
  let i = at;
  const floor = Math.max(0, at - MAX_NAME);
  while (i > floor && isNameChar(text, i - 1)) i--;
  if (i > 0 && text.charCodeAt(i - 1) === 58) {
    let p = i - 1;
    const prefixFloor = Math.max(0, p - 31);
    while (p > prefixFloor && isNameChar(text, p - 1)) p--;
    if (p < i - 1) i = p;
  }
  return i > 0 && text.charCodeAt(i - 1) === 60 ? i - 1 : -1;
}

/**
 * On the bytes: true when the keyword at `at` is not inside an element name, that is no `<`
 * (or `<prefix:`) before the name characters that lead to it. Nearly every keyword of a bundle is
 * dismissed here.
 */
function notAnElement(bytes: Uint8Array, at: number): boolean {
  let i = at;
  const floor = Math.max(0, at - MAX_NAME);
  while (i > floor && isNameByte(bytes[i - 1] as number)) i--;
  if (i > 0 && bytes[i - 1] === 58) {
    let p = i - 1;
    const prefixFloor = Math.max(0, p - 31);
    while (p > prefixFloor && isNameByte(bytes[p - 1] as number)) p--;
    if (p < i - 1) i = p;
  }
  return !(i > 0 && bytes[i - 1] === 60);
}

/** Source files whose comments are `//`, `/* … *\/` or `#` lines (not markup files). */
const CODE_FILE = /\.(?:java|kt|kts|scala|swift|m|mm|h|hpp|c|cc|cpp|cs|dart|go|rs|py|rb|js|jsx|ts|tsx)$/i;

/**
 * The reason to lower a password element found at `at` in a source file, when the line holding it
 * is a comment (`// <password>cauldronburn</password>`, ` * <password>…`): markup quoted in a
 * comment of code is a protocol's or a format's example (XEP-0045's room invitation above the code
 * that parses invitations), not a value the app sends; the same element in a string literal of
 * the code stays as it is.
 */
function markupInCodeComment(text: string, at: number, path: string): string | undefined {
  if (!CODE_FILE.test(path)) return undefined;
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  const before = text.slice(lineStart, at);
  if (!/^\s*(?:\/\/+|\/\*+|\*|#)/.test(before) || /["'`]/.test(before)) return undefined;
  return 'markup quoted in a code comment: an example of a protocol or format, not a value the app uses';
}

/**
 * Judges an element's text as the value of its name. In markup the element's text is the value
 * itself, so a name ending in `Text` or `Value` (`PasswordText`, a SOAP header's password) names
 * that value, not a label. A password element holds a password whatever its letters (a value of
 * 6 characters or more that is not a placeholder, a reference or a template); other names are
 * judged as an assignment's.
 */
function elementVerdict(
  m: RegExpExecArray,
  element: string,
  value: string,
  file: TextFileInfo,
  text: string,
): TextVerdict | undefined {
  const name = element.replace(/(?:Text|Value)$/, '');
  if (!PASSWORD_NAME.test(name) || NOT_A_SECRET_NAME.test(name) || isTranslationFile(file.path))
    return genericVerdict(m, name, value, file, text);
  if (URL_PLACEHOLDER.test(value) || PLACEHOLDER.test(value) || isReference(value)) return undefined;
  if (isTemplate(value, file.path) || /^[%{]|[}]$/.test(value)) return undefined;
  const valueStart = (m.index as number) + m[0].indexOf(`>${value}<`) + 1;
  const quoted = markupInCodeComment(text, m.index as number, file.path);
  return {
    ...(quoted ? { lowered: quoted } : {}),
    ruleId: 'secret-generic-assignment',
    message: `password written in the element <${element.slice(0, 60)}>`,
    evidence: `<${element.slice(0, 60)}>${redact(value, 0)}`,
    key: `${element}\u0000${value}`,
    generic: true,
    valueStart,
    valueEnd: valueStart + value.length,
  };
}

/**
 * A Java resource bundle of UI texts: `messages_de.properties`, `strings_pt_BR.properties`,
 * `messagebundle_en_US_saptrc.properties` (SAP UI5), named by a locale after the base name, or a
 * message bundle whatever its suffix. Gradle's and the local `*.properties` are not named so, and
 * an environment's suffix (`messages_dev.properties`) is not a locale.
 */
const RESOURCE_BUNDLE =
  /(?:^|\/)(?:messagebundle[^/]*|(?:messages?|strings|texts?|labels|i18n|translations?|resources?|bundle)_(?!(?:dev|prd|stg|uat|tst|int|loc|qa)[_.])[a-z]{2,3}(?:_[A-Z]{2}|_[0-9]{3})?(?:_[A-Za-z0-9]{1,12})?)\.properties$/;

/**
 * The languages of ISO 639-1 (and a few of 639-3 that apps ship: Nigerian Pidgin, Filipino,
 * Cantonese, Asturian, Central Kurdish), as a resource bundle's suffix names them.
 */
const LANGUAGE_CODE =
  '(?:af|am|ar|as|az|be|bg|bn|bo|br|bs|ca|cs|cy|da|de|dz|el|en|eo|es|et|eu|fa|fi|fo|fr|fy|ga|gd|gl|gu|ha|he|hi|hr|hu|hy|id|ig|is|it|iw|ja|jv|ka|kk|km|kn|ko|ku|ky|la|lb|lo|lt|lv|mg|mi|mk|ml|mn|mr|ms|mt|my|nb|ne|nl|nn|no|oc|or|pa|pl|ps|pt|ro|ru|rw|sd|si|sk|sl|sn|so|sq|sr|su|sv|sw|ta|te|tg|th|ti|tk|tl|tr|tt|ug|uk|ur|uz|vi|wo|xh|yi|yo|zh|zu|pcm|fil|yue|ast|ckb)';

/**
 * A Java resource bundle of any base name whose suffix is a language, with a region or script
 * (`application_de.properties`, `wallet_pt_BR.properties`, `account_af_ZA.properties`,
 * `user_zh_Hant.properties`): the translations of `application.properties` beside it.
 */
const LOCALE_BUNDLE = new RegExp(
  `(?:^|/)[A-Za-z0-9][A-Za-z0-9-]*(?:_[A-Za-z0-9]+)*_${LANGUAGE_CODE}(?:_(?:[A-Z]{2}|[0-9]{3}|[A-Z][a-z]{3}))?\\.properties$`,
);

/**
 * A script of translations named by its language under a translations folder
 * (`src/i18n/de/index.ts`, `app/i18n/es.ts`, `locales/pt-BR.js`): an object of UI texts.
 */
const LOCALE_SCRIPT = new RegExp(
  `(?:^|/)(?:i18n|locales?|langs?|translations?|l10n)/(?:[^/]+/)*${LANGUAGE_CODE}(?:[-_](?:[A-Za-z]{2}|[0-9]{3}|[A-Z][a-z]{3}))?(?:/index)?\\.(?:ts|js|mjs|cjs)$`,
);

/**
 * Translation resources: Apple's `.strings` tables (and copies with a suffix after it,
 * `Localizable.strings.current`), JSON/YAML inside an Apple `.lproj` folder (a language's
 * resources: `ca.lproj/app.json`), Java resource bundles named by a locale
 * (`messages_de.properties`), and i18n JSON/YAML under an `i18n`, `locales`,
 * `locale`, `lang(s)`, `language(s)`, `translations` or `l10n` folder, string tables in a
 * `localization(s)` folder (`src/localization/authStrings.json` in mSupply; a `config.json` there
 * is no translation), and JSON/YAML named by a
 * locale with its region (`es_419.json`, `pt-BR.yaml`, `en_US.json`), or by a locale alone in a
 * `messages` folder (`messages/en.json`, as inlang's Paraglide and next-intl keep theirs). Their keys name UI fields
 * (`"settings.password" = "Passwort";`) and their values are words shown to the user, so a
 * secret-like name there says nothing; the detectors of a secret's own shape still run on them.
 *
 * @example
 * ```ts
 * isTranslationFile('ios/App/fr.lproj/Localizable.strings'); // true
 * isTranslationFile('app/i18n/locales/en.json'); // true
 * ```
 */
export function isTranslationFile(path: string): boolean {
  return (
    /\.(?:strings|stringsdict|xliff|xlf|arb)(?:\.[A-Za-z0-9]{1,12})?$/i.test(path) ||
    LOCALE_BUNDLE.test(path) ||
    LOCALE_SCRIPT.test(path) ||
    /(?:^|\/)[^/]+\.lproj\/(?:[^/]+\/)*[^/]+\.(?:json|ya?ml|properties)$/i.test(path) ||
    RESOURCE_BUNDLE.test(path) ||
    /(?:^|\/)(?:i18n|locales?|langs?|languages?|translations?|l10n)\/(?:[^/]+\/)*[^/]+\.(?:json|ya?ml|properties)$/i.test(
      path,
    ) ||
    /(?:^|\/)[a-z]{2,3}[-_](?:[A-Z]{2}|[0-9]{3}|[A-Z][a-z]{3})\.(?:json|ya?ml)$/.test(path) ||
    /(?:^|\/)locali[sz]ations?\/(?:[^/]+\/)*[^/]*strings[^/]*\.(?:json|ya?ml)$/i.test(path) ||
    /(?:^|\/)messages\/(?:[^/]+\/)*[a-z]{2,3}(?:[-_](?:[A-Za-z]{2}|[0-9]{3}|[A-Z][a-z]{3}))?\.(?:json|ya?ml)$/.test(
      path,
    )
  );
}

/**
 * A value that is itself a name: letters in words (camelCase, snake_case, dotted) holding one of
 * the secret keywords, as in `KEY_PASSWORD = "password"` or `PREF_PROXY_PASSWORD =
 * "prefProxyPassword"`: the key under which a secret is stored, not the secret. Words may carry
 * digits (`rl_go_e2e_save_password`, `E2ESaveYourPasswordView`) when the name is two or more
 * words and one of them is a keyword word whole, so that `password123` or `MyPassword1` (a weak
 * password, not a name) is still reported.
 */
function isIdentifierNamingASecret(value: string): boolean {
  // Each separator is required: with an optional one, `(?:[._-]?[A-Za-z]+)*` splits a run of
  // letters in exponentially many ways, and a long run of letters followed by a digit (a value
  // that fails) made the regex backtrack for hours.
  if (/^[A-Za-z]+(?:[._-][A-Za-z]+)*$/.test(value)) {
    const lower = value.toLowerCase();
    if (GENERIC_TRIGGERS.some((t) => lower.includes(t))) return true;
  }
  if (!/^[A-Za-z][A-Za-z0-9]*(?:[._-][A-Za-z0-9]+)*$/.test(value)) return false;
  // A part with digits strewn through it (`secret_live_8Jq2LmN4xV7bT1cR9wY3zK6p`) is random, not a
  // word: a key that opens with its kind's name is still a key.
  if (value.split(/[._-]/).some((part) => part.length >= 12 && (part.match(/[0-9]+/g)?.length ?? 0) >= 3))
    return false;
  const words = value
    .split(/[._-]/)
    .flatMap((part) => part.split(/(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/))
    .map((w) => w.toLowerCase());
  return words.length >= 2 && words.some((w) => SECRET_WORDS.has(w));
}

/**
 * A slug of words: lower case, three or more parts joined by `_` or `-` (`nip46-signer-consent`, a
 * notification's tag), each of at most 10 characters,
 * at least two of them and half of them all letters (`interest_age_from_c_10_years`,
 * `medical_study_revision_gui2467`, a catalogue's `token="c_1700_to_c_1800"`): an entry's name made
 * from its title, not a credential. Random keys that use `_` mix cases, or run longer parts.
 */
function isWordSlug(value: string): boolean {
  if (!/^[a-z0-9]+(?:_[a-z0-9]+){2,}$/.test(value) && !/^[a-z0-9]+(?:-[a-z0-9]+){2,}$/.test(value))
    return false;
  const parts = value.split(/[_-]/);
  if (parts.some((part) => part.length > 10)) return false;
  const words = parts.filter((part) => /^[a-z]+$/.test(part)).length;
  return words >= 2 && words * 2 >= parts.length;
}

/**
 * A type's name that ends with the name it is given to, in PascalCase (`privateKey:
 * "IPCEd25519PrivateKey"`, `accessToken: "OAuthAccessToken"`, an interface schema's field and its
 * type): the name of what the field holds, not a value of it. Names of two words or more only, so
 * that `password = "SuperSecretPassword"` is still read as a password.
 */
function isTypeNamedFor(name: string, value: string): boolean {
  const last = name.split(/[^A-Za-z0-9]/).pop() ?? '';
  const words = last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').split(' ');
  if (words.length < 2 || !/^[A-Z][A-Za-z0-9]*$/.test(value)) return false;
  const pascal = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join('');
  return value.length > pascal.length && value.endsWith(pascal);
}

/**
 * The name of a variable or a CI secret in UPPER_SNAKE_CASE, three parts or more of at most 12
 * characters, two of them all letters (`ANDROID_JKS_BASE64_SECRET='PLAY_STORE_JKS_BASE64_SAQA'`):
 * where the secret is found, not the secret.
 */
function isConstantName(value: string): boolean {
  if (!/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+){2,}$/.test(value)) return false;
  const parts = value.split('_');
  return (
    parts.every((part) => part.length <= 12) && parts.filter((part) => /^[A-Z]+$/.test(part)).length >= 2
  );
}

/**
 * A value in a table of like values (`NonFungibleTokensV1_1: '32A1…'` among 60 amendment ids of
 * the XRP Ledger, all 64 upper-case hex): within 20 lines each side of it (and 4 KB), at least 6
 * quoted values of the same length and alphabet follow a `name:` or `name =`, 4 of them under names
 * that say nothing of a secret. A table of identifiers or hashes that some names happen to share a
 * word with a secret (`…Token…`); a block of keys under secret names stays a finding. The quotes
 * are looked for first, with the value's length: a minified bundle's words are not each tried.
 */
function inTableOfLikeValues(text: string, at: number, value: string): boolean {
  if (value.length < 16 || value.length > 300) return false;
  const alphabet = alphabetOf(value);
  const floor = Math.max(0, at - 4096);
  const ceiling = Math.min(text.length, at + 4096);
  let from = at;
  for (let n = 0; n < 20 && from > floor; n++) from = text.lastIndexOf('\n', from - 1);
  let to = at;
  for (let n = 0; n < 20 && to >= 0 && to < ceiling; n++) to = text.indexOf('\n', to + 1);
  const window = text.slice(Math.max(floor, from), to < 0 ? ceiling : Math.min(to, ceiling));
  const quoted = new RegExp(`["'\`]([^"'\`\\s\\\\]{${value.length}})["'\`]`, 'g');
  let like = 0;
  let plainNames = 0;
  for (const q of window.matchAll(quoted)) {
    if (alphabetOf(q[1] as string) !== alphabet) continue;
    const before = window.slice(Math.max(0, (q.index as number) - 90), q.index);
    const name = /([A-Za-z_$][\w$]{0,80})["']?\s*[:=]\s*$/.exec(before)?.[1];
    if (name === undefined) continue;
    like++;
    if (!GENERIC_TRIGGERS.some((t) => name.toLowerCase().includes(t))) plainNames++;
    if (like >= 6 && plainNames >= 4) return true;
  }
  return false;
}

/** The alphabet a value is written in: hex (either case), decimal, Base64 or URL-safe, or other. */
function alphabetOf(value: string): string {
  if (/^[0-9A-F]+$/.test(value)) return 'HEX';
  if (/^[0-9a-f]+$/.test(value)) return 'hex';
  if (/^[A-Za-z0-9+/]+=*$/.test(value)) return 'b64';
  if (/^[A-Za-z0-9_-]+$/.test(value)) return 'b64url';
  return 'other';
}

/**
 * A library's Maven coordinate, `group:artifact[:version]` with a dotted group
 * (`androidx.credentials:credentials:1.5.0` in a Gradle version catalog): a dependency, whatever
 * word of its name looks like a secret's.
 */
const MAVEN_COORDINATE = /^[a-z][\w-]*(?:\.[\w-]+)+:[\w.-]+(?::[\w.+-]+)?$/;

/** Top-level domains that open a reverse-DNS name (`com.`, `io.`, `org.`, a country's). */
const REVERSE_DNS_TOP =
  /^(?:com|org|net|io|app|dev|co|me|info|biz|eu|de|fr|uk|ch|nl|be|at|se|no|dk|fi|it|es|pt|pl|cz|ru|ua|jp|cn|kr|tw|in|br|us|ca|au|nz|gov|edu|mil|int)$/;

/**
 * A reverse-DNS name (`com.2fas.GCM_NEW`, `io.example.Token`, `org.app.keychain.password`): the
 * name of a keychain item, a defaults key, a bundle or a notification, three parts or more opened
 * by a top-level domain. It names where a secret is kept, not the secret.
 */
function isReverseDnsName(value: string): boolean {
  const parts = value.split('.');
  if (parts.length < 3 || !REVERSE_DNS_TOP.test(parts[0] as string)) return false;
  return parts
    .slice(1)
    .every(
      (part) =>
        /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/.test(part) &&
        !(part.length >= 12 && (part.match(/[0-9]+/g)?.length ?? 0) >= 3),
    );
}

/** Whole words that say a name is about a secret. */
const SECRET_WORDS = new Set([
  'password',
  'passwords',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'secrets',
  'token',
  'tokens',
  'apikey',
  'credential',
  'credentials',
]);

/**
 * A value that refers to a secret kept elsewhere rather than holding one: a shell or CI variable
 * (`$STORE_PASSWORD`, `"${KEY_PASSWORD}"`, `${{ secrets.UPLOAD_KEY }}`, `%KEY_PASS%`), an
 * expression reading the environment or a CI context (`env.KEY`, `secrets.KEY`,
 * `process.env.KEY`, `System.getenv`), or an Android resource or theme reference
 * (`@string/…`, `?attr/…`). CI workflows and release scripts are full of these; the secret itself
 * lives in the CI's store.
 */
function isReference(value: string): boolean {
  return (
    /^\$(?:[A-Za-z_][A-Za-z0-9_]*|\{\{?[^}]*\}?\}?|\([^)]*\)?)$/.test(value) ||
    /^\$\{\{/.test(value) ||
    /^%[A-Za-z_][A-Za-z0-9_]*%$/.test(value) ||
    // Concourse's credential manager: `((galoy-tokens.galoy_test_tokens))`.
    /^\(\([\w.-]+\)\)$/.test(value) ||
    /^(?:env|secrets|vars|inputs|process\.env|ENV|os\.environ)[.[][A-Za-z_'"]/.test(value) ||
    // Supabase's and other TOML configurations: `s3_secret_key = "env(S3_SECRET_KEY)"`.
    /^env\([A-Za-z_][A-Za-z0-9_]*\)$/.test(value) ||
    /^[@?](?:[a-z][A-Za-z0-9_.]*:)?(?:attr|string|color|dimen|drawable|style|bool|integer|id|android:attr)\/[A-Za-z0-9_.]+$/.test(
      value,
    )
  );
}

/**
 * The name of a query or form parameter, the part a request puts before the value:
 * `Password = "password="`, `"&access_token="`. It names where a secret goes, not the secret.
 */
function isParameterName(value: string): boolean {
  const name = /^[?&]?([A-Za-z][A-Za-z0-9_.-]*)=$/.exec(value);
  return name !== null && isIdentifierNamingASecret(name[1] as string);
}

/**
 * A value that is a format's placeholder (`%s`, `%1$s`, `%@`, `%d`), as a shell's `printf
 * 'SECRET=%s\n…' "$SECRET"` writes a CI secret into a file: the value comes from the argument.
 */
function isFormat(value: string): boolean {
  return /^%(?:[0-9]+\$)?[-+ #0-9.]*[sdifxXq@]/.test(value);
}

/** Languages whose double-quoted strings interpolate `$name`: Kotlin, Dart, Groovy (Gradle). */
const DOLLAR_INTERPOLATES = /\.(?:kt|kts|dart|groovy|gradle)$/;

/**
 * A value built at run time from a template: `${…}` (JavaScript template literals, Kotlin, Dart,
 * Groovy, shells, CI files), `#{…}` in Ruby (fastlane: `password = "temp#{SecureRandom.hex(6)}"`),
 * or `$name` in a language whose strings interpolate it
 * (`password = "alice-$timestamp"`): only its fixed part is in the app, and that part alone is
 * no secret.
 */
function isTemplate(value: string, path: string): boolean {
  return (
    value.includes('${') ||
    (DOLLAR_INTERPOLATES.test(path) && /\$[A-Za-z_]/.test(value)) ||
    (RUBY.test(path) && value.includes('#{'))
  );
}

/** Ruby, whose double-quoted strings interpolate `#{…}`: fastlane's files, CocoaPods', `.rb`. */
const RUBY =
  /(?:^|\/)(?:Fastfile|Appfile|Matchfile|Pluginfile|Podfile|Gemfile|Dangerfile)$|\.(?:rb|podspec)$/;

/**
 * The lock files of package managers (npm, Yarn, pnpm, Bun, CocoaPods, Swift Package Manager,
 * Carthage, pub, Bundler, Cargo, Composer, Gradle, NuGet, Poetry, Nix): written by the tool,
 * they pair package names with versions and checksums, so a package named like a secret
 * (`password-prompt: "npm:^1.0.4"`) is no assignment of one. The detectors of a secret's own
 * shape still read them (a token in a registry URL is found there).
 */
const DEPENDENCY_LOCK =
  /(?:^|\/)(?:yarn\.lock|package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.ya?ml|bun\.lockb?|Podfile\.lock|Package\.resolved|Cartfile\.resolved|pubspec\.lock|Gemfile\.lock|Cargo\.lock|composer\.lock|[A-Za-z0-9_.-]*\.lockfile|packages\.lock\.json|poetry\.lock|flake\.lock)$/;

/**
 * The baselines of linters (Android Lint's `lint-baseline.xml`, detekt's baselines, SwiftLint's):
 * lists of known warnings that quote a line of the code they were raised on. The code itself is
 * read where it is (and judged by its own place: a test's sample token quoted in a baseline is a
 * test's); the quotation is no assignment of its own.
 */
const LINT_BASELINE =
  /(?:^|\/)(?:[^/]*lint-baseline[^/]*\.xml|[^/]*detekt[^/]*\.xml|detekt\/(?:[^/]+\/)*[^/]+\.xml|baseline\.xml|\.swiftlint[^/]*baseline[^/]*)$/i;

/**
 * A package's version or version range, as manifests and lock files write it: `^1.0.4`,
 * `~2.3`, `>=1.2.0`, `npm:^1.0.4`, `1.4.0-beta.2`, `workspace:^1.0.0` (dotted, or after a range
 * operator: digits alone, `123456`, stay a possible PIN or password).
 */
const VERSION_SPEC =
  /^(?:(?:npm|workspace|patch|portal|link):)?(?:@?[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)?@)?(?:(?:[\^~]|[<>]=?|=)v?[0-9]{1,6}(?:\.(?:[0-9]{1,6}|x|\*)){0,3}|v?[0-9]{1,6}(?:\.(?:[0-9]{1,6}|x|\*)){1,3})(?:[-+][0-9A-Za-z.-]{1,40})?$/;

/**
 * An environment variable with a default, as Ktor's configuration (and Docker Compose's
 * `${NAME:-default}` without the braces) writes it: `"$DB_PASSWORD:"`. The variable holds the
 * value; what is written is only the default after the colon, judged on its own.
 */
const ENV_WITH_DEFAULT = /^\$[A-Za-z_][A-Za-z0-9_]*:-?(.*)$/;

/**
 * The name of a cipher, a key derivation or a MAC as the JCA and the libraries modelled on it take
 * it: `AES/CBC/PKCS7Padding`, `RSA/ECB/OAEPWithSHA-256AndMGF1Padding`, `PBKDF2WithHmacSHA256`,
 * `HmacSHA512`, `SHA256withECDSA`. A constant named for what a passphrase is encrypted with holds
 * one of these, not a secret.
 */
const ALGORITHM_NAME =
  /^(?:[A-Za-z0-9-]{2,24}\/[A-Za-z0-9-]{2,16}\/[A-Za-z0-9-]{0,40}Padding|PBKDF2WithHmac(?:SHA|SM)[0-9-]{1,8}|Hmac(?:SHA|MD|SM)[0-9-]{1,8}|(?:SHA|MD)[0-9-]{1,8}with(?:RSA|ECDSA|DSA)(?:andMGF1)?)$/i;

function genericVerdict(
  m: RegExpExecArray,
  name: string,
  written: string,
  file: TextFileInfo,
  text: string,
): TextVerdict | undefined {
  if (!GENERIC_TRIGGERS.some((t) => name.toLowerCase().includes(t))) return undefined;
  const fallback = ENV_WITH_DEFAULT.exec(written);
  const value = fallback === null ? written : (fallback[1] as string);
  if (value === '') return undefined;
  if (DEPENDENCY_LOCK.test(file.path) || LINT_BASELINE.test(file.path) || VERSION_SPEC.test(value))
    return undefined;
  if (ALGORITHM_NAME.test(value)) return undefined;
  if (isFileChecksum(name, value, text, m.index as number)) return undefined;
  if (!genericSecret(name, value)) return undefined;
  if (isIdentifierNamingASecret(value) || isReference(value) || isTranslationFile(file.path))
    return undefined;
  if (isWordSlug(value) || isReverseDnsName(value) || isTypeNamedFor(name, value)) return undefined;
  if (isConstantName(value)) return undefined;
  if (MAVEN_COORDINATE.test(value)) return undefined;
  // A lock file's digest of an artifact, keyed by its file name (`"secretsmanager-jvm-1.3.109.jar":
  // "92ef…"` in a Gradle lock): a hash of a public download.
  if (
    /\.(?:jar|aar|pom|module|klib|zip|tgz|tar\.gz|whl|gem|nupkg)$/i.test(name) &&
    /^(?:[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$/i.test(value)
  )
    return undefined;
  // A key name that spells the constant's own name (`apiKeyForOwnedIdentityKey =
  // "MigrationPolicyV48ToV49.apiKeyForOwnedIdentityKey"`): where a value is kept, not the value.
  if (name.length >= 6 && value.split(/[.:/]/).includes(name.split('.').pop() ?? name)) return undefined;
  if (isTemplate(value, file.path) || isParameterName(value) || isFormat(value)) return undefined;
  if (isBuildToken(m, name, value, text)) return undefined;
  if (inTableOfLikeValues(text, m.index as number, value)) return undefined;
  const valueStart = (m.index as number) + m[0].lastIndexOf(value);
  const at = m.index as number;
  // What leads to the value within its own block: the end of an earlier dictionary, block or
  // statement closes what the SDK's name there spoke of.
  const lead = text.slice(Math.max(0, at - 160), at);
  const close = Math.max(lead.lastIndexOf('</dict>'), lead.lastIndexOf('}'), lead.lastIndexOf(';'));
  const unsure =
    (value.startsWith('AIza')
      ? 'the shape of a Google API key (AIza…), which Google issues to be embedded in apps and restricts by app or referrer, as the Google key rule rates it'
      : undefined) ??
    guessSeverity(name, value, lead.slice(close + 1), file.path) ??
    localStackReason(file.path, name, text) ??
    previewReason(text, at) ??
    (LOOPBACK_PEER.test(objectAround(text, at, valueStart + value.length))
      ? 'a credential of a server at the loopback address (127.0.0.1, localhost) in the same object: a sample or template configuration, the credential of nothing another device can reach'
      : undefined) ??
    (saidNotSecret(text, at, valueStart + value.length)
      ? 'a comment beside it says the value is not secret (as Google says of an installed app’s OAuth client secret); check that it is so'
      : undefined) ??
    (saidDemo(text, at)
      ? 'a comment just above says it is a demo or a test service’s value (a fallback for builds without the real one); check that no release ships it'
      : undefined) ??
    (inLineComment(text, at, file.path)
      ? 'in a commented-out line or a documentation comment, which is not compiled into the app; check that the value is not one in use'
      : undefined);
  return {
    ruleId: 'secret-generic-assignment',
    message:
      unsure === undefined
        ? `high-entropy value assigned to ${name.slice(0, 60)}`
        : `secret-like value assigned to ${name.slice(0, 60)} (medium: ${unsure})`,
    ...(unsure === undefined ? {} : { severity: 'medium' as const }),
    evidence: `${name.slice(0, 60)} = ${redact(value, 0)}`,
    key: `${name}\u0000${value}`,
    generic: true,
    valueStart,
    valueEnd: valueStart + value.length,
  };
}

/**
 * A comment saying the value is not secret: `// the "client secret" is not actually a secret`
 * (Google's word on an installed app's OAuth client, which every copy of the app carries), `# not
 * a secret: a public client key`. Read on the 8 lines above the name, within 600 characters, and
 * after the value on its own line. The developer's word lowers the finding to medium with that
 * reason; it does not drop it.
 */
const SAID_NOT_SECRET =
  /(?:\/\/|#|\/\*|^[ \t]*\*|<!--)[^\n]*?\bnot\s+(?:actually\s+|really\s+|truly\s+|considered\s+|meant\s+to\s+be\s+)?(?:a\s+)?(?:secret|confidential|sensitive)\b/im;

function saidNotSecret(text: string, at: number, end: number): boolean {
  const before = text.slice(Math.max(0, at - 600), at);
  let from = before.length;
  for (let n = 0; n < 9 && from > 0; n++) from = before.lastIndexOf('\n', from - 1);
  const lineEnd = text.indexOf('\n', end);
  const after = text.slice(end, lineEnd < 0 || lineEnd > end + 200 ? end + 200 : lineEnd);
  return SAID_NOT_SECRET.test(before.slice(Math.max(0, from))) || SAID_NOT_SECRET.test(after);
}

/**
 * A comment on one of the 3 lines above a value that says it is a demo's or a test service's
 * (`// Demo, with runalyzeEnabled set to false connect to testing.runalyze.com`, `# sandbox
 * credentials`): the fallback a build without the real properties file uses. Medium, with that
 * reason: the developer's word, not proof.
 */
const SAID_DEMO =
  /(?:\/\/|#|\/\*|^[ \t]*\*|<!--)[^\n]*\b(?:demo|sandbox|test(?:ing)?\s+(?:server|service|backend|environment|account))\b/im;

function saidDemo(text: string, at: number): boolean {
  const before = text.slice(Math.max(0, at - 400), at);
  let from = before.length;
  for (let n = 0; n < 4 && from > 0; n++) from = before.lastIndexOf('\n', from - 1);
  return SAID_DEMO.test(before.slice(Math.max(0, from)));
}

/**
 * The declarations that make sample data for an IDE's preview of a screen: Jetpack Compose's
 * `@Preview` functions and `PreviewParameterProvider` classes, SwiftUI's `PreviewProvider`
 * structs and `#Preview` macros. Their values fill a screen in the editor (a generated password
 * shown in the password generator's preview); the app never runs them.
 */
const PREVIEW_DECLARATION =
  /@\[?[^\n]*\bPreview\b|\bPreviewParameterProvider\b|:\s*PreviewProvider\b|^#Preview\b/m;

/**
 * Why a guess is medium when it sits in a preview's declaration: the last declaration at the
 * start of a line before it (with the annotations above it), up to its body's `{`, is one of
 * {@link PREVIEW_DECLARATION}. Read only for a candidate, over the text before it.
 */
function previewReason(text: string, at: number): string | undefined {
  if (!text.includes('Preview')) return undefined;
  const before = text.slice(0, at);
  const decl =
    /^(?:(?:public|private|internal|protected|open|final|fileprivate|data|sealed|abstract|override|static)\s+)*(?:fun|class|object|struct|enum|extension|var|let|val|#Preview)\b/gm;
  let start = -1;
  for (let m = decl.exec(before); m !== null; m = decl.exec(before)) start = m.index;
  if (start < 0) return undefined;
  // The annotation lines right above the declaration (`@Preview`, `@[Preview Composable]`).
  let head = start;
  for (;;) {
    const prev = before.lastIndexOf('\n', head - 2);
    const line = before.slice(prev + 1, head - 1);
    if (!/^@/.test(line)) break;
    head = prev + 1;
  }
  const brace = before.indexOf('{', start);
  const header = before.slice(head, brace < 0 ? before.length : brace);
  return PREVIEW_DECLARATION.test(header)
    ? "sample data of an IDE preview (Compose's @Preview or PreviewParameterProvider, SwiftUI's PreviewProvider or #Preview): it fills a screen in the editor, the app does not run it"
    : undefined;
}

/**
 * A build tool's token between `@` signs: OneDev's `value: '@secret:BLOKADA_KEY_PWD@'` (a job
 * secret read at build time) and Ant-style filter tokens. The "name" and "value" seen there are
 * the token's kind and the secret's name.
 */
function isBuildToken(m: RegExpExecArray, name: string, value: string, text: string): boolean {
  if (!value.endsWith('@')) return false;
  const nameAt = text.indexOf(name, m.index as number);
  return nameAt > 0 && text.charCodeAt(nameAt - 1) === 0x40;
}

/**
 * A digest (MD5, SHA-1, SHA-256 or SHA-512 in hex) under the path of a file
 * (`internal/AuthKey_X.p8:f681…`, as git-secret's `.gitsecret/paths/mapping.cfg` lists the hash of
 * each file it encrypts): the checksum of that file's content, not a secret. The name must be the
 * last segment of a path (a `/` before it) and carry an extension, so that a dotted property
 * (`app.secret = <hex>`) is still judged.
 */
function isFileChecksum(name: string, value: string, text: string, at: number): boolean {
  return (
    text.charAt(at - 1) === '/' &&
    /\.[A-Za-z0-9]{1,10}$/.test(name) &&
    /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$/i.test(value)
  );
}

/**
 * A server, host or address field set to the loopback address: `"server": "127.0.0.1"`,
 * `host = 'localhost'`. Beside a credential it makes the object a sample (hiddify's protocol
 * templates, each outbound's server 127.0.0.1, with sing-box's documented example keys).
 */
const LOOPBACK_PEER =
  /["']?\b(?:server|host|hostname|address|server_address|endpoint)["']?\s*[:=]\s*["'](?:127\.0\.0\.1|localhost|::1)["']/i;

/**
 * The text of the object literal (or block) around a value: from the last `{` or `}` before it
 * (at most 600 characters back) to the next `}` after it (at most 600 characters on).
 */
function objectAround(text: string, at: number, end: number): string {
  const before = text.slice(Math.max(0, at - 600), at);
  const open = Math.max(before.lastIndexOf('{'), before.lastIndexOf('}'));
  const after = text.slice(end, end + 600);
  const close = after.indexOf('}');
  return `${before.slice(open + 1)}${close < 0 ? after : after.slice(0, close)}`;
}

/** Registered and common claims that make a JWT a credential someone presents. */
const CREDENTIAL_CLAIMS = [
  'sub',
  'aud',
  'exp',
  'nbf',
  'jti',
  'scope',
  'scp',
  'azp',
  'client_id',
  'uid',
  'user_id',
  'role',
  'roles',
  'token_type',
  'typ',
  'session',
  'sid',
];

/**
 * A JWS signed with a public-key algorithm (RS, PS, ES, EdDSA) whose payload names no subject,
 * audience, expiry, scope or session: a signed document (a configuration the app checks with the
 * issuer's public key), not a bearer credential. Anyone may read it; only the issuer can make one.
 */
function isSignedDocument(header: Record<string, unknown>, payload: Record<string, unknown>): boolean {
  if (!/^(?:RS|PS|ES)(?:256|384|512)$|^EdDSA$/.test(String(header.alg))) return false;
  return !CREDENTIAL_CLAIMS.some((c) => c in payload);
}

/** Why a key-bound token is medium rather than high. */
const KEY_BOUND =
  'bound to a holder key (cnf claim): presenting it needs that key’s proof of possession, a private key not in the token';

/**
 * A token bound to a key by its `cnf` claim (RFC 7800): an SD-JWT verifiable credential with its
 * holder's key (`typ: dc+sd-jwt`), a DPoP- or mutual-TLS-bound access token (`jkt`, `x5t#S256`).
 * Whoever copies it still needs the holder's private key to present it (a key-binding JWT, a DPoP
 * proof, the TLS client key), so it is no bearer credential on its own; a private key beside it is
 * found by its own rule.
 */
/**
 * A token whose `exp` claim is more than 30 days before the scan (`exp` in seconds since 1970): no
 * server that checks expiry accepts it. A token without `exp`, or one that expired lately (a
 * session a developer copied last week may still be refreshable by its refresh token beside it),
 * keeps its verdict.
 */
function expiredLongAgo(payload: Record<string, unknown>): boolean {
  const exp = payload.exp;
  return typeof exp === 'number' && Number.isFinite(exp) && exp * 1000 < Date.now() - 30 * 86_400_000;
}

function keyBound(payload: Record<string, unknown>): boolean {
  const cnf = payload.cnf;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return false;
  return ['jwk', 'jkt', 'x5t#S256', 'kid', 'jwe', 'jku'].some((k) => k in cnf);
}

function decodeJsonPart(part: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
