/**
 * The wipe coordinator: one wipe path for every trigger — revocation (the transport), the
 * failed-unlock limit and `vault.wipe()` (the vault hands them over), the offline grace period,
 * sign-out, and the app's own request. It knows every key, secure item, session and data set the
 * app registered, open or not, and destroys them in one order (docs/client.md, "Wipe"):
 *
 * 1. when the server revoked the device, the wipe receipt is signed (it needs the device key) and
 *    saved in the outbox, which the wipe never touches;
 * 2. crypto-shredding: the vault's wrapped keys are replaced by a tombstone (which keeps the
 *    reason), then every keystore is cleared (vault key-encryption keys, secure items, the
 *    refresh token, device keys kept as keystore secrets), device key storages and session
 *    stores are emptied — whatever data survives below is unreadable from here on;
 * 3. the data: every store backend (with its sync outbox) and file storage, open or not, the
 *    backend that holds the vault's tombstone last, so that a wipe a crash cut short leaves the
 *    tombstone for the next start to find;
 * 4. the vault's `onWipe` listeners, the receipt's delivery, and `onWiped`.
 *
 * Each step runs even when an earlier one failed; the failures are reported together at the end
 * (`wipe_incomplete`). Calls that come while a wipe runs, from anywhere, get the same promise; a
 * callback of step 4 that calls `wipe()` and waits for it is not waited for in turn, so a wipe
 * never deadlocks with app code.
 */
import { WIPE_RECEIPT_TYP } from '@bulwark/core/protocol';
import { SignJWT } from 'jose';
import type { Keystore } from '../keystore/keystore.js';
import { type Clock, systemClock } from '../lib/clock.js';
import { type CallbackRunner, SharedRun } from '../lib/shared-run.js';
import type { DeviceKey, DeviceKeyStorage } from '../transport/device-key.js';
import type { SessionStore } from '../transport/session.js';
import type { Transport } from '../transport/transport.js';
import { type VaultWipeCoordinator, type VaultWipeReason, vaultWipeLinks } from '../vault/lib/wipe-link.js';
import type { Vault } from '../vault/vault.js';
import { WipeIncompleteError } from './errors.js';
import { type ReceiptOutbox, sendPendingWipeReceipt } from './receipt-outbox.js';

/** Why a wipe happened. */
export type WipeReason = 'device_revoked' | 'logout' | 'offline_grace_expired' | 'failed_unlocks' | 'manual';

/**
 * What a wipe did.
 *
 * @example
 * ```ts
 * const { receiptSent } = await wiper.wipe('device_revoked');
 * ```
 */
export interface WipeResult {
  readonly reason: WipeReason;
  /** The signed receipt reached the server (device_revoked only). */
  readonly receiptSent: boolean;
}

/**
 * Something a wipe deletes: a store backend, a file storage, or anything of the app's own.
 *
 * @example
 * ```ts
 * const data: Destroyable = await SqliteBackend.open({ path: 'data/store.db' });
 * ```
 */
export interface Destroyable {
  /** Deletes everything it holds; calling it again afterwards is harmless. */
  destroy(): Promise<void>;
}

/**
 * What a wipe destroys besides the vault, its keystore and the transport's session. Give them
 * to the `Wiper`'s options or to `wiper.register()`.
 *
 * @example
 * ```ts
 * const targets: WipeTargets = { data: [backend, fileStorage], sessions: [sessions] };
 * ```
 */
export interface WipeTargets {
  /** More keystores to clear (secure items or keys kept apart from the vault's keystore). */
  readonly keystores?: readonly Keystore[];
  /** Device key storages (an `IndexedDbDeviceKeyStorage` keeps its key outside any keystore). */
  readonly deviceKeyStorages?: readonly DeviceKeyStorage[];
  /** Session stores (refresh tokens) not reached through the transport. */
  readonly sessions?: readonly SessionStore[];
  /**
   * Every store backend and file storage of the app, destroyed by the wipe whether or not the
   * app opened them in this session. (An open `EncryptedStore` or `EncryptedFiles` destroys its
   * own through the vault; a wipe that comes before they are opened — a revocation met at the
   * sign-in screen, wrong passcodes at the unlock screen — would otherwise leave their plain
   * fields and ciphertexts on disk.) A sync engine's outbox lives in its store backend. They are
   * destroyed in this order: put the backend that holds the vault's state last.
   */
  readonly data?: readonly Destroyable[];
}

