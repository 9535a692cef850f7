/**
 * Files that should not ship at all, told by their name or their bytes: key stores (a truststore
 * holding only certificates is not one), `.env` files and source maps.
 */
import { lowered } from '../lib/context.js';
import { keyStoreAliases, keyStoreContents, keyStoreFormat } from '../lib/keystore.js';
import type { AnalyserContext, FileAnalyser } from './analyser.js';

const KEYSTORE = /\.(?:p12|pfx|jks|keystore|bks)$/i;
/** Largest key store read to tell a truststore from a key store. */
const KEYSTORE_READ_LIMIT = 1024 * 1024;
const DOTENV = /(?:^|\/)\.env(?:\.[^/]*)?$/;
const DOTENV_TEMPLATE = /\.(?:example|sample|template|dist|defaults?)$/i;

/**
 * An alias that names a debug signing key: `androiddebugkey`, the one the Android tools generate
 * in `debug.keystore` (password `android`, known to everyone), or one starting with `debug`.
 * Such a key signs debug builds only, which no store accepts.
 */
const DEBUG_ALIAS = /^(?:android)?debug(?:[-_ ]?key)?$/i;

function keyStoreFinding(context: AnalyserContext, what?: string, aliases: readonly string[] = []): void {
  const raw = {
    ruleId: 'secret-private-key',
    file: context.path,
    message: `key store ${context.name} shipped (${what ?? 'PKCS#12 / Java key store: private keys, possibly the signing key'})`,
    key: 'keystore',
    severity: 'high',
  } as const;
  context.report(
    aliases.length > 0 && aliases.every((a) => DEBUG_ALIAS.test(a))
      ? lowered(raw, `a debug signing key (alias ${aliases[0]}): it signs debug builds only`)
      : raw,
  );
}

/**
 * A variable name that may hold a secret: a key, secret, password, token, credential, auth value,
 * DSN, certificate, private, cookie, session or salt (`STRIPE_KEY`, `DB_PASS`, `SENTRY_DSN`).
 * Broad on purpose: a name that might hold one keeps the file high.
 */
const DOTENV_SECRET_NAME = /key|secret|pass|pwd|token|cred|auth|dsn|cert|private|cookie|session|salt/i;
/** One `NAME=value` line of an environment file (`export` allowed, as dotenv and shells read it). */
const DOTENV_LINE = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=/gm;

/**
 * The names of a `.env` file's variables when none of them may hold a secret, else undefined:
 * fastlane's `.env.<lane>` files, for instance, set app names, bundle ids and switches.
 */
function namesWithoutSecrets(bytes: Buffer): string[] | undefined {
  const names = [...bytes.toString('utf8').matchAll(DOTENV_LINE)].map((m) => m[1] as string);
  return names.some((n) => DOTENV_SECRET_NAME.test(n)) ? undefined : names;
}

function dotenvFinding(context: AnalyserContext, bytes?: Buffer): void {
  const raw = {
    ruleId: 'secret-dotenv-file',
    file: context.path,
    message: `${context.name} shipped: environment files hold build-time secrets`,
    key: 'dotenv',
  } as const;
  // A file too large to read stays high: what it holds is not known.
  const names = bytes === undefined ? undefined : namesWithoutSecrets(bytes);
  context.report(
    names === undefined
      ? raw
      : lowered(
          raw,
          names.length === 0
            ? 'no variable set in it'
            : `no variable in it is named as a secret (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''})`,
        ),
  );
}

function sourceMapFinding(context: AnalyserContext): void {
  context.report({
    ruleId: 'sourcemap-shipped',
    file: context.path,
    message: 'source map shipped: it maps the bundle back to the original sources',
    key: 'file',
  });
}

/** Key stores, `.env` files and source maps. */
export const FILE_ANALYSERS: readonly FileAnalyser[] = [
  {
    // Key stores by name, or by their first bytes whatever their name (`assets/client`, `res/raw/ks`).
    matches: (_path, name) => KEYSTORE.test(name),
    sniff: (head) => keyStoreFormat(head) !== undefined,
    analyse(bytes, context) {
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
