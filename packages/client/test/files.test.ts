/**
 * Encrypted chunked files: round trips of every size shape, a 100 MB round trip through a folder
 * on disk in bounded memory, and every way of tampering with the stored stream (truncation,
 * reordering, splicing from another file, bit flips, appended data, flag flips) refused.
 */
import 'fake-indexeddb/auto';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveDataKeys, generateDataKeyBytes, importDataKey, Keyring } from '@bulwark/core/crypto';
import { describe, expect, it } from 'vitest';
import {
  decryptFile,
  EncryptedFiles,
  encryptFile,
  type FileStorage,
  IndexedDbFileStorage,
  MemoryFileStorage,
  MemoryKeystore,
  MemoryVaultStorage,
  readFileKeyId,
  Vault,
  webCryptoSealer,
} from '../src/index.js';
import { DirectoryFileStorage, nodeSealer } from '../src/node/index.js';

async function keyring(): Promise<Keyring> {
  return new Keyring((await deriveDataKeys(await importDataKey(generateDataKeyBytes()), 'dek-1')).sealingKey);
}

function streamOf(bytes: Uint8Array, piece = 1000): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + piece));
      offset += piece;
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream as unknown as AsyncIterable<Uint8Array>) parts.push(part);
  return Buffer.concat(parts);
}

async function encrypt(ring: Keyring, plain: Uint8Array, fileId = 'f1', chunkSize = 1024, piece = 1000) {
  return collect(streamOf(plain, piece).pipeThrough(encryptFile({ keyring: ring, fileId, chunkSize })));
}

async function decrypt(ring: Keyring, data: Uint8Array, fileId = 'f1', piece = 777) {
  return collect(streamOf(data, piece).pipeThrough(decryptFile({ keyring: ring, fileId })));
}

/** Splits an encrypted file into its header and frames. */
function frames(data: Uint8Array): { header: Uint8Array; frames: Uint8Array[] } {
  const headerLength = 9 + (data[8] as number);
  const out: Uint8Array[] = [];
  let offset = headerLength;
  while (offset < data.length) {
    const length = new DataView(data.buffer, data.byteOffset).getUint32(offset + 1);
    out.push(data.slice(offset, offset + 5 + length));
    offset += 5 + length;
  }
  return { header: data.slice(0, headerLength), frames: out };
}

