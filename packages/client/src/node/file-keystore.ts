/**
 * Node keystore: one JSON file, mode 0600 in a 0700 folder, for Electron apps and command-line
 * tools. Written atomically (temporary file, fsync, rename, fsync of the folder), so a crash leaves
 * either the old or the new file. The file protects against other OS users, not against the same
 * user or anyone who can read the disk: there is no OS keychain behind it (docs/platforms.md).
 * So when the vault has a passcode, the secrets (secure items, the refresh token, the device key)
 * are sealed under a key the vault derives from its passcode-protected root key
 * (`sealSecrets`): a copy of the file alone does not give them. The vault's own keystore keys
 * cannot be sealed that way (they open the root key) and stay protected by the file alone.
 * One process at a time.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  copyBytes,
  DecryptionError,
  fromBase64,
  open,
  SealingKey,
  seal,
  toBase64,
  zero,
} from '@bulwark/core/crypto';
import { KeystoreError } from '../errors.js';
import type {
  Keystore,
  KeystoreProtection,
  KeystoreWriteOptions,
  SecretSealing,
} from '../keystore/keystore.js';
import { checkEntryName, importAesKey, refuseBiometrics } from '../keystore/lib/names.js';
import { VaultLockedError } from '../vault/errors.js';
import { removeStaleTemps, writeFileAtomic } from './lib/atomic-file.js';

// Maps, not objects: an entry named `__proto__` must stay an entry, never a prototype.
interface FileContents {
  keys: Map<string, string>;
  secrets: Map<string, string>;
  /** Secrets are sealed: none may be written in clear, even while the key is not known. */
  sealed: boolean;
}

/** Prefix of a sealed secret's text (base64 never contains `:`). */
const SEALED = 'sealed:';
const SECRETS_KEY_ID = 'keystore-secrets';

/** Binds a sealed secret to its entry name, so that two entries cannot be swapped. */
function secretContext(name: string) {
  return { purpose: 'bulwark.keystore.secret', name };
}

/**
 * Options of {@link FileKeystore.open}.
 *
 * @example
 * ```ts
 * const options: FileKeystoreOptions = { path: '/var/lib/my-app/keystore.json' };
 * ```
 */
export interface FileKeystoreOptions {
  /** Path of the keystore file; its folder is created with mode 0700. */
  readonly path: string;
}

/**
 * A keystore in a 0600 file.
 *
 * @example
 * ```ts
 * const keystore = await FileKeystore.open({ path: join(app.getPath('userData'), 'keystore.json') });
 * ```
 */
export class FileKeystore implements Keystore {
  readonly protection: KeystoreProtection = Object.freeze({
    adapter: 'node-file',
    hardwareBacked: false,
    nonExtractable: false,
    survivesAppCodeExecution: false,
    persistent: true,
    biometrics: false,
    excludedFromBackup: false,
  });
  readonly #path: string;
  #queue: Promise<unknown> = Promise.resolve();
  /** The vault's secrets key, while a passcode-protected vault is unlocked. */
  #sealing: SealingKey | undefined;

  private constructor(path: string) {
    this.#path = path;
  }

  /**
   * Opens the keystore file (created on first write). Refuses a file readable or writable by
   * other users: it may already have leaked, so the app must decide, not the SDK.
   *
   * @example
   * ```ts
   * const keystore = await FileKeystore.open({ path: './data/keystore.json' });
   * ```
   */
  static async open(options: FileKeystoreOptions): Promise<FileKeystore> {
    const keystore = new FileKeystore(options.path);
    await mkdir(dirname(options.path), { recursive: true, mode: 0o700 });
    // A write a crash stopped leaves a full copy of the keystore beside it (keys in clear): gone
    // before anything else, and a wipe does not leave it behind.
    await removeStaleTemps(options.path);
    await keystore.#read();
    return keystore;
  }

  /** Path of the file, for wipe and for the canary scan. */
  get path(): string {
    return this.#path;
  }

