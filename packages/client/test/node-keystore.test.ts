/**
 * The Node file keystore under a passcode-protected vault: secure items, the session's refresh
 * token and the device's private key are sealed under the vault's root key, so no plaintext of
 * them is in any file on disk, and none can be read or written while the vault is locked. Without
 * a passcode they are stored as they are, protected by the file's permissions only — the test
 * shows that too, as docs/platforms.md says.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  KeystoreDeviceKeyStorage,
  loadOrCreateDeviceKey,
  SecureItems,
  SecureItemsSessionStore,
  Vault,
} from '../src/index.js';
import { FileKeystore, FileVaultStorage } from '../src/node/index.js';
import { canary, filesUnder, scan } from './fakes/canary.js';

const PASSCODE = 'seal-me-4410';

/** Every file under `folder` that holds `bytes` raw, in hex or in base64 / base64url at any alignment. */
async function scanBytes(folder: string, bytes: Uint8Array): Promise<string[]> {
  const raw = Buffer.from(bytes);
  const forms = [raw, Buffer.from(raw.toString('hex')), Buffer.from(raw.toString('hex').toUpperCase())];
  for (let shift = 0; shift < 3; shift++) {
    for (const encoding of ['base64', 'base64url'] as const) {
      const text = Buffer.concat([Buffer.alloc(shift), raw]).toString(encoding);
      const start = Math.ceil((shift * 4) / 3) + 1;
      const end = Math.floor(((shift + raw.length) * 4) / 3) - 1;
      forms.push(Buffer.from(text.slice(start, end)));
    }
  }
  const hits: string[] = [];
  for (const file of await filesUnder(folder)) {
    const content = await readFile(file);
    if (forms.some((form) => content.includes(form))) hits.push(file);
  }
  return hits;
}

/** The private scalar of a PKCS#8 P-256 key: the bytes that must never be on disk in clear. */
async function privateScalar(pkcs8: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
  const jwk = await subtle.exportKey('jwk', key);
  return Buffer.from(String(jwk.d), 'base64url');
}

async function install(folder: string) {
  const keystore = await FileKeystore.open({ path: join(folder, 'keystore.json') });
  const vault = await Vault.open({ keystore, storage: new FileVaultStorage(join(folder, 'vault.json')) });
  const items = new SecureItems(keystore);
  return {
    keystore,
    vault,
    items,
    sessions: new SecureItemsSessionStore(items),
    deviceKeys: new KeystoreDeviceKeyStorage(keystore),
  };
}

describe('Node file keystore with a passcode-protected vault', () => {
  it('keeps no plaintext of a secure item, the refresh token or the device key in any file', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-keystore-sealed-'));
    const token = canary();
    const refreshToken = canary();
    const first = await install(folder);
    await first.vault.initialize({ passcode: PASSCODE });
    await first.items.set('refresh-token', token);
    await first.sessions.save({ refreshToken, userId: 'u1', deviceId: 'd1' });
    const deviceKey = await loadOrCreateDeviceKey(first.deviceKeys);
    const scalar = await privateScalar(
      (await first.keystore.getSecret('device.key')) as Uint8Array<ArrayBuffer>,
    );

    expect(await scan(folder, [token, refreshToken])).toEqual([]);
    expect(await scanBytes(folder, scalar)).toEqual([]);
    const file = JSON.parse(await readFile(join(folder, 'keystore.json'), 'utf8'));
    expect(file.secretsSealed).toBe(true);
    for (const value of Object.values(file.secrets as Record<string, string>)) {
      expect(value.startsWith('sealed:')).toBe(true);
    }

    // Locked, nothing is readable, and nothing new is written in clear.
    first.vault.lock();
    await expect(first.items.getString('refresh-token')).rejects.toMatchObject({ code: 'vault_locked' });
    const late = canary();
    await expect(first.items.set('late', late)).rejects.toMatchObject({ code: 'vault_locked' });
    expect(await scan(folder, [late])).toEqual([]);

    // The next run: nothing opens before the passcode does.
    const next = await install(folder);
    await expect(next.items.getString('refresh-token')).rejects.toMatchObject({ code: 'vault_locked' });
    await expect(next.deviceKeys.load()).rejects.toMatchObject({ code: 'vault_locked' });
    await expect(next.sessions.load()).rejects.toMatchObject({ code: 'vault_locked' });
    await expect(next.vault.unlock('wrong')).rejects.toMatchObject({ code: 'wrong_passcode' });
    await expect(next.items.getString('refresh-token')).rejects.toMatchObject({ code: 'vault_locked' });
    await next.vault.unlock(PASSCODE);
    expect(await next.items.getString('refresh-token')).toBe(token);
    expect((await next.sessions.load())?.refreshToken).toBe(refreshToken);
    expect((await next.deviceKeys.load())?.thumbprint).toBe(deviceKey.thumbprint);

    // A new passcode keeps them (they are sealed under the root key, not the passcode key).
    await next.vault.changePasscode(PASSCODE, 'another-passcode');
    next.vault.lock();
    await next.vault.unlock('another-passcode');
    expect(await next.items.getString('refresh-token')).toBe(token);
    expect(await scan(folder, [token, refreshToken])).toEqual([]);
    expect(await scanBytes(folder, scalar)).toEqual([]);
  });

  it('does not swap sealed entries: each is bound to its name, and one that cannot be read is dropped', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-keystore-swap-'));
    const { vault, items } = await install(folder);
    await vault.initialize({ passcode: PASSCODE });
    await items.set('a', 'alpha');
    await items.set('b', 'bravo');
    const path = join(folder, 'keystore.json');
    const file = JSON.parse(await readFile(path, 'utf8'));
    [file.secrets['item.a'], file.secrets['item.b']] = [file.secrets['item.b'], file.secrets['item.a']];
    await writeFile(path, JSON.stringify(file), { mode: 0o600 });
    await expect(items.getString('a')).rejects.toMatchObject({ code: 'decryption_failed' });
    // Entries that can never be read do not block the next unlock: they are dropped.
    vault.lock();
    await vault.unlock(PASSCODE);
    expect(await items.getString('a')).toBeUndefined();
    await items.set('a', 'alpha again');
    expect(await items.getString('a')).toBe('alpha again');
  });
});

