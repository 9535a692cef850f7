/**
 * Turning a record into what a backend stores and back. In field mode the plain fields are JSON
 * in clear and all sensitive fields of a record are sealed together in one envelope whose AAD
 * binds collection, record id, schema version and the field slot `$sensitive`; in whole-record
 * mode every field is sealed under the slot `$record`. One envelope per record keeps the
 * guarantees (nothing can be moved to another record, collection or version, and fields inside
 * one authenticated plaintext cannot be swapped) at one AEAD call per record instead of one per
 * field. Decrypted content is checked against the spec, so a field can never change class.
 */
import type { EncryptionContext, Keyring } from '@bulwark/core/crypto';
import { CorruptDataError } from '../../errors.js';
import { utf8Decode, utf8Encode } from '../../lib/bytes.js';
import { openOrFail } from '../../lib/open-or-fail.js';
import type { StoredRecord } from '../backend.js';
import type { CollectionSpec, FieldSpec } from '../collection.js';
import { InvalidRecordError, ServerOnlyFieldError } from '../errors.js';
import type { Sealer } from '../sealer.js';

/** A record: an `id` and the collection's fields. */
export type StoreRecord = { readonly id: string } & Readonly<Record<string, unknown>>;

/** The keys the codec needs from the vault. */
export interface CodecKeys {
  readonly keyring: Keyring;
  readonly blindIndexKeys: ReadonlyMap<string, CryptoKey>;
  readonly primaryKeyId: string;
}

const ID = /^[A-Za-z0-9._~:-]{1,128}$/;
const SENSITIVE_SLOT = '$sensitive';
const RECORD_SLOT = '$record';

/** Refuses a record that does not fit its collection; returns its checked id. */
export function checkRecord(spec: CollectionSpec, record: unknown): string {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new InvalidRecordError(spec.name, [{ path: '', reason: 'not_an_object' }]);
  }
  const fields = record as Record<string, unknown>;
  const id = fields.id;
  const problems: { path: string; reason: string }[] = [];
  if (typeof id !== 'string' || !ID.test(id)) problems.push({ path: 'id', reason: 'invalid_id' });
  const serverOnly: string[] = [];
  for (const name of Object.keys(fields)) {
    if (name === 'id') continue;
    const field = fieldOf(spec, name);
    if (field === undefined) problems.push({ path: name, reason: 'unknown_field' });
    else if (field.class === 'serverOnly') serverOnly.push(name);
  }
  if (serverOnly.length > 0) throw new ServerOnlyFieldError(spec.name, serverOnly);
  if (problems.length === 0 && spec.validate !== undefined) problems.push(...spec.validate(fields));
  if (problems.length > 0) throw new InvalidRecordError(spec.name, problems);
  return id as string;
}

/** The AAD context of a record's envelope. */
export function recordContext(spec: CollectionSpec, id: string): EncryptionContext {
  return {
    collection: spec.name,
    recordId: id,
    field: spec.wholeRecord === true ? RECORD_SLOT : SENSITIVE_SLOT,
    schemaVersion: spec.schemaVersion,
  };
}

/** Blind-index term of `value` in `field` under one blind-index key. */
export async function termFor(
  sealer: Sealer,
  spec: CollectionSpec,
  field: string,
  key: CryptoKey,
  value: unknown,
): Promise<string | undefined> {
  if (typeof value !== 'string' && !(typeof value === 'number' && Number.isSafeInteger(value)))
    return undefined;
  const option = fieldOf(spec, field)?.blindIndex;
  const caseInsensitive = typeof option === 'object' && option.caseInsensitive === true;
  const mac = await sealer.blindIndex(key, value, { collection: spec.name, field }, { caseInsensitive });
  return termText(field, mac);
}

interface Split {
  readonly plain: Record<string, unknown>;
  readonly secret: Record<string, unknown>;
  readonly indexed: [string, unknown][];
  readonly hasSecret: boolean;
}

function split(spec: CollectionSpec, record: Readonly<Record<string, unknown>>): Split {
  const plain: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  const indexed: [string, unknown][] = [];
  let hasSecret = false;
  for (const name in record) {
    if (!Object.hasOwn(record, name)) continue;
    const value = record[name];
    if (name === 'id' || value === undefined) continue;
    const field = fieldOf(spec, name);
    if (field?.class === 'sensitive') {
      secret[name] = value;
      hasSecret = true;
      if (field.blindIndex !== undefined && field.blindIndex !== false) indexed.push([name, value]);
    } else if (spec.wholeRecord === true) {
      secret[name] = value;
      hasSecret = true;
    } else {
      plain[name] = value;
    }
  }
  return { plain, secret, indexed, hasSecret };
}

function toStored(
  spec: CollectionSpec,
  id: string,
  parts: Split,
  keys: CodecKeys,
  storedAt: number,
  sealed: Uint8Array<ArrayBuffer> | null,
  terms: readonly (string | undefined)[],
): StoredRecord {
  return {
    collection: spec.name,
    id,
    storedAt,
    keyId: parts.hasSecret ? keys.keyring.primary.id : null,
    plain: spec.wholeRecord === true ? null : JSON.stringify(parts.plain),
    sealed,
    terms: terms.filter((t): t is string => t !== undefined),
  };
}

function termText(field: string, mac: Uint8Array): string {
  let hex = '';
  for (const b of mac) hex += b.toString(16).padStart(2, '0');
  return `${field}:${hex}`;
}

