/**
 * The text scan: one pass of the trigger prefilter (`trigger-index.ts`: the literal triggers of
 * every detector, e.g. `AKIA`, `ghp_`, `-----BEGIN `, `http://`, `secret`) over the raw bytes;
 * only where a trigger occurs does the detector's own sticky regex run, anchored there. Most of a
 * bundle has no trigger at all, so the cost is about one pass over the bytes whatever the number
 * of rules.
 *
 * Triggers that every detector dismisses on the raw bytes (`TextDetector.dismiss`) are dropped
 * first. Bytes are decoded (latin1: one character a byte, so offsets stay byte offsets) only
 * around the triggers kept, in windows of at most 124 KiB: 4 KiB before the first trigger of a
 * window for the detectors that look back, then the kept triggers that follow it closely (each
 * within 12 KiB of the previous one, all within 112 KiB of the first), and 8 KiB after the last
 * one. So a lone trigger costs 12 KiB of decoding, and every
 * detector reads at least 8 KiB from where its match starts (far more than any token, name or
 * URL needs); the two whose matches can be longer, JWTs and PEM keys, declare a reach of 64 KiB
 * (as much as the chunks of a streamed file share), and near the end of a window they run on a
 * window of their own. V8 allocates a string of 128 KiB or more in its large-object space, each
 * one fresh memory that only a full collection frees; windows stay in the young generation and
 * cost a tenth as much to make and to collect.
 */
import type { RuleId } from '../rules/catalog.js';
import type { Severity } from '../types.js';
import { LineCounter } from './line-count.js';
import { pushInOrder, TriggerIndex, type TriggerSpec } from './trigger-index.js';

/** What the engine knows about the file being scanned. */
export interface TextFileInfo {
  /** Path relative to the scanned root. */
  path: string;
  /** A config-like file (.env, .properties, .yaml, .ini…) where values are often unquoted. */
  config: boolean;
}

/** A detector's verdict on one match. */
export interface TextVerdict {
  ruleId: RuleId;
  message: string;
  /** Redacted evidence. */
  evidence: string;
  /** What identifies this problem within the file (for dedupe and the fingerprint). */
  key: string;
  severity?: Severity;
  /** Why the finding is lowered to `low` and set aside (its reason shown), when it is. */
  lowered?: string;
  /** Generic detectors yield to a specific one on the same span. */
  generic?: boolean;
  /** Span of the secret value inside the match, when it is not the whole match. */
  valueStart?: number;
  valueEnd?: number;
}

/** A verdict with its place in the text, and its line when lines were asked for. */
export interface TextHit extends TextVerdict {
  start: number;
  end: number;
  line?: number;
}

/**
 * A detector: its literal triggers (three characters or more), where its match starts relative
 * to a trigger (-1: no match possible here), its sticky regex and the check that turns a regex
 * match into a verdict (checksums, entropy, exclusions).
 */
export interface TextDetector {
  triggers: readonly string[];
  /** Triggers match in either letter case (default: exactly as written). */
  ignoreCase?: boolean;
  pattern: RegExp;
  start?: (text: string, at: number) => number;
  /**
   * A cheaper first look on the raw bytes of a latin1 file (a byte is a character), before any
   * text is decoded around the trigger at `at`: true when the detector would surely find nothing
   * from there (`start` returns -1, or the regex does not match where it starts). It may keep
   * what the detector then finds nothing in, never the reverse (a property test holds each
   * detector to that). A trigger every detector dismisses costs no decoding.
   */
  dismiss?: (bytes: Uint8Array, at: number) => boolean;
  /**
   * How far past its start a match may need to be read to be seen whole (default and least:
   * 8 KiB, what every window has past its triggers).
   */
  reach?: number;
  configOnly?: boolean;
  check: (m: RegExpExecArray, text: string, file: TextFileInfo) => TextVerdict | undefined;
}

/** What to scan: a string, or the bytes of a latin1 text (decoded only around triggers). */
export type TextSource = string | Buffer;

/** Context kept before the first trigger of a window. */
const WINDOW_BEFORE = 4 * 1024;
/** Span of trigger starts a window serves. */
const WINDOW_TRIGGERS = 112 * 1024;
/**
 * Largest gap between two triggers of one window: past it, a window of its own (4 KiB before,
 * 8 KiB after) decodes no more than carrying on would.
 */
