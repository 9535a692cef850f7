/**
 * What the demo finds when it starts: a wipe that a reload cut short (the device key already gone,
 * the rest still there, or only the vault's tombstone written) is finished before any screen,
 * through the SDK's wipe path, and the screen says the device was erased; an offline grace period that ran out while the app was
 * closed wipes on start and says why. Debian's Chromium against the real server with the demo
 * configuration; the page must raise no CSP or Trusted Types violation and no uncaught error.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, launchChromium, type PageWatch, watchPage } from '../../../test-support/e2e.js';
import { choosePasscode, type DemoWorld, dumpIndexedDb, signIn, startDemoWorld } from './lib/demo-world.js';

const DAY = 24 * 3600_000;

describe('the demo at start', () => {
  let world: DemoWorld;
  let browser: Browser;

  beforeAll(async () => {
    world = await startDemoWorld(1);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  /** A new browser context signed in to the demo, its passcode chosen, the list shown. */
  async function enrolled(): Promise<{ context: BrowserContext; page: Page; watch: PageWatch }> {
    const context = await browser.newContext({ viewport: { width: 420, height: 860 } });
    const watch = watchPage(context);
    await context.clock.install();
    const page = await context.newPage();
    await page.goto(`${world.app.origin}/demo/`);
    await signIn(page, world);
    await choosePasscode(page, 'start 3390');
    await page.getByRole('button', { name: new RegExp(`^${world.sites[0]}`) }).waitFor();
    return { context, page, watch };
  }

  it('finishes a wipe that a reload cut short, and says the device was erased', async () => {
    const { context, page, watch } = await enrolled();
    expect(await dumpIndexedDb(page)).toContain(world.sites[0]);
    // A wipe destroys the keys first: the device key gone, the store still there, is what a
    // reload in the middle of one leaves. The app is left first (its connections close), so the
    // deletion is not blocked, and it is awaited before the app starts again.
    await page.goto(`${world.app.origin}/healthz`);
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const request = indexedDB.deleteDatabase('bulwark-device');
          request.onsuccess = () => resolve();
          request.onerror = () => reject(request.error);
        }),
    );
    await page.goto(`${world.app.origin}/demo/`);
    await page.getByRole('heading', { name: 'This device was erased' }).waitFor({ timeout: 20_000 });
    expect(await page.getByRole('alert').textContent()).toContain('This device had to be erased');
    expect(await axeViolations(page)).toEqual([]);
    const dump = await dumpIndexedDb(page);
    expect(dump).not.toContain(world.sites[0]);
    expect(dump).not.toContain('CryptoKey');
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);

    // The next start is a new install: the sign-in screen.
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.getByRole('heading', { name: 'Site inspections' }).waitFor();
    expect(watch.violations).toEqual([]);
    expect(watch.errors).toEqual([]);
    await context.close();
  });

  it('finishes a wipe that a closed tab cut short after its first write (the tombstone), and says why', async () => {
    const { context, page, watch } = await enrolled();
    expect(await dumpIndexedDb(page)).toContain(world.sites[0]);
    // A wipe's first write replaces the vault's state by a tombstone that keeps the reason; a tab
    // closed right after leaves that, with the keystore, the device key and the store still there.
    await page.goto(`${world.app.origin}/healthz`);
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('bulwark-demo-store');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const db = open.result;
            const tx = db.transaction('meta', 'readwrite');
            const tombstone = JSON.stringify({ v: 1, wiped: true, reason: 'device_revoked' });
            tx.objectStore('meta').put(new TextEncoder().encode(tombstone), 'vault');
            tx.oncomplete = () => {
              db.close();
              resolve();
            };
            tx.onerror = () => reject(tx.error);
          };
        }),
    );
    await page.goto(`${world.app.origin}/demo/`);
    await page.getByRole('heading', { name: 'This device was erased' }).waitFor({ timeout: 20_000 });
    expect(await page.getByRole('alert').textContent()).toContain('An administrator revoked this device');
    expect(await axeViolations(page)).toEqual([]);
    const dump = await dumpIndexedDb(page);
    expect(dump).not.toContain(world.sites[0]);
    expect(dump).not.toContain('CryptoKey');
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.getByRole('heading', { name: 'Site inspections' }).waitFor();
    expect(watch.violations).toEqual([]);
    expect(watch.errors).toEqual([]);
    await context.close();
  });

  it('keeps an install enrolled by an earlier version, which kept the user name in localStorage', async () => {
    const { context, page, watch } = await enrolled();
    await page.goto(`${world.app.origin}/healthz`);
    await page.evaluate(
      (name) =>
        new Promise<void>((resolve, reject) => {
          localStorage.setItem('bulwark-demo.user', name);
          const request = indexedDB.deleteDatabase('bulwark-demo-app');
          request.onsuccess = () => resolve();
          request.onerror = () => reject(request.error);
        }),
      world.inspector.username,
    );
    await page.goto(`${world.app.origin}/demo/`);
    await page.getByRole('heading', { name: 'Locked' }).waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
    expect(await dumpIndexedDb(page)).toContain(world.inspector.username);
    expect(watch.violations).toEqual([]);
    expect(watch.errors).toEqual([]);
    await context.close();
  });

  it('wipes on start when the offline grace period ran out while the app was closed, and says why', async () => {
    const { context, page, watch } = await enrolled();
    await context.setOffline(true);
    await page.close();
    // Eight days pass with the app closed (no timer of the page runs), then it starts offline.
    await context.clock.setSystemTime(Date.now() + 8 * DAY);
    const next = await context.newPage();
    await next.goto(`${world.app.origin}/demo/`);
    await next.getByRole('heading', { name: 'This device was erased' }).waitFor({ timeout: 20_000 });
    expect(await next.getByRole('alert').textContent()).toContain(
      'out of touch with the server for longer than your organisation allows',
    );
    expect(await axeViolations(next)).toEqual([]);
    await expect.poll(() => dumpIndexedDb(next)).not.toContain(world.sites[0]);
    expect(watch.violations).toEqual([]);
    expect(watch.errors).toEqual([]);
    await context.close();
  });
});