  async getSecret(name: string): Promise<Uint8Array<ArrayBuffer> | undefined> {
    checkEntryName(name);
    return this.#serial(async () => {
      const text = (await this.#read()).secrets.get(name);
      if (text === undefined) return undefined;
      if (!text.startsWith(SEALED)) return decode(text);
      const key = this.#sealing;
      if (key === undefined) throw new VaultLockedError();
      return open(new Map([[key.id, key]]), decode(text.slice(SEALED.length)), secretContext(name));
    });
  }

  async setSecret(name: string, value: Uint8Array, options: KeystoreWriteOptions = {}): Promise<void> {
    checkEntryName(name);
    refuseBiometrics(options);
    return this.#serial(async () => {
      const contents = await this.#read();
      const key = this.#sealing;
      // Sealed secrets and no key: refuse rather than write this one in clear.
      if (key === undefined && contents.sealed) throw new VaultLockedError();
      contents.secrets.set(name, key === undefined ? toBase64(value) : await sealSecret(key, name, value));
      await this.#write(contents);
    });
  }

  async deleteSecret(name: string): Promise<void> {
    checkEntryName(name);
    return this.#serial(() => this.#update((c) => c.secrets.delete(name)));
  }

  async getKey(name: string): Promise<CryptoKey | undefined> {
    checkEntryName(name);
    return this.#serial(async () => {
      const text = (await this.#read()).keys.get(name);
      if (text === undefined) return undefined;
      const raw = decode(text);
      if (raw.length !== 32) throw new KeystoreError('keystore key entry is not in the expected format');
      try {
        return await importAesKey(raw);
      } finally {
        zero(raw);
      }
    });
  }

  async createKey(name: string, options: KeystoreWriteOptions = {}): Promise<CryptoKey> {
    checkEntryName(name);
    refuseBiometrics(options);
    return this.#serial(async () => {
      const raw = new Uint8Array(randomBytes(32));
      try {
        await this.#update((c) => c.keys.set(name, toBase64(raw)));
        return await importAesKey(raw);
      } finally {
        zero(raw);
      }
    });
  }

  async deleteKey(name: string): Promise<void> {
    checkEntryName(name);
    return this.#serial(() => this.#update((c) => c.keys.delete(name)));
  }

  /**
   * Seals the secrets under the vault's key while a passcode protects the vault (the `Vault`
   * calls this; see `SecretSealing`). Sealing what is still in clear, or opening everything when
   * the passcode is removed, is one atomic write. An entry the key does not open belongs to an
   * install that was wiped (its root key is gone), and a damaged one can never be read: both are
   * dropped rather than let one bad entry block every unlock.
   *
   * @example
   * ```ts
   * const keystore = await FileKeystore.open({ path: 'data/keystore.json' });
   * await keystore.sealSecrets({ state: 'locked' });
   * ```
   */
  async sealSecrets(sealing: SecretSealing): Promise<void> {
    if (sealing.state === 'locked') {
      this.#sealing = undefined;
      return;
    }
    const key = new SealingKey(SECRETS_KEY_ID, sealing.key);
    const on = sealing.state === 'unlocked';
    // Known at once, so that a secret written while the entries are being sealed is sealed too.
    if (on) this.#sealing = key;
    try {
      await this.#serial(async () => {
        const contents = await this.#read();
        let changed = contents.sealed !== on;
        for (const [name, text] of [...contents.secrets]) {
          const value = await this.#openEntry(key, name, text);
          if (value === undefined) {
            contents.secrets.delete(name);
            changed = true;
            continue;
          }
          const sealed = text.startsWith(SEALED);
          if (on && !sealed) contents.secrets.set(name, await sealSecret(key, name, value));
          if (!on && sealed) contents.secrets.set(name, toBase64(value));
          changed ||= on !== sealed;
          zero(value);
        }
        contents.sealed = on;
        if (changed) await this.#write(contents);
      });
    } catch (err) {
      if (on) this.#sealing = undefined;
      throw err;
    }
    if (!on) this.#sealing = undefined;
  }

  /** The value of an entry in clear, or `undefined` when it can never be read. */
  async #openEntry(key: SealingKey, name: string, text: string): Promise<Uint8Array | undefined> {
    try {
      if (!text.startsWith(SEALED)) return decode(text);
      return await open(new Map([[key.id, key]]), decode(text.slice(SEALED.length)), secretContext(name));
    } catch (err) {
      if (err instanceof DecryptionError || err instanceof KeystoreError) return undefined;
      throw err;
    }
  }

  async clear(): Promise<void> {
    this.#sealing = undefined;
    return this.#serial(async () => {
      // Overwrite with an empty keystore first (atomic), then remove the file: the keys are gone
      // from the live file even if the removal fails.
      await this.#write(empty());
      await rm(this.#path, { force: true });
      await removeStaleTemps(this.#path);
    });
  }

  async #read(): Promise<FileContents> {
    let text: string;
    try {
      if (process.platform !== 'win32') {
        const info = await stat(this.#path);
        if ((info.mode & 0o077) !== 0) {
          throw new KeystoreError('keystore file is accessible to other users (expected mode 0600)');
        }
      }
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty();
      if (err instanceof KeystoreError) throw err;
      throw new KeystoreError('could not read the keystore file', { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new KeystoreError('keystore file is not in the expected format');
    }
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      (parsed as { version?: unknown }).version !== 1 ||
      !isStringRecord((parsed as { keys?: unknown }).keys) ||
      !isStringRecord((parsed as { secrets?: unknown }).secrets) ||
      !isOptionalTrue((parsed as { secretsSealed?: unknown }).secretsSealed)
    ) {
      throw new KeystoreError('keystore file is not in the expected format');
    }
    const { keys, secrets, secretsSealed } = parsed as {
      keys: Record<string, string>;
      secrets: Record<string, string>;
      secretsSealed?: true;
    };
    return {
      keys: new Map(Object.entries(keys)),
      secrets: new Map(Object.entries(secrets)),
      sealed: secretsSealed === true,
    };
  }

  async #update(change: (contents: FileContents) => unknown): Promise<void> {
    const contents = await this.#read();
    change(contents);
    await this.#write(contents);
  }

  async #write(contents: FileContents): Promise<void> {
    const text = JSON.stringify({
      version: 1,
      keys: Object.fromEntries(contents.keys),
      secrets: Object.fromEntries(contents.secrets),
      ...(contents.sealed ? { secretsSealed: true } : {}),
    });
    try {
      await writeFileAtomic(this.#path, new TextEncoder().encode(text));
    } catch (cause) {
      throw new KeystoreError('could not write the keystore file', { cause });
    }
  }

  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

function empty(): FileContents {
  return { keys: new Map(), secrets: new Map(), sealed: false };
}

async function sealSecret(key: SealingKey, name: string, value: Uint8Array): Promise<string> {
  const plain = copyBytes(value);
  try {
    return SEALED + toBase64(await seal(key, plain, secretContext(name)));
  } finally {
    zero(plain);
  }
}

function decode(text: string): Uint8Array<ArrayBuffer> {
  const bytes = fromBase64(text);
  if (bytes === undefined) throw new KeystoreError('keystore entry is not in the expected format');
  return bytes;
}

function isOptionalTrue(value: unknown): boolean {
  return value === undefined || value === true;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}
