/**
 * WebAuthnPrfKeystore against a software authenticator that evaluates the PRF as CTAP2's
 * hmac-secret does (HMAC-SHA-256 under a per-credential secret). The same keystore runs against
 * Chromium's virtual authenticator in apps/demo/test/passkey.test.ts.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BiometricUnavailableError,
  KeystoreUnsupportedError,
  MemoryKeystore,
  MemoryVaultStorage,
  Vault,
  type WebAuthnCredentials,
  WebAuthnPrfKeystore,
} from '../src/index.js';

/** A software authenticator: credentials by id, each with its own PRF secret. */
class SoftAuthenticator implements WebAuthnCredentials {
  readonly secrets = new Map<string, Buffer>();
  prf = true;
  ceremonies = 0;

  async create(options: CredentialCreationOptions): Promise<Credential | null> {
    expect(options.publicKey?.authenticatorSelection?.userVerification).toBe('required');
    const id = randomBytes(16);
    this.secrets.set(id.toString('hex'), randomBytes(32));
    const prf = this.prf;
    return {
      id: id.toString('base64url'),
      type: 'public-key',
      rawId: id.buffer.slice(id.byteOffset, id.byteOffset + id.byteLength),
      getClientExtensionResults: () => ({ prf: { enabled: prf } }),
    } as unknown as Credential;
  }

  async get(options: CredentialRequestOptions): Promise<Credential | null> {
    this.ceremonies++;
    const request = options.publicKey;
    if (request === undefined) throw new DOMException('no publicKey options', 'NotAllowedError');
    expect(request.userVerification).toBe('required');
    const allowed = request.allowCredentials?.[0]?.id as Uint8Array;
    const secret = this.secrets.get(Buffer.from(allowed).toString('hex'));
    if (secret === undefined) throw new DOMException('no such credential', 'NotAllowedError');
    const salt = (request.extensions as { prf: { eval: { first: Uint8Array } } }).prf.eval.first;
    const first = new Uint8Array(createHmac('sha256', secret).update(salt).digest());
    return { getClientExtensionResults: () => ({ prf: { results: { first } } }) } as unknown as Credential;
  }
}

function setUp() {
  const authenticator = new SoftAuthenticator();
  const inner = new MemoryKeystore();
  const keystore = new WebAuthnPrfKeystore(inner, {
    rpName: 'Test',
    userName: 'ada',
    credentials: authenticator,
  });
  return { authenticator, inner, keystore };
}

describe('WebAuthnPrfKeystore', () => {
  it('derives the same non-extractable key from the passkey at each read; nothing of it is stored', async () => {
    const { keystore, inner, authenticator } = setUp();
    const created = await keystore.createKey('vault.bio', { requireBiometrics: true });
    expect(created.extractable).toBe(false);
    const iv = randomBytes(12);
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, created, new Uint8Array([1, 2, 3]));
    const again = await keystore.getKey('vault.bio');
    if (again === undefined) throw new Error('no key');
    expect(new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, again, sealed))).toEqual(
      new Uint8Array([1, 2, 3]),
    );
    expect(await inner.getKey('vault.bio')).toBeUndefined();
    expect(authenticator.ceremonies).toBe(2);
    expect(keystore.protection.biometrics).toBe(true);
  });

  it('gives another key for another passkey presenting the same credential id', async () => {
    const { keystore, authenticator } = setUp();
    const created = await keystore.createKey('vault.bio', { requireBiometrics: true });
    const iv = randomBytes(12);
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, created, new Uint8Array([9]));
    for (const id of authenticator.secrets.keys()) authenticator.secrets.set(id, randomBytes(32));
    const other = await keystore.getKey('vault.bio');
    if (other === undefined) throw new Error('no key');
    await expect(crypto.subtle.decrypt({ name: 'AES-GCM', iv }, other, sealed)).rejects.toThrow();
  });

  it('refuses a passkey without the PRF extension and keeps nothing of it', async () => {
    const { keystore, authenticator, inner } = setUp();
    authenticator.prf = false;
    await expect(keystore.createKey('vault.bio', { requireBiometrics: true })).rejects.toBeInstanceOf(
      KeystoreUnsupportedError,
    );
    expect(await inner.getSecret('vault.bio.prf')).toBeUndefined();
    expect(await keystore.getKey('vault.bio')).toBeUndefined();
  });

  it('unlocks a vault with the passkey, and not after the passkey is gone', async () => {
    const { keystore, authenticator } = setUp();
    const vault = await Vault.open({ keystore, storage: new MemoryVaultStorage(), kdf: 'pbkdf2' });
    await vault.initialize({ passcode: '482916' });
    await vault.enableBiometrics('482916');
    vault.lock();
    await vault.unlockWithBiometrics();
    expect(vault.status).toBe('unlocked');
    vault.lock();
    authenticator.secrets.clear();
    await expect(vault.unlockWithBiometrics()).rejects.toBeInstanceOf(BiometricUnavailableError);
    await vault.unlock('482916');
    expect(vault.status).toBe('unlocked');
  });

  it('keeps ordinary entries in the wrapped keystore and deletes a gated entry with its record', async () => {
    const { keystore, inner } = setUp();
    const plain = await keystore.createKey('vault.kek.1');
    expect(await inner.getKey('vault.kek.1')).toBe(plain);
    await keystore.createKey('vault.bio', { requireBiometrics: true });
    await keystore.deleteKey('vault.bio');
    expect(await inner.getSecret('vault.bio.prf')).toBeUndefined();
    expect(await keystore.getKey('vault.bio')).toBeUndefined();
    await expect(
      keystore.setSecret('s', new Uint8Array(1), { requireBiometrics: true }),
    ).rejects.toBeInstanceOf(KeystoreUnsupportedError);
  });
});
