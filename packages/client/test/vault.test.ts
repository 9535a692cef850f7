/**
 * The vault: unlock and lock, passcodes and their attempt limit, biometric unlock and its
 * invalidation, a keystore key lost in a backup restore, auto-lock on idle and background with an
 * injected clock, and crash safety of passcode change and key rotations with a failure injected
 * before every single write.
 */
import { open, seal } from '@bulwark/core/crypto';
import { describe, expect, it } from 'vitest';
import {
  type AppState,
  type CollectionSpec,
  EncryptedStore,
  type Keystore,
  MemoryBackend,
  MemoryKeystore,
  MemoryVaultStorage,
  ReactNativeKeychainKeystore,
  Vault,
  type VaultOptions,
  type VaultStorage,
} from '../src/index.js';
import { ManualClock } from './fakes/clock.js';
import { Crash, FaultBudget, faultyKeystore, faultyStorage } from './fakes/faults.js';
import { FakeReactNativeKeychain } from './fakes/mobile-keystores.js';

const context = { collection: 'sites', recordId: 'r1', field: 'phone', schemaVersion: 1 };
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function sealSample(vault: Vault): Promise<Uint8Array<ArrayBuffer>> {
  return seal(vault.keys().keyring.primary, new TextEncoder().encode('+44 20 7946 0958'), context);
}
async function openSample(vault: Vault, envelope: Uint8Array<ArrayBuffer>): Promise<string> {
  return text(await open(vault.keys().keyring, envelope, context));
}

function world(overrides: Partial<VaultOptions> = {}) {
  const keystore: Keystore = new MemoryKeystore();
  const storage: VaultStorage = new MemoryVaultStorage();
  const openVault = (more: Partial<VaultOptions> = {}) =>
    Vault.open({ keystore, storage, ...overrides, ...more });
  return { keystore, storage, openVault };
}

describe('vault without passcode', () => {
  it('initializes, locks, and unlocks again after a restart with the same data key', async () => {
    const { openVault } = world();
    const vault = await openVault();
    expect(vault.status).toBe('uninitialized');
    await expect(vault.unlock()).rejects.toMatchObject({ code: 'vault_not_initialized' });
    await vault.initialize();
    expect(vault.status).toBe('unlocked');
    const envelope = await sealSample(vault);
    vault.lock();
    expect(vault.status).toBe('locked');
    expect(() => vault.keys()).toThrow(expect.objectContaining({ code: 'vault_locked' }));
    const restarted = await openVault();
    expect(restarted.status).toBe('locked');
    await expect(restarted.unlock('1234')).rejects.toMatchObject({ code: 'passcode_required' });
    await restarted.unlock();
    expect(await openSample(restarted, envelope)).toBe('+44 20 7946 0958');
    await expect(restarted.initialize()).rejects.toMatchObject({ code: 'vault_exists' });
  });

  it('refuses to unlock when the keystore key is gone after a backup restore', async () => {
    const keychain = new FakeReactNativeKeychain();
    const storage = new MemoryVaultStorage();
    const vault = await Vault.open({ keystore: new ReactNativeKeychainKeystore(keychain), storage });
    await vault.initialize();
    keychain.simulateBackupRestore();
    const restored = await Vault.open({ keystore: new ReactNativeKeychainKeystore(keychain), storage });
    await expect(restored.unlock()).rejects.toMatchObject({ code: 'vault_key_missing' });
  });

  it('refuses a different keystore key and a damaged state record', async () => {
    const { keystore, storage, openVault } = world();
    await (await openVault()).initialize();
    await keystore.createKey('vault.kek.1');
    await expect((await openVault()).unlock()).rejects.toMatchObject({ code: 'vault_key_missing' });
    await storage.write(new TextEncoder().encode('{"v":1,"protection":"keystore"}'));
    await expect(openVault()).rejects.toMatchObject({ code: 'corrupt_data' });
  });
});

