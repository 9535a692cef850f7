/**
 * The SDK in one call: `createClient` wires the vault, encrypted store, files, secure items,
 * transport, sync engine, offline grace and the one wipe coordinator the way docs/client.md
 * describes, so that every wipe trigger (revocation, wrong passcodes, offline grace, sign-out,
 * the app's own request) reaches the same `Wiper`, the server's policy reaches the vault and the
 * grace timer, and a wipe receipt an earlier wipe could not send goes out on start.
 *
 * Platforms are presets over {@link createClientWith}: browsers and WebViews (IndexedDB, here),
 * React Native and Capacitor (the app passes its keystore adapter and store backend, here), and
 * Node/Electron (a data folder, in `@bulwark/client/node`). Every piece can be replaced.
 */
import { ConfigError, InvalidArgumentError } from '../errors.js';
import { EncryptedFiles } from '../files/encrypted-files.js';
import { IndexedDbFileStorage } from '../files/indexeddb-storage.js';
import type { FileStorage } from '../files/storage.js';
import { IndexedDbKeystore } from '../keystore/indexeddb.js';
import type { Keystore } from '../keystore/keystore.js';
import type { Clock } from '../lib/clock.js';
import { type Platform, type ProtectionReport, protectionReport } from '../protection/report.js';
import { SecureItems } from '../secure-items/secure-items.js';
import type { StoreBackend } from '../store/backend.js';
import type { CollectionSpec } from '../store/collection.js';
import { IndexedDbBackend } from '../store/indexeddb-backend.js';
import type { Sealer } from '../store/sealer.js';
import { EncryptedStore } from '../store/store.js';
import type { SchemaOfSpecs, UntypedSchema } from '../store/typed.js';
import { BackendVaultStorage } from '../store/vault-storage.js';
import { type PullReport, type PushReport, SyncEngine } from '../sync/sync-engine.js';
import {
  DeviceKey,
  type DeviceKeyStorage,
  IndexedDbDeviceKeyStorage,
  KeystoreDeviceKeyStorage,
  loadOrCreateDeviceKey,
} from '../transport/device-key.js';
import type { PostureProvider } from '../transport/posture.js';
import { MemorySessionStore, SecureItemsSessionStore } from '../transport/session.js';
import { type DeviceSettings, type LoginInput, Transport } from '../transport/transport.js';
import {
  type ActivitySource,
  type AppStateSource,
  type AutoLockPolicy,
  documentSignals,
} from '../vault/auto-lock.js';
import { VaultLockedError, VaultWipedError } from '../vault/errors.js';
import { vaultWipeLinks } from '../vault/lib/wipe-link.js';
import type { VaultStorage } from '../vault/storage.js';
import { Vault, type VaultStatus } from '../vault/vault.js';
import { OfflineGrace, type OfflineGraceStatus } from '../wipe/offline-grace.js';
import {
  type PendingReceiptOutcome,
  type ReceiptOutbox,
  sendPendingWipeReceipt,
  WebStorageReceiptOutbox,
} from '../wipe/receipt-outbox.js';
import { type Destroyable, type WipeResult, Wiper } from '../wipe/wiper.js';

/** The secure item that keeps this install's device id (a wipe clears it: a new install follows). */
const DEVICE_ID_ITEM = 'bulwark.device-id';

/**
 * What every preset shares: the server, the app's collections, its posture provider.
 *
 * @example
 * ```ts
 * const common: ClientOptions = { baseUrl: 'https://api.example.com', collections: [sites], posture };
 * ```
 */
