/**
 * The JSON body parser of the data and sync routes (and of list filters). It is `JSON.parse` plus
 * three refusals that `JSON.parse` does not make: duplicate keys in one object (`{"a":1,"a":2}`:
 * parsers disagree on which one wins, a classic way to slip a value past a check), `__proto__`,
 * `constructor` and `prototype` keys, and nesting deeper than a limit. It scans the text once,
 * iteratively (no recursion, so deep input cannot exhaust the stack), after `JSON.parse` has
 * accepted it. Hand-written because no maintained library offers a fast duplicate-refusing
 * `JSON.parse`: AST parsers (momoa, jsonc-parser) build a tree many times slower than the native
 * parser; see docs/api.md.
 */
import { BulwarkError } from '@bulwark/core';

/** Deepest accepted nesting of arrays and objects (a declaration nests at most 8 levels). */
export const MAX_JSON_DEPTH = 64;

/**
 * The body is not JSON Bulwark accepts.
 *
 * @example
 * ```ts
 * try { parseStrictJson('{"a":1,"a":2}'); } catch (e) { (e as StrictJsonError).reason; } // 'duplicate_key'
 * ```
 */
export class StrictJsonError extends BulwarkError<'invalid_json'> {
  readonly reason: 'syntax' | 'duplicate_key' | 'forbidden_key' | 'too_deep';
  constructor(reason: StrictJsonError['reason'], message: string) {
    super('invalid_json', message);
    this.reason = reason;
  }
}

/**
 * Keys refused anywhere: the prototype-pollution keys. `JSON.parse` makes them plain own
 * properties, but code that later copies or merges the value may not, and no schema field can
 * bear these names (the core validator refuses them too, as `forbidden_key`).
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** End index (exclusive) of the JSON string starting at `start` (a quote). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    i += c === 0x5c ? 2 : 1;
  }
}

/**
 * Parses `text` as JSON, refusing duplicate keys, `__proto__`, `constructor` and `prototype`
 * keys, and nesting deeper than {@link MAX_JSON_DEPTH}.
 *
 * @example
 * ```ts
 * parseStrictJson('{"site":"A"}'); // { site: 'A' }
 * parseStrictJson('{"site":"A","site":"B"}'); // throws StrictJsonError (duplicate_key)
 * ```
 */
export function parseStrictJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StrictJsonError('syntax', 'The request body is not valid JSON.');
  }
  // The text is valid JSON: a scan only needs to tell strings, keys and brackets apart.
  const stack: (Set<string> | null)[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      if (top !== undefined && top !== null) {
        let j = end;
        while (
          j < n &&
          (text.charCodeAt(j) === 0x20 ||
            text.charCodeAt(j) === 0x0a ||
            text.charCodeAt(j) === 0x0d ||
            text.charCodeAt(j) === 0x09)
        )
          j++;
        if (text.charCodeAt(j) === 0x3a) {
          const key = JSON.parse(text.slice(i, end)) as string;
          if (FORBIDDEN_KEYS.has(key))
            throw new StrictJsonError('forbidden_key', `The key "${key}" is not accepted.`);
          if (top.has(key)) throw new StrictJsonError('duplicate_key', 'An object has the same key twice.');
          top.add(key);
        }
      }
      i = end;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      stack.push(c === 0x7b ? new Set() : null);
      if (stack.length > MAX_JSON_DEPTH)
        throw new StrictJsonError('too_deep', 'The body is nested too deeply.');
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    }
    i++;
  }
  return value;
}
