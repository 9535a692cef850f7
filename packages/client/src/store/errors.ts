/**
 * The failures of the encrypted store, one class each with a stable `code` (docs/client.md).
 * Messages name fields and collections, never values.
 */
import { BulwarkError } from '@bulwark/core';

/**
 * A record sets a `serverOnly` field: such fields never reach a device, so the store refuses the
 * whole record and stores nothing.
 *
 * @example
 * ```ts
 * try { await store.put('sites', record); } catch (err) {
 *   if (err instanceof ServerOnlyFieldError) console.error(err.fields); // server_only_field
 * }
 * ```
 */
export class ServerOnlyFieldError extends BulwarkError<'server_only_field'> {
  readonly fields: readonly string[];

  constructor(collection: string, fields: readonly string[]) {
    super(
      'server_only_field',
      `${collection}: server-only field(s) ${fields.join(', ')} cannot be stored on a device`,
    );
    this.fields = fields;
  }
}

/**
 * A record does not match its collection: unknown fields, a missing or malformed id, or problems
 * reported by the schema validator. Nothing was stored.
 *
 * @example
 * ```ts
 * try { await store.put('sites', record); } catch (err) {
 *   if (err instanceof InvalidRecordError) showProblems(err.problems); // invalid_record
 * }
 * ```
 */
export class InvalidRecordError extends BulwarkError<'invalid_record'> {
  readonly problems: readonly { readonly path: string; readonly reason: string }[];

  constructor(collection: string, problems: readonly { readonly path: string; readonly reason: string }[]) {
    super('invalid_record', `${collection}: ${problems.map((p) => `${p.path}: ${p.reason}`).join('; ')}`);
    this.problems = problems;
  }
}

/**
 * The collection is not declared, or is `offline: false` and so never stored on a device.
 *
 * @example
 * ```ts
 * try { await store.get('audit', id); } catch (err) {
 *   if (err instanceof UnknownCollectionError) console.error(err.message); // unknown_collection
 * }
 * ```
 */
export class UnknownCollectionError extends BulwarkError<'unknown_collection'> {
  constructor(collection: string, why = 'is not declared') {
    super('unknown_collection', `collection "${collection}" ${why}`);
  }
}

/**
 * An equality query on a sensitive field without a blind index: the store would have to decrypt
 * every record, so it refuses; declare `blindIndex` on the field.
 *
 * @example
 * ```ts
 * try { await store.find('sites', { residentPhone: '+44…' }); } catch (err) {
 *   if (err instanceof FieldNotQueryableError) console.error(err.message); // field_not_queryable
 * }
 * ```
 */
export class FieldNotQueryableError extends BulwarkError<'field_not_queryable'> {
  constructor(collection: string, field: string) {
    super('field_not_queryable', `${collection}.${field} is sensitive and has no blind index`);
  }
}
