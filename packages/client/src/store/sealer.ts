/**
 * The crypto the store runs per record, behind a small interface so that the Node entry can
 * substitute node:crypto (synchronous, several times faster for small records) while the envelope
 * and blind-index formats stay exactly core's. The default is core's WebCrypto implementation.
 */
import {
  type BlindIndexOptions,
  blindIndex,
  type EncryptionContext,
  type KeyLookup,
  open,
  type SealingKey,
  seal,
} from '@bulwark/core/crypto';

/**
 * Seal, open and blind-index, format-compatible with `@bulwark/core/crypto`.
 *
 * @example
 * ```ts
 * const sealer: Sealer = webCryptoSealer; // or nodeSealer from '@bulwark/client/node'
 * const envelope = await sealer.seal(keyring.primary, bytes, context);
 * ```
 */
export interface Sealer {
  seal(
    key: SealingKey,
    plaintext: Uint8Array<ArrayBuffer>,
    context: EncryptionContext,
  ): Promise<Uint8Array<ArrayBuffer>>;
  open(
    keys: KeyLookup,
    envelope: Uint8Array<ArrayBuffer>,
    context: EncryptionContext,
  ): Promise<Uint8Array<ArrayBuffer>>;
  blindIndex(
    key: CryptoKey,
    value: string | number,
    scope: EncryptionContext,
    options?: BlindIndexOptions,
  ): Promise<Uint8Array<ArrayBuffer>>;
  /**
   * Synchronous forms, for implementations that have them (node:crypto). The bulk paths use them
   * to avoid one promise per record; results are identical to the asynchronous forms.
   */
  readonly sync?: {
    seal(
      key: SealingKey,
      plaintext: Uint8Array<ArrayBuffer>,
      context: EncryptionContext,
    ): Uint8Array<ArrayBuffer>;
    /** `undefined` when the fast path cannot decide; the caller then uses `open`. */
    open(
      keys: KeyLookup,
      envelope: Uint8Array<ArrayBuffer>,
      context: EncryptionContext,
    ): Uint8Array<ArrayBuffer> | undefined;
    blindIndex(
      key: CryptoKey,
      value: string | number,
      scope: EncryptionContext,
      options?: BlindIndexOptions,
    ): Uint8Array<ArrayBuffer> | undefined;
  };
}

/**
 * Core's WebCrypto envelope: runs everywhere WebCrypto does.
 *
 * @example
 * ```ts
 * const store = await EncryptedStore.open({ backend, vault, collections, sealer: webCryptoSealer });
 * ```
 */
export const webCryptoSealer: Sealer = Object.freeze({
  seal: (key: SealingKey, plaintext: Uint8Array<ArrayBuffer>, context: EncryptionContext) =>
    seal(key, plaintext, context),
  open: (keys: KeyLookup, envelope: Uint8Array<ArrayBuffer>, context: EncryptionContext) =>
    open(keys, envelope, context),
  blindIndex: (
    key: CryptoKey,
    value: string | number,
    scope: EncryptionContext,
    options?: BlindIndexOptions,
  ) => blindIndex(key, value, scope, options),
});
