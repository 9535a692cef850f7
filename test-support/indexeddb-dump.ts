/**
 * Reads every value of every IndexedDB database of the current origin as text, for the tests that
 * look for plaintext left in browser storage: the client's browser entry calls it in its bundle,
 * the demo's screen tests hand it to Playwright's `page.evaluate`. Playwright sends the function's
 * source text into the page, so it must stay self-contained: no imports, no outer names.
 */

/**
 * Every value of every IndexedDB database of the origin, as text: bytes as latin1, keys as
 * `[CryptoKey extractable=…]`, blobs as `[Blob size]`, objects as `k=v;…`.
 *
 * @example
 * ```ts
 * const dump = await page.evaluate(dumpIndexedDb);
 * expect(dump).not.toContain(secret);
 * ```
 */
export async function dumpIndexedDb(): Promise<string> {
  const out: string[] = [];
  const text = (value: unknown): string => {
    if (value instanceof ArrayBuffer)
      return Array.from(new Uint8Array(value), (b) => String.fromCharCode(b)).join('');
    if (ArrayBuffer.isView(value)) {
      return Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength), (b) =>
        String.fromCharCode(b),
      ).join('');
    }
    if (value instanceof CryptoKey) return `[CryptoKey extractable=${value.extractable}]`;
    if (value instanceof Blob) return `[Blob ${value.size}]`;
    if (Array.isArray(value)) return value.map(text).join(',');
    if (value !== null && typeof value === 'object') {
      return Object.entries(value)
        .map(([k, v]) => `${k}=${text(v)}`)
        .join(';');
    }
    return String(value);
  };
  for (const info of await indexedDB.databases()) {
    const name = info.name as string;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    for (const storeName of Array.from(db.objectStoreNames)) {
      const values = await new Promise<unknown[]>((resolve, reject) => {
        const request = db.transaction(storeName).objectStore(storeName).getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      out.push(`${name}/${storeName}: ${values.map(text).join(' | ')}`);
    }
    db.close();
  }
  return out.join('\n');
}
