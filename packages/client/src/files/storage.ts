/**
 * Where encrypted files are kept, behind a small interface: the storage sees only ciphertext
 * streams. Memory here; a folder on disk in the Node entry.
 */

/**
 * Storage of encrypted file streams.
 *
 * @example
 * ```ts
 * const storage: FileStorage = new MemoryFileStorage();
 * ```
 */
export interface FileStorage {
  /**
   * Stores the whole stream under `fileId`; visible only once complete, and a file it replaces
   * stays whole until then (re-encryption replaces files in place).
   */
  write(fileId: string, stream: ReadableStream<Uint8Array>): Promise<void>;
  /** The stored stream, or `undefined`. */
  read(fileId: string): Promise<ReadableStream<Uint8Array> | undefined>;
  delete(fileId: string): Promise<void>;
  /**
   * Ids of the stored files. Needed to re-encrypt files when a data key is retired; a storage
   * without it makes `retireDataKey` refuse rather than lose files.
   */
  list?(): Promise<string[]>;
  /** Deletes every file (wipe). */
  destroy(): Promise<void>;
}

/**
 * Encrypted files in memory (tests).
 *
 * @example
 * ```ts
 * const files = new EncryptedFiles({ storage: new MemoryFileStorage(), vault });
 * ```
 */
export class MemoryFileStorage implements FileStorage {
  readonly files = new Map<string, Uint8Array[]>();

  async write(fileId: string, stream: ReadableStream<Uint8Array>): Promise<void> {
    const parts: Uint8Array[] = [];
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    this.files.set(fileId, parts);
  }

  async read(fileId: string): Promise<ReadableStream<Uint8Array> | undefined> {
    const parts = this.files.get(fileId);
    if (parts === undefined) return undefined;
    let i = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        const part = parts[i++];
        if (part === undefined) controller.close();
        else controller.enqueue(new Uint8Array(part));
      },
    });
  }

  async delete(fileId: string): Promise<void> {
    this.files.delete(fileId);
  }

  async list(): Promise<string[]> {
    return [...this.files.keys()];
  }

  async destroy(): Promise<void> {
    this.files.clear();
  }
}
