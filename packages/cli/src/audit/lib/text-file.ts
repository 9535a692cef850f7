/**
 * The text scan of one file's bytes, shared by the main thread and the scan workers: decides the
 * decoding (UTF-16 with a BOM; else the bytes are scanned as they are and decoded as latin1 only
 * around triggers, which keeps byte offsets and every ASCII token intact), decides whether
 * line numbers make sense (not for binaries) and turns engine hits into raw findings with their
 * lines, counting line feeds only up to each hit.
 */

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
 * at `from`. Returns the line at `acceptBefore` when `lineAtEnd` is set (the next chunk of a
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
    out.push(hit.lowered === undefined ? raw : lowered(raw, hit.lowered));
  }
  if (lines && lineAtEnd) line += countNewlines(source, pos, acceptBefore);
  return line;
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
    scanTextChunk(engine, bytes, 0, bytes.length, info, !looksBinary(bytes), 1, out);
  }
  return out;
}
