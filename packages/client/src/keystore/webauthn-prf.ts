/**
 * Passkey unlock for browsers: a keystore whose gated entries (`requireBiometrics`) are keys
 * derived from the output of a passkey's WebAuthn PRF extension (CTAP2 `hmac-secret`). Such a key
 * is never stored: each read runs a WebAuthn ceremony, the authenticator (with user
 * verification) evaluates its per-credential PRF on a random salt kept here, and HKDF turns the
 * 32 output bytes into a non-extractable AES-256-GCM key. With `Vault.enableBiometrics` /
 * `unlockWithBiometrics`, this wraps the vault's root key under the PRF output: a passkey
 * unlocks the vault instead of the passcode, and another passkey (another credential, or the
 * same id on another authenticator) yields another key and cannot.
 *
 * Every other entry, and the credential id and salt of each gated entry, go to the wrapped
 * keystore (e.g. `IndexedDbKeystore`). What this does not protect: script running in the app's
 * origin while the vault is unlocked, and a user who approves a ceremony a malicious script
 * starts; see docs/platforms.md.
 */
import { KeystoreUnsupportedError } from '../errors.js';
import type { Keystore, KeystoreProtection, KeystoreReadOptions, KeystoreWriteOptions } from './keystore.js';
import { checkEntryName, KEYSTORE_KEY_USAGES } from './lib/names.js';

/** HKDF info of keys derived from a PRF output. */
const PRF_KEY_INFO = 'bulwark/client/v1/webauthn-prf-key';
/** Suffix of the secret that records a gated entry's credential id and salt. */
const META_SUFFIX = '.prf';
const SALT_BYTES = 32;

/** The part of `navigator.credentials` this keystore uses. */
export interface WebAuthnCredentials {
  create(options: CredentialCreationOptions): Promise<Credential | null>;
  get(options: CredentialRequestOptions): Promise<Credential | null>;
}

/**
 * Options of {@link WebAuthnPrfKeystore}.
 *
 * @example
 * ```ts
 * const options: WebAuthnPrfKeystoreOptions = { rpName: 'Site inspections', userName: 'ada' };
 * ```
 */
export interface WebAuthnPrfKeystoreOptions {
  /** Relying party name shown by the authenticator. */
  readonly rpName: string;
  /** Relying party id. Default: the page's host name. */
  readonly rpId?: string;
  /** Account name shown with the passkey. */
  readonly userName: string;
  /** Default `navigator.credentials`. */
  readonly credentials?: WebAuthnCredentials;
  /** Time allowed for each ceremony, in ms. Default 60 000. */
  readonly timeoutMs?: number;
}

interface PrfMeta {
  readonly credentialId: Uint8Array<ArrayBuffer>;
  readonly salt: Uint8Array<ArrayBuffer>;
}

/**
 * A keystore that gates entries behind a passkey's PRF output, over another keystore.
 *
 * @example
 * ```ts
 * const keystore = new WebAuthnPrfKeystore(await IndexedDbKeystore.open(), { rpName: 'Inspections', userName: 'ada' });
 * const vault = await Vault.open({ keystore, storage });
 * if (await WebAuthnPrfKeystore.isSupported()) await vault.enableBiometrics(passcode); // creates the passkey
 * await vault.unlockWithBiometrics(); // asks for the passkey
 * ```
 */
export class WebAuthnPrfKeystore implements Keystore {
  readonly protection: KeystoreProtection;
  readonly #inner: Keystore;
  readonly #options: WebAuthnPrfKeystoreOptions;

  constructor(inner: Keystore, options: WebAuthnPrfKeystoreOptions) {
    this.#inner = inner;
    this.#options = options;
    this.protection = Object.freeze({
      ...inner.protection,
      adapter: `${inner.protection.adapter}+webauthn-prf`,
      biometrics: true,
    });
  }

  /**
   * Whether this browser can create platform passkeys (the PRF extension itself is only known
   * once a passkey is created: `createKey` refuses an authenticator without it).
   *
   * @example
   * ```ts
   * if (await WebAuthnPrfKeystore.isSupported()) showPasskeyButton();
   * ```
   */
  static async isSupported(): Promise<boolean> {
    const pkc = (globalThis as { PublicKeyCredential?: typeof PublicKeyCredential }).PublicKeyCredential;
    if (pkc === undefined || globalThis.navigator?.credentials === undefined) return false;
    try {
      return await pkc.isUserVerifyingPlatformAuthenticatorAvailable();
    } catch {
      return false;
    }
  }

  getSecret(name: string, options?: KeystoreReadOptions): Promise<Uint8Array<ArrayBuffer> | undefined> {
    return this.#inner.getSecret(name, options);
  }

  async setSecret(name: string, value: Uint8Array, options: KeystoreWriteOptions = {}): Promise<void> {
    if (options.requireBiometrics === true) {
      throw new KeystoreUnsupportedError('passkey-gated entries are keys, not secrets');
    }
    await this.#inner.setSecret(name, value);
  }

  deleteSecret(name: string): Promise<void> {
    return this.#inner.deleteSecret(name);
  }