export interface ClientOptions {
  /** The server, `https:` (or `http:` to loopback with `devMode`). */
  readonly baseUrl: string;
  /**
   * The app's collections (`fromSchema(schema)` gives them from the server's schema). An empty
   * list makes an online-only client (an admin console): no encrypted store, files or sync
   * engine, and `store`, `files`, `syncEngine` and `sync()` throw `config_invalid`.
   */
  readonly collections: readonly CollectionSpec[];
  /** Reports the device's posture at sign-in and refresh (the SDK does not guess it). */
  readonly posture: PostureProvider;
  /** Allows `http:` to a loopback host. Never in production. */
  readonly devMode?: boolean;
  /** Default: the global fetch (Node: the pinned fetch of `pins`). */
  readonly fetch?: typeof globalThis.fetch;
  /** The app's own auto-lock; the server's lock timeout bounds it. */
  readonly autoLock?: AutoLockPolicy;
  /** Foreground/background changes, for the lock in the background (browser preset: `visibilitychange`). */
  readonly appState?: AppStateSource;
  /**
   * The person's input, which pushes the idle lock back (browser preset: pointer and key input on
   * the document). Store calls are not activity, so background sync never keeps the vault open.
   */
  readonly activity?: ActivitySource;
  /** More data of the app's own that a wipe must destroy. */
  readonly data?: readonly Destroyable[];
  /** Called once a wipe is complete (e.g. to show the enrollment screen). */
  readonly onWiped?: (result: WipeResult) => unknown;
  /**
   * Called as soon as the server answers `device_revoked`, before the wipe that follows, so the
   * app can tell the person at once (the wipe's steps can take a while: the receipt goes over the
   * network). Not waited for, and what it throws is ignored: it never delays or stops the wipe;
   * `onWiped` comes once the wipe is done.
   */
  readonly onDeviceRevoked?: () => unknown;
  /**
   * Called when the device, offline, comes within `offlineGraceWarnBeforeSeconds` of the wipe
   * that the server's offline grace period orders, so the app can tell the person to connect
   * (once per stretch offline; `client.grace.status()` gives the time left at any moment).
   */
  readonly onOfflineGraceWarning?: (status: OfflineGraceStatus) => unknown;
  /** How long before that wipe the warning starts; default one day (half a shorter period). */
  readonly offlineGraceWarnBeforeSeconds?: number;
  readonly clock?: Clock;
}

/**
 * Every piece of {@link createClientWith}: the presets fill them in; each can be replaced.
 *
 * @example
 * ```ts
 * const client = await createClientWith({ ...common, platform: 'react-native', keystore, backend, outbox });
 * ```
 */
export interface ClientPieces extends ClientOptions {
  readonly platform: Platform;
  /** The OS under a WebView platform, for the protection report (`capacitor`). */
  readonly os?: 'ios' | 'android';
  readonly keystore: Keystore;
  /** The store backend; the sync outbox lives in it, and the vault state by default. */
  readonly backend: StoreBackend;
  /** Default: `BackendVaultStorage(backend)`. */
  readonly vaultStorage?: VaultStorage;
  /** Where encrypted files go; without it `client.files` is not available. */
  readonly fileStorage?: FileStorage;
  /** Default: the device key as a keystore secret (`KeystoreDeviceKeyStorage`). */
  readonly deviceKeys?: DeviceKeyStorage;
  /**
   * Keeps a wipe receipt until the server has it; storage the wipe does not clear. Without one,
   * a receipt that cannot be sent at once is lost (the server keeps the device as revoked).
   */
  readonly outbox?: ReceiptOutbox;
  /** Default: the platform's WebCrypto sealer. */
  readonly sealer?: Sealer;
  /** TLS pinning covers the SDK's requests (for the protection report). */
  readonly pinning?: boolean;
}

/**
 * What {@link BulwarkClient.sync} did.
 *
 * @example
 * ```ts
 * const { push, pull } = await client.sync();
 * ```
 */
export interface SyncResult {
  readonly push: PushReport;
  readonly pull: PullReport;
}

/**
 * A user's credentials for {@link BulwarkClient.signIn}.
 *
 * @example
 * ```ts
 * const credentials: Credentials = { username: 'ada', password };
 * ```
 */
export interface Credentials {
  readonly username: string;
  readonly password: string;
  /**
   * Asked for a passkey assertion when the server requires one after the password
   * (`passkey_required`); see `LoginInput.passkey`.
   */
  readonly passkey?: NonNullable<LoginInput['passkey']>;
}

/**
 * What {@link BulwarkClient.signIn} answers: the user and the settings of the verified policy.
 *
 * @example
 * ```ts
 * const { user, settings }: SignInResult = await client.signIn({ username: 'ada', password });
 * ```
 */
