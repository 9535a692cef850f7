/**
 * Static types inferred from declarations: what the server holds, what a device holds, what a
 * device may send. Nothing here exists at run time.
 */
import type { AnyField, FieldDeviceOut, FieldOut } from './field.js';

/**
 * A map of field names to fields, as passed to `t.object` and `collection`.
 *
 * @example
 * ```ts
 * const fields = { site: t.string() } satisfies Fields;
 * ```
 */
export type Fields = { readonly [name: string]: AnyField };

/**
 * Flattens an intersection into one object type so editors show it readably.
 *
 * @example
 * ```ts
 * type Flat = Simplify<{ a: string } & { b?: number }>; // { a: string; b?: number }
 * ```
 */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

type OptionalKeys<F extends Fields> = {
  [K in keyof F & string]-?: F[K] extends { readonly '~types'?: { readonly optional: true } } ? K : never;
}[keyof F & string];

type ServerOnlyKeys<F extends Fields> = {
  [K in keyof F & string]-?: F[K] extends { readonly '~types'?: { readonly cls: 'serverOnly' } } ? K : never;
}[keyof F & string];

/**
 * The server-side type of an object with fields `F`.
 *
 * @example
 * ```ts
 * type Finding = ObjectOut<{ note: Field<string>; severity: Field<'low' | 'high'> }>;
 * ```
 */
export type ObjectOut<F extends Fields> = Simplify<
  { [K in Exclude<keyof F & string, OptionalKeys<F>>]: FieldOut<F[K]> } & {
    [K in OptionalKeys<F>]?: FieldOut<F[K]>;
  }
>;

/**
 * The device-side type of an object with fields `F`: serverOnly fields removed at every depth.
 *
 * @example
 * ```ts
 * type FindingOnDevice = ObjectDeviceOut<typeof findingFields>;
 * ```
 */
export type ObjectDeviceOut<F extends Fields> = Simplify<
  { [K in Exclude<keyof F & string, OptionalKeys<F> | ServerOnlyKeys<F>>]: FieldDeviceOut<F[K]> } & {
    [K in Exclude<OptionalKeys<F>, ServerOnlyKeys<F>>]?: FieldDeviceOut<F[K]>;
  }
>;

/** Anything that carries inferred record types: a collection. */
interface Typed<R, D> {
  readonly '~types'?: { readonly record: R; readonly device: D };
}

/**
 * The record type the server holds for a collection (every field, serverOnly included).
 *
 * @example
 * ```ts
 * type Inspection = InferRecord<typeof inspections>;
 * ```
 */
export type InferRecord<C> = C extends Typed<infer R, infer _D> ? R : never;

/**
 * The record type a device holds and sends: serverOnly fields removed at every depth.
 *
 * @example
 * ```ts
 * type InspectionOnDevice = InferDeviceRecord<typeof inspections>;
 * ```
 */
export type InferDeviceRecord<C> = C extends Typed<infer _R, infer D> ? D : never;

/**
 * A patch a device may send: any subset of the device record's top-level fields.
 *
 * @example
 * ```ts
 * const patch: InferDevicePatch<typeof inspections> = { status: 'closed' };
 * ```
 */
export type InferDevicePatch<C> = Partial<InferDeviceRecord<C>>;
