/**
 * Walks a zip archive (APK, AAB, IPA) with yauzl, entry by entry from the central directory:
 * nothing is extracted to disk and large entries are streamed. yauzl rejects unsafe entry names
 * and checks each entry's declared sizes against what inflates; we add limits on the total size
 * so a zip bomb ends the scan with a clear error instead of eating the machine.
 */
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { AuditArchiveError } from '../errors.js';
import type { EntryVisitor } from './entry.js';

/** Limits on what an archive may expand to. */
export interface ZipLimits {
  /** Largest single entry, uncompressed (default 2 GiB). */
  maxEntryBytes: number;
  /** Total uncompressed bytes of all entries (default 8 GiB). */
  maxTotalBytes: number;
  /** Number of entries (default 500 000). */
  maxEntries: number;
}

const DEFAULT_LIMITS: ZipLimits = { maxEntryBytes: 2 ** 31, maxTotalBytes: 2 ** 33, maxEntries: 500_000 };

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Visits every file entry of the archive, in central-directory order.
 *
 * @example
 * ```ts
 * await walkZip('app.apk', 'app.apk', async (entry) => console.log(entry.path));
 * ```
 */
export async function walkZip(
  file: string,
  displayName: string,
  visit: EntryVisitor,
  limits: ZipLimits = DEFAULT_LIMITS,
): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      yauzl.open(
        file,
        { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true },
        (err, z) => (err ? reject(err) : resolve(z)),
      );
    });
  } catch (err) {
    throw new AuditArchiveError(displayName, message(err), { cause: err });
  }
  let total = 0;
  let count = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (err: unknown) =>
        reject(new AuditArchiveError(displayName, message(err), { cause: err })),
      );
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        const step = async () => {
          count++;
          if (count > limits.maxEntries) throw new AuditArchiveError(displayName, 'too many entries');
          if (entry.fileName.endsWith('/')) return;
          if (entry.uncompressedSize > limits.maxEntryBytes) {
            throw new AuditArchiveError(displayName, `entry ${entry.fileName} is larger than the limit`);
          }
          total += entry.uncompressedSize;
          if (total > limits.maxTotalBytes) {
            throw new AuditArchiveError(displayName, 'expands beyond the size limit');
          }
          const stream = () =>
            new Promise<Readable>((res, rej) => {
              zip.openReadStream(entry, (err, s) =>
                err
                  ? rej(
                      new AuditArchiveError(displayName, `${entry.fileName}: ${message(err)}`, {
                        cause: err,
                      }),
                    )
                  : res(s),
              );
            });
          await visit({
            path: entry.fileName,
            size: entry.uncompressedSize,
            stream,
            read: async () => {
              const s = await stream();
              const chunks: Buffer[] = [];
              try {
                for await (const chunk of s) chunks.push(chunk as Buffer);
              } catch (err) {
                throw new AuditArchiveError(displayName, `${entry.fileName}: ${message(err)}`, {
                  cause: err,
                });
              }
              return Buffer.concat(chunks);
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