export interface SignInResult {
  readonly user: { id: string; username: string; role: string; mustChangePassword: boolean };
  readonly settings: DeviceSettings;
}

interface Session {
  readonly deviceId: string;
  readonly items: SecureItems;
  readonly transport: Transport;
  readonly wiper: Wiper;
  readonly grace: OfflineGrace;
  /** Absent for an online-only client (no collections). */
  readonly store: EncryptedStore | undefined;
  readonly files: EncryptedFiles | undefined;
  readonly sync: SyncEngine | undefined;
  /** The grace timer's writes started by the transport's callbacks, settled. */
  graceWritten(): Promise<unknown>;
}

/**
 * A wired Bulwark client. The vault exists from the start; the store, files, secure items,
 * transport and sync engine from the first unlock (a passcode-protected Node keystore keeps the
 * device key sealed until then). A wipe deletes the storage the client opened: the next
 * `createClient` starts a new install (a new device key and id).
 *
 * @example
 * ```ts
 * if (client.status === 'uninitialized') await client.setPasscode('482916');
 * else await client.unlock('482916');
 * await client.signIn({ username: 'ada', password });
 * await client.store.put('sites', { id: crypto.randomUUID(), name: 'Depot' });
 * await client.sync();
 * ```
 */
export class BulwarkClient<S = UntypedSchema> {
  /** The vault: unlock, lock, passcode, biometrics, key rotation. */
  readonly vault: Vault;
  readonly keystore: Keystore;
  readonly backend: StoreBackend;
  readonly fileStorage: FileStorage | undefined;
  readonly outbox: ReceiptOutbox | undefined;
  readonly #pieces: ClientPieces;
  readonly #deviceKeys: DeviceKeyStorage;
  readonly #baseWiper: Wiper;
  #session: Session | undefined;
  #opening: Promise<Session> | undefined;
  /** Set once this client swept the attached files of records dropped before it started. */
  #swept = false;
  readonly #stopActivity: (() => void) | undefined;

