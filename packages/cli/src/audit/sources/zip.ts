/**
 * Walks a zip archive (APK, AAB, IPA, and archives inside them) with yauzl, entry by entry from
 * the central directory: nothing is extracted to disk and large entries are streamed. yauzl
 * rejects unsafe entry names and checks each entry's declared sizes against what inflates; we add
 * limits on sizes and counts so a zip bomb ends the scan with a clear error instead of eating the
 * machine. The limits are kept in one {@link ZipBudget} per scan, shared by every archive it
 * opens, so nesting archives does not multiply what a scan may expand.
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { AuditArchiveError, AuditUnreadableError } from '../errors.js';
import type { EntryVisitor } from './entry.js';

/** Limits on what the archives of one scan may expand to. */
export interface ZipLimits {
  /** Largest single entry, uncompressed (default 2 GiB). */
  maxEntryBytes: number;
  /** Total uncompressed bytes of all entries of all archives, nested ones included (default 8 GiB). */
  maxTotalBytes: number;
  /** Number of entries of all archives, nested ones included (default 500 000). */
  maxEntries: number;
  /**
   * Largest archive inside an archive (it is read into memory to be opened; default 512 MiB).
   * Archives found in a directory are opened in place and not subject to it.
   */
  maxNestedArchiveBytes?: number;
  /** How many levels of archives inside the input are opened (default 3). */
  maxNestingDepth?: number;
}

/**
 * The default limits.
 *
 * @example
 * ```ts
 * new ZipBudget({ ...DEFAULT_ZIP_LIMITS, maxNestingDepth: 1 });
 * ```
 */
export const DEFAULT_ZIP_LIMITS: Readonly<Required<ZipLimits>> = Object.freeze({
  maxEntryBytes: 2 ** 31,
  maxTotalBytes: 2 ** 33,
  maxEntries: 500_000,
  maxNestedArchiveBytes: 512 * 1024 * 1024,
  maxNestingDepth: 3,
});

/**
 * An archive broke a limit (zip bomb guard). Same code as any unreadable archive; its own class so
 * that the scan can tell it from a corrupt archive nested in the input, which is only reported.
 *
 * @example
 * ```ts
 * if (err instanceof ZipLimitError) throw err; // a bomb stops the scan, wherever it is nested
 * ```
 */
export class ZipLimitError extends AuditArchiveError {}

/**
 * What the archives of one scan have used of the limits so far.
 *
 * @example
 * ```ts
 * const budget = new ZipBudget({ maxEntryBytes: 2 ** 20, maxTotalBytes: 2 ** 24, maxEntries: 1000 });
 * await walkZip('app.apk', 'app.apk', visit, budget);
 * ```
 */
export class ZipBudget {
  readonly limits: Readonly<Required<ZipLimits>>;
  private total = 0;
  private count = 0;

  constructor(limits: ZipLimits = DEFAULT_ZIP_LIMITS) {
    this.limits = { ...DEFAULT_ZIP_LIMITS, ...limits };
  }

