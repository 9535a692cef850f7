/**
 * The prefilter of the text scan: finds every occurrence of the detectors' literal triggers
 * (`AKIA`, `ghp_`, `http://`, `token`, …) in one pass over the raw bytes of a file, before any
 * decoding and before any detector regex runs.
 *
 * Why not one regex alternation of the triggers: V8's irregexp tries the alternatives at every
 * position of the text and cannot skip ahead when the alternatives start with common letters, so
 * an alternation of fifty literals ran at about 175 MB/s, a third of the whole audit's time.
 *
 * How instead: every trigger is at least three characters long, so any occurrence contains two
 * consecutive character pairs (bigrams), one of which starts at an even offset of the scan. The
 * scan reads the bytes four at a time and looks each of the two even-offset bigrams of a word up
 * in a 64 Ki-entry table; where a bigram belongs to some trigger, two bit tests ask whether the
 * characters after and before it can belong to that trigger too, and only then are the triggers
 * registered for it compared byte by byte. Each trigger registers the pair of bigrams least
 * likely in code (estimated from how common their letters are), so few places get that far. Each
 * occurrence is reported exactly once, overlapping occurrences of different triggers included.
 *
 * The scan of a buffer, the loop over its bytes and the comparisons, is WebAssembly
 * (`trigger-scan.wat`, which says why), and hands its occurrences over in batches
 * (`findInBatches`) so that a caller can sift them without collecting them first; the scan of a
 * string stays here.
 */

import { TRIGGER_SCAN_WASM } from './trigger-scan-wasm.js';

/** A literal to find; `ignoreCase` makes ASCII letters match in either case. */
export interface TriggerSpec {
  text: string;
  ignoreCase: boolean;
}

// How often bigrams occur in JavaScript bundles (measured on the JavaScript of a large
// node_modules tree), to choose the rarest pair of a trigger's bigrams as its anchor: the 160
// most common bigrams of the characters triggers are made of, each followed by its count per
// 10,000 bytes (two digits); for the others, the product of how common their two characters are.
const COMMON_BIGRAMS =
  '  99re97er96on95th88e 73 t73in70st69AA68en66te62is62ti60se59at59or58et57es54t 54 =53n 52//52= 51' +
  'ns50de50al46io45co44 i43le43nt42s.42ar42he42ct42s 41hi40ro40 c39ed37 a37 r36me33as33ng33ur33ne33' +
  'an32ta32pe32r 32nd32ra32nc31it31to31ri30tr30ec29 s28rn28d 28ce28un27li26tu26ue26 f26ge26: 26 n26' +
  'if25e.25 o25ex24ll24ch24ul24f 24 e23ve23==22rt22od22va22ss21fi20t.20ic20am20ut20pa20rr20om19ca19' +
  'el19ac18ma18op17ea17il17 p17po16rs16si16ty16na15ha15yp15pr15ke15qu15y 15id15ot15ts15 /15 b15 d15' +
  'no15lo15la15lu14ou14fu14ap14us14fo14mp14ef14nu14pt13ie13pl13ai13em13ad13 v13 m12 w12 u12w 12 l12' +
  'Co12/ 12um11im11ir11.s11ld11ew11o 11ol11of11Re11ry11ag11di11oc10';

/** Printable ASCII from the most to the least common character in the same sample. */
const BY_FREQUENCY =
  'etrnisaolcud.hpA)(,fm=g/y;b{}*v\'Iw_E"0CS:Tkx12RNDOPBL3-Fqj[]4M&8U569VQ|`+>!7G@WHz\\K?Y$J<X#Z%^~';

/** Memory layout of the WebAssembly scan (see trigger-scan.wat). */
const WASM_SETS = 131072;
const WASM_GROUPS = 262144;
const WASM_PROBES = 270336;
const WASM_TRIGGERS = 303104;
const WASM_CODES = 311296;
const WASM_MASKS = 319488;
const WASM_OUT = 327680;
/** Pairs the output holds. */
const WASM_OUT_PAIRS = 32767;
const WASM_PAGE = 65536;
/** Groups the sets region holds (group numbers start at 1). */
const MAX_GROUPS = (WASM_GROUPS - WASM_SETS) / 64 - 1;
const MAX_PROBES = (WASM_TRIGGERS - WASM_PROBES) / 8;
const MAX_TRIGGERS = (WASM_CODES - WASM_TRIGGERS) / 8;
const MAX_CODES = WASM_MASKS - WASM_CODES;

