/**
 * Checks on source code (Java, Kotlin, Swift, Objective-C, C and C++), the ones MobSF's static
 * analysis makes and the misses of issue 13: keys found by how they are used (`SecretKeySpec`,
 * `IvParameterSpec`, CommonCrypto `CCCrypt`, CryptoKit `SymmetricKey(data:)`, or a literal under a
 * key's name, low entropy included), ECB mode, static IVs, `java.util.Random` for security values,
 * trust-all TrustManagers and HostnameVerifiers, WebView settings, secrets written to
 * SharedPreferences / NSUserDefaults or logs, dynamic code loading and C functions without bounds.
 *
 * They read a project's sources, not compiled code: an APK's `classes.dex` and an IPA's Mach-O
 * get the text scan and the binary checks only. Comments are blanked before the patterns run,
 * so a line that only talks about `setAllowFileAccess(true)` is no finding.
 */
import { lowered, toMedium } from '../lib/context.js';
import type { RawFinding } from '../lib/finding.js';
import { redact } from '../lib/redact.js';
import { TriggerIndex } from '../lib/trigger-index.js';
import type { Severity } from '../types.js';
import type { AppScope, FileAnalyser } from './analyser.js';
import type { RuleId } from './catalog.js';
import { isQualifiedName } from './secrets.js';
import { identifierWords, statementAt, weakHashUse, weakHashVerdict } from './weak-hash.js';

type Lang = 'jvm' | 'swift' | 'objc' | 'c' | 'dart';

const LANGS: Readonly<Record<string, readonly Lang[]>> = {
  java: ['jvm'],
  kt: ['jvm'],
  swift: ['swift'],
  m: ['objc'],
  mm: ['objc', 'c'],
  h: ['objc', 'c'],
  c: ['c'],
  cc: ['c'],
  cpp: ['c'],
  cxx: ['c'],
  hpp: ['c'],
  dart: ['dart'],
};

const SOURCE = /\.(java|kt|swift|m|mm|h|c|cc|cpp|cxx|hpp|dart)$/;

/** What a rule reports of one match. */
interface CodeVerdict {
  ruleId: RuleId;
  message: string;
  key: string;
  evidence?: string;
  severity?: Severity;
  /** Why the finding is lowered to `low` and set aside, when it is. */
  lowered?: string;
}

/** A rule on source text: it runs only on its languages, and only if the file holds one of `needs`. */
interface CodeRule {
  langs: readonly Lang[];
  needs: readonly string[];
  /** Global: every match of the file is checked. */
  pattern: RegExp;
  /** `text` has its comments blanked (offsets kept); `source` is the file as written, comments included. */
  check(m: RegExpExecArray, text: string, source: string): CodeVerdict | undefined;
}

/** A quoted literal: Java/Kotlin/Swift/C `"…"`, Objective-C `@"…"`. */
const LITERAL = String.raw`@?"((?:[^"\\\n]|\\.){1,256})"`;

/** A Dart string literal, `'…'` or `"…"`: its text in the first or the second group. */
const DART_LITERAL = String.raw`(?:'((?:[^'\\\n]|\\.){1,256})'|"((?:[^"\\\n]|\\.){1,256})")`;

const PLACEHOLDER =
  /^(?:x{3,}|\*{3,}|\.{3,}|<.*>|\$\{.*\}|\{\{.*\}\}|%[@sd]|your[-_ ]?|change[-_]?me|replace[-_]?me|placeholder|todo|redacted|dummy)$/i;

/**
 * A value that is a name (a preference key, an intent extra, a localisation key), not key
 * material: dotted, dashed or snake words, camelCase, PascalCase words ending in `Key` (the name
 * of a stored key, `SecureStorageKey`), `::`-joined words (`state::default::…`), a name qualified
 * by a package (`com.example.app.DEVICE_SECRET`, another app's preference key), or a URL (a key
 * server's address).
 */
function looksLikeIdentifier(value: string): boolean {
  return (
    isQualifiedName(value) ||
    // Separators may double (`keyboard__hinted_symbols_enabled`: a group, then a name).
    /^[a-z][a-z0-9]*(?:[._-]{1,2}[a-z0-9]+)+$/.test(value) ||
    /^[a-z]+(?:[A-Z][a-z0-9]*)+$/.test(value) ||
    (/^(?:[A-Z][a-z0-9]+){2,}$/.test(value) && /Key$/.test(value)) ||
    /^[A-Za-z][\w.]*(?:::[\w.\\()]*)+$/.test(value) ||
    /^[a-z][a-z0-9+.-]*:\/\//i.test(value)
  );
}

/**
 * True when the `putString` call at `at` is made on a `Bundle` (saved instance state, fragment
 * arguments, intent extras), which lives in memory or in the system's saved state, not in the
 * app's preference files: its receiver is declared a `Bundle` (`Bundle outState`,
 * `outState: Bundle`, `= Bundle()`, `= new Bundle()`), is the saved-state or arguments parameter
 * by its framework name, or is a `Bundle(…)`/`bundleOf` expression. A `PersistableBundle` and a
 * Wear OS `DataMap` (`dataMap.putString`, items sent to the watch through Google Play services'
 * Data Layer) are not preference files either, nor is a React Native `WritableMap`
 * (`Arguments.createMap()`, the answer a native module hands back to JavaScript).
 */
/**
 * The key of a `Bundle` or `Intent` extra as Android names them, after a package
 * (`androidx.credentials.BUNDLE_KEY_PASSWORD`, `android.intent.extra.TEXT`,
 * `com.google.android.gms.…`) or as a `BUNDLE_KEY_`/`EXTRA_` constant: an entry handed to another
 * component, not a preference written to the app's files.
 */
const NAMESPACED_EXTRA = /^(?:androidx?|com\.google\.android)\.|(?:^|[._])(?:BUNDLE_KEY|EXTRA)_/;

function isBundleReceiver(text: string, at: number): boolean {
  const before = text.slice(Math.max(0, at - 80), at);
  if (
    /(?:\bBundle\([^()]*\)|\bbundleOf\([^()]*\)|\.(?:extras|arguments)|requireArguments\(\))\s*$/.test(before)
  )
    return true;
  const receiver = /([A-Za-z_][A-Za-z0-9_]*)\s*\??\s*$/.exec(before)?.[1];
  if (receiver === undefined) return false;
  if (/^(?:outState|savedInstanceState|savedState|arguments|args|extras|dataMap)$/.test(receiver))
    return true;
  const r = receiver.replace(/\$/g, '\\$');
  return new RegExp(
    String.raw`\b(?:Persistable)?Bundle\??\s+${r}\b|\b${r}\s*:\s*(?:Persistable)?Bundle\b|\b${r}\s*=\s*(?:new\s+)?(?:Persistable)?Bundle\(|\bDataMap\??\s+${r}\b|\b${r}\s*:\s*DataMap\b|\bWritable(?:Native)?Map\??\s+${r}\b|\b${r}\s*:\s*Writable(?:Native)?Map\b|\b${r}\s*(?::\s*[\w.?]+\s*)?=\s*(?:Arguments\.createMap\(|(?:new\s+)?Writable(?:Native)?Map\()`,
  ).test(text);
}

/**
 * True when the dictionary literal holding the entry at `at` is assigned to a name or type of an
 * HTTP request's parameters (`let parameters: Parameters = ["password": …]`, `var body = [`):
 * sent to a server, not written to the plist the same file writes elsewhere. Only the 300
 * characters before the entry are read, and the literal must not have closed in between.
 */
function isRequestDictionary(text: string, at: number): boolean {
  const before = text.slice(Math.max(0, at - 300), at);
  const open = before.lastIndexOf('[');
  if (open === -1 || before.indexOf(']', open) !== -1) return false;
  const decl = /\b(?:let|var)\s+([A-Za-z_]\w*)\s*(?::\s*([^=\n]{1,60}))?=\s*$/.exec(before.slice(0, open));
  return (
    decl !== null && /param|body|payload|json|header|query|request|form/i.test(`${decl[1]} ${decl[2] ?? ''}`)
  );
}

/** True when `name` is turned into bytes (`key.getBytes(…)`, `key.toByteArray()`, `key.data(using:)`) in a file that uses a key API. */
function usedAsKeyBytes(name: string, text: string): boolean {
  if (!/SecretKeySpec|SymmetricKey|CCCrypt|PBEKeySpec/.test(text)) return false;
  return new RegExp(
    String.raw`\b${name.replace(/\$/g, '\\$')}\s*\.\s*(?:getBytes|toByteArray|data|utf8)\b`,
  ).test(text);
}

/**
 * A cipher, MAC or key-derivation API of the JCA, CommonCrypto, CryptoKit, RNCryptor, OpenSSL or
 * libsodium, or an XOR of data with a string's or array's characters (a hand-made cipher).
 */
const KEY_API =
  /\b(?:SecretKeySpec|Cipher\s*\.\s*getInstance|Mac\s*\.\s*getInstance|PBEKeySpec|KeyGenerator|SymmetricKey|CCCrypt\w*|CCHmac\w*|CCKeyDerivation\w*|kCC\w+|Encrypter|AES\s*\.\s*GCM|ChaChaPoly|HMAC\s*<|RNCryptor|RNEncryptor|RNDecryptor|EVP_\w+|AES_set_\w+|crypto_\w+|CryptoJS)\b|\^\s*(?:\(\s*\w+\s*\)\s*)?[A-Za-z_$][\w$]*\s*(?:\.\s*charAt\s*\(|\[)/;

/**
 * Whether a constant named as a key is what a key's name says: the file has a cipher, MAC or key
 * API and uses the name again after assigning it. A name alone (`KEY = "…"`, `cryptoKey = "…"`)
 * is as often a map key, a preference's name or a URL as a key; on the judged ordinary apps 9 of
 * 10 first-read highs of this rule were such names, and every training app's key reached a cipher
 * in its own file.
 */
function usedWithCipher(name: string, text: string): boolean {
  // Counted once a file: a regex per name read the whole file for each constant, quadratic in a
  // crafted file of thousands of them.
  if (cipherText !== text) {
    cipherText = text;
    identifiers = KEY_API.test(text) ? countIdentifiers(text) : undefined;
  }
  return (identifiers?.get(name) ?? 0) >= 2;
}

let cipherText = '';
let identifiers: Map<string, number> | undefined;

function countIdentifiers(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/[A-Za-z_$][\w$]*/g)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  return counts;
}

/**
 * The expression a local name was last assigned in the file (`val data = "…${password.text}…"`,
 * `byte[] ivBytes = { 0x00, … }`), up to the end of its line or array literal, or undefined.
 * One step only: what a value flows through beyond that is not followed.
 */
function assignedTo(name: string, text: string): string | undefined {
  if (assignedText !== text) {
    assignedText = text;
    assigned = assignmentsOf(text);
  }
  return assigned.get(name);
}

let assignedText = '';
let assigned = new Map<string, string>();

/**
 * Every local assignment of a file, name to its last expression, found in one pass: a regex per
 * name read the whole file for each name some match asked about, so a crafted file with thousands
 * of `FileWriter(aN)` or `Log.d(TAG, aN)` took time quadratic in its size.
 */
function assignmentsOf(text: string): Map<string, string> {
  const all = new Map<string, string>();
  for (const m of text.matchAll(ASSIGNMENT)) all.set(m[2] as string, m[3] as string);
  return all;
}

/**
 * A declaration keyword or a type, the name, an optional type annotation, `=` and the value. The
 * type is matched atomically (`(?=(…))\1`: the lookahead takes the whole run and the
 * back-reference cannot give any of it back): a shorter run is followed by a word character, never
 * by the whitespace required after it, so nothing is lost, and the regex no longer backtracks
 * through every word of the file. A string literal is taken whole, a `;` inside it included.
 */
const ASSIGNMENT =
  /(?:\b(?:val|var|let|const)\s+|\b(?=([\w<>[\]]+))\1\s+)([A-Za-z_$][\w$]*)\s*(?::\s*[\w<>?.[\]]+\s*)?=\s*(\{[^}]{0,600}\}|@?"(?:[^"\\\n]|\\.){0,300}"[^;\n]{0,100}|[^;\n]{1,300})/g;

/**
 * The names of the values in an expression: identifiers outside string literals, and those
 * interpolated into them (Kotlin `$x`, `${x}`, Swift `\(x)`), calls left out.
 */
