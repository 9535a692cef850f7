/**
 * Vault state in a file for Node and Electron: replaced atomically (temporary file, fsync,
 * rename, fsync of the folder), mode 0600.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { VaultStorage } from '../vault/storage.js';
import { removeStaleTemps, writeFileAtomic } from './lib/atomic-file.js';

/**
 * Vault state in a 0600 file.
 *
 * @example
 * ```ts
 * const storage = new FileVaultStorage(join(dataDir, 'vault.json'));
 * ```
 */
export class FileVaultStorage implements VaultStorage {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  /** Path of the file, for the canary scan and for wipe. */
  get path(): string {
    return this.#path;
  }

  async read(): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.#path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async write(record: Uint8Array): Promise<void> {
    await mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.#path, record);
  }

  async delete(): Promise<void> {
    await rm(this.#path, { force: true });
    await removeStaleTemps(this.#path);
  }
}
