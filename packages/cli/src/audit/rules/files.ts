/**
 * Files that should not ship at all, told by their name or their bytes: key stores (a truststore
 * holding only certificates is not one), `.env` files and source maps.
 */
import { lowered, namedForTests } from '../lib/context.js';
import { keyStoreAliases, keyStoreContents, keyStoreFormat } from '../lib/keystore.js';
import { localServices } from '../lib/local-stack.js';
import type { AnalyserContext, AppCheck, FileAnalyser } from './analyser.js';
import { GIF_SEARCH_API, INGEST_SDK } from './secrets.js';

const KEYSTORE = /\.(?:p12|pfx|jks|keystore|bks)$/i;
/** Largest key store read to tell a truststore from a key store. */
const KEYSTORE_READ_LIMIT = 1024 * 1024;
const DOTENV = /(?:^|\/)\.env(?:\.[^/]*)?$/;
const DOTENV_TEMPLATE = /\.(?:example|sample|template|dist|defaults?)$/i;

/**
 * An alias that names a debug signing key: `androiddebugkey`, the one the Android tools generate
 * in `debug.keystore` (password `android`, known to everyone), or `debug` alone or with `key`,
 * `alias`, `signing` or `cert` after it (`debug-alias`, the name some templates give it).
 * Such a key signs debug builds only, which no store accepts.
 */
const DEBUG_ALIAS = /^(?:android)?debug(?:[-_ ]?key|[-_ ](?:alias|signing|signing[-_ ]key|cert))?$/i;

/**
 * The self-signed certificate Visual Studio creates for a Windows (UWP, VSIX, MAUI) project to
 * sign the builds it deploys for testing, `<Project>_TemporaryKey.pfx`; the store signs releases.
 */
const VS_TEMPORARY_KEY = /_TemporaryKey\.pfx$/i;

/**
 * The header git-crypt writes before each file it encrypts in a repository (`\0GITCRYPT\0`, then a
 * nonce and AES-CTR ciphertext): a key store kept so (`android/secrets/keystore.jks` under a
 * `filter=git-crypt` line of `.gitattributes`) is readable only with the repository's git-crypt
 * key, which a checkout without it does not hold, and an app built from such a checkout cannot
 * bundle it in the clear.
 */
const GIT_CRYPT_HEADER = Buffer.from('\0GITCRYPT\0', 'latin1');

function keyStoreFinding(context: AnalyserContext, what?: string, aliases: readonly string[] = []): void {
  const raw = {
    ruleId: 'secret-private-key',
    file: context.path,
    message: `key store ${context.name} shipped (${what ?? 'PKCS#12 / Java key store: private keys, possibly the signing key'})`,
    key: 'keystore',
    severity: 'high',
  } as const;
  if (aliases.length > 0 && aliases.every((a) => DEBUG_ALIAS.test(a)))
    context.report(lowered(raw, `a debug signing key (alias ${aliases[0]}): it signs debug builds only`));
  else if (VS_TEMPORARY_KEY.test(context.name))
    context.report(
      lowered(raw, 'a temporary key Visual Studio generates to sign local test builds (…_TemporaryKey.pfx)'),
    );
  // Judged once the whole app is read: a Gradle file may name it as its debug signing store.
  else context.app.keyStores.push(raw);
}

/**
 * The key stores of an app, reported once all its files are read: one that a Gradle build file
 * names as the store of its debug signing config is lowered with that reason, as a store whose
 * alias says debug is, and so is one whose file name says it is for tests; one whose signing
 * config writes its store password in the build file, or whose file name the repository's
 * instructions or scripts give on a Gradle command line with a written-out password
 * (`commandLineStores`), is medium (published on purpose); the others stay as found.
 *
 * @example
 * ```ts
 * const raws = keyStoresOfApp(app, { apiDomains: [] });
 * ```
 */