/**
 * Options of {@link Wiper}.
 *
 * @example
 * ```ts
 * const options: WiperOptions = { vault, keystore, deviceKeys, deviceKey, deviceId, transport, data: [backend] };
 * ```
 */
export interface WiperOptions extends WipeTargets {
  /** The vault; its failed-unlock limit and `vault.wipe()` come to this Wiper from now on. */
  readonly vault: Vault;
  /** The keystore of the vault, secure items and the device key; cleared entirely. */
  readonly keystore: Keystore;
  readonly deviceKeys?: DeviceKeyStorage;
  /**
   * Signs the wipe receipt of a revoked device. Without it (or without `deviceId`) a revocation
   * still wipes but sends no receipt. A passcode-protected vault on Node keeps the device key
   * sealed until unlock, so at the unlock screen there may be none yet.
   */
  readonly deviceKey?: DeviceKey;
  readonly deviceId?: string;
  /** Its session is forgotten, its revocations start this wipe, and it carries the receipt. */
  readonly transport?: Transport;
  readonly clock?: Clock;
  /**
   * Keeps the signed receipt until the server has it (storage the wipe does not clear). Without
   * one, a receipt that cannot be sent at once is lost, and the server keeps the device as
   * revoked rather than wipe-confirmed.
   */
  readonly outbox?: ReceiptOutbox;
  /** Called once the wipe is complete, every step done (e.g. to show the enrollment screen). */
  readonly onWiped?: (result: WipeResult) => unknown;
}

export { WIPE_RECEIPT_TYP } from '@bulwark/core/protocol';

/**
 * Wipes this install: the single wipe path of the app.
 *
 * @example
 * ```ts
 * const wiper = new Wiper({ vault, keystore, deviceKeys, deviceKey, deviceId, transport, outbox, data: [backend, fileStorage] });
 * // The vault's wrong-passcode limit, vault.wipe() and the transport's device_revoked now wipe through it.
 * const grace = new OfflineGrace({ items, wiper });
 * await wiper.signOut(); // or wiper.wipe('manual')
 * ```
 */
