/**
 * Node receipt outbox: the pending wipe receipt in a file of its own (written atomically), apart
 * from the keystore and the data that the wipe deletes. See `wipe/receipt-outbox.ts`.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ReceiptOutbox } from '../wipe/receipt-outbox.js';
import { writeFileAtomic } from './lib/atomic-file.js';

/**
 * A receipt outbox in a file.
 *
 * @example
 * ```ts
 * const outbox = new FileReceiptOutbox(join(app.getPath('userData'), 'wipe-receipt.jws'));
 * ```
 */
export class FileReceiptOutbox implements ReceiptOutbox {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  async save(receipt: string): Promise<void> {
    await mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.#path, new TextEncoder().encode(receipt));
  }

  async load(): Promise<string | undefined> {
    try {
      const text = (await readFile(this.#path, 'utf8')).trim();
      return text === '' ? undefined : text;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async remove(): Promise<void> {
    await rm(this.#path, { force: true });
  }
}