  async getKey(name: string, options?: KeystoreReadOptions): Promise<CryptoKey | undefined> {
    checkEntryName(name);
    const meta = await this.#meta(name);
    if (meta === undefined) return this.#inner.getKey(name, options);
    const credential = await this.#credentials().get({
      publicKey: {
        challenge: randomBytes(32),
        ...(this.#options.rpId === undefined ? {} : { rpId: this.#options.rpId }),
        allowCredentials: [{ type: 'public-key', id: meta.credentialId }],
        userVerification: 'required',
        timeout: this.#options.timeoutMs ?? 60_000,
        extensions: { prf: { eval: { first: meta.salt } } },
      },
    });
    return deriveKey(prfFirst(credential), name);
  }

  async createKey(name: string, options: KeystoreWriteOptions = {}): Promise<CryptoKey> {
    checkEntryName(name);
    if (options.requireBiometrics !== true) {
      await this.#inner.deleteSecret(metaName(name));
      return this.#inner.createKey(name);
    }
    const created = await this.#credentials().create({
      publicKey: {
        challenge: randomBytes(32),
        rp: {
          name: this.#options.rpName,
          ...(this.#options.rpId === undefined ? {} : { id: this.#options.rpId }),
        },
        user: { id: randomBytes(16), name: this.#options.userName, displayName: this.#options.userName },
        pubKeyCredParams: [
          { type: 'public-key', alg: -7 },
          { type: 'public-key', alg: -257 },
        ],
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
        timeout: this.#options.timeoutMs ?? 60_000,
        extensions: { prf: {} },
      },
    });
    if (created === null || !('rawId' in created)) {
      throw new KeystoreUnsupportedError('no passkey was created');
    }
    const results = (created as PublicKeyCredential).getClientExtensionResults() as {
      prf?: { enabled?: boolean };
    };
    if (results.prf?.enabled !== true) {
      throw new KeystoreUnsupportedError('this passkey does not support the PRF extension');
    }
    const meta: PrfMeta = {
      credentialId: new Uint8Array((created as PublicKeyCredential).rawId),
      salt: randomBytes(SALT_BYTES),
    };
    // The key is derived through a second ceremony: not every authenticator evaluates the PRF
    // while creating the credential.
    await this.#inner.setSecret(metaName(name), encodeMeta(meta));
    try {
      const key = await this.getKey(name);
      if (key === undefined) throw new KeystoreUnsupportedError('the passkey gave no key');
      await this.#inner.deleteKey(name);
      return key;
    } catch (err) {
      await this.#inner.deleteSecret(metaName(name));
      throw err;
    }
  }

  async deleteKey(name: string): Promise<void> {
    checkEntryName(name);
    await this.#inner.deleteSecret(metaName(name));
    await this.#inner.deleteKey(name);
  }

  clear(): Promise<void> {
    return this.#inner.clear();
  }

  #credentials(): WebAuthnCredentials {
    const credentials = this.#options.credentials ?? globalThis.navigator?.credentials;
    if (credentials === undefined) throw new KeystoreUnsupportedError('WebAuthn is not available here');
    return credentials;
  }

  async #meta(name: string): Promise<PrfMeta | undefined> {
    if (name.length + META_SUFFIX.length > 64) return undefined;
    const bytes = await this.#inner.getSecret(metaName(name));
    return bytes === undefined ? undefined : decodeMeta(bytes);
  }
}

function metaName(name: string): string {
  return `${name}${META_SUFFIX}`;
}

function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

function prfFirst(credential: Credential | null): Uint8Array<ArrayBuffer> {
  if (credential === null || !('getClientExtensionResults' in credential)) {
    throw new KeystoreUnsupportedError('no passkey answered');
  }
  const results = (credential as PublicKeyCredential).getClientExtensionResults() as {
    prf?: { results?: { first?: BufferSource } };
  };
  const first = results.prf?.results?.first;
  if (first === undefined) throw new KeystoreUnsupportedError('the passkey returned no PRF output');
  const bytes =
    first instanceof ArrayBuffer
      ? new Uint8Array(first.slice(0))
      : new Uint8Array(first.buffer.slice(first.byteOffset, first.byteOffset + first.byteLength));
  if (bytes.byteLength < 32) throw new KeystoreUnsupportedError('the PRF output is too short');
  return bytes as Uint8Array<ArrayBuffer>;
}

async function deriveKey(prfOutput: Uint8Array<ArrayBuffer>, name: string): Promise<CryptoKey> {
  try {
    const material = await globalThis.crypto.subtle.importKey('raw', prfOutput, 'HKDF', false, ['deriveKey']);
    return await globalThis.crypto.subtle.deriveKey(
      {
        name: 'HKDF',
        hash: 'SHA-256',
        salt: new Uint8Array(0),
        info: new TextEncoder().encode(`${PRF_KEY_INFO}/${name}`),
      },
      material,
      { name: 'AES-GCM', length: 256 },
      false,
      [...KEYSTORE_KEY_USAGES],
    );
  } finally {
    prfOutput.fill(0);
  }
}

function encodeMeta(meta: PrfMeta): Uint8Array<ArrayBuffer> {
  const length = meta.credentialId.byteLength;
  const out = new Uint8Array(2 + length + meta.salt.byteLength);
  out[0] = length >> 8;
  out[1] = length & 0xff;
  out.set(meta.credentialId, 2);
  out.set(meta.salt, 2 + length);
  return out;
}

function decodeMeta(bytes: Uint8Array<ArrayBuffer>): PrfMeta | undefined {
  const idLength = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
  if (idLength === 0 || bytes.byteLength !== 2 + idLength + SALT_BYTES) return undefined;
  return { credentialId: bytes.slice(2, 2 + idLength), salt: bytes.slice(2 + idLength) };
}
