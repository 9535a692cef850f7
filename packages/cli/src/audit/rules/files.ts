/**
 * Files that should not ship at all, told by their name or their bytes: key stores (a truststore
 * holding only certificates is not one), `.env` files and source maps.
 */
import { keyStoreContents, keyStoreFormat } from '../lib/keystore.js';
import type { AnalyserContext, FileAnalyser } from './analyser.js';

const KEYSTORE = /\.(?:p12|pfx|jks|keystore|bks)$/i;
/** Largest key store read to tell a truststore from a key store. */
const KEYSTORE_READ_LIMIT = 1024 * 1024;
const DOTENV = /(?:^|\/)\.env(?:\.[^/]*)?$/;
const DOTENV_TEMPLATE = /\.(?:example|sample|template|dist|defaults?)$/i;

function keyStoreFinding(context: AnalyserContext, what?: string): void {
  context.report({
    ruleId: 'secret-private-key',
    file: context.path,
    message: `key store ${context.name} shipped (${what ?? 'PKCS#12 / Java key store: private keys, possibly the signing key'})`,
    key: 'keystore',
    severity: 'high',
  });
}

function dotenvFinding(context: AnalyserContext): void {
  context.report({
    ruleId: 'secret-dotenv-file',
    file: context.path,
    message: `${context.name} shipped: environment files hold build-time secrets`,
    key: 'dotenv',
  });
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
      );
      return { skip: true };
    },
    tooLarge: (context) => keyStoreFinding(context),
  },
  {
    matches: (path, name) => DOTENV.test(path) && !DOTENV_TEMPLATE.test(name),
    analyse(_bytes, context) {
      dotenvFinding(context);
      return undefined;
    },
    tooLarge: dotenvFinding,
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
