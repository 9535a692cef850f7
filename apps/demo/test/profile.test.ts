/**
 * What the demo leaves in the browser profile on disk, in a Chromium profile folder of the test's
 * own (`launchPersistentContext`): after offline edits, a canary put in the sensitive field is in
 * no file of the profile (nor in what the page can read from IndexedDB) while the plain fields
 * are, and neither the passcode, the password nor the access and refresh tokens are (nor did
 * Chromium offer to save the passcode), nor did any of them reach the page's console; after an
 * admin revokes the device, the demo wipes on its next contact with the server, says so clearly,
 * the server records the wipe as confirmed, and nothing of the demo's data is left in the
 * profile, nor the user's name outside the browser's password manager; what is typed into a form
 * stays out of the session files Chromium keeps to restore tabs. Every scan looks for each value
 * raw, in UTF-16, base64, hex and URL-encoded.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  axeViolations,
  CHROMIUM_ARGS,
  chromiumPath,
  type PageWatch,
  screenshot,
  watchPage,
} from '../../../test-support/e2e.js';
import {
  choosePasscode,
  type DemoWorld,
  deviceIdOf,
  dumpIndexedDb,
  signIn,
  startDemoWorld,
  unlock,
  waitSynced,
} from './lib/demo-world.js';

const PASSCODE = 'profile 5190';

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/**
 * `text` in every form a careless write could use: UTF-8/Latin-1, UTF-16 in both byte orders,
 * base64 and base64url at the three byte alignments (the characters that depend on neighbouring
 * bytes dropped), hex in both cases, URL-encoded.
 */
function encodings(text: string): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const forms = [bytes, Buffer.from(text, 'utf16le'), Buffer.from(text, 'utf16le').swap16()];
  for (let shift = 0; shift < 3; shift++) {
    for (const encoding of ['base64', 'base64url'] as const) {
      const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString(encoding);
      forms.push(
        Buffer.from(
          encoded.slice(Math.ceil((shift * 4) / 3) + 1, Math.floor(((shift + bytes.length) * 4) / 3) - 1),
        ),
      );
    }
  }
  forms.push(Buffer.from(bytes.toString('hex')), Buffer.from(bytes.toString('hex').toUpperCase()));
  forms.push(
    Buffer.from(encodeURIComponent(text)),
    Buffer.from(new URLSearchParams({ q: text }).toString().slice(2)),
  );
  return forms;
}

/** The files of the profile that hold `text` in any of its encodings. */
async function filesHolding(dir: string, text: string): Promise<string[]> {
  const needles = encodings(text);
  const hits: string[] = [];
  for (const file of await filesUnder(dir)) {
    const bytes = await readFile(file).catch(() => Buffer.alloc(0));
    if (needles.some((n) => bytes.includes(n))) hits.push(file.slice(dir.length + 1));
  }
  return hits;
}

/** The user names of the offers to save a password that Chromium's password manager recorded. */
function passwordSaveOffers(dir: string): string[] {
  const db = new Database(join(dir, 'Default', 'Login Data'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select username_value from stats').all() as { username_value: string }[]).map(
      (row) => row.username_value,
    );
  } finally {
    db.close();
  }
}

