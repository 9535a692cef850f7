/**
 * A declaration compiled, once, into a tree of check plans: each node's limits, messages and
 * lookup tables worked out ahead, in objects of one shape, so that the walk reads them at a fixed
 * place and calls one function per kind. Nodes are frozen, so a plan is cached per node for the
 * life of the declaration. Plain data, never generated code: the validator stays CSP-safe.
 *
 * How an object is read, and why: one `for...in` pass with `hasOwnProperty` finds which declared
 * keys are own enumerable properties (a bit set) and counts the others. The declared fields are
 * then read and checked in declaration order, exactly once each, so issues come out in the same
 * order as before and no value is read that the declaration does not name. Undeclared keys are
 * only listed, with `Object.keys`, when the count says there is one.
 */
import type { FieldNode } from '../field.js';
import { ReasonCode } from '../issues.js';
import { codePointLength, isWellFormed as importedIsWellFormed } from './code-points.js';
import { isDateTime as importedIsDateTime, MAX_DATE_TIME_LENGTH } from './date-time.js';
import { FORBIDDEN_KEYS } from './identifier.js';
import { reportableKey } from './pointer.js';
import { INVALID as IMPORTED_INVALID, type Run, report, reportAt, within } from './run.js';

// The imported bindings used once per value, copied to module constants. Tools that turn imports
// into property reads of a module object (vite-node, which runs the tests and the benchmarks; Vite
// SSR in a host app) then pay for the read once, not once per value.
const INVALID: typeof IMPORTED_INVALID = IMPORTED_INVALID;
const isWellFormed = importedIsWellFormed;
const isDateTime = importedIsDateTime;
const MAX_DATE_TIME = MAX_DATE_TIME_LENGTH;

const STRING = 0;
const NUMBER = 1;
const INTEGER = 2;
const BOOLEAN = 3;
const DATE_TIME = 4;
const ENUM = 5;
const ARRAY = 6;
const OBJECT = 7;

const KINDS: Readonly<Record<FieldNode['kind'], number>> = {
  string: STRING,
  number: NUMBER,
  integer: INTEGER,
  boolean: BOOLEAN,
  dateTime: DATE_TIME,
  enum: ENUM,
  array: ARRAY,
  object: OBJECT,
};

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

const NONE: readonly never[] = Object.freeze([]);

/**
 * What to check for one node. Every plan has every member, whatever its kind, so all plans share
 * one shape and the walk's property reads stay monomorphic.
 */
export class Plan {
  readonly kind: number;
  readonly nullable: boolean;
  readonly wrongType: string;
  /** Lower limit: minLength, min (−∞ when none) or minItems. */
  readonly low: number;
  /** Upper limit: maxLength, max (+∞ when none), maxItems or the longest enum value. */
  readonly high: number;
  readonly lowMessage: string;
  readonly highMessage: string;
  readonly regex: RegExp | undefined;
  readonly values: ReadonlySet<string> | undefined;
  readonly items: Plan | undefined;
  /** Object fields, in declaration order. */
  readonly names: readonly string[];
  readonly fields: readonly Plan[];
  readonly required: readonly boolean[];
  readonly serverOnly: readonly boolean[];
  readonly index: ReadonlyMap<string, number> | undefined;

  constructor(node: FieldNode) {
    this.kind = KINDS[node.kind];
    this.nullable = node.nullable;
    this.wrongType = `must be ${EXPECTED[node.kind]}${node.nullable ? ' or null' : ''}`;
    let low = 0;
    let high = 0;
    let lowMessage = '';
    let highMessage = '';
    let regex: RegExp | undefined;
    let values: ReadonlySet<string> | undefined;
    let items: Plan | undefined;
    let names: readonly string[] = NONE;
    let fields: readonly Plan[] = NONE;
    let required: readonly boolean[] = NONE;
    let serverOnly: readonly boolean[] = NONE;
    let index: Map<string, number> | undefined;
    switch (node.kind) {
      case 'string':
        low = node.minLength;
        high = node.maxLength;
        lowMessage = `must have at least ${low} characters`;
        highMessage = `must have at most ${high} characters`;
        regex = node.pattern?.regex;
        break;
      case 'number':
      case 'integer':
        low = node.min ?? Number.NEGATIVE_INFINITY;
        high = node.max ?? Number.POSITIVE_INFINITY;
        lowMessage = `must be at least ${node.min}`;
        highMessage = `must be at most ${node.max}`;
        break;
      case 'enum':
        high = node.maxValueLength;
        // A Set of our own, from the frozen value list: later changes to the node's Set do nothing.
        values = new Set(node.values);
        break;
      case 'array':
        low = node.minItems;
        high = node.maxItems;
        lowMessage = `must have at least ${low} items`;
        highMessage = `must have at most ${high} items`;
        items = planOf(node.items);
        break;
      case 'object': {
        // From the frozen entries, not `node.fields`, so nothing done to the node's Map later
        // changes which keys are declared.
        const n: string[] = [];
        const f: Plan[] = [];
        const r: boolean[] = [];
        const s: boolean[] = [];
        index = new Map();
        for (const [name, field] of node.entries) {
          index.set(name, n.length);
          n.push(name);
          f.push(planOf(field));
          r.push(!field.optional);
          s.push(field.cls === 'serverOnly');
        }
        names = n;
        fields = f;
        required = r;
        serverOnly = s;
        break;
      }
      case 'boolean':
      case 'dateTime':
        break;
    }
    this.low = low;
    this.high = high;
    this.lowMessage = lowMessage;
    this.highMessage = highMessage;
    this.regex = regex;
    this.values = values;
    this.items = items;
    this.names = names;
    this.fields = fields;
    this.required = required;
    this.serverOnly = serverOnly;
    this.index = index;
  }
}