// The WebAssembly API this module uses (the project's TypeScript libraries do not declare it).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

/** The exports of trigger-scan.wat. */
export interface TriggerScan {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  next: { value: number };
  scan: (p: number, end: number, cap: number, from: number, before: number) => number;
  lineFeeds: (p: number, end: number) => number;
}

/** Where the bytes to scan, or to count line feeds in, start in the module's memory. */
export const WASM_DATA = 589824;

let compiled: object | undefined;

/**
 * A fresh instance of the scan module (compiled once per thread), with a memory of its own.
 *
 * @example
 * ```ts
 * const wasm = instantiateScan();
 * new Uint8Array(wasm.memory.buffer).set(Buffer.from('a\nb\n'), WASM_DATA);
 * wasm.lineFeeds(WASM_DATA, WASM_DATA + 4); // 2
 * ```
 */
export function instantiateScan(): TriggerScan {
  compiled ??= new WebAssembly.Module(Buffer.from(TRIGGER_SCAN_WASM, 'base64'));
  return new WebAssembly.Instance(compiled, {}).exports as unknown as TriggerScan;
}

/**
 * Case is folded without a branch: a trigger that ignores case is stored in lower case with a
 * mask of 0x20 on its letters, and `byte | mask` equals a lower-case letter exactly when the byte
 * is that letter in either case (other bytes get mask 0 and must be equal).
 */
function caseMask(ch: string, ignoreCase: boolean): number {
  return ignoreCase && ch >= 'a' && ch <= 'z' ? 0x20 : 0;
}

/** The table key of a bigram: its two bytes as a little-endian 16-bit number, as WebAssembly reads them. */
function bigramKey(c0: number, c1: number): number {
  return c0 | (c1 << 8);
}

/**
 * Every spelling of `s` in the letter cases it matches. Plain loops: this runs at start-up, a few
 * thousand times, in code V8 has not optimised yet.
 */
function letterCases(s: string, ignoreCase: boolean): string[] {
  let out = [''];
  for (let i = 0; i < s.length; i++) {
    const ch = s.charAt(i);
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    const both = ignoreCase && lower !== upper;
    const next: string[] = [];
    for (const prefix of out) {
      if (both) next.push(prefix + lower, prefix + upper);
      else next.push(prefix + ch);
    }
    out = next;
  }
  return out;
}

const bigramCounts = new Map<string, number>();
for (let i = 0; i < COMMON_BIGRAMS.length; i += 4) {
  bigramCounts.set(COMMON_BIGRAMS.slice(i, i + 2), Number(COMMON_BIGRAMS.slice(i + 2, i + 4)));
}

function characterWeight(ch: string): number {
  const rank = BY_FREQUENCY.indexOf(ch);
  return rank === -1 ? 0.001 : 1 / (1 + rank);
}

/** The estimates made so far: triggers share many bigrams, and every index asks. */
const frequencies = new Map<string, number>();

/** Estimated count per 10,000 bytes of a bigram in all the letter cases it matches. */
function estimatedFrequency(bigram: string, ignoreCase: boolean): number {
  const key = ignoreCase ? `i${bigram}` : `=${bigram}`;
  let sum = frequencies.get(key);
  if (sum === undefined) {
    sum = 0;
    for (const b of letterCases(bigram, ignoreCase)) {
      // Below the table's smallest count (10) for any bigram not in it.
      sum +=
        bigramCounts.get(b) ??
        Math.min(9, 2000 * characterWeight(b.charAt(0)) * characterWeight(b.charAt(1)));
    }
    frequencies.set(key, sum);
  }
  return sum;
}

/** Offset of the three characters of `text` whose two bigrams are the least common. */
function anchorOffset(text: string, ignoreCase: boolean): number {
  let best = 0;
  let bestScore = Number.POSITIVE_INFINITY;
  for (let k = 0; k + 3 <= text.length; k++) {
    const score =
      estimatedFrequency(text.slice(k, k + 2), ignoreCase) +
      estimatedFrequency(text.slice(k + 1, k + 3), ignoreCase);
    if (score < bestScore) {
      bestScore = score;
      best = k;
    }
  }
  return best;
}

