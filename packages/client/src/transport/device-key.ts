/**
 * The device key: an ECDSA P-256 key pair made on the device, whose private half is a
 * non-extractable WebCrypto key. It signs every DPoP proof and the wipe receipt; the server binds
 * tokens to its thumbprint. Storage adapters keep the pair: IndexedDB keeps the CryptoKey objects
 * themselves (the private key is never extractable); string-only keystores (React Native,
 * Capacitor, the Node file) must hold the private key's bytes, so there it is generated once as
 * extractable, exported into the keystore and re-imported as non-extractable (docs/platforms.md).
 */

import { openDB } from 'idb';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { CorruptDataError } from '../errors.js';
import type { Keystore } from '../keystore/keystore.js';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/**
 * A device key pair with its public JWK and thumbprint.
 *
 * @example
 * ```ts
 * const key = await DeviceKey.generate();
 * console.log(key.thumbprint); // the cnf.jkt of this device's tokens
 * ```
 */
export class DeviceKey {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** Public key as a JWK (kty, crv, x, y only). */
  readonly publicJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  /** RFC 7638 SHA-256 thumbprint of the public key. */
  readonly thumbprint: string;

  private constructor(pair: CryptoKeyPair, publicJwk: DeviceKey['publicJwk'], thumbprint: string) {
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.publicJwk = publicJwk;
    this.thumbprint = thumbprint;
  }

  /**
   * Wraps an existing pair (checked: P-256 ECDSA, private key not extractable).
   *
   * @example
   * ```ts
   * const key = await DeviceKey.fromPair(await storage.load());
   * ```
   */
  static async fromPair(pair: CryptoKeyPair): Promise<DeviceKey> {
    const { privateKey, publicKey } = pair;
    const ok = (k: CryptoKey) =>
      k.algorithm.name === 'ECDSA' && (k.algorithm as EcKeyAlgorithm).namedCurve === 'P-256';
    if (!ok(privateKey) || !ok(publicKey) || privateKey.extractable || !privateKey.usages.includes('sign')) {
      throw new CorruptDataError('device key must be a non-extractable ECDSA P-256 pair');
    }
    const jwk = (await exportJWK(publicKey)) as JWK;
    const publicJwk = { kty: 'EC' as const, crv: 'P-256' as const, x: String(jwk.x), y: String(jwk.y) };
    return new DeviceKey(pair, publicJwk, await calculateJwkThumbprint(publicJwk));
  }

  /**
   * Generates a fresh pair whose private key is non-extractable.
   *
   * @example
   * ```ts
   * const key = await DeviceKey.generate();
   * ```
   */
  static async generate(): Promise<DeviceKey> {
    const pair = await globalThis.crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
    return DeviceKey.fromPair(pair);
  }
}

/**
 * Where the device key is kept between runs.
 *
 * @example
 * ```ts
 * const key = await loadOrCreateDeviceKey(new IndexedDbDeviceKeyStorage());
 * ```
 */
export interface DeviceKeyStorage {
  load(): Promise<DeviceKey | undefined>;
  /** Creates, stores and returns a new key, replacing any previous one. */
  create(): Promise<DeviceKey>;
  /** Destroys the key (wipe). */
  delete(): Promise<void>;
}

/**
 * The stored device key, or a new one on first use.
 *
 * @example
 * ```ts
 * const key = await loadOrCreateDeviceKey(storage);
 * ```
 */
export async function loadOrCreateDeviceKey(storage: DeviceKeyStorage): Promise<DeviceKey> {
  return (await storage.load()) ?? storage.create();
}

/**
 * The device key in memory only (tests).
 *
 * @example
 * ```ts
 * const storage = new MemoryDeviceKeyStorage();
 * ```
 */
export class MemoryDeviceKeyStorage implements DeviceKeyStorage {
  #key: DeviceKey | undefined;

  async load(): Promise<DeviceKey | undefined> {
    return this.#key;
  }

