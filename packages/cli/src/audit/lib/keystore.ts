/**
 * Tells a key store from a truststore by reading its entry table: a Java key store (JKS, JCEKS)
 * or a Bouncy Castle store (BKS) that holds only trusted certificates ships public data (a
 * truststore, often the CA or leaf an app pins); one with a private, secret or sealed key entry
 * ships a key. Only the entry types and the lengths needed to step over certificates are read;
 * nothing is decrypted and no integrity check is made. A store this cannot read (PKCS#12, whose
 * contents are encrypted, another format, a truncated file) is `unknown`, and the caller treats
 * it as a key store.
 */

/** What a key store file holds, as far as its entry table tells. */
export type KeyStoreContents = 'keys' | 'certificates' | 'unknown';

class Reader {
  at = 0;
  constructor(private readonly bytes: Uint8Array) {}
  has(n: number): boolean {
    return this.at + n <= this.bytes.length;
  }
  u8(): number {
    if (!this.has(1)) throw new RangeError('truncated');
    return this.bytes[this.at++] as number;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  u32(): number {
    return ((this.u16() << 16) | this.u16()) >>> 0;
  }
  skip(n: number): void {
    if (!this.has(n)) throw new RangeError('truncated');
    this.at += n;
  }
  /** Java's `DataOutput.writeUTF`: a 16-bit length, then the bytes. */
  skipUtf(): void {
    this.skip(this.u16());
  }
}

const JKS_MAGIC = 0xfeedfeed;
const JCEKS_MAGIC = 0xcececece;

function javaKeyStore(r: Reader): KeyStoreContents {
  const version = r.u32();
  if (version !== 1 && version !== 2) return 'unknown';
  const count = r.u32();
  if (count === 0) return 'unknown';
  for (let i = 0; i < count; i++) {
    const tag = r.u32();
    // 1: private key, 3 (JCEKS): secret key.
    if (tag === 1 || tag === 3) return 'keys';
    if (tag !== 2) return 'unknown';
    r.skipUtf(); // alias
    r.skip(8); // date
    if (version === 2) r.skipUtf(); // certificate type
    r.skip(r.u32());
  }
  return 'certificates';
}

function bouncyCastleStore(r: Reader): KeyStoreContents {
  const version = r.u32();
  if (version > 2) return 'unknown';
  const salt = r.u32();
  if (salt > 1024) return 'unknown';
  r.skip(salt);
  r.skip(4); // iteration count
  let entries = 0;
  for (let type = r.u8(); type !== 0; type = r.u8()) {
    // 2: key, 3: secret, 4: sealed (encrypted) key.
    if (type === 2 || type === 3 || type === 4) return 'keys';
    if (type !== 1) return 'unknown';
    r.skipUtf(); // alias
    r.skip(8); // date
    const chain = r.u32();
    // A trusted-certificate entry has no chain; anything else is not a truststore entry.
    if (chain !== 0) return 'unknown';
    r.skipUtf(); // certificate type
    r.skip(r.u32());
    entries++;
  }
  return entries > 0 ? 'certificates' : 'unknown';
}

/**
 * What a JKS, JCEKS or BKS file holds: `keys` when any entry is a private, secret or sealed key,
 * `certificates` when every entry is a trusted certificate, else `unknown`.
 *
 * @example
 * ```ts
 * if (keyStoreContents(await readFile('app/src/main/res/raw/truststore.bks')) === 'certificates') {
 *   // a truststore: public certificates only
 * }
 * ```
 */
export function keyStoreContents(bytes: Uint8Array): KeyStoreContents {
  const r = new Reader(bytes);
  try {
    if (!r.has(4)) return 'unknown';
    const magic = r.u32();
    if (magic === JKS_MAGIC || magic === JCEKS_MAGIC) return javaKeyStore(r);
    r.at = 0;
    return bouncyCastleStore(r);
  } catch {
    return 'unknown';
  }
}

/** PKCS#9 friendlyName (1.2.840.113549.1.9.20), the alias of a PKCS#12 bag, as DER. */
const FRIENDLY_NAME_OID = Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x14]);

