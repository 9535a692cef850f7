/**
 * Where a signed wipe receipt waits until the server has it. A revoked device signs its receipt
 * before it destroys its keys, so a receipt that cannot be sent at once (the network dropped) can
 * never be signed again: it is kept here, in storage the wipe does not clear, and posted by
 * {@link sendPendingWipeReceipt} when the app next starts or comes online. The server accepts a
 * receipt up to 30 days after it was signed, and only one signed after the revocation.
 *
 * A receipt holds the device id, the time of signing and a signature; nothing secret, so plain
 * app storage is enough.
 */

import { NetworkError, ServerProblemError } from '../transport/errors.js';

/**
 * Storage for at most one pending receipt; it must survive a wipe (the wipe never touches it).
 *
 * @example
 * ```ts
 * const outbox: ReceiptOutbox = new WebStorageReceiptOutbox(localStorage);
 * ```
 */
export interface ReceiptOutbox {
  save(receipt: string): Promise<void>;
  load(): Promise<string | undefined>;
  remove(): Promise<void>;
}

/**
 * In memory: for tests, and for apps that accept losing a receipt when the process ends.
 *
 * @example
 * ```ts
 * const outbox = new MemoryReceiptOutbox();
 * ```
 */
export class MemoryReceiptOutbox implements ReceiptOutbox {
  #receipt: string | undefined;

  async save(receipt: string): Promise<void> {
    this.#receipt = receipt;
  }

  async load(): Promise<string | undefined> {
    return this.#receipt;
  }

  async remove(): Promise<void> {
    this.#receipt = undefined;
  }
}

/** The part of the Web Storage API the outbox uses (`localStorage`, or a test double). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * In Web Storage (`localStorage` in a browser, a WebView or Capacitor), under one key.
 *
 * @example
 * ```ts
 * const outbox = new WebStorageReceiptOutbox(localStorage);
 * ```
 */
export class WebStorageReceiptOutbox implements ReceiptOutbox {
  readonly #storage: KeyValueStorage;
  readonly #key: string;

  constructor(storage: KeyValueStorage, key = 'bulwark.wipe-receipt') {
    this.#storage = storage;
    this.#key = key;
  }

  async save(receipt: string): Promise<void> {
    this.#storage.setItem(this.#key, receipt);
  }

  async load(): Promise<string | undefined> {
    return this.#storage.getItem(this.#key) ?? undefined;
  }

  async remove(): Promise<void> {
    this.#storage.removeItem(this.#key);
  }
}

/** What became of a pending receipt. */
export type PendingReceiptOutcome =
  /** There was none. */
  | 'none'
  /** The server accepted it; it is gone from the outbox. */
  | 'sent'
  /** Not sent (offline, or the server failed): kept for the next try. */
  | 'kept'
  /** The server refused it for good (too old, unknown device): dropped. */
  | 'dropped';

/**
 * Posts the pending receipt, if any. Call it when the app starts and when it comes back online.
 *
 * @example
 * ```ts
 * await sendPendingWipeReceipt(outbox, transport); // 'none' | 'sent' | 'kept' | 'dropped'
 * ```
 */
export async function sendPendingWipeReceipt(
  outbox: ReceiptOutbox,
  transport: { publicRequest(method: string, path: string, body?: unknown): Promise<unknown> },
): Promise<PendingReceiptOutcome> {
  const receipt = await outbox.load();
  if (receipt === undefined) return 'none';
  try {
    await transport.publicRequest('POST', '/devices/wipe-receipt', { receipt });
  } catch (err) {
    // A refusal the same receipt would always get (400, 404, 409) ends its wait; anything else
    // (no network, a server error, throttling) may pass next time.
    if (
      err instanceof ServerProblemError &&
      err.status >= 400 &&
      err.status < 500 &&
      err.status !== 408 &&
      err.status !== 429
    ) {
      await outbox.remove();
      return 'dropped';
    }
    if (err instanceof ServerProblemError || err instanceof NetworkError) return 'kept';
    throw err;
  }
  await outbox.remove();
  return 'sent';
}
