/**
 * The demo's device: the public client SDK made by its one call (`createClient`, browser preset)
 * with the demo's own pieces, in one place the screens talk to. The IndexedDB keystore behind
 * passkey-gated entries (the WebAuthn PRF extension), a vault with a passcode and auto-lock, the
 * encrypted store and encrypted files in IndexedDB, a DPoP transport whose device key never
 * leaves WebCrypto, the sync engine, the offline grace period, and the SDK's one wipe path, which
 * erases everything when the server revokes this device. What stays the demo's: the interrupted
 * wipe finished at start, and every database of the origin deleted after a wipe.
 */

import {
  type Conflict,
  createClient,
  fromSchema,
  IndexedDbBackend,
  IndexedDbDeviceKeyStorage,
  IndexedDbFileStorage,
  IndexedDbKeystore,
  type OfflineGraceStatus,
  type PostureProvider,
  type Rejection,
  type Vault,
  WebAuthnPrfKeystore,
  WebStorageReceiptOutbox,
  type WipeReason,
  type WipeResult,
} from '@bulwark/client';
import { inspections } from '../schema.js';

/** The collection this app keeps offline. */
export const INSPECTIONS = 'inspections';

/**
 * The app's own database: who signed in here, which also marks this install as enrolled. (The
 * device id is the SDK's, a secure item in the keystore.) Not localStorage: Chromium keeps it in
 * one LevelDB for the whole profile, whose log holds a removed value until a compaction, so the
 * user's name outlived the wipe there; a database of its own is deleted with the others after a
 * wipe, and with no database left the browser removes the origin's folder.
 */
const APP_DATABASE = 'bulwark-demo-app';
const APP_STORE = 'app';
const USER_KEY = 'user';

/** Runs one request on the app's database in a transaction of its own; the connection is closed after. */
function appDatabase<T>(
  mode: IDBTransactionMode,
  request: (store: IDBObjectStore) => IDBRequest,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(APP_DATABASE, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(APP_STORE);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      // A deletion of every database after a wipe is never blocked by this connection.
      db.onversionchange = () => db.close();
      const tx = db.transaction(APP_STORE, mode);
      const req = request(tx.objectStore(APP_STORE));
      tx.oncomplete = () => {
        db.close();
        resolve(req.result as T);
      };
      tx.onerror = tx.onabort = () => {
        db.close();
        reject(tx.error);
      };
    };
  });
}

/** Where versions of the demo before that kept the user's name: moved to the database at start. */
const LEGACY_USER_NAME = 'bulwark-demo.user';

/** The name of the user who signed in here, read at start and kept in memory (the passkey's user name reads it). */
let signedInUser: string | undefined;

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

/** The demo's pieces of the client, which the browser preset would otherwise make itself. */
interface Pieces {
  readonly keystore: WebAuthnPrfKeystore;
  readonly backend: IndexedDbBackend;
  readonly fileStorage: IndexedDbFileStorage;
  readonly deviceKeys: IndexedDbDeviceKeyStorage;
  readonly outbox: WebStorageReceiptOutbox;
}

/** The SDK's client over the demo's pieces, with its collection, lock policy and wipe hook. */
function openClient(pieces: Pieces, onWiped: (result: WipeResult) => void) {
  return createClient({
    platform: 'browser',
    baseUrl: location.origin,
    devMode: location.protocol === 'http:',
    collections: [fromSchema(inspections)],
    posture,
    ...pieces,
    autoLock: { idleMs: IDLE_LOCK_MS, background: 'immediately' },
    // The preset's input listeners push the idle lock back; this source adds `pagehide` to its
    // `visibilitychange`, as the demo always had.
    appState,
    onWiped,
  });
}

type Client = Awaited<ReturnType<typeof openClient>>;

/** The stable code of an error, if it has one. */
function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The device of this browser profile. */
export class Device {
  readonly #client: Client;
  readonly #wipeListeners = new Set<(result: WipeResult) => void>();
  /** The transport and wipe path are open (from sign-in, or from start once enrolled). */
  #connected = false;
  #wipedAtStart: WipeReason | 'unknown' | undefined;
  #lastWipe: WipeResult | undefined;
  #erased: Promise<void> = Promise.resolve();

  private constructor(client: Client) {
    this.#client = client;
  }