describe('vault with passcode', () => {
  it('needs the passcode, counts wrong ones across restarts, and resets the count on success', async () => {
    const { openVault } = world({ maxFailedAttempts: 5 });
    const vault = await openVault();
    await vault.initialize({ passcode: '482916' });
    const envelope = await sealSample(vault);
    vault.lock();
    await expect(vault.unlock()).rejects.toMatchObject({ code: 'passcode_required' });
    await expect(vault.unlock('000000')).rejects.toMatchObject({ code: 'wrong_passcode', attemptsLeft: 4 });
    const restarted = await openVault({ maxFailedAttempts: 5 });
    expect(restarted.attemptsLeft).toBe(4);
    await expect(restarted.unlock('482917')).rejects.toMatchObject({
      code: 'wrong_passcode',
      attemptsLeft: 3,
    });
    await restarted.unlock('482916');
    expect(restarted.attemptsLeft).toBe(5);
    expect(await openSample(restarted, envelope)).toBe('+44 20 7946 0958');
  });

  it('counts the wrong passcodes of every tab or window of the install together', async () => {
    const { openVault } = world({ maxFailedAttempts: 5 });
    const first = await openVault();
    await first.initialize({ passcode: '482916' });
    first.lock();
    // Three tabs opened before any attempt: each has read a count of zero.
    const tabs = [
      first,
      await openVault({ maxFailedAttempts: 5 }),
      await openVault({ maxFailedAttempts: 5 }),
    ];
    const answers: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const tab = tabs[i % tabs.length] as Vault;
      answers.push(
        await tab
          .unlock(`00000${i}`)
          .catch((err: { code: string; attemptsLeft?: number }) => err.attemptsLeft ?? err.code),
      );
    }
    expect(answers).toEqual([4, 3, 2, 1, 'vault_wiped', 'vault_wiped']);
    // A tab that had not tried since learns it at its next attempt, the right passcode included.
    await expect(tabs[0]?.unlock('482916')).rejects.toMatchObject({ code: 'vault_wiped' });
    for (const tab of tabs) expect(tab.status).toBe('wiped');
    expect((await openVault()).status).toBe('wiped');
  });

  it('a policy that reaches a tab opened earlier does not set back the count of wrong passcodes', async () => {
    const { openVault } = world({ maxFailedAttempts: 5 });
    const first = await openVault();
    await first.initialize({ passcode: '482916' });
    first.lock();
    const stale = await openVault();
    for (const guess of ['1', '2', '3']) await first.unlock(guess).catch(() => undefined);
    // The other tab's token refresh brings the policy: stored over the current count, not its copy.
    await stale.applySettings({ lockTimeoutSeconds: 300, failedUnlockLimit: 5 });
    expect((await openVault()).attemptsLeft).toBe(2);
    expect(stale.attemptsLeft).toBe(2);
  });

  it('a tab that finds its install wiped by another, or a new install in its place, is wiped', async () => {
    const { openVault } = world({ maxFailedAttempts: 5 });
    const first = await openVault();
    await first.initialize({ passcode: '482916' });
    first.lock();
    const stale = await openVault();
    await first.wipe();
    await first.initialize({ passcode: '111111' });
    first.lock();
    await expect(stale.unlock('111111')).rejects.toMatchObject({ code: 'vault_wiped' });
    expect(stale.status).toBe('wiped');
    await first.unlock('111111');
  });

  it('wipes at the limit: keys first, then data, and no passcode opens it afterwards', async () => {
    const { keystore, openVault } = world({ maxFailedAttempts: 3 });
    const vault = await openVault();
    await vault.initialize({ passcode: '482916' });
    vault.lock();
    const order: string[] = [];
    vault.onWipe(async () => {
      order.push(`data wiped; keystore key present: ${(await keystore.getKey('vault.kek.1')) !== undefined}`);
    });
    await expect(vault.unlock('1')).rejects.toMatchObject({ code: 'wrong_passcode', attemptsLeft: 2 });
    await expect(vault.unlock('2')).rejects.toMatchObject({ code: 'wrong_passcode', attemptsLeft: 1 });
    await expect(vault.unlock('3')).rejects.toMatchObject({ code: 'vault_wiped' });
    expect(order).toEqual(['data wiped; keystore key present: false']);
    expect(vault.status).toBe('wiped');
    await expect(vault.unlock('482916')).rejects.toMatchObject({ code: 'vault_wiped' });
    const restarted = await openVault();
    expect(restarted.status).toBe('wiped');
    await expect(restarted.unlock('482916')).rejects.toMatchObject({ code: 'vault_wiped' });
    // A new enrollment may start over on the same install.
    await restarted.initialize({ passcode: 'new-start' });
    expect(restarted.status).toBe('unlocked');
  });

  it('does not try a passcode whose attempt it cannot record', async () => {
    const keystore = new MemoryKeystore();
    const inner = new MemoryVaultStorage();
    const vault = await Vault.open({ keystore, storage: inner });
    await vault.initialize({ passcode: '482916' });
    const budget = new FaultBudget();
    budget.remaining = 0;
    const blocked = await Vault.open({ keystore, storage: faultyStorage(inner, budget) });
    await expect(blocked.unlock('482916')).rejects.toBeInstanceOf(Crash);
    expect(blocked.status).toBe('locked');
  });

  it('changes the passcode: the old one stops working, the new one works, data stays readable', async () => {
    const { openVault } = world();
    const vault = await openVault();
    await vault.initialize({ passcode: 'old-pass' });
    const envelope = await sealSample(vault);
    await expect(vault.changePasscode('wrong', 'new-pass')).rejects.toMatchObject({ code: 'wrong_passcode' });
    await vault.changePasscode('old-pass', 'new-pass');
    const restarted = await openVault();
    await expect(restarted.unlock('old-pass')).rejects.toMatchObject({ code: 'wrong_passcode' });
    await restarted.unlock('new-pass');
    expect(await openSample(restarted, envelope)).toBe('+44 20 7946 0958');
  });

  it('adds and removes a passcode on an existing vault', async () => {
    const { openVault } = world();
    const vault = await openVault();
    await vault.initialize();
    const envelope = await sealSample(vault);
    await vault.setPasscode('482916');
    vault.lock();
    await expect(vault.unlock()).rejects.toMatchObject({ code: 'passcode_required' });
    await vault.unlock('482916');
    await vault.removePasscode('482916');
    const restarted = await openVault();
    expect(restarted.hasPasscode).toBe(false);
    await restarted.unlock();
    expect(await openSample(restarted, envelope)).toBe('+44 20 7946 0958');
  });

  it('refuses an empty passcode', async () => {
    const { openVault } = world();
    await expect((await openVault()).initialize({ passcode: '' })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});

describe('biometric unlock', () => {
  it('unlocks with biometrics until a new enrolment invalidates it; the passcode keeps working', async () => {
    const keychain = new FakeReactNativeKeychain();
    const keystore = new ReactNativeKeychainKeystore(keychain);
    const storage = new MemoryVaultStorage();
    const vault = await Vault.open({ keystore, storage });
    await vault.initialize({ passcode: '482916' });
    const envelope = await sealSample(vault);
    await expect(vault.enableBiometrics('bad')).rejects.toMatchObject({ code: 'wrong_passcode' });
    await vault.enableBiometrics('482916');
    vault.lock();
    await vault.unlockWithBiometrics('Unlock inspections');
    expect(await openSample(vault, envelope)).toBe('+44 20 7946 0958');
    vault.lock();
    keychain.cancelPrompt = true;
    await expect(vault.unlockWithBiometrics()).rejects.toMatchObject({ code: 'biometric_unavailable' });
    keychain.cancelPrompt = false;
    keychain.enrollNewBiometric();
    await expect(vault.unlockWithBiometrics()).rejects.toMatchObject({ code: 'biometric_unavailable' });
    expect(vault.status).toBe('locked');
    await vault.unlock('482916');
    expect(await openSample(vault, envelope)).toBe('+44 20 7946 0958');
  });

  it('is refused where the keystore has no biometric entries, and without a passcode', async () => {
    const { openVault } = world();
    const vault = await openVault();
    await vault.initialize({ passcode: '482916' });
    await expect(vault.enableBiometrics('482916')).rejects.toMatchObject({ code: 'keystore_unsupported' });
    const keychainVault = await Vault.open({
      keystore: new ReactNativeKeychainKeystore(new FakeReactNativeKeychain()),
      storage: new MemoryVaultStorage(),
    });
    await keychainVault.initialize();
    await expect(keychainVault.enableBiometrics('x')).rejects.toMatchObject({ code: 'passcode_required' });
    keychainVault.lock();
    await expect(keychainVault.unlockWithBiometrics()).rejects.toMatchObject({
      code: 'biometric_unavailable',
    });
  });
});

describe('auto-lock', () => {
  function appStateSource() {
    let listener: ((s: AppState) => void) | undefined;
    return {
      source: {
        subscribe: (l: (s: AppState) => void) => {
          listener = l;
          return () => {
            listener = undefined;
          };
        },
      },
      emit: (s: AppState) => listener?.(s),
    };
  }

  it('locks after the idle period, which activity pushes back', async () => {
    const clock = new ManualClock();
    const { openVault } = world({ clock, autoLock: { idleMs: 1000 } });
    const vault = await openVault();
    let locks = 0;
    vault.onLock(() => locks++);
    await vault.initialize();
    clock.advance(999);
    expect(vault.status).toBe('unlocked');
    vault.touch();
    clock.advance(999);
    expect(vault.status).toBe('unlocked');
    clock.advance(1);
    expect(vault.status).toBe('locked');
    expect(locks).toBe(1);
  });

  it('locks at the first activity after an idle period its timer missed (a sleeping laptop, a suspended process)', async () => {
    const clock = new ManualClock();
    const { openVault } = world({ clock, autoLock: { idleMs: 60_000, background: 'never' } });
    const vault = await openVault();
    await vault.initialize();
    // The machine sleeps with the app open: the idle timer does not run, the clock moves on.
    clock.suspendTimers = true;
    clock.advance(3_600_000);
    // On waking, the key press that wakes it reaches the app before the overdue timer.
    vault.touch();
    expect(vault.status).toBe('locked');
    // Activity within the period still pushes the lock back.
    clock.suspendTimers = false;
    await vault.unlock();
    clock.advance(59_000);
    vault.touch();
    clock.advance(59_000);
    expect(vault.status).toBe('unlocked');
    clock.advance(1_000);
    expect(vault.status).toBe('locked');
  });

  it('locks after the idle period although the store is used meanwhile (background sync is not activity)', async () => {
    const clock = new ManualClock();
    const { openVault } = world({ clock, autoLock: { idleMs: 1000 } });
    const vault = await openVault();
    await vault.initialize();
    const backend = new MemoryBackend();
    const spec: CollectionSpec = {
      name: 'notes',
      schemaVersion: 1,
      fields: { body: { class: 'sensitive' } },
    };
    const store = await EncryptedStore.open({ backend, vault, collections: [spec] });
    // What a sync running every 400 ms does while nobody touches the screen.
    for (let i = 0; i < 2; i++) {
      clock.advance(400);
      await store.put('notes', { id: `n${i}`, body: `pulled ${i}` });
      expect(await store.get('notes', `n${i}`)).toEqual({ id: `n${i}`, body: `pulled ${i}` });
    }
    expect(vault.status).toBe('unlocked');
    clock.advance(200);
    expect(vault.status).toBe('locked');
    await expect(store.get('notes', 'n0')).rejects.toMatchObject({ code: 'vault_locked' });
  });

  it('locks at once on going to the background by default', async () => {
    const clock = new ManualClock();
    const app = appStateSource();
    const { openVault } = world({ clock, appState: app.source });
    const vault = await openVault();
    await vault.initialize();
    app.emit('background');
    expect(vault.status).toBe('locked');
  });

  it('honours a background grace period even when the OS froze the timers', async () => {
    const clock = new ManualClock();
    const app = appStateSource();
    const { openVault } = world({ clock, appState: app.source, autoLock: { background: 5000 } });
    const vault = await openVault();
    await vault.initialize();
    app.emit('background');
    clock.advance(4000);
    app.emit('active');
    expect(vault.status).toBe('unlocked');
    app.emit('background');
    clock.suspendTimers = true;
    clock.advance(6000);
    expect(vault.status).toBe('unlocked');
    app.emit('active');
    expect(vault.status).toBe('locked');
  });

  it('applies the server policy: lock timeout and wrong-passcode limit', async () => {
    const clock = new ManualClock();
    const { openVault } = world({ clock, maxFailedAttempts: 10 });
    const vault = await openVault();
    await vault.initialize({ passcode: '482916' });
    await vault.applySettings({ lockTimeoutSeconds: 60, failedUnlockLimit: 2 });
    clock.advance(59_000);
    expect(vault.status).toBe('unlocked');
    clock.advance(1_000);
    expect(vault.status).toBe('locked');
    await expect(vault.unlock('1')).rejects.toMatchObject({ code: 'wrong_passcode', attemptsLeft: 1 });
    await expect(vault.unlock('2')).rejects.toMatchObject({ code: 'vault_wiped' });
    expect(() => vault.applySettings({ lockTimeoutSeconds: -1, failedUnlockLimit: 2 })).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
  });

  it('keeps the server policy across a restart: a device started without network keeps the admin limits', async () => {
    const clock = new ManualClock();
    const { storage, openVault } = world({ clock, maxFailedAttempts: 10, autoLock: { idleMs: 300_000 } });
    const vault = await openVault();
    await vault.initialize({ passcode: '482916' });
    await vault.applySettings({ lockTimeoutSeconds: 60, failedUnlockLimit: 3 });
    vault.lock();
    expect(text((await storage.read()) ?? new Uint8Array())).toContain('"failedUnlockLimit":3');

    // The next start: no policy from the server yet, the stored one holds.
    const restarted = await openVault();
    expect(restarted.attemptsLeft).toBe(3);
    await restarted.unlock('482916');
    clock.advance(59_000);
    expect(restarted.status).toBe('unlocked');
    clock.advance(1_000);
    expect(restarted.status).toBe('locked');
    await expect(restarted.unlock('1')).rejects.toMatchObject({ code: 'wrong_passcode', attemptsLeft: 2 });
    await expect(restarted.unlock('2')).rejects.toMatchObject({ code: 'wrong_passcode', attemptsLeft: 1 });
    await expect(restarted.unlock('3')).rejects.toMatchObject({ code: 'vault_wiped' });
  });

  it('keeps a policy that came before the vault was set up, and the newest one after', async () => {
    const { openVault } = world({ maxFailedAttempts: 10 });
    const vault = await openVault();
    // A sign-in before the passcode is chosen: the policy comes first.
    await vault.applySettings({ lockTimeoutSeconds: 300, failedUnlockLimit: 2 });
    await vault.initialize({ passcode: '482916' });
    expect((await openVault()).attemptsLeft).toBe(2);
    // The admin raises it: the server decides, in both directions.
    await vault.applySettings({ lockTimeoutSeconds: 300, failedUnlockLimit: 5 });
    expect((await openVault()).attemptsLeft).toBe(5);
  });

  it('refuses a stored policy that is not in the expected shape', async () => {
    const { storage, openVault } = world();
    const vault = await openVault();
    await vault.initialize();
    await vault.applySettings({ lockTimeoutSeconds: 60, failedUnlockLimit: 3 });
    const stored = text((await storage.read()) ?? new Uint8Array());
    for (const bad of [
      '{"lockTimeoutSeconds":60,"failedUnlockLimit":-1}',
      '{"lockTimeoutSeconds":"60","failedUnlockLimit":3}',
      '7',
    ]) {
      await storage.write(
        new TextEncoder().encode(stored.replace('{"lockTimeoutSeconds":60,"failedUnlockLimit":3}', bad)),
      );
      await expect(openVault()).rejects.toMatchObject({ code: 'corrupt_data' });
    }
  });

  it('applies a server lock timeout of 0 as "lock immediately" on going to the background', async () => {
    const clock = new ManualClock();
    const app = appStateSource();
    const { openVault } = world({ clock, appState: app.source, autoLock: { background: 'never' } });
    const vault = await openVault();
    await vault.initialize();
    await vault.applySettings({ lockTimeoutSeconds: 0, failedUnlockLimit: 0 });
    app.emit('background');
    expect(vault.status).toBe('locked');
  });

  it('bounds the lock in the background by the server timeout, keeping a stricter app policy', async () => {
    const clock = new ManualClock();
    const app = appStateSource();
    const loose = world({ clock, appState: app.source, autoLock: { background: 'never' } });
    const vault = await loose.openVault();
    await vault.initialize();
    await vault.applySettings({ lockTimeoutSeconds: 60, failedUnlockLimit: 0 });
    app.emit('background');
    clock.suspendTimers = true;
    clock.advance(60_000);
    app.emit('active');
    expect(vault.status).toBe('locked');

    const strict = world({ clock, appState: app.source, autoLock: { background: 1000 } });
    const other = await strict.openVault();
    await other.initialize();
    await other.applySettings({ lockTimeoutSeconds: 60, failedUnlockLimit: 0 });
    app.emit('background');
    clock.advance(1000);
    app.emit('active');
    expect(other.status).toBe('locked');
  });

  it('never locks on background when told so', async () => {
    const clock = new ManualClock();
    const app = appStateSource();
    const { openVault } = world({ clock, appState: app.source, autoLock: { background: 'never' } });
    const vault = await openVault();
    await vault.initialize();
    app.emit('background');
    clock.advance(10 ** 9);
    app.emit('active');
    expect(vault.status).toBe('unlocked');
  });
});

describe('crash safety, with a crash injected before every write', () => {
  /** Runs `operation` with a crash after `n` writes, for every n until it completes. */
  async function everyCrashPoint(
    setup: (keystore: Keystore, storage: VaultStorage) => Promise<Uint8Array<ArrayBuffer>>,
    operation: (vault: Vault) => Promise<unknown>,
    check: (
      keystore: Keystore,
      storage: VaultStorage,
      envelope: Uint8Array<ArrayBuffer>,
      completed: boolean,
    ) => Promise<void>,
    options: Partial<VaultOptions> = {},
  ): Promise<number> {
    for (let n = 0; ; n++) {
      const keystore = new MemoryKeystore();
      const storage = new MemoryVaultStorage();
      const envelope = await setup(keystore, storage);
      const budget = new FaultBudget();
      const vault = await Vault.open({
        keystore: faultyKeystore(keystore, budget),
        storage: faultyStorage(storage, budget),
        ...options,
      });
      budget.remaining = n;
      let completed = false;
      try {
        await operation(vault);
        completed = true;
      } catch (err) {
        if (!(err instanceof Crash)) throw err;
      }
      await check(keystore, storage, envelope, completed);
      if (completed) return n;
    }
  }

  it('passcode change: exactly one of the two passcodes works after any crash', async () => {
    const points = await everyCrashPoint(
      async (keystore, storage) => {
        const vault = await Vault.open({ keystore, storage });
        await vault.initialize({ passcode: 'old-pass' });
        return sealSample(vault);
      },
      (vault) => vault.changePasscode('old-pass', 'new-pass'),
      async (keystore, storage, envelope, completed) => {
        const works: string[] = [];
        for (const passcode of ['old-pass', 'new-pass']) {
          const vault = await Vault.open({ keystore, storage });
          try {
            await vault.unlock(passcode);
            expect(await openSample(vault, envelope)).toBe('+44 20 7946 0958');
            works.push(passcode);
          } catch (err) {
            expect(err).toMatchObject({ code: 'wrong_passcode' });
          }
        }
        expect(works).toHaveLength(1);
        if (completed) expect(works).toEqual(['new-pass']);
      },
    );
    expect(points).toBeGreaterThanOrEqual(2);
  });

  it('keystore key rotation: the vault opens with its data after any crash, and old keys go', async () => {
    for (const passcode of [undefined, 'p4ss']) {
      const points = await everyCrashPoint(
        async (keystore, storage) => {
          const vault = await Vault.open({ keystore, storage });
          await vault.initialize(passcode === undefined ? {} : { passcode });
          return sealSample(vault);
        },
        (vault) => vault.rotateKeystoreKey(),
        async (keystore, storage, envelope, completed) => {
          const vault = await Vault.open({ keystore, storage });
          await vault.unlock(passcode);
          expect(await openSample(vault, envelope)).toBe('+44 20 7946 0958');
          if (completed) {
            expect(await keystore.getKey('vault.kek.1')).toBeUndefined();
            expect(await keystore.getKey('vault.kek.2')).toBeDefined();
          }
        },
      );
      expect(points).toBeGreaterThanOrEqual(3);
    }
  });

  it('wipe: the tombstone first, so a crash leaves the vault whole or wiped, never locked without its key', async () => {
    const states: string[] = [];
    const points = await everyCrashPoint(
      async (keystore, storage) => {
        const vault = await Vault.open({ keystore, storage });
        await vault.initialize({ passcode: 'p4ss' });
        return sealSample(vault);
      },
      (vault) => vault.wipe(),
      async (keystore, storage, envelope, completed) => {
        const vault = await Vault.open({ keystore, storage });
        states.push(vault.status);
        if (vault.status === 'locked') {
          // Killed before the wipe's first write: nothing was destroyed.
          await vault.unlock('p4ss');
          expect(await openSample(vault, envelope)).toBe('+44 20 7946 0958');
        } else {
          expect(vault.status).toBe('wiped');
          expect(text((await storage.read()) ?? new Uint8Array())).toContain('"reason":"manual"');
        }
        if (completed) expect(await keystore.getKey('vault.kek.1')).toBeUndefined();
      },
    );
    expect(points).toBeGreaterThanOrEqual(2);
    expect(states[0]).toBe('locked');
    expect(states.slice(1).every((s) => s === 'wiped')).toBe(true);
  });

  it('data key rotation: old data opens, new data is sealed under the new key, after any crash', async () => {
    await everyCrashPoint(
      async (keystore, storage) => {
        const vault = await Vault.open({ keystore, storage });
        await vault.initialize();
        return sealSample(vault);
      },
      async (vault) => {
        await vault.unlock();
        await vault.rotateDataKey();
      },
      async (keystore, storage, envelope, completed) => {
        const vault = await Vault.open({ keystore, storage });
        await vault.unlock();
        expect(await openSample(vault, envelope)).toBe('+44 20 7946 0958');
        expect(vault.dataKeyIds).toHaveLength(completed ? 2 : 1);
        const fresh = await sealSample(vault);
        expect(await openSample(vault, fresh)).toBe('+44 20 7946 0958');
      },
    );
  });

  it('retires an old data key only when asked, never the primary', async () => {
    const { openVault } = world();
    const vault = await openVault();
    await vault.initialize();
    const old = await sealSample(vault);
    const [oldId] = vault.dataKeyIds;
    const newId = await vault.rotateDataKey();
    expect(vault.keys().primaryKeyId).toBe(newId);
    await expect(vault.retireDataKey(newId)).rejects.toMatchObject({ code: 'invalid_argument' });
    await vault.retireDataKey(oldId as string);
    await expect(openSample(vault, old)).rejects.toMatchObject({ code: 'decryption_failed' });
  });
});
