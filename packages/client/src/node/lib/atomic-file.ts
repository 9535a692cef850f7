/**
 * Atomic replacement of a small file: write a temporary file beside it with mode 0600, fsync it,
 * rename it over the target, fsync the folder. After a crash the target is either the old or the
 * new content, never a mix or empty; the temporary file a crash left (`.<name>.<hex>.tmp`, which
 * holds the new content, keys included for a keystore) is removed by `removeStaleTemps`.
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The random part of a temporary file's name. */
const RANDOM = /^[0-9a-f]{12}\.tmp$/;
/** The temporary files of earlier versions, named without their target: `.<hex>.tmp`. */
const UNNAMED = /^\.[0-9a-f]{12}\.tmp$/;

/** Replaces `path` with `data` atomically and durably. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The umask may have narrowed the mode further; it must never be wider.
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncFolder(dirname(path));
}

/**
 * Removes the temporary files that writes of `path` stopped by a crash left beside it (and the
 * unnamed ones of earlier versions): each holds a full copy of what was being written, which a
 * wipe of `path` alone would leave on disk. Call it when no write of `path` is under way.
 */
export async function removeStaleTemps(path: string): Promise<void> {
  const folder = dirname(path);
  const own = `.${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const stale = names.filter(
    (name) => (name.startsWith(own) && RANDOM.test(name.slice(own.length))) || UNNAMED.test(name),
  );
  for (const name of stale) await rm(join(folder, name), { force: true });
  if (stale.length > 0) await syncFolder(folder);
}

/** Makes a rename or unlink in `folder` durable. */
export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