function valueNames(expr: string): string[] {
  const interpolated = [...expr.matchAll(/\$\{?([A-Za-z_][\w.]*)|\\\(\s*([A-Za-z_][\w.]*)/g)]
    .map((t) => t[1] ?? t[2])
    .join(' ');
  // Single-quoted too: Dart's strings (`print('wrong password')` names no value), Java's and
  // C's characters.
  const code = `${expr.replace(/@?"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, '""')} ${interpolated}`;
  // Whole names only: a call's name cut short by a letter (`setIdentityPasswor` of
  // `setIdentityPassword(…)`) is no value. A getter without arguments reads the value it names
  // (`user.getPassword()` → `user.Password`), as it is or encoded (`.getEncoded()`, `.toString()`),
  // not when the chain reads on from it (`getCredentials().getAuthToken().length()`).
  const names = [...code.matchAll(/\b([A-Za-z_][\w.]*)(?![\w.])(?!\s*\()/g)].map((id) => id[1] as string);
  for (const g of code.matchAll(
    /\b((?:[A-Za-z_]\w*\.)*)get([A-Z]\w*)\s*\(\s*\)(?!\s*\.\s*(?!(?:getEncoded|toString|getBytes|trim)\s*\())/g,
  ))
    names.push(`${g[1]}${g[2]}`);
  return names;
}

/**
 * The first value of an expression whose name says it is a secret (`password.text` → `password`,
 * `etPassword.getText().toString()` → `etPassword`).
 */
/**
 * An upper-case constant among a call's arguments (string literals left out) whose last word names
 * a credential (`HARDCODED_ADMIN_JWT`, `Secrets.API_SECRET`, `MASTER_PASSWORD`), and none of whose
 * words says it holds where a credential is kept or how it is labelled: a preference, an extra,
 * an argument, a column, a header, a key's or field's name (`PREF_PASSWORD`, `KEY_TOKEN`).
 */
function credentialConstantIn(args: string): string | undefined {
  const code = args.replace(/"(?:[^"\\\n]|\\.)*"/g, '""');
  for (const m of code.matchAll(
    /(?<![\w$."])(?:[A-Z][A-Za-z0-9_]*\.)?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,})\b(?!\s*[(.])/g,
  )) {
    const words = (m[1] as string).split('_');
    if (
      !/^(?:JWT|TOKEN|SECRET|PASSWORD|PASSWD|PWD|PASSPHRASE|APIKEY|CREDENTIALS?)$/.test(
        words.at(-1) as string,
      )
    )
      continue;
    if (words.length === 1) continue;
    if (
      words.some((w) =>
        /^(?:PREFS?|PREFERENCE|KEY|KEYS|EXTRA|ARG|ARGS|PARAM|PARAMS|COLUMN|COL|FIELD|NAME|HEADER|LABEL|TAG|TYPE|ACTION|PROPERTY|PROP|ATTR|HINT|MIN|MAX|LENGTH|LEN|REGEX|PATTERN|ERROR|MSG|MESSAGE|INVALID|EMPTY|WRONG|NO|MISSING|EXPIRED|REQUEST|CODE|STATE|STATUS|EVENT)$/.test(
          w,
        ),
      )
    )
      continue;
    return m[0];
  }
  return undefined;
}

function secretNamed(expr: string): string | undefined {
  // `etPassword.getText().toString()`: the calls that read a field are its text, as `.text` is.
  const read = expr.replace(/(?:\s*\.\s*(?:getText|toString|trim)\s*\(\s*\))+/g, '.text');
  for (const name of valueNames(read)) {
    if (/\.(?:length|size|count|isEmpty)\b/.test(name)) continue;
    const parts = name.split('.');
    // `password.text`, `pinTextField.text`: what a field holds is the secret its name says, so
    // the accessor and the widget's suffix are left out of the name.
    const accessor = parts.length > 1 && /^(?:text|value|getText|toString)$/.test(parts.at(-1) as string);
    const last = accessor
      ? (parts.at(-2) as string).replace(/(?:Text)?(?:Field|Input|EditText|Edit)$/, '')
      : (parts.at(-1) as string);
    if (secretKind(last) !== undefined && !/^(?:TAG|[A-Z_]+)$/.test(last)) return last;
  }
  return undefined;
}

/**
 * The operand that ends at `at` (spaces before `at` skipped): a chain of names, calls with their
 * arguments and `?.`/`!!` (`promoCodeValue.text.toString()`, `field.getText().toString()`), or a
 * quoted literal. At most 200 characters back.
 */
function operandBefore(text: string, at: number): string {
  let i = at;
  while (i > Math.max(0, at - 200) && /\s/.test(text.charAt(i - 1))) i--;
  const end = i;
  if (text.charAt(i - 1) === '"') {
    const open = text.lastIndexOf('"', i - 2);
    if (open === -1 || text.slice(open, i).includes('\n')) return '';
    return text.slice(text.charAt(open - 1) === '@' ? open - 1 : open, end);
  }
  const floor = Math.max(0, at - 200);
  while (i > floor) {
    const c = text.charAt(i - 1);
    if (c === ')') {
      let depth = 0;
      let j = i - 1;
      for (; j >= floor; j--) {
        const d = text.charAt(j);
        if (d === ')') depth++;
        else if (d === '(' && --depth === 0) break;
        else if (d === '\n') return text.slice(i, end);
      }
      if (j < floor) break;
      i = j;
    } else if (/[\w.?!$]/.test(c)) {
      i--;
    } else {
      break;
    }
  }
  return text.slice(i, end).replace(/^[.?!]+/, '');
}

/** The operand that starts at `at`: a quoted literal, or a chain of names and calls (as above). */
function operandAfter(text: string, at: number): string {
  const m =
    /\s*(@?"(?:[^"\\\n]|\\.){0,64}"|[A-Za-z_$][\w$]*(?:\s*(?:\?\.|!!\.|\.)\s*[A-Za-z_$][\w$]*|\(\s*\))*)/y;
  m.lastIndex = at;
  return m.exec(text)?.[1] ?? '';
}

/**
 * A string literal's text, then the text of a widget appended to it: by `+`, a Kotlin template
 * (`$x`, `${x}`) or a Swift interpolation (`\(x)`). The label is the literal's last 80 characters.
 */
const TYPED_AFTER_LABEL =
  /"([^"\n]{0,80}?)(?:"\s*\+\s*|\$\{\s*|\$(?=[A-Za-z_])|\\\(\s*)([A-Za-z_$][\w$]*)\s*(?:\?\.|!!\.|\.)\s*(?:getText\s*\(|text\b(?!\s*\())/;
/**
 * A log call's two literals, a tag and a message that is one `name:value` or `name=value` pair
 * without spaces (`"Credentials", "foo@example.com:hellouu"`).
 */
const LITERAL_UNDER_TAG = /^\s*"([^"\n]{1,40})"\s*,\s*"([^"\s:=]{1,80}[:=][^"\s]{3,120})"\s*\)/;

/** A label that names what follows as a secret: a password, PIN, card number, CVV, SSN. */
const SECRET_LABEL =
  /passw|passcode|(?<![a-z])pin(?![a-z])|secret|credit.?card|card.?(?:number|no\b)|(?<![a-z])(?:cvv|cvc|ssn)(?![a-z])|social.?security/i;

/**
 * A constant a seed can be made of: a string's bytes (`"s3cr3t".getBytes()`), a byte array
 * written out, or a number.
 */
const CONSTANT_SEED =
  /^(?:"[^"\n]*"\s*\.\s*(?:getBytes|toByteArray)\s*\([^)]*\)|new\s+byte\s*\[\s*\]\s*\{[^}]*\}|byteArrayOf\([^)]*\)|-?\d+L?)$/;

/** A call named for turning hidden text back into what it hides. */
const DECODING_CALL = /decode|deobfusc|decrypt|decipher|unscramble|descramble|unmask|reveal|xor/i;
/** A Java or Kotlin escape of a control character (below U+0020), which text shown to people never holds. */
const CONTROL_ESCAPE = /\\u00[01][0-9A-Fa-f]|\\x[01][0-9A-Fa-f]/;

/** A value that is hashed or encrypted before it is stored: not in clear. */
const HASHED = /encrypt|cipher|hash|digest|seal|sha-?\d|md5|bcrypt|scrypt|argon|pbkdf/i;

/**
 * The first name in an expression that says it holds a secret, string literals left out, each
 * part of a chain taken alone (`pwd.getText().toString()` → `pwd`), a widget's suffix dropped
 * (`passwordTextField` → `password`); calls are no value. Undefined when the value is hashed or
 * encrypted first.
 */
function secretValueIn(expr: string): string | undefined {
  if (HASHED.test(expr)) return undefined;
  const code = expr.replace(/@?"(?:[^"\\\n]|\\.)*"?/g, '""');
  for (const id of code.matchAll(/[A-Za-z_$][\w$]*(?!\s*\(|[\w$])/g)) {
    const name = id[0].replace(/(?:Text)?(?:Field|Input|EditText|Edit)$/, '');
    if (name !== '' && secretKind(name) !== undefined && !/^(?:TAG|[A-Z_]+)$/.test(name)) return name;
  }
  return undefined;
}

/**
 * The names given to `strcmp`, `strncmp`, `strcasecmp`, `strncasecmp` or `memcmp` as their first or
 * second argument in a C file, read in one pass and kept for the file's other macros: a regex
 * per macro read the whole file again for each (20,000 macros, 12 s).
 */
function comparedNames(text: string): Set<string> {
  if (compared?.text === text) return compared.names;
  const names = new Set<string>();
  for (const c of text.matchAll(
    /\b(?:strn?cmp|strn?casecmp|memcmp)\s*\(\s*([^,()\n]{1,80}),\s*([A-Za-z_]\w*)?/g,
  )) {
    names.add((c[1] as string).trim());
    if (c[2] !== undefined) names.add(c[2]);
  }
  compared = { text, names };
  return names;
}
let compared: { text: string; names: Set<string> } | undefined;

/**
 * The name of a secret column that an `INSERT INTO t VALUES('…', '…')` of literals fills, from the
 * `CREATE TABLE t(…)` of the same file (`Accounts(Username VARCHAR, Password VARCHAR)` and
 * `VALUES('admin','AdminPass')`: a password written in the code and stored in clear), else
 * undefined. Only plain literal rows are read.
 */
function literalSecretColumn(statement: string, text: string): string | undefined {
  const insert = /\bINSERT\s+INTO\s+(\w+)\s+VALUES\s*\(([^)]{1,300})\)/i.exec(statement);
  if (insert === null) return undefined;
  const values = (insert[2] as string).split(',').map((v) => v.trim());
  if (!values.every((v) => /^'[^']*'$|^\d+$/.test(v))) return undefined;
  const table = (insert[1] as string).toLowerCase();
  for (const create of text.matchAll(
    /\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(([^)]{1,400})\)/gi,
  )) {
    if ((create[1] as string).toLowerCase() !== table) continue;
    const columns = (create[2] as string).split(',').map((c) => c.trim().split(/\s+/)[0] as string);
    return columns.find(
      (c, i) => (secretKind(c) === 'secret' || /^(?:pass|pw)$/i.test(c)) && (values[i] ?? "''").length > 2,
    );
  }
  return undefined;
}

/**
 * A database opened encrypted: SQLCipher (`net.sqlcipher`, its `SupportFactory` for Room, a
 * database keyed with `PRAGMA key` or `sqlite3_key`), or a Realm configured with an
 * `encryptionKey`. Its rows are not in clear.
 */
const ENCRYPTED_DATABASE =
  /sqlcipher|\bSupportFactory\b|\bencryptionKey\s*[(:=]|\bPRAGMA\s+key\b|\bsqlite3_key\b/i;

/** The finding for a secret stored in clear in a local database, or none without a secret. */
function databaseVerdict(name: string | undefined, where: string): CodeVerdict | undefined {
  // `pass` and `pw` alone are how a column abbreviates a password.
  const kind =
    name === undefined
      ? undefined
      : (secretKind(name) ?? (/^(?:pass|pw)$/i.test(name) ? 'secret' : undefined));
  if (name === undefined || kind === undefined) return undefined;
  return {
    ruleId: 'storage-secret-in-preferences',
    message: `${name.slice(0, 60)} stored in clear in ${where} (a database file in the app's data)`,
    evidence: name.slice(0, 60),
    key: `db:${name}`,
    ...(kind === 'token' ? { severity: 'medium' as const } : {}),
  };
}

/** Words of a widget's name that say the user types into it (`promoCodeValue`, `pinField`). */
const INPUT_WORDS = new Set([
  'edit',
  'field',
  'input',
  'entry',
  'value',
  'code',
  'pin',
  'password',
  'passcode',
  'answer',
  'box',
]);

/**
 * What a user typed: the text of a widget whose name says it is an input (`promoCodeValue.text`,
 * `pinField.getText()`; a label's `timeLeft.text` is not), a name that says so (`userInput`,
 * `enteredCode`), or a line read.
 */
function isUserInput(expr: string): boolean {
  if (!/[Tt]ext|[Ii]nput|entered|typed|readLine|stringValue/.test(expr)) return false;
  if (/[Ii]nput|\bentered|\btyped|\breadLine\s*\(/.test(expr)) return true;
  const widget =
    /([A-Za-z_$][\w$]*)\s*(?:\?\.|!!\.|\.)\s*(?:text\b(?!\s*\()|getText\s*\(|stringValue\b)/.exec(expr);
  return widget !== null && identifierWords(widget[1] as string).some((w) => INPUT_WORDS.has(w));
}

/**
 * `[input, literal]` when `name` is a local whose value is what the user typed and `literal` a
 * quoted literal in place that looks like a code (letters and digits) or names a secret; else
 * undefined. The literal is judged first, so the file's assignments are read only for such
 * comparisons.
 */
function typedThroughLocal(name: string, literal: string, text: string): [string, string] | undefined {
  const id = name.trim();
  const quoted = /^\s*@?"((?:[^"\\\n]|\\.)*)"\s*$/.exec(literal);
  if (quoted === null || !/^[A-Za-z_$][\w$]*$/.test(id)) return undefined;
  const value = quoted[1] as string;
  const codeLike = /^[\w-]{3,64}$/.test(value) && /[A-Za-z]/.test(value) && /[0-9]/.test(value);
  if (!codeLike && !SECRET_LITERAL.test(value)) return undefined;
  const expr = assignedTo(id, text);
  if (expr === undefined || !isUserInput(expr)) return undefined;
  return [`${id} = ${expr.trim().slice(0, 40)}`, literal];
}

/**
 * A string resource read into a local, maybe through a decoding call on the way
 * (`String s = getString(R.string.backdoor)`, `val k = String(Base64.decode(resources.getString(R.string.k), 0))`):
 * the resource's name.
 */
/** Calls that may wrap a string resource on its way to a comparison: a String made of its bytes, the context. */
const RESOURCE_WRAPPER =
  /^(?:String|toString|getBytes|toByteArray|trim|getResources|resources|requireContext|getContext|getApplicationContext|getActivity)$/;

const STRING_RESOURCE = /\bgetString\(\s*R\.string\.([A-Za-z_]\w{0,80})\s*\)/;

/** A string resource read where it is compared, through the context or not. */
const IN_PLACE_RESOURCE =
  /^\s*(?:[A-Za-z_$][\w$]*\s*(?:\(\s*\))?\s*\.\s*){0,3}getString\(\s*R\.string\.[A-Za-z_]\w{0,80}\s*\)/;

/**
 * What the user typed, under a secret's name (`enteredPassword`, `pinInput`), compared with a local
 * read from the app's string resources (`getString(R.string.backdoor)`, decoded from Base64 or
 * not before the comparison) or with the resource read in place (`inPlace`): the resource ships
 * in the APK's `resources.arsc`, where `apktool` shows it, so it is a password written in the app
 * as much as a literal in the code is. Without a secret's name on either side (a typed word
 * compared with a label, `getString(R.string.yes)`) it is no finding.
 */
function resourceComparison(
  input: string,
  operand: string,
  text: string,
  inPlace?: string,
): CodeVerdict | undefined {
  const expr = inPlace ?? (/^[A-Za-z_$][\w$]*$/.test(operand) ? assignedTo(operand, text) : undefined);
  const resource = expr === undefined ? null : STRING_RESOURCE.exec(expr);
  if (expr === undefined || resource === null) return undefined;
  // The resource must be the value, decoded or not, not an argument of another read: a PIN read
  // from the preferences under a key a resource names (`prefs.getString(getString(R.string.pkey), "")`)
  // is what the user stored, not a value the app ships.
  const rest = expr.replace(resource[0], '');
  for (const call of rest.matchAll(/([A-Za-z_$][\w$]*)\s*\(/g))
    if (!RESOURCE_WRAPPER.test(call[1] as string) && !DECODING_CALL.test(call[1] as string)) return undefined;
  const name = resource[1] as string;
  // Decoded on the way: a decoding call in the expression, or one given the local.
  const decoded =
    DECODING_CALL.test(rest) ||
    (inPlace === undefined &&
      new RegExp(
        String.raw`\b\w*(?:decode|decrypt|deobfusc|xor)\w*\s*\(\s*${operand.replace(/\$/g, '\\$')}\b`,
        'i',
      ).test(text));
  if (!identifierWords(`${operand} ${name} ${input}`).some((w) => UNLOCK_WORDS.has(w) || w === 'backdoor'))
    return undefined;
  return {
    ruleId: 'secret-hardcoded-comparison',
    message: `what the user typed (${input.slice(0, 40)}) is compared with the string resource ${name.slice(0, 40)}${decoded ? ' (decoded at run time)' : ''}, which ships in the app`,
    evidence: `R.string.${name.slice(0, 60)}`,
    key: `compare:R.string.${name}`,
  };
}

/** `name = <what was typed>` when `name` is a local holding what the user typed, else undefined. */
function typedLocal(name: string, text: string): string | undefined {
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) return undefined;
  const expr = assignedTo(name, text);
  return expr === undefined || !isUserInput(expr) ? undefined : `${name} = ${expr.trim().slice(0, 40)}`;
}

/** The text of a widget, whatever its name: `hckey.getText()`, `field.text`. */
const WIDGET_TEXT = /[A-Za-z_$][\w$]*\s*(?:\?\.|!!\.|\.)\s*(?:text\b(?!\s*\()|getText\s*\()/;
/** A literal that says itself it is a secret (`"vendorsecretkey"`, `"adminpassword1"`). */
const SECRET_LITERAL = /secret|passw|passcode|unlock/i;

/** Words of a name that say the value compared is a code that unlocks something. */
const UNLOCK_WORDS = new Set([
  'promo',
  'coupon',
  'voucher',
  'unlock',
  'activation',
  'license',
  'licence',
  'serial',
  'passcode',
  'password',
  'passwd',
  'pwd',
  'secret',
  'admin',
  'pin',
  'otp',
]);

/**
 * The literal an operand stands for: the operand itself when quoted, or the string literal a
 * name is assigned in the file (`private val promoCode: String = "NEW2019"`,
 * `static final String CODE = "…"`), with that name.
 */
function literalOf(operand: string, text: string): { value: string; name: string } | undefined {
  const quoted = /^@?"((?:[^"\\\n]|\\.)*)"$/.exec(operand);
  if (quoted !== null) return { value: quoted[1] as string, name: '' };
  if (!/^[A-Za-z_$][\w$]*$/.test(operand)) return undefined;
  const expr = assignedTo(operand, text)?.trim();
  const lit = expr === undefined ? null : /^@?"((?:[^"\\\n]|\\.)*)"\s*$/.exec(expr);
  return lit === null ? undefined : { value: lit[1] as string, name: operand };
}

/**
 * The receiver of a member whose `.` is at `dot`: the name before it, past `?`/`!` and spaces
 * (`newUser?.password` → `newUser`, `dict .setValue` → `dict`), or '' when none.
 */
function receiverBefore(text: string, dot: number): string {
  let i = dot;
  while (i > 0 && dot - i < 8 && /[\s?!]/.test(text.charAt(i - 1))) i--;
  const end = i;
  while (i > 0 && end - i < 100 && /[\w$]/.test(text.charAt(i - 1))) i--;
  return text.slice(i, end);
}

/**
 * Whether `receiver` is an object this file makes with a plain constructor (`[[MQTTSession alloc]
 * init]`, `MQTTSession()`, `new Session(…)`) and never hands to the database (`realm.add(…)`,
 * `addObject:`, `copyToRealm(…)`, `insert(…)`): a client or a view model whose `password` goes
 * to a server, not a stored object, though the same file writes Core Data or Realm objects of its
 * own. A Core Data object is made in a context (`insertNewObject`, `User(context:)`), and a Realm
 * object made with a constructor is stored by one of those calls; a receiver this file does not
 * make (a parameter, a property) is still read as stored.
 */
function builtOutsideDatabase(text: string, receiver: string): boolean {
  if (!/^[A-Za-z_$][\w$]{0,99}$/.test(receiver)) return false;
  const name = receiver.replace(/\$/g, '\\$');
  const made = new RegExp(
    `(?:\\b${name}\\s*=\\s*(?:\\[\\s*\\[\\s*[A-Z]\\w*\\s+alloc\\s*\\]\\s*init|\\[\\s*[A-Z]\\w*\\s+new\\s*\\]|new\\s+[A-Z][\\w.]*\\s*[(<]|[A-Z]\\w*\\s*\\((?![^)\\n]*\\b(?:context|entity|insertInto)\\s*:)))`,
  );
  if (!made.test(text)) return false;
  const stored = new RegExp(
    `(?:\\b(?:add|create|copyToRealm|copyToRealmOrUpdate|insert|insertOrUpdate)\\s*\\(\\s*(?:[A-Za-z_][\\w.]*\\s*,\\s*)?|\\b(?:addObject|addOrUpdateObject|insertObject)\\s*:\\s*)${name}\\b`,
  );
  return !stored.test(text);
}

/** The word (letters, digits, `_`) that ends at `end`. */
function wordEndingAt(text: string, end: number): string {
  let i = end;
  while (i > 0 && /\w/.test(text.charAt(i - 1))) i--;
  return text.slice(i, end);
}

/** Key sizes of AES (and 3DES's 24): a literal of exactly this length under a plain `key` name is key material. */
const KEY_LENGTHS = new Set([16, 24, 32]);

/** Names that say a value is a symmetric key (normalised: lower case, no `_` or `-`). */
const CRYPTO_KEY_NAME =
  /(?:aes|des|crypto|cipher|encryption|encrypt|decryption|decrypt|hmac|symmetric|secret|enc|master|signing)key$/;

/** {@link CRYPTO_KEY_NAME} as the whole of the last word or two of a name (`aes` + `key`, `secretkey`). */
const CRYPTO_KEY_WORDS = new RegExp(`^${CRYPTO_KEY_NAME.source}`);

/**
 * Certificate pinning in a file: OkHttp's `CertificatePinner`, a pinning trust manager (by its name,
 * or made with a pinned fingerprint: `TlsTrustManager(host, tlsFingerprint)`), pinned key hashes.
 */
const PINS =
  /\bCertificatePinner\b|Pinning\w*TrustManager|\bpinned(?:Key|Cert|Spki)\w*|sha256\/[A-Za-z0-9+/]{43}=|\b\w*TrustManager\s*\([^()\n]{0,80}\b\w*(?:[Ff]ingerprint|[Pp]inned|[Pp]ins)\w*\s*[,)]/;

/**
 * True when a file holds RFC 2104's pads, by name or by byte (`ipad` and `opad`, `0x36` and
 * `0x5c`): four linear searches, not one regex that runs to the end of the file from each pad.
 */
function hasHmacPads(text: string): boolean {
  return (
    (/\bipad\b/.test(text) && /\bopad\b/.test(text)) || (/\b0x36\b/.test(text) && /\b0x5[cC]\b/.test(text))
  );
}

/**
 * Words of a key's name that say the value is about a key, not the key: an HKDF `info` or label,
 * an alias, a name, an id, a tag, a context or purpose string, a type or a prefix.
 */
const ABOUT_A_KEY = new Set([
  'info',
  'label',
  'alias',
  'name',
  'id',
  'tag',
  'context',
  'purpose',
  'type',
  'prefix',
]);

const SECRET_WORD = /passw|pwd|passcode|(?<![a-z])pin(?![a-z])|secret|privatekey|private_key|credential/i;
const TOKEN_WORD = /token|session|auth|api.?key|apikey|bearer|jwt|cookie/i;
/**
 * Names about a secret (its hint, label, length, the exception about it, a flag saying whether it
 * is valid, known or saved), not the secret; and
 * `authority`/`author`, which hold `auth` without being one (a content URI's authority, a
 * message's author).
 */
const ABOUT_A_SECRET =
  /(?:hint|label|title|text|message|msg|error|length|len|count|policy|enabled|required|visible|changed|set|reset|expiry|expires|expiration|type|url|uri|endpoint|field|screen|page|prompt|strength|attempts?|timeout|date|time|at|authority|author|exception|valid|validity|known|saved|stored|exists|present|authori[sz]ed|available)$/i;

function secretKind(name: string): 'secret' | 'token' | undefined {
  const n = name.replace(/[^A-Za-z0-9_]/g, '');
  if (ABOUT_A_SECRET.test(n)) return undefined;
  if (SECRET_WORD.test(n)) return 'secret';
  if (TOKEN_WORD.test(n)) return 'token';
  return undefined;
}

/**
 * The text of a key-named literal when it is hex or plain text that spells the constant's own name
 * (`CWA_ENCRYPTION_KEY = "4357412d454e4352595054494f4e2d4b4559"`, hex of `CWA-ENCRYPTION-KEY`):
 * a label a published protocol hashes together with the real input to keep its keys apart
 * (domain separation), readable in the protocol's specification, never a secret. Letters and
 * digits compared without case or separators; a key that only mentions its name
 * (`"MyEncryptionKey2024!"`) is not one.
 */
function selfNamingLabel(name: string, value: string): string | undefined {
  const text = /^(?:[0-9a-fA-F]{2}){6,}$/.test(value) ? Buffer.from(value, 'hex').toString('latin1') : value;
  if (!/^[A-Za-z0-9 _.:/-]+$/.test(text)) return undefined;
  const normal = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  return normal(text) === normal(name) && normal(name).length >= 6 ? text : undefined;
}

/**
 * True when a line of `text` other than the name's declaration mixes the name with another value
 * and hashes the result (`CWA_KEY.plus(id.toByteArray()).toSHA256()`, `sha256(LABEL + id)`,
 * `digest.update(LABEL)`, HKDF's info): the literal is one input of a key derivation.
 */
function hashedWithOtherInput(name: string, text: string): boolean {
  const escaped = name.replace(/[$]/g, '\\$');
  const use = new RegExp(
    String.raw`^(?=[^\n]*(?:sha-?(?:1|224|256|384|512)|digest|hkdf|hmac|pbkdf2?|hash))[^\n]*(?:\b${escaped}\s*(?:\.\s*plus\s*\(|\+|,)|(?:\+|\bupdate\s*\(|\(|,)\s*${escaped}\b)`,
    'gim',
  );
  return use.test(text);
}

function keyLiteral(
  ruleId: RuleId,
  value: string,
  what: string,
  extra: Partial<CodeVerdict> = {},
): CodeVerdict | undefined {
  if (PLACEHOLDER.test(value)) return undefined;
  return {
    ruleId,
    message: what,
    evidence: redact(value, 0),
    key: `${ruleId}:${value}`,
    ...extra,
    ...(SAYS_NOT_A_KEY.test(value)
      ? {
          severity: 'medium' as const,
          message: `${what} (medium: the literal says it is no secret, ${JSON.stringify(value)}: a fixed value a protocol's other side knows too, as a JWT's HMAC key that only carries a token the server checks otherwise; check that nothing relies on it)`,
        }
      : {}),
  };
}

/**
 * A key literal whose words say it is not used as a secret (`"notused"`, `"unused"`,
 * `"not-a-secret"`, `"ignored"`, `"irrelevant"`): a constant a protocol requires and its other
 * side knows (Element signs a Jitsi JWT with Prosody's documented key `notused`; the JWT carries
 * an OpenID token the server verifies with the homeserver). A key chosen as a secret, weak or
 * not, does not call itself unused.
 */
const SAYS_NOT_A_KEY =
  /^(?:not?[-_ ]?used|unused|ignored?|irrelevant|not?[-_ ]?(?:a[-_ ]?)?secret|no[-_ ]?key|not?[-_ ]?(?:a[-_ ]?)?key)$/i;

/** A host name verifier that accepts every host, medium when the same file pins certificates. */
function hostnameVerdict(m: RegExpExecArray, text: string): CodeVerdict {
  return {
    ruleId: 'network-hostname-verification-off',
    message: `${m[0].replace(/\s+/g, ' ').slice(0, 60)}: any host name is accepted, so any valid certificate passes for your server`,
    key: 'hostname',
    // A file that pins the server's keys (OkHttp's CertificatePinner, a pinning trust manager,
    // pinned SPKI hashes): only a pinned certificate passes, whatever its name. Medium: the pins,
    // not the code here, decide whether that holds.
    ...(PINS.test(text)
      ? {
          severity: 'medium' as const,
          message: `${m[0].replace(/\s+/g, ' ').slice(0, 60)}: any host name is accepted; the same file pins certificates, which then alone decide`,
        }
      : {}),
  };
}

/**
 * Helpers of a file that turn their one string parameter into a key: a Java method or Kotlin
 * function taking a `String` whose body (its first 800 characters) gives the parameter's bytes or
 * characters to `SecretKeySpec` or `PBEKeySpec` (`SecretKeySpec generateKey(String secretKey) {
 * … secretKey.getBytes("UTF-8") … new SecretKeySpec(key, "AES")`). A literal given to one is the
 * key, hashed or not. Read once a file, as {@link assignedTo} is.
 */
