/**
 * `crypto-weak-hash`: MD5 and SHA-1 used as hashes, judged by what they hash. The source-code
 * rules (`code.ts`) and the text detector below (JavaScript: `crypto.createHash('md5')`,
 * `CryptoJS.MD5(…)`) share the judgement: a hashed value named as a password, PIN or secret is
 * high (a fast unsalted hash of a secret is reversed by brute force, the PIN of a training app in
 * a second); a digest named as a checksum, cache key or ETag is lowered to `low` with that reason
 * (a checksum needs no collision resistance against an attacker); anything else is medium,
 * because what it protects is not known from the code.
 */
import type { TextDetector, TextVerdict } from '../lib/text-engine.js';
import type { Severity } from '../types.js';

/** Words of a name that say it holds a secret whose hash must not be reversible. */
const SECRET_WORDS = new Set([
  'password',
  'passwords',
  'passwd',
  'pwd',
  'passcode',
  'passphrase',
  'pin',
  'secret',
  'credential',
  'credentials',
  'otp',
]);

/** Words of a name that say a digest only tells content apart (no attacker in the picture). */
const CHECKSUM_WORDS = new Set([
  'checksum',
  'checksums',
  'crc',
  'etag',
  'cache',
  'cachekey',
  'gravatar',
  'thumbnail',
  'dedup',
  'dedupe',
  'md5sum',
]);

/**
 * The words of the identifiers in `code`, string literals left out: `hashPIN(pinValue)` → hash,
 * pin, pin, value; `user_password` → user, password.
 *
 * @example
 * ```ts
 * identifierWords('md.digest(pinValue.toByteArray())'); // ['md', 'digest', 'pin', 'value', 'to', 'byte', 'array']
 * ```
 */
export function identifierWords(code: string): string[] {
  const bare = code.replace(/@?"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`/g, ' ');
  const words: string[] = [];
  for (const id of bare.match(/[A-Za-z_$][\w$]*/g) ?? []) {
    for (const part of id.split(/[_$]+/)) {
      for (const w of part.split(/(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/)) {
        if (w !== '') words.push(w.toLowerCase());
      }
    }
  }
  return words;
}

/** How a weak hash is used, and the severity that follows. */
export interface HashUse {
  severity: Severity;
  /** What the message adds: the secret hashed, or nothing. */
  detail: string;
  /** Set when the digest is named as a checksum: the reason it is lowered. */
  lowered?: string;
}

/**
 * Judges a weak hash by the code around it: `hashed` is what it is given (the call's arguments,
 * the statement after it), `around` its neighbourhood (the lines before, the variable it goes to).
 *
 * @example
 * ```ts
 * weakHashUse('digest(pinValue.toByteArray())', 'fun hashPIN(pinValue: String)').severity; // 'high'
 * weakHashUse('update(bytes)', 'fun fileChecksum(file: File)').lowered; // 'named as a checksum (fileChecksum)'
 * ```
 */
export function weakHashUse(hashed: string, around: string): HashUse {
  const secret = identifierWords(hashed).find((w) => SECRET_WORDS.has(w));
  if (secret !== undefined) return { severity: 'high', detail: ` of a ${secret}` };
  const names = `${hashed} ${around}`.match(/[A-Za-z_$][\w$]*/g) ?? [];
  const checksum = names.find((n) => identifierWords(n).some((w) => CHECKSUM_WORDS.has(w)));
  if (checksum !== undefined) {
    return { severity: 'medium', detail: '', lowered: `named as a checksum (${checksum.slice(0, 40)})` };
  }
  return { severity: 'medium', detail: '' };
}

/** The statement that starts at `from`: up to its `;` or the end of its line, at most 200 characters. */
export function statementAt(text: string, from: number): string {
  const rest = text.slice(from, from + 200);
  const end = rest.search(/[;\n]/);
  return end === -1 ? rest : rest.slice(0, end);
}

/**
 * A verdict of `crypto-weak-hash` for `algorithm` called as `call` on `hashed`, with the severity
 * and reason of its use. What is hashed is part of the key, so two digests of one file are two
 * findings.
 */
export function weakHashVerdict(algorithm: string, call: string, hashed: string, use: HashUse): TextVerdict {
  const name = /md/i.test(algorithm) ? algorithm.toUpperCase() : 'SHA-1';
  const verdict: TextVerdict = {
    ruleId: 'crypto-weak-hash',
    message: `${call.slice(0, 60)}: ${name}${use.detail}, a hash broken for collisions and too fast for secrets`,
    evidence: name,
    key: `weak-hash:${name}:${call}:${hashed.replace(/\s+/g, '').slice(0, 80)}`,
  };
  if (use.severity !== 'medium') verdict.severity = use.severity;
  if (use.lowered !== undefined) verdict.lowered = use.lowered;
  return verdict;
}

/**
 * JavaScript (bundles, React Native, Capacitor and Cordova code): Node's
 * `createHash('md5' | 'sha1')` and crypto-js's `CryptoJS.MD5(…)` / `CryptoJS.SHA1(…)`. What is
 * hashed is read from the rest of the statement (`.update(password)`, the call's argument).
 */
export const WEAK_HASH_DETECTORS: readonly TextDetector[] = [
  {
    triggers: ['createHash', 'CryptoJS.'],
    pattern: /createHash\(\s*(["'`])(md5|md4|sha1|sha-1)\1\s*\)|CryptoJS\.(MD5|SHA1)\s*\(/iy,
    check: (m, text) => {
      const algorithm = (m[2] ?? m[3]) as string;
      const call = m[2] === undefined ? `CryptoJS.${algorithm}` : `createHash('${algorithm}')`;
      // What is hashed: the first argument of the call, or of the `.update(` right after it
      // (minified code joins statements with commas, so no further).
      const after = text.slice((m.index as number) + m[0].length, (m.index as number) + m[0].length + 200);
      const hashed = /^\s*(?:\.\s*update\(\s*)?([^,;)\n]{0,120})/.exec(after)?.[1] ?? '';
      const before = text.slice(Math.max(0, (m.index as number) - 80), m.index as number);
      return weakHashVerdict(algorithm, call, hashed, weakHashUse(hashed, before));
    },
  },
];
