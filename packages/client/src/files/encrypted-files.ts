/**
 * Encrypted attachments for the app: put a stream, get a stream, under the vault's data keys.
 * Wiping the vault destroys the stored files. Before a data key is retired, files still under an
 * older key are re-encrypted under the primary one (each replaced whole, atomically, by the
 * storage), so a retirement never strands a file. Files attached to a record of the store go when
 * the record leaves the device (deleted, removed by a pull, dropped by a reset, expired).
 */
import { toBase64, utf8Encode } from '@bulwark/core/crypto';
import { InvalidArgumentError } from '../errors.js';

import type { Sealer } from '../store/sealer.js';
import type { RecordRef, RemovedRecords } from '../store/store.js';
import type { Vault } from '../vault/vault.js';
import { decryptFile, encryptFile, readFileKeyId } from './chunked.js';
import type { FileStorage } from './storage.js';

/**
 * Options of {@link EncryptedFiles}.
 *
 * @example
 * ```ts
 * const options: EncryptedFilesOptions = { storage, vault, chunkSize: 256 * 1024 };
 * ```
 */
export interface EncryptedFilesOptions {
  readonly storage: FileStorage;
  readonly vault: Vault;
  readonly chunkSize?: number;
  readonly sealer?: Sealer;
  /**
   * The store whose records files are attached to (`attach`): when a record leaves the device,
   * its attached files are deleted. `createClient` passes its store.
   */
  readonly store?: AttachmentRecords;
}

/**
 * What attached files need of the store: its drops, and the records it holds. `EncryptedStore`
 * is one.
 *
 * @example
 * ```ts
 * const records: AttachmentRecords = store;
 * ```
 */
export interface AttachmentRecords {
  onRemoved(listener: (removed: RemovedRecords) => unknown): () => void;
  collectionNames(): readonly string[];
  ids(collection: string): Promise<string[]>;
  /** Whether the record is stored; throws for a collection the store does not keep on the device. */
  has(collection: string, id: string): Promise<boolean>;
  /** True while some records are absent only until a later batch stores them again. */
  dropsHeld(): Promise<boolean>;
}

/** `bwr.` + 24 base64url characters naming the record + `.` + the attachment's name. */
const ATTACHED = /^bwr\.([A-Za-z0-9_-]{24})\.(.+)$/;
const ATTACHMENT_NAME = /^[A-Za-z0-9._:-]{1,35}$/;

/**
 * The part of an attached file's id that names its record: 18 bytes of SHA-256 of the collection
 * and record id (a record id may be 128 characters, a file id only 64). It reveals nothing the
 * store does not hold in clear while the record is there.
 */
async function recordTag(collection: string, recordId: string): Promise<string> {
  if (typeof collection !== 'string' || typeof recordId !== 'string' || recordId.length === 0) {
    throw new InvalidArgumentError('an attachment needs a collection name and a record id');
  }
  const digest = await crypto.subtle.digest('SHA-256', utf8Encode(`${collection}\u0000${recordId}`));
  return toBase64(new Uint8Array(digest).subarray(0, 18)).replaceAll('+', '-').replaceAll('/', '_');
}

/**
 * Encrypted files.
 *
 * @example
 * ```ts
 * const files = new EncryptedFiles({ storage: new DirectoryFileStorage('data/files'), vault });
 * await files.put('photo-1', photoBlob.stream());
 * const stream = await files.get('photo-1');
 * ```
 */
export class EncryptedFiles {
  readonly #options: EncryptedFilesOptions;
  /**
   * Tags of records the store did not hold when a file was attached to them through this
   * instance: the app may be about to save them, so no sweep of this instance deletes their files
   * until it has seen the record stored (a later instance's sweep, at the next start, does).
   */
  readonly #unsaved = new Set<string>();
  /** Per file id, the tail of its writes: a re-encryption never overwrites a newer `put`. */
  readonly #writes = new Map<string, Promise<unknown>>();

  constructor(options: EncryptedFilesOptions) {
    this.#options = options;
    options.vault.onWipe(() => options.storage.destroy());
    options.store?.onRemoved(async (removed) => {
      await this.deleteAttached(removed.records);
      if (removed.more) await this.deleteOrphanAttachments();
    });
    options.vault.onRetireDataKey(async () => {
      await this.reencrypt();
    });
  }

