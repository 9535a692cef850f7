/**
 * Turning a record into what a backend stores and back. In field mode the plain fields are JSON
 * in clear and all sensitive fields of a record are sealed together in one envelope whose AAD
 * binds collection, record id, schema version and the field slot `$sensitive`; in whole-record
 * mode every field is sealed under the slot `$record`. One envelope per record keeps the
 * guarantees (nothing can be moved to another record, collection or version, and fields inside
 * one authenticated plaintext cannot be swapped) at one AEAD call per record instead of one per
 * field. Decrypted content is checked against the spec, so a field can never change class.
 */
import {
  type EncryptionContext,
  encodeContext,
  type Keyring,
  utf8Decode,
  utf8Encode,
} from '@bulwark/core/crypto';
import { CorruptDataError } from '../../errors.js';
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
const RECORD_ID_KEY = 'recordId';

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

interface ContextTemplate {
  readonly name: string;
  readonly schemaVersion: number;
  readonly wholeRecord: boolean;
  /** Count byte, the collection and field entries, then the `recordId` key and string tag. */
  readonly prefix: Uint8Array;
  /** The `schemaVersion` entry. */
  readonly suffix: Uint8Array;
}

const templates = new WeakMap<CollectionSpec, ContextTemplate>();
// The template of the last spec used: a bulk write encodes one collection's records one after
// the other, and this spares a WeakMap lookup per record.
let lastSpec: CollectionSpec | undefined;
let lastTemplate: ContextTemplate | undefined;

function templateOf(spec: CollectionSpec): ContextTemplate {
  let template = spec === lastSpec ? lastTemplate : templates.get(spec);
  // Checked on every use, so that a spec object changed after its first record still encodes right.
  if (
    template === undefined ||
    template.name !== spec.name ||
    template.schemaVersion !== spec.schemaVersion ||
    template.wholeRecord !== (spec.wholeRecord === true)
  ) {
    const head = encodeContext({ collection: spec.name, field: recordContext(spec, '').field as string });
    const prefix = new Uint8Array(head.length + 1 + RECORD_ID_KEY.length + 1);
    prefix.set(head, 0);
    prefix[0] = 4;
    prefix[head.length] = RECORD_ID_KEY.length;
    for (let i = 0; i < RECORD_ID_KEY.length; i++) prefix[head.length + 1 + i] = RECORD_ID_KEY.charCodeAt(i);
    prefix[head.length + 1 + RECORD_ID_KEY.length] = 0x01;
    template = {
      name: spec.name,
      schemaVersion: spec.schemaVersion,
      wholeRecord: spec.wholeRecord === true,
      prefix,
      suffix: encodeContext({ schemaVersion: spec.schemaVersion }).subarray(1),
    };
    templates.set(spec, template);
  }
  lastSpec = spec;
  lastTemplate = template;
  return template;
}

/** Bytes of the record context of `id` under `template`, or 0 when the id is not plain ASCII of an allowed length. */
function contextLength(template: ContextTemplate, id: string): number {
  return id.length === 0 || id.length > 128
    ? 0
    : template.prefix.length + 2 + id.length + template.suffix.length;
}

/** Writes the record context into `out` (of `contextLength` bytes at least); false for a non-ASCII id. */
function writeContext(template: ContextTemplate, id: string, out: Uint8Array): boolean {
  const { prefix, suffix } = template;
  out.set(prefix, 0);
  let offset = prefix.length;
  out[offset++] = 0;
  out[offset++] = id.length;
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    if (code > 0x7f) return false;
    out[offset++] = code;
  }
  out.set(suffix, offset);
  return true;
}

/**
 * `encodeContext(recordContext(spec, id))`, built from a per-collection template instead of
 * encoding an object per record: the constant entries come from core's encoder once, and only the
 * id is written per record. Keys sort as collection < field < recordId < schemaVersion. Ids that
 * are not plain ASCII of an allowed length get `undefined` (the caller then uses the object).
 */
export function recordContextBytes(spec: CollectionSpec, id: string): Uint8Array<ArrayBuffer> | undefined {
  const template = templateOf(spec);
  const length = contextLength(template, id);
  if (length === 0) return undefined;
  const out = new Uint8Array(length);
  return writeContext(template, id, out) ? out : undefined;
}

