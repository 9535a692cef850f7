/**
 * The text scan of one file's bytes, shared by the main thread and the scan workers: decides the
 * decoding (UTF-16 with a BOM; else the bytes are scanned as they are and decoded as latin1 only
 * around triggers, which keeps byte offsets and every ASCII token intact), decides whether
 * line numbers make sense (not for binaries) and turns engine hits into raw findings with their
 * lines, counting line feeds only up to each hit. Parts of a source compiled only for tests or
 * debug builds (a Rust `#[cfg(test)]` module, a Swift or Objective-C `#if DEBUG` block, a Gradle
 * debug signing config) lower what is found in them, with the reason.
 */

import { debugSigningRanges } from '../rules/android.js';
import { WEB_DETECTORS } from '../rules/cleartext.js';
import { SECRET_DETECTORS } from '../rules/secrets.js';
import { WEAK_HASH_DETECTORS } from '../rules/weak-hash.js';
import { lowered } from './context.js';
import type { RawFinding } from './finding.js';
import { countNewlines } from './line-count.js';
import { TextEngine, type TextFileInfo, type TextSource } from './text-engine.js';

/**
 * The engine with every text detector.
 *
 * @example
 * ```ts
 * const engine = createTextEngine();
 * ```
 */
export function createTextEngine(): TextEngine {
  return new TextEngine([...SECRET_DETECTORS, ...WEB_DETECTORS, ...WEAK_HASH_DETECTORS]);
}

/**
 * Scans `source` for triggers at offsets `[from, acceptBefore)` (what comes before `from` is
 * context for the detectors that look back), appending findings to `out`; `lineBase` is the line
 * at `from`; `placeOf` gives the reason to lower a finding at an offset (test or debug-only code). Returns the line at `acceptBefore` when `lineAtEnd` is set (the next chunk of a
 * streamed file goes on from there), else the line of the last finding.
 *
 * @example
 * ```ts
 * scanTextChunk(engine, text, 0, text.length, { path: 'main.js', config: false }, true, 1, findings);
 * ```
 */
export function scanTextChunk(
  engine: TextEngine,
  source: TextSource,
  from: number,
  acceptBefore: number,
  info: TextFileInfo,
  lines: boolean,
  lineBase: number,
  out: RawFinding[],
  lineAtEnd = false,
  placeOf?: (offset: number) => string | undefined,
): number {
  const hits = engine.scan(source, from, acceptBefore, info, lines ? lineBase : undefined);
  let line = lineBase;
  let pos = from;
  for (const hit of hits) {
    if (hit.line !== undefined) {
      line = hit.line;
      pos = hit.start;
    }
    const raw: RawFinding = {
      ruleId: hit.ruleId,
      file: info.path,
      message: hit.message,
      evidence: hit.evidence,
      key: hit.key,
    };
    if (hit.line !== undefined) raw.line = hit.line;
    if (hit.severity !== undefined) raw.severity = hit.severity;
    const reason = hit.lowered ?? placeOf?.(hit.start);
    out.push(reason === undefined ? raw : lowered(raw, reason));
  }
  if (lines && lineAtEnd) line += countNewlines(source, pos, acceptBefore);
  return line;
}

/** Why a finding inside a Rust test module is lowered: the reason `inContext` gives tests. */
const TEST_MODULE = 'test code, not shipped';

/**
 * Rust's unit tests: a module compiled only for `cargo test`, `#[cfg(test)]` on a line of its own
 * before `mod tests {`, conventionally at the end of the file it tests. Its keys and passwords are
 * test vectors (an SSH key parser's sample keys), not the app's.
 */
const RUST_TEST_MODULE =
  /^[ \t]*#\[cfg\(test\)\][ \t]*\r?\n(?:[ \t]*#\[[^\n]*\][ \t]*\r?\n)*[ \t]*(?:pub(?:\([a-z]+\))?[ \t]+)?mod[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\{/m;

/**
 * Where the test module of a Rust source starts (a byte offset; findings from there on are test
 * code), or infinity. Only a module that runs to the end of the file is taken: what follows its
 * closing brace would be the crate's again.
 *
 * @example
 * ```ts
 * rustTestModuleStart('fn f() {}\n#[cfg(test)]\nmod tests {\n  const K: &str = "…";\n}\n'); // 10
 * ```
 */