  /** Use {@link createClientWith} or a platform preset. */
  private constructor(
    pieces: ClientPieces,
    vault: Vault,
    deviceKeys: DeviceKeyStorage,
    stopActivity: (() => void) | undefined,
  ) {
    this.#stopActivity = stopActivity;
    this.#pieces = pieces;
    this.vault = vault;
    this.keystore = pieces.keystore;
    this.backend = pieces.backend;
    this.fileStorage = pieces.fileStorage;
    this.outbox = pieces.outbox;
    this.#deviceKeys = deviceKeys;
    // Until the first unlock there is no transport or device key, yet wrong passcodes at the
    // unlock screen must still wipe everything: this Wiper takes the vault's wipes until the
    // session's own (with the transport and the device key) replaces it.
    this.#baseWiper = new Wiper({
      vault,
      keystore: pieces.keystore,
      deviceKeys,
      data: this.#data(),
      ...(pieces.outbox === undefined ? {} : { outbox: pieces.outbox }),
      ...(pieces.clock === undefined ? {} : { clock: pieces.clock }),
      onWiped: (result) => this.#wiped(result),
    });
  }

  /**
   * Opens the vault and sends a pending wipe receipt; {@link createClientWith} and the presets
   * call it.
   *
   * @example
   * ```ts
   * const client = await BulwarkClient.create({ platform: 'capacitor', keystore, backend, baseUrl: 'https://api.example.com', collections, posture });
   * ```
   */
  static async create<const L extends readonly CollectionSpec[]>(
    pieces: ClientPieces & { readonly collections: L },
  ): Promise<BulwarkClient<SchemaOfSpecs<L>>> {
    const vault = await Vault.open({
      keystore: pieces.keystore,
      storage: pieces.vaultStorage ?? new BackendVaultStorage(pieces.backend),
      ...(pieces.autoLock === undefined ? {} : { autoLock: pieces.autoLock }),
      ...(pieces.appState === undefined ? {} : { appState: pieces.appState }),
      ...(pieces.clock === undefined ? {} : { clock: pieces.clock }),
    });
    const client = new BulwarkClient<SchemaOfSpecs<L>>(
      pieces,
      vault,
      pieces.deviceKeys ?? new KeystoreDeviceKeyStorage(pieces.keystore),
      pieces.activity?.subscribe(() => vault.touch()),
    );
    // A tombstone in the store means a wipe that a crash (a killed app, a closed tab) cut short
    // after the keys went: finish it before the app sees anything, through the one wipe path.
    const cutShort = vaultWipeLinks.get(vault)?.tombstoneAtOpen();
    if (cutShort !== undefined) await client.#baseWiper.wipe(cutShort ?? 'manual').catch(() => undefined);
    await client.sendPendingWipeReceipt().catch(() => undefined);
    return client;
  }

  /** Where the vault is: `uninitialized` (set a passcode), `locked`, `unlocked` or `wiped`. */
  get status(): VaultStatus {
    return this.vault.status;
  }

  /** The wipe coordinator every trigger reaches. */
  get wiper(): Wiper {
    return this.#session?.wiper ?? this.#baseWiper;
  }

  /** The encrypted offline store (after the first unlock). */
  get store(): EncryptedStore<S> {
    return offline(this.#open().store) as EncryptedStore<S>;
  }

  /** Encrypted files (after the first unlock; needs a file storage). */
  get files(): EncryptedFiles {
    const session = this.#open();
    offline(session.store);
    if (session.files === undefined) throw new InvalidArgumentError('this client has no file storage');
    return session.files;
  }

  /** The app's own small secrets in the keystore (after the first unlock). */
  get items(): SecureItems {
    return this.#open().items;
  }

  /** The device-bound HTTP client (after the first unlock). */
  get transport(): Transport {
    return this.#open().transport;
  }

  /** The sync engine: `put` and `delete` queue changes for the server (after the first unlock). */
  get syncEngine(): SyncEngine<S> {
    return offline(this.#open().sync) as SyncEngine<S>;
  }

  /** The offline grace timer (after the first unlock). */
  get grace(): OfflineGrace {
    return this.#open().grace;
  }

  /** This install's device id (after the first unlock). */
  get deviceId(): string {
    return this.#open().deviceId;
  }

  /**
   * Sets up a new vault (first start) with a passcode, or without one for keystore-only
   * protection; adds a passcode to an unlocked vault that has none. A wipe deleted the storage
   * this client opened: after one, create the client again (`vault_wiped` here).
   *
   * @example
   * ```ts
   * await client.setPasscode('482916');
   * ```
   */
  async setPasscode(passcode?: string): Promise<void> {
    const status = this.vault.status;
    if (status === 'wiped') throw new VaultWipedError();
    if (status === 'uninitialized') {
      await this.vault.initialize(passcode === undefined ? {} : { passcode });
    } else if (passcode !== undefined) {
      await this.vault.setPasscode(passcode);
    }
    await this.#startSession();
  }

  /**
   * Unlocks (the passcode, or nothing for keystore-only protection), then enforces the offline
   * grace period: when it has expired the client wipes and this rejects with `vault_wiped`.
   * Wrong passcodes count towards the server's limit, which wipes.
   *
   * @example
   * ```ts
   * await client.unlock('482916');
   * ```
   */
  async unlock(passcode?: string): Promise<void> {
    await this.vault.unlock(passcode);
    await this.#startSession();
  }

  /**
   * Opens the device key, transport, wipe path and offline grace timer without unlocking the
   * vault, for an app that signs in before its user chooses a passcode, or that must learn of a
   * revocation while locked (the wipe needs no vault key). Then enforces the offline grace period,
   * as `unlock` does. For keystores that keep the device key readable while the vault is locked
   * (browsers, React Native, Capacitor); a passcode-protected Node keystore keeps it sealed until
   * the first unlock, and this rejects with `vault_locked`.
   *
   * @example
   * ```ts
   * await client.connect();
   * await client.signIn({ username: 'ada', password });
   * await client.setPasscode('482916');
   * ```
   */
  async connect(): Promise<void> {
    if (this.vault.status === 'wiped') throw new VaultWipedError();
    await this.#startSession();
  }

  /**
   * Locks the vault: the store, files and secure items are unreadable until the next unlock.
   *
   * @example
   * ```ts
   * client.lock();
   * ```
   */
  lock(): void {
    this.vault.lock();
  }

  /**
   * Signs in and enrolls this device (its id, public key and posture); the server's policy then
   * reaches the vault (lock timeout, wrong-passcode limit) and the offline grace timer.
   *
   * @example
   * ```ts
   * const { user } = await client.signIn({ username: 'ada', password });
   * ```
   */
  async signIn(credentials: Credentials): Promise<SignInResult> {
    const session = this.#open();
    const result = await session.transport.login({ ...credentials, deviceId: session.deviceId });
    // The check-in and the policy's grace period are written before the app can lock the vault
    // (a sealed keystore would refuse them then).
    await session.graceWritten();
    return result;
  }

  /**
   * Pushes queued changes, then pulls the server's (see docs/client.md, "Sync").
   *
   * @example
   * ```ts
   * const { push } = await client.sync();
   * ```
   */
  async sync(): Promise<SyncResult> {
    return offline(this.#open().sync).sync();
  }

  /**
   * Signs out: ends the session on the server (best effort), then wipes this install (`logout`).
   *
   * @example
   * ```ts
   * await client.signOut();
   * ```
   */
  signOut(): Promise<WipeResult> {
    return this.wiper.signOut();
  }

  /**
   * Wipes this install at the app's request (`manual`).
   *
   * @example
   * ```ts
   * await client.wipe();
   * ```
   */
  wipe(): Promise<WipeResult> {
    return this.wiper.wipe('manual');
  }

  /**
   * Sends a wipe receipt an earlier wipe could not send (`createClient` calls it on start; call
   * it again when the app comes back online).
   *
   * @example
   * ```ts
   * window.addEventListener('online', () => void client.sendPendingWipeReceipt());
   * ```
   */
  async sendPendingWipeReceipt(): Promise<PendingReceiptOutcome> {
    const outbox = this.#pieces.outbox;
    if (outbox === undefined || (await outbox.load()) === undefined) return 'none';
    // The receipt carries its own signature by the device key that is gone; the request's proof
    // only needs some key, so a throwaway one serves.
    const courier = new Transport({
      ...this.#transportBase(),
      deviceKey: await DeviceKey.generate(),
      sessions: new MemorySessionStore(),
    });
    return sendPendingWipeReceipt(outbox, courier);
  }

  /**
   * What this install really protects, platform by platform (docs/platforms.md).
   *
   * @example
   * ```ts
   * for (const item of client.protection().items) console.log(item.id, item.protected);
   * ```
   */
  protection(): ProtectionReport {
    const p = this.#pieces;
    return protectionReport({
      platform: p.platform,
      keystore: p.keystore.protection,
      storeBackend: p.backend.kind,
      wholeRecord: p.collections.some((c) => c.wholeRecord === true),
      passcode: this.vault.hasPasscode,
      pinning: p.pinning === true,
      ...(p.os === undefined ? {} : { os: p.os }),
    });
  }

  /**
   * Locks the vault and closes the store backend (the end of the app, or of a test).
   *
   * @example
   * ```ts
   * await client.close();
   * ```
   */
  async close(): Promise<void> {
    this.#stopActivity?.();
    this.vault.close();
    await this.#pieces.backend.close();
  }

  #open(): Session {
    if (this.#session === undefined) {
      const status = this.vault.status;
      if (status === 'wiped') throw new VaultWipedError();
      // A first start is where a new app meets this: say which call opens the client.
      throw new VaultLockedError(
        status === 'uninitialized'
          ? 'no vault yet on this install: call setPasscode() first (or connect() to sign in before the passcode is chosen)'
          : 'the vault is locked: call unlock() first (or connect() to sign in while locked)',
      );
    }
    return this.#session;
  }

  #data(): Destroyable[] {
    const p = this.#pieces;
    // The backend last: it holds the vault's tombstone, which tells the next start that a wipe a
    // crash cut short has data left to destroy.
    return [...(p.fileStorage === undefined ? [] : [p.fileStorage]), ...(p.data ?? []), p.backend];
  }

  #transportBase() {
    const p = this.#pieces;
    return {
      baseUrl: p.baseUrl,
      posture: p.posture,
      ...(p.devMode === undefined ? {} : { devMode: p.devMode }),
      ...(p.fetch === undefined ? {} : { fetch: p.fetch }),
      ...(p.clock === undefined ? {} : { clock: p.clock }),
    };
  }

  async #startSession(): Promise<void> {
    this.#opening ??= this.#newSession().finally(() => {
      this.#opening = undefined;
    });
    const session = this.#session ?? (await this.#opening);
    if (await session.grace.enforce()) throw new VaultWipedError();
    // Files attached to records that a drop removed just before the app was killed: once per
    // client, at its start, never while the app may be attaching a file to a record it has not
    // saved yet.
    if (!this.#swept) {
      this.#swept = true;
      await session.files?.deleteOrphanAttachments();
    }
  }

  async #newSession(): Promise<Session> {
    if (this.#session !== undefined) return this.#session;
    const p = this.#pieces;
    const vault = this.vault;
    const items = new SecureItems(p.keystore);
    let deviceId = await items.getString(DEVICE_ID_ITEM);
    if (deviceId === undefined) {
      deviceId = crypto.randomUUID();
      await items.set(DEVICE_ID_ITEM, deviceId);
    }
    const deviceKey = await loadOrCreateDeviceKey(this.#deviceKeys);
    let grace: OfflineGrace | undefined;
    let graceWrites: Promise<unknown> = Promise.resolve();
    // A write that fails (the vault locked meanwhile) loses a check-in, which can only make the
    // period end sooner, or keeps the previous period until the next policy.
    const graceWrite = (write: Promise<unknown> | undefined) => {
      graceWrites = Promise.all([graceWrites, write?.catch(() => undefined)]);
    };
    const transport = new Transport({
      ...this.#transportBase(),
      deviceKey,
      sessions: new SecureItemsSessionStore(items),
      // On the next microtask and not awaited: app code never holds up or breaks the wipe.
      onDeviceRevoked: async () => {
        void Promise.resolve()
          .then(() => p.onDeviceRevoked?.())
          .catch(() => undefined);
      },
      onCheckIn: (at) => graceWrite(grace?.checkIn(at)),
      onPolicy: (settings) => {
        // Kept in the vault's state: a start without network keeps the admin's limits.
        graceWrite(vault.applySettings(settings));
        graceWrite(grace?.setGracePeriod(settings.offlineGraceSeconds));
      },
    });
    const wiper = new Wiper({
      vault,
      keystore: p.keystore,
      deviceKeys: this.#deviceKeys,
      deviceKey,
      deviceId,
      transport,
      data: this.#data(),
      ...(p.outbox === undefined ? {} : { outbox: p.outbox }),
      ...(p.clock === undefined ? {} : { clock: p.clock }),
      onWiped: (result) => this.#wiped(result),
    });
    grace = new OfflineGrace({
      items,
      wiper,
      ...(p.clock === undefined ? {} : { clock: p.clock }),
      ...(p.onOfflineGraceWarning === undefined ? {} : { onWarning: p.onOfflineGraceWarning }),
      ...(p.offlineGraceWarnBeforeSeconds === undefined
        ? {}
        : { warnBeforeSeconds: p.offlineGraceWarnBeforeSeconds }),
    });
    const sealer = p.sealer === undefined ? {} : { sealer: p.sealer };
    const online = p.collections.length === 0;
    const store = online
      ? undefined
      : await EncryptedStore.open({ backend: p.backend, vault, collections: p.collections, ...sealer });
    const files =
      p.fileStorage === undefined || online
        ? undefined
        : new EncryptedFiles({
            storage: p.fileStorage,
            vault,
            ...(store === undefined ? {} : { store }),
            ...sealer,
          });
    const sync =
      store === undefined
        ? undefined
        : await SyncEngine.open({
            store,
            vault,
            transport,
            ...(p.clock === undefined ? {} : { clock: p.clock }),
          });
    this.#session = {
      deviceId,
      items,
      transport,
      wiper,
      grace,
      store,
      files,
      sync,
      graceWritten: () => graceWrites,
    };
    return this.#session;
  }

  #wiped(result: WipeResult): unknown {
    // Its device key, id and tokens are gone, and so is its storage.
    this.#session = undefined;
    return this.#pieces.onWiped?.(result);
  }
}