  async create(): Promise<DeviceKey> {
    this.#key = await DeviceKey.generate();
    return this.#key;
  }

  async delete(): Promise<void> {
    this.#key = undefined;
  }
}

/**
 * The device key as CryptoKey objects in IndexedDB: the private key is never extractable.
 *
 * @example
 * ```ts
 * const storage = new IndexedDbDeviceKeyStorage({ databaseName: 'inspections-device' });
 * ```
 */
export class IndexedDbDeviceKeyStorage implements DeviceKeyStorage {
  readonly #name: string;

  constructor(options: { readonly databaseName?: string } = {}) {
    this.#name = options.databaseName ?? 'bulwark-device';
  }

  async #db() {
    return openDB(this.#name, 1, {
      upgrade(database) {
        database.createObjectStore('keys');
      },
      // Another connection (a wipe in another tab, an upgrade) needs the database: let it go.
      blocking(_current, _blocked, event) {
        (event.target as IDBDatabase).close();
      },
    });
  }

  async load(): Promise<DeviceKey | undefined> {
    const db = await this.#db();
    try {
      const pair = (await db.get('keys', 'device')) as CryptoKeyPair | undefined;
      return pair === undefined ? undefined : DeviceKey.fromPair(pair);
    } finally {
      db.close();
    }
  }

  async create(): Promise<DeviceKey> {
    const key = await DeviceKey.generate();
    const db = await this.#db();
    try {
      await db.put('keys', { privateKey: key.privateKey, publicKey: key.publicKey }, 'device');
    } finally {
      db.close();
    }
    return key;
  }

  async delete(): Promise<void> {
    const db = await this.#db();
    try {
      await db.delete('keys', 'device');
    } finally {
      db.close();
    }
  }
}

/**
 * The device key in a string-only keystore: the private key's PKCS#8 bytes are the keystore
 * secret `device.key`; in memory the key is re-imported as non-extractable.
 *
 * @example
 * ```ts
 * const storage = new KeystoreDeviceKeyStorage(new ReactNativeKeychainKeystore(Keychain));
 * ```
 */
export class KeystoreDeviceKeyStorage implements DeviceKeyStorage {
  readonly #keystore: Keystore;

  constructor(keystore: Keystore) {
    this.#keystore = keystore;
  }

  async load(): Promise<DeviceKey | undefined> {
    const pkcs8 = await this.#keystore.getSecret('device.key');
    if (pkcs8 === undefined) return undefined;
    try {
      return await importPair(pkcs8);
    } finally {
      pkcs8.fill(0);
    }
  }

  async create(): Promise<DeviceKey> {
    const extractable = await globalThis.crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const pkcs8 = new Uint8Array(await globalThis.crypto.subtle.exportKey('pkcs8', extractable.privateKey));
    try {
      await this.#keystore.setSecret('device.key', pkcs8);
      return await importPair(pkcs8);
    } finally {
      pkcs8.fill(0);
    }
  }

  async delete(): Promise<void> {
    await this.#keystore.deleteSecret('device.key');
  }
}

async function importPair(pkcs8: Uint8Array<ArrayBuffer>): Promise<DeviceKey> {
  const subtle = globalThis.crypto.subtle;
  const privateKey = await subtle.importKey('pkcs8', pkcs8, ALGORITHM, false, ['sign']);
  // The public half is derived from the private key's JWK (which carries x and y); the JWK is
  // made from a short-lived extractable import and dropped at once.
  const full = await subtle.exportKey(
    'jwk',
    await subtle.importKey('pkcs8', pkcs8, ALGORITHM, true, ['sign']),
  );
  const publicKey = await subtle.importKey(
    'jwk',
    { kty: 'EC', crv: 'P-256', x: full.x as string, y: full.y as string },
    ALGORITHM,
    true,
    ['verify'],
  );
  full.d = '';
  return DeviceKey.fromPair({ privateKey, publicKey });
}
