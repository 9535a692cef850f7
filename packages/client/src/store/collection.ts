/**
 * How the store sees a collection: its fields and their classes, the schema version bound into
 * every ciphertext, whole-record mode, a maximum age for offline data, and an optional validator.
 * `fromSchema` (see `schema.ts`) builds these from the shared core schema; they can also be written
 * by hand for apps that do not use it.
 */
import { InvalidArgumentError } from '../errors.js';

/**
 * The class of a field. `serverOnly` fields are refused by the store; `sensitive` fields are
 * sealed; `plain` fields are stored as they are unless the collection is in whole-record mode.
 */
export type FieldClass = 'plain' | 'sensitive' | 'serverOnly';

/**
 * One field.
 *
 * @example
 * ```ts
 * const phone: FieldSpec = { class: 'sensitive', blindIndex: { caseInsensitive: false } };
 * ```
 */
export interface FieldSpec {
  readonly class: FieldClass;
  /** Sensitive fields only: keep an HMAC blind index so equality queries work. */
  readonly blindIndex?: boolean | { readonly caseInsensitive?: boolean };
}

/** A problem found by a validator: where and a stable reason code. */
export interface ValidationProblem {
  readonly path: string;
  readonly reason: string;
}

/**
 * A collection as the store uses it.
 *
 * @example
 * ```ts
 * const sites: CollectionSpec = {
 *   name: 'sites', schemaVersion: 1,
 *   fields: { name: { class: 'plain' }, residentPhone: { class: 'sensitive', blindIndex: true }, riskScore: { class: 'serverOnly' } },
 *   maxAgeMs: 30 * 24 * 3600_000,
 * };
 * ```
 */
export interface CollectionSpec {
  readonly name: string;
  /** Bound into the AAD of every ciphertext of the collection. */
  readonly schemaVersion: number;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /** Seal every field (plain ones too) in one envelope per record. Default false. */
  readonly wholeRecord?: boolean;
  /** Purge records stored longer ago than this. Default: kept until deleted. */
  readonly maxAgeMs?: number;
  /** `false`: the collection never reaches a device; the store refuses it. Default true. */
  readonly offline?: boolean;
  /** Extra validation (the core schema validator); returns the problems found. */
  readonly validate?: (record: Readonly<Record<string, unknown>>) => readonly ValidationProblem[];
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Checks a spec once, when the store opens. */
export function checkCollectionSpec(spec: CollectionSpec): void {
  if (!NAME.test(spec.name)) {
    throw new InvalidArgumentError(
      `collection names are 1 to 64 characters of A-Z a-z 0-9 _, starting with a letter`,
    );
  }
  if (!Number.isSafeInteger(spec.schemaVersion) || spec.schemaVersion < 0) {
    throw new InvalidArgumentError(`${spec.name}: schemaVersion must be a non-negative integer`);
  }
  if (spec.maxAgeMs !== undefined && !(Number.isFinite(spec.maxAgeMs) && spec.maxAgeMs > 0)) {
    throw new InvalidArgumentError(`${spec.name}: maxAgeMs must be a positive number`);
  }
  for (const [field, fieldSpec] of Object.entries(spec.fields)) {
    if (!NAME.test(field) || field === 'id') {
      throw new InvalidArgumentError(`${spec.name}: field name "${field}" is not allowed`);
    }
    if (
      fieldSpec.blindIndex !== undefined &&
      fieldSpec.blindIndex !== false &&
      fieldSpec.class !== 'sensitive'
    ) {
      throw new InvalidArgumentError(`${spec.name}.${field}: only sensitive fields take a blind index`);
    }
  }
}