function keyHelpers(text: string): Set<string> {
  if (helperText === text) return helpers;
  helperText = text;
  helpers = new Set();
  for (const m of text.matchAll(KEY_HELPER)) {
    const name = (m[2] ?? m[4]) as string;
    const param = ((m[3] ?? m[5]) as string).replace(/\$/g, '\\$');
    if (param.length > 64) continue;
    const body = text.slice((m.index as number) + m[0].length, (m.index as number) + m[0].length + 800);
    if (
      /\b(?:SecretKeySpec|PBEKeySpec)\s*\(/.test(body) &&
      new RegExp(String.raw`\b${param}\s*\.\s*(?:getBytes|toByteArray|toCharArray|encodeToByteArray)\b`).test(
        body,
      )
    )
      helpers.add(name);
  }
  return helpers;
}

let helperText = '';
let helpers = new Set<string>();

/**
 * A Java method or a Kotlin function with one `String` parameter: name and parameter. The return
 * type is matched atomically and from its start only (as {@link ASSIGNMENT}'s type), so a long run
 * of name characters is read once, not from each of its characters.
 */
const KEY_HELPER =
  /(?<![\w<>[\]])(?=([\w<>[\]]+))\1\s+([a-zA-Z_]\w*)\s*\(\s*(?:final\s+)?String\s+([a-zA-Z_]\w*)\s*\)\s*(?:throws\s[^{;]{1,200})?\{|\bfun\s+([a-zA-Z_]\w*)\s*\(\s*([a-zA-Z_]\w*)\s*:\s*String\s*\)/g;

/**
 * What a name is assigned in a file, by a regex for that name (`NSString *key = @"…"`,
 * `char key[] = "…"`, `final key = '…'`): declarations with C pointers and array brackets, which
 * {@link ASSIGNMENT} does not take. The first assignment, up to the end of its statement. At most
 * 16 names a file are looked up, so a crafted file of many XORs costs 16 reads of it, not one a
 * name.
 */
function assignmentOfName(name: string, text: string): string | undefined {
  if (namedText !== text) {
    namedText = text;
    named = new Map();
  }
  if (named.has(name)) return named.get(name);
  // A name is put in a regex: a crafted one of 300,000 letters would not compile.
  if (named.size >= 16 || name.length > 64) return undefined;
  const m = new RegExp(
    String.raw`(?<![\w$.])${name.replace(/\$/g, '\\$')}\s*(?:\[[^\]\n]{0,8}\])?\s*(?::\s*[\w<>?.[\]]+\s*)?=(?!=)\s*([^;\n]{1,300})`,
  ).exec(text);
  named.set(name, m?.[1]);
  return m?.[1];
}

let namedText = '';
let named = new Map<string, string | undefined>();

/**
 * Words that turn a string into bytes or characters (`"k".getBytes()`, `Array("k".utf8)`,
 * `[@"k" dataUsingEncoding:NSUTF8StringEncoding]`, `utf8.encode('k')`, C casts): an expression
 * made only of these and one string literal is that literal's bytes.
 */
const TO_BYTES = new Set([
  'getBytes',
  'toByteArray',
  'toCharArray',
  'encodeToByteArray',
  'Charsets',
  'StandardCharsets',
  'UTF_8',
  'US_ASCII',
  'utf8',
  'utf8String',
  'UTF8String',
  'data',
  'using',
  'dataUsingEncoding',
  'NSUTF8StringEncoding',
  'NSASCIIStringEncoding',
  'bytes',
  'cString',
  'cStringUsingEncoding',
  'Array',
  'UInt8',
  'Int8',
  'CChar',
  'encode',
  'Uint8List',
  'fromList',
  'codeUnits',
  'unsigned',
  'signed',
  'char',
  'const',
  'uint8_t',
  'byte',
  'new',
  'String',
]);

/** The literal an expression is the bytes of (quoted as Java, Objective-C or Dart quote), or undefined. */
function bytesOfLiteral(expr: string): string | undefined {
  // An array of character literals (`char key[5] = {'M', 'A', 'D'}`): a string spelled out.
  const chars = /^\s*\{\s*('(?:[^'\\\n]|\\.)'(?:\s*,\s*'(?:[^'\\\n]|\\.)')+)\s*,?\s*\}/.exec(expr);
  if (chars !== null) {
    const value = [...(chars[1] as string).matchAll(/'((?:[^'\\\n]|\\.))'/g)].map((c) => c[1]).join('');
    return value.length >= 3 ? value : undefined;
  }
  const lit = /@?"((?:[^"\\\n]|\\.){3,256})"|'((?:[^'\\\n]|\\.){3,256})'/.exec(expr);
  if (lit === null) return undefined;
  const value = (lit[1] ?? lit[2]) as string;
  if (/\$|\\\(/.test(value)) return undefined;
  const rest = expr.slice(0, lit.index) + expr.slice(lit.index + lit[0].length);
  if (/["']/.test(rest)) return undefined;
  for (const id of rest.matchAll(/[A-Za-z_$][\w$]*/g)) if (!TO_BYTES.has(id[0])) return undefined;
  return value;
}

/**
 * The string literal behind the operand of an XOR, followed one step: the operand's own
 * assignment is a literal's bytes (`key = "…".getBytes()`, `Array("…".utf8)`), or it is the bytes
 * of one name that is (`pBytesKey = [[key dataUsingEncoding:…] bytes]` with `key = @"…"`).
 */
function xorKeyLiteral(operand: string, text: string): string | undefined {
  const expr = assignmentOfName(operand, text);
  if (expr === undefined) return undefined;
  const direct = bytesOfLiteral(expr);
  if (direct !== undefined) return direct;
  const names = [...expr.matchAll(/[A-Za-z_$][\w$]*/g)].map((id) => id[0]).filter((id) => !TO_BYTES.has(id));
  if (names.length !== 1 || names[0] === operand) return undefined;
  const inner = assignmentOfName(names[0] as string, text);
  return inner === undefined ? undefined : bytesOfLiteral(inner.trim());
}

/**
 * True when every AFSecurityPolicy (AFNetworking) the file makes pins public keys or certificates
 * (`policyWithPinningMode:AFSSLPinningModePublicKey`, Swift `pinningMode: .certificate`) and none
 * trusts the system's CAs alone (made with `AFSSLPinningModeNone` or `defaultPolicy`; a mere
 * comparison with `AFSSLPinningModeNone`, as Seafile's `policy.SSLPinningMode !=
 * AFSSLPinningModeNone`, makes none). Such a policy accepts a
 * server only when its key or certificate is among the pinned ones, and refuses every server when
 * none is pinned, so `allowInvalidCertificates` there lets a self-signed certificate the app
 * pinned pass (trust on first use) and `validatesDomainName` off leaves the name to the pin: weaker
 * than a CA check plus a pin, far from trusting every certificate.
 */
function pinningPolicyOnly(text: string): boolean {
  return (
    /\bAFSSLPinningMode(?:PublicKey|Certificate)\b|\bpinningMode:\s*\.(?:publicKey|certificate)\b/.test(
      text,
    ) &&
    !/\bpolicyWithPinningMode:\s*AFSSLPinningModeNone\b|\bSSLPinningMode\s*=\s*AFSSLPinningModeNone\b|\bpinningMode:\s*\.none\b|\bdefaultPolicy\b/.test(
      text,
    )
  );
}

/** A Dart name's string literal (`const _key = 'k'`, `final String iv = "…"`), or undefined. */
function dartLiteralOf(name: string, text: string): string | undefined {
  const expr = assignmentOfName(name, text)?.trim();
  const lit = expr === undefined ? null : new RegExp(String.raw`^${DART_LITERAL}\s*$`).exec(expr);
  return lit === null ? undefined : ((lit[1] ?? lit[2]) as string);
}

/**
 * What makes a JVM class take its arguments from web content: a Cordova plugin (`extends
 * CordovaPlugin`, `CordovaArgs`), a Capacitor plugin (`PluginCall`), a React Native module
 * (`@ReactMethod`) or a WebView's `@JavascriptInterface`.
 */
const WEB_BRIDGE =
  /\bextends\s+CordovaPlugin\b|\bCordovaArgs\b|\bPluginCall\b|@ReactMethod\b|@JavascriptInterface\b/;

/**
 * A file of database migrations (Room's `Migration(1, 2)` / `: Migration`, a `migrate(db)`
 * method, SQLiteOpenHelper's `onUpgrade`): the values it splices into SQL are read from the app's
 * own tables or settings, not from outside.
 */
const DATABASE_MIGRATION =
  /\b(?:extends|:)\s*Migration\b|\bMigration\s*\(|\b(?:fun|void)\s+migrate\s*\(|\bonUpgrade\s*\(/;

/**
 * A SecretKeySpec for an HMAC (`SecretKeySpec("LOKI".toByteArray(), "HmacSHA256")`) in a function
 * that also runs a key agreement (`calculateAgreement`, `KeyAgreement`, `generateSecret`, an ECDH
 * shared secret) within 400 characters: the MAC derives a key from the shared secret, and its
 * constant key is a label (a salt), as Signal-protocol code writes HKDF.
 */
function isKdfLabel(m: RegExpExecArray, text: string): boolean {
  const at = m.index as number;
  const call = text.slice(at, at + 200);
  if (!/^SecretKeySpec\([^;\n]*,\s*"Hmac/i.test(call)) return false;
  const around = text.slice(Math.max(0, at - 400), at + 400);
  return /calculateAgreement|KeyAgreement|generateSecret|sharedSecret|shared_secret|ecdh/i.test(around);
}

let budgetText = '';
const budgets = new Map<string, number>();

/**
 * True while a file has used fewer than `limit` look-ups of one kind that read the whole file
 * again (a declaration searched by name): a crafted source with thousands of call sites would
 * otherwise take time quadratic in its size. Real files make a handful.
 */
function withinBudget(text: string, kind: string, limit = 64): boolean {
  if (budgetText !== text) {
    budgetText = text;
    budgets.clear();
  }
  const used = budgets.get(kind) ?? 0;
  budgets.set(kind, used + 1);
  return used < limit;
}

/**
 * How the Intents of a file are made, read once a file: each name given `Intent(…)` with its
 * arguments, and what is done to it afterwards (`setAction`, `action =`, `setPackage`,
 * `component =`, flags, extras). A regex per intent would read the file once per call site.
 */
interface IntentFacts {
  made: Map<string, { at: number; args: string }[]>;
  ops: Map<string, { at: number; op: string; arg: string }[]>;
}

const INTENT_DECL =
  /\b([A-Za-z_]\w*)\s*(?::\s*Intent\??\s*)?=\s*(?:new\s+)?Intent\s*\(([^()\n]{0,200}(?:\([^()\n]{0,100}\)[^()\n]{0,100})?)\)/g;

const INTENT_OP =
  /\b([A-Za-z_]\w*)\s*(?:\?|!!)?\s*\.\s*(setAction|action|setPackage|package|`package`|setComponent|component|setClass|setClassName|setFlags|addFlags|flags|putExtra)\b\s*(?:=(?!=)\s*|\(\s*)([^\n;]{0,200})/g;

let intentText = '';
let intentFacts: IntentFacts = { made: new Map(), ops: new Map() };

function intentsOf(text: string): IntentFacts {
  if (intentText === text) return intentFacts;
  intentText = text;
  intentFacts = { made: new Map(), ops: new Map() };
  for (const m of text.matchAll(INTENT_DECL)) {
    const list = intentFacts.made.get(m[1] as string) ?? [];
    if (list.length < 64) list.push({ at: m.index as number, args: (m[2] as string).trim() });
    intentFacts.made.set(m[1] as string, list);
  }
  for (const m of text.matchAll(INTENT_OP)) {
    const name = m[1] as string;
    if (!intentFacts.made.has(name)) continue;
    const list = intentFacts.ops.get(name) ?? [];
    if (list.length < 256) list.push({ at: m.index as number, op: m[2] as string, arg: m[3] as string });
    intentFacts.ops.set(name, list);
  }
  return intentFacts;
}

/** The intent `name` as sent at `at`: its last making before, and what was done to it in between. */
function intentAt(
  name: string,
  at: number,
  facts: IntentFacts,
): { args: string; ops: { op: string; arg: string }[] } | undefined {
  const made = (facts.made.get(name) ?? []).filter((d) => d.at < at).pop();
  if (made === undefined) return undefined;
  return { args: made.args, ops: (facts.ops.get(name) ?? []).filter((o) => o.at > made.at && o.at < at) };
}

/**
 * The intent `name` holds at `at` when a helper of the same file made it (`val intent =
 * makeLogInIntent()`): the first intent the helper returns by name that has an action of its own,
 * as made and changed in the helper's body (its first 1,500 characters).
 */
function madeByHelper(
  name: string,
  at: number,
  facts: IntentFacts,
  text: string,
): { args: string; ops: { op: string; arg: string }[] } | undefined {
  const before = text.slice(Math.max(0, at - 2000), at);
  const escaped = name.replace(/\$/g, '\\$');
  const call = [
    ...before.matchAll(
      new RegExp(String.raw`\b${escaped}\s*(?::\s*Intent\??\s*)?=\s*([A-Za-z_]\w*)\s*\(`, 'g'),
    ),
  ].pop();
  const helper = call?.[1];
  if (helper === undefined || helper === 'Intent' || !withinBudget(text, 'intent-helper')) return undefined;
  const def = new RegExp(String.raw`\b(?:fun|Intent)\s+${helper}\s*\(`).exec(text);
  if (def === null) return undefined;
  const start = def.index;
  const body = text.slice(start, start + 1500);
  for (const r of body.matchAll(/\breturn\s+([A-Za-z_]\w*)\b/g)) {
    const intent = intentAt(r[1] as string, start + (r.index as number), facts);
    if (intent !== undefined && ownAction(intent, text) !== undefined) return intent;
  }
  return undefined;
}

/** Actions of the platform and of other apps' published APIs: meant to be answered by whichever app the user picks. */
const PLATFORM_ACTION = /^(?:android|com\.android|com\.google\.android|androidx)\./;

/** Extras whose name says they carry a credential. */
const CREDENTIAL_EXTRA = /pass(?:word|wd|code)?|secret|token|\bpin\b|otp|credential|cookie|private[-_]?key/i;

/** An extra whose name ends in a word that says it holds a name, an id or a setting about the credential, not the credential. */
const ABOUT_A_CREDENTIAL =
  /(?:id|ids|name|type|endpoint|url|uri|action|count|length|enabled|required|hint)$/i;

/**
 * The action of an intent made in this file, when it is the app's own: a literal that is not the
 * platform's, or a constant of this file holding one, or an unqualified constant of another file
 * whose name is not the platform's `ACTION_…` (imported from `Intent` in Kotlin). `undefined`
 * when the intent names its component or the action is the platform's or unknown.
 */
function ownAction(
  intent: { args: string; ops: { op: string; arg: string }[] },
  text: string,
): string | undefined {
  const { args, ops } = intent;
  if (
    ops.some((o) =>
      /^(?:setPackage|package|`package`|setComponent|component|setClass|setClassName)$/.test(o.op),
    )
  )
    return undefined;
  let action: string | undefined;
  if (args === '') action = ops.find((o) => o.op === 'setAction' || o.op === 'action')?.arg;
  else {
    // Intent(context, Target::class.java) and new Intent(context, Target.class) are explicit.
    if (/::\s*class\b|\.class\b/.test(args)) return undefined;
    action = args.split(',')[0];
  }
  if (action === undefined) return undefined;
  action = action.replace(/\)\s*$/, '').trim();
  const literal = literalOf(action, text);
  if (literal !== undefined) return PLATFORM_ACTION.test(literal.value) ? undefined : literal.value;
  if (!/^[A-Z][A-Z0-9_]*$/.test(action) || /^ACTION_/.test(action)) return undefined;
  return action;
}

/**
 * True when the call's receiver (the name just before `.sendBroadcast`) is declared in the file as
 * a LocalBroadcastManager or assigned its instance: `LocalBroadcastManager lbm =
 * LocalBroadcastManager.getInstance(this)`, `val lbm: LocalBroadcastManager`, `mLbm =
 * LocalBroadcastManager.getInstance(ctx)`. Its broadcasts stay in the process like the rest.
 */
function localManagerReceiver(before: string, text: string): boolean {
  const name = /([A-Za-z_][\w]*)\s*(?:\?|!!)?\s*\.\s*$/.exec(before)?.[1];
  if (name === undefined) return false;
  const declared = new RegExp(
    `\\bLocalBroadcastManager\\s+${name}\\b|\\b${name}\\s*(?::\\s*LocalBroadcastManager\\b|(?::[^=\\n]{0,80})?=\\s*(?:androidx\\.localbroadcastmanager\\.content\\.)?LocalBroadcastManager\\s*\\.\\s*getInstance\\b)`,
  );
  return declared.test(text);
}

/**
 * An implicit intent of the app's own action sent by `call` (MASTG-TEST-0026): any app can
 * declare the same filter and receive it. High when it carries what that app must not get: a
 * grant of URI permissions (read or write access to the app's private provider, DVMICC's URI
 * hijack) or an extra named as a credential; medium otherwise (a broadcast without a receiver
 * permission, an activity or service started by an action another app can also declare).
 */
function implicitIntentVerdict(m: RegExpExecArray, text: string): CodeVerdict | undefined {
  const call = m[1] as string;
  const before = text.slice(Math.max(0, (m.index as number) - 80), m.index);
  // LocalBroadcastManager's broadcasts stay in the process.
  if (/LocalBroadcastManager|[Ll]ocal\w*\s*(?:\?|!!)?\s*\.\s*$/.test(before)) return undefined;
  if (text.includes('LocalBroadcastManager') && localManagerReceiver(before, text)) return undefined;
  const broadcast = /Broadcast$/.test(call);
  const rest = m[3] as string;
  // A broadcast given a receiver permission (its second argument, not null) is guarded.
  if (broadcast && /^,\s*(?!null\b)[^\s)]/.test(rest)) return undefined;
  const name = m[2] as string;
  const facts = intentsOf(text);
  const intent =
    intentAt(name, m.index as number, facts) ?? madeByHelper(name, m.index as number, facts, text);
  if (intent === undefined) return undefined;
  const action = ownAction(intent, text);
  if (action === undefined) return undefined;
  const ops = intent.ops;
  const grant = ops.some(
    (o) => /Flags|flags/.test(o.op) && /FLAG_GRANT_(?:READ|WRITE|PERSISTABLE)_URI_PERMISSION/.test(o.arg),
  );
  const extra = ops
    .filter((o) => o.op === 'putExtra')
    .map((o) => /^\s*(@?"[^"\n]*"|[A-Za-z_][\w.]*)/.exec(o.arg)?.[1] ?? '')
    .map((k) => literalOf(k, text)?.value ?? k)
    .find((k) => CREDENTIAL_EXTRA.test(k) && !ABOUT_A_CREDENTIAL.test(k) && !PLATFORM_ACTION.test(k));
  const shown = action.slice(0, 80);
  const what = broadcast
    ? `${call}(${name}) sends an implicit broadcast of ${shown} without a receiver permission`
    : `${call}(${name}) sends an implicit intent of ${shown}`;
  if (grant)
    return {
      ruleId: 'android-implicit-intent',
      severity: 'high',
      message: `${what} that grants URI permissions: whichever app declares the action gets read or write access to the URI it carries`,
      key: `implicit-grant:${name}:${action}`,
    };
  if (extra !== undefined)
    return {
      ruleId: 'android-implicit-intent',
      severity: 'high',
      message: `${what} carrying the extra ${extra.slice(0, 60)}: any app that declares the action receives it`,
      key: `implicit-extra:${name}:${action}`,
    };
  return {
    ruleId: 'android-implicit-intent',
    message: broadcast
      ? `${what}: every app that registers for the action receives it and its extras`
      : `${what}: another app can declare the same intent filter and receive it (or be offered in the chooser) instead of yours`,
    key: `implicit:${name}:${action}`,
  };
}

/**
 * True when the method body that opens at `start` (just after its `{`) calls `proceed()` as one
 * of its own statements, unconditionally, and never `cancel()`. Only the first 3,000 characters
 * are read; a body longer than that is not judged.
 */
function proceedsAlways(text: string, start: number): boolean {
  let depth = 1;
  let statement = start;
  let found = false;
  const end = Math.min(text.length, start + 3000);
  for (let i = start; i < end; i++) {
    const c = text.charAt(i);
    if (c === '{' || c === '(') depth++;
    else if (c === '}' || c === ')') {
      depth--;
      if (depth === 0) return found;
    } else if (depth === 1 && c === ';') statement = i + 1;
    // A line break ends a statement unless a condition (`if (…)`, `else`) runs on to the next line.
    else if (depth === 1 && c === '\n' && !/(?:\)|\belse)\s*$/.test(text.slice(statement, i)))
      statement = i + 1;
    else if (text.startsWith('cancel(', i) && text.charAt(i - 1) === '.') return false;
    else if (depth === 1 && !found && text.startsWith('.proceed(', i)) {
      const head = text.slice(statement, i);
      found = !/\b(?:if|else|when|while|for)\b|->|\?:|\?\s*$/.test(head.replace(/\?\.?$/, ''));
    }
  }
  return false;
}

/**
 * The verdict on a Dart certificate callback, a lambda or a function: `m[1]` its parameters, `m[2]`
 * an arrow body, or its block body opening at `start`. Always true accepts every certificate;
 * true under a setting (`return !strictHttps`) accepts every certificate whenever the setting is
 * off, as a trust-all manager behind a user's switch does; a callback that looks at the
 * certificate or the host (a pinned fingerprint, a local host name) accepts only those: medium.
 */
function dartCallbackVerdict(
  what: string,
  m: RegExpExecArray,
  text: string,
  start: number,
): CodeVerdict | undefined {
  const body = m[2] ?? bodyFrom(text, start);
  if (body === undefined) return undefined;
  const accepts =
    m[2] !== undefined ? !/^\s*false\s*$/.test(m[2]) : /\breturn\s+(?!false\s*;)[^;]+;/.test(body);
  if (!accepts) return undefined;
  const params = (m[1] as string).split(',').map((p) => p.trim().split(/\s+/).pop() ?? '');
  const [cert = '', host = ''] = params;
  const looks =
    (cert !== '' && cert !== '_' && new RegExp(`\\b${cert}\\s*[.?]`).test(body)) ||
    (host !== '' && host !== '_' && new RegExp(`\\b${host}\\s*(?:==|!=|\\.)`).test(body)) ||
    /\blocalhost\b|127\.0\.0\.1|10\.0\.2\.2/.test(body);
  const always = m[2] !== undefined ? /^\s*true\s*$/.test(m[2]) : !/\breturn\s+(?!true\s*;)[^;]+;/.test(body);
  return {
    ruleId: 'network-trust-all-certificates',
    message: looks
      ? `${what} returns true for some certificates that fail validation, after looking at the certificate or the host: check that it accepts only a pinned certificate or a local host`
      : always
        ? `${what} returns true: every certificate is accepted, TLS can be intercepted`
        : `${what} returns true unless a setting says otherwise: every certificate is accepted whenever it is off`,
    key: `dart:${what}`,
    ...(looks ? { severity: 'medium' as const } : {}),
  };
}

/** The text of a body that opens at `start` (just after its `{`) up to its closing brace, within 2,000 characters. */
function bodyFrom(text: string, start: number): string | undefined {
  let depth = 1;
  const end = Math.min(text.length, start + 2000);
  for (let i = start; i < end; i++) {
    const c = text.charAt(i);
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(start, i);
  }
  return undefined;
}

/**
 * What a Swift expression giving key bytes comes from, when it is the code itself: a `[UInt8]`
 * literal of at least 16 bytes, `Data(base64Encoded: "…")` of a literal, `Data([…])`, or a name
 * assigned one of these, followed at most two steps back.
 */
function keyBytesInCode(expr: string, text: string, depth: number): string | undefined {
  const e = expr.replace(/\s+as\s+(?:CFData|NSData)\b.*$/, '').trim();
  if (/^Data\(\s*base64Encoded:\s*"[A-Za-z0-9+/=]{16,}"/.test(e)) return 'a Base64 literal';
  if (/^\[\s*(?:0x[0-9A-Fa-f]{1,2}\s*,\s*){15}/.test(e)) return 'a byte-array literal';
  const inner = /^(?:Data|\[UInt8\]|Array)\(\s*([^()]+)\)$/.exec(e);
  if (inner !== null) return depth < 3 ? keyBytesInCode(inner[1] as string, text, depth + 1) : undefined;
  if (!/^[A-Za-z_]\w*$/.test(e) || depth >= 3 || !withinBudget(text, 'key-bytes')) return undefined;
  const decl = new RegExp(String.raw`\b(?:let|var)\s+${e}\s*(?::\s*[\w<>?\[\]]+\s*)?=\s*`).exec(text);
  if (decl === null) return undefined;
  const value = text.slice(decl.index + decl[0].length, decl.index + decl[0].length + 400);
  if (/^\[\s*(?:0x[0-9A-Fa-f]{1,2}\s*,\s*){15}/.test(value)) return `${e}, a byte-array literal`;
  const call = /^(?:Data|\[UInt8\]|Array)\([^()\n]{1,160}\)/.exec(value);
  return call === null ? undefined : keyBytesInCode(call[0], text, depth + 1);
}

/** The verdict of ECB named in `Cipher.getInstance` (or a bare "AES", whose default is ECB). */
function ecbVerdict(m: RegExpExecArray): CodeVerdict {
  return {
    ruleId: 'crypto-ecb-mode',
    message: (m[1] as string).includes('/ECB')
      ? `Cipher.getInstance("${m[1]}"): ECB mode encrypts equal blocks to equal ciphertext`
      : `Cipher.getInstance("${m[1]}"): no mode given, so the provider's default, ECB`,
    evidence: m[1] as string,
    key: `ecb:${m[1]}`,
    // ECB without padding takes whole blocks only: the raw block operation that key derivations
    // (KeePass's AES-KDF), CMAC, key wraps and hand-built counter modes are made of, far more
    // often than a message's encryption. Medium: what is encrypted decides, and the code must
    // be read.
    ...(/\/ECB\/NoPadding$/i.test(m[1] as string)
      ? {
          severity: 'medium' as const,
          message: `Cipher.getInstance("${m[1]}"): ECB without padding, a raw block operation (key derivations, CMAC, key wraps are built on it); a message encrypted with it shows its equal blocks`,
        }
      : {}),
  };
}

/**
 * How many bytes of the ciphertext the code keeps, when the first `doFinal` after `from` (before
 * another `Cipher.getInstance`) is cut to at most one block from its start: `Arrays.copyOfRange(
 * c.doFinal(x), 0, 8)`, Kotlin's `c.doFinal(x).copyOf(8)`, or its result held in a variable then
 * copied out (`bb.put(out, 0, 8)`, `System.arraycopy(out, 0, r, 0, 8)`). A ciphertext so cut cannot
 * be decrypted: the cipher is used as a keyed function of one block (the challenge response of a
 * Bluetooth device, a key check value), where ECB shows no pattern.
 */
function firstBytesKept(text: string, from: number): number | undefined {
  let after = text.slice(from, from + 900);
  const next = after.indexOf('Cipher.getInstance');
  if (next >= 0) after = after.slice(0, next);
  const at = after.search(/\.doFinal\s*\(/);
  if (at < 0) return undefined;
  const head = after.slice(Math.max(0, at - 120), at + 200);
  const direct =
    /copyOf(?:Range)?\(\s*[\w.]+\.doFinal\s*\([^;]*?\)\s*,\s*(?:0\s*,\s*)?(\d{1,2})\s*\)/.exec(head) ??
    /\.doFinal\s*\([^;]*?\)\s*\.\s*(?:copyOfRange\(\s*0\s*,\s*|copyOf\(\s*|sliceArray\(\s*0\s*until\s*)(\d{1,2})\s*\)/.exec(
      head,
    );
  if (direct) return oneBlock(direct[1]);
  const held = /\b(\w+)\s*=\s*[\w.]+\.doFinal\s*\(/.exec(after.slice(Math.max(0, at - 80), at + 20));
  if (!held) return undefined;
  const name = held[1] as string;
  const rest = after.slice(at);
  const copied = new RegExp(
    `(?:\\.put|copyOfRange|arraycopy)\\(\\s*${name}\\s*,\\s*0\\s*,\\s*(?:[\\w.]+\\s*,\\s*0\\s*,\\s*)?(\\d{1,2})\\s*\\)|\\b${name}\\s*\\.\\s*(?:copyOfRange\\(\\s*0\\s*,\\s*|copyOf\\(\\s*)(\\d{1,2})\\s*\\)`,
  ).exec(rest);
  if (!copied) return undefined;
  // Any other use of the whole ciphertext (returned, sent, encoded) keeps every block.
  const uses = rest.match(new RegExp(`\\b${name}\\b`, 'g'))?.length ?? 0;
  return uses === 1 ? oneBlock(copied[1] ?? copied[2]) : undefined;
}

function oneBlock(count: string | undefined): number | undefined {
  const n = Number(count);
  return n >= 1 && n <= 16 ? n : undefined;
}

/**
 * Whether the file's `HostnameVerifier` pins the server's certificate: a `verify(…, SSLSession …)`
 * whose body reads the peer's certificate (`getPeerCertificates()`, `getPeerCertificateChain()`)
 * and compares something with `equals`, `contentEquals` or `==` (a hash of it with a constant).
 */
function pinningHostnameVerifier(text: string): boolean {
  for (const v of text.matchAll(
    /\bverify\s*\([^)]{0,200}\bSSLSession\b[^)]{0,40}\)\s*(?::\s*Boolean\s*)?\{/g,
  )) {
    const body = bodyFrom(text, (v.index as number) + v[0].length);
    if (body === undefined) continue;
    if (
      /\bgetPeerCertificate(?:s|Chain)\s*\(/.test(body) &&
      /\.(?:equals|contentEquals)\s*\(|==\s*(?!null\b)[A-Za-z_"]/.test(body)
    )
      return true;
  }
  return false;
}

/**
 * A comment on the 3 lines above `at` telling the reader to put their own value there: `// Per
 * user key, make sure to change it according to your system`, `# replace this with your own key`,
 * `// use your own secret`. The literal is a stand-in in a sample or a tool the reader runs; the
 * developer's word lowers the finding to medium, it does not drop it.
 */
const SAID_TO_REPLACE =
  /(?:\/\/|#|\/\*|^[ \t]*\*)[^\n]*?\b(?:(?:change|replace|set)\s+(?:it|this|them|the\s+\w+\s+)?\s*(?:to|with|according\s+to|for)\s+your|(?:use|put|insert|enter)\s+your\s+own|your\s+own\s+(?:key|secret|value))\b/im;

function saidToReplace(text: string, at: number): boolean {
  const before = text.slice(Math.max(0, at - 400), at);
  let from = before.length;
  for (let n = 0; n < 4 && from > 0; n++) from = before.lastIndexOf('\n', from - 1);
  return SAID_TO_REPLACE.test(before.slice(Math.max(0, from)));
}

/**
 * An object logged whole (`NSLog(@"user saved: %@", user.description)`, `Log.d(TAG, "" + user)`)
 * whose secret field was set in the 1,500 characters before the call (`user[@"password"] =
 * field.text`, `user.password = pw`): its description prints the secret with the rest.
 */
function loggedWithSecretField(args: string, text: string, at: number): string | undefined {
  const before = text.slice(Math.max(0, at - 1500), at);
  for (const o of args.matchAll(
    /(?:[,+(]|%@"\s*,)\s*\[?\s*([A-Za-z_]\w*)(?:\s*\.\s*(?:description|debugDescription)|\s+(?:description|debugDescription)\s*\])?\s*(?=[,)+]|$)/g,
  )) {
    // The current object (`this`, `self`) is described by its class, whose fields are not all set here.
    if (/^(?:this|self|super)$/.test(o[1] as string)) continue;
    const name = (o[1] as string).replace(/\$/g, '\\$');
    const set = new RegExp(
      String.raw`\b${name}\s*(?:\[\s*@?"([^"\n]{1,60})"\s*\]|\.\s*([A-Za-z_]\w*))\s*=(?!=)|\[\s*${name}\s+setObject:[^\]\n]{1,200}forKey:\s*@"([^"\n]{1,60})"`,
      'g',
    );
    for (const f of before.matchAll(set)) {
      const field = (f[1] ?? f[2] ?? f[3]) as string;
      if (secretNamed(field) !== undefined) return `${o[1]} (its ${field} set just before)`;
    }
  }
  return undefined;
}

const CODE_RULES: readonly CodeRule[] = [
  {
    // An implicit intent of the app's own action (a custom action, no package or component).
    langs: ['jvm'],
    needs: ['sendBroadcast', 'sendOrderedBroadcast', 'startService', 'startActivity', 'bindService'],
    pattern:
      /\b(sendBroadcast|sendOrderedBroadcast|startService|startForegroundService|startActivity|startActivityForResult|bindService)\s*\(\s*([A-Za-z_]\w*)\s*([,)][^\n;]{0,80})/g,
    check: implicitIntentVerdict,
  },
  {
    // A string literal (or its Base64/hex decoding) given to SecretKeySpec (or DESKeySpec,
    // DESedeKeySpec): the key is in the app.
    langs: ['jvm'],
    needs: ['SecretKeySpec', 'DESKeySpec', 'DESedeKeySpec'],
    pattern: new RegExp(
      String.raw`\b(?:SecretKeySpec|DESKeySpec|DESedeKeySpec)\(\s*(?:[\w.]*(?:Base64|Hex)[\w.]*\.decode\w*\(\s*)?${LITERAL}`,
      'g',
    ),
    check: (m, text) => {
      const verdict = keyLiteral(
        'crypto-hardcoded-key',
        m[1] as string,
        `string literal used as a ${/^\w+/.exec(m[0])?.[0] ?? 'SecretKeySpec'} key`,
      );
      if (verdict === undefined || !isKdfLabel(m, text)) return verdict;
      return {
        ...verdict,
        severity: 'medium',
        message: `${verdict.message} (medium: an HMAC keyed by a constant over a key agreement's output is a key derivation, HKDF-Extract with a fixed salt; the label is public, the derived key is not in the app)`,
      };
    },
  },
  {
    // A byte-array literal given to SecretKeySpec.
    langs: ['jvm'],
    needs: ['SecretKeySpec'],
    pattern: /SecretKeySpec\(\s*(?:new\s+byte\s*\[\s*\]\s*\{|byteArrayOf\()\s*([^)}]{8,400})[)}]/g,
    check: (m) =>
      keyLiteral(
        'crypto-hardcoded-key',
        (m[1] as string).replace(/\s+/g, ''),
        'byte-array literal used as a SecretKeySpec key',
      ),
  },
  {
    // CryptoKit: SymmetricKey(data: "…".data(using:)) / Data("…".utf8) / [UInt8]("…".utf8).
    langs: ['swift'],
    needs: ['SymmetricKey'],
    pattern: new RegExp(
      String.raw`SymmetricKey\(\s*data:\s*(?:(?:Data|Array|\[UInt8\])\(\s*)?${LITERAL}`,
      'g',
    ),
    check: (m) =>
      keyLiteral('crypto-hardcoded-key', m[1] as string, 'string literal used as a CryptoKit SymmetricKey'),
  },
  {
    // A private key made from bytes of the code: CryptoKit's `P256.Signing.PrivateKey(
    // rawRepresentation: data)` and its kin, or Security's `SecKeyCreateWithData(data, …)` for a
    // private key class, with `data` a byte-array literal or `Data(base64Encoded: "…")`, in place
    // or one or two assignments back (`let data = Data(bytes)`, `let bytes: [UInt8] = [0x30, …]`).
    langs: ['swift'],
    needs: ['PrivateKey(', 'SecKeyCreateWithData'],
    pattern:
      /\b(?:(?:P256|P384|P521|Curve25519)\s*\.\s*(?:Signing|KeyAgreement)\s*\.\s*PrivateKey\s*\(\s*(?:rawRepresentation|derRepresentation|x963Representation)\s*:|SecKeyCreateWithData\s*\()\s*([^,()\n]{1,120}(?:\([^()\n]{0,160}\))?)/g,
    check: (m, text) => {
      const security = m[0].startsWith('SecKey');
      if (security && !/kSecAttrKeyClassPrivate/.test(text)) return undefined;
      const from = keyBytesInCode(m[1] as string, text, 0);
      if (from === undefined) return undefined;
      return {
        ruleId: 'crypto-hardcoded-key',
        message: `private key from ${from} given to ${security ? 'SecKeyCreateWithData' : 'CryptoKit'}: whoever unpacks the app signs or decrypts as it`,
        key: `swift-private-key:${m[1]}`,
      };
    },
  },
  {
    // CommonCrypto: CCCrypt(op, alg, options, key, …) with a literal key (its fourth argument).
    langs: ['swift', 'objc', 'c'],
    needs: ['CCCrypt'],
    pattern: new RegExp(
      String.raw`\bCCCrypt\(\s*[^,()]{1,120},\s*[^,()]{1,120},\s*[^,()]{1,120},\s*${LITERAL}`,
      'g',
    ),
    check: (m) => keyLiteral('crypto-hardcoded-key', m[1] as string, 'string literal used as a CCCrypt key'),
  },
  {
    // A literal under a key's name: `AES_KEY = "…"`, `encryptionKey = "…"`, `char key[] = "…"`,
    // and a plain `KEY`/`key` when the literal has an AES key's length.
    langs: ['jvm', 'swift', 'objc', 'c'],
    needs: ['key', 'Key', 'KEY'],
    // Anchored on the `key` that ends the name, whose start is then found by walking back: a
    // leading `[A-Za-z0-9_]*` was tried from every word of every file, and backtracked over each
    // (a fifth of the scan of 100 MB of Android sources).
    pattern: new RegExp(
      String.raw`(?:key|Key|KEY)\s*(?:\[[^\]\n]{0,8}\])?\s*(?::\s*[\w<>?.\[\]]+\s*)?=\s*(?:\(\s*\w+\s*\*?\s*\)\s*)?${LITERAL}`,
      'g',
    ),
    check: (m, text, source) => {
      const name = wordEndingAt(text, m.index + 3);
      const value = m[1] as string;
      const normal = name.toLowerCase().replace(/[_-]/g, '');
      // The crypto word is a word of the name, not the end of another (`NucleotidesKey` is a
      // JSON field's key, not a DES key): the last word, or the last two, make the whole match.
      const words = identifierWords(name);
      const tail = [words.slice(-1).join(''), words.slice(-2).join('')];
      // `key`, and the prefixes of naming conventions: kKey, sKey, mKey.
      const plain = /^[ksm]?key$/.test(normal);
      // Built at run time from a template (`"$accountUuid.$identityKey"`, `"\(id).key"`), or a
      // name about a key, not the key (`HKDF_INFO_MAIN_ENCRYPTION_KEY`, `KEY_ALIAS`'s kin).
      if (/\$\{|\$[A-Za-z_]|\\\(/.test(value)) return undefined;
      if (identifierWords(name).some((w) => ABOUT_A_KEY.has(w))) return undefined;
      if (tail.some((t) => CRYPTO_KEY_WORDS.test(t))) {
        if (looksLikeIdentifier(value) || value.length < 6) return undefined;
      } else if (plain) {
        if (!KEY_LENGTHS.has(value.length) || looksLikeIdentifier(value)) return undefined;
        // A sentence of a key's length is a key only when the file turns the name into key
        // bytes and has a key API: found by its use.
        if (/\s/.test(value) && !usedAsKeyBytes(name, text)) return undefined;
      } else {
        return undefined;
      }
      const label = selfNamingLabel(name, value);
      if (label !== undefined && hashedWithOtherInput(name, text))
        return keyLiteral('crypto-hardcoded-key', value, `literal assigned to ${name.slice(0, 60)}`, {
          lowered: `a label that spells its own name ("${label}"), not key material: a public domain-separation constant, mixed with other input`,
        });
      if (usedWithCipher(name, text))
        return keyLiteral(
          'crypto-hardcoded-key',
          value,
          `literal assigned to ${name.slice(0, 60)}, used as a key`,
          saidToReplace(source, m.index)
            ? {
                severity: 'medium',
                message: `literal assigned to ${name.slice(0, 60)}, used as a key (medium: the comment above says to put one’s own value here; check that no build ships this one)`,
              }
            : {},
        );
      return keyLiteral(
        'crypto-hardcoded-key',
        value,
        `literal assigned to ${name.slice(0, 60)} (medium: named as a key, but this file gives it to no cipher, MAC or key API, so it may as well be a map key, a preference name or a label)`,
        { severity: 'medium' },
      );
    },
  },
  {
    // A string constant XORed into data as a key (`input.charAt(i) ^ secret.charAt(i % n)`):
    // the "encryption" of every request is undone by whoever reads the constant.
    langs: ['jvm'],
    needs: ['charAt'],
    pattern: /\^\s*(?:\(\s*\w+\s*\)\s*)?([A-Za-z_$][\w$]*)\s*\.\s*charAt\s*\(/g,
    check: (m, text) => {
      const literal = literalOf(m[1] as string, text);
      if (literal === undefined || literal.value.length < 3) return undefined;
      return keyLiteral(
        'crypto-hardcoded-key',
        literal.value,
        `constant ${literal.name.slice(0, 60)} (a string literal) used as an XOR key`,
      );
    },
  },
  {
    // A literal given to a helper of the same file that makes it the key
    // (`SecretKeySpec key = generateKey("secretKey")`, the helper hashing its parameter into a
    // `SecretKeySpec`): the key is in the app, one call away from the cipher.
    langs: ['jvm'],
    needs: ['SecretKeySpec', 'PBEKeySpec'],
    pattern: new RegExp(String.raw`(?<![\w$.])([a-zA-Z_]\w*)\(\s*${LITERAL}\s*\)`, 'g'),
    check: (m, text) => {
      const value = m[2] as string;
      if (value.length < 3 || !keyHelpers(text).has(m[1] as string)) return undefined;
      return keyLiteral(
        'crypto-hardcoded-key',
        value,
        `string literal given to ${String(m[1]).slice(0, 60)}(), which makes it the SecretKeySpec key`,
      );
    },
  },
  {
    // An XOR of data with the bytes of a string constant, in any language the code rules read
    // (`c = input[v] ^ keyBytes[k]`, `key[i % n] ^ b`, `s.codeUnitAt(i) ^ k.codeUnitAt(j)` in
    // Dart): a hand-made cipher whose key is in the app. Java's `charAt` form is the rule above.
    langs: ['jvm', 'swift', 'objc', 'c', 'dart'],
    needs: [' ^ ', ' ^='],
    pattern:
      /(?<![\w$])([A-Za-z_$][\w$]*)\s*\[[^\]\n]{1,60}\]\s*(?=\^)|\^=?\s*(?:\(\s*[\w ]+\s*\*?\s*\)\s*)?([A-Za-z_$][\w$]*)\s*(?:\.\s*codeUnitAt\s*\(|\[)/g,
    check: (m, text) => {
      const operand = (m[1] ?? m[2]) as string;
      if (operand.length > 64) return undefined;
      // `out[i] = out[i] ^ key[j]`: the operand the statement writes back to is the data.
      if (
        m[1] !== undefined &&
        new RegExp(String.raw`(?<![\w$.])${operand.replace(/\$/g, '\\$')}\s*\[[^\]\n]{1,60}\]\s*=\s*$`).test(
          text.slice(Math.max(0, m.index - 120), m.index),
        )
      )
        return undefined;
      const value = xorKeyLiteral(operand, text);
      if (value === undefined) return undefined;
      return keyLiteral(
        'crypto-hardcoded-key',
        value,
        `${operand.slice(0, 60)} (the bytes of a string literal) used as an XOR key`,
      );
    },
  },
  {
    // Dart's `encrypt` package and PointyCastle: a key from a literal (`Key.fromUtf8('…')`,
    // `Key.fromBase64(_key)` with `const _key = '…'`, `KeyParameter(utf8.encode('…'))`).
    langs: ['dart'],
    needs: ['Key.from', 'KeyParameter', 'Key(utf8', 'Key(Uint8List'],
    pattern: new RegExp(
      String.raw`\b(?:Key\.from(?:Utf8|Base64|Base16)\(\s*|(?:Key|KeyParameter)\(\s*(?:Uint8List\.fromList\(\s*)?utf8\.encode\(\s*)(?:${DART_LITERAL}|([A-Za-z_$][\w$]*)\s*\))`,
      'g',
    ),
    check: (m, text) => {
      const value = m[1] ?? m[2] ?? (m[3] === undefined ? undefined : dartLiteralOf(m[3], text));
      if (value === undefined || value.length < 3 || /\$/.test(value)) return undefined;
      return keyLiteral(
        'crypto-hardcoded-key',
        value,
        m[3] === undefined
          ? 'string literal used as a cipher key (Dart encrypt / PointyCastle)'
          : `constant ${m[3].slice(0, 60)} (a string literal) used as a cipher key (Dart encrypt / PointyCastle)`,
      );
    },
  },
  {
    // Dart's `encrypt` package: an IV from a literal (`IV.fromUtf8('…')`, a constant) or all
    // zeros (`IV.fromLength(16)`, which fills it with zeros since encrypt 5, `IV.allZerosOfLength`,
    // `IV(Uint8List(16))`): the same IV for every message.
    langs: ['dart'],
    needs: ['IV.from', 'IV.allZeros', 'IV(Uint8List('],
    pattern: new RegExp(
      String.raw`\bIV\.from(?:Utf8|Base64|Base16)\(\s*(?:${DART_LITERAL}|([A-Za-z_$][\w$]*)\s*\))|\b(IV\.fromLength\(\s*\d+\s*\)|IV\.allZerosOfLength\(|IV\(\s*Uint8List\(\s*\d+\s*\)\s*\))`,
      'g',
    ),
    check: (m, text) => {
      if (m[4] !== undefined)
        return {
          ruleId: 'crypto-static-iv',
          message: `${m[4].replace(/\s+/g, '').slice(0, 40)}: an all-zero IV, the same for every message`,
          key: `iv:${m[4].replace(/\s+/g, '')}`,
        };
      const value = m[1] ?? m[2] ?? (m[3] === undefined ? undefined : dartLiteralOf(m[3], text));
      if (value === undefined || /\$/.test(value)) return undefined;
      return {
        ruleId: 'crypto-static-iv',
        message: 'literal IV given to the encrypt package’s IV: the same IV for every message',
        key: `iv:${value}`,
      };
    },
  },
  {
    // ECB in Dart: the `encrypt` package's `AESMode.ecb` (PKCS7 padding by default: messages),
    // PointyCastle's `ECBBlockCipher` and `'AES/ECB'` (no padding: a raw block operation, as
    // `/ECB/NoPadding` in Java is medium), `'AES/ECB/PKCS7'` (padded: messages).
    langs: ['dart'],
    needs: ['AESMode.ecb', 'ECBBlockCipher', 'AES/ECB'],
    pattern: /\bAESMode\.ecb\b|\bECBBlockCipher\s*\(|['"]AES\/ECB(\/[A-Za-z0-9]+)?['"]/g,
    check: (m, text) => {
      const padded = m[0].startsWith('AESMode')
        ? !/padding\s*:\s*null/.test(text.slice(m.index, m.index + 200))
        : m[1] !== undefined && !/nopadding/i.test(m[1]);
      return {
        ruleId: 'crypto-ecb-mode',
        message: padded
          ? `${m[0]}: ECB mode encrypts equal blocks to equal ciphertext`
          : `${m[0]}: ECB without padding, a raw block operation (key derivations, CMAC, key wraps are built on it); a message encrypted with it shows its equal blocks`,
        key: `ecb:${m[0]}`,
        ...(padded ? {} : { severity: 'medium' as const }),
      };
    },
  },
  {
    // ECB through a constant: `Cipher.getInstance(AES)` with `String AES = "AES"` in the file.
    langs: ['jvm'],
    needs: ['getInstance'],
    pattern: /Cipher\.getInstance\(\s*([A-Za-z_$][\w$]*)\s*[,)]/g,
    check: (m, text) => {
      const literal = literalOf(m[1] as string, text);
      const value = literal?.value;
      if (value === undefined || !/^(?:AES|DES|DESede|Blowfish|RC2)(?:\/ECB\/[^"]*)?$/.test(value))
        return undefined;
      if (/\/ECB\/NoPadding$/i.test(value)) return undefined;
      return {
        ruleId: 'crypto-ecb-mode',
        message: value.includes('/ECB')
          ? `Cipher.getInstance(${m[1]}) with ${m[1]} = "${value}": ECB mode encrypts equal blocks to equal ciphertext`
          : `Cipher.getInstance(${m[1]}) with ${m[1]} = "${value}": no mode given, so the provider's default, ECB`,
        evidence: value,
        key: `ecb:${value}`,
      };
    },
  },
  {
    // A secret bound into an SQLite statement through the C API (`sqlite3_bind_text(stmt, 2,
    // [password UTF8String], -1, SQLITE_TRANSIENT)`), a database not opened with SQLCipher.
    langs: ['objc', 'c', 'swift'],
    needs: ['sqlite3_bind_text'],
    pattern: /\bsqlite3_bind_text(?:16|64)?\s*\(\s*[^,\n]{1,80},\s*[^,\n]{1,40},\s*([^,\n]{1,200}),/g,
    check: (m, text) => {
      if (ENCRYPTED_DATABASE.test(text)) return undefined;
      // Secrets only: C code binds members of its own structures (`db->auth.zAuthUser`, SQLite's
      // user-authentication extension), whose names speak of auth without holding a token.
      const name = secretValueIn(m[1] as string);
      return name !== undefined && secretKind(name) === 'secret'
        ? databaseVerdict(name, 'a SQLite row')
        : undefined;
    },
  },
  {
    // A literal or all-zero IV: the same IV for every message.
    langs: ['jvm'],
    needs: ['IvParameterSpec'],
    pattern: new RegExp(
      String.raw`IvParameterSpec\(\s*(?:${LITERAL}|(new\s+byte\s*\[\s*\d+\s*\]|ByteArray\(\s*\d+\s*\))|(?:new\s+byte\s*\[\s*\]\s*\{|byteArrayOf\()([^)}]{4,400})[)}])`,
      'g',
    ),
    check: (m) => ({
      ruleId: 'crypto-static-iv',
      message:
        m[3] !== undefined
          ? 'all-zero IV (a fresh zeroed array) passed to IvParameterSpec'
          : 'literal IV passed to IvParameterSpec',
      key: `iv:${m[0].replace(/\s+/g, '')}`,
    }),
  },
  {
    // An IV held in a variable assigned a literal or zeroed array (`byte[] iv = { 0x00, … }`,
    // `val iv = ByteArray(16)`, `"…".getBytes()`), then passed to IvParameterSpec.
    langs: ['jvm'],
    needs: ['IvParameterSpec'],
    pattern: /IvParameterSpec\(\s*([A-Za-z_]\w*)\s*[,)]/g,
    check: (m, text) => {
      const expr = assignedTo(m[1] as string, text)?.trim();
      // A zeroed array filled before use is no constant: by a random generator (a fresh IV), or
      // with the IV stored beside the ciphertext, read back from a stream or buffer or copied out
      // of the message (`is.read(iv, 0, n)`, `buffer.get(iv)`, `System.arraycopy(msg, 0, iv, 0,
      // 16)`, `msg.copyInto(iv)`; Tella's vault reads each file's IV so).
      if (isFilledBeforeUse(m[1] as string, text)) return undefined;
      if (
        expr === undefined ||
        !/^(?:\{|new\s+byte\s*\[|byteArrayOf\(|ByteArray\(\s*\d|"(?:[^"\\\n]|\\.)*"\s*\.\s*(?:getBytes|toByteArray))/.test(
          expr,
        )
      )
        return undefined;
      return {
        ruleId: 'crypto-static-iv',
        message: `IV ${String(m[1]).slice(0, 40)} is a constant array assigned in the code, passed to IvParameterSpec`,
        key: `iv-var:${m[1]}`,
      };
    },
  },
  {
    // ECB mode: named, or the provider's default for a bare "AES"/"DES"/"DESede" transformation.
    langs: ['jvm'],
    needs: ['getInstance'],
    pattern: /Cipher\.getInstance\(\s*"((?:AES|DES|DESede|Blowfish|RC2)(?:\/ECB\/[^"]*)?)"/g,
    check: (m, text) => {
      const kept = firstBytesKept(text, (m.index as number) + m[0].length);
      return kept === undefined
        ? ecbVerdict(m)
        : {
            ...ecbVerdict(m),
            severity: 'medium' as const,
            message: `Cipher.getInstance("${m[1]}"): ECB, but only the first ${kept} bytes of the ciphertext are kept (one block: a challenge's response or a key check, no message to read back)`,
          };
    },
  },
  {
    langs: ['swift', 'objc', 'c'],
    needs: ['kCCOptionECBMode', 'ecbMode'],
    pattern: /\b(?:kCCOptionECBMode|\.ecbMode)\b/g,
    check: (m, text) => {
      // The options of the call it is in, when it is a CommonCrypto call: ECB without
      // kCCOptionPKCS7Padding is the raw block operation, as Java's "AES/ECB/NoPadding" (KeePass's
      // AES-KDF runs it rounds times over the key in place).
      const at = m.index as number;
      const opened = /\bCC(?:Crypt|CryptorCreate\w*)\s*\([^;]*$/.exec(text.slice(Math.max(0, at - 200), at));
      const raw =
        m[0] === 'kCCOptionECBMode' &&
        opened !== null &&
        !/kCCOptionPKCS7Padding/.test(opened[0] + statementAt(text, at));
      return {
        ruleId: 'crypto-ecb-mode',
        message: raw
          ? 'CommonCrypto ECB mode without padding, a raw block operation (key derivations such as KeePass’s AES-KDF, CMAC, key wraps are built on it); a message encrypted with it shows its equal blocks'
          : 'CommonCrypto ECB mode: equal blocks encrypt to equal ciphertext',
        key: 'ecb:commoncrypto',
        ...(raw ? { severity: 'medium' as const } : {}),
      };
    },
  },
  {
    // A SecureRandom seeded with a constant (`new SecureRandom("12345".getBytes())`,
    // `random.setSeed(12345)`): on the SHA1PRNG of Android before 7 a seed given before the first
    // use replaces the system's entropy, so every install draws the same numbers; elsewhere the
    // constant adds nothing and says the author expected it to matter.
    langs: ['jvm'],
    needs: ['SecureRandom'],
    pattern:
      /\bnew\s+SecureRandom\(\s*(?:"[^"\n]*"\s*\.\s*(?:getBytes|toByteArray)\s*\([^)]*\)|new\s+byte\s*\[\s*\]\s*\{[^}]*\}|byteArrayOf\([^)]*\)|([A-Za-z_$][\w$]*))\s*\)|\b([A-Za-z_$][\w$]*)\s*\.\s*setSeed\(\s*(?:-?\d+L?|"[^"\n]*"\s*\.\s*(?:getBytes|toByteArray)\s*\([^)]*\)|([A-Za-z_$][\w$]*))\s*\)/g,
    check: (m, text) => {
      // A seed held in a variable (`byte[] keyStart = "s3cr3t".getBytes(); sr.setSeed(keyStart)`):
      // one step back, a constant only; a seed read or drawn at run time is no finding.
      const seed = m[1] ?? m[3];
      if (seed !== undefined) {
        const expr = assignedTo(seed, text);
        if (expr === undefined || !CONSTANT_SEED.test(expr.trim())) return undefined;
      }
      const holder = m[2];
      if (holder !== undefined) {
        const name = holder.replace(/\$/g, '\\$');
        const secure = new RegExp(
          String.raw`\bSecureRandom\s+${name}\b|\b${name}\s*(?::\s*SecureRandom\s*)?=\s*(?:new\s+)?SecureRandom\b`,
        );
        if (!secure.test(text)) return undefined;
      }
      return {
        ruleId: 'crypto-insecure-random',
        severity: 'medium',
        message: `${m[0].replace(/\s+/g, ' ').slice(0, 60)}: a SecureRandom seeded with a constant (on Android's SHA1PRNG before 7, every install draws the same numbers)`,
        key: `seed:${m[0].replace(/\s+/g, '')}`,
      };
    },
  },
  {
    // java.util.Random / Math.random filling or naming a security value.
    langs: ['jvm'],
    needs: ['Random'],
    pattern:
      /\b(?:new\s+Random\([^)]*\)|Random\([^)]*\))\s*\.\s*nextBytes\(\s*(\w+)|\b(\w*(?:key|Key|KEY|iv|IV|Iv|salt|Salt|SALT|nonce|Nonce|NONCE|token|Token|TOKEN|otp|Otp|OTP|password|Password|PASSWORD)\w*)\s*(?::\s*[\w<>]+\s*)?=\s*[^;\n]*?\b(?:new\s+Random\(|Random\(\)|Math\.random\()/g,
    check: (m) => {
      const name = (m[1] ?? m[2]) as string;
      if (m[2] !== undefined && /^(?:\w*(?:keyboard|Keyboard|monkey|Monkey|hotkey|Hotkey)\w*)$/.test(name))
        return undefined;
      return {
        ruleId: 'crypto-insecure-random',
        message: `${name.slice(0, 60)} comes from java.util.Random / Math.random, which are predictable; use SecureRandom`,
        key: `random:${name}`,
      };
    },
  },
  {
    // A secret built piece by piece from java.util.Random (`password.append(chars[random.nextInt(
    // n)])`, MASTG-DEMO-0007): the name says what is built, the holder must be a java.util.Random
    // of the file (not a SecureRandom).
    langs: ['jvm'],
    needs: ['Random'],
    pattern:
      /\b(\w*(?:password|Password|PASSWORD|token|Token|TOKEN|otp|Otp|OTP|nonce|Nonce|NONCE|salt|Salt|SALT|secret|Secret|SECRET)\w*)\s*\.\s*(?:append|add|insert|plus)\s*\([^;\n]{0,120}?(?:\b(?:new\s+)?Random\(\s*\)|\b([A-Za-z_]\w*))\s*\.\s*next(?:Int|Long|Double|Float|Bytes|Boolean)?\s*\(/g,
    check: (m, text) => {
      const holder = m[2];
      if (holder !== undefined) {
        if (!withinBudget(text, 'random-holder')) return undefined;
        const h = holder.replace(/\$/g, '\\$');
        const plain = new RegExp(
          String.raw`\b${h}\s*(?::\s*(?:java\.util\.)?Random\s*)?=\s*(?:new\s+)?(?:java\.util\.)?Random\(|\b(?<!Secure)Random\s+${h}\s*=`,
        );
        if (!plain.test(text)) return undefined;
      }
      const name = m[1] as string;
      return {
        ruleId: 'crypto-insecure-random',
        message: `${name.slice(0, 60)} is built from java.util.Random, which is predictable; use SecureRandom`,
        key: `random:${name}`,
      };
    },
  },
  {
    // An X509TrustManager whose checkServerTrusted accepts everything (an empty body).
    langs: ['jvm'],
    needs: ['checkServerTrusted'],
    pattern:
      /\bcheckServerTrusted\s*\([^)]{0,300}\)\s*(?::\s*Unit\s*)?(?:throws\s+[\w.]+(?:\s*,\s*[\w.]+)*\s*)?(?:\{\s*(?:return\s*;?\s*)?\}|=\s*Unit\b)/g,
    check: (_m, text) => ({
      ruleId: 'network-trust-all-certificates',
      message: 'checkServerTrusted accepts every certificate (empty body): TLS can be intercepted',
      key: 'trust-manager',
      // The same file's host name verifier reads the server's certificate and compares it with a
      // pinned value: only that certificate passes, so the chain check is left to the pin (the
      // usual way to accept one self-signed server). Medium: the pin, not this code, decides.
      ...(pinningHostnameVerifier(text)
        ? {
            severity: 'medium' as const,
            message:
              'checkServerTrusted accepts every certificate (empty body); the same file’s host name verifier compares the server’s certificate with a pinned value, which then alone decides',
          }
        : {}),
    }),
  },
  {
    // A Cordova plugin that hands the page any extra of the intent that started the activity,
    // named by the page (`i.getStringExtra(args.getString(0))`): whatever another app puts in the
    // launching intent reaches the page's script (DVHMA's intent injection).
    langs: ['jvm'],
    needs: ['CordovaPlugin'],
    pattern:
      /\.\s*get(?:String|Int|Boolean|Long|Double|Bundle|Parcelable|Serializable)?Extra\s*\(\s*([A-Za-z_]\w*)\s*\)/g,
    check: (m, text) => {
      if (!/\bextends\s+CordovaPlugin\b/.test(text) || !/\bgetIntent\s*\(\s*\)/.test(text)) return undefined;
      const named = assignedTo(m[1] as string, text);
      if (named === undefined || !/^\s*args\s*\.\s*(?:get|opt)String\s*\(/.test(named)) return undefined;
      return {
        ruleId: 'android-webview-js-interface',
        message:
          'a Cordova plugin returns the extra of the launching intent that the page names: what another app puts in that intent reaches the page’s script (intent injection)',
        key: 'cordova-intent-extra',
      };
    },
  },
  {
    // A WebView that proceeds on every TLS error: `proceed()` as a statement of the handler's own
    // body, whatever comes before it (a log line, the super call), not under a condition, a
    // lambda or a dialog's button, and no `cancel()` anywhere in the body.
    langs: ['jvm'],
    needs: ['onReceivedSslError'],
    pattern: /\bonReceivedSslError\s*\([^)]{0,300}\)\s*(?::\s*Unit\s*)?\{/g,
    check: (m, text) =>
      proceedsAlways(text, (m.index as number) + m[0].length)
        ? {
            ruleId: 'network-trust-all-certificates',
            message: 'onReceivedSslError calls proceed(): the WebView loads pages whatever their certificate',
            key: 'webview-ssl-error',
          }
        : undefined,
  },
  {
    // Dart's HttpClient (and Dio's IOHttpClientAdapter) call `badCertificateCallback` /
    // `onBadCertificate` for a certificate that fails validation; the connection goes on when it
    // returns true. Always true accepts every certificate; true under a setting (`return
    // !strictHttps`) accepts every certificate whenever the setting is off, as a trust-all
    // manager behind a user's switch does. A callback that looks at the certificate or the host
    // (a pinned fingerprint, a local host name) accepts only those: medium, as it decides alone.
    langs: ['dart'],
    needs: ['badCertificateCallback', 'onBadCertificate'],
    pattern:
      /\b(?:badCertificateCallback|onBadCertificate)\s*=\s*(?:\(([^()]{0,200})\)\s*(?:=>\s*([^;]{1,200});|\{)|([A-Za-z_$][\w$]*)\s*(?=[;\n]|\.\.))/g,
    check: (m, text) => {
      const what = m[0].startsWith('on') ? 'onBadCertificate' : 'badCertificateCallback';
      if (m[3] === undefined) return dartCallbackVerdict(what, m, text, (m.index as number) + m[0].length);
      // A function given by name (`badCertificateCallback = _certificateCheck`): its declaration
      // in the same file is read as the lambda would be.
      const fn = new RegExp(
        String.raw`\b${m[3].replace(/\$/g, '\\$')}\s*\(([^()]{0,200})\)\s*(?:=>\s*([^;]{1,200});|\{)`,
      ).exec(text);
      return fn === null ? undefined : dartCallbackVerdict(what, fn, text, fn.index + fn[0].length);
    },
  },
  {
    // rhttp (Rust's HTTP client for Dart): `TlsSettings(verifyCertificates: false)` turns the
    // certificate check off for the clients made with those settings.
    langs: ['dart'],
    needs: ['verifyCertificates'],
    pattern: /\bTlsSettings\s*\([^()]{0,300}?\bverifyCertificates\s*:\s*false\b/g,
    check: () => ({
      ruleId: 'network-trust-all-certificates',
      message:
        'TlsSettings(verifyCertificates: false): the client accepts every certificate, TLS can be intercepted',
      key: 'dart:verifyCertificates',
    }),
  },
  {
    langs: ['swift', 'objc'],
    needs: [
      'allowInvalidCertificates',
      'AllowInvalidCertificates',
      'allowsAnyHTTPSCertificateForHost',
      'kCFStreamSSLValidatesCertificateChain',
    ],
    pattern:
      /\b(?:allowInvalidCertificates\s*=\s*(?:true|YES)|setAllowInvalidCertificates:\s*YES|allowsAnyHTTPSCertificateForHost|kCFStreamSSLValidatesCertificateChain\s*[:,]\s*(?:kCFBooleanFalse|false|NO|@NO))\b/g,
    check: (m, text) => {
      const what = m[0].replace(/\s+/g, ' ').slice(0, 60);
      const pinned = /llowInvalidCertificates/.test(what) && pinningPolicyOnly(text);
      return {
        ruleId: 'network-trust-all-certificates',
        message: pinned
          ? `${what} on an AFSecurityPolicy that pins keys or certificates: a self-signed certificate passes when it is pinned, others do not`
          : `${what}: certificates are not validated`,
        key: `ios:${m[0].replace(/\s+/g, '')}`,
        ...(pinned ? { severity: 'medium' as const } : {}),
      };
    },
  },
  {
    // HostnameVerifiers that accept every host.
    langs: ['jvm'],
    needs: ['HostnameVerifier', 'ALLOW_ALL_HOSTNAME_VERIFIER', 'hostnameVerifier'],
    pattern:
      /\b(?:ALLOW_ALL_HOSTNAME_VERIFIER|AllowAllHostnameVerifier|NoopHostnameVerifier)\b|\bverify\s*\(\s*(?:final\s+)?String\s+\w+\s*,\s*(?:final\s+)?SSLSession\s+\w+\s*\)\s*\{\s*return\s+true\s*;?\s*\}|\bverify\s*\(\s*\w+\s*:\s*String\??\s*,\s*\w+\s*:\s*SSLSession\??\s*\)\s*(?::\s*Boolean\s*)?(?:=\s*true\b|\{\s*return\s+true\s*\})|\b[Hh]ostnameVerifier\s*\{\s*_\s*,\s*_\s*->\s*true\s*\}/g,
    check: (m, text) => {
      // An import names the verifier, it does not install it: a file that imports
      // ALLOW_ALL_HOSTNAME_VERIFIER and never uses it accepts no host (the use, when there is
      // one, is found on its own line).
      const lineStart = text.lastIndexOf('\n', m.index) + 1;
      if (/^\s*import\s/.test(text.slice(lineStart, m.index))) return undefined;
      return hostnameVerdict(m, text);
    },
  },
  {
    // A HostnameVerifier whose body does something first (logs the host) and then accepts it:
    // a Kotlin lambda ending in `true`, a Java or Kotlin `verify` ending in `return true`, with no
    // comparison, condition or `false` anywhere in it.
    langs: ['jvm'],
    needs: ['HostnameVerifier', 'hostnameVerifier'],
    pattern:
      /\b[Hh]ostnameVerifier\s*\{\s*\w+\s*,\s*\w+\s*->|\bverify\s*\(\s*(?:final\s+)?String\s+\w+\s*,\s*(?:final\s+)?SSLSession\s+\w+\s*\)\s*\{|\bverify\s*\(\s*\w+\s*:\s*String\??\s*,\s*\w+\s*:\s*SSLSession\??\s*\)\s*(?::\s*Boolean\s*)?\{/g,
    check: (m, text) => {
      const body = bodyFrom(text, (m.index as number) + m[0].length);
      if (body === undefined) return undefined;
      const lambda = m[0].endsWith('->');
      const accepts = lambda ? /(?:^|[;\n])\s*true\s*$/.test(body) : /\breturn\s+true\s*;?\s*$/.test(body);
      if (
        !accepts ||
        /\b(?:if|when|switch|false|verify|equals|contains|endsWith|matches)\b|==|!=|\?:/.test(body)
      )
        return undefined;
      return hostnameVerdict(m, text);
    },
  },
  {
    langs: ['swift', 'objc'],
    needs: ['validatesDomainName'],
    pattern: /\bvalidatesDomainName\s*=\s*(?:false|NO)\b/g,
    check: (_m, text) =>
      pinningPolicyOnly(text)
        ? {
            ruleId: 'network-hostname-verification-off',
            severity: 'medium',
            message:
              'validatesDomainName is off on an AFSecurityPolicy that pins keys or certificates: the pin, not the name, identifies the server',
            key: 'hostname',
          }
        : {
            ruleId: 'network-hostname-verification-off',
            message: 'validatesDomainName is off: any valid certificate passes for your server',
            key: 'hostname',
          },
  },
  {
    langs: ['jvm'],
    needs: ['avaScriptEnabled'],
    pattern: /\b(?:setJavaScriptEnabled\(\s*true\s*\)|javaScriptEnabled\s*=\s*true\b)/g,
    check: () => ({
      ruleId: 'android-webview-javascript',
      message: 'WebView JavaScript enabled: only load content you trust into it',
      key: 'js',
    }),
  },
  {
    langs: ['jvm'],
    needs: ['llowFileAccess', 'llowUniversalAccessFromFileURLs'],
    pattern:
      /\b(?:set)?([Aa]llow(?:FileAccess|FileAccessFromFileURLs|UniversalAccessFromFileURLs))(?:\(\s*true\s*\)|\s*=\s*true\b)/g,
    check: (m) => {
      const what = m[1] as string;
      const universal = /FromFileURLs/.test(what);
      return {
        ruleId: 'android-webview-file-access',
        message: universal
          ? `WebView ${what} is true: a file:// page can read other files${what.includes('Universal') ? ' and any origin' : ''}`
          : `WebView ${what} is true: pages can read the app's files through file:// URLs`,
        key: what.toLowerCase(),
      };
    },
  },
  {
    // A WebView's settings that load http:// resources into an https:// page
    // (`mixedContentMode = MIXED_CONTENT_ALWAYS_ALLOW`, `setMixedContentMode(0)`): what Capacitor's
    // `android.allowMixedContent` sets, written in the app's own code.
    langs: ['jvm'],
    needs: ['ixedContentMode'],
    pattern:
      /\b(?:setMixedContentMode\(\s*(?:(?:WebSettings\.)?MIXED_CONTENT_ALWAYS_ALLOW|0)\s*\)|mixedContentMode\s*=\s*(?:(?:WebSettings\.)?MIXED_CONTENT_ALWAYS_ALLOW|0)\b)/g,
    check: () => ({
      ruleId: 'hybrid-mixed-content',
      message:
        'WebView mixed content always allowed (MIXED_CONTENT_ALWAYS_ALLOW): an https:// page loads http:// scripts and frames that a network attacker can change',
      key: 'webview-mixed-content',
    }),
  },
  {
    langs: ['jvm'],
    needs: ['addJavascriptInterface'],
    pattern: /\baddJavascriptInterface\(\s*([^,]{1,120}),\s*"([^"]{0,60})"/g,
    check: (m) => ({
      ruleId: 'android-webview-js-interface',
      message: `addJavascriptInterface exposes native methods to every page the WebView loads as "${m[2]}"`,
      key: `bridge:${m[2]}`,
    }),
  },
  {
    // SQL text with a value spliced between quotes (`"… title='" + title + "'"`, Kotlin's
    // `"… '$title'"`) given to SQLiteDatabase.execSQL / rawQuery / compileStatement: a quote in
    // the value rewrites the statement. High in a class that takes its arguments from web content
    // (a Cordova or Capacitor plugin, a React Native module, a @JavascriptInterface), where any
    // script in the WebView chooses the value; medium elsewhere. A constant (`'" + STATUS + "'`)
    // is no value from outside.
    langs: ['jvm'],
    needs: ['execSQL', 'rawQuery', 'compileStatement'],
    pattern: /\b(execSQL|rawQuery|rawQueryWithFactory|compileStatement)\(/g,
    check: (m, text) => {
      const call = statementAt(text, m.index);
      const spliced =
        /'"\s*\+\s*([A-Za-z_][\w.]*(?:\([^()"]{0,60}\))?(?:\.[A-Za-z_]\w*(?:\([^()"]{0,60}\))?)*)\s*\+\s*"\s*'/.exec(
          call,
        )?.[1] ?? /'\$\{?([A-Za-z_][\w.]*)\}?'/.exec(call)?.[1];
      if (spliced === undefined || /^[A-Z][A-Z0-9_]*$/.test(spliced.split('.').pop() ?? '')) return undefined;
      const bridge = WEB_BRIDGE.exec(text)?.[0];
      const migration = bridge === undefined && DATABASE_MIGRATION.test(text);
      return {
        ...(migration
          ? { lowered: "a database migration: what it splices comes from the app's own database" }
          : {}),
        ruleId: 'code-sql-injection',
        message:
          bridge === undefined
            ? `${m[1]}: ${spliced.slice(0, 60)} spliced into quoted SQL text; a quote in it rewrites the statement`
            : `${m[1]}: ${spliced.slice(0, 60)} spliced into quoted SQL text in a class that takes its arguments from web content (${bridge}): any script in the WebView can rewrite the statement`,
        evidence: `${m[1]}(… '" + ${spliced.slice(0, 60)} + "' …)`,
        key: `sql:${m[1]}:${spliced}`,
        ...(bridge === undefined ? {} : { severity: 'high' as const }),
      };
    },
  },
  {
    // SharedPreferences.Editor.putString("password", …) and friends.
    langs: ['jvm'],
    needs: ['putString', 'putStringSet'],
    pattern: /\.putString(?:Set)?\(\s*"([^"\n]{1,80})"\s*,\s*([^;\n]{1,200})/g,
    check: (m, text) => {
      const kind = secretKind(m[1] as string);
      if (kind === undefined || /encrypt|cipher|hash|digest/i.test(m[2] as string)) return undefined;
      // Written through Jetpack Security's encrypted preferences: not in clear.
      if (text.includes('EncryptedSharedPreferences')) return undefined;
      if (isBundleReceiver(text, m.index) || NAMESPACED_EXTRA.test(m[1] as string)) return undefined;
      return {
        ruleId: 'storage-secret-in-preferences',
        message: `SharedPreferences stores "${m[1]}" in clear (an XML file in the app's data)`,
        evidence: m[1] as string,
        key: `prefs:${m[1]}`,
        ...(kind === 'token' ? { severity: 'medium' as const } : {}),
      };
    },
  },
  {
    // UserDefaults.set(x, forKey: "password") / [defaults setObject:x forKey:@"password"].
    langs: ['swift', 'objc'],
    needs: ['forKey'],
    pattern:
      /(?:UserDefaults[\w.()]*\.set\(\s*([^\n]{1,200}?),\s*forKey:\s*|\b(?:setObject|setValue):\s*([^\n\]]{1,200}?)\s+forKey:\s*@)"([^"\n]{1,80})"/g,
    check: (m, text) => {
      const name = m[3] as string;
      const kind = secretKind(name);
      if (kind === undefined || /encrypt|cipher|hash|digest/i.test(m[1] ?? m[2] ?? '')) return undefined;
      if (m[1] === undefined && !/NSUserDefaults|UserDefaults/.test(text)) return undefined;
      return {
        ruleId: 'storage-secret-in-preferences',
        message: `UserDefaults stores "${name}" in clear (a plist in the app's data)`,
        evidence: name,
        key: `defaults:${name}`,
        ...(kind === 'token' ? { severity: 'medium' as const } : {}),
      };
    },
  },
  {
    // The same with the key as an enum case or a constant (`set(newValue, forKey:
    // Key.dexcomSharePassword.rawValue)`, `UserDefaults.standard.set(x, forKey: Keys.password)`):
    // the case's name says what is stored. A bare `set(…)` counts inside `extension UserDefaults`,
    // whose properties wrap the app's settings.
    langs: ['swift'],
    needs: ['forKey'],
    pattern:
      /(?:\bUserDefaults[\w.()]*\.|(?<![\w.])(?:self\.)?)set\(\s*([^\n]{1,200}?),\s*forKey:\s*(?:[A-Z]\w*\.)+(\w+)(?:\.rawValue)?\s*\)/g,
    check: (m, text) => {
      const name = m[2] as string;
      const kind = secretKind(name);
      const value = m[1] as string;
      // A flag or a number (`set(true, forKey: Keys.userProvidedCredentialsKey)`) is no secret.
      if (kind === undefined || /encrypt|cipher|hash|digest/i.test(value) || FLAG_VALUE.test(value))
        return undefined;
      if (!m[0].startsWith('UserDefaults') && !/\bextension\s+UserDefaults\b/.test(text)) return undefined;
      return {
        ruleId: 'storage-secret-in-preferences',
        message: `UserDefaults stores ${name} in clear (a plist in the app's data)`,
        evidence: name,
        key: `defaults:${name}`,
        ...(kind === 'token' ? { severity: 'medium' as const } : {}),
      };
    },
  },
  {
    // A secret written to a file on external storage, which other apps (and anyone with the
    // device over USB) read.
    langs: ['jvm'],
    needs: ['getExternalStorage', 'getExternalFilesDir', 'getExternalCacheDir'],
    pattern: /\.(?:write|append|print|println)\(\s*([A-Za-z_][\w.]*)/g,
    check: (m, text) => {
      const name = m[1] as string;
      const last = name
        .replace(/\.(?:getBytes|toByteArray|toString)$/, '')
        .split('.')
        .pop() as string;
      if (!/FileOutputStream|FileWriter|PrintWriter|BufferedWriter|writeText|writeBytes/.test(text))
        return undefined;
      let secret = secretKind(last) === undefined ? undefined : last;
      // The content built first (`val data = "… ${password.text} …"; fw.write(data)`): one step back.
      if (secret === undefined && !name.includes('.')) {
        const expr = assignedTo(name, text);
        secret = expr === undefined ? undefined : secretNamed(expr);
      }
      const kind = secret === undefined ? undefined : secretKind(secret);
      if (secret === undefined || kind === undefined) return undefined;
      return {
        ruleId: 'storage-secret-in-preferences',
        message: `${secret.slice(0, 60)} written to a file in a file that uses external storage, readable by other apps`,
        evidence: secret.slice(0, 60),
        key: `external:${secret}`,
        ...(kind === 'token' ? { severity: 'medium' as const } : {}),
      };
    },
  },
  {
    // A literal compared with what the user typed (a promo code, an unlock code, a PIN): whoever
    // unpacks the app reads the literal, and the check it guards is made on the device.
    langs: ['jvm', 'swift', 'objc'],
    // What the user typed must be there (the operators are in nearly every file).
    needs: ['.text', 'getText', 'nput', 'entered', 'typed', 'readLine', 'stringValue'],
    // Anchored on the operator's name, not on the `.` before `equals(` (tried at every `.` of a
    // file, a tenth of the scan of Android sources) nor on spaces before `isEqualToString:` (a
    // run of blanked comment would be tried from each of its spaces): the receiver and the
    // spaces are found by walking back.
    pattern: /\b(?:equals(?:IgnoreCase)?|isEqualToString)\(\s*|[!=]==?(?!=)\s*|\bisEqualToString:\s*/g,
    check: (m, text) => {
      let at = m.index;
      if (/^(?:equals|isEqualToString\()/.test(m[0])) {
        // A method call: its receiver ends at the `.` before the name.
        while (at > 0 && /\s/.test(text.charAt(at - 1)) && m.index - at < 40) at--;
        if (text.charAt(at - 1) !== '.') return undefined;
        at--;
      }
      const left = operandBefore(text, at);
      const right = operandAfter(text, m.index + m[0].length);
      let [input, other] = isUserInput(left) ? [left, right] : isUserInput(right) ? [right, left] : [];
      // What was typed, kept first in a local (`val post = editText.text.toString()`, then
      // `post == "F1ag_0n3"`): one step back, for a literal in place that looks like a code.
      if (input === undefined)
        [input, other] = typedThroughLocal(left, right, text) ?? typedThroughLocal(right, left, text) ?? [];
      // What was typed kept in a local, compared with a local read from a string resource.
      if (input === undefined && /R\.string\./.test(text)) {
        const typedLeft = typedLocal(left.trim(), text);
        const typedRight = typedLeft === undefined ? typedLocal(right.trim(), text) : undefined;
        const found =
          typedLeft !== undefined
            ? resourceComparison(typedLeft, right.trim(), text)
            : typedRight !== undefined
              ? resourceComparison(typedRight, left.trim(), text)
              : undefined;
        if (found !== undefined) return found;
      }
      // The text of a widget whose name says nothing (`hckey.getText()`) counts only when the
      // literal itself says it is a secret (`"vendorsecretkey"`): a label's text is compared with
      // words of the UI, not with secrets.
      const byLiteral = input === undefined;
      // (A quoted literal in place only: a constant's value is looked up for named inputs alone.)
      if (byLiteral)
        [input, other] =
          /^\s*@?"/.test(right) && WIDGET_TEXT.test(left)
            ? [left, right]
            : /^\s*@?"/.test(left) && WIDGET_TEXT.test(right)
              ? [right, left]
              : [];
      if (input === undefined || other === undefined) return undefined;
      const literal = literalOf(other.trim(), text);
      if (literal === undefined) {
        if (byLiteral) return undefined;
        // A resource read in place (`entered.equals(getResources().getString(R.string.pin))`).
        const after = m.index + m[0].length;
        const inPlace = other === right ? IN_PLACE_RESOURCE.exec(text.slice(after, after + 200)) : null;
        return resourceComparison(input, other.trim(), text, inPlace?.[0]);
      }
      const { value, name } = literal;
      if (value.length < 3 || value.length > 64 || PLACEHOLDER.test(value) || value.includes('://'))
        return undefined;
      if (byLiteral && !SECRET_LITERAL.test(value)) return undefined;
      // Names say what it unlocks (`adminPin`, `promoCodeValue`): high. A token of letters and
      // digits (`NEW2019`) compared with any input may be a code too, or a search term or a
      // test value (`searchInput == "iphone15"`): medium, since the code does not say.
      const named = byLiteral || identifierWords(`${name} ${input}`).some((w) => UNLOCK_WORDS.has(w));
      if (!named && !(/^[\w-]+$/.test(value) && /[A-Za-z]/.test(value) && /[0-9]/.test(value)))
        return undefined;
      return {
        ...(named ? {} : { severity: 'medium' as const }),
        ruleId: 'secret-hardcoded-comparison',
        message: `what the user typed (${input.slice(0, 40)}) is compared with ${name === '' ? 'a literal' : `the constant ${name.slice(0, 40)}`} in the app`,
        evidence: redact(value, 0),
        key: `compare:${value}`,
      };
    },
  },
  {
    // A constant of the file (a vendor id, an app name) given to SecretKeySpec as the key, or to
    // DESKeySpec / DESedeKeySpec (whose one argument is the key: `DESKeySpec(secret.toByteArray())`).
    langs: ['jvm'],
    needs: ['SecretKeySpec', 'DESKeySpec', 'DESedeKeySpec'],
    pattern:
      /\b(SecretKeySpec|DESKeySpec|DESedeKeySpec)\(\s*([A-Za-z_$][\w$]*)\s*(?:\.\s*(?:getBytes|toByteArray)\s*\([^)]{0,40}\))?\s*[,)]/g,
    check: (m, text) => {
      const spec = m[1] as string;
      if (spec === 'SecretKeySpec' && m[0].endsWith(')')) return undefined;
      const literal = literalOf(m[2] as string, text);
      if (literal === undefined) return undefined;
      return keyLiteral(
        'crypto-hardcoded-key',
        literal.value,
        `constant ${literal.name.slice(0, 60)} (a string literal) used as a ${spec} key`,
      );
    },
  },
  {
    // A local or field assigned an array literal (`byte[] key = { 1, 2, … }`, `byteArrayOf(…)`)
    // and given to SecretKeySpec: the key is in the app, as an array instead of a string.
    langs: ['jvm'],
    needs: ['SecretKeySpec'],
    pattern: /SecretKeySpec\(\s*([A-Za-z_$][\w$]*)\s*,/g,
    check: (m, text) => {
      const expr = assignedTo(m[1] as string, text)?.trim();
      const array =
        expr === undefined
          ? null
          : /^(?:\{|new\s+byte\s*\[\s*\]\s*\{|byteArrayOf\()\s*([^)}]{8,400})[)}]/.exec(expr);
      if (array === null) return undefined;
      return keyLiteral(
        'crypto-hardcoded-key',
        (array[1] as string).replace(/\s+/g, ''),
        `${String(m[1]).slice(0, 40)}, a byte-array literal assigned in the code, used as a SecretKeySpec key`,
      );
    },
  },
  {
    // RNCryptor, encrypting or decrypting under a literal password: `[RNEncryptor encryptData:…
    // withSettings:… password:@"…" error:…]`, `RNCryptor.encrypt(data:, withPassword: "…")`. The
    // key is derived from a password every copy of the app holds.
    langs: ['swift', 'objc'],
    needs: ['RNEncryptor', 'RNDecryptor', 'RNCryptor'],
    pattern: new RegExp(
      String.raw`\b(?:RNEncryptor|RNDecryptor|RNCryptor)\b[^;\n]{0,200}(?:\n[^;\n]{0,200}){0,4}?\b(?:withPassword|password)\s*:\s*${LITERAL}`,
      'g',
    ),
    check: (m) =>
      keyLiteral(
        'crypto-hardcoded-key',
        m[1] as string,
        'literal password given to RNCryptor: the key is derived from it',
      ),
  },
  {
    // MD5 / SHA-1 through the JCA, Apache Commons Codec or Guava.
    langs: ['jvm'],
    needs: ['getInstance', 'DigestUtils', 'Hashing.'],
    pattern:
      /MessageDigest\.getInstance\(\s*"(MD5|MD2|MD4|SHA-?1|SHA)"\s*[,)]|\bDigestUtils\.(md5|sha1|sha)(?:Hex)?\(|\bHashing\.(md5|sha1)\(\s*\)/gi,
    check: (m, text) => {
      const algorithm = (m[1] ?? m[2] ?? m[3]) as string;
      const lineStart = text.lastIndexOf('\n', m.index) + 1;
      // The digest kept in a variable (`val md = MessageDigest.getInstance("MD5")`): what its
      // update/digest calls are given further down.
      // (The last 200 characters of the line only: the `$`-anchored regex is tried from each of them.)
      const holder = /([A-Za-z_$][\w$]*)\s*(?::\s*[\w.]+\s*)?=\s*$/.exec(
        text.slice(Math.max(lineStart, m.index - 200), m.index),
      )?.[1];
      let hashed = statementAt(text, m.index + m[0].length);
      if (holder !== undefined) {
        const uses = new RegExp(
          String.raw`\b${holder.replace(/\$/g, '\\$')}\s*\.\s*(?:update|digest)\(([^)\n]{1,120})`,
          'g',
        );
        uses.lastIndex = m.index;
        for (let u = uses.exec(text), n = 0; u !== null && n < 4; u = uses.exec(text), n++)
          hashed += ` ${u[1]}`;
      }
      const around = text
        .slice(Math.max(0, lineStart - 400, m.index - 600), m.index)
        .split('\n')
        .slice(-4)
        .join('\n');
      // An HMAC written by hand (RFC 2104's inner and outer pads, as CRAM-MD5 code does): it
      // does not rest on the hash's collision resistance, like HmacMD5 from the JCA.
      const use = hasHmacPads(text)
        ? { severity: 'medium' as const, detail: '', lowered: 'a hand-written HMAC (RFC 2104 ipad/opad)' }
        : weakHashUse(hashed, around);
      return weakHashVerdict(algorithm, m[0].replace(/\s+/g, ''), hashed, use);
    },
  },
  {
    // CommonCrypto and CryptoKit.
    langs: ['swift', 'objc', 'c'],
    needs: ['CC_MD5', 'CC_SHA1', 'Insecure.'],
    pattern: /\bCC_(MD5|SHA1)\s*\(|\bInsecure\.(MD5|SHA1)\b/g,
    check: (m, text) => {
      const algorithm = (m[1] ?? m[2]) as string;
      const lineStart = text.lastIndexOf('\n', m.index) + 1;
      const hashed = statementAt(text, m.index + m[0].length);
      const around = text
        .slice(Math.max(0, lineStart - 400, m.index - 600), m.index)
        .split('\n')
        .slice(-4)
        .join('\n');
      return weakHashVerdict(algorithm, m[0].replace(/[\s(]+/g, ''), hashed, weakHashUse(hashed, around));
    },
  },
  {
    // A helper of the app's own that hashes with the algorithm it is given, called with MD5 or
    // SHA-1 by name (`Encryption.hash("MD5", content)`, `digest("SHA1", bytes)`): the weak
    // algorithm is chosen at the call, where `MessageDigest.getInstance(algorithm)` cannot show it.
    langs: ['jvm'],
    needs: ['"MD5"', '"SHA1"', '"SHA-1"', '"MD2"', '"MD4"', '"SHA"'],
    pattern:
      /\b((?:[A-Za-z_$][\w$]*)?(?:hash|Hash|HASH|digest|Digest|DIGEST)[\w$]*)\s*\(\s*"(MD5|MD2|MD4|SHA-?1|SHA)"\s*,\s*([^)\n]{1,120})/g,
    check: (m, text) => {
      const lineStart = text.lastIndexOf('\n', m.index) + 1;
      const hashed = m[3] as string;
      const around = text
        .slice(Math.max(0, lineStart - 400, m.index - 600), m.index)
        .split('\n')
        .slice(-4)
        .join('\n');
      return weakHashVerdict(
        m[2] as string,
        `${m[1] as string}("${m[2] as string}")`,
        hashed,
        weakHashUse(hashed, around),
      );
    },
  },
  {
    // A file opened for writing on external storage (shared, or the app's external directory
    // that other apps could read before scoped storage), directly or through a variable.
    langs: ['jvm'],
    needs: ['getExternalStorage', 'getExternalFilesDir', 'getExternalCacheDir'],
    pattern:
      /\b(?:new\s+)?(FileOutputStream|FileWriter|RandomAccessFile|PrintWriter|PrintStream)\(\s*([^;\n]{1,200})|\.\s*(writeText|writeBytes|appendText|appendBytes|outputStream|bufferedWriter|printWriter)\(/g,
    check: (m, text) => {
      // The path given to the writer, or the receiver of Kotlin's File extension.
      const target = m[2] ?? operandBefore(text, m.index);
      const external = (expr: string | undefined) =>
        expr !== undefined &&
        /getExternal(?:StorageDirectory|StoragePublicDirectory|FilesDirs?|CacheDirs?)\b/.test(expr);
      let via = external(target) ? target : undefined;
      // One or two steps back through the names the path was assigned to.
      for (
        let name = /^(?!new\b)[A-Za-z_$][\w$]*/.exec(target.trim())?.[0], step = 0;
        via === undefined && name !== undefined && step < 2;
        step++
      ) {
        const expr = assignedTo(name, text);
        if (external(expr)) via = name;
        name =
          expr === undefined
            ? undefined
            : (/(?:^|\(|,\s*)([A-Za-z_$][\w$]*)\s*[,)]?\s*$/.exec(expr.trim())?.[1] ??
              /^(?:new\s+)?\w+\(\s*([A-Za-z_$][\w$]*)/.exec(expr.trim())?.[1]);
      }
      if (via === undefined) return undefined;
      const what = (m[1] ?? m[3]) as string;
      return {
        ruleId: 'storage-external-write',
        message: `${what} writes ${via.slice(0, 40)} on external storage, which other apps and anyone with the device over USB can read`,
        evidence: what,
        key: `external-write:${via}`,
      };
    },
  },
  {
    // Files, preferences or databases created readable or writable by every app.
    langs: ['jvm'],
    needs: ['MODE_WORLD_'],
    pattern: /\bMODE_WORLD_(READABLE|WRITEABLE)\b/g,
    check: (m, text) => {
      // Named inside a string (a log line, a lint message) it opens nothing.
      const before = text.slice(text.lastIndexOf('\n', m.index) + 1, m.index);
      if ((before.match(/(?<!\\)"/g)?.length ?? 0) % 2 === 1) return undefined;
      return {
        ruleId: 'storage-external-write',
        message: `MODE_WORLD_${m[1]}: the file is ${m[1] === 'READABLE' ? 'readable' : 'writable'} by every app on the device (Android 7+ refuses it with a SecurityException)`,
        evidence: `MODE_WORLD_${m[1]}`,
        key: `world:${m[1]}`,
      };
    },
  },
  {
    // A plist written by the app with a secret under a key of its dictionary.
    langs: ['swift', 'objc'],
    needs: ['writeToFile', 'write(to', 'PropertyListSerialization', 'PropertyListEncoder'],
    pattern: /@?"([A-Za-z_][\w.-]{0,60})"\s*:\s*([^,}\]\n]{1,120})/g,
    check: (m, text) => {
      const kind = secretKind(m[1] as string);
      if (kind === undefined || /^\s*@?"/.test(m[2] as string)) return undefined;
      if (!/writeToFile|\.write\(to|PropertyListSerialization|PropertyListEncoder/.test(text))
        return undefined;
      if (isRequestDictionary(text, m.index)) return undefined;
      return {
        ruleId: 'storage-secret-in-preferences',
        message: `"${m[1]}" put in a dictionary of a file that writes plists: stored in clear`,
        evidence: m[1] as string,
        key: `plist:${m[1]}`,
        ...(kind === 'token' ? { severity: 'medium' as const } : {}),
      };
    },
  },
  {
    // A secret set under a key of a dictionary (`data.setValue(password, forKey: "password")`,
    // `[dict setObject:pin forKey:@"pin"]`) in a file that writes plists: the dictionary
    // literal's form above, written with calls. A defaults object is the UserDefaults rule's.
    langs: ['swift', 'objc'],
    needs: ['forKey'],
    // Anchored on the `.` before the call, whose receiver is then read by walking back: a leading
    // receiver pattern was tried from every character of a file (two thirds of the code rules'
    // time on 113 MB of app sources).
    pattern:
      /\.\s*set(?:Value|Object)\(\s*([^\n]{1,200}?),\s*forKey:\s*"([^"\n]{1,80})"|\[\s*([\w$.]+)\s+set(?:Value|Object):\s*([^\n\]]{1,200}?)\s+forKey:\s*@"([^"\n]{1,80})"/g,
    check: (m, text) => {
      const receiver = m[3] ?? receiverBefore(text, m.index);
      const value = (m[1] ?? m[4]) as string;
      const name = (m[2] ?? m[5]) as string;
      const kind = secretKind(name);
      if (kind === undefined || /^\s*@?"/.test(value) || /encrypt|cipher|hash|digest/i.test(value))
        return undefined;
      if (/defaults/i.test(receiver)) return undefined;
      if (!/writeToFile|\.write\(to|PropertyListSerialization|PropertyListEncoder/.test(text))
        return undefined;
      return {
        ruleId: 'storage-secret-in-preferences',
        message: `"${name}" set in a dictionary of a file that writes plists: stored in clear`,
        evidence: name,
        key: `plist:${name}`,
        ...(kind === 'token' ? { severity: 'medium' as const } : {}),
      };
    },
  },
  {
    // A password written into a map of credentials in the code (`userCreds["shopuser"] =
    // "…"`, `credentials.put("admin", "…")`): a login that anyone who unpacks the app reads.
    langs: ['jvm', 'swift', 'objc'],
    // The map's name ends the need (`…Creds[`, `…Passwords.put(`): a name alone (`credential`)
    // woke the rule in every file of an app's sign-in code.
    needs: ['reds[', 'ords[', 'tials[', 'reds.put(', 'ords.put(', 'tials.put('],
    // Anchored on the `[` or `.put(` after the map's name, whose start is then found by walking
    // back: a leading name pattern was tried from every word of every file naming credentials.
    pattern:
      /(?:\[\s*@?"([^"\n]{1,80})"\s*\]\s*=|\.put\(\s*"([^"\n]{1,80})"\s*,)\s*@?"((?:[^"\\\n]|\\.){4,128})"/g,
    check: (m, text) => {
      const map = wordEndingAt(text, m.index);
      const value = m[3] as string;
      if (!/creds|credentials|passwords/i.test(map) || PLACEHOLDER.test(value) || value.includes('://'))
        return undefined;
      return {
        ruleId: 'secret-generic-assignment',
        message: `password of the user ${(m[1] ?? m[2] ?? '').slice(0, 2)}••• written in the code into ${map.slice(0, 40)}`,
        evidence: redact(value, 0),
        key: `creds:${map}:${m[1] ?? m[2]}`,
      };
    },
  },
  {
    // A secret hidden in the code and revealed at run time: a secret-named value (a variable, a
    // map's key) given the result of a call on a string literal, or on a constant holding one,
    // where the call is named for decoding (`deobfuscate(OBFUSCATED_PASSWORD)`,
    // `Base64.decode("…")`) or the literal carries control characters that no text holds
    // (`s.H("\u0004\u001Fl…")`, an XOR of the secret). Whoever unpacks the app runs the same
    // decoding.
    langs: ['jvm'],
    needs: ['\\u000', '\\u001', 'bfuscat', 'ecode(', 'ecrypt(', 'xor(', 'Xor(', 'XOR('],
    pattern:
      /(?:\.put\(\s*"([^"\n]{1,60})"\s*,|\b([A-Za-z_$][\w$]*)\s*(?::\s*String\s*)?=)\s*((?:[A-Za-z_$][\w$]*\s*\.\s*)*[A-Za-z_$][\w$]*)\(\s*(?:"((?:[^"\\\n]|\\.){3,200})"|([A-Za-z_$][\w$]*))\s*(?:,[^()\n]{0,40})?\)/g,
    check: (m, text) => {
      const name = (m[1] ?? m[2]) as string;
      if (secretKind(name) === undefined) return undefined;
      let literal = m[4];
      if (literal === undefined) {
        const held = assignedTo(m[5] as string, text);
        const quoted = held === undefined ? null : /^"((?:[^"\\\n]|\\.){3,200})"$/.exec(held.trim());
        if (quoted === null) return undefined;
        literal = quoted[1] as string;
      }
      const call = m[3] as string;
      if (!DECODING_CALL.test(call) && !CONTROL_ESCAPE.test(literal)) return undefined;
      if (PLACEHOLDER.test(literal)) return undefined;
      // A few bytes in hexadecimal (`VER_PIN2_CMD = Hex.decode("00200085")`, a smart card's
      // command header): a protocol's constant, shorter than any key (16 bytes).
      if (/hex/i.test(call) && /^[0-9A-Fa-f]+$/.test(literal) && literal.length < 32) return undefined;
      return {
        ruleId: 'secret-generic-assignment',
        message: `${name.slice(0, 60)} is decoded at run time from a literal in the code (${call.replace(/\s+/g, '').slice(0, 40)}(…)): hidden, not kept out of the app`,
        evidence: `${name.slice(0, 60)} = ${call.replace(/\s+/g, '').slice(0, 40)}(${redact(literal, 0)})`,
        key: `decoded:${name}:${literal}`,
      };
    },
  },
  {
    // A string macro of JNI code compared with a string passed in from Java
    // (`#define VENDORKEY "…"`, `strncmp(VENDORKEY, key, …)`): a native library is read as
    // easily as the Java code, with `strings`.
    langs: ['c'],
    needs: ['GetStringUTFChars'],
    pattern: /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w{0,60})[ \t]+"((?:[^"\\\n]|\\.){3,64})"/gm,
    check: (m, text) => {
      const name = m[1] as string;
      if (!comparedNames(text).has(name) || PLACEHOLDER.test(m[2] as string)) return undefined;
      const named = /key|pin|pass|secret|licen[cs]e|serial|unlock|otp|admin/i.test(name);
      return {
        ...(named ? {} : { severity: 'medium' as const }),
        ruleId: 'secret-hardcoded-comparison',
        message: `a string from Java is compared with the constant ${name} of the native code`,
        evidence: redact(m[2] as string, 0),
        key: `compare:${m[2]}`,
      };
    },
  },
  {
    // A secret written in clear to a file the app creates in its own storage (a temporary file,
    // `openFileOutput`): the file in clear, as a preference file would be.
    langs: ['jvm'],
    needs: ['createTempFile', 'openFileOutput'],
    pattern: /\.(?:write|append|print|println)\(\s*([^;\n]{1,300})/g,
    check: (m, text) => {
      if (!/FileWriter|FileOutputStream|openFileOutput|PrintWriter|BufferedWriter/.test(text))
        return undefined;
      // Jetpack Security's EncryptedFile (its own `openFileOutput`) or a cipher stream: not in clear.
      if (/EncryptedFile|CipherOutputStream/.test(text)) return undefined;
      const name = secretValueIn(m[1] as string);
      const kind = name === undefined ? undefined : secretKind(name);
      if (name === undefined || kind === undefined) return undefined;
      return {
        ruleId: 'storage-secret-in-preferences',
        message: `${name.slice(0, 60)} written in clear to a file of the app`,
        evidence: name.slice(0, 60),
        key: `file:${name}`,
        ...(kind === 'token' ? { severity: 'medium' as const } : {}),
      };
    },
  },
  {
    // A secret put in a SQLite row by a statement built in the code (`execSQL("INSERT INTO
    // users VALUES ('" + usr.getText() + "', '" + pwd.getText() + "')")`).
    langs: ['jvm'],
    needs: ['execSQL'],
    pattern: /\bexecSQL\(\s*([^\n]{1,400})/g,
    check: (m, text) => {
      const args = m[1] as string;
      if (!/\b(?:INSERT|UPDATE|REPLACE)\b/i.test(args) || ENCRYPTED_DATABASE.test(text)) return undefined;
      return databaseVerdict(secretValueIn(args) ?? literalSecretColumn(args, text), 'a SQLite row');
    },
  },
  {
    // ContentValues of a row: `values.put("password", pwd)` before `db.insert(…)`.
    langs: ['jvm'],
    needs: ['ContentValues'],
    pattern: /\.put\(\s*"([^"\n]{1,80})"\s*,\s*([^;\n]{1,200})/g,
    check: (m, text) => {
      if (!/\.(?:insert|insertOrThrow|insertWithOnConflict|update|replace)\(/.test(text)) return undefined;
      if (ENCRYPTED_DATABASE.test(text)) return undefined;
      if (/^\s*"/.test(m[2] as string) || HASHED.test(m[2] as string)) return undefined;
      return databaseVerdict(m[1] as string, 'a SQLite row');
    },
  },
  {
    // A property of a Realm or Core Data object set to a secret (`user.password =
    // passwordTextField.text` before `realm.add(user)` or `context.save()`).
    langs: ['jvm', 'swift', 'objc'],
    needs: ['Realm', 'insertNewObject', 'NSManagedObject'],
    // Anchored on the `.` before the property (the receiver read by walking back), not on every
    // word of the file.
    pattern: /\.\s*([A-Za-z_$][\w$]*)\s*=(?!=)\s*([^\n;]{1,200})/g,
    check: (m, text) => {
      const value = m[2] as string;
      const receiver = receiverBefore(text, m.index);
      // `case .noCredentialFound = error`: a Swift pattern, not a property of an object.
      if (
        receiver === '' ||
        /^(?:self|this|case|if|guard|let|var|return|else|where|in)$/.test(receiver) ||
        /^\s*@?"/.test(value) ||
        HASHED.test(value)
      )
        return undefined;
      if (
        !/\brealm\.(?:add|create|write|copyToRealm|insert)|\.copyToRealm|insertNewObject|NSManagedObject/.test(
          text,
        )
      )
        return undefined;
      if (ENCRYPTED_DATABASE.test(text)) return undefined;
      if (builtOutsideDatabase(text, receiver)) return undefined;
      return databaseVerdict(m[1] as string, 'a Realm or Core Data object');
    },
  },
  {
    // A secret in a Couchbase Lite document's properties or set in a YapDatabase collection.
    langs: ['swift', 'objc'],
    needs: ['createDocument', 'putProperties', 'MutableDocument', 'inCollection'],
    pattern:
      /@?"([A-Za-z_][\w.-]{0,60})"\s*:\s*([^,}\]\n]{1,120})|\bsetObject\(\s*([^\n]{1,200}?),\s*forKey:\s*"([^"\n]{1,80})"\s*,\s*inCollection:|\bsetObject:\s*([^\n\]]{1,200}?)\s+forKey:\s*(?:@"([^"\n]{1,80})"|([A-Za-z_]\w*))\s+inCollection:/g,
    check: (m, text) => {
      // Objective-C's message (`[transaction setObject:v forKey:YapKeyPassword inCollection:…]`):
      // the key is a literal or a constant, whose name says what it keys as well as its value.
      if (m[5] !== undefined) {
        if (/^\s*@?"/.test(m[5]) || HASHED.test(m[5])) return undefined;
        return databaseVerdict((m[6] ?? m[7]) as string, 'a YapDatabase collection');
      }
      const value = (m[2] ?? m[3]) as string;
      if (/^\s*@?"/.test(value) || HASHED.test(value)) return undefined;
      if (m[1] !== undefined && !/createDocument|putProperties|MutableDocument/.test(text)) return undefined;
      return databaseVerdict(
        (m[1] ?? m[4]) as string,
        m[1] === undefined ? 'a YapDatabase collection' : 'a Couchbase Lite document',
      );
    },
  },
  {
    // A secret-named variable given to a log call.
    langs: ['jvm', 'swift', 'objc', 'dart'],
    needs: ['Log.', 'println', 'print(', 'NSLog', 'os_log', 'Timber.', 'debugPrint'],
    pattern:
      /\b(?:Log\.[vdiwe]|Timber\.[vdiwe]|System\.out\.println|println|print|debugPrint|NSLog|os_log)\s*\(([^;\n]{1,300})/g,
    check: (m, text) => {
      const args = m[1] as string;
      let last = secretNamed(args);
      // A message built first (`val msg = "… ${password.text} …"; Log.i(TAG, msg)`): one step back.
      for (const id of last === undefined ? valueNames(args) : []) {
        if (id.includes('.')) continue;
        const expr = assignedTo(id, text);
        last = expr === undefined ? undefined : secretNamed(expr);
        if (last !== undefined) break;
      }
      // What the user typed, under a label that says it is a secret (`"credit card: " +
      // cctxt.getText()`, `"PIN: ${code.text}"`): the widget's name says nothing, its label does.
      if (last === undefined && /getText|\.text\b/.test(args)) {
        const typed = TYPED_AFTER_LABEL.exec(args);
        if (typed !== null && SECRET_LABEL.test(typed[1] as string)) last = typed[2] as string;
      }
      // A credential written out as a literal under a tag that names it (`Log.d("Credentials",
      // "foo@example.com:hellouu")`): a pair joined by `:` or `=`, not a sentence about it.
      if (last === undefined) {
        const literal = LITERAL_UNDER_TAG.exec(args);
        if (
          literal !== null &&
          (SECRET_LABEL.test(literal[1] as string) || /credential/i.test(literal[1] as string))
        )
          last = `a literal under the tag "${literal[1]}"`;
      }
      // A constant that holds a credential itself (`Log.d("Secrets", Secrets.HARDCODED_ADMIN_JWT)`):
      // upper case words ending in one that names a credential, with none that says the constant
      // holds the key or label of one (`PREF_PASSWORD`, `EXTRA_TOKEN`, `KEY_SECRET`).
      if (last === undefined) last = credentialConstantIn(args);
      if (last === undefined) last = loggedWithSecretField(args, text, m.index as number);
      if (last === undefined) return undefined;
      return {
        ruleId: 'storage-secret-in-log',
        message: `${last.slice(0, 60)} is written to the log`,
        evidence: last.slice(0, 60),
        key: `log:${last}`,
      };
    },
  },
  {
    // Swift's unified logging (`Logger`, `os.Logger`): an interpolated value is private by
    // default, redacted in the log unless a debugger is attached, so only one marked
    // `privacy: .public` is written readable, to a log that `log collect` and sysdiagnoses copy.
    langs: ['swift'],
    needs: ['privacy: .public', 'privacy:.public'],
    pattern: /\\\(\s*([A-Za-z_][\w.]*(?:\(\s*\))?)\s*,\s*privacy:\s*\.public\b/g,
    check: (m, text) => {
      const name = secretNamed((m[1] as string).replace(/\(\s*\)$/, ''));
      if (name === undefined) return undefined;
      // The interpolation must be in a log call's message: the statement it sits in names one.
      const lineStart = text.lastIndexOf('\n', m.index) + 1;
      const statement = text.slice(Math.max(0, lineStart - 200), m.index);
      if (!SWIFT_LOG_CALL.test(statement)) return undefined;
      return {
        ruleId: 'storage-secret-in-log',
        message: `${name.slice(0, 60)} is written to the log with privacy: .public (readable in the device's log)`,
        evidence: name.slice(0, 60),
        key: `log:${name}`,
      };
    },
  },
  {
    langs: ['jvm'],
    needs: ['ClassLoader'],
    pattern:
      /\bnew\s+(DexClassLoader|InMemoryDexClassLoader|PathClassLoader)\s*\(|\b(DexClassLoader|InMemoryDexClassLoader)\s*\(/g,
    check: (m) => ({
      ruleId: 'code-dynamic-loading',
      message: `${m[1] ?? m[2]} loads code at run time: code not reviewed or signed with the app`,
      key: `loader:${m[1] ?? m[2]}`,
    }),
  },
  {
    langs: ['c', 'objc'],
    needs: ['strcpy', 'strcat', 'sprintf', 'gets', 'vsprintf'],
    pattern: /\b(strcpy|strcat|sprintf|vsprintf|gets)\s*\(/g,
    check: (m) => ({
      ruleId: 'native-banned-api',
      message: `${m[1]}() writes without a bound: use ${m[1] === 'gets' ? 'fgets' : m[1] === 'strcpy' || m[1] === 'strcat' ? 'strlcpy/strlcat' : 'snprintf/vsnprintf'}`,
      evidence: m[1] as string,
      key: `banned:${m[1]}`,
      ...(m[1] === 'gets' ? { severity: 'medium' as const } : {}),
    }),
  },
];

/**
 * Blanks comments (keeping every offset and line), leaving strings as they are. One pass over the
 * text: a regex for block comments would rescan to the end of the file at every unterminated
 * `/*` of a crafted file, quadratic time. The text is put together from pieces joined once, and a
 * comment's blank from runs of spaces cut from one string: a regex replace per comment and a
 * string grown piece by piece took 30 ms on `sqlite3.h` (690 KB, mostly comments).
 *
 * @example
 * ```ts
 * blankComments('a /* b *\/ "c // d" // e'); // 'a         "c // d"     '
 * ```
 */
export function blankComments(text: string): string {
  const parts: string[] = [];
  let copied = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    // Straight to the next quote or slash: the regex engine's loop over the code in between is
    // several times faster than one in JavaScript (100 MB of sources go through here).
    QUOTE_OR_SLASH.lastIndex = i;
    if (QUOTE_OR_SLASH.exec(text) === null) break;
    i = QUOTE_OR_SLASH.lastIndex - 1;
    const c = text.charCodeAt(i);
    if (c === 34 || c === 39) {
      // A string or character literal: up to its closing quote or the end of the line.
      const stop = c === 34 ? DOUBLE_QUOTED_STOP : SINGLE_QUOTED_STOP;
      i++;
      while (i < n) {
        stop.lastIndex = i;
        if (stop.exec(text) === null) {
          i = n;
          break;
        }
        const at = stop.lastIndex - 1;
        if (text.charCodeAt(at) === 92) i = at + 2;
        else {
          i = at + 1;
          break;
        }
      }
    } else if (c === 47 && (text.charCodeAt(i + 1) === 47 || text.charCodeAt(i + 1) === 42)) {
      const line = text.charCodeAt(i + 1) === 47;
      let end = line ? text.indexOf('\n', i) : text.indexOf('*/', i + 2);
      end = end === -1 ? n : line ? end : end + 2;
      parts.push(text.slice(copied, i));
      // Every character but the line feeds becomes a space.
      for (let from = i; ; ) {
        const feed = line ? -1 : text.indexOf('\n', from);
        const stop = feed === -1 || feed >= end ? end : feed;
        parts.push(spaces(stop - from));
        if (stop === end) break;
        parts.push('\n');
        from = stop + 1;
      }
      copied = end;
      i = end;
    } else {
      i++;
    }
  }
  if (copied === 0) return text;
  parts.push(text.slice(copied));
  return parts.join('');
}

const QUOTE_OR_SLASH = /["'/]/g;
/** What ends a `"…"` literal's scan: an escape, its quote, the end of the line. */
const DOUBLE_QUOTED_STOP = /[\\"\n]/g;
const SINGLE_QUOTED_STOP = /[\\'\n]/g;

const SPACES = ' '.repeat(1024);

function spaces(count: number): string {
  return count <= SPACES.length ? SPACES.slice(0, count) : ' '.repeat(count);
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/**
 * Runs the code rules on one source file.
 *
 * @example
 * ```ts
 * checkSource('new SecretKeySpec("0123456789abcdef".getBytes(), "AES")', 'Crypto.java');
 * ```
 */
export function checkSource(
  source: string,
  file: string,
  present: ReadonlySet<string> = needsIn(source),
): RawFinding[] {
  const ext = /\.([a-z]+)$/.exec(file)?.[1] ?? '';
  const langs = LANGS[ext] ?? [];
  const rules = CODE_RULES.filter(
    (r) => r.langs.some((l) => langs.includes(l)) && r.needs.some((n) => present.has(n)),
  );
  if (rules.length === 0) return [];
  const text = blankComments(source);
  let starts: number[] | undefined;
  const out: RawFinding[] = [];
  for (const rule of rules) {
    rule.pattern.lastIndex = 0;
    for (let m = rule.pattern.exec(text); m !== null; m = rule.pattern.exec(text)) {
      const verdict = rule.check(m, text, source);
      if (verdict === undefined) continue;
      starts ??= lineStarts(text);
      const { lowered: reason, ...rest } = verdict;
      const raw: RawFinding = { ...rest, file, line: lineAt(starts, m.index) };
      out.push(reason === undefined ? namedForDebugging(raw) : lowered(raw, reason));
    }
  }
  return out;
}

/** A source file named for debugging: `debug_http_overrides.dart`, `DebugTrustManager.kt`. */
const DEBUG_NAMED = /(?:^|\/)(?:debug[_-][^/]*|Debug[A-Z][^/]*)$/;

/**
 * A TLS check turned off in a file named for debugging (Hacki's `DebugHttpOverrides`, installed
 * under `if (kDebugMode)` in another file): a high finding is medium, with that reason. Not lowered
 * further: the name is the developer's intent, and whether a release build installs it is decided
 * where it is used.
 */
function namedForDebugging(raw: RawFinding): RawFinding {
  if (
    !/^network-(?:trust-all-certificates|hostname-verification-off)$/.test(raw.ruleId) ||
    !DEBUG_NAMED.test(raw.file)
  )
    return raw;
  return toMedium(
    raw,
    `in a file named for debugging, ${raw.file.slice(raw.file.lastIndexOf('/') + 1)}; check that no release build installs it`,
  );
}

/**
 * Every literal some code rule needs (ASCII, three characters or more).
 *
 * @example
 * ```ts
 * CODE_NEEDS.includes('SecretKeySpec'); // true
 * ```
 */
export const CODE_NEEDS: readonly string[] = [...new Set(CODE_RULES.flatMap((r) => r.needs))];
const NEEDS = CODE_NEEDS;
let needIndex: TriggerIndex | undefined;

/**
 * The literals of `NEEDS` that `source` holds, found in one pass of the prefilter: asking
 * `source.includes` for each rule's needs read a file some forty times over (0.18 s for 30 MB of
 * Java). On the bytes of a UTF-8 file the answer is the same as on its text: the needs are ASCII,
 * and every ASCII byte decodes to that character and no other byte does.
 *
 * @example
 * ```ts
 * needsIn('new SecretKeySpec(k, "AES")').has('SecretKeySpec'); // true
 * ```
 */
export function needsIn(source: string | Uint8Array): Set<string> {
  needIndex ??= new TriggerIndex(NEEDS.map((text) => ({ text, ignoreCase: false })));
  const found: number[] = [];
  needIndex.find(source, 0, source.length, found);
  const present = new Set<string>();
  for (let i = 0; i < found.length; i += 2) present.add(NEEDS[found[i] as number] as string);
  return present;
}

/**
 * A call of Swift's unified logging at the end of the text before an interpolation:
 * `logger.debug(`, `Logger.auth.info(`, `os_log(`, `log.error(`, its message's start after it.
 */
const SWIFT_LOG_CALL =
  /(?:\b\w*(?:[Ll]ogger|[Ll]og)\w*\s*[?!]?\s*\.\s*(?:debug|info|notice|error|warning|fault|trace|critical|log)|\bos_log)\s*\([^()]*(?:\([^()]*\)[^()]*)*$/;

/** JavaScript and TypeScript sources (not declarations, not minified copies). */
const JS_SOURCE = /\.(?:js|jsx|mjs|cjs|ts|tsx)$/;
const JS_NOT_SOURCE = /\.(?:d\.ts|min\.js)$/;

/**
 * Names about a token rather than the token, in the scripts of apps (wallets above all): a flag
 * (`hasSession`, `isAuthenticated`), or an asset's id, code or symbol (`tokenId`, `fioTokenCode`).
 */
const NOT_THE_SECRET = /^(?:has|is|should|can|did|was|will)[A-Z]|(?:Id|ID|Code|Symbol|Index)$/;

/** Scripts of the build and release (`scripts/`, CI, fastlane) and tools' configs (`metro.config.js`). */
const JS_TOOLING = /(?:^|\/)(?:scripts|\.github|fastlane|\.husky)\/|\.config\.[cm]?[jt]s$/;

/** A line longer than this is minified code, not a script a person wrote. */
const MINIFIED_LINE = 1000;

/** A console call of JavaScript and what it is given, up to the end of the line. */
const CONSOLE_CALL = /\bconsole\s*\.\s*(?:log|info|warn|error|debug|trace)\s*\(([^;\n]{1,300})/g;

/**
 * Secret-named values given to `console.log` and friends in the JavaScript or TypeScript of an app
 * (React Native, Capacitor, Cordova): a release build of React Native keeps console calls unless a
 * Babel plugin strips them, and writes them to the system log (logcat, the iOS unified log). A
 * call in a comment, under `__DEV__` on its line or the line before (a development build only),
 * or on a minified line (a vendored library's build) is not the app's release log. Template
 * literals count by what they interpolate, not their words; flags and ids are not the secret.
 *
 * @example
 * ```ts
 * consoleLogs('console.log("token", token);', 'src/api.js'); // one storage-secret-in-log
 * ```
 */
export function consoleLogs(source: string, file: string): RawFinding[] {
  const out: RawFinding[] = [];
  const text = blankComments(source);
  let starts: number[] | undefined;
  CONSOLE_CALL.lastIndex = 0;
  for (let m = CONSOLE_CALL.exec(text); m !== null; m = CONSOLE_CALL.exec(text)) {
    const lineStart = text.lastIndexOf('\n', m.index - 1) + 1;
    // A minified line (a vendored library's build) is not the app's own script.
    const lineEnd = text.indexOf('\n', m.index);
    if ((lineEnd === -1 ? text.length : lineEnd) - lineStart > MINIFIED_LINE) continue;
    const previous = text.slice(text.lastIndexOf('\n', Math.max(0, lineStart - 2)) + 1, m.index);
    if (/__DEV__/.test(previous)) continue;
    // A template literal names the values it interpolates, its words are text; a negation
    // (`!!pushToken`) logs whether there is one.
    const args = (m[1] as string)
      .replace(/`(?:[^`\\]|\\.)*`?/g, (t) => [...t.matchAll(/\$\{([^}]*)\}/g)].map((x) => x[1]).join(' '))
      .replace(/!+\s*[A-Za-z_$][\w$.]*/g, ' ');
    const name = secretNamed(args);
    if (name === undefined || NOT_THE_SECRET.test(name)) continue;
    starts ??= lineStarts(text);
    const raw: RawFinding = {
      ruleId: 'storage-secret-in-log',
      file,
      line: lineAt(starts, m.index),
      message: `${name.slice(0, 60)} is written to the log (console.${/\.\s*(\w+)/.exec(m[0])?.[1] ?? 'log'} in a release build goes to the system log)`,
      evidence: name.slice(0, 60),
      key: `log:${name}`,
    };
    out.push(
      JS_TOOLING.test(file)
        ? lowered(
            raw,
            "a build or release script: it logs on a developer's or the CI's machine, not in the app",
          )
        : raw,
    );
  }
  return out;
}

/** `jwt.sign(payload, key…)` / `jwt.verify(token, key…)` of jsonwebtoken and its kin, the key in the second argument. */
const JWT_CALL =
  /\b(?:jwt|JWT|jsonwebtoken|jose)\s*\.\s*(sign|verify)\s*\(\s*(?:[^,()]|\([^()]*\))+,\s*(?:(['"`])((?:(?!\2)[^\\\n]|\\.){1,256})\2|([A-Za-z_$][\w$]*))\s*[,)]/g;

/**
 * A JSON Web Token signed or checked with a secret written in the script (`jwt.sign(payload,
 * 'supersecretkey')`, or a `const secret = '…'` of the same file): whoever reads the app's bundle
 * mints tokens the server accepts. A PEM key in place is left to the private-key rule (a public
 * key given to `verify` is no secret), and so is a value read at run time (`process.env.…`).
 *
 * @example
 * ```ts
 * jwtSecrets("const secret = 'k3y'; jwt.sign(p, secret);", 'src/App.js'); // one crypto-hardcoded-key
 * ```
 */
export function jwtSecrets(source: string, file: string): RawFinding[] {
  const out: RawFinding[] = [];
  const text = blankComments(source);
  let starts: number[] | undefined;
  JWT_CALL.lastIndex = 0;
  for (let m = JWT_CALL.exec(text); m !== null; m = JWT_CALL.exec(text)) {
    let value = m[3];
    if (value === undefined) {
      if (!withinBudget(text, 'jwt-secret')) continue;
      const name = (m[4] as string).replace(/\$/g, '\\$');
      const decl = new RegExp(
        String.raw`\b(?:const|let|var)\s+${name}\s*(?::\s*\w+\s*)?=\s*(['"\`])((?:(?!\1)[^\\\n]|\\.){1,256})\1`,
      ).exec(text);
      value = decl?.[2];
    }
    if (value === undefined || value.length < 4 || /^-----BEGIN|\$\{/.test(value) || PLACEHOLDER.test(value))
      continue;
    starts ??= lineStarts(text);
    out.push({
      ruleId: 'crypto-hardcoded-key',
      file,
      line: lineAt(starts, m.index),
      message: `JWT ${m[1] === 'sign' ? 'signed' : 'verified'} with a secret written in the script: whoever reads the bundle mints tokens that pass`,
      evidence: redact(value, 0),
      key: `jwt-secret:${value}`,
    });
  }
  return out;
}

/** The source-code analyser. */
/** A literal flag or number, never a secret. */
const FLAG_VALUE = /^\s*(?:true|false|nil|null|YES|NO|-?[0-9]+(?:\.[0-9]+)?)\s*$/;

/**
 * A Realm opened with an encryption key: Swift's `Realm.Configuration(…, encryptionKey: key)`
 * (not `nil`), Java's and Kotlin's `RealmConfiguration.Builder()….encryptionKey(key)`. Realm then
 * encrypts the whole database file (AES-256).
 */
const REALM_ENCRYPTED =
  /Realm\.Configuration\s*\([^;]{0,600}?\bencryptionKey\s*:\s*(?!nil\b)[A-Za-z_(]|RealmConfiguration\b[^;]{0,600}?\.encryptionKey\s*\(\s*(?!null\b)[A-Za-z_(]/;

/** Code of libraries kept in the tree (CocoaPods, Carthage, Swift packages, vendored folders). */
const VENDORED = /(?:^|\/)(?:Pods|Carthage|SourcePackages|\.build|vendor|third[-_]party|node_modules)\//;

/**
 * The secrets set on Realm objects (`… in a Realm or Core Data object`, in a file that names
 * Realm), once every source file is read: when a file of the app opens Realm with an encryption
 * key, a high one is medium, with that reason (the database file is encrypted; where the key comes
 * from decides how well). Core Data has no such setting. Applied where the findings stand, so that
 * the order of a file's findings (and which of two on the same name is kept) does not change.
 *
 * @example
 * ```ts
 * const raws = inEncryptedRealm(allRaws, app);
 * ```
 */
export function inEncryptedRealm(raws: readonly RawFinding[], app: AppScope): RawFinding[] {
  const by = app.realmEncryptedBy;
  if (by === undefined || app.realmFiles.length === 0) return [...raws];
  const files = new Set(app.realmFiles);
  return raws.map((raw) =>
    raw.ruleId === 'storage-secret-in-preferences' &&
    files.has(raw.file) &&
    raw.message.includes('a Realm or Core Data object')
      ? toMedium(
          { ...raw, message: raw.message.replace(/a Realm or Core Data object/, 'a Realm object') },
          `the app opens Realm with an encryption key, in ${by.slice(by.lastIndexOf('/') + 1)}, so the database file is encrypted; check where the key comes from`,
        )
      : raw,
  );
}

export const CODE_ANALYSERS: readonly FileAnalyser[] = [
  {
    matches: (_path, name) => SOURCE.test(name),
    analyse(bytes, context) {
      const realm = bytes.indexOf('Realm') !== -1;
      const present = needsIn(bytes);
      // A file that holds no literal any rule needs is not even decoded.
      if (present.size === 0 && !realm) return undefined;
      const text = bytes.toString('utf8');
      if (realm && !VENDORED.test(context.path) && REALM_ENCRYPTED.test(text))
        context.app.realmEncryptedBy ??= context.path;
      // A Realm object's secret is judged once every file is read: another may encrypt the Realm.
      if (realm) context.app.realmFiles.push(context.path);
      if (present.size === 0) return undefined;
      context.report(...checkSource(text, context.path, present));
      return undefined;
    },
  },
  {
    // The app's own scripts, not a bundle: a file over this size is a build's output or a vendored
    // library, scanned by the text rules on a worker as before.
    maxBytes: 256 * 1024,
    matches: (path, name) =>
      JS_SOURCE.test(name) && !JS_NOT_SOURCE.test(name) && !/(?:^|\/)node_modules\//.test(path),
    analyse(bytes, context) {
      const logs = bytes.indexOf('console') !== -1;
      const jwt = bytes.indexOf('jwt') !== -1 || bytes.indexOf('JWT') !== -1;
      if (!logs && !jwt) return undefined;
      const source = bytes.toString('utf8');
      if (logs) context.report(...consoleLogs(source, context.path));
      if (jwt) context.report(...jwtSecrets(source, context.path));
      return undefined;
    },
  },
];

/**
 * Whether the array `name` is filled by a call before it is used: a random generator's
 * `nextBytes`, a stream's `read`/`readFully`, a buffer's `get`, or a copy into it
 * (`System.arraycopy`'s destination, Kotlin's `copyInto`).
 */
function isFilledBeforeUse(name: string, text: string): boolean {
  const n = name.replace(/[$]/g, '\\$&');
  return new RegExp(
    String.raw`(?:\b(?:nextBytes|readFully|read|get)\(\s*${n}\s*[,)]|\barraycopy\([^;()]*?,[^;()]*?,\s*${n}\s*,|\.copyInto\(\s*(?:destination\s*=\s*)?${n}\b)`,
  ).test(text);
}