let contextScratch = new Uint8Array(256);

/**
 * `recordContextBytes` in a reused buffer, valid until the next call: for the synchronous
 * sealers, which consume the context before they return (it is public data, nothing to wipe).
 */
function recordContextScratch(spec: CollectionSpec, id: string): Uint8Array | undefined {
  const template = templateOf(spec);
  const length = contextLength(template, id);
  if (length === 0) return undefined;
  if (length > contextScratch.length)
    contextScratch = new Uint8Array(Math.max(length, contextScratch.length * 2));
  return writeContext(template, id, contextScratch) ? contextScratch.subarray(0, length) : undefined;
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
    terms: terms.includes(undefined)
      ? terms.filter((t): t is string => t !== undefined)
      : (terms as string[]),
  };
}

function termText(field: string, mac: Uint8Array): string {
  let hex = '';
  for (const b of mac) hex += b.toString(16).padStart(2, '0');
  return `${field}:${hex}`;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(4096);

/** `json` as UTF-8 in a reused buffer, valid until the next call. */
function utf8Scratch(json: string): Uint8Array<ArrayBuffer> {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  if (json.length * 3 > scratch.length)
    scratch = new Uint8Array(Math.max(json.length * 3, scratch.length * 2));
  const { written } = encoder.encodeInto(json, scratch);
  return scratch.subarray(0, written);
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
  const sealedPromise = parts.hasSecret
    ? sealAsync(sealer, spec, id, keys, utf8Encode(JSON.stringify(parts.secret)))
    : Promise.resolve(null);
  // Without blind indexes (most collections) there is only the seal to wait for.
  if (parts.indexed.length === 0) return toStored(spec, id, parts, keys, storedAt, await sealedPromise, []);
  const blindKey = keys.blindIndexKeys.get(keys.primaryKeyId) as CryptoKey;
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
  let sealed: Uint8Array<ArrayBuffer> | null = null;
  if (parts.hasSecret) {
    const json = JSON.stringify(parts.secret);
    const encoded = sync.sealEncoded === undefined ? undefined : recordContextScratch(spec, id);
    if (encoded === undefined || sync.sealEncoded === undefined) {
      sealed = sync.seal(keys.keyring.primary, utf8Encode(json), recordContext(spec, id));
    } else {
      // The synchronous sealer consumes the plaintext before returning: it is encoded into a
      // reused buffer (no allocation per record) and wiped right after.
      const plaintext = utf8Scratch(json);
      try {
        sealed = sync.sealEncoded(keys.keyring.primary, plaintext, encoded);
      } finally {
        plaintext.fill(0);
      }
    }
  }
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
  if (stored.sealed === null) return assemble(spec, stored, null);
  const envelope = ownBytes(stored.sealed);
  const encoded = sealer.openEncoded === undefined ? undefined : recordContextBytes(spec, stored.id);
  const opened =
    encoded === undefined || sealer.openEncoded === undefined
      ? undefined
      : await sealer.openEncoded(keys.keyring, envelope, encoded);
  const bytes = opened ?? (await openOrFail(sealer, keys.keyring, envelope, recordContext(spec, stored.id)));
  return assemble(spec, stored, bytes);
}

async function sealAsync(
  sealer: Sealer,
  spec: CollectionSpec,
  id: string,
  keys: CodecKeys,
  plaintext: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const encoded = sealer.sealEncoded === undefined ? undefined : recordContextBytes(spec, id);
  return encoded === undefined || sealer.sealEncoded === undefined
    ? sealer.seal(keys.keyring.primary, plaintext, recordContext(spec, id))
    : sealer.sealEncoded(keys.keyring.primary, plaintext, encoded);
}

/** The stored bytes as an ArrayBuffer-backed array: as they are when they already are, else a copy. */
function ownBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
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
  const envelope = ownBytes(stored.sealed);
  const encoded = sync.openEncoded === undefined ? undefined : recordContextScratch(spec, stored.id);
  const bytes =
    encoded === undefined || sync.openEncoded === undefined
      ? sync.open(keys.keyring, envelope, recordContext(spec, stored.id))
      : sync.openEncoded(keys.keyring, envelope, encoded);
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
