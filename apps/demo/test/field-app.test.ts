/**
 * The demo field app in Debian's Chromium against the real server with the demo configuration:
 * sign in, passcode, the inspections the user may see; an offline edit kept through a reload
 * served by the service worker, synced when the network is back (the sensitive field never
 * readable in IndexedDB, the serverOnly fields never on the device); a rejected edit and a
 * conflict explained; an encrypted photo shown back; the privacy overlay when the tab is hidden
 * and after idle. Every screen is checked with axe-core, and the page must raise no CSP or
 * Trusted Types violation.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  axeViolations,
  launchChromium,
  type PageWatch,
  screenshot,
  watchPage,
} from '../../../test-support/e2e.js';
import {
  choosePasscode,
  type DemoWorld,
  dumpIndexedDb,
  recordTraffic,
  signIn,
  startDemoWorld,
  unlock,
  waitNotice,
  waitSynced,
} from './lib/demo-world.js';
import { pngWithMarker } from './lib/png.js';

const PASSCODE = 'field 4821';

describe('the demo field app', () => {
  let world: DemoWorld;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;
  let traffic: readonly string[];
  const canary = `+44 7${randomBytes(4).readUInt32BE(0).toString().padStart(10, '0').slice(0, 9)}`;

  beforeAll(async () => {
    world = await startDemoWorld(3);
    browser = await launchChromium();
    // A phone-sized window: the app is made for the field.
    context = await browser.newContext({ viewport: { width: 420, height: 860 } });
    watch = watchPage(context);
    page = await context.newPage();
    traffic = recordTraffic(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  async function expectAccessible(name: string): Promise<void> {
    expect(await axeViolations(page), name).toEqual([]);
    await screenshot(page, `demo-${name}`);
  }

  async function openInspection(site: string): Promise<void> {
    await page.getByRole('button', { name: new RegExp(`^${site}`) }).click();
    await page.getByRole('heading', { level: 1, name: site }).waitFor();
  }

  async function backToList(): Promise<void> {
    await page.getByRole('button', { name: '← All inspections' }).click();
    await page.getByRole('heading', { name: 'Your inspections' }).waitFor();
  }

  it('signs in, takes a passcode and lists the inspections the inspector may see, and no other', async () => {
    await page.goto(`${world.app.origin}/demo/`);
    await page.getByRole('heading', { name: 'Site inspections' }).waitFor();
    await expectAccessible('sign-in');
    await signIn(page, world);
    await page.getByRole('heading', { name: 'Choose a passcode' }).waitFor();
    // The focus is where typing goes, not back at the page's start.
    const focused = () => page.evaluate(() => document.activeElement?.id);
    expect(await focused()).toBe('passcode');
    await expectAccessible('passcode');
    await choosePasscode(page, PASSCODE);
    for (const site of world.sites)
      await page.getByRole('button', { name: new RegExp(`^${site}`) }).waitFor();
    await waitSynced(page);
    expect(await page.locator('.list li').count()).toBe(world.sites.length);
    expect(await page.textContent('body')).not.toContain(world.foreignSite);
    await expectAccessible('list');
    // An installable PWA: Chromium finds nothing missing (manifest, icons, service worker).
    const cdp = await context.newCDPSession(page);
    await expect
      .poll(
        async () =>
          (await cdp.send('Page.getInstallabilityErrors')).installabilityErrors
            // A test context is an incognito profile, where Chromium installs nothing.
            .filter((e) => e.errorId !== 'in-incognito'),
        { timeout: 10_000 },
      )
      .toEqual([]);
  });

  it('edits offline, restarts offline from the service worker and IndexedDB, and syncs when back online', async () => {
    // The service worker controls the page once it is active (it claims its clients).
    await expect
      .poll(() => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null))
      .toBe(`${world.app.origin}/demo/sw.js`);
    await context.setOffline(true);
    await expect.poll(() => page.locator('.net').textContent()).toBe('Offline');

    // Keyboard: Tab to the first inspection and open it with Enter.
    await page.getByRole('button', { name: new RegExp(`^${world.sites[0]}`) }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: world.sites[0] as string }).waitFor();
    await page.getByLabel('Status').selectOption('in_progress');
    await page.getByLabel(/Resident phone/).fill(canary);
    await page.getByLabel('New finding').fill('Loose handrail on the stairs');
    await page.getByLabel('Severity').selectOption('medium');
    await page.getByRole('button', { name: 'Add finding' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved on this device, encrypted.').waitFor();
    await expectAccessible('inspection');
    await backToList();
    await expect.poll(() => page.locator('.pending').textContent()).toBe('1 change waiting');

    // A restart with no network: the shell comes from the service worker, the data from IndexedDB.
    await page.reload();
    await unlock(page, PASSCODE);
    await expect.poll(() => page.locator('.pending').textContent()).toBe('1 change waiting');
    await openInspection(world.sites[0] as string);
    expect(await page.getByLabel(/Resident phone/).inputValue()).toBe(canary);
    expect(await page.textContent('main')).toContain('Loose handrail on the stairs');

    // What script in the page can read from IndexedDB: the phone sealed, the serverOnly fields absent.
    const dump = await dumpIndexedDb(page);
    expect(dump).toContain(world.sites[0]);
    expect(dump).not.toContain(canary);
    expect(dump).not.toContain(canary.replace(/\s/g, ''));
    expect(dump).not.toContain('riskScore');
    expect(dump).not.toContain('internalNotes');

    await backToList();
    await context.setOffline(false);
    await waitSynced(page);
    const stored = await world.read(world.ids[0] as string);
    expect(stored?.record).toMatchObject({
      status: 'in_progress',
      residentPhone: canary,
      findings: [{ note: 'Loose handrail on the stairs', severity: 'medium' }],
    });
  });

  it('shows a rejected edit with the server’s reason', async () => {
    await openInspection(world.sites[1] as string);
    await page.getByLabel('Status').selectOption('done');
    await page.getByRole('button', { name: 'Save' }).click();
    const notice = page.locator('.notice.rejected');
    await waitNotice(page, '.notice.rejected', traffic);
    expect(await notice.textContent()).toContain(`Change refused: ${world.sites[1]}`);
    expect(await notice.textContent()).toContain('a done inspection needs a finding');
    await expectAccessible('rejected');
    await page.getByRole('button', { name: 'Dismiss' }).click();
    expect((await world.read(world.ids[1] as string))?.record.status).toBe('scheduled');
    await backToList();
    // The header does not call the refused edit synced; the list says which one it is.
    expect(await page.locator('.pending').textContent()).toBe('All changes sent; 1 refused, not synced');
    expect(
      await page.getByRole('button', { name: new RegExp(`^${world.sites[1]}`) }).textContent(),
    ).toContain('refused by the server, not synced');
  });

  it('says who may change a teammate’s inspection when the rules refuse an edit of it', async () => {
    const team = (await world.read(world.ids[0] as string))?.record.team;
    if (team === undefined) throw new Error('inspection missing');
    const site = 'Teammate depot 9 Mill Lane';
    const id = randomUUID();
    await world.write(
      id,
      {
        site,
        inspector: randomUUID(),
        team,
        status: 'scheduled',
        scheduledAt: new Date(Date.UTC(2026, 11, 20, 9)).toISOString(),
        findings: [],
        photos: [],
      },
      null,
    );
    await page.getByRole('button', { name: 'Sync now' }).click();
    await openInspection(site);
    await page.getByLabel('Status').selectOption('in_progress');
    await page.getByRole('button', { name: 'Save' }).click();
    await waitNotice(page, '.notice.rejected', traffic);
    const text = await page.locator('.notice.rejected').textContent();
    // Not "correct it and save again": no correction gets past the rules.
    expect(text).toContain(
      'only the inspector it is assigned to, a supervisor of its team or an administrator',
    );
    expect(text).not.toContain('correct it');
    await expectAccessible('forbidden');
    await page.getByRole('button', { name: 'Dismiss' }).click();
    expect((await world.read(id))?.record.status).toBe('scheduled');
    await backToList();
    // Back in the list, the focus is on the inspection just closed, not at the top of the page.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent))
      .toMatch(new RegExp(`^${site}`));
  });

  it('shows a conflict with the server’s newer version, and re-applies the change on request', async () => {
    const id = world.ids[2] as string;
    await context.setOffline(true);
    await openInspection(world.sites[2] as string);
    await page.getByLabel('Status').selectOption('in_progress');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved on this device, encrypted.').waitFor();
    // Meanwhile a supervisor changes the same inspection on the server.
    const before = await world.read(id);
    if (before === undefined) throw new Error('inspection missing');
    const { riskScore: _computed, ...fields } = before.record;
    await world.write(
      id,
      { ...fields, findings: [{ note: 'Gas smell in the cellar', severity: 'high' }] },
      before.version,
    );
    await backToList();
    await context.setOffline(false);
    const notice = page.locator('.notice.conflict');
    await waitNotice(page, '.notice.conflict', traffic);
    expect(await notice.textContent()).toContain(`Conflict: ${world.sites[2]}`);
    expect(await notice.textContent()).toMatch(/changed this inspection on the server \(now version \d+\)/);
    await expectAccessible('conflict');
    // The server's version is what the device now shows.
    await openInspection(world.sites[2] as string);
    expect(await page.textContent('main')).toContain('Gas smell in the cellar');
    expect(await page.getByLabel('Status').inputValue()).toBe('scheduled');
    await page.getByRole('button', { name: 'Apply my change again' }).click();
    await waitSynced(page);
    await expect.poll(async () => (await world.read(id))?.record.status).toBe('in_progress');
    expect((await world.read(id))?.record.findings).toEqual([
      { note: 'Gas smell in the cellar', severity: 'high' },
    ]);
    await backToList();
  });

  it('stores a photo encrypted in chunks and shows it back', async () => {
    const marker = `PHOTO-CANARY-${randomBytes(6).toString('hex')}`;
    await openInspection(world.sites[0] as string);
    // The record screen fits a phone: nothing on it, the photo picker included, widens the page.
    await page.setViewportSize({ width: 360, height: 860 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.setViewportSize({ width: 420, height: 860 });
    await page.setInputFiles('#photo', {
      name: 'handrail.png',
      mimeType: 'image/png',
      buffer: pngWithMarker(marker),
    });
    const image = page.getByRole('img', { name: /^handrail\.png, taken / });
    await image.waitFor();
    await expect.poll(() => image.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(192);
    await expectAccessible('photo');
    const dump = await dumpIndexedDb(page);
    expect(dump).toContain('bulwark-demo-files');
    expect(dump).not.toContain(marker);
    await waitSynced(page);
    expect((await world.read(world.ids[0] as string))?.record.photos).toMatchObject([
      { name: 'handrail.png', contentType: 'image/png' },
    ]);
    await backToList();
  });

  it('drops an inspection reassigned to someone else from the device, and its photos with it', async () => {
    const id = world.ids[2] as string;
    const site = world.sites[2] as string;
    await openInspection(site);
    await page.setInputFiles('#photo', {
      name: 'boiler.png',
      mimeType: 'image/png',
      buffer: pngWithMarker(`PHOTO-CANARY-${randomBytes(6).toString('hex')}`),
    });
    await page.getByRole('img', { name: /^boiler\.png, taken / }).waitFor();
    await waitSynced(page);
    await backToList();
    // The SDK names a record's attached files after it (docs/store.md, "Files attached to a record").
    const tag = `bwr.${createHash('sha256').update(`inspections\u0000${id}`).digest().subarray(0, 18).toString('base64url')}.`;
    expect(await dumpIndexedDb(page)).toContain(tag);

    const before = await world.read(id);
    if (before === undefined) throw new Error('inspection missing');
    const { riskScore: _computed, ...fields } = before.record;
    await world.write(id, { ...fields, inspector: randomUUID(), team: 'south' }, before.version);
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByRole('button', { name: new RegExp(`^${site}`) }).waitFor({ state: 'detached' });
    await expect.poll(async () => (await dumpIndexedDb(page)).includes(tag)).toBe(false);
    expect(await dumpIndexedDb(page)).not.toContain(site);
  });

  it('keeps what the inspector is typing when a sync finishes while the form is open', async () => {
    const site = world.sites[1] as string;
    await openInspection(site);
    const typed = '+44 7700 900123';
    await page.getByLabel(/Resident phone/).fill(typed);
    const pulled = page.waitForResponse((r) => r.url().endsWith('/sync/pull'));
    await page.getByRole('button', { name: 'Sync now' }).click();
    await pulled;
    // The button says "Sync now" again once the sync and the list's refresh are over.
    await page.getByRole('button', { name: 'Sync now' }).waitFor();
    expect(await page.getByLabel(/Resident phone/).inputValue()).toBe(typed);
    await page.getByRole('button', { name: '← All inspections' }).click();
  });

  it('locks when the tab is hidden: the overlay hides the data, and the passcode brings it back', async () => {
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.getByRole('heading', { name: 'Locked' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('unlock-passcode');
    const text = (await page.textContent('body')) ?? '';
    for (const site of world.sites) expect(text).not.toContain(site);
    await expectAccessible('locked');
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.getByLabel('Passcode', { exact: true }).fill('wrong passcode');
    await page.keyboard.press('Enter');
    await page.getByText(/Wrong passcode\. \d+ attempts left/).waitFor({ timeout: 20_000 });
    await unlock(page, PASSCODE);
    await page.getByRole('button', { name: new RegExp(`^${world.sites[0]}`) }).waitFor();
  });

  it('locks after five minutes without activity', async () => {
    // A page of its own with a fake clock (time still flows; the test jumps ahead).
    const idle = await context.newPage();
    await idle.clock.install();
    await idle.goto(`${world.app.origin}/demo/`);
    await unlock(idle, PASSCODE);
    await waitSynced(idle);
    // Offline while the page's clock jumps ahead: the idle lock is the device's own, and a
    // check-in signed minutes ahead of the server's clock would be refused on the way.
    await context.setOffline(true);
    try {
      await idle.clock.fastForward('04:00');
      expect(await idle.getByRole('heading', { name: 'Your inspections' }).isVisible()).toBe(true);
      await idle.clock.fastForward('01:05');
      await idle.getByRole('heading', { name: 'Locked' }).waitFor();
      expect(await idle.textContent('body')).not.toContain(world.sites[0]);
    } finally {
      await context.setOffline(false);
    }
    await idle.close();
  });

  it('lets no script register another service worker or make another script-URL policy', async () => {
    const other = await browser.newContext();
    const probe = await other.newPage();
    await probe.goto(`${world.app.origin}/demo/`);
    await probe.getByRole('heading', { name: 'Site inspections' }).waitFor();
    const attempts = await probe.evaluate(async () => {
      const outcome = async (attempt: () => Promise<unknown>) =>
        attempt().then(
          () => 'allowed',
          (err: Error) => err.name,
        );
      const tt = (
        globalThis as unknown as { trustedTypes: { createPolicy(name: string, rules: object): unknown } }
      ).trustedTypes;
      return {
        plainUrl: await outcome(() => navigator.serviceWorker.register('./sw-other.js')),
        samePolicyAgain: await outcome(async () =>
          tt.createPolicy('bulwark-demo', { createScriptURL: (u: string) => u }),
        ),
        otherPolicy: await outcome(async () =>
          tt.createPolicy('attacker', { createScriptURL: (u: string) => u }),
        ),
      };
    });
    expect(attempts).toEqual({
      plainUrl: 'TypeError',
      samePolicyAgain: 'TypeError',
      otherPolicy: 'TypeError',
    });
    await other.close();
  });

  it('offers a way out of the lock screen for a forgotten passcode: erase, then sign in again', async () => {
    await page.reload();
    await page.getByRole('heading', { name: 'Locked' }).waitFor();
    // From the keyboard: the fold is a native <details>, its erase button says what it does first.
    await page.getByText('Forgot your passcode?').focus();
    await page.keyboard.press('Enter');
    const erase = page.getByRole('button', { name: 'Erase this device' });
    await erase.waitFor();
    expect(await page.locator('.forgot').textContent()).toContain('with any change not synced yet');
    await expectAccessible('forgot-passcode');
    await erase.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'This device was erased' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('You erased this device.');
    const dump = await dumpIndexedDb(page);
    for (const site of world.sites) expect(dump).not.toContain(site);
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.getByRole('heading', { name: 'Site inspections' }).waitFor();
  });

  it('raised no CSP or Trusted Types violation and no uncaught error', () => {
    expect(watch.violations).toEqual([]);
    expect(watch.errors).toEqual([]);
  });
});
