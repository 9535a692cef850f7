/**
 * The SDK in a real browser: this module is bundled for the browser (the SDK's web entry only,
 * nothing of Node) and loaded by a page that browser.test.ts opens in Chromium. Each step is a
 * function on `window.bulwark` that the test calls, reloading the page between steps where the
 * point is that state survives in IndexedDB.
 */

import { dumpIndexedDb } from '../../../../test-support/indexeddb-dump.js';
import {
  BackendVaultStorage,
  type BulwarkClient,
  type CollectionSpec,
  createClient,
  EncryptedStore,
  IndexedDbBackend,
  IndexedDbDeviceKeyStorage,
  IndexedDbKeystore,
  MemoryKeystore,
  MemoryVaultStorage,
  protectionReport,
  SecureItems,
  SecureItemsSessionStore,
  Transport,
  Vault,
  WebStorageReceiptOutbox,
  Wiper,
  webCryptoSealer,
} from '../../src/index.js';

const notes: CollectionSpec = {
  name: 'notes',
  schemaVersion: 1,
  fields: {
    title: { class: 'plain' },
    phone: { class: 'sensitive', blindIndex: true },
  },
};

const posture = {
  report: async () => ({
    platform: 'web',
    osVersion: '1',
    appVersion: '1.4.0',
    posture: { rooted: false, screenLock: true, emulator: false },
  }),
};

async function device() {
  const keystore = await IndexedDbKeystore.open();
  const backend = await IndexedDbBackend.open();
  const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(backend) });
  const deviceKeys = new IndexedDbDeviceKeyStorage();
  return { keystore, backend, vault, deviceKeys };
}

async function storeOf(d: Awaited<ReturnType<typeof device>>) {
  return EncryptedStore.open({
    backend: d.backend,
    vault: d.vault,
    collections: [notes],
    sealer: webCryptoSealer,
  });
}

let session: { transport: Transport; wipes: unknown[] } | undefined;
/** This tab's vault of the install that several tabs share (`tabsOpen`). */
let tabVault: Vault | undefined;
/** The install several tabs open: its own databases, a limit of four wrong passcodes. */
async function tabsInstall(): Promise<Vault> {
  const keystore = await IndexedDbKeystore.open({ databaseName: 'bulwark-tabs-keys' });
  const backend = await IndexedDbBackend.open({ databaseName: 'bulwark-tabs-store' });
  return Vault.open({ keystore, storage: new BackendVaultStorage(backend), maxFailedAttempts: 4 });
}
let oneCall: { client: BulwarkClient; wipes: unknown[] } | undefined;
let idle: BulwarkClient | undefined;