/** The offline piece of a client that keeps collections; `config_invalid` for an online-only one. */
function offline<T>(piece: T | undefined): T {
  if (piece === undefined) {
    throw new ConfigError('this client keeps no collections offline (createClient without collections)');
  }
  return piece;
}

/**
 * Wires a client from pieces the app chooses (the presets call it with theirs).
 *
 * @example
 * ```ts
 * const client = await createClientWith({ ...common, platform: 'react-native', keystore, backend, outbox });
 * ```
 */
export function createClientWith<const L extends readonly CollectionSpec[]>(
  pieces: ClientPieces & { readonly collections: L },
): Promise<BulwarkClient<SchemaOfSpecs<L>>> {
  return BulwarkClient.create(pieces);
}

/**
 * Options of the browser / WebView preset: IndexedDB for everything, the receipt outbox in
 * `localStorage`. Each piece may still be given.
 *
 * @example
 * ```ts
 * const options: BrowserClientOptions = { platform: 'browser', baseUrl, collections, posture };
 * ```
 */
export interface BrowserClientOptions
  extends ClientOptions,
    Partial<Omit<ClientPieces, keyof ClientOptions | 'platform'>> {
  readonly platform: 'browser';
  /** Prefix of the IndexedDB databases. Default `bulwark`. */
  readonly name?: string;
}