export const keyStoresOfApp: AppCheck = (app) =>
  app.keyStores.map((raw) => {
    if (app.debugSigningStores.includes(raw.file))
      return lowered(
        raw,
        'the store of a debug signing config (Gradle signingConfigs.debug): it signs debug builds only',
      );
    const name = raw.file.slice(raw.file.lastIndexOf('/') + 1);
    if (namedForTests(name)) return lowered(raw, `a key store named as one for tests (${name})`);
    if (SAMPLE_NAME.test(name.replace(/\.[^.]*$/, '')))
      return lowered(
        raw,
        `a key store named as a sample or an example (${name}), for builds without the real one`,
      );
    if (app.publishedSigningStores.includes(raw.file) && raw.severity !== 'low')
      return {
        ...raw,
        severity: 'medium' as const,
        message: `${raw.message} (medium: its signing config writes the store password in the build file, so the key is published with the repository on purpose, a fallback or test key; check that no release is signed with it)`,
      };
    if (app.commandLineStores.includes(name) && raw.severity !== 'low')
      return {
        ...raw,
        severity: 'medium' as const,
        message: `${raw.message} (medium: the repository's own instructions or scripts give its password on a Gradle command line, so it is published on purpose, a store to rebuild and compare or to test with; check that no release is signed with it)`,
      };
    return raw;
  });

/** A word of a file's name that says it is a sample: `zwallet-sample.jks`, `example.keystore`, `dummy.p12`. */
const SAMPLE_NAME = /(?:^|[-_. ])(?:sample|example|dummy|demo)(?:$|[-_. ])/i;

/** Checks of a whole app for the files of this module. */
export const FILE_APP_CHECKS: readonly AppCheck[] = [keyStoresOfApp];

/**
 * A variable name that may hold a secret: a key, secret, password, token, credential, auth value,
 * DSN, certificate, private, cookie, session or salt (`STRIPE_KEY`, `DB_PASS`, `SENTRY_DSN`).
 */
const DOTENV_SECRET_NAME = /key|secret|pass|pwd|token|cred|auth|dsn|cert|private|cookie|session|salt/i;
/**
 * Names that say the value is published to clients by design (`SITE_PUBLIC_KEY`,
 * `STRIPE_PUBLISHABLE_KEY`, `SUPABASE_ANON_KEY`, `FACEBOOK_CLIENT_TOKEN`, the token Facebook has
 * every app embed, CodePush's deployment keys, which every build carries to ask for updates) or is
 * not the secret itself but where it is
 * (`KEY_PATH`, `CERT_FILE`, `AUTH_URL`, `TOKEN_ENDPOINT`, `KEY_ALIAS`).
 */
const DOTENV_NOT_SECRET_NAME =
  /public|publishable|anon|client[-_.]?token|code[-_]?push|deployment[-_]?key|(?:path|file|dir|url|uri|link|endpoint|host|domain|alias|enabled|version)$|(?:^|_)(?:name|id|type|mode)$/i;
/** A value that names a file (`fastlane/play-store-account.json`, `./keys/AuthKey.p8`): where a secret is, not it. */
const DOTENV_FILE_VALUE =
  /^(?:\.{0,2}\/|~\/)|\.(?:json|p8|p12|pfx|pem|key|jks|keystore|bks|crt|cer|der|txt|plist)$/i;
/**
 * Names whose value is a secret at any length (a password may be short); the others (keys,
 * tokens, DSNs) name an identifier as often as a secret when the value is short. A `BYPASS` is
 * not a password (`CAPTCHA_BYPASS_TOKEN` is read as the token it names).
 */
const DOTENV_SHORT_SECRET_NAME = /secret|(?<!by)pass|pwd|private|cred/i;
/**
 * A value a key or token under such a name is at least as long as (shorter: an id, an app token),
 * and it mixes digits with letters (none: words that name something).
 */
const DOTENV_TOKEN_MIN_LENGTH = 20;
/** A value under a password-like name shorter than this is a placeholder (`abc`, `1234`). */
const DOTENV_PASSWORD_MIN_LENGTH = 6;
/**
 * Values that hold the place of one: `xxx`, `changeme`, `your-key`, `<key>`, `TODO`, `none`, and
 * words that say so run together, with digits after (`testsecret`, `CHANGEME123`, `dev_password`).
 */
const DOTENV_PLACEHOLDER =
  /^(?:x+|\*+|\.{3}|todo|tbd|none|null|nil|undefined|true|false|your[-_ ].*|<.*>|\[.*\]|(?:(?:change[-_]?me|dummy|example|sample|test|placeholder|secret|password|local|dev|demo|default)[-_]?)+[0-9]*)$/i;
/** One `NAME=value` line of an environment file (`export` allowed, as dotenv and shells read it). */
const DOTENV_LINE = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*(.*)$/gm;

