/**
 * Static types that tie the store and the sync engine to the app's schema, as `Kysely<DB>` is tied
 * to its database type: which collection names a device may use, and the record type of each (the
 * device view: serverOnly fields absent, optional fields optional). Nothing here exists at run
 * time; the store still validates every record with core's validator, since types do not reach
 * data that comes from outside the program.
 */
import type { AnyCollection, InferDeviceRecord, Simplify } from '@bulwark/core/schema';
import type { CollectionSpec } from './collection.js';
import type { StoreRecord } from './lib/codec.js';

/**
 * The default schema parameter of the store, the sync engine and the client: untyped (any
 * collection name, `StoreRecord` records). `any` rather than `unknown` so that a store typed by a
 * schema is still accepted wherever an untyped one is expected (existing code, helpers).
 *
 * @example
 * ```ts
 * function count(store: EncryptedStore<UntypedSchema>, name: string) { return store.ids(name); }
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: the bivariant "untyped" marker, see above.
export type UntypedSchema = any;

/**
 * A store collection built by `fromSchema`, carrying the core collection's type so that a store
 * opened with it is typed by the declaration.
 *
 * @example
 * ```ts
 * const spec: SchemaCollectionSpec<typeof inspections> = fromSchema(inspections);
 * ```
 */
export interface SchemaCollectionSpec<C extends AnyCollection = AnyCollection> extends CollectionSpec {
  /** Type carrier for inference; always `undefined` at run time. */
  readonly '~collection'?: C;
}

/**
 * The core collections that a store type parameter stands for: `S` is a schema (`typeof schema`,
 * from `defineSchema`) or a union of collections; `unknown` or {@link UntypedSchema} (the default) means untyped.
 *
 * @example
 * ```ts
 * type Declared = SchemaCollections<typeof schema>; // typeof inspections | typeof auditNotes
 * ```
 */
export type SchemaCollections<S> = S extends { readonly list: readonly (infer C)[] }
  ? Extract<C, AnyCollection>
  : Extract<S, AnyCollection>;

/**
 * The schema type a list of store collections stands for: the union of their core collections
 * when every one was built by `fromSchema`, else `unknown` (a hand-written spec has no field
 * types, so the store stays untyped).
 *
 * @example
 * ```ts
 * type S = SchemaOfSpecs<[SchemaCollectionSpec<typeof inspections>]>; // typeof inspections
 * ```
 */
export type SchemaOfSpecs<L extends readonly CollectionSpec[]> = CollectionOfSpec<L[number]>;

// A spec without the carrier (hand-written) or with a collection of unknown name (`AnyCollection`)
// makes the whole list untyped rather than typed wrongly.
type CollectionOfSpec<X> = X extends { readonly '~collection'?: infer C }
  ? unknown extends C
    ? unknown
    : string extends Extract<C, AnyCollection>['name']
      ? unknown
      : Extract<C, AnyCollection>
  : unknown;

type OfflineName<C> = C extends { readonly name: infer N extends string; readonly offline: infer O }
  ? O extends false
    ? never
    : N
  : never;

/**
 * The collection names a device may use in a store typed by `S`: the declared collections that
 * are not `offline: false`. Any string when `S` is untyped.
 *
 * @example
 * ```ts
 * type Names = StoreCollectionName<typeof schema>; // 'inspections' (not 'audit_notes')
 * ```
 */
export type StoreCollectionName<S> = unknown extends S ? string : OfflineName<SchemaCollections<S>>;

/**
 * The record a device stores, sends and reads for collection `C` of schema `S`: the record id and
 * the device view of the declared fields (serverOnly fields removed at every depth, sensitive
 * ones present, optional ones optional). `StoreRecord` when `S` is untyped.
 *
 * @example
 * ```ts
 * const inspection: DeviceRecord<typeof schema, 'inspections'> = await load();
 * ```
 */
export type DeviceRecord<S, C extends string> = unknown extends S
  ? StoreRecord
  : Simplify<
      { readonly id: string } & InferDeviceRecord<Extract<SchemaCollections<S>, { readonly name: C }>>
    >;

/**
 * The equality filter of `find` for collection `C`: any subset of the device fields, with their
 * types. Any field map when `S` is untyped.
 *
 * @example
 * ```ts
 * const where: StoreQuery<typeof schema, 'inspections'> = { status: 'done' };
 * ```
 */
export type StoreQuery<S, C extends string> = unknown extends S
  ? Readonly<Record<string, unknown>>
  : Partial<Omit<DeviceRecord<S, C>, 'id'>>;