export function rustTestModuleStart(text: string): number {
  const m = RUST_TEST_MODULE.exec(text);
  if (m === null) return Number.POSITIVE_INFINITY;
  // The module's braces, outside strings and comments only roughly: a module that does not
  // close at the end of the file (after nothing but blank space) is not taken.
  let depth = 0;
  let i = m.index + m[0].length - 1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 123) depth++;
    else if (c === 125 && --depth === 0) break;
  }
  return i < text.length && text.slice(i + 1).trim() === '' ? m.index : Number.POSITIVE_INFINITY;
}

/** Why a finding inside a Swift or Objective-C `#if DEBUG` block is lowered. */
const DEBUG_BLOCK = 'debug or simulator builds only (inside #if DEBUG or #if targetEnvironment(simulator))';

/** A conditional-compilation line of Swift, Objective-C or C: `#if`, `#ifdef`, `#elseif`, `#elif`, `#else`, `#endif`. */
const CONDITIONAL = /^[ \t]*#[ \t]*(if|ifdef|ifndef|elseif|elif|else|endif)\b([^\n]*)/gm;

/**
 * A condition true only in debug or simulator builds: `DEBUG` (Xcode's debug configuration sets
 * it, for Swift and for the preprocessor) or `targetEnvironment(simulator)`, alone or and-ed with
 * others (`DEBUG && os(iOS)`); `!DEBUG` is the release side. An or-ed condition is not taken.
 */
function debugOnly(condition: string, negated: boolean): boolean {
  const c = condition.replace(/\/\/.*$|\/\*.*$/, '').trim();
  if (/\|\|/.test(c)) return false;
  const parts = c.split('&&').map((p) =>
    p
      .trim()
      .replace(/^\((.*)\)$/, '$1')
      .trim(),
  );
  const debug =
    /^(?:DEBUG|defined\(DEBUG\)|DEBUG[ \t]*(?:==|!=)[ \t]*1|targetEnvironment\(simulator\)|TARGET_OS_SIMULATOR|TARGET_IPHONE_SIMULATOR)$/;
  const release = /^!(?:DEBUG|defined\(DEBUG\)|targetEnvironment\(simulator\))$/;
  if (negated) return parts.length === 1 && release.test(parts[0] as string);
  return parts.some((p) => debug.test(p) && !/!=/.test(p));
}

/**
 * The byte ranges of a Swift, Objective-C or C source that only debug or simulator builds compile:
 * the branches of `#if DEBUG` (or `#ifdef DEBUG`, `#if targetEnvironment(simulator)`, and-ed with
 * other conditions) up to their `#else`, `#elseif` or `#endif`, and the `#else` branch of `#if
 * !DEBUG`; nested blocks inside them too. A fake QR code or sample token a developer scans in
 * the simulator sits there; the release build does not hold it.
 *
 * @example
 * ```ts
 * debugOnlyRanges('#if DEBUG\nlet t = "eyJ…"\n#endif\n'); // [[10, 24]]
 * ```
 */
export function debugOnlyRanges(text: string): [number, number][] {
  const ranges: [number, number][] = [];
  // One entry per open #if: whether its current branch is debug-only, and whether a later
  // #else would be (the #if was `!DEBUG`).
  const stack: { debug: boolean; elseDebug: boolean }[] = [];
  let openedAt = -1;
  const inDebug = () => stack.some((s) => s.debug);
  for (const m of text.matchAll(CONDITIONAL)) {
    const was = inDebug();
    const [, directive, rest] = m as unknown as [string, string, string];
    if (directive === 'if' || directive === 'ifdef' || directive === 'ifndef') {
      const condition =
        directive === 'ifdef' ? rest.trim() : directive === 'ifndef' ? `!${rest.trim()}` : rest;
      stack.push({ debug: debugOnly(condition, false), elseDebug: debugOnly(condition, true) });
    } else if (directive === 'elseif' || directive === 'elif') {
      const top = stack.at(-1);
      if (top !== undefined) {
        top.debug = debugOnly(rest, false);
        top.elseDebug = false;
      }
    } else if (directive === 'else') {
      const top = stack.at(-1);
      if (top !== undefined) {
        top.debug = top.elseDebug;
        top.elseDebug = false;
      }
    } else stack.pop();
    const now = inDebug();
    if (!was && now) openedAt = (m.index ?? 0) + m[0].length;
    else if (was && !now) ranges.push([openedAt, m.index ?? 0]);
  }
  if (inDebug()) ranges.push([openedAt, text.length]);
  return ranges;
}

