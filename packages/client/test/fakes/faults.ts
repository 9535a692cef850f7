/**
 * Crash injection: wraps a keystore and a vault storage so that every mutating call spends one
 * unit of a shared budget, and the call after the budget is spent throws before doing anything,
 * as if the process had died between two writes.
 */
import type { Keystore, VaultStorage } from '../../src/index.js';

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