const WINDOW_GAP = 12 * 1024;
/** Text after the last trigger start of a window: the reach every detector has. */
const WINDOW_AFTER = 8 * 1024;

/**
 * A detector woken by one trigger, every field present and of one type, so that the scan loop
 * sees objects of one shape (detectors differ in which optional fields they set; V8 recompiles
 * code that saw a field change type).
 */
interface Wake {
  index: number;
  pattern: RegExp;
  start: (text: string, at: number) => number;
  dismiss: (bytes: Uint8Array, at: number) => boolean;
  reach: number;
  configOnly: boolean;
  /** May it be woken twice at one start (several triggers, or a start function)? */
  mayRepeat: boolean;
  check: TextDetector['check'];
  /** The trigger as written, when the detector wants that exact case but the index ignores it; else ''. */
  exact: string;
}

const atTrigger = (_text: string, at: number): number => at;
const keep = (_bytes: Uint8Array, _at: number): boolean => false;

/**
 * Whether every detector woken by a trigger dismisses it on the bytes (a detector for config
 * files only dismisses everything in other files).
 */
function dismissedByAll(wakes: readonly Wake[], bytes: Uint8Array, at: number, config: boolean): boolean {
  // An indexed loop, not for-of: this runs for every trigger of a file, much of it before V8
  // has optimised it, and the interpreter runs an iterator's calls one by one.
  for (let i = 0; i < wakes.length; i++) {
    const wake = wakes[i] as Wake;
    if (wake.configOnly && !config) continue;
    if (!wake.dismiss(bytes, at)) return false;
  }
  return true;
}

/**
 * A compiled set of detectors.
 *
 * @example
 * ```ts
 * const engine = new TextEngine(DETECTORS);
 * const hits = engine.scan(text, 0, text.length, { path: 'main.js', config: false });
 * ```
 */
export class TextEngine {
  readonly #index: TriggerIndex;
  /** Per trigger of the index, the detectors it wakes. */
  readonly #wakes: Wake[][];
  readonly #detectorCount: number;
  /** The matches of the scan under way. */
  readonly #matches: Match[] = [];
  /** The (trigger, start) pairs kept, for the scan under way (reused: see #matches). */
  readonly #kept: number[] = [];

  constructor(detectors: readonly TextDetector[]) {
    const byKey = new Map<string, Wake[]>();
    detectors.forEach((d, index) => {
      if (!d.pattern.sticky) throw new Error('detector patterns must be sticky');
      const mayRepeat =
        d.start !== undefined ||
        d.triggers.some((a) =>
          d.triggers.some((b) => a !== b && b.toLowerCase().startsWith(a.toLowerCase())),
        );
      for (const t of d.triggers) {
        const key = t.toLowerCase();
        const wakes = byKey.get(key) ?? [];
        wakes.push({
          index,
          pattern: d.pattern,
          start: d.start ?? atTrigger,
          dismiss: d.dismiss ?? keep,
          reach: Math.max(WINDOW_AFTER, d.reach ?? 0),
          configOnly: d.configOnly === true,
          mayRepeat,
          check: d.check,
          exact: d.ignoreCase === true ? '' : t,
        });
        byKey.set(key, wakes);
      }
    });
    this.#detectorCount = detectors.length;
    const specs: TriggerSpec[] = [];
    this.#wakes = [];
    for (const [key, wakes] of byKey) {
      // One spelling for every detector: the index matches it exactly. Otherwise (a detector that
      // ignores case, or two spellings) the index ignores case and exact detectors check theirs.
      const spelling = wakes[0]?.exact ?? '';
      const exact = spelling !== '' && wakes.every((w) => w.exact === spelling);
      specs.push({ text: exact ? spelling : key, ignoreCase: !exact });
      if (exact) for (const w of wakes) w.exact = '';
      this.#wakes.push(wakes);
    }
    this.#index = new TriggerIndex(specs);
  }

