/**
 * The Node file storage's names on disk (node/directory-file-storage.ts): ids that differ only in
 * case, or hold a `:`, get names a case-insensitive file system (macOS, Windows) keeps apart and
 * Windows reads as plain files; files an earlier version wrote under the id itself are still read,
 * listed and deleted, and replaced at their next write. The tests run on Linux: they check the
 * names, which is what those file systems see.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryFileStorage } from '../src/node/index.js';

const folders: string[] = [];
afterEach(async () => {
  for (const f of folders.splice(0)) await rm(f, { recursive: true, force: true });
});

async function open(): Promise<{ folder: string; storage: DirectoryFileStorage }> {
  const folder = await mkdtemp(join(tmpdir(), 'bulwark-names-'));
  folders.push(folder);
  return { folder, storage: await DirectoryFileStorage.open(folder) };
}

const stream = (text: string) => new Blob([text]).stream() as ReadableStream<Uint8Array>;
const text = async (s: ReadableStream<Uint8Array> | undefined) =>
  s === undefined ? undefined : new Response(s).text();

describe('Directory file storage names', () => {
  it('keeps ids apart that differ only in case or hold a colon, under lower-case names without a colon', async () => {
    const { folder, storage } = await open();
    const ids = ['report', 'Report', 'REPORT', 'a:b', 'A:b', 'a-b', 'bwr.AbCdEfGhIjKlMnOpQrStUvWx.p1'];
    for (const id of ids) await storage.write(id, stream(`content of ${id}`));
    for (const id of ids) expect(await text(await storage.read(id))).toBe(`content of ${id}`);
    expect((await storage.list()).sort()).toEqual([...ids].sort());
    const names = await readdir(folder);
    expect(names).toHaveLength(ids.length);
    // What a case-insensitive file system compares: no two names fold to the same one.
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(ids.length);
    for (const name of names) expect(name).toMatch(/^[a-z0-9._^-]+\.bwf$/);
    await storage.delete('Report');
    expect(await storage.read('Report')).toBeUndefined();
    expect(await text(await storage.read('report'))).toBe('content of report');
  });

  it('maps every id to a name and back', () => {
    fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/), async (id) => {
        fc.pre(!/^\.+$/.test(id));
        const { storage } = await open();
        await storage.write(id, stream(id));
        expect(await storage.list()).toEqual([id]);
        expect(await text(await storage.read(id))).toBe(id);
      }),
      { numRuns: 40 },
    );
  });

  it('reads, lists and deletes files an earlier version wrote under the id itself, and replaces them at the next write', async () => {
    const { folder, storage } = await open();
    await writeFile(join(folder, 'Legacy.bwf'), 'old bytes');
    await writeFile(join(folder, 'lower.bwf'), 'lower bytes');
    expect((await storage.list()).sort()).toEqual(['Legacy', 'lower']);
    expect(await text(await storage.read('Legacy'))).toBe('old bytes');
    expect(await text(await storage.read('lower'))).toBe('lower bytes');
    await storage.write('Legacy', stream('new bytes'));
    expect(await readdir(folder)).not.toContain('Legacy.bwf');
    expect(await storage.list()).toContain('Legacy');
    expect(await text(await storage.read('Legacy'))).toBe('new bytes');
    await writeFile(join(folder, 'Other.bwf'), 'x');
    await storage.delete('Other');
    expect(await readdir(folder)).not.toContain('Other.bwf');
    expect(await readFile(join(folder, '^legacy.bwf'), 'utf8')).toBe('new bytes');
  });
});
