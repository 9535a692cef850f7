/**
 * A collection: a named set of records with declared fields. The single declaration that the
 * validator, the server's projections and storage, the sync scopes, the client's encrypted store
 * and the docs all read.
 */
import { SchemaDefinitionError } from './errors.js';
import type { ObjectNode } from './field.js';
import type { Fields, ObjectDeviceOut, ObjectOut } from './infer.js';
import { checkDeclaration } from './lib/check-declaration.js';
import { COLLECTION_NAME, identifierProblem } from './lib/identifier.js';
import { buildObjectNode } from './lib/object-node.js';
import { MAX_DESCRIPTION_LENGTH } from './limits.js';

/** The record id travels beside the declared fields (random, assigned by Bulwark), never among them. */
const RECORD_ID = 'id';

/**
 * Names the server keeps beside the declared fields of every record (docs/storage.md): the record
 * id, its owner, version and timestamps. They cannot be declared at the top level of a collection,
 * so a client can never set them through a field of the same name and a rule that names `owner`
 * always means the server's owner.
 *
 * @example
 * ```ts
 * if (SYSTEM_FIELDS.includes(key)) refuse(key);
 * ```
 */
export const SYSTEM_FIELDS: readonly string[] = Object.freeze([
  RECORD_ID,
  'owner',
  'version',
  'createdAt',
  'updatedAt',
  'deletedAt',
]);

/**
 * Options of {@link collection}.
 *
 * @example
 * ```ts
 * const options: CollectionOptions<{ body: Field<string> }> = { fields: { body: t.string() }, offline: false };
 * ```
 */
export interface CollectionOptions<F extends Fields> {
  /** The fields of a record. */
  readonly fields: F;
  /** `false`: records never reach a device's store (no sync); still served online. Default `true`. */
  readonly offline?: boolean;
  /**
   * Version of this collection's declaration, a positive integer (default 1). Device ciphertexts
   * are bound to it through their AAD; raise it when a field's meaning changes.
   */
  readonly version?: number;
  /** A human description for the generated docs. */
  readonly description?: string;
}

/**
 * A declared collection.
 *
 * @example
 * ```ts
 * if (!inspections.offline) throw new Error('not synced');
 * ```
 */
export interface Collection<
  Name extends string = string,
  F extends Fields = Fields,
  Offline extends boolean = boolean,
> {
  readonly name: Name;
  /** Whether records reach devices; a literal type when declared literally, so typed stores refuse `false`. */
  readonly offline: Offline;
  readonly version: number;
  readonly description: string | undefined;
  /** The fields as declared (builders), for code that wants the typed field objects. */
  readonly fields: Readonly<F>;
  /** The runtime description of a record, walked by the validator and the projections. */
  readonly node: ObjectNode;
  /** Type carrier for inference; always `undefined` at run time. */
  readonly '~types'?: { readonly record: ObjectOut<F>; readonly device: ObjectDeviceOut<F> };
}

/**
 * Any collection.
 *
 * @example
 * ```ts
 * function names(list: readonly AnyCollection[]): string[] {
 *   return list.map((c) => c.name);
 * }
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: the widest collection type.
export type AnyCollection = Collection<string, any>;

/**
 * Declares a collection. Throws {@link SchemaDefinitionError} (with the path of the field) when the
 * declaration is unsafe or contradictory, so a broken schema stops the app at start-up.
 *
 * @example
 * ```ts
 * const inspections = collection('inspections', {
 *   fields: {
 *     site: t.string({ maxLength: 200 }),
 *     residentPhone: t.string({ maxLength: 32, pattern: /\+?[0-9 ]{6,20}/ }).sensitive(),
 *     riskScore: t.number({ min: 0, max: 100 }).serverOnly(),
 *   },
 * });
 * type Inspection = InferRecord<typeof inspections>;
 * ```
 */
export function collection<const Name extends string, F extends Fields, Offline extends boolean = true>(
  name: Name,
  options: CollectionOptions<F> & { readonly offline?: Offline },
): Collection<Name, F, Offline> {
  const problem = identifierProblem(name, COLLECTION_NAME);
  if (problem !== undefined) throw new SchemaDefinitionError(`collection name: ${problem}`);
  if (typeof options !== 'object' || options === null) {
    throw new SchemaDefinitionError('options must be an object', name);
  }
  const { fields, offline = true, version = 1, description } = options;
  if (typeof offline !== 'boolean') throw new SchemaDefinitionError('offline must be a boolean', name);
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new SchemaDefinitionError('version must be a positive integer', name);
  }
  if (
    description !== undefined &&
    (typeof description !== 'string' || description.length > MAX_DESCRIPTION_LENGTH)
  ) {
    throw new SchemaDefinitionError(
      `description must be a string of at most ${MAX_DESCRIPTION_LENGTH} characters`,
      name,
    );
  }
  let node: ObjectNode;
  try {
    node = buildObjectNode(fields);
  } catch (err) {
    if (err instanceof SchemaDefinitionError) {
      throw new SchemaDefinitionError(err.message, err.path === '' ? name : `${name}.${err.path}`, {
        cause: err,
      });
    }
    throw err;
  }
  if (node.keys.length === 0) throw new SchemaDefinitionError('a collection needs at least one field', name);
  if (node.fields.has(RECORD_ID)) {
    throw new SchemaDefinitionError(
      '"id" is the record id, assigned by Bulwark; it cannot be declared',
      `${name}.id`,
    );
  }
  for (const system of SYSTEM_FIELDS) {
    if (node.fields.has(system)) {
      throw new SchemaDefinitionError(
        `"${system}" is a system field kept by the server; it cannot be declared`,
        `${name}.${system}`,
      );
    }
  }
  checkDeclaration(node, name);
  const declared: Collection<Name, F, Offline> = Object.freeze({
    name,
    offline: offline as Offline,
    version,
    description,
    fields: Object.freeze({ ...fields }),
    node,
  });
  DECLARED.add(declared);
  return declared;
}

/** Collections made by {@link collection}, so look-alike objects are told apart. */
const DECLARED = new WeakSet<object>();

/**
 * Whether `value` was declared with {@link collection}.
 *
 * @example
 * ```ts
 * if (!isCollection(config.inspections)) throw new Error('not a collection');
 * ```
 */
export function isCollection(value: unknown): value is AnyCollection {
  return typeof value === 'object' && value !== null && DECLARED.has(value);
}