/** The value of a `NAME=value` line as dotenv reads it: quotes taken off, a trailing comment cut. */
function dotenvValue(raw: string): string {
  const quoted = /^(["'`])(.*)\1/.exec(raw);
  if (quoted !== null) return quoted[2] as string;
  return raw.replace(/[ \t]+#.*$/, '').trim();
}

/**
 * Words of one case, each letters then digits, joined by `_`, `-` or `.`: a label
 * (`GCP_FORNO_EUROPE_WEST1`, a region's name a node key is derived under), not a random value.
 */
const DOTENV_LABEL = /^(?:[A-Z]+[0-9]*(?:[-_.][A-Z]+[0-9]*)+|[a-z]+[0-9]*(?:[-_.][a-z]+[0-9]*)+)$/;

/** An account or contract address of Ethereum and the chains that share its format. */
const EVM_ADDRESS_IN = /0x[0-9a-fA-F]{40}(?![0-9a-fA-F])/g;

/**
 * A list of account addresses with the names of the key vaults or key aliases that hold their
 * keys (`0x00454cac…:staging-komenci-eus,0xc6f0f9bf…:staging-komenci-eus2`): addresses are public
 * on a public ledger, and a vault's name says where a key is, not what it is. True when the value
 * holds an address and, once the addresses are taken out, only lowercase names and separators.
 */
function namesAccounts(value: string): boolean {
  const rest = value.replace(EVM_ADDRESS_IN, '');
  if (rest === value) return false;
  return rest.split(/[:,;]/).every((part) => part === '' || /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/.test(part));
}

/**
 * True when `value` under `name` may be a secret: the name says secret and not public; the value
 * is set, no placeholder, no reference to another variable (`${X}`, `$X`), no number, no text of
 * several words, no URL unless it carries a password, no file name; a password as long as a
 * short one, a key or token as long and as mixed as a random one.
 */
function holdsSecret(name: string, value: string): boolean {
  if (!DOTENV_SECRET_NAME.test(name) || DOTENV_NOT_SECRET_NAME.test(name)) return false;
  if (value === '' || /\s/.test(value) || value.includes('$') || DOTENV_PLACEHOLDER.test(value)) return false;
  if (/^[0-9.]+$/.test(value)) return false;
  // The key of an analytics, crash-reporting or GIF search SDK (`MIXPANEL_TOKEN`), which its vendor
  // has every app ship, as the generic rule reads it; and a certificate, which is public.
  if (INGEST_SDK.test(name) || GIF_SEARCH_API.test(name) || isCertificate(value)) return false;
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(value);
  if (url !== null) return /^[^@]*:[^@]+@/.test(url[1] as string);
  if (DOTENV_FILE_VALUE.test(value)) return false;
  if (namesAccounts(value)) return false;
  if (DOTENV_SHORT_SECRET_NAME.test(name)) return value.length >= DOTENV_PASSWORD_MIN_LENGTH;
  // A key or token is random: long, with digits among its letters; words joined by `_`, `-` or
  // `.` (`rn_keychain_service_key`, `app.acme.mobile`, `GCP_US_WEST1`) name something.
  return (
    value.length >= DOTENV_TOKEN_MIN_LENGTH &&
    /[0-9]/.test(value) &&
    /[A-Za-z]/.test(value) &&
    !DOTENV_LABEL.test(value)
  );
}

/**
 * An X.509 certificate, PEM or the base64 of its DER on one line (`ROOT_CERT="MIIDQzCCAuig…"`,
 * the trust anchor a client checks a server's chain against): public by design. Told by its
 * structure, not its name: a SEQUENCE holding the to-be-signed SEQUENCE that opens with the
 * explicit version `[0]`. A PKCS#12 store or a PKCS#8 or PKCS#1 private key, also base64 starting
 * `MII`, opens with an INTEGER version instead and is not this.
 */
function isCertificate(value: string): boolean {
  if (value.startsWith('-----BEGIN CERTIFICATE-----')) return true;
  if (!/^MI[A-Za-z0-9+/]{22}/.test(value)) return false;
  const der = Buffer.from(value.slice(0, 24), 'base64');
  let at = 0;
  for (let depth = 0; depth < 2; depth++) {
    if (der[at] !== 0x30) return false;
    const length = der[at + 1] ?? 0;
    at += 2 + (length > 0x80 ? length - 0x80 : 0);
  }
  return der[at] === 0xa0 && der[at + 1] === 0x03 && der[at + 2] === 0x02 && der[at + 3] === 0x01;
}

/** What a `.env` file holds, for the severity of its finding. */
type DotenvContents =
  | { readonly kind: 'secrets'; readonly names: readonly string[] }
  | { readonly kind: 'local-secrets'; readonly names: readonly string[] }
  | { readonly kind: 'secret-names'; readonly names: readonly string[] }
  | { readonly kind: 'no-secret-names'; readonly names: readonly string[] };

function dotenvContents(bytes: Buffer): DotenvContents {
  const lines = [...bytes.toString('utf8').matchAll(DOTENV_LINE)].map((m) => ({
    name: m[1] as string,
    value: dotenvValue(m[2] as string),
  }));
  const found = lines.filter((l) => holdsSecret(l.name, l.value)).map((l) => l.name);
  // The keys of services this file points at the developer's machine are a local stack's.
  const local = localServices(bytes.toString('utf8'));
  const secrets = found.filter((n) => !local.has(n.split(/[_.-]/)[0]?.toUpperCase() ?? ''));
  if (secrets.length > 0) return { kind: 'secrets', names: secrets };
  if (found.length > 0) return { kind: 'local-secrets', names: found };
  const named = lines
    .map((l) => l.name)
    .filter((n) => DOTENV_SECRET_NAME.test(n) && !DOTENV_NOT_SECRET_NAME.test(n));
  if (named.length > 0) return { kind: 'secret-names', names: named };
  return { kind: 'no-secret-names', names: lines.map((l) => l.name) };
}

/** The first names of a list, for a message. */
function someNames(names: readonly string[]): string {
  return `${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}`;
}

/**
 * A `.env` file in the app: high when a variable named as a secret holds a value that may be one
 * (the names are given, never the values); medium when such names hold only empty, placeholder,
 * short or reference values (`ADJUST_APP_TOKEN=qtn0x7…`, `KEY="NOT USED"`): the file is where
 * secrets go, none is in it now; low when no name says secret (fastlane lane settings). A file
 * too large to read stays high: what it holds is not known.
 */
function dotenvFinding(context: AnalyserContext, bytes?: Buffer): void {
  const raw = {
    ruleId: 'secret-dotenv-file',
    file: context.path,
    message: `${context.name} shipped: environment files hold build-time secrets`,
    key: 'dotenv',
  } as const;
  if (bytes === undefined) {
    context.report(raw);
    return;
  }
  const contents = dotenvContents(bytes);
  if (contents.kind === 'secrets') {
    context.report({
      ...raw,
      message: `${raw.message} (a secret-like value in ${someNames(contents.names)})`,
    });
  } else if (contents.kind === 'local-secrets') {
    const reason = `the secret-like values (${someNames(contents.names)}) are keys of services whose address in the same file is this machine (localhost, a container's host): a local development stack's`;
    context.report({
      ...raw,
      severity: 'medium',
      message: `${raw.message} [lowered from high: ${reason}]`,
      context: { reason, loweredFrom: 'high' },
    });
  } else if (contents.kind === 'secret-names') {
    const reason = `no value shaped like a secret under the names that say secret (${someNames(contents.names)}): empty, placeholders, references, URLs, file names or identifiers`;
    context.report({
      ...raw,
      severity: 'medium',
      message: `${raw.message} [lowered from high: ${reason}]`,
      context: { reason, loweredFrom: 'high' },
    });
  } else {
    context.report(
      lowered(
        raw,
        contents.names.length === 0
          ? 'no variable set in it'
          : `no variable in it is named as a secret (${someNames(contents.names)})`,
      ),
    );
  }
}

function sourceMapFinding(context: AnalyserContext): void {
  context.report({
    ruleId: 'sourcemap-shipped',
    file: context.path,
    message: 'source map shipped: it maps the bundle back to the original sources',
    key: 'file',
  });
}

/** Instructions and scripts that may run a Gradle build: Markdown and shell files (not `.txt`, whose key stores in disguise are told by their bytes). */
const INSTRUCTIONS = /\.(?:md|markdown|sh)$/i;

/**
 * A Gradle project property naming a key store file (`-PkeystoreFile=build.keystore`,
 * `-Pandroid.injected.signing.store.file=release.jks`): group 1 the file's name.
 */
const STORE_FILE_PROPERTY =
  /(?:^|\s)-P[A-Za-z0-9_.]*(?:[Kk]ey[Ss]tore|[Ss]tore)[A-Za-z0-9_.]*=["']?(?:[^\s"'=]*\/)?([^\s"'/=]+\.(?:jks|keystore|p12|pfx|bks))\b/g;

/**
 * A store password written out on the same command line (`-PkeystorePassword=securePassword`,
 * `-Pandroid.injected.signing.store.password=…`), not a variable (`$PASS`, `${{ secrets.X }}`).
 */
const STORE_PASSWORD_PROPERTY =
  /(?:^|\s)-P[A-Za-z0-9_.]*(?:[Ss]tore|[Kk]ey[Ss]tore)[A-Za-z0-9_.]*[Pp]assword=["']?(?![$%<{])[^\s"']{1,120}/;

/**
 * The key store file names that a line of `text` gives to Gradle with a written-out store password:
 * a reproducible-build guide's `gradle assembleRelease -PkeystoreFile=build.keystore
 * -PkeystorePassword=securePassword` publishes that store's password on purpose.
 *
 * @example
 * ```ts
 * commandLineStoreNames('gradle assembleRelease -PkeystoreFile=build.keystore -PkeystorePassword=pw'); // ['build.keystore']
 * ```
 */
export function commandLineStoreNames(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('-P') || !STORE_PASSWORD_PROPERTY.test(line)) continue;
    for (const m of line.matchAll(STORE_FILE_PROPERTY)) out.push(m[1] as string);
  }
  return out;
}

/** Key stores, `.env` files and source maps. */
export const FILE_ANALYSERS: readonly FileAnalyser[] = [
  {
    // Key stores by name, or by their first bytes whatever their name (`assets/client`, `res/raw/ks`).
    matches: (_path, name) => KEYSTORE.test(name),
    sniff: (head) => keyStoreFormat(head) !== undefined,
    analyse(bytes, context) {
      if (bytes.subarray(0, GIT_CRYPT_HEADER.length).equals(GIT_CRYPT_HEADER)) {
        context.report({
          ruleId: 'secret-private-key',
          file: context.path,
          message: `key store ${context.name} kept encrypted by git-crypt (medium: the file is git-crypt's ciphertext (its GITCRYPT header, then AES-CTR), readable only with the repository's git-crypt key; check that the key is not committed and that no build bundles the decrypted store)`,
          key: 'keystore',
          severity: 'medium',
        });
        return { skip: true };
      }
      // A truststore (trusted certificates only) ships no key; key stores are small, so reading
      // one whole costs nothing. An unreadable or unknown one counts as a key store.
      const format = keyStoreFormat(bytes);
      const contents = bytes.length <= KEYSTORE_READ_LIMIT ? keyStoreContents(bytes) : 'unknown';
      if (contents === 'certificates') return { skip: true };
      const byName = KEYSTORE.test(context.name);
      // BKS has no magic number: told by its shape alone, it counts only once a key entry is read.
      if (!byName && format === 'BKS' && contents !== 'keys') return undefined;
      keyStoreFinding(
        context,
        contents === 'keys'
          ? `${format ?? 'key store'} with a private or secret key entry`
          : format === 'PKCS#12'
            ? 'PKCS#12: its contents are encrypted, so it may hold private keys, possibly the signing key'
            : undefined,
        bytes.length <= KEYSTORE_READ_LIMIT ? keyStoreAliases(bytes) : [],
      );
      return { skip: true };
    },
    tooLarge: (context) => keyStoreFinding(context),
  },
  {
    matches: (path, name) => DOTENV.test(path) && !DOTENV_TEMPLATE.test(name),
    analyse(bytes, context) {
      dotenvFinding(context, bytes);
      return undefined;
    },
    tooLarge: (context) => dotenvFinding(context),
  },
  {
    // Read for the key store check of the whole app; the text rules still scan the file.
    matches: (_path, name) => INSTRUCTIONS.test(name),
    analyse(bytes, context) {
      if (bytes.includes('-P') && bytes.includes('assword='))
        context.app.commandLineStores.push(...commandLineStoreNames(bytes.toString('utf8')));
      return undefined;
    },
  },
  {
    matches: (_path, name) => name.endsWith('.map'),
    analyse(bytes, context) {
      if (/^\s*\{/.test(bytes.subarray(0, 64).toString('latin1')) && bytes.includes('"mappings"')) {
        sourceMapFinding(context);
      }
      return undefined;
    },
    tooLarge: sourceMapFinding,
  },
];