describe('Node file keystore without a passcode', () => {
  it('stores secrets as they are (the 0600 file is all that protects them), sealed once a passcode is set', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-keystore-plain-'));
    const token = canary();
    const first = await install(folder);
    await first.vault.initialize();
    await first.items.set('refresh-token', token);
    // What docs/platforms.md says: without a passcode, reading the file gives the secret.
    expect(await scan(folder, [token])).not.toEqual([]);

    await first.vault.setPasscode(PASSCODE);
    expect(await scan(folder, [token])).toEqual([]);
    expect(await first.items.getString('refresh-token')).toBe(token);

    const next = await install(folder);
    await expect(next.items.getString('refresh-token')).rejects.toMatchObject({ code: 'vault_locked' });
    await next.vault.unlock(PASSCODE);
    await next.vault.removePasscode(PASSCODE);
    expect(await scan(folder, [token])).not.toEqual([]);
    const third = await install(folder);
    expect(await third.items.getString('refresh-token')).toBe(token);
  });

  it('drops entries sealed by an install that was wiped: their root key is gone', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-keystore-stale-'));
    const first = await install(folder);
    await first.vault.initialize({ passcode: PASSCODE });
    await first.items.set('refresh-token', canary());
    // The vault alone destroys its own keys; the item stays, sealed under a root key now gone.
    await first.vault.wipe();
    const next = await install(folder);
    await next.vault.initialize({ passcode: 'a-new-start' });
    expect(await next.items.getString('refresh-token')).toBeUndefined();
  });
});

describe('Node file keystore after a crash in the middle of a write', () => {
  /** Starts a process that rewrites a secret in a loop, kills it with SIGKILL after `ms`. */
  async function killWriter(folder: string, value: string, ms: number): Promise<void> {
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'fixtures/keystore-writer.mjs'), folder, value],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise((resolve) => child.stdout.once('data', resolve));
    await new Promise((resolve) => setTimeout(resolve, ms));
    child.kill('SIGKILL');
    await exited;
  }

  const temps = async (folder: string) => (await readdir(folder)).filter((name) => name.endsWith('.tmp'));

  it('leaves no copy of the keystore beside it once opened again, nor after a wipe clears it', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-keystore-kill-'));
    const secret = canary();
    // A kill between the temporary file's write and its rename leaves a full copy of the keystore.
    let copies: string[] = [];
    for (let attempt = 0; attempt < 60 && copies.length === 0; attempt++) {
      await killWriter(folder, secret, 30 + ((attempt * 37) % 90));
      copies = [];
      for (const name of await temps(folder)) {
        if ((await readFile(join(folder, name))).length > 0) copies.push(name);
      }
    }
    expect(copies).toHaveLength(1);
    const copy = join(folder, copies[0] as string);
    expect(await scan(folder, [secret])).toContain(`${copy}: ${secret}`);

    const keystore = await FileKeystore.open({ path: join(folder, 'keystore.json') });
    expect(await temps(folder)).toEqual([]);
    // The wipe: nothing of the secret anywhere in the folder.
    await keystore.clear();
    expect(await scan(folder, [secret])).toEqual([]);
  });

  it('removes its own leftovers and those of earlier versions when it opens and clears, nothing else', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-keystore-temps-'));
    const secret = canary();
    const leftovers = ['.keystore.json.0a1b2c3d4e5f.tmp', '.00aa11bb22cc.tmp'];
    const others = [
      '.store.db.0a1b2c3d4e5f.tmp',
      'keystore.json.tmp',
      '.keystore.json.notes.tmp',
      'notes.txt',
    ];
    for (const name of [...leftovers, ...others]) await writeFile(join(folder, name), secret);
    const keystore = await FileKeystore.open({ path: join(folder, 'keystore.json') });
    expect((await readdir(folder)).sort()).toEqual([...others].sort());
    await new SecureItems(keystore).set('a', 'b');
    await writeFile(join(folder, '.keystore.json.ffffffffffff.tmp'), secret);
    await keystore.clear();
    expect((await readdir(folder)).sort()).toEqual([...others].sort());
  });
});
