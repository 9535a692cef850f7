/**
 * The field builders, `t.string()`, `t.object()` and the rest. Each checks its options when it is
 * called, so a wrong limit fails where it is written; checks that need the whole declaration
 * (classes, depth) run in `collection()`.
 */
import { SchemaDefinitionError } from './errors.js';
import {
  type AnyField,
  type Field,
  type FieldDeviceOut,
  type FieldOut,
  isField,
  makeField,
} from './field.js';
import type { Fields, ObjectDeviceOut, ObjectOut } from './infer.js';
import { buildObjectNode } from './lib/object-node.js';
import { compilePattern } from './lib/safe-pattern.js';
import {
  DEFAULT_ARRAY_MAX_ITEMS,
  DEFAULT_STRING_MAX_LENGTH,
  MAX_ARRAY_MAX_ITEMS,
  MAX_ENUM_VALUE_LENGTH,
  MAX_ENUM_VALUES,
  MAX_PATTERN_INPUT_LENGTH,
  MAX_STRING_MAX_LENGTH,
} from './limits.js';

/**
 * Options of `t.string`.
 *
 * @example
 * ```ts
 * t.string({ minLength: 1, maxLength: 32, pattern: /\+?[0-9 ]{6,20}/ });
 * ```
 */
export interface StringOptions {
  /** Fewest code points; default 0. */
  readonly minLength?: number;
  /** Most code points; default {@link DEFAULT_STRING_MAX_LENGTH}; required with `pattern`. */
  readonly maxLength?: number;
  /** Whole-string pattern (implicitly `^(?:…)$`), flags `i`/`u` only; must pass the ReDoS check. */
  readonly pattern?: RegExp;
}

/**
 * Options of `t.number` and `t.integer` (inclusive bounds).
 *
 * @example
 * ```ts
 * t.number({ min: 0, max: 100 });
 * ```
 */
export interface NumberOptions {
  readonly min?: number;
  readonly max?: number;
}

/**
 * Options of `t.array`.
 *
 * @example
 * ```ts
 * t.array(t.string({ maxLength: 20 }), { minItems: 1, maxItems: 10 });
 * ```
 */
export interface ArrayOptions {
  /** Fewest items; default 0. */
  readonly minItems?: number;
  /** Most items; default {@link DEFAULT_ARRAY_MAX_ITEMS}. */
  readonly maxItems?: number;
}

const BASE = { optional: false, nullable: false, cls: 'plain', description: undefined } as const;

function count(name: string, value: unknown, fallback: number, ceiling: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > ceiling) {
    throw new SchemaDefinitionError(`${name} must be an integer from 0 to ${ceiling}`);
  }
  return value;
}

function bound(name: string, value: unknown, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const ok = typeof value === 'number' && (integer ? Number.isSafeInteger(value) : Number.isFinite(value));
  if (!ok) throw new SchemaDefinitionError(`${name} must be a ${integer ? 'safe integer' : 'finite number'}`);
  return value;
}

function options(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null)
    throw new SchemaDefinitionError('options must be an object');
  return value as Record<string, unknown>;
}

function string(opts?: StringOptions): Field<string> {
  const o = options(opts);
  const hasPattern = o.pattern !== undefined;
  if (hasPattern && o.maxLength === undefined) {
    throw new SchemaDefinitionError('a string with a pattern must declare maxLength');
  }
  const ceiling = hasPattern ? MAX_PATTERN_INPUT_LENGTH : MAX_STRING_MAX_LENGTH;
  const maxLength = count('maxLength', o.maxLength, DEFAULT_STRING_MAX_LENGTH, ceiling);
  const minLength = count('minLength', o.minLength, 0, MAX_STRING_MAX_LENGTH);
  if (minLength > maxLength) throw new SchemaDefinitionError('minLength must not exceed maxLength');
  const pattern = hasPattern ? compilePattern(o.pattern) : undefined;
  return makeField({ ...BASE, kind: 'string', minLength, maxLength, pattern });
}

function numeric(kind: 'number' | 'integer', opts: NumberOptions | undefined): Field<number> {
  const o = options(opts);
  const min = bound('min', o.min, kind === 'integer');
  const max = bound('max', o.max, kind === 'integer');
  if (min !== undefined && max !== undefined && min > max)
    throw new SchemaDefinitionError('min must not exceed max');
  return makeField({ ...BASE, kind, min, max });
}

