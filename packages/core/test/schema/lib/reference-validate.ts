/**
 * The validator as it was before it was compiled into checkers: a direct walk of the declaration
 * with a path stack and `propertyIsEnumerable` per declared key. Kept, with the two helpers it
 * used, as the oracle of the equivalence property tests (reference.test.ts): the fast validator
 * must return exactly what this one returns. Do not optimise it.
 */
import type { AnyCollection } from '../../../src/schema/collection.js';
import type { ArrayNode, FieldNode, NumberNode, ObjectNode, StringNode } from '../../../src/schema/field.js';
import { type Issue, ReasonCode } from '../../../src/schema/issues.js';
import { DEFAULT_MAX_ISSUES, MAX_MAX_ISSUES, MAX_REPORTED_KEY_LENGTH } from '../../../src/schema/limits.js';
import type { ValidateOptions, ValidationResult } from '../../../src/schema/validate.js';

const ILL_FORMED = -1;

export function referenceCodePointLength(s: string): number {
  let count = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      if (c > 0xdbff) return ILL_FORMED;
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return ILL_FORMED;
      i++;
    }
    count++;
  }
  return count;
}

const MAX_DATE_TIME_LENGTH = 35;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits(s: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function referenceIsDateTime(s: string): boolean {
  const n = s.length;
  if (n < 20 || n > MAX_DATE_TIME_LENGTH) return false;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return false;
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return false;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  const maxDay = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  if (day > maxDay) return false;
  let i = 19;
  if (s[i] === '.') {
    const start = ++i;
    while (i < n && i - start < 10 && digits(s, i, 1) >= 0) i++;
    const fractionDigits = i - start;
    if (fractionDigits < 1 || fractionDigits > 9) return false;
  }
  if (s[i] === 'Z') return i + 1 === n;
  if ((s[i] !== '+' && s[i] !== '-') || i + 6 !== n || s[i + 3] !== ':') return false;
  const offsetHour = digits(s, i + 1, 2);
  const offsetMinute = digits(s, i + 4, 2);
  return offsetHour >= 0 && offsetHour <= 23 && offsetMinute >= 0 && offsetMinute <= 59;
}

const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function toPointer(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    out += `/${typeof segment === 'number' ? segment : segment.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  }
  return out;
}

function reportableKey(key: string): string {
  if (key.length <= MAX_REPORTED_KEY_LENGTH) return key;
  let end = MAX_REPORTED_KEY_LENGTH;
  const last = key.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${key.slice(0, end)}…`;
}
/** Marks a value that failed; never escapes this module. */
const INVALID: unique symbol = Symbol('invalid');

/** Thrown internally to unwind once the issue cap is reached. */
class Stop {}
const STOP = new Stop();

interface Run {
  readonly device: boolean;
  readonly maxIssues: number;
  readonly issues: Issue[];
  readonly path: (string | number)[];
}

function report(run: Run, code: ReasonCode, message: string, limit?: number): typeof INVALID {
  if (run.issues.length >= run.maxIssues) {
    run.issues.push({
      code: ReasonCode.TooManyIssues,
      path: [],
      pointer: '',
      message: `validation stopped after ${run.maxIssues} issues`,
      limit: run.maxIssues,
    });
    throw STOP;
  }
  const path = run.path.slice();
  const issue: Issue =
    limit === undefined
      ? { code, path, pointer: toPointer(path), message }
      : { code, path, pointer: toPointer(path), message, limit };
  run.issues.push(issue);
  return INVALID;
}

const EXPECTED: Readonly<Record<FieldNode['kind'], string>> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  dateTime: 'a date-time string',
  enum: 'a string',
  array: 'an array',
  object: 'an object',
};

function wrongType(node: FieldNode, run: Run): typeof INVALID {
  return report(
    run,
    ReasonCode.WrongType,
    `must be ${EXPECTED[node.kind]}${node.nullable ? ' or null' : ''}`,
  );
}

