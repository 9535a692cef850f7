/**
 * Key store files built byte by byte for the tests: JKS and BKS stores holding trusted
 * certificates or key entries (with placeholder bytes, never a real key), and the first bytes of
 * a PKCS#12 file.
 */

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const utf = (s: string) => Buffer.concat([Buffer.from([0, s.length]), Buffer.from(s)]);
const DATE = Buffer.alloc(8, 1);
const CERT = Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x0a]), Buffer.alloc(266, 7)]);
const X509 = utf('X.509');
/** A JKS (version 2): trusted-certificate entries (tag 2), or a private-key entry (tag 1). */
export const jks = (entries: ('cert' | 'key')[]) =>
  Buffer.concat([
    u32(0xfeedfeed),
    u32(2),
    u32(entries.length),
    ...entries.map((e, i) =>
      e === 'cert'
        ? Buffer.concat([u32(2), utf(`ca${i}`), DATE, X509, u32(CERT.length), CERT])
        : Buffer.concat([
            u32(1),
            utf(`key${i}`),
            DATE,
            u32(32),
            Buffer.alloc(32, 9),
            u32(1),
            X509,
            u32(CERT.length),
            CERT,
          ]),
    ),
    Buffer.alloc(20, 3), // the integrity digest
  ]);
/** A BKS (version 2): certificate entries (type 1), or a sealed key entry (type 4). */
export const bks = (entries: ('cert' | 'key')[]) =>
  Buffer.concat([
    u32(2),
    u32(20),
    Buffer.alloc(20, 5),
    u32(1024),
    ...entries.map((e, i) =>
      e === 'cert'
        ? Buffer.concat([Buffer.from([1]), utf(`ca${i}`), DATE, u32(0), X509, u32(CERT.length), CERT])
        : Buffer.concat([Buffer.from([4]), utf(`key${i}`), DATE, u32(0), u32(48), Buffer.alloc(48, 9)]),
    ),
    Buffer.from([0]),
    Buffer.alloc(20, 3), // the MAC
  ]);

/** The first bytes of a PKCS#12 file: SEQUENCE { INTEGER 3, SEQUENCE { id-data, … } }, then filler. */
export const pkcs12 = (): Buffer =>
  Buffer.concat([
    Buffer.from([0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03, 0x30, 0x82, 0x00, 0xf0]),
    Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]),
    Buffer.alloc(240, 4),
  ]);