  /**
   * Scans `source` for triggers at offsets `[from, acceptBefore)`; matches may extend past
   * `acceptBefore` (the caller keeps an overlap so they are whole). Returns hits in text order,
   * deduplicated and with generic hits dropped where a specific one covers the same value. The
   * hits' strings are copies: a substring of a decoded window would keep the window alive. With
   * `firstLine` (the line at `from`), each hit gets its line.
   */
  scan(
    source: TextSource,
    from: number,
    acceptBefore: number,
    file: TextFileInfo,
    firstLine?: number,
  ): TextHit[] {
    if (typeof source === 'string') {
      const found: number[] = [];
      this.#index.find(source, from, acceptBefore, found);
      if (found.length === 0) return [];
      this.#wakeAll(found, source, this.#run(file, undefined));
    } else {
      // Most triggers of a bundle are namespace URLs and words like `token(`: dismissed here, on
      // the bytes, as the prefilter hands them over, they are never collected nor decoded.
      const kept = this.#keepFound(source, from, acceptBefore, file.config);
      if (kept.length === 0) return [];
      this.#wakeKept(kept, source, this.#run(file, source));
    }
    try {
      return makeHits(this.#matches, source, from, firstLine);
    } finally {
      // Emptied, not replaced: a fresh array starts out typed for small integers, and V8 would
      // recompile the loop that fills it each time it turns into an array of objects.
      this.#matches.length = 0;
    }
  }

  /** What the detectors of this scan share. */
  #run(file: TextFileInfo, bytes: Buffer | undefined): Run {
    return { file, bytes, matches: this.#matches, seen: new Set<number>(), detectors: this.#detectorCount };
  }

  /**
   * The event loop of a string: for each trigger, in order, its detectors. Kept small, with the
   * making of hits after it, so that the optimising compiler has little to copy into it (its
   * compile time is CPU time too).
   */
  #wakeAll(found: number[], text: string, run: Run): void {
    for (let f = 0; f < found.length; f += 2) {
      const trigger = found[f + 1] as number;
      for (const wake of this.#wakes[found[f] as number] as Wake[]) wakeUp(wake, text, 0, trigger, run);
    }
  }

  /**
   * The triggers in `bytes` that some detector does not dismiss on the bytes, as (trigger,
   * start) pairs in the order of their starts.
   */
  #keepFound(bytes: Buffer, from: number, before: number, config: boolean): number[] {
    const kept = this.#kept;
    kept.length = 0;
    this.#index.findInBatches(bytes, from, before, (pairs, count, shift) =>
      this.#keepBatch(pairs, count, shift, bytes, config),
    );
    return kept;
  }

  /**
   * One batch of the prefilter's pairs through the byte checks. A function of its own: the first
   * file whose triggers are all dismissed would leave the decoding loop below without type
   * feedback, and V8 would then throw away this loop's optimised code with it (and compile both
   * again) at the first trigger kept.
   */
  #keepBatch(pairs: Int32Array, count: number, shift: number, bytes: Buffer, config: boolean): void {
    const kept = this.#kept;
    for (let i = 0; i < 2 * count; i += 2) {
      const trigger = pairs[i] as number;
      const at = (pairs[i + 1] as number) + shift;
      if (!dismissedByAll(this.#wakes[trigger] as Wake[], bytes, at, config)) pushInOrder(kept, trigger, at);
    }
  }

  /** Wakes the detectors of the kept triggers, each on the decoded window that holds it. */
  #wakeKept(kept: readonly number[], bytes: Buffer, run: Run): void {
    let window = '';
    let base = 0;
    let windowLast = -1;
    for (let k = 0; k < kept.length; k += 2) {
      const trigger = kept[k + 1] as number;
      if (trigger > windowLast) {
        windowLast = lastOfWindow(kept, k);
        base = Math.max(0, trigger - WINDOW_BEFORE);
        window = bytes.toString('latin1', base, Math.min(bytes.length, windowLast + WINDOW_AFTER));
      }
      for (const wake of this.#wakes[kept[k] as number] as Wake[]) {
        wakeUp(wake, window, base, trigger - base, run);
      }
    }
  }
}

/**
 * The last trigger served by a window that opens at the kept pair `k`: the kept triggers after it
 * while each is within WINDOW_GAP of the one before and all within WINDOW_TRIGGERS of the first.
 */
function lastOfWindow(kept: readonly number[], k: number): number {
  const first = kept[k + 1] as number;
  let last = first;
  for (let j = k + 3; j < kept.length; j += 2) {
    const next = kept[j] as number;
    if (next - first >= WINDOW_TRIGGERS || next - last > WINDOW_GAP) break;
    last = next;
  }
  return last;
}

