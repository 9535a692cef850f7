/**
 * Crash injection: wraps a keystore, a vault storage, a store backend and a file storage so that
 * every mutating call spends one unit of a shared budget, and every call after the budget is
 * spent throws before doing anything, as if the process had died between two writes.
 */
import type { FileStorage, Keystore, StoreBackend, VaultStorage } from '../../src/index.js';

export class Crash extends Error {
  constructor() {
    super('injected crash');
  }
}

export class FaultBudget {
  remaining = Number.POSITIVE_INFINITY;
  writes = 0;

  spend(): void {
    if (this.remaining <= 0) throw new Crash();
    this.remaining -= 1;
    this.writes += 1;
  }
}

export function faultyKeystore(inner: Keystore, budget: FaultBudget): Keystore {
  return {
    protection: inner.protection,
    getSecret: (n, o) => inner.getSecret(n, o),
    getKey: (n, o) => inner.getKey(n, o),
    async setSecret(n, v, o) {
      budget.spend();
      return inner.setSecret(n, v, o);
    },
    async deleteSecret(n) {
      budget.spend();
      return inner.deleteSecret(n);
    },
    async createKey(n, o) {
      budget.spend();
      return inner.createKey(n, o);
    },
    async deleteKey(n) {
      budget.spend();
      return inner.deleteKey(n);
    },
    async clear() {
      budget.spend();
      return inner.clear();
    },
  };
}

export function faultyStorage(inner: VaultStorage, budget: FaultBudget): VaultStorage {
  return {
    read: () => inner.read(),
    async write(record) {
      budget.spend();
      return inner.write(record);
    },
    async delete() {
      budget.spend();
      return inner.delete();
    },
  };
}

export function faultyBackend(inner: StoreBackend, budget: FaultBudget): StoreBackend {
  return {
    kind: inner.kind,
    get: (c, id) => inner.get(c, id),
    list: (c, options) => inner.list(c, options),
    findByTerm: (c, term) => inner.findByTerm(c, term),
    expired: (c, before, limit) => inner.expired(c, before, limit),
    staleKeys: (keyId, limit, c) => inner.staleKeys(keyId, limit, c),
    getMeta: (key) => inner.getMeta(key),
    close: () => inner.close(),
    async write(ops) {
      budget.spend();
      return inner.write(ops);
    },
    async destroy() {
      budget.spend();
      return inner.destroy();
    },
  };
}

export function faultyFileStorage(inner: FileStorage, budget: FaultBudget): FileStorage {
  return {
    read: (id) => inner.read(id),
    ...(inner.list === undefined ? {} : { list: () => (inner.list as () => Promise<string[]>)() }),
    async write(id, stream) {
      budget.spend();
      return inner.write(id, stream);
    },
    async delete(id) {
      budget.spend();
      return inner.delete(id);
    },
    async destroy() {
      budget.spend();
      return inner.destroy();
    },
  };
}
