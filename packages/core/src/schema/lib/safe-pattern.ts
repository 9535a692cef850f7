/**
 * Admission of field patterns. A pattern runs on attacker-chosen strings on the server, so it is
 * checked once, at declaration time, for the features that make backtracking engines slow or that
 * behave differently across engines:
 * - flags: only `i` and `u` (`g`/`y` make `test` stateful, `m`/`s` change what the anchors mean);
 *   every pattern runs in Unicode mode, as JSON Schema validators such as ajv run it;
 * - no backreferences and no lookbehind (not regular, not analysable, not in every engine);
 * - the whole-string pattern `^(?:source)$` must pass redos-detector, which proves a bound on the
 *   backtracking of every input (nested or overlapping quantifiers are refused).
 * The validator adds the last guard: a string's length is checked before the pattern runs.
 * See docs/schema.md, "Patterns and ReDoS".
 */
import { isSafePattern } from 'redos-detector';
import { SchemaDefinitionError } from '../errors.js';

/** A pattern accepted for a string field. */
export interface CompiledPattern {
  /** The source as the developer wrote it. */
  readonly source: string;
  /** The flags the pattern runs with: `u`, or `iu` when the developer asked for `i`. */
  readonly flags: string;
  /** The whole-string form that is actually run, `^(?:source)$`. */
  readonly anchored: string;
  /** `anchored` compiled with `u` and the developer's `i`; never global or sticky. */
  readonly regex: RegExp;
}

/** Worst-case backtracks redos-detector may find before a pattern is refused. */
const MAX_BACKTRACKS = 200;
/** Analysis budget: a pattern too complex to analyse within it is refused (deterministic). */
const MAX_ANALYSIS_STEPS = 5000;

/**
 * Finds backreferences and lookbehind by scanning the source, skipping escapes and classes. With
 * `caseInsensitive`, also finds the Unicode-only syntax that the non-Unicode ReDoS analysis of a
 * case-insensitive pattern would read differently (`\p{…}`, `\u{…}`, astral characters).
 */
function unsupportedSyntax(source: string, caseInsensitive: boolean): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (caseInsensitive && (source.codePointAt(i) ?? 0) > 0xffff) {
      return 'with flag i, characters outside the Basic Multilingual Plane are not supported';
    }
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (next >= '1' && next <= '9') return 'backreferences are not allowed';
      if (next === 'k') return 'named backreferences are not allowed';
      if (caseInsensitive && (next === 'p' || next === 'P' || (next === 'u' && source[i + 2] === '{'))) {
        return 'with flag i, Unicode-only escapes (\\p, \\P, \\u{…}) are not supported';
      }
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(' && source.startsWith('(?<', i) && (source[i + 3] === '=' || source[i + 3] === '!')) {
      return 'lookbehind is not allowed';
    }
  }
  return undefined;
}

/**
 * Checks a developer's pattern and compiles its whole-string form.
 * Throws {@link SchemaDefinitionError} with the reason when it is refused.
 */
export function compilePattern(pattern: unknown): CompiledPattern {
  if (!(pattern instanceof RegExp)) throw new SchemaDefinitionError('pattern must be a RegExp literal');
  const { source, flags } = pattern;
  for (const flag of flags) {
    if (flag !== 'i' && flag !== 'u') {
      throw new SchemaDefinitionError(`pattern flag "${flag}" is not allowed (only i and u)`);
    }
  }
  const caseInsensitive = flags.includes('i');
  const syntax = unsupportedSyntax(source, caseInsensitive);
  if (syntax !== undefined) throw new SchemaDefinitionError(`pattern /${source}/: ${syntax}`);
  const anchored = `^(?:${source})$`;
  let regex: RegExp;
  try {
    regex = new RegExp(anchored, caseInsensitive ? 'iu' : 'u');
  } catch (cause) {
    throw new SchemaDefinitionError(
      `pattern /${source}/ is not a valid Unicode-mode regular expression`,
      '',
      {
        cause,
      },
    );
  }
  let safe = false;
  try {
    // redos-detector cannot combine case folding with Unicode mode, so a case-insensitive pattern
    // is analysed with folding in non-Unicode mode. The Unicode-only syntax that mode would read
    // differently was refused above, so the analysed pattern is the one that runs.
    safe = isSafePattern(anchored, {
      unicode: !caseInsensitive,
      caseInsensitive,
      maxScore: MAX_BACKTRACKS,
      maxSteps: MAX_ANALYSIS_STEPS,
    }).safe;
  } catch (cause) {
    throw new SchemaDefinitionError(`pattern /${source}/ could not be analysed for ReDoS`, '', { cause });
  }
  if (!safe) {
    throw new SchemaDefinitionError(
      `pattern /${source}/ may backtrack catastrophically (ReDoS); make every part match one way only`,
    );
  }
  return Object.freeze({ source, flags: regex.flags, anchored, regex });
}
