/**
 * The Node / Electron preset of the SDK in one call: everything lives in one data folder (the
 * keystore file, the SQLite store with the vault state, encrypted files, and the wipe receipt
 * outbox, which the wipe leaves in place), and requests are pinned when pins are given.
 */
import { join } from 'node:path';
import {
  type BulwarkClient,
  type ClientOptions,
  type ClientPieces,
  createClientWith,
} from '../client/create-client.js';
import type { CollectionSpec } from '../store/collection.js';
import type { SchemaOfSpecs } from '../store/typed.js';
import { DirectoryFileStorage } from './directory-file-storage.js';
import { FileKeystore } from './file-keystore.js';
import { FileReceiptOutbox } from './file-receipt-outbox.js';
import { nodeSealer } from './node-sealer.js';
import {
  createPinnedFetch,
  type PinnedFetchOptions,
  pinOptionsFromConfig,
  type SdkPinConfig,
} from './pinned-fetch.js';
import { SqliteBackend } from './sqlite-backend.js';

/**
 * Options of the Node / Electron preset.
 *
 * @example
 * ```ts
 * const options: NodeClientOptions = { platform: 'node', dataDir: 'data', baseUrl, collections, posture, pins };
 * ```
 */
export interface NodeClientOptions
  extends ClientOptions,
    Partial<Omit<ClientPieces, keyof ClientOptions | 'platform' | 'os' | 'pinning'>> {
  readonly platform: 'node' | 'electron';
  /** The data folder: `keystore.json`, `store.db`, `files/`, `outbox/`. */
  readonly dataDir: string;
  /**
   * TLS pins: the configuration `bulwark pins --emit sdk` writes, or the pinned fetch's options
   * (docs/pins.md). Without them (or a `fetch` of your own) requests are not pinned.
   */
  readonly pins?: SdkPinConfig | PinnedFetchOptions;
}

/**
 * The SDK in one call for Node and Electron.
 *
 * @example
 * ```ts
 * const client = await createClient({ platform: 'node', dataDir: 'data', baseUrl: 'https://api.example.com', collections, posture, pins });
 * ```
 */
export async function createClient<const L extends readonly CollectionSpec[]>(
  options: NodeClientOptions & { readonly collections: L },
): Promise<BulwarkClient<SchemaOfSpecs<L>>> {
  const { dataDir, pins, ...rest } = options;
  const pinned =
    pins === undefined
      ? undefined
      : createPinnedFetch('backupPins' in pins ? pinOptionsFromConfig(pins) : pins);
  const fetch = options.fetch ?? pinned;
  return createClientWith({
    ...rest,
    keystore: options.keystore ?? (await FileKeystore.open({ path: join(dataDir, 'keystore.json') })),
    backend: options.backend ?? (await SqliteBackend.open({ path: join(dataDir, 'store.db') })),
    fileStorage: options.fileStorage ?? new DirectoryFileStorage(join(dataDir, 'files')),
    outbox: options.outbox ?? new FileReceiptOutbox(join(dataDir, 'outbox', 'wipe-receipt.jws')),
    sealer: options.sealer ?? nodeSealer,
    pinning: options.fetch === undefined && pinned !== undefined,
    ...(fetch === undefined ? {} : { fetch }),
  });
}
