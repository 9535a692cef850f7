/**
 * A declared field: an immutable runtime description (`node`) that the validator, the projections
 * and the JSON Schema export walk, plus phantom types from which record types are inferred.
 * Builders return a new field on every call, so a field can be shared between declarations.
 */
import { SchemaDefinitionError } from './errors.js';
import type { CompiledPattern } from './lib/safe-pattern.js';
import { MAX_DESCRIPTION_LENGTH } from './limits.js';

/**
 * Data class of a field (docs/schema.md, "Classification"):
 * - `plain`: goes to devices; stored there in the clear unless the store runs whole-record mode;
 * - `sensitive`: goes to devices, stored there only encrypted (per-field AEAD);
 * - `serverOnly`: never leaves the server; devices may not send it either.
 *
 * @example
 * ```ts
 * const cls: FieldClass = inspections.fields.riskScore.node.cls; // 'serverOnly'
 * ```
 */
export type FieldClass = 'plain' | 'sensitive' | 'serverOnly';

/** What every field node has. */
interface NodeBase {
  readonly optional: boolean;
  readonly nullable: boolean;
  readonly cls: FieldClass;
  readonly description: string | undefined;
}

/**
 * A string; lengths in code points.
 *
 * @example
 * ```ts
 * if (node.kind === 'string') console.log(node.maxLength);
 * ```
 */
export interface StringNode extends NodeBase {
  readonly kind: 'string';
  readonly minLength: number;
  readonly maxLength: number;
  readonly pattern: CompiledPattern | undefined;
}

/**
 * A finite number (`integer`: a safe integer).
 *
 * @example
 * ```ts
 * if (node.kind === 'integer') console.log(node.min, node.max);
 * ```
 */
export interface NumberNode extends NodeBase {
  readonly kind: 'number' | 'integer';
  readonly min: number | undefined;
  readonly max: number | undefined;
}

/**
 * `true` or `false`.
 *
 * @example
 * ```ts
 * const isFlag = node.kind === 'boolean';
 * ```
 */
export interface BooleanNode extends NodeBase {
  readonly kind: 'boolean';
}

/**
 * An RFC 3339 date-time string with an offset.
 *
 * @example
 * ```ts
 * const isTimestamp = node.kind === 'dateTime';
 * ```
 */
export interface DateTimeNode extends NodeBase {
  readonly kind: 'dateTime';
}

/**
 * One of a fixed list of strings.
 *
 * @example
 * ```ts
 * if (node.kind === 'enum') renderSelect(node.values);
 * ```
 */
export interface EnumNode extends NodeBase {
  readonly kind: 'enum';
  readonly values: readonly string[];
  /** Lookup set; a `Set`, never an object, so no value can hit a prototype member. */
  readonly valueSet: ReadonlySet<string>;
  readonly maxValueLength: number;
}

/**
 * A list of items of one declared type.
 *
 * @example
 * ```ts
 * if (node.kind === 'array') describe(node.items);
 * ```
 */
export interface ArrayNode extends NodeBase {
  readonly kind: 'array';
  readonly items: FieldNode;
  readonly minItems: number;
  readonly maxItems: number;
}

/**
 * An object with declared fields only.
 *
 * @example
 * ```ts
 * for (const [name, child] of inspections.node.entries) console.log(name, child.cls);
 * ```
 */
export interface ObjectNode extends NodeBase {
  readonly kind: 'object';
  /** Field names in declaration order. */
  readonly keys: readonly string[];
  /** Field lookup; a `Map`, so an input key can never reach a prototype member. */
  readonly fields: ReadonlyMap<string, FieldNode>;
  /** The same fields as `[name, node]` pairs in declaration order, for fast iteration. */
  readonly entries: readonly (readonly [string, FieldNode])[];
}

/**
 * The runtime description of a field, walked by the validator and the projections.
 *
 * @example
 * ```ts
 * function describe(node: FieldNode): string {
 *   return node.kind === 'array' ? `${describe(node.items)}[]` : node.kind;
 * }
 * ```
 */
export type FieldNode =
  | StringNode
  | NumberNode
  | BooleanNode
  | DateTimeNode
  | EnumNode
  | ArrayNode
  | ObjectNode;

/**
 * Phantom types carried by a field; never present at run time.
 *
 * @example
 * ```ts
 * type Out = NonNullable<(typeof field)['~types']>['out'];
 * ```
 */
