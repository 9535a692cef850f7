/**
 * Encrypted attachments for the app: put a stream, get a stream, under the vault's data keys.
 * Wiping the vault destroys the stored files. Before a data key is retired, files still under an
 * older key are re-encrypted under the primary one (each replaced whole, atomically, by the
 * storage), so a retirement never strands a file.
 */
import { InvalidArgumentError } from '../errors.js';

import type { Sealer } from '../store/sealer.js';
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
  /** Per file id, the tail of its writes: a re-encryption never overwrites a newer `put`. */
  readonly #writes = new Map<string, Promise<unknown>>();

  constructor(options: EncryptedFilesOptions) {
    this.#options = options;
    options.vault.onWipe(() => options.storage.destroy());
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
