/**
 * What the console must not do. Stored script injection: a device that reports script and
 * markup payloads in every field it sends (name, OS and app version; the platform is refused by
 * the server unless it is a plain word) and a user whose name is such a payload are listed on
 * every screen, and nothing runs, loads or navigates: no dialog, no request to a URL the console
 * does not use, no element made from a payload, and the payload shown verbatim as text. Text that
 * lies without markup: a right-to-left override in a device name stays inside the name. A link
 * whose address is not valid percent-encoding does not blank the console. A cut tail of the event
 * log is found against a head hash copied before. An attacker's page in the same browser can
 * neither frame the console nor read the API. And an
 * account that is not an admin cannot use the console: the UI says so, the API answers 403.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createDpopProof, DeviceKey, type Transport } from '@bulwark/client';
import Database from 'better-sqlite3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppServer,
  axeViolations,
  launchChromium,
  type PageWatch,
  screenshot,
  startAppServer,
  watchPage,
} from '../../../test-support/e2e.js';
import { apiAs, firstAdmin, HEALTHY, signInByKeyboard } from './lib/world.js';

const PAYLOADS = [
  '<img src=x onerror="alert(1)">',
  '<script>alert(2)</script>',
  'javascript:alert(3)',
  '"><svg onload=alert(4)>',
  "'><iframe src=/console/evil>",
  '<a href="javascript:alert(5)">x</a>',
];
const EVIL_NAME = PAYLOADS.join(' ').slice(0, 100);
const EVIL_USER = { username: `${PAYLOADS[0]}${PAYLOADS[3]}`, password: 'correct horse battery staple' };
/**
 * A device name that opens a right-to-left override (U+202E) and never closes it: shown inline,
 * it would turn every word after it in the same paragraph around (the owner's name, the
 * question), so the admin would read something else than the console wrote.
 */
const BIDI_NAME = "\u202eenohp s'ecila";
const PASSWORD = 'a console admin passphrase of some length';

/** Signs in from a new device with `fields` as its declaration (the SDK sends no device name). */
async function rawLogin(
  origin: string,
  credentials: { username: string; password: string },
  fields: { name: string; osVersion: string; appVersion: string },
): Promise<Response> {
  const key = await DeviceKey.generate();
  const url = `${origin}/auth/login`;
  const body = JSON.stringify({
    ...credentials,
    device: {
      id: randomUUID(),
      publicKey: key.publicJwk,
      platform: 'android',
      posture: HEALTHY.posture,
      ...fields,
    },
  });
  let nonce: string | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    const dpop = await createDpopProof(key, {
      method: 'POST',
      url,
      now: Date.now() / 1000,
      ...(nonce === undefined ? {} : { nonce }),
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', dpop },
      body,
    });
    nonce = res.headers.get('dpop-nonce') ?? undefined;
    if (res.status !== 401) return res;
  }
  throw new Error('no nonce');
}

