/**
 * Walks a directory for the audit: sorted for stable output, symlinks not followed (no loops, no
 * escaping the scanned root), and tool folders that never ship (.git, node_modules, .gradle,
 * .idea, .vscode, and .yarn: Yarn's own committed release, cache and plugins) skipped. Directory listings, file metadata and whole-file reads use the
 * synchronous calls: each takes microseconds on a local disk, where the asynchronous ones make a
 * round trip to Node's I/O threads for every file, and the scan has nothing else to do meanwhile.
 */
import { createReadStream, type Dirent, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditUnreadableError } from '../errors.js';
import type { EntryVisitor } from './entry.js';

/** Folders that hold tooling, not what ships. */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set([
  '.git',
  'node_modules',
  '.gradle',
  '.idea',
  '.vscode',
  '.yarn',
]);

/** Reads a file; replaceable so tests can simulate I/O failures (the scan runs as any user). */
export type FileReader = (absolutePath: string) => Promise<Buffer>;

/**
 * Reads a whole file into a buffer of its own: one read call of the file's size where the system
 * allows.
 *
 * @example
 * ```ts
 * const bytes = await readWhole('/srv/www/main.js');
 * ```
 */
export async function readWhole(absolutePath: string): Promise<Buffer> {
  return readFileSync(absolutePath);
}

/** Code-unit order of names, as `Array#sort` gives strings: the same on every machine. */
function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function reason(err: unknown): string {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : 'I/O error';
}

/**
 * Visits every regular file under `root`.
 *
 * @example
 * ```ts
 * await walkDirectory('www', async (entry) => console.log(entry.path, entry.size));
 * ```
 */
export async function walkDirectory(
  root: string,
  visit: EntryVisitor,
  readFileImpl: FileReader = readWhole,
): Promise<void> {
  const pending: string[] = [''];
  while (pending.length > 0) {
    const rel = pending.pop() as string;
    const abs = rel === '' ? root : join(root, rel);
    let entries: Dirent[];
    try {
      // With their types, as the directory gives them: only files need a stat of their own (for
      // their size), not folders nor links (a tenth of a tree's entries, and a stat is a system
      // call).
      entries = readdirSync(abs, { withFileTypes: true }).sort(byName);
    } catch (err) {
      throw new AuditUnreadableError(rel === '' ? '.' : rel, reason(err), { cause: err });
    }
    const dirs: string[] = [];
    for (const entry of entries) {
      const name = entry.name;
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const childAbs = join(abs, name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(name)) dirs.push(childRel);
        continue;
      }
      if (!entry.isFile()) continue;
      let st: ReturnType<typeof lstatSync>;
      try {
        st = lstatSync(childAbs);
      } catch (err) {
        throw new AuditUnreadableError(childRel, reason(err), { cause: err });
      }
      // Replaced by something else since the listing (a race): skipped as that would have been.
      if (st.isFile()) {
        await visit({
          path: childRel,
          size: st.size,
          absolutePath: childAbs,
          read: async () => {
            try {
              return await readFileImpl(childAbs);
            } catch (err) {
              throw new AuditUnreadableError(childRel, reason(err), { cause: err });
            }
          },
          stream: async () => createReadStream(childAbs),
        });
      }
    }
    // Depth first, in name order.
    for (let i = dirs.length - 1; i >= 0; i--) pending.push(dirs[i] as string);
  }
}