const steps = {
  /** First run: vault with a passcode, one record with a sensitive field. */
  async setUp(passcode: string, phone: string) {
    const d = await device();
    await d.vault.initialize({ passcode });
    const store = await storeOf(d);
    await store.put('notes', { id: 'n1', title: 'Gate', phone });
    d.vault.lock();
    const report = protectionReport({
      platform: 'browser',
      keystore: d.keystore.protection,
      storeBackend: 'indexeddb',
      wholeRecord: false,
      passcode: true,
      pinning: false,
    });
    return { status: d.vault.status, keystore: d.keystore.protection, report: report.items };
  },

  /** After a reload: a wrong passcode is refused, the right one opens, the record reads back. */
  async reopen(wrong: string, passcode: string, phone: string) {
    const d = await device();
    const refused = await d.vault.unlock(wrong).then(
      () => 'opened',
      (err: { code?: string }) => err.code,
    );
    await d.vault.unlock(passcode);
    const store = await storeOf(d);
    const byId = await store.get('notes', 'n1');
    const byIndex = await store.find('notes', { phone });
    return { refused, record: byId, found: byIndex.map((r) => r.id) };
  },

  dump: dumpIndexedDb,

  /** Sets up the install that several tabs share, with a passcode, locked. */
  async tabsSetUp(passcode: string) {
    const vault = await tabsInstall();
    await vault.initialize({ passcode });
    vault.lock();
  },

  /** Opens the shared install in this tab, as a tab opened before any attempt would. */
  async tabsOpen() {
    tabVault = await tabsInstall();
    return tabVault.attemptsLeft;
  },

  /** Tries `wrong` passcodes one after the other in this tab: each answer's code. */
  async tabsGuess(wrong: readonly string[]) {
    const answers: string[] = [];
    for (const passcode of wrong) {
      answers.push(
        await (tabVault as Vault).unlock(passcode).then(
          () => 'opened',
          (err: { code?: string }) => err.code ?? 'error',
        ),
      );
    }
    return answers;
  },

  /** A vault set up with each passcode KDF: its status, or the error's code. */
  async kdfs() {
    const attempt = async (kdf: 'argon2id' | 'pbkdf2') => {
      const vault = await Vault.open({
        keystore: new MemoryKeystore(),
        storage: new MemoryVaultStorage(),
        kdf,
      });
      return vault.initialize({ passcode: '482916' }).then(
        () => vault.status,
        (err: { code?: string; name?: string }) => err.code ?? err.name,
      );
    };
    return { argon2id: await attempt('argon2id'), pbkdf2: await attempt('pbkdf2') };
  },

  /** Signs in with a device key made here (WebCrypto, non-extractable, kept in IndexedDB). */
  async signIn(baseUrl: string, username: string, password: string, deviceId: string) {
    const d = await device();
    const deviceKey = await d.deviceKeys.create();
    const wipes: unknown[] = [];
    let wiper: Wiper | undefined;
    const transport = new Transport({
      baseUrl,
      devMode: true,
      deviceKey,
      sessions: new SecureItemsSessionStore(new SecureItems(d.keystore)),
      posture,
      onDeviceRevoked: async () => {
        wipes.push(await wiper?.wipe('device_revoked'));
      },
    });
    wiper = new Wiper({
      vault: d.vault,
      keystore: d.keystore,
      deviceKeys: d.deviceKeys,
      deviceKey,
      deviceId,
      transport,
      outbox: new WebStorageReceiptOutbox(localStorage),
      // The store is not open in this page: the wipe destroys it all the same.
      data: [d.backend],
    });
    const signedIn = await transport.login({ username, password, deviceId });
    session = { transport, wipes };
    const me = await transport.request<{ deviceId: string }>('GET', '/me');
    return {
      user: signedIn.user.username,
      me: me.deviceId,
      privateKeyExtractable: deviceKey.privateKey.extractable,
      storedKeyExtractable: (await d.deviceKeys.load())?.privateKey.extractable,
    };
  },

  /**
   * The SDK in one call (the browser preset, its own IndexedDB databases): set up, sign in, store
   * a record, then, once the test has revoked the device, the next request wipes through it.
   */
  async oneCall(baseUrl: string, username: string, password: string, phone: string) {
    const wipes: unknown[] = [];
    const client = await createClient({
      platform: 'browser',
      name: 'one-call',
      baseUrl,
      devMode: true,
      collections: [notes],
      posture,
      onWiped: (result) => wipes.push(result),
    });
    await client.setPasscode('482916');
    await client.signIn({ username, password });
    await client.store.put('notes', { id: 'n1', title: 'Gate', phone });
    oneCall = { client, wipes };
    return { deviceId: client.deviceId, status: client.status, platform: client.protection().platform };
  },

  /** createClient's browser preset with a one-minute idle lock, for the test's fake clock. */
  async idleClient() {
    const client = await createClient({
      platform: 'browser',
      name: 'idle',
      baseUrl: location.origin,
      devMode: true,
      collections: [notes],
      posture,
      autoLock: { idleMs: 60_000 },
    });
    await client.setPasscode('482916');
    idle = client;
    return client.status;
  },

  /** What background sync does: store writes and reads, no input from the person. */
  async idleBackgroundWork(n: number) {
    if (idle === undefined) throw new Error('run idleClient first');
    const store = idle.store;
    await store.put('notes', { id: `bg${n}`, title: `pulled ${n}`, phone: '+44 20 0000 0000' });
    await store.get('notes', `bg${n}`);
    return idle.status;
  },

  idleStatus: () => idle?.status,

  async idleUnlock() {
    await idle?.unlock('482916');
    return idle?.status;
  },

  /** The page goes to the background as a WebView's does when the app is left. */
  hide() {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    return idle?.status;
  },

  async oneCallAfterRevocation() {
    if (oneCall === undefined) throw new Error('run oneCall first');
    const code = await oneCall.client.transport.request('GET', '/me').then(
      () => 'answered',
      (err: { code?: string }) => err.code,
    );
    return { code, wipes: oneCall.wipes, status: oneCall.client.status, pendingReceipt: localStorage.length };
  },

  /** The next request after a revocation: refused with device_revoked, and the device wipes. */
  async afterRevocation() {
    if (session === undefined) throw new Error('sign in first');
    const code = await session.transport.request('GET', '/me').then(
      () => 'answered',
      (err: { code?: string }) => err.code,
    );
    const d = await device();
    return {
      code,
      wipes: session.wipes,
      vault: d.vault.status,
      deviceKey: (await d.deviceKeys.load()) === undefined,
    };
  },
};

declare global {
  interface Window {
    bulwark: typeof steps;
  }
}
window.bulwark = steps;
document.title = 'ready';
