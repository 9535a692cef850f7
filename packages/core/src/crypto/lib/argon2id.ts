/**
 * Argon2id (RFC 9106, version 0x13) through hash-wasm, which runs as WebAssembly in browsers,
 * WebViews and Node alike. Parameters are checked by the caller (kdf/parameters.ts).
 */
import { argon2id as hashWasmArgon2id } from 'hash-wasm';
import { KdfUnavailableError } from '../errors.js';

/** `length` bytes of Argon2id over raw password bytes. */
export async function argon2idRaw(
  password: Uint8Array<ArrayBuffer>,
  salt: Uint8Array<ArrayBuffer>,
  memoryKiB: number,
  iterations: number,
  parallelism: number,
  length: number,
): Promise<Uint8Array<ArrayBuffer>> {
  let out: Uint8Array;
  try {
    out = await hashWasmArgon2id({
      password,
      salt,
      memorySize: memoryKiB,
      iterations,
      parallelism,
      hashLength: length,
      outputType: 'binary',
    });
  } catch (err) {
    // The parameters were checked before: what fails here is WebAssembly itself.
    throw new KdfUnavailableError(
      "Argon2id needs WebAssembly: allow 'wasm-unsafe-eval' in the page's Content-Security-Policy script-src, or use the PBKDF2 KDF where there is no WebAssembly",
      { cause: err },
    );
  }
  const copy = new Uint8Array(out);
  out.fill(0);
  return copy;
}
