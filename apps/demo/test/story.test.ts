/**
 * The whole story as two people do it, in two browser contexts of Debian's Chromium against one
 * real server: an inspector signs in to the demo, chooses a passcode, edits an inspection
 * offline (the sensitive field encrypted in IndexedDB), comes back online and syncs; an
 * administrator signs in to the console, finds that device and revokes it; the demo wipes on its
 * next contact and says why; the console shows the wipe confirmed. Neither page reports a CSP
 * or Trusted Types violation or an error from start to end.
 */
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  axeViolations,
  launchChromium,
  type PageWatch,
  screenshot,
  watchPage,
} from '../../../test-support/e2e.js';
import { signInByKeyboard } from '../../console/test/lib/world.js';
import {
  choosePasscode,
  type DemoWorld,
  deviceIdOf,
  dumpIndexedDb,
  signIn,
  startDemoWorld,
  waitSynced,
} from './lib/demo-world.js';

describe('the story: an inspector works offline, an admin revokes the device, the data is wiped', () => {
  let world: DemoWorld;
  let browser: Browser;
  let demoContext: BrowserContext;
  let consoleContext: BrowserContext;
  let demo: Page;
  let consolePage: Page;
  let demoWatch: PageWatch;
  let consoleWatch: PageWatch;
  const admin = {
    username: `admin-${randomBytes(3).toString('hex')}`,
    password: `keys ${randomBytes(12).toString('hex')}`,
  };
  const canary = `+44 7700 ${randomBytes(3).readUIntBE(0, 3).toString().padStart(8, '9').slice(0, 6)}`;

  beforeAll(async () => {
    world = await startDemoWorld(2);
    await world.admin.request('POST', '/admin/users', { ...admin, role: 'admin' });
    browser = await launchChromium();
    demoContext = await browser.newContext({ viewport: { width: 420, height: 860 } });
    consoleContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    demo = await demoContext.newPage();
    consolePage = await consoleContext.newPage();
    demoWatch = watchPage(demo);
    consoleWatch = watchPage(consolePage);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('goes from offline work to a confirmed wipe, through both apps', async () => {
    // The inspector: sign in, passcode, the list.
    await demo.goto(`${world.app.origin}/demo/`);
    await signIn(demo, world);
    await choosePasscode(demo, 'story 4417');
    await waitSynced(demo);
    const site = world.sites[0] as string;

    // Offline: an edit with the resident's phone, kept on the device, encrypted.
    await demoContext.setOffline(true);
    await demo.getByRole('button', { name: new RegExp(`^${site}`) }).click();
    await demo.getByLabel(/Resident phone/).fill(canary);
    await demo.getByLabel('Status').selectOption('in_progress');
    await demo.getByRole('button', { name: 'Save' }).click();
    await demo.getByText('Saved on this device, encrypted.').waitFor();
    await demo.getByRole('button', { name: '← All inspections' }).click();
    await expect.poll(() => demo.locator('.pending').textContent()).toBe('1 change waiting');
    const stored = await dumpIndexedDb(demo);
    expect(stored).toContain(site);
    expect(stored).not.toContain(canary);

    // Back online: the edit reaches the server.
    await demoContext.setOffline(false);
    await demo.getByRole('button', { name: 'Sync now' }).click();
    await waitSynced(demo);
    const id = world.ids[0] as string;
    await expect
      .poll(async () => (await world.read(id))?.record, { timeout: 20_000 })
      .toMatchObject({ status: 'in_progress', residentPhone: canary });
    await screenshot(demo, 'story-demo-synced');

    // The administrator: the console, the device, revoke.
    const deviceId = await deviceIdOf(world);
    await consolePage.goto(`${world.app.origin}/console/`);
    await signInByKeyboard(consolePage, admin.username, admin.password);
    await consolePage.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await consolePage.getByRole('link', { name: 'Devices' }).click();
    await consolePage.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
    const row = consolePage.locator(`tr[data-device-id="${deviceId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(world.inspector.username);
    await row.getByRole('button', { name: /^Revoke device/ }).click();
    const dialog = consolePage.getByRole('dialog', { name: 'Revoke device' });
    await dialog.getByLabel('Reason').selectOption('lost');
    await dialog.getByRole('button', { name: 'Revoke device' }).click();
    await row.getByText('revoked', { exact: true }).waitFor();

    // The inspector's next contact: the device learns it is revoked and wipes itself.
    await demo.getByRole('button', { name: 'Sync now' }).click();
    await demo.getByRole('heading', { name: 'This device was erased' }).waitFor({ timeout: 20_000 });
    expect(await demo.getByRole('alert').textContent()).toContain('An administrator revoked this device');
    const left = await dumpIndexedDb(demo);
    for (const s of world.sites) expect(left).not.toContain(s);
    expect(await axeViolations(demo)).toEqual([]);
    await screenshot(demo, 'story-demo-wiped');

    // The console sees the wipe confirmed by the device's signed receipt.
    await row.getByText('wipe confirmed').waitFor({ timeout: 20_000 });
    expect(await world.deviceStatus(deviceId)).toBe('wipe_confirmed');
    expect(await axeViolations(consolePage)).toEqual([]);
    await screenshot(consolePage, 'story-console-wipe-confirmed');

    for (const watch of [demoWatch, consoleWatch]) {
      expect(watch.violations).toEqual([]);
      expect(watch.errors).toEqual([]);
    }
  }, 180_000);
});