export interface FieldTypes<Out, DeviceOut, Opt extends boolean, Cls extends FieldClass> {
  /** The value type on the server. */
  readonly out: Out;
  /** The value type on a device (nested serverOnly fields removed). */
  readonly device: DeviceOut;
  readonly optional: Opt;
  readonly cls: Cls;
}

/**
 * A declared field. Build one with `t.*`; refine it with the chainable methods, each of which
 * returns a new field.
 *
 * @example
 * ```ts
 * const phone = t.string({ maxLength: 32, pattern: /\+?[0-9 ]{6,20}/ }).sensitive().optional();
 * ```
 */
export interface Field<Out, DeviceOut = Out, Opt extends boolean = false, Cls extends FieldClass = 'plain'> {
  /** The runtime description. */
  readonly node: FieldNode;
  /** Type carrier for inference; always `undefined` at run time. */
  readonly '~types'?: FieldTypes<Out, DeviceOut, Opt, Cls>;
  /** The field may be absent. (Absent, not `undefined`: JSON has no `undefined`.) */
  optional(): Field<Out, DeviceOut, true, Cls>;
  /** The field may be `null`. */
  nullable(): Field<Out | null, DeviceOut | null, Opt, Cls>;
  /** Stored on devices only encrypted. On an object or array, the whole value is one sensitive unit. */
  sensitive(): Field<Out, DeviceOut, Opt, 'sensitive'>;
  /** Never sent to a device and never accepted from one. On an object or array, the whole value. */
  serverOnly(): Field<Out, DeviceOut, Opt, 'serverOnly'>;
  /** A human description, carried into the JSON Schema export and the docs. */
  describe(text: string): Field<Out, DeviceOut, Opt, Cls>;
}

/**
 * Any field, whatever its types.
 *
 * @example
 * ```ts
 * function isSensitive(field: AnyField): boolean {
 *   return field.node.cls === 'sensitive';
 * }
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: the widest field type needs `any` in both variance positions.
export type AnyField = Field<any, any, boolean, FieldClass>;

/**
 * Server-side value type of a field.
 *
 * @example
 * ```ts
 * type Phone = FieldOut<typeof phoneField>; // string
 * ```
 */
export type FieldOut<F> = F extends { readonly '~types'?: { readonly out: infer O } } ? O : never;

/**
 * Device-side value type of a field.
 *
 * @example
 * ```ts
 * type FindingOnDevice = FieldDeviceOut<typeof findingField>;
 * ```
 */
export type FieldDeviceOut<F> = F extends { readonly '~types'?: { readonly device: infer D } } ? D : never;

const FIELD_BRAND: unique symbol = Symbol('bulwark.field');

class FieldImpl implements Field<unknown, unknown, boolean, FieldClass> {
  readonly node: FieldNode;
  readonly [FIELD_BRAND] = true;

  constructor(node: FieldNode) {
    this.node = Object.freeze(node);
    Object.freeze(this);
  }

  optional(): FieldImpl {
    return new FieldImpl({ ...this.node, optional: true });
  }

  nullable(): FieldImpl {
    return new FieldImpl({ ...this.node, nullable: true });
  }

  sensitive(): FieldImpl {
    return this.classify('sensitive');
  }

  serverOnly(): FieldImpl {
    return this.classify('serverOnly');
  }

  describe(text: string): FieldImpl {
    if (typeof text !== 'string' || text.length > MAX_DESCRIPTION_LENGTH) {
      throw new SchemaDefinitionError(
        `a description must be a string of at most ${MAX_DESCRIPTION_LENGTH} characters`,
      );
    }
    return new FieldImpl({ ...this.node, description: text });
  }

  private classify(cls: FieldClass): FieldImpl {
    if (this.node.cls !== 'plain' && this.node.cls !== cls) {
      throw new SchemaDefinitionError(`a field cannot be both ${this.node.cls} and ${cls}`);
    }
    return new FieldImpl({ ...this.node, cls });
  }
}

/**
 * Wraps a node in a field typed as the caller declares (the builders state the inferred types).
 * Internal to the schema module.
 */
export function makeField<F extends AnyField>(node: FieldNode): F {
  return new FieldImpl(node) as unknown as F;
}

/** Whether `value` is a field built by this module (guards declarations written in plain JS). */
export function isField(value: unknown): value is AnyField {
  return value instanceof FieldImpl;
}
