/**
 * The server's offline grace period in the demo: a device out of touch with the server for longer
 * than the policy's `offlineGraceSeconds` (7 days by default) wipes itself and says why; six days
 * offline are still allowed, and from one day before the wipe the lock screen and the list warn
 * with the time left. Time is moved with Chromium's fake clock while the browser is offline.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, launchChromium, screenshot, watchPage } from '../../../test-support/e2e.js';
import {
  choosePasscode,
  type DemoWorld,
  dumpIndexedDb,
  signIn,
  startDemoWorld,
  unlock,
} from './lib/demo-world.js';

const DAY = 24 * 3600_000;

describe('the offline grace period', () => {
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

  it('keeps the data for six days offline, warns a day before the wipe with the time left, and wipes after the seventh, saying why', async () => {
    const context = await browser.newContext({ viewport: { width: 420, height: 860 } });
    const page = await context.newPage();
    const watch = watchPage(page);
    await page.clock.install();
    await page.goto(`${world.app.origin}/demo/`);
    await signIn(page, world);
    await choosePasscode(page, 'grace 6612');
    await page.getByRole('button', { name: new RegExp(`^${world.sites[0]}`) }).waitFor();
    // Synced today: the time alone.
    await expect
      .poll(() => page.locator('.sync-status').textContent())
      .toMatch(/^Synced at \d{2}:\d{2}:\d{2}\.$/);
    await context.setOffline(true);

    // Five days offline: no warning yet (it starts one day before the wipe).
    await page.clock.fastForward(5 * DAY);
    await page.clock.fastForward('01:00');
    await page.getByRole('heading', { name: 'Locked' }).waitFor();
    expect(await page.locator('.grace-warning').count()).toBe(0);

    // Six days: locked by the idle timer, not wiped, and warned with the time left.
    await page.clock.fastForward(DAY);
    await page.clock.fastForward('01:00');
    await page.getByRole('heading', { name: 'Locked' }).waitFor();
    const warning = page.getByRole('alert').filter({ hasText: 'erase its data' });
    await expect
      .poll(() => warning.textContent())
      .toBe('This device will erase its data in 23 hours unless it connects to the server.');
    expect(await dumpIndexedDb(page)).toContain(world.sites[0]);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'demo-offline-grace-warning-locked');

    // Unlocked offline: the list says so too, and when the last sync was, with its date (not today).
    await unlock(page, 'grace 6612');
    await expect
      .poll(() => warning.textContent())
      .toBe('This device will erase its data in 23 hours unless it connects to the server.');
    const status = await page.locator('.sync-status').textContent();
    expect(status).toMatch(
      /^Offline: your changes are kept on this device\. Last synced on \w{3} \d{1,2} \w{3} at \d{2}:\d{2}:\d{2}\.$/,
    );
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'demo-offline-grace-warning-list');

    // The last hour counts in minutes.
    await page.clock.fastForward(23 * 3600_000 + 27 * 60_000);
    await page.clock.fastForward('01:00');
    await expect
      .poll(() => warning.textContent())
      .toMatch(/^This device will erase its data in (2[89]|30) minutes unless/);

    await page.clock.fastForward(3600_000);
    await page.clock.fastForward('01:00');
    await page.getByRole('heading', { name: 'This device was erased' }).waitFor({ timeout: 20_000 });
    expect(await page.getByRole('alert').textContent()).toContain(
      'out of touch with the server for longer than your organisation allows',
    );
    expect(await axeViolations(page)).toEqual([]);
    expect(await dumpIndexedDb(page)).not.toContain(world.sites[0]);
    expect(watch.violations).toEqual([]);
    expect(watch.errors).toEqual([]);
    await context.close();
  });
});