const plans = new WeakMap<FieldNode, Plan>();

/** The last node asked for: most programs validate one collection many times in a row. */
let lastNode: FieldNode | undefined;
let lastPlan: Plan | undefined;

/**
 * The plan of a node (a collection's `node`, or any field's), compiled on first use and kept as
 * long as the node lives.
 */
export function planOf(node: FieldNode): Plan {
  if (node === lastNode && lastPlan !== undefined) return lastPlan;
  let plan = plans.get(node);
  if (plan === undefined) {
    plan = new Plan(node);
    plans.set(node, plan);
  }
  lastNode = node;
  lastPlan = plan;
  return plan;
}

const OBJECT_PROTOTYPE: object = Object.prototype;
const getPrototypeOf = Object.getPrototypeOf;
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * A plain object: `{}` literal, JSON.parse output or null-prototype object (from any realm).
 * `Object.prototype` is checked first: its own prototype is always null (it is immutable), so the
 * answer is the same as asking, one call cheaper.
 */
function isPlainObject(value: object): boolean {
  if (Array.isArray(value)) return false;
  const proto: unknown = getPrototypeOf(value);
  return proto === OBJECT_PROTOTYPE || proto === null || getPrototypeOf(proto) === null;
}

/**
 * Checks `value` against `plan`: returns the clean value, or {@link INVALID} after reporting every
 * issue. `patch` (the top level only) waives the required fields of an object.
 */
export function check(plan: Plan, value: unknown, run: Run, patch = false): unknown {
  switch (plan.kind) {
    case STRING:
      if (typeof value === 'string') return checkString(plan, value, run);
      break;
    case NUMBER:
    case INTEGER:
      if (typeof value === 'number') return checkNumber(plan, value, run);
      break;
    case BOOLEAN:
      if (typeof value === 'boolean') return value;
      break;
    case DATE_TIME:
      if (typeof value === 'string') {
        if (value.length <= MAX_DATE_TIME && isDateTime(value)) return value;
        return report(
          run,
          ReasonCode.InvalidDateTime,
          'must be an RFC 3339 date-time with offset, e.g. 2025-01-31T09:00:00Z',
        );
      }
      break;
    case ENUM:
      if (typeof value === 'string') {
        if (value.length <= plan.high && (plan.values as ReadonlySet<string>).has(value)) return value;
        return report(run, ReasonCode.NotInEnum, 'is not one of the allowed values');
      }
      break;
    case ARRAY:
      if (Array.isArray(value)) return checkArray(plan, value, run);
      break;
    case OBJECT:
      if (typeof value === 'object' && value !== null && isPlainObject(value)) {
        return checkObject(plan, value as Record<string, unknown>, run, patch);
      }
      break;
  }
  return value === null && plan.nullable ? null : report(run, ReasonCode.WrongType, plan.wrongType);
}

function checkString(plan: Plan, value: string, run: Run): unknown {
  const units = value.length;
  const max = plan.high;
  // A string holds at most one code point per UTF-16 unit and at least one per two units, so
  // an oversized string is refused before it is scanned, and always before the pattern runs.
  if (units > 2 * max) return report(run, ReasonCode.TooLong, plan.highMessage, max);
  if (!isWellFormed(value)) return report(run, ReasonCode.InvalidUnicode, 'must be well-formed Unicode');
  // Well-formed, so it has between units/2 and units code points: they are counted only when
  // that range reaches past a limit.
  const min = plan.low;
  if (units > max || units < 2 * min) {
    const length = codePointLength(value);
    if (length > max) return report(run, ReasonCode.TooLong, plan.highMessage, max);
    if (length < min) return report(run, ReasonCode.TooShort, plan.lowMessage, min);
  }
  // Called as a method of the regex each time (never a copy of RegExp.prototype.test).
  const regex = plan.regex;
  if (regex !== undefined && !regex.test(value)) {
    return report(run, ReasonCode.PatternMismatch, 'does not match the required pattern');
  }
  return value;
}

