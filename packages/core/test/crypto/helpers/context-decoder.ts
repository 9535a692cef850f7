/**
 * An independent decoder of the context encoding as docs/crypto.md lays it out. The tests use it
 * to show that the encoding is injective (decode(encode(c)) gives c back, so no two contexts can
 * share an encoding) and canonical (keys strictly ascending by UTF-8 bytes, nothing left over).
 */
const decoder = new TextDecoder('utf-8', { fatal: true });

export function decodeContext(bytes: Uint8Array): Record<string, string | number> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (n: number) => {
    if (at + n > bytes.length) throw new Error('truncated context encoding');
    const start = at;
    at += n;
    return start;
  };
  const out: Record<string, string | number> = Object.create(null);
  const count = view.getUint8(need(1));
  let previous: Uint8Array | undefined;
  for (let i = 0; i < count; i++) {
    const keyLength = view.getUint8(need(1));
    const keyBytes = bytes.slice(need(keyLength), at);
    if (previous !== undefined && compare(previous, keyBytes) >= 0)
      throw new Error('keys not strictly ascending');
    previous = keyBytes;
    const key = decoder.decode(keyBytes);
    const type = view.getUint8(need(1));
    if (type === 0x01) {
      const length = view.getUint16(need(2));
      out[key] = decoder.decode(bytes.slice(need(length), at));
    } else if (type === 0x02) {
      out[key] = Number(view.getBigInt64(need(8)));
    } else {
      throw new Error(`unknown type tag ${type}`);
    }
  }
  if (at !== bytes.length) throw new Error('trailing bytes after context encoding');
  return out;
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const diff = (a[i] as number) - (b[i] as number);
    if (diff !== 0) return diff;
  }
  return a.length - b.length;
}
