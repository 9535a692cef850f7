/** Fixed key material shared by the golden-vector tests. */
import {
  deriveDataKeys,
  importDataKey,
  SealingKey,
  type SealingKeyOptions,
} from '../../../src/crypto/index.js';

/** The fixed test data key: bytes 0x00 to 0x1f. */
export const GOLDEN_DEK = (): Uint8Array<ArrayBuffer> => Uint8Array.from({ length: 32 }, (_, i) => i);

/** Subkeys of the golden data key under id 'dek-1'. */
export async function goldenKeys(options: SealingKeyOptions = {}) {
  return deriveDataKeys(await importDataKey(GOLDEN_DEK()), 'dek-1', options);
}

/** A fresh random sealing key. */
export async function randomSealingKey(id = 'k1', options: SealingKeyOptions = {}): Promise<SealingKey> {
  return SealingKey.import(id, globalThis.crypto.getRandomValues(new Uint8Array(32)), options);
}

/** 256 bits an HKDF data key derives under `info`; lets tests compare non-extractable keys. */
export async function fingerprint(dataKey: CryptoKey): Promise<string> {
  const bits = await globalThis.crypto.subtle.deriveBits(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: new Uint8Array(0),
      info: new TextEncoder().encode('test fingerprint'),
    },
    dataKey,
    256,
  );
  return Array.from(new Uint8Array(bits), (b) => b.toString(16).padStart(2, '0')).join('');
}
