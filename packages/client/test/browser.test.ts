/**
 * The SDK in a real browser: Debian's Chromium, driven by playwright-core, loads the SDK's web
 * entry bundled for the browser (test/browser/entry.ts) from a page on the real server's origin.
 * In real IndexedDB and WebCrypto: the vault and the encrypted store survive a reload, a wrong
 * passcode is refused, no sensitive value is readable in any database of the origin, the keys
 * are non-extractable CryptoKeys; the device signs in with DPoP against the real server, gets
 * revoked by an admin, wipes, and the server confirms the wipe from its receipt.
 *
 * Chromium comes from `scripts/services.sh` (apt-get) or BULWARK_CHROMIUM. Without it the suite
 * fails under CI=true and is skipped, with the reason, on a developer's machine.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../test-support/e2e.js';
import { deviceStatus, type RealServer, revokeAsAdmin, startRealServer, USER } from './lib/real-server.js';

const executablePath = process.env.BULWARK_CHROMIUM ?? '/usr/bin/chromium';
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const haveChromium = existsSync(executablePath);
if (!haveChromium && inCi) {
  throw new Error(
    `Chromium not found at ${executablePath}: \`npm test\` installs Debian's chromium (scripts/services.sh), or set BULWARK_CHROMIUM`,
  );
}

const PAGE = '/__browser/';
/** The same page under a policy without `'wasm-unsafe-eval'`: no WebAssembly may compile. */
const STRICT_PAGE = '/__browser/strict';
const BUNDLE = '/__browser/bundle.js';

/** The test page and its script, from the server's own origin (the API allows no other). */
async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./browser/entry.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