describe('the console renders hostile data as text', () => {
  let app: AppServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;
  let api: Transport;
  let evilUserId: string;
  const dialogs: string[] = [];
  const unexpected: string[] = [];

  beforeAll(async () => {
    app = await startAppServer();
    const admin = await firstAdmin(app, PASSWORD);
    api = await apiAs(app.origin, admin);
    const created = await api.request<{ user: { id: string } }>('POST', '/admin/users', EVIL_USER);
    evilUserId = created.user.id;
    // Devices of the hostile user, one payload in each field of each; and a failed sign-in by name.
    for (const payload of PAYLOADS) {
      const res = await rawLogin(app.origin, EVIL_USER, {
        name: `${payload} ${EVIL_NAME}`.slice(0, 100),
        osVersion: payload.slice(0, 40),
        appVersion: payload.slice(0, 40),
      });
      expect(res.status).toBe(200);
    }
    expect(
      (
        await rawLogin(app.origin, EVIL_USER, {
          name: BIDI_NAME,
          osVersion: `14${BIDI_NAME}`,
          appVersion: `1.0${BIDI_NAME}`,
        })
      ).status,
    ).toBe(200);
    await apiAs(app.origin, { username: PAYLOADS[2] ?? '', password: 'wrong password of some length' }).catch(
      () => undefined,
    );

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    watch = watchPage(context);
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    context.on('request', (request) => {
      const url = new URL(request.url());
      const ok =
        url.origin === app.origin &&
        (/^\/console\/(|app-[\w-]+\.(js|css)|favicon\.svg)$/.test(url.pathname) ||
          /^\/(auth|admin|me|\.well-known)\b/.test(url.pathname));
      if (!ok) unexpected.push(request.url());
    });
    await page.goto(`${app.origin}/console/`);
    await signInByKeyboard(page, admin.username, admin.password);
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Nothing ran, loaded or appeared; every payload in `expected` is shown as the text it is. */
  async function expectInert(expected: readonly string[]) {
    const report = await page.evaluate(() => {
      const main = document.getElementById('main');
      return {
        hostileElements: main?.querySelectorAll(
          'img, script, svg, iframe, object, embed, a[href^="javascript"]',
        ).length,
        links: Array.from(document.querySelectorAll('a[href]')).map((a) => a.getAttribute('href') ?? ''),
        scripts: document.scripts.length,
        text: main?.textContent ?? '',
        href: location.href,
      };
    });
    expect(report.hostileElements).toBe(0);
    expect(report.scripts).toBe(1);
    for (const href of report.links) expect(href).toMatch(/^#\/[\w/%-]*$/);
    for (const payload of expected) expect(report.text).toContain(payload);
    expect(report.href.startsWith(`${app.origin}/console/`)).toBe(true);
    expect(dialogs).toEqual([]);
    expect(unexpected).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
  }

  it('the users list and the user page', async () => {
    await page.getByRole('link', { name: EVIL_USER.username }).waitFor();
    await expectInert([EVIL_USER.username]);
    await page.getByRole('link', { name: EVIL_USER.username }).click();
    await page.getByRole('heading', { level: 1, name: EVIL_USER.username }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    await expectInert([EVIL_USER.username, ...PAYLOADS]);
    expect(page.url()).toBe(`${app.origin}/console/#/users/${evilUserId}`);
  });

  it('the devices list, and the revoke dialog that names the device', async () => {
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
    await page.locator('tbody tr').nth(PAYLOADS.length).waitFor();
    await expectInert([EVIL_USER.username, ...PAYLOADS.map((p) => p.slice(0, 40))]);
    await page
      .getByRole('button', { name: /^Revoke device <img/ })
      .first()
      .click();
    await page.getByRole('dialog', { name: 'Revoke device' }).waitFor();
    await expectInert([]);
    expect(await page.getByRole('dialog').textContent()).toContain(PAYLOADS[0]);
    await page.keyboard.press('Escape');
    await screenshot(page, 'console-hostile-devices');
  });

  it('keeps a bidirectional override inside the name that carries it, in the lists and the revoke dialog', async () => {
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
    const row = page.locator('tbody tr', { hasText: 'ecila' });
    await row.waitFor();
    /** Whether the text after `start` in the first text node of `root` holding it reads left to right. */
    const readsLeftToRight = (selector: string, start: string) =>
      page.evaluate(
        ([selector, start]) => {
          const root = document.querySelector(selector);
          if (root === null) throw new Error(`no ${selector}`);
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
            const at = node.textContent?.indexOf(start) ?? -1;
            if (at < 0) continue;
            const xs = [0, 1, 2, 3].map((i) => {
              const range = document.createRange();
              range.setStart(node, at + i);
              range.setEnd(node, at + i + 1);
              return range.getBoundingClientRect().left;
            });
            return xs.every((x, i) => i === 0 || x > (xs[i - 1] ?? 0));
          }
          throw new Error(`no text ${start} in ${selector}`);
        },
        [selector, start] as const,
      );
    // The row: the device's id under its name, the version after the OS version.
    const id = await row.getAttribute('data-device-id');
    expect(await readsLeftToRight(`tr[data-device-id="${id}"] td:first-child`, id ?? '')).toBe(true);
    await row.getByRole('button', { name: /^Revoke device/ }).click();
    await page.getByRole('dialog', { name: 'Revoke device' }).waitFor();
    try {
      // The question: the owner's name and the words after the device's name.
      expect(await readsLeftToRight('dialog[open] p .username', '<img')).toBe(true);
      expect(await readsLeftToRight('dialog[open] p', 'Its sessions')).toBe(true);
    } finally {
      await page.keyboard.press('Escape');
    }
  });

  it('the security events', async () => {
    await page.getByRole('link', { name: 'Security events' }).click();
    await page.getByRole('heading', { level: 1, name: 'Security events' }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    // The hostile app versions in the enrolment events, the hostile username tried at sign-in.
    await expectInert([...PAYLOADS.map((p) => p.slice(0, 40)), PAYLOADS[2] ?? '']);
  });

  it('survives a link whose address is not valid percent-encoding, and still works after it', async () => {
    // A link an attacker hands the admin: decoding `%E0%A4%A` throws, which left a blank page.
    await page.evaluate(() => {
      location.hash = '#/users/%E0%A4%A';
    });
    await page.getByRole('navigation').waitFor();
    await page.getByRole('alert').filter({ hasText: 'invalid_request' }).waitFor();
    await expectInert([]);
    await page.getByRole('navigation').getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await page.getByRole('link', { name: EVIL_USER.username }).waitFor();
  });

  it('finds a cut tail whose head was set to match, given the head hash the admin copied before', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Security events' }).click();
    const chain = page.getByRole('region', { name: 'Hash chain' });
    await chain.getByText('verified', { exact: true }).waitFor();
    const copied = (await chain.locator('#head-hash').textContent())?.trim() ?? '';
    expect(copied).toMatch(/^[0-9a-f]{64}$/);

    // Someone with write access to the database deletes the newest event and moves the head back.
    const db = new Database(join(app.dataDir, 'bulwark.sqlite'));
    let kept: string;
    try {
      const [newest, before] = db
        .prepare('select seq, hash from audit_events order by seq desc limit 2')
        .all() as Array<{ seq: number; hash: string }>;
      expect(newest?.hash).toBe(copied);
      kept = before?.hash ?? '';
      db.prepare('delete from audit_events where seq = ?').run(newest?.seq);
      db.prepare('update audit_head set seq = ?, hash = ? where id = 1').run(before?.seq, kept);
    } finally {
      db.close();
    }
    await chain.getByRole('button', { name: 'Verify again' }).click();
    await chain.locator('#head-hash', { hasText: kept }).waitFor();
    await chain.getByText('verified', { exact: true }).waitFor();

    const field = chain.getByLabel('Recorded head hash (optional)');
    await field.fill('not a hash');
    await chain.getByRole('button', { name: 'Check against it' }).click();
    await chain.getByRole('alert').filter({ hasText: '64 hexadecimal digits' }).waitFor();
    await field.fill(copied.toUpperCase());
    await chain.getByRole('button', { name: 'Check against it' }).click();
    await chain.getByText('broken', { exact: true }).waitFor();
    expect(await chain.textContent()).toContain('the recorded head hash is not one of them');
    await field.fill(kept);
    await chain.getByRole('button', { name: 'Check against it' }).click();
    await chain.getByText('The recorded head hash is in the log').waitFor();
    await expectInert([]);
  });

  it("gives an attacker's page in the admin's browser nothing: no frame, no readable answer, no simple request", async () => {
    const attacker: Server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!doctype html><title>attacker</title><p>hi</p>');
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    // Another context of the same browser, so that its refusals are not counted as the console's.
    const evilContext = await browser.newContext();
    const evil = await evilContext.newPage();
    try {
      const attackerOrigin = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
      await evil.goto(`${attackerOrigin}/`);
      const tries = await evil.evaluate(async (target) => {
        const out: Record<string, string> = {};
        // Framing the console, to click-jack the revoke button.
        const frame = document.createElement('iframe');
        frame.src = `${target}/console/#/devices`;
        document.body.append(frame);
        await new Promise((resolve) => {
          frame.onload = resolve;
          setTimeout(resolve, 3000);
        });
        try {
          out.frame = frame.contentDocument?.title ?? 'opaque';
        } catch {
          out.frame = 'opaque';
        }
        // Reading the admin API (a CORS request; the console's tokens are not cookies anyway).
        try {
          const res = await fetch(`${target}/admin/users`, { credentials: 'include' });
          out.read = String(res.status);
        } catch (err) {
          out.read = (err as Error).name;
        }
        // A simple request, which needs no preflight: the page cannot see its answer.
        try {
          const simple = await fetch(`${target}/auth/login`, {
            method: 'POST',
            mode: 'no-cors',
            headers: { 'content-type': 'text/plain' },
            body: JSON.stringify({ username: 'admin', password: 'x' }),
          });
          out.simple = simple.type;
        } catch (err) {
          out.simple = (err as Error).name;
        }
        return out;
      }, app.origin);
      // The console refuses to be framed (frame-ancestors 'none'); the API answers no other origin.
      expect(tries.frame).toBe('opaque');
      // Chromium replaced the refused frame's document with its error page: the console never ran.
      const frames = evil.frames().filter((f) => f !== evil.mainFrame());
      expect(frames.map((f) => f.url())).toEqual(['chrome-error://chromewebdata/']);
      expect(tries.read).toBe('TypeError');
      expect(['opaque', 'TypeError']).toContain(tries.simple);
    } finally {
      await evilContext.close();
      await new Promise<void>((resolve) => attacker.close(() => resolve()));
    }
    // The simple request reached the server and was refused before anything was tried.
    const res = await fetch(`${app.origin}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'http://127.0.0.1:1' },
      body: JSON.stringify({ username: 'admin', password: 'x' }),
    });
    expect([res.status, (await res.json()).code]).toEqual([415, 'unsupported_media_type']);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('had no CSP or Trusted Types violation and no uncaught error', async () => {
    expect(dialogs).toEqual([]);
    expect(watch.violations).toEqual([]);
    expect(watch.errors).toEqual([]);
  });
});

describe('an account that is not an admin', () => {
  let app: AppServer;
  let browser: Browser;

  beforeAll(async () => {
    app = await startAppServer();
    const admin = await apiAs(app.origin, await firstAdmin(app, PASSWORD));
    await admin.request('POST', '/admin/users', { username: 'gina', password: PASSWORD, role: 'user' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('is refused by the API (403) and told clearly by the console', async () => {
    const gina = await apiAs(app.origin, { username: 'gina', password: PASSWORD });
    for (const path of ['/admin/users', '/admin/devices', '/admin/events', '/admin/policy', '/admin/keys']) {
      await expect(gina.request('GET', path)).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    }
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page);
    await page.goto(`${app.origin}/console/`);
    await signInByKeyboard(page, 'gina', PASSWORD);
    await page.getByRole('heading', { name: 'Not an administrator' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('403 forbidden');
    expect(await page.getByRole('navigation').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'console-not-admin');
    // Going straight to a screen does not get past the refusal.
    await page.goto(`${app.origin}/console/#/devices`);
    await page.getByRole('heading', { name: 'Not an administrator' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(watch.violations).toEqual([]);
    expect(watch.errors).toEqual([]);
    await context.close();
  });
});