export class Wiper {
  readonly #options: WiperOptions;
  readonly #keystores = new Set<Keystore>();
  readonly #deviceKeyStorages = new Set<DeviceKeyStorage>();
  readonly #sessions = new Set<SessionStore>();
  readonly #data = new Set<Destroyable>();
  readonly #run = new SharedRun<WipeResult>();
  readonly #fromVault: VaultWipeCoordinator = {
    wipe: (reason: VaultWipeReason) => this.wipe(reason),
    renewed: () => this.#run.reset(),
  };

  constructor(options: WiperOptions) {
    this.#options = options;
    this.#keystores.add(options.keystore);
    if (options.deviceKeys !== undefined) this.#deviceKeyStorages.add(options.deviceKeys);
    this.register(options);
    vaultWipeLinks.get(options.vault)?.attach(this.#fromVault);
    // The request still fails with `device_revoked`, whatever the wipe met; a wipe that could not
    // finish is tried again by the next trigger (or by the app's own `onDeviceRevoked`).
    options.transport?.onRevoked(() => this.wipe('device_revoked').catch(() => undefined));
  }

  /**
   * Adds keystores, device key storages, session stores or data sets to what the wipe destroys
   * (e.g. a file storage the app opens later). Returns a function that removes them again.
   *
   * @example
   * ```ts
   * const forget = wiper.register({ data: [new DirectoryFileStorage('data/files')] });
   * ```
   */
  register(targets: WipeTargets): () => void {
    const added: Array<() => void> = [];
    const add = <T>(set: Set<T>, items: readonly T[] | undefined) => {
      for (const item of items ?? []) {
        if (set.has(item)) continue;
        set.add(item);
        added.push(() => set.delete(item));
      }
    };
    add(this.#keystores, targets.keystores);
    add(this.#deviceKeyStorages, targets.deviceKeyStorages);
    add(this.#sessions, targets.sessions);
    add(this.#data, targets.data);
    return () => {
      for (const remove of added) remove();
    };
  }

  /**
   * Wipes. Every trigger ends here; calls made while a wipe runs (from a callback or anywhere
   * else) get the same promise, with the first caller's reason, and so do calls after it
   * succeeded — until the vault is initialized anew. Rejects with `WipeIncompleteError` when a
   * step failed (every other step still ran); the next call then tries again.
   *
   * @example
   * ```ts
   * await wiper.wipe('manual');
   * ```
   */
  wipe(reason: WipeReason): Promise<WipeResult> {
    return this.#run.run((callback) => this.#wipe(reason, callback));
  }

  /**
   * Signs out and wipes: ends the session on the server while the device key and refresh token
   * still exist (best effort: offline, the wipe goes ahead without it), then wipes (`logout`).
   *
   * @example
   * ```ts
   * await wiper.signOut();
   * ```
   */
  async signOut(): Promise<WipeResult> {
    if (!this.#run.started) {
      try {
        await this.#options.transport?.logout();
      } catch {
        // The server may be unreachable or the session already over: the local wipe matters more.
      }
    }
    return this.wipe('logout');
  }

  async #wipe(reason: WipeReason, callback: CallbackRunner): Promise<WipeResult> {
    const { vault, deviceKey, deviceId, transport, outbox } = this.#options;
    const link = vaultWipeLinks.get(vault);
    const errors: unknown[] = [];
    const step = async (action: () => Promise<unknown>) => {
      try {
        await action();
      } catch (err) {
        errors.push(err);
      }
    };

    const receipt = reason === 'device_revoked' ? await this.#signReceipt(deviceKey, deviceId) : undefined;
    // Saved before the device key goes: once it is gone, no receipt can be signed again.
    let saved = false;
    if (receipt !== undefined && outbox !== undefined) {
      await step(async () => {
        await outbox.save(receipt);
        saved = true;
      });
    }

    // Keys first: with them gone, whatever data survives below is unreadable. The vault's wrapped
    // keys before anything else: its tombstone marks the wipe as begun, so a crash at any later
    // point leaves an install that the next start recognises and finishes (createClient does).
    if (link !== undefined) link.begin();
    else vault.lock();
    await step(() => (link !== undefined ? link.shred(reason) : vault.wipe()));
    for (const keystore of this.#keystores) await step(() => keystore.clear());
    for (const storage of this.#deviceKeyStorages) await step(() => storage.delete());
    for (const sessions of this.#sessions) await step(() => sessions.clear());
    if (transport !== undefined) await step(() => transport.forget());

    // Then the data, open or not, in the order given: the backend that holds the vault's
    // tombstone belongs last.
    for (const storage of this.#data) await step(() => storage.destroy());

    // App code last, none of it waited for when it waits for this wipe.
    for (const listener of link?.listeners() ?? []) await step(() => callback(listener));
    let receiptSent = false;
    if (receipt !== undefined && transport !== undefined) {
      await callback(async () => {
        receiptSent = await this.#deliver(receipt, saved, transport);
      }).catch(() => undefined);
    }
    if (errors.length > 0) throw new WipeIncompleteError(errors);
    const result: WipeResult = { reason, receiptSent };
    await callback(() => this.#options.onWiped?.(result));
    return result;
  }

  async #signReceipt(deviceKey: DeviceKey | undefined, deviceId: string | undefined) {
    if (deviceKey === undefined || deviceId === undefined) return undefined;
    const clock = this.#options.clock ?? systemClock;
    try {
      return await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', typ: WIPE_RECEIPT_TYP })
        .setSubject(deviceId)
        .setIssuedAt(Math.floor(clock.now() / 1000))
        .sign(deviceKey.privateKey);
    } catch {
      // No receipt is no reason not to wipe.
      return undefined;
    }
  }

  async #deliver(receipt: string, saved: boolean, transport: Transport): Promise<boolean> {
    const outbox = this.#options.outbox;
    if (saved && outbox !== undefined) {
      try {
        return (await sendPendingWipeReceipt(outbox, transport)) === 'sent';
      } catch {
        // Whatever went wrong, the receipt stays in the outbox for the next try.
        return false;
      }
    }
    try {
      await transport.publicRequest('POST', '/devices/wipe-receipt', { receipt });
      return true;
    } catch {
      // Offline or refused, and nowhere to keep it: the wipe stands; the server keeps the
      // device as revoked.
      return false;
    }
  }
}