function enumOf<const V extends readonly [string, ...string[]]>(values: V): Field<V[number]> {
  if (!Array.isArray(values) || values.length === 0 || values.length > MAX_ENUM_VALUES) {
    throw new SchemaDefinitionError(`an enum needs 1 to ${MAX_ENUM_VALUES} values`);
  }
  const valueSet = new Set<string>();
  let maxValueLength = 0;
  for (const value of values as readonly unknown[]) {
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ENUM_VALUE_LENGTH) {
      throw new SchemaDefinitionError(
        `enum values must be strings of 1 to ${MAX_ENUM_VALUE_LENGTH} characters`,
      );
    }
    if (valueSet.has(value)) throw new SchemaDefinitionError(`enum value "${value}" is listed twice`);
    valueSet.add(value);
    maxValueLength = Math.max(maxValueLength, value.length);
  }
  return makeField({ ...BASE, kind: 'enum', values: Object.freeze([...valueSet]), valueSet, maxValueLength });
}

function array<I extends AnyField>(items: I, opts?: ArrayOptions): Field<FieldOut<I>[], FieldDeviceOut<I>[]> {
  if (!isField(items)) throw new SchemaDefinitionError('array items must be a field declared with t.*');
  if (items.node.optional) {
    throw new SchemaDefinitionError('array items cannot be optional (use .nullable() for holes)');
  }
  if (items.node.cls !== 'plain') {
    throw new SchemaDefinitionError(
      'classify the array itself, not its items (e.g. t.array(...).sensitive())',
    );
  }
  const o = options(opts);
  const maxItems = count('maxItems', o.maxItems, DEFAULT_ARRAY_MAX_ITEMS, MAX_ARRAY_MAX_ITEMS);
  const minItems = count('minItems', o.minItems, 0, MAX_ARRAY_MAX_ITEMS);
  if (minItems > maxItems) throw new SchemaDefinitionError('minItems must not exceed maxItems');
  return makeField({ ...BASE, kind: 'array', items: items.node, minItems, maxItems });
}

function object<F extends Fields>(fields: F): Field<ObjectOut<F>, ObjectDeviceOut<F>> {
  return makeField(buildObjectNode(fields));
}

/**
 * Field builders. Every field is required and `plain` until refined with `.optional()`,
 * `.nullable()`, `.sensitive()`, `.serverOnly()`.
 *
 * @example
 * ```ts
 * const fields = {
 *   site: t.string({ maxLength: 200 }),
 *   residentPhone: t.string({ maxLength: 32, pattern: /\+?[0-9 ]{6,20}/ }).sensitive(),
 *   riskScore: t.number({ min: 0, max: 100 }).serverOnly(),
 *   status: t.enum(['open', 'closed']),
 *   visits: t.integer({ min: 0 }),
 *   done: t.boolean(),
 *   dueAt: t.dateTime().optional(),
 *   findings: t.array(t.object({ note: t.string({ maxLength: 2000 }) }), { maxItems: 100 }),
 * };
 * ```
 */
export const t = Object.freeze({
  /** A string, at most {@link DEFAULT_STRING_MAX_LENGTH} code points unless `maxLength` says otherwise. */
  string,
  /** A finite number (no `NaN`, no infinities). */
  number: (opts?: NumberOptions): Field<number> => numeric('number', opts),
  /** A safe integer (|n| ≤ 2^53 − 1). */
  integer: (opts?: NumberOptions): Field<number> => numeric('integer', opts),
  /** `true` or `false`. */
  boolean: (): Field<boolean> => makeField({ ...BASE, kind: 'boolean' }),
  /** An RFC 3339 date-time with an offset, e.g. `2025-03-01T09:30:00Z`; kept as the string sent. */
  dateTime: (): Field<string> => makeField({ ...BASE, kind: 'dateTime' }),
  /** One of the listed strings. */
  enum: enumOf,
  /** A list of `items`, at most {@link DEFAULT_ARRAY_MAX_ITEMS} unless `maxItems` says otherwise. */
  array,
  /** A nested object with exactly the declared fields. */
  object,
});