function checkString(node: StringNode, value: string, run: Run): string | typeof INVALID {
  // A string can hold at most one code point per UTF-16 unit and at least one per two units, so
  // an oversized string is refused before it is scanned, and always before the pattern runs.
  if (value.length > 2 * node.maxLength) {
    return report(run, ReasonCode.TooLong, `must have at most ${node.maxLength} characters`, node.maxLength);
  }
  const length = referenceCodePointLength(value);
  if (length === ILL_FORMED) return report(run, ReasonCode.InvalidUnicode, 'must be well-formed Unicode');
  if (length > node.maxLength) {
    return report(run, ReasonCode.TooLong, `must have at most ${node.maxLength} characters`, node.maxLength);
  }
  if (length < node.minLength) {
    return report(
      run,
      ReasonCode.TooShort,
      `must have at least ${node.minLength} characters`,
      node.minLength,
    );
  }
  if (node.pattern !== undefined && !node.pattern.regex.test(value)) {
    return report(run, ReasonCode.PatternMismatch, 'does not match the required pattern');
  }
  return value;
}

function checkNumber(node: NumberNode, value: number, run: Run): number | typeof INVALID {
  if (!Number.isFinite(value)) return report(run, ReasonCode.NotFinite, 'must be a finite number');
  if (node.kind === 'integer' && !Number.isSafeInteger(value)) {
    return report(run, ReasonCode.NotInteger, 'must be an integer between -(2^53 - 1) and 2^53 - 1');
  }
  if (node.min !== undefined && value < node.min) {
    return report(run, ReasonCode.TooSmall, `must be at least ${node.min}`, node.min);
  }
  if (node.max !== undefined && value > node.max) {
    return report(run, ReasonCode.TooLarge, `must be at most ${node.max}`, node.max);
  }
  return value;
}

function checkArray(node: ArrayNode, value: readonly unknown[], run: Run): unknown[] | typeof INVALID {
  const length = value.length;
  // Refused before any item is read, so a huge (or sparse) array costs nothing.
  if (length > node.maxItems) {
    return report(run, ReasonCode.TooManyItems, `must have at most ${node.maxItems} items`, node.maxItems);
  }
  let failed = false;
  if (length < node.minItems) {
    report(run, ReasonCode.TooFewItems, `must have at least ${node.minItems} items`, node.minItems);
    failed = true;
  }
  const out: unknown[] = [];
  for (let i = 0; i < length; i++) {
    run.path.push(i);
    const item = check(node.items, value[i], run);
    run.path.pop();
    if (item === INVALID) failed = true;
    else out.push(item);
  }
  return failed ? INVALID : out;
}