describe.skipIf(!haveChromium)('the SDK in Chromium', () => {
  let server: RealServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const script = await bundle();
    // The SDK's web entry must bundle for the browser without anything of Node.
    expect(script).not.toMatch(/from\s*["']node:|require\(["']node:/);
    server = await startRealServer((app) => {
      // The API's own policy is `default-src 'none'`; the test page needs its one script, and
      // WebAssembly for Argon2id (docs/crypto.md).
      const policy = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'";
      const strict = "default-src 'none'; script-src 'self'; connect-src 'self'";
      const html = `<!doctype html><title>loading</title><script type="module" src="${BUNDLE}"></script>`;
      app.get(PAGE, async (_request, reply) =>
        reply.header('content-security-policy', policy).type('text/html').send(html),
      );
      app.get(STRICT_PAGE, async (_request, reply) =>
        reply.header('content-security-policy', strict).type('text/html').send(html),
      );
      app.get(BUNDLE, async (_request, reply) => reply.type('text/javascript').send(script));
    });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Opens (or reloads) the page and waits for the bundle to be ready. */
  async function load(path = PAGE): Promise<void> {
    await page.goto(`${server.url}${path}`);
    await page.waitForFunction(() => document.title === 'ready');
    expect(pageErrors).toEqual([]);
  }

  const phone = `+44 20 ${randomBytes(6).toString('hex')}`;
  const deviceId = randomUUID();

  it('keeps the vault and the store in IndexedDB across a reload, sealed, with non-extractable keys', async () => {
    await load();
    const first = await page.evaluate(([p, v]) => window.bulwark.setUp(p, v), ['482916', phone] as const);
    expect(first.status).toBe('locked');
    expect(first.keystore).toMatchObject({
      adapter: 'browser-indexeddb',
      nonExtractable: true,
      persistent: true,
    });
    // The report says what a browser does not protect against: script running in the same origin.
    expect(first.report.find((i) => i.id === 'survives_code_running_in_the_app')?.protected).toBe(false);
    expect(first.report.find((i) => i.id === 'keys_non_extractable')?.protected).toBe(true);

    await load();
    const again = await page.evaluate(([wrong, right, p]) => window.bulwark.reopen(wrong, right, p), [
      '000000',
      '482916',
      phone,
    ] as const);
    expect(again.refused).toBe('wrong_passcode');
    expect(again.record).toMatchObject({ id: 'n1', title: 'Gate', phone });
    expect(again.found).toEqual(['n1']);

    const dump = await page.evaluate(() => window.bulwark.dump());
    expect(dump.length).toBeGreaterThan(0);
    expect(dump).toContain('Gate');
    expect(dump).not.toContain(phone);
    expect(dump).toContain('[CryptoKey extractable=false]');
    expect(dump).not.toContain('[CryptoKey extractable=true]');
  });

  it('counts the wrong passcodes of every tab of the install together, even tried at the same time', async () => {
    // Three tabs of one origin (a context of their own, so that this install's databases stay
    // out of the other tests'), each opened before any attempt: each has read a count of zero.
    const context = await browser.newContext();
    const tabs = [await context.newPage(), await context.newPage(), await context.newPage()];
    for (const tab of tabs) {
      tab.on('pageerror', (err) => pageErrors.push(err.message));
      await tab.goto(`${server.url}${PAGE}`);
      await tab.waitForFunction(() => document.title === 'ready');
    }
    await tabs[0]?.evaluate(() => window.bulwark.tabsSetUp('482916'));
    for (const tab of tabs) expect(await tab.evaluate(() => window.bulwark.tabsOpen())).toBe(4);
    // They guess at once, three passcodes each, against a limit of four.
    const answers = (
      await Promise.all(
        tabs.map((tab, t) =>
          tab.evaluate((wrong) => window.bulwark.tabsGuess(wrong), [`${t}00001`, `${t}00002`, `${t}00003`]),
        ),
      )
    ).flat();
    // Three wrong passcodes counted, the fourth wipes, every later one meets the wiped vault.
    expect(answers.filter((a) => a === 'wrong_passcode')).toHaveLength(3);
    expect(answers.filter((a) => a === 'vault_wiped')).toHaveLength(6);
    await context.close();
    expect(pageErrors).toEqual([]);
  });

  it('runs Argon2id where the page allows WebAssembly; elsewhere says kdf_unavailable, and PBKDF2 works', async () => {
    await load();
    expect(await page.evaluate(() => window.bulwark.kdfs())).toEqual({
      argon2id: 'unlocked',
      pbkdf2: 'unlocked',
    });
    await load(STRICT_PAGE);
    expect(await page.evaluate(() => window.bulwark.kdfs())).toEqual({
      argon2id: 'kdf_unavailable',
      pbkdf2: 'unlocked',
    });
  });

  it('signs in with DPoP, is revoked, wipes, and the server confirms the wipe', async () => {
    await load();
    const signedIn = await page.evaluate(([url, u, p, id]) => window.bulwark.signIn(url, u, p, id), [
      server.url,
      USER.username,
      USER.password,
      deviceId,
    ] as const);
    expect(signedIn).toEqual({
      user: USER.username,
      me: deviceId,
      privateKeyExtractable: false,
      storedKeyExtractable: false,
    });

    await revokeAsAdmin(server.url, deviceId, 'stolen');
    const after = await page.evaluate(() => window.bulwark.afterRevocation());
    expect(after).toEqual({
      code: 'device_revoked',
      wipes: [{ reason: 'device_revoked', receiptSent: true }],
      // The vault's state lived in the store's database, which the wipe deleted: a fresh install.
      vault: 'uninitialized',
      deviceKey: true,
    });
    expect(await deviceStatus(server, deviceId)).toBe('wipe_confirmed');
    const dump = await page.evaluate(() => window.bulwark.dump());
    expect(dump).not.toContain(phone);
    expect(dump).not.toContain('Gate');
    expect(dump).not.toContain('CryptoKey');
    expect(pageErrors).toEqual([]);
  });

  it('createClient for the browser: key input pushes the idle lock back, background store work does not, hiding the page locks', async () => {
    const idlePage = await browser.newPage();
    idlePage.on('pageerror', (err) => pageErrors.push(err.message));
    await idlePage.clock.install();
    await idlePage.goto(`${server.url}${PAGE}`);
    await idlePage.waitForFunction(() => document.title === 'ready');
    expect(await idlePage.evaluate(() => window.bulwark.idleClient())).toBe('unlocked');
    await idlePage.clock.fastForward(40_000);
    await idlePage.keyboard.press('Shift');
    await idlePage.clock.fastForward(40_000);
    // Eighty seconds since the unlock, forty since the key: still open.
    expect(await idlePage.evaluate(() => window.bulwark.idleStatus())).toBe('unlocked');
    for (let n = 0; n < 2; n++) {
      expect(await idlePage.evaluate((i) => window.bulwark.idleBackgroundWork(i), n)).toBe('unlocked');
      await idlePage.clock.fastForward(8_000);
    }
    expect(await idlePage.evaluate(() => window.bulwark.idleStatus())).toBe('unlocked');
    await idlePage.clock.fastForward(5_000);
    // Sixty-one seconds since the key; the store writes in between were not activity.
    expect(await idlePage.evaluate(() => window.bulwark.idleStatus())).toBe('locked');
    expect(await idlePage.evaluate(() => window.bulwark.idleUnlock())).toBe('unlocked');
    expect(await idlePage.evaluate(() => window.bulwark.hide())).toBe('locked');
    await idlePage.close();
    expect(pageErrors).toEqual([]);
  });

  it('createClient for the browser: signs in, is revoked, wipes through its one Wiper, the server confirms', async () => {
    await load();
    const secret = `+44 20 ${randomBytes(6).toString('hex')}`;
    const created = await page.evaluate(([url, u, p, s]) => window.bulwark.oneCall(url, u, p, s), [
      server.url,
      USER.username,
      USER.password,
      secret,
    ] as const);
    expect(created).toMatchObject({ status: 'unlocked', platform: 'browser' });
    await revokeAsAdmin(server.url, created.deviceId, 'stolen');
    const after = await page.evaluate(() => window.bulwark.oneCallAfterRevocation());
    expect(after).toEqual({
      code: 'device_revoked',
      wipes: [{ reason: 'device_revoked', receiptSent: true }],
      status: 'wiped',
      pendingReceipt: 0,
    });
    expect(await deviceStatus(server, created.deviceId)).toBe('wipe_confirmed');
    const dump = await page.evaluate(() => window.bulwark.dump());
    expect(dump).not.toContain(secret);
    expect(pageErrors).toEqual([]);
  });
});
