/**
 * The one table of file analysers and app-wide checks: each rule module exports its own, and the
 * scanner hands every file to the analysers whose `matches` (or `sniff`) takes it. Order matters
 * only for which analyser's `text` the text scan gets when two give one (they give the same).
 */
import type { AppCheck, FileAnalyser } from './analyser.js';
import { ANDROID_ANALYSERS, ANDROID_APP_CHECKS } from './android.js';
import { BINARY_ANALYSERS } from './binary.js';
import { CODE_ANALYSERS } from './code.js';
import { FILE_ANALYSERS, FILE_APP_CHECKS } from './files.js';
import { HYBRID_ANALYSERS } from './hybrid.js';
import { IOS_ANALYSERS, IOS_APP_CHECKS, XCODE_PROJECT_ANALYSERS } from './ios.js';

/**
 * Every file analyser.
 *
 * @example
 * ```ts
 * const mine = ANALYSERS.filter((a) => a.matches('AndroidManifest.xml', 'AndroidManifest.xml'));
 * ```
 */
export const ANALYSERS: readonly FileAnalyser[] = [
  ...FILE_ANALYSERS,
  ...ANDROID_ANALYSERS,
  ...IOS_ANALYSERS,
  ...XCODE_PROJECT_ANALYSERS,
  ...HYBRID_ANALYSERS,
  ...CODE_ANALYSERS,
  ...BINARY_ANALYSERS,
];

/**
 * Every check of a whole app.
 *
 * @example
 * ```ts
 * for (const check of APP_CHECKS) findings.push(...check(app, { apiDomains: [] }));
 * ```
 */
export const APP_CHECKS: readonly AppCheck[] = [...ANDROID_APP_CHECKS, ...FILE_APP_CHECKS, ...IOS_APP_CHECKS];

/** The analysers that take a file by its path (and its size, for those that take small files only). */
export function analysersFor(path: string, name: string, size = 0): FileAnalyser[] {
  return ANALYSERS.filter((a) => (a.maxBytes === undefined || size <= a.maxBytes) && a.matches(path, name));
}

/** The analysers that take a file by its first bytes (only for files no path matched). */
export function analysersSniffing(head: Uint8Array): FileAnalyser[] {
  return ANALYSERS.filter((a) => a.sniff?.(head) === true);
}
