/**
 * Where the vault keeps its state (wrapped keys, failed-attempt counter): one small record that
 * is replaced atomically, kept beside the app's data rather than in the keystore, so that a
 * backup restored without the keystore is recognised as such instead of looking like a new
 * install. Adapters: memory here, IndexedDB in `indexeddb-storage.ts`, a file in the Node entry.
 */

/**
 * One atomically replaced record.
 *
 * @example
 * ```ts
 * const storage: VaultStorage = new MemoryVaultStorage();
 * await storage.write(new Uint8Array([1]));
 * ```
 */
export interface VaultStorage {
  /** The record, or `undefined` when none was written. */
  read(): Promise<Uint8Array | undefined>;
  /** Replaces the record: after a crash, either the old or the new record is read, never a mix. */
  write(record: Uint8Array): Promise<void>;
  /** Deletes the record. */
  delete(): Promise<void>;
}

/**
 * Vault state in memory (tests, sessions that must leave nothing behind).
 *
 * @example
 * ```ts
 * const vault = await Vault.open({ keystore: new MemoryKeystore(), storage: new MemoryVaultStorage() });
 * ```
 */
export class MemoryVaultStorage implements VaultStorage {
  #record: Uint8Array | undefined;

  async read(): Promise<Uint8Array | undefined> {
    return this.#record === undefined ? undefined : new Uint8Array(this.#record);
  }

  async write(record: Uint8Array): Promise<void> {
    this.#record = new Uint8Array(record);
  }

  async delete(): Promise<void> {
    this.#record?.fill(0);
    this.#record = undefined;
  }
}
