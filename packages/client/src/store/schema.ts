/**
 * Store collections from the shared core schema: the same declaration the server validates
 * against. The store classifies top-level fields; a plain top-level field that holds a sensitive
 * field anywhere inside it (an object, an array of objects) is sealed as a whole, so nothing
 * declared sensitive is ever stored in clear. Records are validated with core's validator in
 * device mode (serverOnly fields refused, unknown fields refused) before anything is sealed.
 */
import { type AnyCollection, sensitivePaths, serverOnlyPaths, validate } from '@bulwark/core/schema';
import { InvalidArgumentError } from '../errors.js';
import type { FieldSpec } from './collection.js';
import type { SchemaCollectionSpec } from './typed.js';

/**
 * Store-only options for a schema collection.
 *
 * @example
 * ```ts
 * const options: FromSchemaOptions = { blindIndex: { residentPhone: true }, maxAgeMs: 7 * 86_400_000 };
 * ```
 */
export interface FromSchemaOptions {
  /** Sensitive top-level fields that keep a blind index for equality queries. */
  readonly blindIndex?: Readonly<Record<string, boolean | { readonly caseInsensitive?: boolean }>>;
  /** Seal every field of the collection. */
  readonly wholeRecord?: boolean;
  /** Purge offline records older than this. */
  readonly maxAgeMs?: number;
}

/**
 * The store's view of a core schema collection.
 *
 * @example
 * ```ts
 * const sites = fromSchema(schema.collections.sites, { blindIndex: { residentPhone: true } });
 * const store = await EncryptedStore.open({ backend, vault, collections: [sites] });
 * ```
 */
export function fromSchema<C extends AnyCollection>(
  collection: C,
  options: FromSchemaOptions = {},
): SchemaCollectionSpec<C> {
  const sealedInside = new Set(sensitivePaths(collection).map((p) => p.segments[0] as string));
  const serverOnly = new Set(
    serverOnlyPaths(collection)
      .filter((p) => p.segments.length === 1)
      .map((p) => p.segments[0] as string),
  );
  const fields: Record<string, FieldSpec> = {};
  for (const [name, node] of collection.node.entries) {
    const cls = serverOnly.has(name)
      ? 'serverOnly'
      : node.cls === 'sensitive' || sealedInside.has(name)
        ? 'sensitive'
        : 'plain';
    const index = options.blindIndex?.[name];
    if (index !== undefined && index !== false && cls !== 'sensitive') {
      throw new InvalidArgumentError(`${collection.name}.${name}: only sensitive fields take a blind index`);
    }
    fields[name] = index === undefined ? { class: cls } : { class: cls, blindIndex: index };
  }
  for (const name of Object.keys(options.blindIndex ?? {})) {
    if (!Object.hasOwn(fields, name))
      throw new InvalidArgumentError(`${collection.name}.${name} is not declared`);
  }
  return {
    name: collection.name,
    schemaVersion: collection.version,
    offline: collection.offline,
    fields,
    ...(options.wholeRecord === undefined ? {} : { wholeRecord: options.wholeRecord }),
    ...(options.maxAgeMs === undefined ? {} : { maxAgeMs: options.maxAgeMs }),
    validate(record) {
      const { id: _id, ...body } = record;
      const result = validate(collection, body, { mode: 'create', source: 'device' });
      return result.ok ? [] : result.issues.map((issue) => ({ path: issue.pointer, reason: issue.code }));
    },
  };
}
