/**
 * Vault state kept in the store backend's meta table, so the wrapped keys live beside the data
 * they protect (a backup restored without the keystore is then recognised as such) and each
 * change is one backend transaction.
 */
import type { VaultStorage } from '../vault/storage.js';
import type { StoreBackend } from './backend.js';

const KEY = 'vault';

/**
 * A `VaultStorage` over a store backend.
 *
 * @example
 * ```ts
 * const backend = await SqliteBackend.open({ path: 'data/app.db' });
 * const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(backend) });
 * ```
 */
export class BackendVaultStorage implements VaultStorage {
  readonly #backend: StoreBackend;

  constructor(backend: StoreBackend) {
    this.#backend = backend;
  }

  read(): Promise<Uint8Array | undefined> {
    return this.#backend.getMeta(KEY);
  }

  write(record: Uint8Array): Promise<void> {
    return this.#backend.write([{ kind: 'meta', key: KEY, value: record }]);
  }

  delete(): Promise<void> {
    return this.#backend.write([{ kind: 'meta', key: KEY, value: null }]);
  }
}