/**
 * Options of the React Native and Capacitor presets: the keystore adapter that wraps the native
 * plugin, and a store backend (e.g. over SQLite); the rest has defaults.
 *
 * @example
 * ```ts
 * const options: MobileClientOptions = {
 *   platform: 'react-native', baseUrl, collections, posture,
 *   keystore: new ReactNativeKeychainKeystore(Keychain), backend, outbox,
 * };
 * ```
 */
export interface MobileClientOptions
  extends ClientOptions,
    Partial<Omit<ClientPieces, keyof ClientOptions | 'platform'>> {
  readonly platform: 'react-native' | 'capacitor';
  readonly keystore: Keystore;
  readonly backend: StoreBackend;
}

/**
 * The SDK in one call for browsers and WebViews (`platform: 'browser'`, IndexedDB), React Native
 * and Capacitor (your keystore adapter and store backend). Node and Electron:
 * `createClient` from `@bulwark/client/node`.
 *
 * @example
 * ```ts
 * const client = await createClient({ platform: 'browser', baseUrl: 'https://api.example.com', collections, posture });
 * ```
 */
export async function createClient<const L extends readonly CollectionSpec[]>(
  options: (BrowserClientOptions | MobileClientOptions) & { readonly collections: L },
): Promise<BulwarkClient<SchemaOfSpecs<L>>> {
  if (options.platform !== 'browser') return createClientWith(options);
  const name = options.name ?? 'bulwark';
  const backend = options.backend ?? (await IndexedDbBackend.open({ databaseName: `${name}-store` }));
  const signals = documentSignals();
  return createClientWith({
    ...(signals === undefined ? {} : { activity: signals.activity, appState: signals.appState }),
    ...options,
    keystore: options.keystore ?? (await IndexedDbKeystore.open({ databaseName: `${name}-keystore` })),
    backend,
    fileStorage: options.fileStorage ?? (await IndexedDbFileStorage.open({ databaseName: `${name}-files` })),
    deviceKeys: options.deviceKeys ?? new IndexedDbDeviceKeyStorage({ databaseName: `${name}-device` }),
    ...(options.outbox !== undefined ? { outbox: options.outbox } : webStorageOutbox(`${name}.wipe-receipt`)),
  });
}

/** The receipt outbox in `localStorage`, where the page may use it (a sandboxed frame may not). */
function webStorageOutbox(key: string): { outbox?: ReceiptOutbox } {
  try {
    return typeof localStorage === 'undefined'
      ? {}
      : { outbox: new WebStorageReceiptOutbox(localStorage, key) };
  } catch {
    return {};
  }
}