  /** Counts one entry of `archive`; throws {@link ZipLimitError} when a limit is broken. */
  take(archive: string, entry: yauzl.Entry): void {
    this.count++;
    if (this.count > this.limits.maxEntries) throw new ZipLimitError(archive, 'too many entries');
    if (entry.fileName.endsWith('/')) return;
    if (entry.uncompressedSize > this.limits.maxEntryBytes) {
      throw new ZipLimitError(archive, `entry ${entry.fileName} is larger than the limit`);
    }
    this.total += entry.uncompressedSize;
    if (this.total > this.limits.maxTotalBytes) {
      throw new ZipLimitError(archive, 'expands beyond the size limit');
    }
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const OPTIONS: yauzl.Options = {
  lazyEntries: true,
  autoClose: false,
  decodeStrings: true,
  validateEntrySizes: true,
};

function openZip(source: string | Buffer, displayName: string): Promise<yauzl.ZipFile> {
  return new Promise<yauzl.ZipFile>((resolve, reject) => {
    const done = (err: Error | null, z: yauzl.ZipFile) => {
      if (err === null) return resolve(z);
      // A file system error is an unreadable file; anything else is the archive's content.
      const code = (err as Error & { code?: unknown }).code;
      reject(
        typeof code === 'string'
          ? new AuditUnreadableError(displayName, code, { cause: err })
          : new AuditArchiveError(displayName, message(err), { cause: err }),
      );
    };
    if (typeof source === 'string') yauzl.open(source, OPTIONS, done);
    else yauzl.fromBuffer(source, OPTIONS, done);
  });
}

/**
 * Visits every file entry of the archive (a path on disk or the bytes of a nested archive), in
 * central-directory order. Entry paths are the archive's own; `displayName` names the archive in
 * errors.
 *
 * @example
 * ```ts
 * await walkZip('app.apk', 'app.apk', async (entry) => console.log(entry.path));
 * ```
 */
export async function walkZip(
  source: string | Buffer,
  displayName: string,
  visit: EntryVisitor,
  budget: ZipBudget = new ZipBudget(),
): Promise<void> {
  const zip = await openZip(source, displayName);
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (err: unknown) =>
        reject(new AuditArchiveError(displayName, message(err), { cause: err })),
      );
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        const step = async () => {
          budget.take(displayName, entry);
          if (entry.fileName.endsWith('/')) return;
          const failed = (err: unknown) =>
            new AuditArchiveError(displayName, `${entry.fileName}: ${message(err)}`, { cause: err });
          const stream = () =>
            new Promise<Readable>((res, rej) => {
              zip.openReadStream(entry, (err, s) => (err ? rej(failed(err)) : res(s)));
            });
          await visit({
            path: entry.fileName,
            size: entry.uncompressedSize,
            stream,
            read: async () => {
              const s = await stream();
              // One buffer of the declared size (yauzl checks that the inflated size matches it).
              const out = Buffer.allocUnsafe(entry.uncompressedSize);
              let at = 0;
              try {
                for await (const chunk of s) {
                  const bytes = chunk as Buffer;
                  if (at + bytes.length > out.length) throw new Error('more bytes than declared');
                  bytes.copy(out, at);
                  at += bytes.length;
                }
              } catch (err) {
                s.destroy();
                throw failed(err);
              }
              if (at !== out.length) throw failed(new Error('fewer bytes than declared'));
              return out;
            },
          });
        };
        step().then(
          () => zip.readEntry(),
          (err: unknown) => reject(err),
        );
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

/** The magic that ends an APK Signing Block, just before the central directory. */
const SIGNING_BLOCK_MAGIC = Buffer.from('APK Sig Block 42', 'latin1');
/** The end-of-central-directory record: 22 bytes, plus a comment of up to 65,535. */
const EOCD_MAX = 22 + 0xffff;

/**
 * Whether a zip holds an APK Signing Block (the v2, v3 and v4 signatures live there) right before
 * its central directory, as apksigner finds it: the 16-byte magic ends at the directory's offset.
 * Undefined when the end records cannot be read (not a zip, zip64): then nothing is claimed.
 * Written here because yauzl does not expose the directory's offset.
 *
 * @example
 * ```ts
 * if ((await hasApkSigningBlock('app-release.apk')) === false) console.log('v1 signatures only');
 * ```
 */
export async function hasApkSigningBlock(source: string | Buffer): Promise<boolean | undefined> {
  const read = async (offset: number, length: number): Promise<Buffer | undefined> => {
    if (offset < 0 || length <= 0) return undefined;
    if (typeof source !== 'string') {
      return offset + length <= source.length ? source.subarray(offset, offset + length) : undefined;
    }
    const handle = await open(source, 'r');
    try {
      const out = Buffer.alloc(length);
      const { bytesRead } = await handle.read(out, 0, length, offset);
      return bytesRead === length ? out : undefined;
    } finally {
      await handle.close();
    }
  };
  const size =
    typeof source === 'string'
      ? await open(source, 'r').then(async (h) => {
          try {
            return (await h.stat()).size;
          } finally {
            await h.close();
          }
        })
      : source.length;
  const tailLength = Math.min(size, EOCD_MAX);
  const tail = await read(size - tailLength, tailLength);
  if (tail === undefined) return undefined;
  for (let at = tail.length - 22; at >= 0; at--) {
    if (tail.readUInt32LE(at) !== 0x06054b50) continue;
    // The comment must run exactly to the end, or this is a signature inside a comment.
    if (at + 22 + tail.readUInt16LE(at + 20) !== tail.length) continue;
    const directory = tail.readUInt32LE(at + 16);
    if (directory === 0xffffffff) return undefined;
    const magic = await read(directory - SIGNING_BLOCK_MAGIC.length, SIGNING_BLOCK_MAGIC.length);
    return magic !== undefined && magic.equals(SIGNING_BLOCK_MAGIC);
  }
  return undefined;
}