/**
 * The aliases of a key store's key entries that can be read without a password: in a JKS or
 * JCEKS, the alias of every entry up to the first one whose length is not known; in a PKCS#12,
 * the friendlyName attributes of bags kept outside an encrypted container (keytool writes the key
 * bag's that way). Nothing is decrypted; aliases longer than 64 characters are not read.
 *
 * @example
 * ```ts
 * keyStoreAliases(await readFile('debug.keystore')); // ['androiddebugkey']
 * ```
 */
export function keyStoreAliases(bytes: Uint8Array): string[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const aliases: string[] = [];
  if (buf.length >= 12 && (buf.readUInt32BE(0) === JKS_MAGIC || buf.readUInt32BE(0) === JCEKS_MAGIC)) {
    // Each entry starts with its tag and its alias; reading the first is enough to name a store
    // that holds one key, which signing keystores do.
    if (buf.length >= 18) {
      const length = buf.readUInt16BE(16);
      if (length <= 64 && 18 + length <= buf.length)
        aliases.push(buf.subarray(18, 18 + length).toString('utf8'));
    }
    return aliases;
  }
  for (let at = buf.indexOf(FRIENDLY_NAME_OID); at >= 0 && aliases.length < 16; ) {
    // OID, then SET { BMPString }: 0x31 len 0x1e len UTF-16BE.
    const p = at + FRIENDLY_NAME_OID.length;
    if (buf[p] === 0x31 && buf[p + 2] === 0x1e) {
      const length = buf[p + 3] as number;
      if (length <= 128 && p + 4 + length <= buf.length) {
        const utf16be = Buffer.from(buf.subarray(p + 4, p + 4 + length));
        aliases.push(utf16be.swap16().toString('utf16le'));
      }
    }
    at = buf.indexOf(FRIENDLY_NAME_OID, p);
  }
  return aliases;
}

/** The format of a key store, told by its first bytes. */
export type KeyStoreFormat = 'JKS' | 'JCEKS' | 'PKCS#12' | 'BKS';

/** DER length at `at`: [length, offset of the content], or undefined. */
function derLength(bytes: Uint8Array, at: number): [number, number] | undefined {
  const first = bytes[at];
  if (first === undefined) return undefined;
  if (first < 0x80) return [first, at + 1];
  // Indefinite length (BER), as some PKCS#12 writers use.
  if (first === 0x80) return [-1, at + 1];
  const n = first & 0x7f;
  if (n > 4 || at + 1 + n > bytes.length) return undefined;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + (bytes[at + 1 + i] as number);
  return [length, at + 1 + n];
}

/** id-data, 1.2.840.113549.1.7.1, as DER: the content type of a PKCS#12 file's authSafe. */
const PKCS7_DATA = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];

/**
 * The key store format of a file, by its first bytes, whatever its name: JKS (`FEEDFEED`), JCEKS
 * (`CECECECE`), PKCS#12 (a DER `PFX`: SEQUENCE { INTEGER 3, SEQUENCE { id-data, … } }) or a
 * Bouncy Castle BKS store (version 1 or 2, a 20-byte salt, a sane iteration count and a known
 * first entry type), else undefined.
 *
 * @example
 * ```ts
 * keyStoreFormat(await readFile('assets/client')); // 'PKCS#12'
 * ```
 */
export function keyStoreFormat(bytes: Uint8Array): KeyStoreFormat | undefined {
  if (bytes.length < 16) return undefined;
  const u32 = (at: number) =>
    (((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)) >>>
    0;
  const magic = u32(0);
  if (magic === JKS_MAGIC) return 'JKS';
  if (magic === JCEKS_MAGIC) return 'JCEKS';
  if (bytes[0] === 0x30) {
    const outer = derLength(bytes, 1);
    if (outer !== undefined) {
      const at = outer[1];
      if (bytes[at] === 0x02 && bytes[at + 1] === 0x01 && bytes[at + 2] === 0x03 && bytes[at + 3] === 0x30) {
        const inner = derLength(bytes, at + 4);
        if (inner !== undefined && PKCS7_DATA.every((b, i) => bytes[inner[1] + i] === b)) return 'PKCS#12';
      }
    }
  }
  const version = magic;
  if ((version === 1 || version === 2) && u32(4) === 20 && bytes.length > 33) {
    const iterations = u32(28);
    const firstType = bytes[32] as number;
    if (iterations >= 1 && iterations <= 1_000_000 && firstType >= 1 && firstType <= 4) return 'BKS';
  }
  return undefined;
}