describe('encrypted files: round trips', () => {
  it.each([0, 1, 1023, 1024, 1025, 4096, 10_000])(
    'round-trips %i bytes, whatever the piece sizes',
    async (size) => {
      const ring = await keyring();
      const plain = randomBytes(size);
      for (const piece of [1, 333, 5000]) {
        if (size > 2000 && piece === 1) continue;
        const data = await encrypt(ring, plain, 'f1', 1024, piece);
        expect(Buffer.from(await decrypt(ring, data, 'f1', piece))).toEqual(plain);
      }
      const { frames: list } = frames(await encrypt(ring, plain));
      expect(list).toHaveLength(Math.max(1, Math.ceil(size / 1024)));
    },
  );

  it('stores through EncryptedFiles and is gone after a wipe', async () => {
    const vault = await Vault.open({ keystore: new MemoryKeystore(), storage: new MemoryVaultStorage() });
    await vault.initialize();
    const folder = join(await mkdtemp(join(tmpdir(), 'bulwark-files-')), 'files');
    const storage = new DirectoryFileStorage(folder);
    const files = new EncryptedFiles({ storage, vault, sealer: webCryptoSealer });
    const plain = randomBytes(200_000);
    await files.put('photo-1', streamOf(plain, 65_536));
    const stored = await readFile(join(folder, 'photo-1.bwf'));
    expect(stored.includes(plain.subarray(1000, 1032))).toBe(false);
    expect(Buffer.from(await collect((await files.get('photo-1')) as ReadableStream<Uint8Array>))).toEqual(
      plain,
    );
    expect(await files.get('nope')).toBeUndefined();
    await expect(files.put('../escape', streamOf(plain))).rejects.toMatchObject({ code: 'invalid_argument' });
    vault.lock();
    await expect(files.get('photo-1')).rejects.toMatchObject({ code: 'vault_locked' });
    await vault.unlock();
    await vault.wipe();
    expect(await storage.read('photo-1')).toBeUndefined();
  });

  const storages: [string, () => Promise<{ storage: FileStorage; reopen: () => Promise<FileStorage> }>][] = [
    [
      'memory',
      async () => {
        const storage = new MemoryFileStorage();
        return { storage, reopen: async () => storage };
      },
    ],
    [
      'indexeddb',
      async () => {
        const databaseName = `files-${Date.now()}-${Math.random()}`;
        return {
          storage: await IndexedDbFileStorage.open({ databaseName }),
          reopen: () => IndexedDbFileStorage.open({ databaseName }),
        };
      },
    ],
    [
      'folder',
      async () => {
        const folder = join(await mkdtemp(join(tmpdir(), 'bulwark-fs-')), 'f');
        return {
          storage: new DirectoryFileStorage(folder),
          reopen: async () => new DirectoryFileStorage(folder),
        };
      },
    ],
  ];

  it.each(storages)('stores, replaces, deletes and destroys files in %s storage', async (_name, make) => {
    const vault = await Vault.open({ keystore: new MemoryKeystore(), storage: new MemoryVaultStorage() });
    await vault.initialize();
    const { storage, reopen } = await make();
    const files = new EncryptedFiles({ storage, vault, chunkSize: 1024 });
    const first = randomBytes(5000);
    const second = randomBytes(300);
    await files.put('doc', streamOf(first, 700));
    expect(Buffer.from(await collect((await files.get('doc')) as ReadableStream<Uint8Array>))).toEqual(first);
    await files.put('doc', streamOf(second, 700));
    expect(Buffer.from(await collect((await files.get('doc')) as ReadableStream<Uint8Array>))).toEqual(
      second,
    );
    await files.delete('doc');
    expect(await files.get('doc')).toBeUndefined();
    await files.put('other', streamOf(first));
    expect(await (await reopen()).read('other')).toBeDefined();
    await vault.wipe();
    expect(await (await reopen()).read('other')).toBeUndefined();
  });

  it('round-trips 100 MB through a folder on disk in bounded memory', async () => {
    const ring = await keyring();
    const folder = await mkdtemp(join(tmpdir(), 'bulwark-big-'));
    const storage = new DirectoryFileStorage(folder);
    const total = 100 * 1024 * 1024;
    const block = 1024 * 1024;
    const sourceHash = createHash('sha256');
    let produced = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (produced >= total) return controller.close();
        const bytes = new Uint8Array(block);
        const view = new DataView(bytes.buffer);
        for (let i = 0; i < block; i += 4) view.setUint32(i, (produced + i) * 2654435761);
        produced += block;
        sourceHash.update(bytes);
        controller.enqueue(bytes);
      },
    });
    globalThis.gc?.();
    const baseline = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak = Math.max(peak, now.rss - baseline.rss);
    }, 20);
    try {
      await storage.write(
        'big',
        source.pipeThrough(encryptFile({ keyring: ring, fileId: 'big', sealer: nodeSealer })),
      );
      const stored = (await storage.read('big')) as ReadableStream<Uint8Array>;
      const resultHash = createHash('sha256');
      let length = 0;
      for await (const part of stored.pipeThrough(
        decryptFile({ keyring: ring, fileId: 'big', sealer: nodeSealer }),
      ) as unknown as AsyncIterable<Uint8Array>) {
        resultHash.update(part);
        length += part.length;
      }
      expect(length).toBe(total);
      expect(resultHash.digest('hex')).toBe(sourceHash.digest('hex'));
    } finally {
      clearInterval(sampler);
    }
    // Whole-file buffering would need well over 100 MB (plaintext and ciphertext).
    expect(peak).toBeLessThan(64 * 1024 * 1024);
  });
  it.each(storages)(
    'moves files to the new data key before the old one is retired, in %s storage',
    async (_name, make) => {
      const vault = await Vault.open({ keystore: new MemoryKeystore(), storage: new MemoryVaultStorage() });
      await vault.initialize();
      const { storage, reopen } = await make();
      const files = new EncryptedFiles({ storage, vault, chunkSize: 1024 });
      const doc = randomBytes(5000);
      const photo = randomBytes(100);
      await files.put('doc', streamOf(doc, 700));
      await files.put('photo', streamOf(photo));
      const [oldKey] = vault.dataKeyIds;
      const newKey = await vault.rotateDataKey();
      await files.put('late', streamOf(photo));
      // The flow of the report: rotate, re-encrypt the store, retire. The files must follow.
      await vault.retireDataKey(oldKey as string);
      expect(vault.dataKeyIds).toEqual([newKey]);
      for (const [id, plain] of [
        ['doc', doc],
        ['photo', photo],
        ['late', photo],
      ] as const) {
        expect(await readFileKeyId((await (await reopen()).read(id)) as ReadableStream<Uint8Array>)).toBe(
          newKey,
        );
        expect(Buffer.from(await collect((await files.get(id)) as ReadableStream<Uint8Array>))).toEqual(
          plain,
        );
      }
      expect(await files.reencrypt()).toBe(0);
    },
  );

  it.each(storages)(
    'keeps the previous version whole when a replacing write fails midway, in %s storage',
    async (_name, make) => {
      const vault = await Vault.open({ keystore: new MemoryKeystore(), storage: new MemoryVaultStorage() });
      await vault.initialize();
      const { storage, reopen } = await make();
      const files = new EncryptedFiles({ storage, vault, chunkSize: 1024 });
      const doc = randomBytes(5000);
      await files.put('doc', streamOf(doc, 700));
      let sent = 0;
      const failing = new ReadableStream<Uint8Array>({
        pull(controller) {
          sent += 1;
          if (sent > 3) controller.error(new Error('source failed'));
          else controller.enqueue(randomBytes(1500));
        },
      });
      await expect(files.put('doc', failing)).rejects.toThrow('source failed');
      const again = new EncryptedFiles({ storage: await reopen(), vault, chunkSize: 1024 });
      expect(Buffer.from(await collect((await again.get('doc')) as ReadableStream<Uint8Array>))).toEqual(doc);
      expect(await (await reopen()).list?.()).toEqual(['doc']);
    },
  );

  it('refuses to retire a data key when the file storage cannot list its files', async () => {
    const vault = await Vault.open({ keystore: new MemoryKeystore(), storage: new MemoryVaultStorage() });
    await vault.initialize();
    const inner = new MemoryFileStorage();
    const unlisted: FileStorage = {
      write: (id, stream) => inner.write(id, stream),
      read: (id) => inner.read(id),
      delete: (id) => inner.delete(id),
      destroy: () => inner.destroy(),
    };
    const files = new EncryptedFiles({ storage: unlisted, vault });
    const doc = randomBytes(100);
    await files.put('doc', streamOf(doc));
    const [oldKey] = vault.dataKeyIds;
    await vault.rotateDataKey();
    await expect(vault.retireDataKey(oldKey as string)).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(vault.dataKeyIds).toContain(oldKey);
    expect(Buffer.from(await collect((await files.get('doc')) as ReadableStream<Uint8Array>))).toEqual(doc);
  });

  it('removes the temporary files of killed writes when a folder storage opens, and only those', async () => {
    const folder = join(await mkdtemp(join(tmpdir(), 'bulwark-fs-')), 'f');
    const vault = await Vault.open({ keystore: new MemoryKeystore(), storage: new MemoryVaultStorage() });
    await vault.initialize();
    const files = new EncryptedFiles({ storage: new DirectoryFileStorage(folder), vault });
    const doc = randomBytes(3000);
    await files.put('doc', streamOf(doc));
    // What a write killed midway leaves: encrypted bytes under a temporary name.
    const leftover = join(folder, `.${randomBytes(6).toString('hex')}.tmp`);
    await writeFile(leftover, (await readFile(join(folder, 'doc.bwf'))).subarray(0, 100));
    await writeFile(join(folder, 'notes.txt'), 'not ours to delete');
    const reopened = await DirectoryFileStorage.open(folder);
    expect((await readdir(folder)).sort()).toEqual(['doc.bwf', 'notes.txt']);
    expect(await reopened.list()).toEqual(['doc']);
    // The constructor path cleans before its first operation too.
    await writeFile(leftover, 'x');
    const lazy = new EncryptedFiles({ storage: new DirectoryFileStorage(folder), vault });
    expect(Buffer.from(await collect((await lazy.get('doc')) as ReadableStream<Uint8Array>))).toEqual(doc);
    expect((await readdir(folder)).sort()).toEqual(['doc.bwf', 'notes.txt']);
  });
});

