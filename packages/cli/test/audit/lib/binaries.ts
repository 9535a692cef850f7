/**
 * Minimal native binaries built byte by byte for the tests: a 64-bit little-endian ELF file with
 * the program headers asked for, and a thin 64-bit Mach-O header with the flags asked for, each
 * followed by the symbol names given (as a string table would hold them).
 */

export const PT_DYNAMIC = 2;
export const PT_GNU_STACK = 0x6474e551;
export const PT_GNU_RELRO = 0x6474e552;

/** An ELF64 LE file of `type` (2 executable, 3 shared object) with these program headers. */
export function elf(
  type: 2 | 3,
  headers: { type: number; flags?: number }[],
  symbols: string[] = [],
): Buffer {
  const head = Buffer.alloc(64);
  head.writeUInt32BE(0x7f454c46, 0);
  head[4] = 2; // 64-bit
  head[5] = 1; // little-endian
  head[6] = 1;
  head.writeUInt16LE(type, 16);
  head.writeUInt16LE(0xb7, 18); // AArch64
  head.writeUInt32LE(1, 20);
  head.writeBigUInt64LE(64n, 32); // e_phoff
  head.writeUInt16LE(64, 52);
  head.writeUInt16LE(56, 54);
  head.writeUInt16LE(headers.length, 56);
  const phdrs = headers.map((h) => {
    const p = Buffer.alloc(56);
    p.writeUInt32LE(h.type, 0);
    p.writeUInt32LE(h.flags ?? 4, 4);
    return p;
  });
  return Buffer.concat([head, ...phdrs, Buffer.from(`\0${symbols.join('\0')}\0`, 'latin1')]);
}

/** A thin Mach-O 64 LE header of `filetype` (2 executable, 6 dylib) with `flags`, then symbols. */
export function machO(filetype: number, flags: number, symbols: string[] = []): Buffer {
  const head = Buffer.alloc(32);
  head.writeUInt32BE(0xcffaedfe, 0);
  head.writeUInt32LE(0x0100000c, 4); // arm64
  head.writeUInt32LE(filetype, 12);
  head.writeUInt32LE(flags, 24);
  return Buffer.concat([head, Buffer.from(`\0${symbols.join('\0')}\0`, 'latin1')]);
}

export const MH_PIE = 0x200000;
