/**
 * How the wipe coordinator (`Wiper`) reaches inside a vault without widening its public API: the
 * vault registers these functions for itself when it is made. The coordinator takes over every
 * wipe the vault starts (the failed-unlock limit, `vault.wipe()`), and calls the vault's own key
 * destruction directly, outside the vault's operation queue — a wipe started by an unlock that
 * holds that queue would otherwise wait for it forever.
 */

import type { TombstoneReason } from './state.js';

/** Why the vault asks for a wipe. */
export type VaultWipeReason = 'failed_unlocks' | 'manual';

/** The coordinator's side of the link. */
export interface VaultWipeCoordinator {
  wipe(reason: VaultWipeReason): Promise<unknown>;
  /** The vault was initialized anew after a wipe: the next wipe is a new one. */
  renewed(): void;
}

/** The vault's side of the link. */
export interface VaultWipeLink {
  /** Hands the vault's wipes to `coordinator` from now on (replacing any earlier one). */
  attach(coordinator: VaultWipeCoordinator): void;
  /** Locks the vault and refuses every operation from now on (synchronous). */
  begin(): void;
  /**
   * Destroys the vault's wrapped keys (a tombstone that keeps `reason` replaces the state), then
   * its keystore keys.
   */
  shred(reason: TombstoneReason): Promise<void>;
  /**
   * The reason kept by a tombstone the vault found when it opened (`null` when it kept none), or
   * `undefined` when it opened live or new: a tombstone still there means a wipe that a crash cut
   * short before the store that holds it was destroyed.
   */
  tombstoneAtOpen(): TombstoneReason | null | undefined;
  /** The listeners registered with `vault.onWipe`, in order. */
  listeners(): ReadonlyArray<() => unknown>;
}

/** Filled by each vault's constructor. */
export const vaultWipeLinks = new WeakMap<object, VaultWipeLink>();
