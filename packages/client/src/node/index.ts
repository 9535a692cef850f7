/**
 * @bulwark/client/node: the Node-only pieces of the SDK (Electron, command-line tools, servers
 * acting as devices): the file keystore, the SQLite store backend, files on disk and TLS pinning.
 */

export { createClient, type NodeClientOptions } from './create-node-client.js';
export { DirectoryFileStorage } from './directory-file-storage.js';
export { FileKeystore, type FileKeystoreOptions } from './file-keystore.js';
export { FileReceiptOutbox } from './file-receipt-outbox.js';
export { FileVaultStorage } from './file-vault-storage.js';
export { nodeSealer } from './node-sealer.js';
export {
  createPinnedFetch,
  type PinnedFetchOptions,
  pinOptionsFromConfig,
  type SdkPinConfig,
  spkiPin,
} from './pinned-fetch.js';
export { SqliteBackend, type SqliteBackendOptions } from './sqlite-backend.js';