/** Gradle build files, whose debug signing configs are read. */
const GRADLE_BUILD = /(?:^|\/)[^/]*\.gradle(?:\.kts)?$/;

/** Why a password inside a Gradle debug signing config is lowered. */
const DEBUG_SIGNING =
  'the debug signing config (Gradle signingConfigs.debug): the password of a debug key store, which signs debug builds only';

/** A YAML or JSON file, which may be an OpenAPI (Swagger) document. */
const API_DOCUMENT_FILE = /\.(?:ya?ml|json)$/i;

/**
 * An OpenAPI or Swagger document: a top-level `openapi: 3.0.3` or `swagger: "2.0"` (anywhere: a
 * generator may sort the keys, putting it last) and a top-level `paths:`, or the same keys in
 * JSON. The description of an API (a vendor's, copied to generate a client), whose keys and
 * tokens are its examples.
 */
function isApiDocument(bytes: Buffer): boolean {
  if (!bytes.includes('openapi') && !bytes.includes('swagger')) return false;
  const text = bytes.toString('latin1');
  return (
    (/(?:^|\n)(?:openapi|swagger)[ \t]*:[ \t]*["']?[0-9]/.test(text) && /(?:^|\n)paths[ \t]*:/.test(text)) ||
    (/"(?:openapi|swagger)"\s*:\s*"[0-9]/.test(text) && /"paths"\s*:\s*\{/.test(text))
  );
}

const API_DOCUMENT_REASON =
  'an OpenAPI document (the description of an API, whose values are its examples), not code of the app';

/** Sources whose `#if DEBUG` blocks are read: Swift, Objective-C and C-family headers and sources. */
const CONDITIONAL_SOURCE = /\.(?:swift|m|mm|h|c|cc|cpp)$/;

/**
 * The reason to lower a finding at each offset of a file's text, read from the file's own
 * structure: a Rust test module, a Swift or Objective-C debug-only block. Undefined when the
 * file has neither (most files: nothing is computed for them).
 */
function placesIn(path: string, bytes: Buffer): ((offset: number) => string | undefined) | undefined {
  if (API_DOCUMENT_FILE.test(path) && isApiDocument(bytes)) return () => API_DOCUMENT_REASON;
  if (path.endsWith('.rs')) {
    const testFrom = rustTestModuleStart(bytes.toString('latin1'));
    return testFrom === Number.POSITIVE_INFINITY
      ? undefined
      : (at) => (at >= testFrom ? TEST_MODULE : undefined);
  }
  if (GRADLE_BUILD.test(path) && bytes.includes('signingConfigs')) {
    let ranges: [number, number][] | undefined;
    return (at) => {
      ranges ??= debugSigningRanges(bytes.toString('latin1'));
      return ranges.some(([from, to]) => at > from && at < to) ? DEBUG_SIGNING : undefined;
    };
  }
  if (CONDITIONAL_SOURCE.test(path) && bytes.includes('#if')) {
    let ranges: [number, number][] | undefined;
    return (at) => {
      ranges ??= debugOnlyRanges(bytes.toString('latin1'));
      return ranges.some(([from, to]) => at >= from && at < to) ? DEBUG_BLOCK : undefined;
    };
  }
  return undefined;
}

/**
 * True when the first 8000 bytes hold a NUL: a binary, scanned without line numbers.
 *
 * @example
 * ```ts
 * looksBinary(Buffer.from('dex\n035\0')); // true
 * ```
 */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 8000).includes(0);
}

/**
 * Scans a whole file's bytes.
 *
 * @example
 * ```ts
 * const raws = scanTextBytes(engine, await readFile('main.js'), { path: 'main.js', config: false });
 * ```
 */
export function scanTextBytes(engine: TextEngine, bytes: Buffer, info: TextFileInfo): RawFinding[] {
  const out: RawFinding[] = [];
  if (bytes.length > 1 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    const text = bytes.subarray(2).toString('utf16le');
    scanTextChunk(engine, text, 0, text.length, info, true, 1, out);
  } else {
    const binary = looksBinary(bytes);
    const places = binary ? undefined : placesIn(info.path, bytes);
    scanTextChunk(engine, bytes, 0, bytes.length, info, !binary, 1, out, false, places);
  }
  return out;
}