  /** Opens the device's databases; the vault starts locked (or uninitialised). */
  static async open(): Promise<Device> {
    const inner = await IndexedDbKeystore.open({ databaseName: 'bulwark-demo-keys' });
    const keystore = new WebAuthnPrfKeystore(inner, {
      rpName: 'Bulwark demo',
      get userName() {
        return signedInUser ?? 'inspector';
      },
    });
    const pieces: Pieces = {
      keystore,
      backend: await IndexedDbBackend.open({ databaseName: 'bulwark-demo-store' }),
      fileStorage: await IndexedDbFileStorage.open({ databaseName: 'bulwark-demo-files' }),
      deviceKeys: new IndexedDbDeviceKeyStorage(),
      outbox: new WebStorageReceiptOutbox(localStorage),
    };
    // A wipe leaves its receipt in the outbox before it destroys anything; a receipt still there,
    // or an enrolled install whose device key is gone, means a wipe that the page's unloading
    // (a reload, a closed tab) may have cut short. Read before the client is made: it sends a
    // pending receipt on start, which empties the outbox.
    const pendingReceipt = (await pieces.outbox.load()) !== undefined;
    const stored = await appDatabase<unknown>('readonly', (store) => store.get(USER_KEY));
    signedInUser = typeof stored === 'string' ? stored : undefined;
    const legacy = localStorage.getItem(LEGACY_USER_NAME);
    if (legacy !== null) {
      // An install enrolled by an earlier version stays enrolled (a revocation still reaches it).
      if (signedInUser === undefined) await appDatabase('readwrite', (store) => store.put(legacy, USER_KEY));
      signedInUser ??= legacy;
      localStorage.removeItem(LEGACY_USER_NAME);
    }
    const enrolled = signedInUser !== undefined;
    const interrupted = pendingReceipt || (enrolled && (await pieces.deviceKeys.load()) === undefined);
    let device: Device | undefined;
    let atStart: WipeResult | undefined;
    const client = await openClient(pieces, (result) => {
      if (device !== undefined) device.#wiped(result);
      // The SDK finished, as it started, a wipe that a crash cut short after the keys went.
      else atStart = result;
    });
    device = new Device(client);
    if (atStart !== undefined) {
      device.#wipedAtStart = atStart.reason;
      device.#wiped(atStart);
      await device.#erased;
    } else if (interrupted) {
      // Only a revocation leaves a receipt to send.
      device.#wipedAtStart = pendingReceipt ? 'device_revoked' : 'unknown';
      // The SDK's wipe path finishes it (keys, device key, store, files), then `#wiped`.
      await client.wipe();
      await device.#erased;
    } else if (enrolled) {
      // The wipe path is open while locked: a revocation reaches a locked device.
      await device.#connect();
      // The offline grace period ran out while the app was closed: the SDK wiped on connecting.
      if (device.#lastWipe !== undefined) device.#wipedAtStart = device.#lastWipe.reason;
    }
    return device;
  }

  /**
   * Set when this start found the device erased (the screens say so): a wipe the page's unloading
   * cut short, finished now (`device_revoked` when a revocation's receipt was waiting, else
   * `unknown`), or the offline grace period that ran out while the app was closed.
   */
  get wipedAtStart(): WipeReason | 'unknown' | undefined {
    return this.#wipedAtStart;
  }

  /** The vault: its status, lock events, passkey state. */
  get vault(): Vault {
    return this.#client.vault;
  }

  /** The signed-in user's name, or undefined before sign-in. */
  get userName(): string | undefined {
    return signedInUser;
  }

  /** True when this browser has signed in before and holds a session. */
  get signedIn(): boolean {
    return this.#connected && signedInUser !== undefined;
  }

  /** Calls `listener` once the device has been wiped. */
  onWiped(listener: (result: WipeResult) => void): () => void {
    this.#wipeListeners.add(listener);
    return () => this.#wipeListeners.delete(listener);
  }

  /** Signs in with a device key made here, enrolling this browser as a device. */
  async signIn(username: string, password: string): Promise<void> {
    await this.#client.connect();
    this.#connected = true;
    await this.#client.signIn({ username, password });
    await appDatabase('readwrite', (store) => store.put(username, USER_KEY));
    signedInUser = username;
  }

  /** Creates the vault with the passcode the user chose, unlocked. */
  async choosePasscode(passcode: string): Promise<void> {
    await this.#client.setPasscode(passcode);
  }

  /** Unlocks with the passcode. */
  async unlock(passcode: string): Promise<void> {
    try {
      await this.#client.unlock(passcode);
    } catch (err) {
      // The offline grace period had run out: the SDK wiped at unlock, and the wiped screen
      // follows from `onWiped` (this is not a wrong passcode).
      if (errorCode(err) === 'vault_wiped' && this.#lastWipe?.reason === 'offline_grace_expired') return;
      throw err;
    }
  }

  /** Unlocks with the passkey (its PRF output unwraps the vault's root key). */
  async unlockWithPasskey(): Promise<void> {
    await this.#client.vault.unlockWithBiometrics('Unlock your inspections');
  }

  /** Creates a passkey and wraps the vault's root key under its PRF output; needs the passcode. */
  async enrolPasskey(passcode: string): Promise<void> {
    await this.#client.vault.enableBiometrics(passcode);
  }

  /** The inspections on this device, by scheduled date. */
  async inspections(): Promise<Inspection[]> {
    const records = (await this.#client.store.all(INSPECTIONS)) as unknown as Inspection[];
    return records.sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt) || a.site.localeCompare(b.site));
  }

  /** One inspection. */
  async inspection(id: string): Promise<Inspection | undefined> {
    return (await this.#client.store.get(INSPECTIONS, id)) as unknown as Inspection | undefined;
  }

  /** Saves an edit locally and queues it for the server, in one transaction. */
  async save(inspection: Inspection): Promise<void> {
    const { findings, photos } = inspection;
    await this.#client.syncEngine.put(INSPECTIONS, {
      ...inspection,
      findings: [...findings],
      photos: [...photos],
    });
  }

