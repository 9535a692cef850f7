/**
 * The console's story in real Chromium against the real server, one browser page throughout:
 * the first admin signs in with the one-time password and must change it; then users (list,
 * create, disable, reset, role, teams), devices (revoke, wipe confirmed), security events
 * (filters, pages, chain status, head hash), device policy and key rotation, each compared with
 * what the API answers to a direct call; last, the console's own device revoked. axe-core runs
 * on every screen, and no CSP or Trusted Types violation may happen in the whole story.
 */
import type { Transport } from '@bulwark/client';
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
import { explainFailures, type PageTrace, tracePage } from '../../../test-support/page-trace.js';
import { apiAs, column, HEALTHY, type NodeDevice, nodeDevice, signInByKeyboard } from './lib/world.js';

interface User {
  id: string;
  username: string;
  role: string;
  disabled: boolean;
  teams: string[];
}

const NEW_ADMIN_PASSWORD = 'a console admin passphrase of some length';
const ADA = { username: 'ada.field', password: 'correct horse battery staple' };

describe('the admin console', () => {
  let app: AppServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;
  let trace: PageTrace;
  let admin: { username: string; password: string };
  let api: Transport;
  let adaId: string;
  let device: NodeDevice;

  beforeAll(async () => {
    app = await startAppServer();
    const initial = app.server.initialAdmin;
    if (initial === undefined) throw new Error('a fresh server has a first admin');
    admin = { username: initial.username, password: initial.password };
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.origin });
    page = await context.newPage();
    watch = watchPage(context);
    trace = tracePage(page, { skip: (path) => path.startsWith('/console/') });
  });

  // A wait that times out says what the page showed and what it last asked the server.
  explainFailures(
    () => page,
    () => trace,
  );

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function go(hash: string, heading: string) {
    await page.goto(`${app.origin}/console/#/${hash}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  }

  async function expectAccessible() {
    expect(await axeViolations(page)).toEqual([]);
  }

  /** The accessible name (its text or aria-label) of the focused element. */
  function focusedName(): Promise<string | undefined> {
    return page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el?.getAttribute('aria-label') ?? el?.textContent?.trim() ?? undefined;
    });
  }

  it('first sign-in with the one-time password forces a password change', async () => {
    await page.goto(`${app.origin}/console/`);
    await expectAccessible();
    await screenshot(page, 'console-signin');
    await signInByKeyboard(page, admin.username, admin.password);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await expectAccessible();
    // Until the password is changed, the server refuses the admin routes to this session.
    await page.getByLabel('Current (one-time) password').fill(admin.password);
    // A password the rules refuse: the reasons read as sentences, not run together with ".;".
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('New password again').fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'password_rejected' });
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(
      /^The new password does not meet the rules\. Use at least \d+ characters\. .*\(password_rejected\)$/,
    );
    await page.getByLabel('New password', { exact: true }).fill(NEW_ADMIN_PASSWORD);
    await page.getByLabel('New password again').fill(NEW_ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    // The one-time password no longer works; the new one does.
    await expect(apiAs(app.origin, admin)).rejects.toMatchObject({ code: 'invalid_credentials' });
    admin = { username: admin.username, password: NEW_ADMIN_PASSWORD };
    api = await apiAs(app.origin, admin);
    // The console holds a non-extractable device key in IndexedDB, like any device.
    const extractable = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('bulwark-console-device');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const pair = await new Promise<CryptoKeyPair>((resolve, reject) => {
        const request = db.transaction('keys').objectStore('keys').get('device');
        request.onsuccess = () => resolve(request.result as CryptoKeyPair);
        request.onerror = () => reject(request.error);
      });
      db.close();
      return pair.privateKey.extractable;
    });
    expect(extractable).toBe(false);
  });

  it('users: lists what the API returns, creates a user', async () => {
    await go('users', 'Users');
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByLabel('Username').fill(ADA.username);
    await dialog.getByLabel('Teams').fill('field, north');
    await dialog.getByLabel('Password').fill(ADA.password);
    await expectAccessible();
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.getByText(`Created ${ADA.username}.`).waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.locator('table').getByRole('link', { name: ADA.username }).waitFor();
    const { users } = await api.request<{ users: User[] }>('GET', '/admin/users');
    expect(users.map((u) => u.username).sort()).toEqual([admin.username, ADA.username].sort());
    expect((await column(page, 1)).sort()).toEqual(users.map((u) => u.username).sort());
    expect(await column(page, 2)).toEqual(
      await Promise.all(
        (await column(page, 1)).map(async (name) => users.find((u) => u.username === name)?.role),
      ),
    );
    const ada = users.find((u) => u.username === ADA.username);
    adaId = ada?.id ?? '';
    expect(ada?.teams).toEqual(['field', 'north']);
    // Search narrows the list.
    await page.getByLabel('Search by name').fill('ada');
    await expect.poll(() => column(page, 1)).toEqual([ADA.username]);
    await expectAccessible();
    await screenshot(page, 'console-users');
  });

  it('a user: role, teams, reset password, disable and enable', async () => {
    await page.locator('table').getByRole('link', { name: ADA.username }).click();
    await page.getByRole('heading', { level: 1, name: ADA.username }).waitFor();
    await expectAccessible();
    const userPath = `/admin/users/${adaId}`;
    const read = async () => (await api.request<{ user: User }>('GET', userPath)).user;

    await page.getByRole('combobox', { name: 'Role' }).selectOption('admin');
    await page.getByRole('button', { name: 'Save role' }).click();
    await page.getByText('Role saved.').waitFor();
    expect((await read()).role).toBe('admin');
    await page.getByRole('combobox', { name: 'Role' }).selectOption('user');
    await page.getByRole('button', { name: 'Save role' }).click();
    await expect.poll(async () => (await read()).role).toBe('user');

    await page.getByRole('textbox', { name: 'Teams' }).fill('field, south');
    await page.getByRole('button', { name: 'Save teams' }).click();
    await page.getByText('Teams saved.').waitFor();
    expect((await read()).teams).toEqual(['field', 'south']);

    await page.getByRole('button', { name: 'Reset password' }).click();
    const reset = page.getByRole('dialog', { name: 'Reset the password?' });
    // The question starts on its safe answer, as the other questions do.
    await expect.poll(() => focusedName()).toBe('Cancel');
    await reset.getByRole('button', { name: 'Reset password' }).click();
    const otp = (await page.locator('code.otp').textContent())?.trim() ?? '';
    expect(otp.length).toBeGreaterThan(10);
    // The old password is dead, the one-time password signs in and must be changed.
    await expect(apiAs(app.origin, ADA)).rejects.toMatchObject({ code: 'invalid_credentials' });
    const withOtp = await apiAs(app.origin, { username: ADA.username, password: otp });
    await withOtp.request('POST', '/auth/password', { currentPassword: otp, newPassword: ADA.password });

    device = await nodeDevice(app.origin, ADA);

    await page.getByRole('button', { name: 'Disable user' }).click();
    await expectAccessible();
    // The confirmation says what disabling does not do: an employee who leaves keeps the data on
    // their phone unless the device is revoked as well.
    const disable = page.getByRole('dialog', { name: 'Disable this user?' });
    expect(await disable.textContent()).toContain('Their devices are not wiped');
    // The focus starts on Cancel, not on the destructive button (WAI-ARIA dialog pattern): a
    // stray Enter closes the question and disables nobody.
    await expect.poll(() => focusedName()).toBe('Cancel');
    await screenshot(page, 'console-disable-dialog');
    await page.keyboard.press('Enter');
    await disable.waitFor({ state: 'hidden' });
    expect((await read()).disabled).toBe(false);
    await expect.poll(() => focusedName()).toBe('Disable user');
    // From the keyboard: open it again, Shift+Tab back to Disable, Enter.
    // Pressed at once: the first close's event must not shut the dialog opened again.
    await page.keyboard.press('Enter');
    await disable.waitFor();
    await expect.poll(() => focusedName()).toBe('Cancel');
    await page.keyboard.press('Shift+Tab');
    expect(await focusedName()).toBe('Disable');
    await page.keyboard.press('Enter');
    await page.getByText('Disabled.').waitFor();
    expect((await read()).disabled).toBe(true);
    await expect(apiAs(app.origin, ADA)).rejects.toMatchObject({ code: 'account_disabled' });
    await page.getByRole('button', { name: 'Enable user' }).click();
    await page.getByText('Enabled.').waitFor();

    // A question opened again before the event of its previous close arrived (Cancel, then the
    // same button at once) stays open: that close was the console's own, not the person leaving.
    await page.getByRole('button', { name: 'Reset password' }).click();
    await page.getByRole('dialog', { name: 'Reset the password?' }).waitFor();
    const reopened = await page.evaluate(async () => {
      const dialog = Array.from(document.querySelectorAll('dialog')).find((d) => d.open);
      const opener = Array.from(document.querySelectorAll('button')).find(
        (b) => b.textContent === 'Reset password' && b.closest('dialog') === null,
      );
      const cancel = Array.from(dialog?.querySelectorAll('button') ?? []).find(
        (b) => b.textContent === 'Cancel',
      );
      if (dialog === undefined || opener === undefined || cancel === undefined) return 'not found';
      // Runs as a microtask once `close()` took the `open` attribute away: before its `close` event.
      const observer = new MutationObserver(() => {
        if (dialog.open) return;
        observer.disconnect();
        opener.click();
      });
      observer.observe(dialog, { attributes: true, attributeFilter: ['open'] });
      cancel.click();
      await new Promise((resolve) => setTimeout(resolve, 500));
      return dialog.open ? 'open' : 'closed';
    });
    expect(reopened).toBe('open');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Reset the password?' }).waitFor({ state: 'hidden' });
    expect((await read()).disabled).toBe(false);
    device = await nodeDevice(app.origin, ADA);
    await screenshot(page, 'console-user');
  });

  it('devices: shows what the API returns; revoke, then wipe confirmed when the device reports', async () => {
    // From the keyboard: the navigation link, activated with Enter.
    await page.getByRole('link', { name: 'Devices' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Devices' }).waitFor();
    const row = page.locator(`tr[data-device-id="${device.deviceId}"]`);
    await row.waitFor();
    const { devices } = await api.request<{
      devices: { id: string; status: string; appVersion: string; enrolledAt: string }[];
    }>('GET', '/admin/devices');
    const shown = await page
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device-id')));
    expect(shown.sort()).toEqual(devices.map((d) => d.id).sort());
    expect(await row.locator('.app-version').textContent()).toBe('2.3.0');
    // A device that reported no name is told apart by platform, OS version, enrolment day and id,
    // never shown as "(unnamed)".
    expect(await page.locator('tbody').textContent()).not.toContain('(unnamed)');
    const enrolledDay = devices.find((d) => d.id === device.deviceId)?.enrolledAt.slice(0, 10);
    expect(await row.locator('.device-name').textContent()).toBe('Android 14 device');
    expect(await row.locator('.enrolled').textContent()).toBe(`enrolled ${enrolledDay}`);
    expect(await row.getByRole('button', { name: /^Revoke device/ }).getAttribute('aria-label')).toBe(
      `Revoke device Android 14 device ${device.deviceId.slice(0, 8)}, enrolled ${enrolledDay}`,
    );
    // Short names are never broken inside a word to make room ("admi n" once, on a wide screen):
    // each one is laid out on a single line.
    const brokenNames = await page
      .locator('tbody .username, tbody .device-name, tbody .platform')
      .evaluateAll((spans) =>
        spans
          .filter((span) => {
            const range = document.createRange();
            range.selectNodeContents(span);
            return range.getClientRects().length > 1;
          })
          .map((span) => span.textContent),
      );
    expect(brokenNames).toEqual([]);
    await expectAccessible();

    // The attestation verdict, fetched on demand: this device declared it has none (a PWA).
    const challenge = await device.transport.request<{ challengeId: string }>(
      'POST',
      '/devices/attestation/challenge',
      { purpose: 'attest' },
    );
    await device.transport.request('POST', '/devices/attestation', {
      challengeId: challenge.challengeId,
      evidence: { kind: 'none', reason: 'pwa' },
    });
    await row.getByRole('button', { name: /^Show attestation of/ }).click();
    await row.locator('.integrity').getByText('unavailable').waitFor();
    expect(await row.locator('.integrity').textContent()).toContain('none');

    // Escape closes the dialog without revoking.
    await row.getByRole('button', { name: /^Revoke device/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke device' });
    await dialog.waitFor();
    // Like the questions without fields, it does not start on its destructive button: on the
    // reason, its first field.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id ?? '')).not.toBe('');
    expect(await dialog.getByLabel('Reason').evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await dialog.textContent()).toContain(`Android 14 device ${device.deviceId.slice(0, 8)}`);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await row.getByRole('button', { name: /^Revoke device/ }).click();
    // The question names the device within its sentence: the name starts on the line of "Revoke".
    const inLine = await dialog
      .locator('p')
      .first()
      .evaluate((question) => {
        const lineOf = (node: Node) => {
          const range = document.createRange();
          range.selectNodeContents(node);
          return range.getClientRects()[0]?.top;
        };
        const name = question.querySelector('.device-name');
        return question.firstChild !== null && name !== null && lineOf(question.firstChild) === lineOf(name);
      });
    expect(inLine).toBe(true);
    await dialog.getByLabel('Reason').selectOption('stolen');
    // Typed on two lines with a tab: sent as one line (the server refuses control characters).
    await dialog.getByLabel('Note (optional)').fill('reported at\n\tthe front desk');
    await expectAccessible();
    await dialog.getByRole('button', { name: 'Revoke device' }).click();
    await row.getByText('revoked', { exact: true }).waitFor();
    await screenshot(page, 'console-devices-revoked');
    const revoked = (
      await api.request<{ devices: { id: string; status: string; revokedReason: string }[] }>(
        'GET',
        `/admin/users/${adaId}/devices`,
      )
    ).devices.find((d) => d.id === device.deviceId);
    expect(revoked).toMatchObject({ status: 'revoked', revokedReason: 'stolen' });
    const logged = await api.request<{ events: { details: { note?: string } }[] }>(
      'GET',
      `/admin/events?type=device_revoked&deviceId=${device.deviceId}`,
    );
    expect(logged.events[0]?.details.note).toBe('reported at the front desk');

    // The device's next call is refused; it wipes and sends its receipt; the console sees it.
    await expect(device.transport.request('GET', '/me')).rejects.toMatchObject({ code: 'device_revoked' });
    expect(device.wipes).toEqual([{ reason: 'device_revoked', receiptSent: true }]);
    await row.getByText('wipe confirmed').waitFor({ timeout: 10_000 });
    await expectAccessible();
    await screenshot(page, 'console-devices');
  });

  it('security events: chain status, head hash, filters and pages as the API answers', async () => {
    // Enough events for more than one page: failed sign-ins.
    for (let i = 0; i < 8; i++) {
      await apiAs(app.origin, { username: `nobody-${i}`, password: 'wrong password of some length' }).catch(
        () => undefined,
      );
    }
    await go('events', 'Security events');
    const verify = await api.request<{ ok: boolean; headHash: string; count: number }>(
      'GET',
      '/admin/events/verify',
    );
    expect(verify.ok).toBe(true);
    await page.getByText('verified', { exact: true }).waitFor();
    await expect.poll(() => page.locator('#head-hash').textContent()).toBe(verify.headHash);
    await page.getByRole('button', { name: 'Copy head hash' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(verify.headHash);
    await expectAccessible();

    await page.getByLabel('Per page').selectOption('25');
    const first = await api.request<{ events: { seq: number }[]; nextCursor?: string }>(
      'GET',
      '/admin/events?limit=25',
    );
    await expect.poll(() => column(page, 1)).toEqual(first.events.map((e) => String(e.seq)));
    expect(first.nextCursor).toBeTruthy();
    await page.getByRole('button', { name: 'Older events' }).click();
    const second = await api.request<{ events: { seq: number }[] }>(
      'GET',
      `/admin/events?limit=25&cursor=${encodeURIComponent(first.nextCursor ?? '')}`,
    );
    await expect.poll(() => column(page, 1)).toEqual(second.events.map((e) => String(e.seq)));
    expect(Math.max(...second.events.map((e) => e.seq))).toBeLessThan(
      Math.min(...first.events.map((e) => e.seq)),
    );
    await page.getByRole('button', { name: 'Newer events' }).click();
    await expect.poll(() => column(page, 1)).toEqual(first.events.map((e) => String(e.seq)));

    // Filters: by type, by device, by time; applied with Enter (the form's submit).
    const apply = () => page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByLabel('Type').fill('device_revoked');
    await page.getByLabel('Type').press('Enter');
    const byType = await api.request<{ events: { seq: number; type: string }[] }>(
      'GET',
      '/admin/events?type=device_revoked&limit=25',
    );
    expect(byType.events.length).toBe(1);
    await expect.poll(() => column(page, 1)).toEqual(byType.events.map((e) => String(e.seq)));
    await page.getByLabel('Type').fill('');
    await page.getByLabel('Device id').fill(device.deviceId);
    await apply();
    const byDevice = await api.request<{ events: { seq: number; type: string }[] }>(
      'GET',
      `/admin/events?deviceId=${device.deviceId}&limit=25`,
    );
    expect(byDevice.events.map((e) => e.type)).toContain('device_wipe_confirmed');
    await expect.poll(() => column(page, 1)).toEqual(byDevice.events.map((e) => String(e.seq)));
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('User id').fill(adaId);
    await apply();
    const byUser = await api.request<{ events: { seq: number }[] }>(
      'GET',
      `/admin/events?userId=${adaId}&limit=25`,
    );
    expect(byUser.events.length).toBeGreaterThan(3);
    await expect.poll(() => column(page, 1)).toEqual(byUser.events.map((e) => String(e.seq)));
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('Since (UTC)').fill('2000-01-01T00:00:00');
    await page.getByLabel('Until (UTC)').fill('2000-01-02T00:00:00');
    await apply();
    await page.getByText('No event matches these filters.').waitFor();
    await expectAccessible();
    await page.getByLabel('Since (UTC)').fill(new Date(Date.now() - 3_600_000).toISOString().slice(0, 19));
    await page.getByLabel('Until (UTC)').fill('');
    await apply();
    const recent = await api.request<{ events: { seq: number }[] }>(
      'GET',
      `/admin/events?since=${new Date(Date.now() - 3_600_000).toISOString().slice(0, 16)}:00Z&limit=25`,
    );
    expect(recent.events.length).toBe(25);
    await expect.poll(async () => (await column(page, 1)).length).toBe(25);
    await page.getByRole('button', { name: 'Clear' }).click();
    await screenshot(page, 'console-events');
  });

  it('device policy: a change is saved, logged, and applies at the next refresh', async () => {
    // A phone that reports an emulator: allowed (with a warning) by the default policy.
    const emulator = await nodeDevice(app.origin, ADA, {
      ...HEALTHY,
      posture: { rooted: false, screenLock: true, emulator: true },
    });
    await go('policy', 'Device policy');
    const before = await api.request<{ policy: { minAppVersion?: string; emulator: string } }>(
      'GET',
      '/admin/policy',
    );
    expect(await page.getByLabel('Minimum app version').inputValue()).toBe(before.policy.minAppVersion ?? '');
    expect(await page.getByLabel('Emulator or simulator').inputValue()).toBe(before.policy.emulator);
    await expectAccessible();
    // A minimum above the console's own version would lock every console out: it says so.
    await page.getByLabel('Minimum app version').fill('9.0.0');
    await page.getByText('This console is itself a device under this policy', { exact: false }).waitFor();
    expect(await page.getByRole('button', { name: 'Save policy' }).isDisabled()).toBe(true);
    await expectAccessible();
    await screenshot(page, 'console-policy-lockout');
    await page.getByLabel('Minimum app version').fill('0.1.0');
    await page.getByLabel('Emulator or simulator').selectOption('refuse');
    await page.getByLabel('Lock timeout (seconds)').fill('120');
    // Each setting reads back in its own unit: the unlock limit is a count of wrong passcodes, not seconds.
    const hintOf = (label: string) =>
      page
        .getByLabel(label, { exact: true })
        .evaluate(
          (input) => document.getElementById(input.getAttribute('aria-describedby') ?? '')?.textContent,
        );
    expect(await hintOf('Lock timeout (seconds)')).toContain('Now: 2 min.');
    const limit = await page.getByLabel('Failed unlock limit', { exact: true }).inputValue();
    expect(await hintOf('Failed unlock limit')).toContain(`Now: ${limit} wrong passcodes.`);
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Policy saved.', { exact: false }).waitFor();
    const after = await api.request<{
      policy: { minAppVersion?: string; emulator: string; settings: { lockTimeoutSeconds: number } };
      updatedBy?: string;
    }>('GET', '/admin/policy');
    expect(after.policy).toMatchObject({
      minAppVersion: '0.1.0',
      emulator: 'refuse',
      settings: { lockTimeoutSeconds: 120 },
    });
    const logged = await api.request<{ events: { type: string }[] }>(
      'GET',
      '/admin/events?type=policy_changed',
    );
    expect(logged.events.length).toBe(1);
    // Applies at each device's next refresh: the emulator is refused now, a current phone gets the new settings.
    await expect(emulator.transport.refresh()).rejects.toMatchObject({ code: 'device_policy_refused' });
    const phone = await nodeDevice(app.origin, ADA);
    expect(phone.transport.settings?.lockTimeoutSeconds).toBe(120);
    await expect(nodeDevice(app.origin, ADA, { ...HEALTHY, appVersion: '0.0.9' })).rejects.toMatchObject({
      code: 'device_policy_refused',
    });
    // The refusals are listed with their reasons.
    await go('devices', 'Devices');
    await page.getByLabel('State').selectOption('blocked');
    await page.getByText('app_version_too_old').waitFor();
    await screenshot(page, 'console-devices-blocked');
    await go('policy', 'Device policy');
    await screenshot(page, 'console-policy');
  });

  it('signing keys: lists active and retired as the API does; rotation', async () => {
    await go('keys', 'Signing keys');
    const before = await api.request<{ keys: { kid: string; status: string }[] }>('GET', '/admin/keys');
    await expect.poll(() => column(page, 1)).toEqual(before.keys.map((k) => k.kid));
    await expectAccessible();
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await expect.poll(() => focusedName()).toBe('Cancel');
    await page
      .getByRole('dialog', { name: 'Rotate the signing key?' })
      .getByRole('button', { name: 'Rotate' })
      .click();
    await page.getByText('Rotated.', { exact: false }).waitFor();
    const after = await api.request<{ keys: { kid: string; status: string }[] }>('GET', '/admin/keys');
    expect(after.keys.length).toBe(before.keys.length + 1);
    expect(after.keys.filter((k) => k.status === 'active').length).toBe(1);
    await expect.poll(() => column(page, 1)).toEqual(after.keys.map((k) => k.kid));
    await expect.poll(() => column(page, 3)).toEqual(after.keys.map((k) => k.status));
    await screenshot(page, 'console-keys');
  });

  it('says so clearly when the console device itself is revoked', async () => {
    // The account screen names the device this browser is enrolled as.
    const enrolledAs = async () => {
      await go('account', 'My account');
      return (await page.locator('.lead code').textContent()) ?? '';
    };
    const wipedOnServer = async (id: string) =>
      (
        await api.request<{ devices: { id: string; status: string }[] }>('GET', `/admin/devices?q=${id}`)
      ).devices.find((d) => d.id === id)?.status;
    const consoleDevice = await enrolledAs();
    expect(consoleDevice).toMatch(/^[0-9a-f-]{36}$/);
    await go('users', 'Users');
    await page.locator('table').first().waitFor();
    // The receipt is held back, so the SDK's wipe is still running when the message must show:
    // the console says so as soon as the server refuses the device, whatever its other
    // requests meet meanwhile (they find no session any more).
    let sendReceipt: () => void = () => undefined;
    const receiptHeld = new Promise<void>((resolve) => {
      sendReceipt = resolve;
    });
    await page.route('**/devices/wipe-receipt', async (route) => {
      await receiptHeld;
      await route.continue();
    });
    await api.request('POST', `/admin/devices/${consoleDevice}/revoke`, { reason: 'admin' });
    // The console's next request meets the revocation.
    await page.getByLabel('Search by name').fill('a');
    await page.getByText('This browser was revoked as a device', { exact: false }).waitFor();
    await expectAccessible();
    expect(await wipedOnServer(consoleDevice)).toBe('revoked');
    sendReceipt();
    // The key is gone; signing in again, at once, enrols a new device once the wipe is done.
    await signInByKeyboard(page, admin.username, admin.password);
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await page.unroute('**/devices/wipe-receipt');
    const secondDevice = await enrolledAs();
    expect(secondDevice).toMatch(/^[0-9a-f-]{36}$/);
    expect(secondDevice).not.toBe(consoleDevice);
    // The SDK's wipe sent its receipt: the server knows the revoked console device is wiped.
    expect(await wipedOnServer(consoleDevice)).toBe('wipe_confirmed');

    // Revoked again in the same page: the same message, and the next sign-in enrols a third device.
    await go('users', 'Users');
    await page.locator('table').first().waitFor();
    await api.request('POST', `/admin/devices/${secondDevice}/revoke`, { reason: 'admin' });
    await page.getByLabel('Search by name').fill('a');
    await page.getByText('This browser was revoked as a device', { exact: false }).waitFor();
    await signInByKeyboard(page, admin.username, admin.password);
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    const thirdDevice = await enrolledAs();
    expect([consoleDevice, secondDevice]).not.toContain(thirdDevice);
    await expect.poll(() => wipedOnServer(secondDevice)).toBe('wipe_confirmed');
    await go('users', 'Users');
  });

  it('says so clearly when the session ends (the password changed elsewhere ends other sessions)', async () => {
    const newer = `${NEW_ADMIN_PASSWORD} again`;
    await api.request('POST', '/auth/password', { currentPassword: admin.password, newPassword: newer });
    admin = { username: admin.username, password: newer };
    await page.getByLabel('Search by name').fill('ad');
    await page.getByText('Your session has ended. Sign in again.').waitFor();
    await expectAccessible();
    await signInByKeyboard(page, admin.username, admin.password);
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
  });

  it('follows a link taken the moment the console appears after sign-in', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Username').waitFor();
    // The address changes in the same turn as the first screen is drawn, before any effect of
    // that render has run: as a person following a link at once, or a slow device, would do it.
    await page.evaluate(() => {
      const observer = new MutationObserver(() => {
        if (document.querySelector('main h1')?.textContent === 'Users') {
          observer.disconnect();
          location.hash = '#/account';
        }
      });
      observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    await signInByKeyboard(page, admin.username, admin.password);
    await page.getByRole('heading', { level: 1, name: 'My account' }).waitFor({ timeout: 10_000 });
    expect(page.url()).toMatch(/#\/account$/);
    await go('users', 'Users');
  });

  it('every list has its loading, empty and error states', async () => {
    // Loading: the answer is held back; error: the server fails; then Try again loads the list.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/admin/keys', async (route) => {
      await held;
      await route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({ status: 503, code: 'unavailable', detail: 'The server is busy.' }),
      });
    });
    await page.getByRole('link', { name: 'Signing keys' }).click();
    await page.getByRole('status').filter({ hasText: 'Loading signing keys…' }).waitFor();
    release();
    await page
      .getByRole('alert')
      .filter({ hasText: 'Could not load the signing keys: The server is busy. (unavailable)' })
      .waitFor();
    await expectAccessible();
    await page.unroute('**/admin/keys');
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.locator('tbody tr').first().waitFor();
    // A user that does not exist: the server's 404 as the error state.
    await page.goto(`${app.origin}/console/#/users/00000000-0000-4000-8000-000000000000`);
    await page.getByRole('alert').filter({ hasText: 'user_not_found' }).waitFor();
    // Empty: a search that matches nobody.
    await go('users', 'Users');
    await page.getByLabel('Search by name').fill('zzz-nobody');
    await page.getByText('No user matches these filters.').waitFor();
    await expectAccessible();
  });

  it('fits a phone screen: no page-wide horizontal scroll, tables scroll in their frame', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [hash, heading] of [
      ['users', 'Users'],
      ['devices', 'Devices'],
      ['events', 'Security events'],
      ['policy', 'Device policy'],
    ] as const) {
      await go(hash, heading);
      await page.locator('main table, main form').first().waitFor();
      const wide = await page.evaluate(() =>
        Array.from(document.querySelectorAll('body *'))
          .filter((e) => e.getBoundingClientRect().right > 391 && e.closest('.table-wrap') === null)
          .map((e) => `${e.tagName.toLowerCase()}.${e.className}`),
      );
      expect({ hash, wide, width: await page.evaluate(() => document.documentElement.scrollWidth) }).toEqual({
        hash,
        wide: [],
        width: 390,
      });
      await expectAccessible();
    }
    await go('users', 'Users');
    await screenshot(page, 'console-users-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('had no CSP or Trusted Types violation and no uncaught error in the whole story', () => {
    expect(watch.violations).toEqual([]);
    expect(watch.errors).toEqual([]);
  });
});