/** A detector's verdict on a match, with the window it was found in. */
interface Match {
  verdict: TextVerdict;
  /** Offsets in the window. */
  index: number;
  length: number;
  window: string;
  /** Offset of the window in the source. */
  base: number;
}

/** What the detectors of one scan share. */
interface Run {
  file: TextFileInfo;
  /** The source, when it is bytes decoded window by window. */
  bytes: Buffer | undefined;
  matches: Match[];
  /**
   * A detector can be woken at one start by several triggers (the keywords of `secretToken` all
   * lead back to the start of the name); it runs there once.
   */
  seen: Set<number>;
  detectors: number;
}

/** Runs one detector on the trigger at `at` of `text` (which starts at `base` of the source). */
function wakeUp(wake: Wake, text: string, base: number, at: number, run: Run): void {
  if (wake.configOnly && !run.file.config) return;
  if (wake.exact !== '' && !text.startsWith(wake.exact, at)) return;
  const start = wake.start(text, at);
  if (start < 0) return;
  if (wake.mayRepeat) {
    const tag = (base + start) * run.detectors + wake.index;
    if (run.seen.has(tag)) return;
    run.seen.add(tag);
  }
  // Near the end of a window (every file's last one included) a detector may need more text.
  if (start + wake.reach > text.length && extended(wake, text, base, start, run)) return;
  runDetector(wake, text, base, start, run);
}

/**
 * Runs a detector whose reach goes past the window, when the source goes on after it, on a
 * window of its own around `start`; false when the window already ends with the source. (A
 * function of its own: V8 recompiles a loop the first time it meets a path it has not seen run,
 * and this one is rare.)
 */
function extended(wake: Wake, text: string, base: number, start: number, run: Run): boolean {
  const bytes = run.bytes;
  if (bytes === undefined || base + text.length >= bytes.length) return false;
  const at = base + start;
  const own = Math.max(0, at - WINDOW_BEFORE);
  runDetector(
    wake,
    bytes.toString('latin1', own, Math.min(bytes.length, at + wake.reach)),
    own,
    at - own,
    run,
  );
  return true;
}

function runDetector(wake: Wake, text: string, base: number, start: number, run: Run): void {
  wake.pattern.lastIndex = start;
  const match = wake.pattern.exec(text);
  if (match === null) return;
  const verdict = wake.check(match, text, run.file);
  if (verdict !== undefined) {
    run.matches.push({ verdict, index: match.index, length: match[0].length, window: text, base });
  }
}

/**
 * Turns matches into hits in text order: offsets in the source, strings copied out of the
 * windows, lines counted (in the windows where they cover the stretch) when asked for.
 */
function makeHits(
  matches: Match[],
  source: TextSource,
  from: number,
  firstLine: number | undefined,
): TextHit[] {
  const lines = firstLine === undefined ? undefined : new LineCounter(source, from, firstLine);
  const windowed = typeof source !== 'string';
  const hits = matches.map(({ verdict, index, length, window, base }): TextHit => {
    const hit: TextHit = {
      ...verdict,
      message: detached(verdict.message),
      evidence: detached(verdict.evidence),
      key: detached(verdict.key),
      start: base + index,
      end: base + index + length,
    };
    if (verdict.valueStart !== undefined) hit.valueStart = base + verdict.valueStart;
    if (verdict.valueEnd !== undefined) hit.valueEnd = base + verdict.valueEnd;
    if (lines !== undefined) hit.line = lines.lineAt(hit.start, windowed ? window : '', base);
    return hit;
  });
  hits.sort((a, b) => a.start - b.start);
  return dropShadowedGeneric(hits);
}

/**
 * A copy of `s` that shares no memory with the text it was cut from (V8 makes a substring a view
 * of its parent). The JSON round trip keeps every code unit, lone surrogates included.
 */
function detached(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

function dropShadowedGeneric(hits: TextHit[]): TextHit[] {
  if (!hits.some((h) => h.generic === true)) return hits;
  const specific = hits.filter((h) => h.generic !== true);
  return hits.filter((h) => {
    if (h.generic !== true) return true;
    const vs = h.valueStart ?? h.start;
    const ve = h.valueEnd ?? h.end;
    return !specific.some((s) => s.start < ve && vs < s.end);
  });
}
