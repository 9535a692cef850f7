/**
 * The demo's device: every piece of the public client SDK wired together for a browser, in one
 * place the screens talk to. IndexedDB keystore (with passkey-gated entries through the WebAuthn
 * PRF extension), a vault with a passcode and auto-lock, the encrypted store and encrypted files
 * in IndexedDB, a DPoP transport whose device key never leaves WebCrypto, the sync engine, and
 * the wiper that erases everything when the server revokes this device.
 */

import {
  BackendVaultStorage,
  type Conflict,
  DeviceKey,
  EncryptedFiles,
  EncryptedStore,
  fromSchema,
  IndexedDbBackend,
  IndexedDbDeviceKeyStorage,
  IndexedDbFileStorage,
  IndexedDbKeystore,
  loadOrCreateDeviceKey,
  OfflineGrace,
  type PostureProvider,
  type Rejection,
  SecureItems,
  SecureItemsSessionStore,
  SyncEngine,
  sendPendingWipeReceipt,
  Transport,
  Vault,
  WebAuthnPrfKeystore,
  WebStorageReceiptOutbox,
  type WipeResult,
  Wiper,
  webCryptoSealer,
} from '@bulwark/client';
import { inspections } from '../schema.js';

/** The collection this app keeps offline. */
export const INSPECTIONS = 'inspections';

/** Names of the app's own (non-secret) entries in localStorage. */
const DEVICE_ID = 'bulwark-demo.device-id';
const USER_NAME = 'bulwark-demo.user';

/** Delay before another sync when the server could not be reached. */
const RETRY_MS = 5_000;

/** Idle time before the vault locks, unless the server's policy says less. */
const IDLE_LOCK_MS = 5 * 60_000;

/** An inspection as the device holds it (the serverOnly fields never arrive here). */
export interface Inspection {
  readonly id: string;
  readonly site: string;
  readonly address?: string;
  readonly inspector: string;
  readonly team: string;
  readonly status: 'scheduled' | 'in_progress' | 'done';
  readonly scheduledAt: string;
  readonly residentPhone?: string;
  readonly findings: readonly { readonly note: string; readonly severity: 'low' | 'medium' | 'high' }[];
  readonly photos: readonly {
    readonly name: string;
    readonly contentType: 'image/jpeg' | 'image/png' | 'image/heic';
    readonly bytes: number;
    readonly takenAt: string;
  }[];
}

/** What a sync round reports to the screens. */
export interface SyncOutcome {
  readonly offline: boolean;
  readonly rejected: readonly Rejection[];
  readonly conflicts: readonly Conflict[];
  readonly pending: number;
  /** When queued edits that failed to reach the server are due again (epoch ms). */
  readonly retryAt?: number;
}

const posture: PostureProvider = {
  report: async () => ({
    platform: 'web',
    osVersion: browserVersion(),
    appVersion: '0.1.0',
    // A browser cannot see the device's own screen lock or root state. The screen lock it
    // declares is this app's: the vault cannot be opened without the passcode (or passkey) and
    // locks itself. Self-declared posture proves nothing (docs/demo.md).
    posture: { rooted: false, screenLock: true, emulator: false },
  }),
};

/** The browser and its major version, e.g. `Chrome/131` (the server takes at most 40 characters). */
function browserVersion(): string {
  const match = /(Firefox|Edg|Chrome|Version)\/(\d+)/.exec(navigator.userAgent);
  return match === null ? 'unknown' : `${match[1]}/${match[2]}`;
}

/** Fires when the app goes to the background (tab hidden, window minimised, app switcher). */
const appState = {
  subscribe(listener: (state: 'active' | 'background') => void) {
    const onChange = () => listener(document.visibilityState === 'hidden' ? 'background' : 'active');
    const onHide = () => listener('background');
    document.addEventListener('visibilitychange', onChange);
    window.addEventListener('pagehide', onHide);
    return () => {
      document.removeEventListener('visibilitychange', onChange);
      window.removeEventListener('pagehide', onHide);
    };
  },
};