/** A plain object: `{}` literal, JSON.parse output or null-prototype object (from any realm). */
function isPlainObject(value: object): boolean {
  if (Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

const isEnumerableOwn = Object.prototype.propertyIsEnumerable;

function checkObject(
  node: ObjectNode,
  value: Readonly<Record<string, unknown>>,
  run: Run,
  patch: boolean,
): Record<string, unknown> | typeof INVALID {
  let failed = false;
  // Only declared names are ever written, so the fresh object cannot be given a prototype or a
  // key that shadows one of its members (declared names exclude both: lib/identifier.ts).
  const out: Record<string, unknown> = {};
  const entries = node.entries;
  let seen = 0;
  for (let i = 0; i < entries.length; i++) {
    const [name, field] = entries[i] as readonly [string, FieldNode];
    // Own enumerable keys only, as JSON has them: an inherited value (a polluted prototype) or
    // a hidden property never fills a field.
    if (!isEnumerableOwn.call(value, name)) {
      if (!field.optional && !patch && !(run.device && field.cls === 'serverOnly')) {
        run.path.push(name);
        report(run, ReasonCode.Required, 'is required');
        run.path.pop();
        failed = true;
      }
      continue;
    }
    seen++;
    const v = value[name];
    run.path.push(name);
    if (run.device && field.cls === 'serverOnly') {
      report(run, ReasonCode.ServerOnly, 'is set by the server only');
      failed = true;
    } else if (v === undefined) {
      // An own `undefined` is what JSON.stringify would drop: treat the key as absent.
      if (!field.optional && !patch) {
        report(run, ReasonCode.Required, 'is required');
        failed = true;
      }
    } else {
      const result = check(field, v, run);
      if (result === INVALID) failed = true;
      else out[name] = result;
    }
    run.path.pop();
  }
  // Every own enumerable key that is not a declared field is a problem. When the count of keys
  // equals the declared keys found above, there is none, and the lookup pass is skipped.
  const keys = Object.keys(value);
  if (keys.length !== seen) {
    const fields = node.fields;
    for (const key of keys) {
      if (fields.has(key)) continue;
      run.path.push(reportableKey(key));
      if (FORBIDDEN_KEYS.has(key)) report(run, ReasonCode.ForbiddenKey, 'this key is never accepted');
      else report(run, ReasonCode.UnknownField, 'is not a declared field');
      run.path.pop();
      failed = true;
    }
  }
  return failed ? INVALID : out;
}

function check(node: FieldNode, value: unknown, run: Run): unknown {
  if (value === null) return node.nullable ? null : wrongType(node, run);
  switch (node.kind) {
    case 'string':
      return typeof value === 'string' ? checkString(node, value, run) : wrongType(node, run);
    case 'number':
    case 'integer':
      return typeof value === 'number' ? checkNumber(node, value, run) : wrongType(node, run);
    case 'boolean':
      return typeof value === 'boolean' ? value : wrongType(node, run);
    case 'dateTime':
      if (typeof value !== 'string') return wrongType(node, run);
      return value.length <= MAX_DATE_TIME_LENGTH && referenceIsDateTime(value)
        ? value
        : report(
            run,
            ReasonCode.InvalidDateTime,
            'must be an RFC 3339 date-time with offset, e.g. 2025-01-31T09:00:00Z',
          );
    case 'enum':
      if (typeof value !== 'string') return wrongType(node, run);
      return value.length <= node.maxValueLength && node.valueSet.has(value)
        ? value
        : report(run, ReasonCode.NotInEnum, 'is not one of the allowed values');
    case 'array':
      return Array.isArray(value) ? checkArray(node, value, run) : wrongType(node, run);
    case 'object':
      return typeof value === 'object' && isPlainObject(value)
        ? checkObject(node, value as Record<string, unknown>, run, false)
        : wrongType(node, run);
  }
}

/** The previous `validate`, unchanged but for its name and types. */
export function referenceValidate(
  collection: AnyCollection,
  input: unknown,
  options?: ValidateOptions,
): ValidationResult<unknown> {
  const requested = options?.maxIssues;
  const maxIssues =
    typeof requested === 'number' && requested >= 1
      ? Math.min(Math.floor(requested), MAX_MAX_ISSUES)
      : DEFAULT_MAX_ISSUES;
  const run: Run = { device: options?.source !== 'server', maxIssues, issues: [], path: [] };
  let value: unknown;
  try {
    value =
      typeof input === 'object' && input !== null && isPlainObject(input)
        ? checkObject(collection.node, input as Record<string, unknown>, run, options?.mode === 'patch')
        : wrongType(collection.node, run);
  } catch (err) {
    if (err !== STOP) {
      // A getter or proxy trap in a caller-built value threw: say so, and nothing else.
      run.issues.length = 0;
      run.issues.push({
        code: ReasonCode.Unreadable,
        path: [],
        pointer: '',
        message: 'the input could not be read',
      });
    }
    value = INVALID;
  }
  if (value === INVALID) return { ok: false, issues: run.issues };
  return { ok: true, value };
}