function checkNumber(plan: Plan, value: number, run: Run): unknown {
  if (!Number.isFinite(value)) return report(run, ReasonCode.NotFinite, 'must be a finite number');
  if (plan.kind === INTEGER && !Number.isSafeInteger(value)) {
    return report(run, ReasonCode.NotInteger, 'must be an integer between -(2^53 - 1) and 2^53 - 1');
  }
  // The limits are ±∞ when none is declared: a finite value never crosses them.
  if (value < plan.low) return report(run, ReasonCode.TooSmall, plan.lowMessage, plan.low);
  if (value > plan.high) return report(run, ReasonCode.TooLarge, plan.highMessage, plan.high);
  return value;
}

function checkArray(plan: Plan, value: readonly unknown[], run: Run): unknown {
  const length = value.length;
  // Refused before any item is read, so a huge (or sparse) array costs nothing.
  if (length > plan.high) return report(run, ReasonCode.TooManyItems, plan.highMessage, plan.high);
  let failed = false;
  if (length < plan.low) {
    report(run, ReasonCode.TooFewItems, plan.lowMessage, plan.low);
    if (run.stopped) return INVALID;
    failed = true;
  }
  const items = plan.items as Plan;
  // Sized once (the length is within maxItems); every slot is written unless an item fails, and
  // then the array is dropped.
  const out: unknown[] = new Array(length);
  for (let i = 0; i < length; i++) {
    const before = run.issues.length;
    const result = check(items, value[i], run);
    if (result === INVALID) {
      failed = true;
      within(run, before, i);
      if (run.stopped) return INVALID;
    } else {
      out[i] = result;
    }
  }
  return failed ? INVALID : out;
}

/** Bits of the presence set kept in one integer; fields beyond it use an array (rare: > 31 fields). */
const MASK_BITS = 31;

function checkObject(plan: Plan, input: Record<string, unknown>, run: Run, patch: boolean): unknown {
  const names = plan.names;
  const count = names.length;
  const index = plan.index as ReadonlyMap<string, number>;
  let present = 0;
  let presentBeyond: boolean[] | undefined;
  let undeclared = 0;
  let expected = 0;
  for (const key in input) {
    if (!hasOwn.call(input, key)) continue;
    // Inputs mostly list keys in declaration order: try the next declared name before the map.
    const i = expected < count && key === names[expected] ? expected : index.get(key);
    if (i === undefined) {
      undeclared++;
      continue;
    }
    expected = i + 1;
    if (i < MASK_BITS) present |= 1 << i;
    else {
      presentBeyond ??= [];
      presentBeyond[i] = true;
    }
  }

  const fields = plan.fields;
  const required = plan.required;
  const serverOnly = plan.serverOnly;
  const device = run.device;
  let failed = false;
  // Only declared names are ever written, so the fresh object cannot be given a prototype or a
  // key that shadows one of its members (declared names exclude both: lib/identifier.ts).
  const out: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    const name = names[i] as string;
    const isPresent =
      i < MASK_BITS ? (present & (1 << i)) !== 0 : presentBeyond !== undefined && presentBeyond[i] === true;
    if (!isPresent) {
      if (required[i] === true && !patch && !(device && serverOnly[i] === true)) {
        reportAt(run, name, ReasonCode.Required, 'is required');
        failed = true;
        if (run.stopped) return INVALID;
      }
      continue;
    }
    const v = input[name];
    if (device && serverOnly[i] === true) {
      reportAt(run, name, ReasonCode.ServerOnly, 'is set by the server only');
      failed = true;
      if (run.stopped) return INVALID;
    } else if (v === undefined) {
      // An own `undefined` is what JSON.stringify would drop: treat the key as absent.
      if (required[i] === true && !patch) {
        reportAt(run, name, ReasonCode.Required, 'is required');
        failed = true;
        if (run.stopped) return INVALID;
      }
    } else {
      const before = run.issues.length;
      const result = check(fields[i] as Plan, v, run);
      if (result === INVALID) {
        failed = true;
        within(run, before, name);
        if (run.stopped) return INVALID;
      } else if (!failed) {
        out[name] = result;
      }
    }
  }

  if (undeclared !== 0) {
    for (const key of Object.keys(input)) {
      if (index.has(key)) continue;
      if (FORBIDDEN_KEYS.has(key)) {
        reportAt(run, reportableKey(key), ReasonCode.ForbiddenKey, 'this key is never accepted');
      } else {
        reportAt(run, reportableKey(key), ReasonCode.UnknownField, 'is not a declared field');
      }
      failed = true;
      if (run.stopped) return INVALID;
    }
  }
  return failed ? INVALID : out;
}