describe('the demo in a browser profile on disk', () => {
  let world: DemoWorld;
  let profile: string;
  let context: BrowserContext | undefined;
  let page: Page;
  let watch: PageWatch;
  const canary = `+33 6${randomBytes(4).readUInt32BE(0).toString().padStart(10, '7').slice(0, 8)}`;
  const tokens: string[] = [];
  const consoleText: string[] = [];

  async function open(): Promise<void> {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath(),
      args: [...CHROMIUM_ARGS],
    });
    page = context.pages()[0] ?? (await context.newPage());
    watch = watchPage(page);
    // What the page logs, to look for secrets in it.
    page.on('console', (message) => consoleText.push(message.text()));
    page.on('pageerror', (error) => consoleText.push(`${error.message} ${error.stack ?? ''}`));
    // Every token the server hands this browser, to look for them on disk later.
    page.on('response', (response) => {
      if (!new URL(response.url()).pathname.startsWith('/auth/')) return;
      void response
        .json()
        .then((body: Record<string, unknown>) => {
          for (const key of ['accessToken', 'refreshToken']) {
            if (typeof body[key] === 'string') tokens.push(body[key]);
          }
        })
        .catch(() => undefined);
    });
    await page.goto(`${world.app.origin}/demo/`);
    await page.evaluate(() => console.info('console capture works'));
  }

  async function close(): Promise<void> {
    expect(watch.violations).toEqual([]);
    expect(watch.errors).toEqual([]);
    await context?.close();
    context = undefined;
  }

  beforeAll(async () => {
    world = await startDemoWorld(2);
    profile = await mkdtemp(join(tmpdir(), 'bulwark-demo-profile-'));
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await world?.close();
    await rm(profile, { recursive: true, force: true });
  });

  it('keeps the sensitive field out of every file of the profile after offline edits', async () => {
    await open();
    await signIn(page, world);
    await choosePasscode(page, PASSCODE);
    await waitSynced(page);
    await context?.setOffline(true);
    for (const site of world.sites) {
      await page.getByRole('button', { name: new RegExp(`^${site}`) }).click();
      await page.getByLabel(/Resident phone/).fill(canary);
      await page.getByLabel('Status').selectOption('in_progress');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Saved on this device, encrypted.').waitFor();
      await page.getByRole('button', { name: '← All inspections' }).click();
    }
    await expect.poll(() => page.locator('.pending').textContent()).toBe('2 changes waiting');
    const dump = await dumpIndexedDb(page);
    expect(dump).toContain(world.sites[0]);
    expect(dump).not.toContain(canary);
    await close();

    // The plain fields are on disk (the scan finds what is there), the sensitive one is not, nor
    // the passcode or the password.
    expect((await filesHolding(profile, world.sites[0] as string)).length).toBeGreaterThan(0);
    expect(await filesHolding(profile, canary)).toEqual([]);
    expect(await filesHolding(profile, canary.replace(/\s/g, ''))).toEqual([]);
    expect(await filesHolding(profile, PASSCODE)).toEqual([]);
    expect(await filesHolding(profile, world.inspector.password)).toEqual([]);
    // Nor the access and refresh tokens the server handed out.
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    for (const token of tokens) expect(await filesHolding(profile, token)).toEqual([]);
    // Chromium never offered to save the passcode as the site's password (its password manager
    // records each offer; an offer for a form without a user name has an empty one).
    expect(passwordSaveOffers(profile)).not.toContain('');
  });

  it('keeps what is typed into the forms out of the browser session files, which outlive a wipe', async () => {
    await open();
    await unlock(page, PASSCODE);
    await page.getByRole('button', { name: new RegExp(`^${world.sites[0]}`) }).click();
    const typed = `Typed finding ${randomBytes(6).toString('hex')}`;
    await page.getByLabel('New finding').fill(typed);
    // A same-document navigation makes Chromium record the page's state, its form fields
    // included, in the session files it keeps to restore tabs: wait until they hold the marker.
    const marker = `marker${randomBytes(6).toString('hex')}`;
    await page.evaluate((m) => {
      location.hash = m;
    }, marker);
    await expect.poll(() => filesHolding(profile, marker), { timeout: 20_000 }).not.toEqual([]);
    await close();
    expect(await filesHolding(profile, typed)).toEqual([]);
    expect(await filesHolding(profile, canary)).toEqual([]);
  });

  it('wipes after the admin revokes the device, says so, and leaves none of its data in the profile', async () => {
    await open();
    await page.getByRole('heading', { name: 'Locked' }).waitFor();
    const deviceId = await deviceIdOf(world);
    // The browser is closed when the admin revokes (a check-in of this start still on its way
    // would otherwise learn of it and wipe before the next start the test looks at).
    await close();
    await world.revoke(deviceId);

    // The next start checks in: the device learns it is revoked and wipes.
    await open();
    await page.getByRole('heading', { name: 'This device was erased' }).waitFor({ timeout: 20_000 });
    expect(await page.getByRole('alert').textContent()).toContain('An administrator revoked this device');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'demo-wiped');
    await expect.poll(() => world.deviceStatus(deviceId), { timeout: 20_000 }).toBe('wipe_confirmed');
    const dump = await dumpIndexedDb(page);
    for (const site of world.sites) expect(dump).not.toContain(site);
    expect(dump).not.toContain('CryptoKey');
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
    await close();

    for (const site of world.sites) expect(await filesHolding(profile, site)).toEqual([]);
    expect(await filesHolding(profile, canary)).toEqual([]);
    for (const token of tokens) expect(await filesHolding(profile, token)).toEqual([]);
    // Nothing secret went to the console either, over the whole suite.
    const logged = consoleText.join('\n');
    expect(logged).toContain('console capture works');
    for (const secret of [canary, PASSCODE, world.inspector.password, ...tokens]) {
      expect(logged).not.toContain(secret);
    }
    // Nor who used it: the user name is left only where the browser's password manager counts its
    // offer to save the sign-in password, the browser's own database, which no page reaches.
    expect(await filesHolding(profile, world.inspector.username)).toEqual(['Default/Login Data']);
    expect(passwordSaveOffers(profile)).toEqual([world.inspector.username]);
  });
});
