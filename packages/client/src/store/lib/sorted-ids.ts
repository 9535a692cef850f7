/**
 * A sorted set of ids for the in-memory backend's ordered listing, with binary-search insert
 * and delete. Ids compare as JavaScript strings (UTF-16 code units); the SDK's ids are ASCII, so
 * this is the same order as SQLite's BINARY collation and IndexedDB's key order.
 */
export class SortedIds {
  readonly #ids: string[] = [];

  #search(id: string): number {
    let lo = 0;
    let hi = this.#ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#ids[mid] as string) < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(id: string): void {
    const at = this.#search(id);
    if (this.#ids[at] !== id) this.#ids.splice(at, 0, id);
  }

  delete(id: string): void {
    const at = this.#search(id);
    if (this.#ids[at] === id) this.#ids.splice(at, 1);
  }

  /** Ids strictly after `after`, at most `limit`. */
  page(after: string | undefined, limit: number): string[] {
    const start =
      after === undefined ? 0 : this.#search(after) + (this.#ids[this.#search(after)] === after ? 1 : 0);
    return this.#ids.slice(start, start + limit);
  }
}
