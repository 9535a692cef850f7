/**
 * An app's schema: its collections under one version number, with unique names. This is what a
 * `bulwark.config.ts` exports and what the server and the client SDK are started with.
 */
import { type AnyCollection, isCollection } from './collection.js';
import { SchemaDefinitionError } from './errors.js';

/**
 * A checked set of collections.
 *
 * @example
 * ```ts
 * const inspections = schema.collections.inspections;
 * ```
 */
export interface Schema<C extends readonly AnyCollection[] = readonly AnyCollection[]> {
  /** Version of the app schema, a positive integer; devices report it when they sync. */
  readonly version: number;
  /** The collections in declaration order. */
  readonly list: C;
  /** The collections by name (a null-prototype object: no name can hit a prototype member). */
  readonly collections: { readonly [K in C[number] as K['name']]: K };
}

/**
 * Groups an app's collections. Throws {@link SchemaDefinitionError} when two collections share a
 * name or the version is not a positive integer.
 *
 * @example
 * ```ts
 * export default defineSchema({ version: 3, collections: [inspections, sites] });
 * ```
 */
export function defineSchema<const C extends readonly AnyCollection[]>(definition: {
  readonly version: number;
  readonly collections: C;
}): Schema<C> {
  const { version, collections } = definition;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new SchemaDefinitionError('schema version must be a positive integer');
  }
  if (!Array.isArray(collections) || collections.length === 0) {
    throw new SchemaDefinitionError('a schema needs at least one collection');
  }
  const byName: Record<string, AnyCollection> = Object.create(null);
  for (const c of collections as readonly AnyCollection[]) {
    if (!isCollection(c)) {
      throw new SchemaDefinitionError('every entry must be declared with collection()');
    }
    if (Object.hasOwn(byName, c.name)) throw new SchemaDefinitionError('collection declared twice', c.name);
    byName[c.name] = c;
  }
  return Object.freeze({
    version,
    list: Object.freeze([...collections]) as unknown as C,
    collections: Object.freeze(byName) as Schema<C>['collections'],
  });
}
