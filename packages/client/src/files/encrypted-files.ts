/**
 * Encrypted attachments for the app: put a stream, get a stream, under the vault's data keys.
 * Wiping the vault destroys the stored files.
 */

import type { Sealer } from '../store/sealer.js';
import type { Vault } from '../vault/vault.js';
import { decryptFile, encryptFile } from './chunked.js';
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

  constructor(options: EncryptedFilesOptions) {
    this.#options = options;
    options.vault.onWipe(() => options.storage.destroy());
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
    const transform = encryptFile({
      keyring,
      fileId,
      ...(this.#options.chunkSize === undefined ? {} : { chunkSize: this.#options.chunkSize }),
      ...(this.#options.sealer === undefined ? {} : { sealer: this.#options.sealer }),
    });
    await this.#options.storage.write(fileId, source.pipeThrough(transform));
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
    return stored.pipeThrough(
      decryptFile({
        keyring,
        fileId,
        ...(this.#options.sealer === undefined ? {} : { sealer: this.#options.sealer }),
      }),
    );
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
    await this.#options.storage.delete(fileId);
  }
}