describe('encrypted files: tampering is refused', () => {
  const join2 = (header: Uint8Array, list: Uint8Array[]) => Buffer.concat([header, ...list]);

  it('refuses truncation: last chunk dropped, cut inside a chunk, cut inside the header, empty', async () => {
    const ring = await keyring();
    const data = await encrypt(ring, randomBytes(5000));
    const { header, frames: list } = frames(data);
    await expect(decrypt(ring, join2(header, list.slice(0, -1)))).rejects.toMatchObject({
      code: 'decryption_failed',
    });
    for (const cut of [1, 5, 17, 100]) {
      await expect(decrypt(ring, data.subarray(0, data.length - cut))).rejects.toMatchObject({
        code: 'decryption_failed',
      });
    }
    await expect(decrypt(ring, header)).rejects.toMatchObject({ code: 'decryption_failed' });
    await expect(decrypt(ring, header.subarray(0, 5))).rejects.toMatchObject({ code: 'decryption_failed' });
    await expect(decrypt(ring, new Uint8Array(0))).rejects.toMatchObject({ code: 'decryption_failed' });
  });

  it('refuses reordered, duplicated and dropped middle chunks', async () => {
    const ring = await keyring();
    const { header, frames: list } = frames(await encrypt(ring, randomBytes(5000)));
    const [a, b, c, d, e] = list as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    for (const order of [
      [b, a, c, d, e],
      [a, b, b, c, d, e],
      [a, c, d, e],
      [a, b, c, e, d],
    ]) {
      await expect(decrypt(ring, join2(header, order))).rejects.toMatchObject({ code: 'decryption_failed' });
    }
  });

  it('refuses chunks spliced from another file, even at the same index, and another file id', async () => {
    const ring = await keyring();
    const one = frames(await encrypt(ring, randomBytes(3000), 'file-a'));
    const two = frames(await encrypt(ring, randomBytes(3000), 'file-b'));
    const spliced = [one.frames[0], two.frames[1], one.frames[2]] as Uint8Array[];
    await expect(decrypt(ring, join2(one.header, spliced), 'file-a')).rejects.toMatchObject({
      code: 'decryption_failed',
    });
    await expect(decrypt(ring, join2(one.header, two.frames), 'file-a')).rejects.toMatchObject({
      code: 'decryption_failed',
    });
    await expect(decrypt(ring, join2(two.header, two.frames), 'file-a')).rejects.toMatchObject({
      code: 'decryption_failed',
    });
    const otherKey = await keyring();
    await expect(decrypt(otherKey, join2(one.header, one.frames), 'file-a')).rejects.toMatchObject({
      code: 'decryption_failed',
    });
  });

  it('refuses a flipped bit anywhere, data after the last chunk, and a moved last-chunk flag', async () => {
    const ring = await keyring();
    const data = await encrypt(ring, randomBytes(2500));
    for (let i = 0; i < data.length; i += 1) {
      const bad = Buffer.from(data);
      bad[i] = (bad[i] as number) ^ (1 << (i % 8));
      await expect(decrypt(ring, bad), `byte ${i}`).rejects.toMatchObject({ code: 'decryption_failed' });
    }
    await expect(decrypt(ring, Buffer.concat([data, Uint8Array.of(0)]))).rejects.toMatchObject({
      code: 'decryption_failed',
    });
    const { header, frames: list } = frames(data);
    const early = list.map((f) => Buffer.from(f));
    (early[1] as Buffer)[0] = 1; // claim the middle chunk is the last
    await expect(decrypt(ring, join2(header, early.slice(0, 2)))).rejects.toMatchObject({
      code: 'decryption_failed',
    });
    const late = list.map((f) => Buffer.from(f));
    (late[2] as Buffer)[0] = 0; // claim the last chunk is not
    await expect(decrypt(ring, join2(header, late))).rejects.toMatchObject({ code: 'decryption_failed' });
  });

  it('refuses oversized frames without buffering them', async () => {
    const ring = await keyring();
    const { header } = frames(await encrypt(ring, randomBytes(10)));
    const huge = Buffer.alloc(5);
    huge.writeUInt32BE(0xffffffff, 1);
    await expect(decrypt(ring, Buffer.concat([header, huge]))).rejects.toMatchObject({
      code: 'decryption_failed',
    });
    await writeFile(join(tmpdir(), 'unused'), '');
  });
});