  /**
   * Re-encrypts under the primary data key every file still under an older one, one file at a
   * time, each replaced atomically (an interrupted run leaves every file whole under one of the
   * keys; run it again). `vault.retireDataKey` runs it first. Returns how many files moved.
   *
   * @example
   * ```ts
   * await vault.rotateDataKey();
   * await files.reencrypt();
   * ```
   */
  async reencrypt(): Promise<number> {
    const { storage } = this.#options;
    if (storage.list === undefined) {
      throw new InvalidArgumentError(
        'this file storage cannot list its files, so they cannot be re-encrypted',
      );
    }
    let moved = 0;
    for (const fileId of await storage.list()) {
      const changed = await this.#exclusive(fileId, async () => {
        const { keyring } = this.#options.vault.keys();
        const head = await storage.read(fileId);
        if (head === undefined || (await readFileKeyId(head)) === keyring.primary.id) return false;
        const stored = await storage.read(fileId);
        if (stored === undefined) return false;
        const sealer = this.#sealer();
        await storage.write(
          fileId,
          stored
            .pipeThrough(decryptFile({ keyring, fileId, ...sealer }))
            .pipeThrough(encryptFile({ keyring, fileId, ...this.#chunkSize(), ...sealer })),
        );
        return true;
      });
      if (changed) moved += 1;
    }
    return moved;
  }

  /**
   * Encrypts and stores a stream.
   *
   * @example
   * ```ts
   * await files.put('report-2024', pdf.stream());
   * ```
   */
  async put(fileId: string, source: ReadableStream<Uint8Array>): Promise<void> {
    const { keyring } = this.#options.vault.keys();
    const transform = encryptFile({ keyring, fileId, ...this.#chunkSize(), ...this.#sealer() });
    await this.#exclusive(fileId, () => this.#options.storage.write(fileId, source.pipeThrough(transform)));
  }

  /**
   * A decrypting stream of the file, or `undefined`. The stream errors with
   * `decryption_failed` if the stored file was altered; use the content only once it has ended.
   *
   * @example
   * ```ts
   * const stream = await files.get('report-2024');
   * ```
   */
  async get(fileId: string): Promise<ReadableStream<Uint8Array> | undefined> {
    const { keyring } = this.#options.vault.keys();
    const stored = await this.#options.storage.read(fileId);
    if (stored === undefined) return undefined;
    return stored.pipeThrough(decryptFile({ keyring, fileId, ...this.#sealer() }));
  }

  /**
   * Deletes a file.
   *
   * @example
   * ```ts
   * await files.delete('report-2024');
   * ```
   */
  async delete(fileId: string): Promise<void> {
    await this.#exclusive(fileId, () => this.#options.storage.delete(fileId));
  }

  /**
   * The file id of the attachment `name` of a record (`name`: 1 to 35 of `A-Z a-z 0-9 . _ : -`).
   *
   * @example
   * ```ts
   * const fileId = await files.attachmentId('inspections', 'i-42', 'p1733572800000');
   * ```
   */
  async attachmentId(collection: string, recordId: string, name: string): Promise<string> {
    if (typeof name !== 'string' || !ATTACHMENT_NAME.test(name)) {
      throw new InvalidArgumentError('attachment names are 1 to 35 characters of A-Z a-z 0-9 . _ : -');
    }
    return `bwr.${await recordTag(collection, recordId)}.${name}`;
  }

  /**
   * Encrypts and stores a file attached to a record: it is deleted when the record leaves the
   * device (a delete, a pull's removal or reset, an expiry), through the store given in the
   * options. Needs a storage that can list its files. With a store, the collection must be one it
   * keeps on the device (else `unknown_collection`: no record there could ever hold the file);
   * the record may be saved after its files are attached (see `deleteOrphanAttachments`).
   *
   * @example
   * ```ts
   * await files.attach('inspections', inspection.id, `p${Date.now()}`, photo.stream());
   * ```
   */
  async attach(
    collection: string,
    recordId: string,
    name: string,
    source: ReadableStream<Uint8Array>,
  ): Promise<void> {
    if (this.#options.storage.list === undefined) {
      throw new InvalidArgumentError(
        'this file storage cannot list its files, so it cannot hold attachments',
      );
    }
    const fileId = await this.attachmentId(collection, recordId, name);
    const { store } = this.#options;
    const saved = store === undefined || (await store.has(collection, recordId));
    if (!saved) this.#unsaved.add(await recordTag(collection, recordId));
    await this.put(fileId, source);
    // The record may have been dropped while the file was written: the drop deleted the files it
    // listed then, not this one, still under its temporary name. Unless the drop is held (a
    // reset pass that may send the record back), the file goes now rather than at the next sweep.
    if (
      saved &&
      store !== undefined &&
      !(await store.has(collection, recordId)) &&
      !(await store.dropsHeld())
    ) {
      await this.delete(fileId);
    }
  }

  /**
   * A decrypting stream of a record's attachment, or `undefined`.
   *
   * @example
   * ```ts
   * const stream = await files.getAttached('inspections', 'i-42', 'p1733572800000');
   * ```
   */
  async getAttached(
    collection: string,
    recordId: string,
    name: string,
  ): Promise<ReadableStream<Uint8Array> | undefined> {
    return this.get(await this.attachmentId(collection, recordId, name));
  }

  /**
   * Names of the files attached to a record.
   *
   * @example
   * ```ts
   * const names = await files.attachments('inspections', 'i-42');
   * ```
   */
  async attachments(collection: string, recordId: string): Promise<string[]> {
    const tag = await recordTag(collection, recordId);
    const names: string[] = [];
    for (const fileId of await this.#list()) {
      const m = ATTACHED.exec(fileId);
      if (m?.[1] === tag && m[2] !== undefined) names.push(m[2]);
    }
    return names.sort();
  }

  /**
   * Deletes every file attached to these records; returns how many. The store's drops run it
   * (see `store` in the options); call it for records dropped some other way.
   *
   * @example
   * ```ts
   * await files.deleteAttached([{ collection: 'inspections', id: 'i-42' }]);
   * ```
   */
  async deleteAttached(records: readonly RecordRef[]): Promise<number> {
    if (records.length === 0 || this.#options.storage.list === undefined) return 0;
    const tags = new Set(await Promise.all(records.map((r) => recordTag(r.collection, r.id))));
    for (const tag of tags) this.#unsaved.delete(tag);
    let deleted = 0;
    for (const fileId of await this.#list()) {
      const tag = ATTACHED.exec(fileId)?.[1];
      if (tag === undefined || !tags.has(tag)) continue;
      await this.delete(fileId);
      deleted += 1;
    }
    return deleted;
  }

  /**
   * Deletes attached files whose record is no longer in the store (the store given in the
   * options): what a drop left when the app was killed between committing it and deleting the
   * files, and at the end of a sync pass that began with a reset. Does nothing while the store
   * holds drops (a reset pass not finished, or a push's drops awaiting the next pull: records
   * still to come back keep their files).
   * Spares the files this instance attached to a record the store did not hold yet, until it
   * sees that record stored: the app may attach a photo before it saves the record, and the sweep
   * at the end of a reset pass must not take it (if the record is never saved, the next start's
   * sweep does). `createClient` runs it once, at the client's start. Returns how many went.
   *
   * @example
   * ```ts
   * await files.deleteOrphanAttachments();
   * ```
   */
  async deleteOrphanAttachments(): Promise<number> {
    const { store, storage } = this.#options;
    if (store === undefined || storage.list === undefined || (await store.dropsHeld())) return 0;
    const attached = (await this.#list()).filter((id) => ATTACHED.test(id));
    if (attached.length === 0) return 0;
    const live = new Set<string>();
    for (const collection of store.collectionNames()) {
      const ids = await store.ids(collection);
      for (let i = 0; i < ids.length; i += 256) {
        const tags = await Promise.all(ids.slice(i, i + 256).map((id) => recordTag(collection, id)));
        for (const tag of tags) live.add(tag);
      }
    }
    for (const tag of this.#unsaved) if (live.has(tag)) this.#unsaved.delete(tag);
    let deleted = 0;
    for (const fileId of attached) {
      const tag = ATTACHED.exec(fileId)?.[1];
      if (tag === undefined || live.has(tag) || this.#unsaved.has(tag)) continue;
      await this.delete(fileId);
      deleted += 1;
    }
    return deleted;
  }

  async #list(): Promise<string[]> {
    const { storage } = this.#options;
    return storage.list === undefined ? [] : storage.list();
  }

  #chunkSize(): { chunkSize?: number } {
    return this.#options.chunkSize === undefined ? {} : { chunkSize: this.#options.chunkSize };
  }

  #sealer(): { sealer?: Sealer } {
    return this.#options.sealer === undefined ? {} : { sealer: this.#options.sealer };
  }

  /** Runs `operation` after every earlier write of `fileId` has settled. */
  async #exclusive<T>(fileId: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.#writes.get(fileId) ?? Promise.resolve();
    const run = previous.then(operation, operation);
    const tail = run.catch(() => undefined);
    this.#writes.set(fileId, tail);
    try {
      return await run;
    } finally {
      if (this.#writes.get(fileId) === tail) this.#writes.delete(fileId);
    }
  }
}
