/**
 * @bulwark/core: the schema DSL with data classification, the crypto envelope, the sync wire types and
 * the error base class shared by the client SDK and the server. Uses Web APIs only (no Node imports).
 */

export * from './crypto/index.js';
export { type AnyCoreError, BulwarkError, CORE_ERROR_CODES, type CoreErrorCode } from './errors.js';
export * from './protocol/index.js';
export * from './schema/index.js';