/** The device of this browser profile. */
export class Device {
  readonly keystore: WebAuthnPrfKeystore;
  readonly vault: Vault;
  readonly #backend: IndexedDbBackend;
  readonly #fileStorage: IndexedDbFileStorage;
  readonly #deviceKeys = new IndexedDbDeviceKeyStorage();
  readonly #outbox = new WebStorageReceiptOutbox(localStorage);
  readonly #wipeListeners = new Set<(result: WipeResult) => void>();
  #transport: Transport | undefined;
  #wiper: Wiper | undefined;
  #store: EncryptedStore | undefined;
  #sync: SyncEngine | undefined;
  #files: EncryptedFiles | undefined;
  #wipedAtStart: 'device_revoked' | 'unknown' | undefined;
  readonly #grace: OfflineGrace;

  private constructor(
    keystore: WebAuthnPrfKeystore,
    backend: IndexedDbBackend,
    files: IndexedDbFileStorage,
    vault: Vault,
  ) {
    this.keystore = keystore;
    this.#backend = backend;
    this.#fileStorage = files;
    this.vault = vault;
    this.#grace = new OfflineGrace({
      items: new SecureItems(keystore),
      onExpired: async () => {
        if (this.#wiper !== undefined) await this.#wiper.wipe('offline_grace_expired');
      },
    });
  }

  /** Opens the device's databases; the vault starts locked (or uninitialised). */
  static async open(): Promise<Device> {
    const inner = await IndexedDbKeystore.open({ databaseName: 'bulwark-demo-keys' });
    const keystore = new WebAuthnPrfKeystore(inner, {
      rpName: 'Bulwark demo',
      get userName() {
        return localStorage.getItem(USER_NAME) ?? 'inspector';
      },
    });
    const backend = await IndexedDbBackend.open({ databaseName: 'bulwark-demo-store' });
    const files = await IndexedDbFileStorage.open({ databaseName: 'bulwark-demo-files' });
    const vault = await Vault.open({
      keystore,
      storage: new BackendVaultStorage(backend),
      autoLock: { idleMs: IDLE_LOCK_MS, background: 'immediately' },
      appState,
    });
    const device = new Device(keystore, backend, files, vault);
    const deviceKey = await device.#deviceKeys.load();
    // A wipe leaves its receipt in the outbox before it destroys anything; a receipt still there,
    // or an enrolled install whose device key is gone, means a wipe that the page's unloading
    // (a reload, a closed tab) may have cut short. Finish it before anything else.
    const pendingReceipt = (await device.#outbox.load()) !== undefined;
    if (pendingReceipt || (localStorage.getItem(DEVICE_ID) !== null && deviceKey === undefined)) {
      // Only a revocation leaves a receipt to send.
      device.#wipedAtStart = pendingReceipt ? 'device_revoked' : 'unknown';
      await device.#finishWipe();
    } else if (deviceKey !== undefined) {
      device.#connect(deviceKey);
    }
    // A wipe receipt an earlier wipe could not send (it was offline then).
    void device.sendPendingReceipt();
    return device;
  }

  /**
   * Set when this start finished an interrupted wipe (the screens say the device was erased):
   * `device_revoked` when a revocation's receipt was waiting, else `unknown`.
   */
  get wipedAtStart(): 'device_revoked' | 'unknown' | undefined {
    return this.#wipedAtStart;
  }

  /** The signed-in user's name, or undefined before sign-in. */
  get userName(): string | undefined {
    return localStorage.getItem(USER_NAME) ?? undefined;
  }

  /** True when this browser has signed in before and holds a session. */
  get signedIn(): boolean {
    return this.#transport !== undefined && localStorage.getItem(DEVICE_ID) !== null;
  }

  /** Calls `listener` once the device has been wiped. */
  onWiped(listener: (result: WipeResult) => void): () => void {
    this.#wipeListeners.add(listener);
    return () => this.#wipeListeners.delete(listener);
  }

  /** Signs in with a device key made here, enrolling this browser as a device. */
  async signIn(username: string, password: string): Promise<void> {
    const deviceKey = await loadOrCreateDeviceKey(this.#deviceKeys);
    const transport = this.#connect(deviceKey);
    let deviceId = localStorage.getItem(DEVICE_ID);
    if (deviceId === null) deviceId = crypto.randomUUID();
    await transport.login({ username, password, deviceId });
    localStorage.setItem(DEVICE_ID, deviceId);
    localStorage.setItem(USER_NAME, username);
    this.#wiper = this.#makeWiper(deviceKey, deviceId, transport);
  }

  /** Creates the vault with the passcode the user chose, unlocked. */
  async choosePasscode(passcode: string): Promise<void> {
    await this.vault.initialize({ passcode });
    await this.#openData();
  }

  /** Unlocks with the passcode. */
  async unlock(passcode: string): Promise<void> {
    await this.vault.unlock(passcode);
    await this.#openData();
  }

  /** Unlocks with the passkey (its PRF output unwraps the vault's root key). */
  async unlockWithPasskey(): Promise<void> {
    await this.vault.unlockWithBiometrics('Unlock your inspections');
    await this.#openData();
  }

  /** Creates a passkey and wraps the vault's root key under its PRF output; needs the passcode. */
  async enrolPasskey(passcode: string): Promise<void> {
    await this.vault.enableBiometrics(passcode);
  }

  /** The inspections on this device, by scheduled date. */
  async inspections(): Promise<Inspection[]> {
    const records = (await this.#data().store.all(INSPECTIONS)) as unknown as Inspection[];
    return records.sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt) || a.site.localeCompare(b.site));
  }

  /** One inspection. */
  async inspection(id: string): Promise<Inspection | undefined> {
    return (await this.#data().store.get(INSPECTIONS, id)) as unknown as Inspection | undefined;
  }

  /** Saves an edit locally and queues it for the server, in one transaction. */
  async save(inspection: Inspection): Promise<void> {
    await this.#data().sync.put(INSPECTIONS, { ...inspection });
  }

  /** Mutations waiting for the server. */
  pending(): Promise<number> {
    return this.#data().sync.pending();
  }

  /** Push then pull; an unreachable server leaves the edits queued. */
  async syncNow(): Promise<SyncOutcome> {
    const { sync } = this.#data();
    try {
      const { push } = await sync.sync();
      return {
        offline: push.nextAttemptAt !== undefined && push.pending > 0,
        rejected: push.rejected,
        conflicts: push.conflicts,
        pending: await sync.pending(),
        ...(push.nextAttemptAt === undefined ? {} : { retryAt: push.nextAttemptAt }),
      };
    } catch (err) {
      if ((err as { code?: string }).code === 'network_error') {
        // The network came and went (or is still coming back): try again shortly.
        return {
          offline: true,
          rejected: [],
          conflicts: [],
          pending: await sync.pending(),
          retryAt: Date.now() + RETRY_MS,
        };
      }
      throw err;
    }
  }

  /** Stores a photo of an inspection, encrypted in chunks; returns the inspection with it (to save). */
  async addPhoto(inspection: Inspection, file: File): Promise<Inspection> {
    const contentType =
      file.type === 'image/png' ? 'image/png' : file.type === 'image/heic' ? 'image/heic' : 'image/jpeg';
    const photo = {
      name: (file.name || 'photo').slice(0, 200),
      contentType,
      bytes: file.size,
      takenAt: new Date().toISOString(),
    } as const;
    await this.#data().files.put(photoId(inspection.id, photo.takenAt), file.stream());
    return { ...inspection, photos: [...inspection.photos, photo] };
  }

  /** A photo, decrypted, as a Blob; undefined when it was taken on another device. */
  async photo(inspection: Inspection, takenAt: string, type: string): Promise<Blob | undefined> {
    const stream = await this.#data().files.get(photoId(inspection.id, takenAt));
    if (stream === undefined) return undefined;
    const bytes = await new Response(stream).arrayBuffer();
    return new Blob([bytes], { type });
  }

  /**
   * Asks the server about this device: a revoked device learns it here (and wipes) even while
   * locked, since the wipe needs no vault key. Quiet when offline.
   */
  async checkIn(): Promise<void> {
    const transport = this.#transport;
    if (transport === undefined || localStorage.getItem(DEVICE_ID) === null) return;
    await transport.request('GET', '/me').catch(() => undefined);
  }

  /**
   * Wipes when the device has been out of touch with the server for longer than the server's
   * policy allows (`offlineGraceSeconds`). Called at start, on unlock and every minute.
   */
  async enforceOfflineGrace(): Promise<void> {
    const wiper = this.#wiper;
    if (wiper === undefined) return;
    // A record that cannot be read counts as expired, as the SDK treats a damaged one. (A read
    // racing a wipe's clearing of the keystore fails too: `wipe` then joins the running wipe.)
    await this.#grace.enforce().catch(() => wiper.wipe('offline_grace_expired'));
  }

  /** Posts a wipe receipt a previous wipe kept for later. */
  async sendPendingReceipt(): Promise<void> {
    const transport = this.#transport ?? (await this.#anonymousTransport());
    await sendPendingWipeReceipt(this.#outbox, transport).catch(() => undefined);
  }

  /** Locks now (the screens show the privacy overlay). */
  lock(): void {
    this.vault.lock();
  }

  #connect(deviceKey: DeviceKey): Transport {
    const transport = new Transport({
      baseUrl: location.origin,
      devMode: location.protocol === 'http:',
      deviceKey,
      sessions: new SecureItemsSessionStore(new SecureItems(this.keystore)),
      posture,
      onDeviceRevoked: async () => {
        const wiper = this.#wiper;
        if (wiper !== undefined) await wiper.wipe('device_revoked');
      },
      onCheckIn: (at) => void this.#grace.checkIn(at).catch(() => undefined),
      onPolicy: (settings) => {
        this.vault.applySettings(settings);
        void this.#grace.setGracePeriod(settings.offlineGraceSeconds).catch(() => undefined);
      },
    });
    this.#transport = transport;
    const deviceId = localStorage.getItem(DEVICE_ID);
    if (deviceId !== null) this.#wiper = this.#makeWiper(deviceKey, deviceId, transport);
    return transport;
  }

  #makeWiper(deviceKey: DeviceKey, deviceId: string, transport: Transport): Wiper {
    return new Wiper({
      vault: this.vault,
      keystore: this.keystore,
      deviceKeys: this.#deviceKeys,
      deviceKey,
      deviceId,
      transport,
      outbox: this.#outbox,
      data: [this.#backend, this.#fileStorage],
      onWiped: (result) => {
        // The app's own entries: who signed in here, and this install's id.
        localStorage.removeItem(DEVICE_ID);
        localStorage.removeItem(USER_NAME);
        void deleteEveryDatabase().finally(() => {
          for (const listener of this.#wipeListeners) listener(result);
        });
      },
    });
  }

  async #finishWipe(): Promise<void> {
    this.vault.lock();
    await this.keystore.clear();
    await this.#deviceKeys.delete();
    await this.#backend.destroy();
    await this.#fileStorage.destroy();
    localStorage.removeItem(DEVICE_ID);
    localStorage.removeItem(USER_NAME);
    await deleteEveryDatabase();
  }

  async #anonymousTransport(): Promise<Transport> {
    return new Transport({
      baseUrl: location.origin,
      devMode: location.protocol === 'http:',
      deviceKey: await DeviceKey.generate(),
      sessions: new SecureItemsSessionStore(new SecureItems(this.keystore)),
      posture,
    });
  }

  async #openData(): Promise<void> {
    if (this.#store !== undefined) return;
    const transport = this.#transport;
    if (transport === undefined) throw new Error('sign in first');
    const store = await EncryptedStore.open({
      backend: this.#backend,
      vault: this.vault,
      collections: [fromSchema(inspections)],
      sealer: webCryptoSealer,
    });
    this.#sync = await SyncEngine.open({ store, vault: this.vault, transport });
    this.#files = new EncryptedFiles({ storage: this.#fileStorage, vault: this.vault });
    this.#store = store;
  }

  #data(): { store: EncryptedStore; sync: SyncEngine; files: EncryptedFiles } {
    if (this.#store === undefined || this.#sync === undefined || this.#files === undefined) {
      throw new Error('unlock first');
    }
    return { store: this.#store, sync: this.#sync, files: this.#files };
  }
}

/**
 * Deletes every IndexedDB database of the app's origin once the wipe has emptied them. Chromium
 * keeps an origin's databases in one LevelDB folder, where deleted records linger in table files
 * until a compaction; with no database left, the browser removes the folder itself.
 */
async function deleteEveryDatabase(): Promise<void> {
  const databases = await indexedDB.databases().catch(() => []);
  await Promise.all(
    databases.map(
      ({ name }) =>
        new Promise<void>((resolve) => {
          if (name === undefined) return resolve();
          const request = indexedDB.deleteDatabase(name);
          request.onsuccess = () => resolve();
          request.onerror = () => resolve();
        }),
    ),
  );
}

function photoId(inspectionId: string, takenAt: string): string {
  return `photo.${inspectionId}.${Date.parse(takenAt)}`;
}
