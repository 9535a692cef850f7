/**
 * The text scan: one pass of one precompiled prefilter regex (the literal triggers of every
 * detector, e.g. `AKIA`, `ghp_`, `-----BEGIN `, `http://`, `secret`) over the text; only where a
 * trigger occurs does the detector's own sticky regex run, anchored there. Most of a bundle has no
 * trigger at all, so the cost is about one regex pass a file whatever the number of rules.
 */
import type { Severity } from '../types.js';

/** What the engine knows about the file being scanned. */
export interface TextFileInfo {
  /** Path relative to the scanned root. */
  path: string;
  /** A config-like file (.env, .properties, .yaml, .ini…) where values are often unquoted. */
  config: boolean;
}

/** A detector's verdict on one match. */
export interface TextVerdict {
  ruleId: string;
  message: string;
  /** Redacted evidence. */
  evidence: string;
  /** What identifies this problem within the file (for dedupe and the fingerprint). */
  key: string;
  severity?: Severity;
  /** Generic detectors yield to a specific one on the same span. */
  generic?: boolean;
  /** Span of the secret value inside the match, when it is not the whole match. */
  valueStart?: number;
  valueEnd?: number;
}

/** A verdict with its place in the text. */
export interface TextHit extends TextVerdict {
  start: number;
  end: number;
}

/**
 * A detector: its literal triggers, where its match starts relative to a trigger, its sticky
 * regex and the check that turns a regex match into a verdict (checksums, entropy, exclusions).
 */
export interface TextDetector {
  triggers: readonly string[];
  pattern: RegExp;
  start?: (text: string, at: number) => number;
  configOnly?: boolean;
  check: (m: RegExpExecArray, text: string, file: TextFileInfo) => TextVerdict | undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
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
  readonly #prefilter: RegExp;
  readonly #short: RegExp[];
  readonly #byTrigger: Map<string, TextDetector[]>;
  readonly #index: Map<TextDetector, number>;

  constructor(detectors: readonly TextDetector[]) {
    this.#byTrigger = new Map();
    this.#index = new Map(detectors.map((d, i) => [d, i]));
    for (const d of detectors) {
      if (!d.pattern.sticky) throw new Error('detector patterns must be sticky');
      for (const t of d.triggers) {
        const key = t.toLowerCase();
        const list = this.#byTrigger.get(key) ?? [];
        list.push(d);
        this.#byTrigger.set(key, list);
      }
    }
    // Triggers of 4+ characters share one alternation, which V8 scans fastest when no
    // alternative is shorter than that; each shorter trigger (Q~, eyJ, pwd) gets its own
    // single-literal regex, which V8 scans at memchr speed.
    const triggers = [...this.#byTrigger.keys()].sort((a, b) => b.length - a.length);
    this.#prefilter = new RegExp(
      triggers
        .filter((t) => t.length >= 4)
        .map(escapeRegExp)
        .join('|'),
      'gi',
    );
    this.#short = triggers.filter((t) => t.length < 4).map((t) => new RegExp(escapeRegExp(t), 'gi'));
  }

  /**
   * Scans `text` for triggers at offsets `[from, acceptBefore)`; matches may extend past
   * `acceptBefore` (the caller keeps an overlap so they are whole). Returns hits in text order,
   * deduplicated and with generic hits dropped where a specific one covers the same value.
   */
  scan(text: string, from: number, acceptBefore: number, file: TextFileInfo): TextHit[] {
    const hits: TextHit[] = [];
    const seen = new Set<string>();
    const triggerAt = (at: number, trigger: string) => {
      const detectors = this.#byTrigger.get(trigger.toLowerCase());
      if (detectors === undefined) return;
      for (const d of detectors) {
        if (d.configOnly === true && !file.config) continue;
        const start = d.start === undefined ? at : d.start(text, at);
        if (start < 0) continue;
        const tag = `${this.#index.get(d)}:${start}`;
        if (seen.has(tag)) continue;
        seen.add(tag);
        d.pattern.lastIndex = start;
        const match = d.pattern.exec(text);
        if (match === null) continue;
        const verdict = d.check(match, text, file);
        if (verdict === undefined) continue;
        hits.push({ ...verdict, start: match.index, end: match.index + match[0].length });
      }
    };
    for (const re of [this.#prefilter, ...this.#short]) {
      re.lastIndex = from;
      for (let m = re.exec(text); m !== null && m.index < acceptBefore; m = re.exec(text))
        triggerAt(m.index, m[0]);
    }
    hits.sort((a, b) => a.start - b.start);
    return dropShadowedGeneric(hits);
  }
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
