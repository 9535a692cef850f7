/**
 * Where a finding sits changes how much it matters: configuration that only a debug build
 * carries never reaches users. A finding there is lowered to `low`, never dropped, and its
 * message says why, so a reader can see what was lowered and judge it.
 */

import { ruleMeta } from '../rules/catalog.js';
import { atOrAbove } from '../severity.js';
import type { Severity } from '../types.js';
import type { RawFinding } from './finding.js';

/**
 * A Gradle debug source set: `src/debug/`, or a flavour's, `src/<flavour>Debug/`. Gradle merges
 * it into debug builds only (`src/debug/res/xml/network_security_config.xml`, a debug
 * `AndroidManifest.xml`).
 */
const DEBUG_SOURCE_SET = /(?:^|\/)src\/(?:debug|[a-z][A-Za-z0-9]*Debug)\//;

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

/** What a finding in a debug-only place is lowered to. */
const DEBUG_SEVERITY: Severity = 'low';

/**
 * The raw finding as its place makes it: lowered to `low`, with the reason in its message, when
 * it sits in a debug-only source set and its rule is more serious than that; else unchanged.
 *
 * @example
 * ```ts
 * inContext({ ruleId: 'android-nsc-cleartext', file: 'app/src/debug/res/xml/network_security_config.xml', message: '…', key: 'base' });
 * // severity 'low', message ending in '[lowered from high: debug build only (Gradle source set src/debug)]'
 * ```
 */
export function inContext(raw: RawFinding): RawFinding {
  const set = DEBUG_SOURCE_SET.exec(raw.file);
  if (set === null) return raw;
  const severity = raw.severity ?? ruleMeta(raw.ruleId).severity;
  if (severity === DEBUG_SEVERITY || !atOrAbove(severity, DEBUG_SEVERITY)) return raw;
  const name = set[0].replace(/^\//, '').replace(/\/$/, '');
  return {
    ...raw,
    severity: DEBUG_SEVERITY,
    message: `${raw.message} [lowered from ${severity}: debug build only (Gradle source set ${name})]`,
  };
}
