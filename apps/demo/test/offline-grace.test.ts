/**
 * The server's offline grace period in the demo: a device out of touch with the server for longer
 * than the policy's `offlineGraceSeconds` (7 days by default) wipes itself and says why; six days
 * offline are still allowed. Time is moved with Chromium's fake clock while the browser is offline.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, launchChromium, watchPage } from '../../../test-support/e2e.js';
import { choosePasscode, type DemoWorld, dumpIndexedDb, signIn, startDemoWorld } from './lib/demo-world.js';

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

  it('keeps the data for six days offline and wipes after the seventh, saying why', async () => {
    const context = await browser.newContext({ viewport: { width: 420, height: 860 } });
    const page = await context.newPage();
    const watch = watchPage(page);
    await page.clock.install();
    await page.goto(`${world.app.origin}/demo/`);
    await signIn(page, world);
    await choosePasscode(page, 'grace 6612');
    await page.getByRole('button', { name: new RegExp(`^${world.sites[0]}`) }).waitFor();
    await context.setOffline(true);

    await page.clock.fastForward(6 * DAY);
    await page.clock.fastForward('01:00');
    // Locked by the idle timer, but not wiped.
    await page.getByRole('heading', { name: 'Locked' }).waitFor();
    expect(await dumpIndexedDb(page)).toContain(world.sites[0]);

    await page.clock.fastForward(DAY + 3600_000);
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
