/**
 * Canary scan: sensitive fields are filled with random canaries, and every file the store writes
 * (SQLite database, WAL and shared-memory files, keystore file, the captured log) is searched for
 * each canary raw, in base64, base64url, hex and UTF-16: no hit, after writing, after close and
 * reopen, after a crash (SIGKILL during writes), and after a wipe. A plain field canary, which is
 * stored in clear by design, proves the scanner finds what is there.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackendVaultStorage, EncryptedStore, Vault } from '../src/index.js';
import { FileKeystore, nodeSealer, SqliteBackend } from '../src/node/index.js';
import { canary, encodings, scan } from './fakes/canary.js';
import { findings, sites } from './fakes/store-world.js';

const PASSCODE = 'canary-passcode';
let log: string[] = [];

beforeEach(() => {
  log = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      log.push(args.map(String).join(' '));
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function openAll(folder: string) {
  const keystore = await FileKeystore.open({ path: join(folder, 'keystore.json') });
  const backend = await SqliteBackend.open({ path: join(folder, 'store.db') });
  const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(backend) });
  if (vault.status === 'uninitialized') await vault.initialize({ passcode: PASSCODE });
  else await vault.unlock(PASSCODE);
  const store = await EncryptedStore.open({
    backend,
    vault,
    collections: [sites, findings],
    sealer: nodeSealer,
  });
  return { keystore, backend, vault, store };
}

async function scanWithLog(folder: string, canaries: string[]): Promise<string[]> {
  await writeFile(join(folder, 'app.log'), log.join('\n'));
  return scan(folder, canaries);
}

describe('canary scan', () => {
  it('detects a canary in each encoding at any offset (the scanner itself works)', async () => {
    const value = canary();
    const variants = encodings(value);
    expect(variants).toHaveLength(11);
    for (const [i, bytes] of variants.entries()) {
      const folder = await mkdtemp(join(tmpdir(), 'bulwark-scan-'));
      await writeFile(join(folder, 'f.bin'), Buffer.concat([randomBytes(100 + i), bytes, randomBytes(50)]));
      expect(await scan(folder, [value])).toHaveLength(1);
      expect(await scan(folder, [canary()])).toEqual([]);
    }
    // Base64 of a larger buffer that holds the canary at each of the three alignments.
    for (let shift = 0; shift < 6; shift++) {
      for (const encoding of ['base64', 'base64url', 'hex', 'utf16le'] as const) {
        const folder = await mkdtemp(join(tmpdir(), 'bulwark-scan-'));
        const inner = Buffer.concat([randomBytes(30 + shift), Buffer.from(value), randomBytes(7)]);
        const text =
          encoding === 'utf16le'
            ? Buffer.from(inner.toString('latin1'), 'utf16le')
            : Buffer.from(inner.toString(encoding));
        await writeFile(join(folder, 'f.txt'), text);
        expect(await scan(folder, [value]), `${encoding} shift ${shift}`).toHaveLength(1);
      }
    }
  });

  it('finds no sensitive canary in any file: after writes, after reopen, after a wipe', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-canary-'));
    const secrets: string[] = [];
    const plainCanary = canary();
    let { backend, vault, store } = await openAll(folder);
    const records = Array.from({ length: 300 }, (_, i) => {
      const [phone, email, notes, detail, title] = [canary(), canary(), canary(), canary(), canary()];
      secrets.push(phone, email, notes, detail, title);
      return {
        site: {
          id: `s${i}`,
          name: i === 0 ? plainCanary : `Site ${i}`,
          residentPhone: phone,
          residentEmail: email,
          notes,
        },
        finding: { id: `f${i}`, title, detail, severity: i % 5 },
      };
    });
    await store.putMany(
      'sites',
      records.map((r) => r.site),
    );
    await store.putMany(
      'findings',
      records.map((r) => r.finding),
    );
    // Updates and deletes must not leave the old values behind either.
    for (let i = 0; i < 50; i++) {
      const fresh = canary();
      secrets.push(fresh);
      await store.put('sites', { ...(records[i]?.site as { id: string }), notes: fresh });
    }
    await store.delete('sites', ...records.slice(50, 100).map((r) => r.site.id));
    expect(await store.find('sites', { residentPhone: records[200]?.site.residentPhone })).toHaveLength(1);

    expect(await scanWithLog(folder, secrets)).toEqual([]);
    // The scanner does find what is stored in clear: plain fields are plain by design.
    expect((await scanWithLog(folder, [plainCanary])).length).toBeGreaterThan(0);

    vault.close();
    await store.close();
    ({ backend, vault, store } = await openAll(folder));
    expect(await store.get('sites', 's200')).toMatchObject({
      residentPhone: records[200]?.site.residentPhone,
    });
    expect(await scanWithLog(folder, secrets)).toEqual([]);

    await vault.wipe();
    expect(await scanWithLog(folder, [...secrets, plainCanary])).toEqual([]);
    expect((await readdir(folder)).sort()).toEqual(['app.log', 'keystore.json']);
    const again = await Vault.open({
      keystore: await FileKeystore.open({ path: join(folder, 'keystore.json') }),
      storage: new BackendVaultStorage(await SqliteBackend.open({ path: join(folder, 'store.db') })),
    });
    for (const passcode of [PASSCODE, '', '0000']) {
      await expect(again.unlock(passcode)).rejects.toMatchObject({ code: 'vault_not_initialized' });
    }
    expect(backend.kind).toBe('sqlite');
  });

  it('finds no canary after a crash during writes (SIGKILL)', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-canary-crash-'));
    const canaries = Array.from({ length: 50 }, () => canary());
    const canaryFile = join(await mkdtemp(join(tmpdir(), 'bulwark-canary-list-')), 'canaries.json');
    await writeFile(canaryFile, JSON.stringify(canaries));
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'fixtures/canary-writer.mjs'), folder, canaryFile, PASSCODE],
      {
        env: { ...process.env, BULWARK_COLLECTIONS: JSON.stringify([sites]) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let acks = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        acks += d
          .toString()
          .split('\n')
          .filter((l) => l.startsWith('ack')).length;
        if (acks >= 200) resolve();
      });
      child.on('exit', () => reject(new Error(`writer exited early: ${stderr}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(await scan(folder, canaries)).toEqual([]);
    const { store } = await openAll(folder);
    expect((await store.find('sites', { residentPhone: canaries[0] })).length).toBeGreaterThan(0);
    expect(await scanWithLog(folder, canaries)).toEqual([]);
  });
});