/**
 * A compiled set of triggers.
 *
 * @example
 * ```ts
 * const index = new TriggerIndex([{ text: 'ghp_', ignoreCase: false }, { text: 'token', ignoreCase: true }]);
 * const found: number[] = [];
 * index.find(Buffer.from('x = TOKEN'), 0, 9, found); // found = [1, 4]: trigger 1 at offset 4
 * ```
 */
export class TriggerIndex {
  /** Longest trigger, in characters. */
  readonly maxLength: number;
  /** Bigram key → 1 + index of its probe group, 0 when no trigger has that bigram. */
  readonly #table = new Uint16Array(65536);
  /** Probes of group g: indices `#groupStart[g - 1]` to `#groupStart[g]` of the arrays below. */
  readonly #groupStart: Int32Array;
  readonly #probeTrigger: Int32Array;
  /** Where the bigram sits inside the trigger. */
  readonly #probeOffset: Int32Array;
  /**
   * The third character of the anchor, which settles most probes with one read: where it is
   * relative to the bigram (+2 or -1), what it must be and its case mask.
   */
  readonly #probeNext: Int32Array;
  readonly #probeNextCode: Uint8Array;
  readonly #probeNextMask: Uint8Array;
  /**
   * Per group g, at `16 * g`: a 256-bit set of the characters any of its probes accepts two
   * places after the bigram, then one of those it accepts just before it. Most bigrams that
   * occur in code belong to no trigger; of those that do, most are followed or preceded by the
   * wrong character (`https:` for `http:`), and the hot loop settles them with these two bit
   * tests instead of a call (10 % of the prefilter's time on a trigger-dense bundle).
   */
  readonly #nextSets: Int32Array;
  readonly #scan: TriggerScan;
  /** Pairs after which a call of the scan returns (see #writeTables). */
  #outCap = 0;
  /** Every trigger's character codes (lower-cased when it ignores case), one after the other. */
  readonly #codes: Uint8Array;
  /** Their case masks (see `caseMask`). */
  readonly #masks: Uint8Array;
  readonly #codeStart: Int32Array;
  readonly #length: Int32Array;

  constructor(triggers: readonly TriggerSpec[]) {
    const groups = new Map<
      number,
      { trigger: number; offset: number; next: number; code: number; mask: number }[]
    >();
    const texts: string[] = [];
    triggers.forEach((t, i) => {
      if (t.text.length < 3 || !/^[\x20-\x7e]+$/.test(t.text)) {
        throw new Error(`trigger ${JSON.stringify(t.text)}: three or more printable ASCII characters`);
      }
      const text = t.ignoreCase ? t.text.toLowerCase() : t.text;
      texts.push(text);
      const k = anchorOffset(text, t.ignoreCase);
      for (const [offset, next] of [
        [k, 2],
        [k + 1, -1],
      ] as const) {
        const code = text.charCodeAt(offset + next);
        const mask = caseMask(text.charAt(offset + next), t.ignoreCase);
        for (const bigram of letterCases(text.slice(offset, offset + 2), t.ignoreCase)) {
          const key = bigramKey(bigram.charCodeAt(0), bigram.charCodeAt(1));
          const list = groups.get(key) ?? [];
          list.push({ trigger: i, offset, next, code, mask });
          groups.set(key, list);
        }
      }
    });
    this.maxLength = Math.max(0, ...texts.map((t) => t.length));
    this.#codes = Uint8Array.from(texts.join(''), (ch) => ch.charCodeAt(0));
    this.#masks = Uint8Array.from(
      texts.flatMap((text, i) => [...text].map((ch) => caseMask(ch, triggers[i]?.ignoreCase === true))),
    );
    this.#codeStart = new Int32Array(texts.length);
    this.#length = Int32Array.from(texts, (t) => t.length);
    for (let i = 1; i < texts.length; i++) {
      this.#codeStart[i] = (this.#codeStart[i - 1] as number) + (this.#length[i - 1] as number);
    }
    if (groups.size > MAX_GROUPS) throw new Error('too many trigger bigrams');
    this.#groupStart = new Int32Array(groups.size + 1);
    const total = [...groups.values()].reduce((n, list) => n + list.length, 0);
    this.#probeTrigger = new Int32Array(total);
    this.#probeOffset = new Int32Array(total);
    this.#probeNext = new Int32Array(total);
    this.#probeNextCode = new Uint8Array(total);
    this.#probeNextMask = new Uint8Array(total);
    let g = 0;
    let at = 0;
    for (const [key, list] of groups) {
      this.#table[key] = g + 1;
      this.#groupStart[g] = at;
      for (const probe of list) {
        this.#probeTrigger[at] = probe.trigger;
        this.#probeOffset[at] = probe.offset;
        this.#probeNext[at] = probe.next;
        this.#probeNextCode[at] = probe.code;
        this.#probeNextMask[at] = probe.mask;
        at++;
      }
      g++;
    }
    this.#groupStart[g] = at;
    this.#nextSets = new Int32Array((g + 1) * 16);
    for (let group = 1; group <= g; group++) {
      for (let i = this.#groupStart[group - 1] as number; i < (this.#groupStart[group] as number); i++) {
        const base = 16 * group + (this.#probeNext[i] === 2 ? 0 : 8);
        const code = this.#probeNextCode[i] as number;
        // A letter that ignores case is stored in lower case: accept its upper case too.
        const codes = this.#probeNextMask[i] === 0 ? [code] : [code, code & ~0x20];
        for (const c of codes) {
          const k = base + (c >>> 5);
          this.#nextSets[k] = (this.#nextSets[k] as number) | (1 << (c & 31));
        }
      }
    }
    this.#scan = instantiateScan();
    this.#writeTables(g, total);
  }

