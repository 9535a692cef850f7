/**
 * Canary scanning: random markers put into sensitive fields, then searched for in every file
 * under a folder in every encoding a careless write could use: raw UTF-8, base64 at each of the
 * three byte alignments, base64url, hex in both cases, UTF-16 in both byte orders.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export function canary(): string {
  return `cnry${randomBytes(12).toString('hex')}`;
}

function base64Variants(bytes: Buffer, url: boolean): string[] {
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const text = Buffer.concat([Buffer.alloc(shift), bytes]).toString(url ? 'base64url' : 'base64');
    // Drop the characters that depend on the unknown neighbouring bytes at both ends.
    const start = Math.ceil((shift * 4) / 3) + 1;
    const end = Math.floor(((shift + bytes.length) * 4) / 3) - 1;
    out.push(text.slice(start, end));
  }
  return out;
}

export function encodings(value: string): Buffer[] {
  const bytes = Buffer.from(value, 'utf8');
  const utf16le = Buffer.from(value, 'utf16le');
  const utf16be = Buffer.from(utf16le).swap16();
  return [
    bytes,
    ...base64Variants(bytes, false).map((s) => Buffer.from(s)),
    ...base64Variants(bytes, true).map((s) => Buffer.from(s)),
    Buffer.from(bytes.toString('hex')),
    Buffer.from(bytes.toString('hex').toUpperCase()),
    utf16le,
    utf16be,
  ];
}

export async function filesUnder(folder: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Every (file, canary) pair where some encoding of the canary occurs in the file. */
export async function scan(folder: string, canaries: readonly string[]): Promise<string[]> {
  // Index every encoded form by its first four bytes, then make one pass over each file: a map
  // lookup per byte offset, a full comparison only when the first four bytes match.
  const byPrefix = new Map<number, { value: string; bytes: Buffer }[]>();
  for (const value of canaries) {
    for (const bytes of encodings(value)) {
      const key = bytes.readUInt32LE(0);
      const list = byPrefix.get(key) ?? [];
      list.push({ value, bytes });
      byPrefix.set(key, list);
    }
  }
  const hits = new Set<string>();
  for (const file of await filesUnder(folder)) {
    // A temporary file renamed away while the scan runs (an atomic write finishing) is skipped:
    // its content is under the final name, which this scan reads if it was listed, a later one if not.
    const content = await readFile(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    });
    for (let i = 0; i + 4 <= content.length; i++) {
      const candidates = byPrefix.get(content.readUInt32LE(i));
      if (candidates === undefined) continue;
      for (const { value, bytes } of candidates) {
        // A prefix that matches too near the end to hold the whole form is no hit (and past the
        // end, compare() throws).
        if (i + bytes.length > content.length) continue;
        if (content.compare(bytes, 0, bytes.length, i, i + bytes.length) === 0) hits.add(`${file}: ${value}`);
      }
    }
  }
  return [...hits];
}
