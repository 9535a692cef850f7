/**
 * The text scan of one file's bytes, shared by the main thread and the scan workers: decodes
 * (UTF-16 with a BOM, else latin1, which keeps byte offsets and every ASCII token intact),
 * decides whether line numbers make sense (not for binaries) and turns engine hits into raw
 * findings with their lines.
 */

import { WEB_DETECTORS } from '../rules/cleartext.js';
import { SECRET_DETECTORS } from '../rules/secrets.js';
import type { RawFinding } from './finding.js';
import { TextEngine, type TextFileInfo } from './text-engine.js';

/**
 * The engine with every text detector.
 *
 * @example
 * ```ts
 * const engine = createTextEngine();
 * ```
 */
export function createTextEngine(): TextEngine {
  return new TextEngine([...SECRET_DETECTORS, ...WEB_DETECTORS]);
}

/**
 * Scans `text` for triggers before `acceptBefore`, appending findings to `out`; returns the line
 * number at `acceptBefore` (for the next chunk of a streamed file).
 *
 * @example
 * ```ts
 * scanTextChunk(engine, text, text.length, { path: 'main.js', config: false }, true, 1, findings);
 * ```
 */
export function scanTextChunk(
  engine: TextEngine,
  text: string,
  acceptBefore: number,
  info: TextFileInfo,
  lines: boolean,
  lineBase: number,
  out: RawFinding[],
): number {
  const hits = engine.scan(text, 0, acceptBefore, info);
  let line = lineBase;
  let pos = 0;
  const advance = (to: number) => {
    for (let i = text.indexOf('\n', pos); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) line++;
    pos = to;
  };
  for (const hit of hits) {
    if (lines) advance(hit.start);
    const raw: RawFinding = {
      ruleId: hit.ruleId,
      file: info.path,
      message: hit.message,
      evidence: hit.evidence,
      key: hit.key,
    };
    if (lines) raw.line = line;
    if (hit.severity !== undefined) raw.severity = hit.severity;
    out.push(raw);
  }
  if (lines) advance(acceptBefore);
  return line;
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
    scanTextChunk(engine, text, text.length, info, true, 1, out);
  } else {
    const binary = bytes.subarray(0, 8000).includes(0);
    const text = bytes.toString('latin1');
    scanTextChunk(engine, text, text.length, info, !binary, 1, out);
  }
  return out;
}
