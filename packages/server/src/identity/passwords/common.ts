/**
 * The list of common passwords that are refused at creation and change. It is the
 * `passwords-common` dictionary of @zxcvbn-ts/language-common (about 49,000 entries, the most
 * used passwords from public breach corpora, maintained by the zxcvbn-ts project), shipped in
 * the package: nothing is fetched at run time. Compared case-insensitively.
 */
import { dictionary } from '@zxcvbn-ts/language-common';

let commonSet: ReadonlySet<string> | undefined;

/** The common-password set, built on first use (lower case). */
function common(): ReadonlySet<string> {
  commonSet ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return commonSet;
}

/**
 * True when `password` is one of the common passwords (case-insensitive).
 *
 * @example
 * ```ts
 * isCommonPassword('Password1'); // true
 * ```
 */
export function isCommonPassword(password: string): boolean {
  return common().has(password.toLowerCase());
}

/** Number of entries in the list (for docs and tests). */
export function commonPasswordCount(): number {
  return common().size;
}