  /** Mutations waiting for the server. */
  pending(): Promise<number> {
    return this.#client.syncEngine.pending();
  }

  /** Push then pull; an unreachable server leaves the edits queued. */
  async syncNow(): Promise<SyncOutcome> {
    const sync = this.#client.syncEngine;
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
      if (errorCode(err) === 'network_error') {
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
    // Attached to the inspection: when it leaves this device (reassigned to someone else, moved
    // out of the team, deleted), the SDK deletes its photos with it.
    await this.#client.files.attach(INSPECTIONS, inspection.id, photoName(photo.takenAt), file.stream());
    return { ...inspection, photos: [...inspection.photos, photo] };
  }

  /** A photo, decrypted, as a Blob; undefined when it was taken on another device. */
  async photo(inspection: Inspection, takenAt: string, type: string): Promise<Blob | undefined> {
    const files = this.#client.files;
    const name = photoName(takenAt);
    let stream = await files.getAttached(INSPECTIONS, inspection.id, name);
    const legacy = legacyPhotoId(inspection.id, takenAt);
    if (stream === undefined) {
      // Kept by an earlier version under an id of its own, which a drop of the inspection did
      // not reach: attached now, so that it goes with the inspection from here on.
      const old = await files.get(legacy);
      if (old === undefined) return undefined;
      await files.attach(INSPECTIONS, inspection.id, name, old);
      await files.delete(legacy);
      stream = await files.getAttached(INSPECTIONS, inspection.id, name);
      if (stream === undefined) return undefined;
    }
    const bytes = await new Response(stream).arrayBuffer();
    return new Blob([bytes], { type });
  }

  /**
   * Asks the server about this device: a revoked device learns it here (and wipes through the
   * SDK's wipe path) even while locked, since the wipe needs no vault key. Quiet when offline.
   */
  async checkIn(): Promise<void> {
    if (!this.signedIn) return;
    await this.#client.transport.request('GET', '/me').catch(() => undefined);
  }

  /**
   * Wipes when the device has been out of touch with the server for longer than the server's
   * policy allows (`offlineGraceSeconds`). Called at start, on unlock and every minute.
   */
  async enforceOfflineGrace(): Promise<void> {
    if (!this.signedIn) return;
    const { grace, wiper } = this.#client;
    // A record that cannot be read counts as expired, as the SDK treats a damaged one. (A read
    // racing a wipe's clearing of the keystore fails too: `wipe` then joins the running wipe.)
    await grace.enforce().catch(() => wiper.wipe('offline_grace_expired'));
  }

  /**
   * How long this device may still stay out of touch with the server before it erases its data
   * (the SDK's count of the policy's `offlineGraceSeconds`), to warn the person in time. Undefined
   * before sign-in, or when the record cannot be read (the next check wipes then).
   */
  async graceStatus(): Promise<OfflineGraceStatus | undefined> {
    if (!this.signedIn) return undefined;
    return this.#client.grace.status().catch(() => undefined);
  }

  /** Posts a wipe receipt a previous wipe kept for later. */
  async sendPendingReceipt(): Promise<void> {
    await this.#client.sendPendingWipeReceipt().catch(() => undefined);
  }

  /** Locks now (the screens show the privacy overlay). */
  /**
   * Erases this install at the person's request, for a forgotten passcode: the SDK's one wipe
   * path (keys, device key, store, files, then every database), so that the next sign-in starts
   * a new install. Without it a locked app offered no way on but to guess the passcode until the
   * failed-unlock limit wiped it.
   */
  async erase(): Promise<void> {
    await this.#client.wipe();
    await this.#erased;
  }

  lock(): void {
    this.#client.lock();
  }

  /** Opens the transport and wipe path; an expired grace period wipes here (`#wiped` saw it). */
  async #connect(): Promise<void> {
    try {
      await this.#client.connect();
      this.#connected = true;
    } catch (err) {
      if (errorCode(err) !== 'vault_wiped') throw err;
    }
  }

  /**
   * After every wipe, whatever triggered it. This client's storage is gone: the next start (the
   * wiped screen's "Sign in again" reloads the page) makes a new client, a new install.
   */
  #wiped(result: WipeResult): void {
    this.#connected = false;
    this.#lastWipe = result;
    // Who signed in here: its database goes with every other one.
    signedInUser = undefined;
    this.#erased = deleteEveryDatabase().finally(() => {
      for (const listener of this.#wipeListeners) listener(result);
    });
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

/** A photo's name among the files attached to its inspection. */
function photoName(takenAt: string): string {
  return `p${Date.parse(takenAt)}`;
}

/** Where versions of the demo before attachments kept a photo. */
function legacyPhotoId(inspectionId: string, takenAt: string): string {
  return `photo.${inspectionId}.${Date.parse(takenAt)}`;
}