  /** Copies the tables to the WebAssembly module's memory (layout: trigger-scan.wat). */
  #writeTables(groups: number, probes: number): void {
    if (
      probes > MAX_PROBES ||
      this.#length.length > MAX_TRIGGERS ||
      this.#codes.length > MAX_CODES ||
      this.maxLength > 255
    ) {
      throw new Error('too many triggers');
    }
    const buffer = this.#scan.memory.buffer;
    new Uint16Array(buffer, 0, 65536).set(this.#table);
    new Int32Array(buffer, WASM_SETS, this.#nextSets.length).set(this.#nextSets);
    new Int32Array(buffer, WASM_GROUPS, groups + 1).set(this.#groupStart);
    const view = new DataView(buffer);
    let most = 0;
    for (let g = 1; g <= groups; g++) {
      most = Math.max(most, (this.#groupStart[g] as number) - (this.#groupStart[g - 1] as number));
    }
    for (let i = 0; i < probes; i++) {
      const at = WASM_PROBES + 8 * i;
      view.setUint16(at, this.#probeTrigger[i] as number, true);
      view.setUint8(at + 2, this.#probeOffset[i] as number);
      view.setInt8(at + 3, this.#probeNext[i] as number);
      view.setUint8(at + 4, this.#probeNextCode[i] as number);
      view.setUint8(at + 5, this.#probeNextMask[i] as number);
    }
    for (let t = 0; t < this.#length.length; t++) {
      view.setInt32(WASM_TRIGGERS + 8 * t, this.#codeStart[t] as number, true);
      view.setInt32(WASM_TRIGGERS + 8 * t + 4, this.#length[t] as number, true);
    }
    new Uint8Array(buffer, WASM_CODES, this.#codes.length).set(this.#codes);
    new Uint8Array(buffer, WASM_MASKS, this.#masks.length).set(this.#masks);
    // One word can add the triggers of two groups: the scan stops with room left for them.
    this.#outCap = WASM_OUT_PAIRS - 2 * most - 1;
  }

  /**
   * Appends `(trigger index, start)` pairs to `out` for every occurrence that starts in
   * `[from, before)` (it may end after `before`), in the order of their starts. Characters above
   * 255 of a string never match (triggers are ASCII).
   */
  find(source: Uint8Array | string, from: number, before: number, out: number[]): void {
    if (typeof source === 'string') this.#findInString(source, from, before, out);
    else this.#findInBytes(source, from, before, out);
  }

  #findInBytes(bytes: Uint8Array, from: number, before: number, out: number[]): void {
    this.findInBatches(bytes, from, before, (pairs, count, shift) => {
      for (let i = 0; i < 2 * count; i += 2) {
        pushInOrder(out, pairs[i] as number, (pairs[i + 1] as number) + shift);
      }
    });
  }

  /**
   * The occurrences in `bytes` that start in `[from, before)`, handed to `visit` in batches as
   * they are found, without collecting them first: `pairs` holds `count` pairs (trigger index,
   * start - shift), in the order of their anchors, so a start can come up to a trigger's length
   * before the start of the pair ahead of it (`pushInOrder` sorts them). `pairs` is valid only
   * during the call.
   */
  findInBatches(
    bytes: Uint8Array,
    from: number,
    before: number,
    visit: (pairs: Int32Array, count: number, shift: number) => void,
  ): void {
    const n = bytes.length;
    const start = Math.max(0, from);
    // Last bigram position that can belong to a trigger starting before `before`.
    const last = Math.min(n - 2, before + this.maxLength - 2);
    if (start > last) return;
    // The bytes the scan reads (from a multiple of four, up to the word and the character after
    // the last bigram), copied to the module's memory with zeros after them. A trigger that would
    // run past the end of the file meets those zeros and does not match.
    const base = start - (start & 3);
    const copyEnd = Math.min(n, last + 5);
    const scan = this.#scan;
    const need = WASM_DATA + (copyEnd - base) + 8;
    if (scan.memory.buffer.byteLength < need) {
      scan.memory.grow(Math.ceil((need - scan.memory.buffer.byteLength) / WASM_PAGE));
    }
    const memory = new Uint8Array(scan.memory.buffer);
    memory.set(bytes.subarray(base, copyEnd), WASM_DATA);
    memory.fill(0, WASM_DATA + (copyEnd - base), WASM_DATA + (copyEnd - base) + 8);
    const pairs = new Int32Array(scan.memory.buffer, WASM_OUT, 2 * WASM_OUT_PAIRS);
    const end = WASM_DATA + (last - base) + 1;
    const fromAt = WASM_DATA + (start - base);
    const beforeAt = WASM_DATA + (Math.min(before, n) - base);
    for (let p = WASM_DATA; p < end; p = scan.next.value) {
      const count = scan.scan(p, end, this.#outCap, fromAt, beforeAt);
      if (count > 0) visit(pairs, count, base - WASM_DATA);
    }
  }

  #findInString(text: string, from: number, before: number, out: number[]): void {
    const start = Math.max(0, from);
    const last = Math.min(text.length - 2, before + this.maxLength - 2);
    for (let p = start + (start & 1); p <= last; p += 2) {
      const c0 = text.charCodeAt(p);
      const c1 = text.charCodeAt(p + 1);
      if (c0 > 255 || c1 > 255) continue;
      const g = this.#table[bigramKey(c0, c1)] as number;
      if (g === 0) continue;
      const end = this.#groupStart[g] as number;
      for (let i = this.#groupStart[g - 1] as number; i < end; i++) {
        const t = this.#probeTrigger[i] as number;
        const s = p - (this.#probeOffset[i] as number);
        const length = this.#length[t] as number;
        if (s < start || s >= before || s + length > text.length) continue;
        const c0 = this.#codeStart[t] as number;
        let j = 0;
        for (; j < length; j++) {
          if ((text.charCodeAt(s + j) | (this.#masks[c0 + j] as number)) !== this.#codes[c0 + j]) break;
        }
        if (j === length) pushInOrder(out, t, s);
      }
    }
  }
}

/**
 * Appends a pair keeping `out` sorted by start: anchors are found in text order, and a start is
 * at most a trigger's length before the start of an earlier anchor, so this moves a pair back by
 * a step or two at most.
 *
 * @example
 * ```ts
 * const out = [0, 10];
 * pushInOrder(out, 1, 8); // out = [1, 8, 0, 10]
 * ```
 */
export function pushInOrder(out: number[], trigger: number, start: number): void {
  let i = out.length;
  out.push(trigger, start);
  while (i > 0 && (out[i - 1] as number) > start) {
    out[i] = out[i - 2] as number;
    out[i + 1] = out[i - 1] as number;
    i -= 2;
  }
  out[i] = trigger;
  out[i + 1] = start;
}
