/**
 * Remote and local wipe. Order matters (docs/client.md, "Wipe"): the wipe receipt is signed
 * first (it needs the device key), then every key is destroyed — the keystore's entries (vault
 * key-encryption keys, the refresh token, secure items) and the device key — so the data is
 * crypto-shredded even if deleting files fails; then the vault's wrapped keys and the data
 * (store, files) are deleted; last, when the server revoked the device, the receipt is sent.
 * With an outbox, the receipt is saved there before any key is destroyed and removed once the
 * server has it, so a receipt the network lost is sent later (`sendPendingWipeReceipt`).
 */
import { SignJWT } from 'jose';
import type { Keystore } from '../keystore/keystore.js';
import { type Clock, systemClock } from '../lib/clock.js';
import type { DeviceKey, DeviceKeyStorage } from '../transport/device-key.js';
import type { Transport } from '../transport/transport.js';
import type { Vault } from '../vault/vault.js';
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
 * Options of {@link Wiper}.
 *
 * @example
 * ```ts
 * const options: WiperOptions = { vault, keystore, deviceKeys, deviceKey, deviceId, transport };
 * ```
 */
export interface WiperOptions {
  readonly vault: Vault;
  readonly keystore: Keystore;
  readonly deviceKeys: DeviceKeyStorage;
  readonly deviceKey: DeviceKey;
  readonly deviceId: string;
  readonly transport?: Transport;
  readonly clock?: Clock;
  /**
   * Keeps the signed receipt until the server has it (storage the wipe does not clear). Without
   * one, a receipt that cannot be sent at once is lost, and the server keeps the device as
   * revoked rather than wipe-confirmed.
   */
  readonly outbox?: ReceiptOutbox;
  /**
   * Every store backend and file storage of the app, destroyed by the wipe whether or not the
   * app opened them in this session. (An open `EncryptedStore` or `EncryptedFiles` destroys its
   * own through the vault; a wipe that comes before they are opened — a revocation met at the
   * sign-in screen — would otherwise leave their plain fields and ciphertexts on disk.)
   */
  readonly data?: ReadonlyArray<{ destroy(): Promise<void> }>;
  /** Called once the wipe is complete (e.g. to show the enrollment screen). */
  readonly onWiped?: (result: WipeResult) => void;
}

/** JOSE `typ` of wipe receipts, as the server expects. */
export const WIPE_RECEIPT_TYP = 'bulwark-wipe+jwt';

/**
 * Wipes this install.
 *
 * @example
 * ```ts
 * const wiper = new Wiper({ vault, keystore, deviceKeys, deviceKey, deviceId, transport });
 * const transport = new Transport({ ...options, onDeviceRevoked: () => wiper.wipe('device_revoked').then(() => undefined) });
 * ```
 */
export class Wiper {
  readonly #options: WiperOptions;
  #running: Promise<WipeResult> | undefined;

  constructor(options: WiperOptions) {
    this.#options = options;
  }

  /**
   * Wipes; concurrent calls share one wipe.
   *
   * @example
   * ```ts
   * await wiper.wipe('logout');
   * ```
   */
  wipe(reason: WipeReason): Promise<WipeResult> {
    this.#running ??= this.#wipe(reason);
    return this.#running;
  }

  async #wipe(reason: WipeReason): Promise<WipeResult> {
    const { vault, keystore, deviceKeys, deviceKey, deviceId, transport, outbox } = this.#options;
    const clock = this.#options.clock ?? systemClock;
    const receipt =
      reason === 'device_revoked'
        ? await new SignJWT({})
            .setProtectedHeader({ alg: 'ES256', typ: WIPE_RECEIPT_TYP })
            .setSubject(deviceId)
            .setIssuedAt(Math.floor(clock.now() / 1000))
            .sign(deviceKey.privateKey)
        : undefined;
    // Saved before the device key goes: once it is gone, no receipt can be signed again.
    if (receipt !== undefined) await outbox?.save(receipt);
    // Keys first: with them gone, whatever data survives below is unreadable.
    vault.lock();
    await keystore.clear();
    await deviceKeys.delete();
    await transport?.forget();
    // Then the wrapped keys (tombstone) and the data, through the vault's wipe listeners, and
    // whatever data the app named that is not open.
    await vault.wipe();
    for (const storage of this.#options.data ?? []) await storage.destroy();
    let receiptSent = false;
    if (receipt !== undefined && transport !== undefined) {
      if (outbox !== undefined) {
        try {
          receiptSent = (await sendPendingWipeReceipt(outbox, transport)) === 'sent';
        } catch {
          // Whatever went wrong, the receipt stays in the outbox for the next try.
        }
      } else {
        try {
          await transport.publicRequest('POST', '/devices/wipe-receipt', { receipt });
          receiptSent = true;
        } catch {
          // Offline or refused, and nowhere to keep it: the wipe stands; the server keeps the
          // device as revoked.
        }
      }
    }
    const result = { reason, receiptSent };
    this.#options.onWiped?.(result);
    return result;
  }
}