/** Encodes a checked record for storage. */
export async function encodeRecord(
  sealer: Sealer,
  spec: CollectionSpec,
  id: string,
  record: Readonly<Record<string, unknown>>,
  keys: CodecKeys,
  storedAt: number,
): Promise<StoredRecord> {
  const fast = encodeRecordSync(sealer, spec, id, record, keys, storedAt);
  if (fast !== undefined) return fast;
  const parts = split(spec, record);
  const blindKey = keys.blindIndexKeys.get(keys.primaryKeyId) as CryptoKey;
  const sealedPromise = parts.hasSecret
    ? sealer.seal(keys.keyring.primary, utf8Encode(JSON.stringify(parts.secret)), recordContext(spec, id))
    : Promise.resolve(null);
  const [sealed, ...terms] = await Promise.all([
    sealedPromise,
    ...parts.indexed.map(([name, value]) => termFor(sealer, spec, name, blindKey, value)),
  ]);
  return toStored(spec, id, parts, keys, storedAt, sealed, terms);
}

/** The synchronous path, when the sealer has one; `undefined` otherwise. */
export function encodeRecordSync(
  sealer: Sealer,
  spec: CollectionSpec,
  id: string,
  record: Readonly<Record<string, unknown>>,
  keys: CodecKeys,
  storedAt: number,
): StoredRecord | undefined {
  const sync = sealer.sync;
  if (sync === undefined) return undefined;
  const parts = split(spec, record);
  const terms: string[] = [];
  if (parts.indexed.length > 0) {
    const blindKey = keys.blindIndexKeys.get(keys.primaryKeyId) as CryptoKey;
    for (const [name, value] of parts.indexed) {
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isSafeInteger(value))) continue;
      const option = fieldOf(spec, name)?.blindIndex;
      const caseInsensitive = typeof option === 'object' && option.caseInsensitive === true;
      const mac = sync.blindIndex(
        blindKey,
        value,
        { collection: spec.name, field: name },
        { caseInsensitive },
      );
      if (mac === undefined) return undefined;
      terms.push(termText(name, mac));
    }
  }
  const sealed = parts.hasSecret
    ? sync.seal(keys.keyring.primary, utf8Encode(JSON.stringify(parts.secret)), recordContext(spec, id))
    : null;
  return toStored(spec, id, parts, keys, storedAt, sealed, terms);
}

/** Decodes a stored record; any mismatch with the spec is `corrupt_data`. */
export async function decodeRecord(
  sealer: Sealer,
  spec: CollectionSpec,
  stored: StoredRecord,
  keys: CodecKeys,
): Promise<StoreRecord> {
  const fast = decodeRecordSync(sealer, spec, stored, keys);
  if (fast !== undefined) return fast;
  const bytes =
    stored.sealed === null
      ? null
      : await openOrFail(sealer, keys.keyring, new Uint8Array(stored.sealed), recordContext(spec, stored.id));
  return assemble(spec, stored, bytes);
}

/** The synchronous path, when the sealer has one and can decide; `undefined` otherwise. */
export function decodeRecordSync(
  sealer: Sealer,
  spec: CollectionSpec,
  stored: StoredRecord,
  keys: CodecKeys,
): StoreRecord | undefined {
  const sync = sealer.sync;
  if (sync === undefined) return undefined;
  if (stored.sealed === null) return assemble(spec, stored, null);
  const bytes = sync.open(keys.keyring, new Uint8Array(stored.sealed), recordContext(spec, stored.id));
  return bytes === undefined ? undefined : assemble(spec, stored, bytes);
}

function assemble(spec: CollectionSpec, stored: StoredRecord, sealedBytes: Uint8Array | null): StoreRecord {
  const out: Record<string, unknown> = { id: stored.id };
  if (stored.plain !== null) {
    if (spec.wholeRecord === true) throw new CorruptDataError(`${spec.name}: unexpected clear fields`);
    const plain = parseObject(stored.plain);
    for (const [name, value] of Object.entries(plain)) {
      if (fieldOf(spec, name)?.class !== 'plain')
        throw new CorruptDataError(`${spec.name}: unexpected clear field`);
      out[name] = value;
    }
  } else if (spec.wholeRecord !== true) {
    throw new CorruptDataError(`${spec.name}: record has no clear part`);
  }
  if (sealedBytes !== null) {
    const secret = parseObject(utf8Decode(sealedBytes));
    sealedBytes.fill(0);
    for (const [name, value] of Object.entries(secret)) {
      const field = fieldOf(spec, name);
      const allowed =
        field !== undefined &&
        field.class !== 'serverOnly' &&
        (spec.wholeRecord === true || field.class === 'sensitive');
      if (!allowed) throw new CorruptDataError(`${spec.name}: unexpected sealed field`);
      out[name] = value;
    }
  } else if (spec.wholeRecord === true) {
    throw new CorruptDataError(`${spec.name}: record has no sealed part`);
  }
  return out as StoreRecord;
}

/** The spec of a declared field; own properties only, so `__proto__` or `constructor` are never fields. */
export function fieldOf(spec: CollectionSpec, name: string): FieldSpec | undefined {
  return Object.hasOwn(spec.fields, name) ? spec.fields[name] : undefined;
}

function parseObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CorruptDataError('stored record is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CorruptDataError('stored record is not an object');
  }
  return value as Record<string, unknown>;
}
