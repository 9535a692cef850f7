/**
 * Passkeys in the console, with Chromium's virtual authenticator (CDP WebAuthn: CTAP2, internal
 * transport, resident keys, user verification, PRF): an admin registers a passkey from the
 * account screen; from then on the server requires it after the password, and the console's
 * sign-in presents it through the SDK; a sign-in without it is refused.
 */
import type { Transport } from '@bulwark/client';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
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
import { apiAs, firstAdmin, signInByKeyboard } from './lib/world.js';

const PASSWORD = 'a console admin passphrase of some length';

describe('passkeys in the console', () => {
  let app: AppServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  let watch: PageWatch;
  let admin: { username: string; password: string };
  let api: Transport;

  beforeAll(async () => {
    app = await startAppServer();
    admin = await firstAdmin(app, PASSWORD);
    api = await apiAs(app.origin, admin);
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    watch = watchPage(context);
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        hasPrf: true,
        automaticPresenceSimulation: true,
      },
    }));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('registers a passkey from the account screen', async () => {
    await page.goto(`${app.origin}/console/`);
    await signInByKeyboard(page, admin.username, admin.password);
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    await page.getByRole('link', { name: 'My account' }).click();
    await page.getByText('No passkey yet.').waitFor();
    await page.getByLabel('Name of the new passkey').fill('Work laptop');
    await page.getByRole('button', { name: 'Register a passkey' }).click();
    await page.getByText('Passkey registered.').waitFor();
    const { passkeys } = await api.request<{ passkeys: { id: string; name: string }[] }>(
      'GET',
      '/auth/passkeys',
    );
    expect(passkeys.map((p) => p.name)).toEqual(['Work laptop']);
    await expect.poll(() => page.locator('.passkey-name').allTextContents()).toEqual(['Work laptop']);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'console-account');
  });

  it('then requires it after the password: the console presents it, a client without it is refused', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signInByKeyboard(page, admin.username, admin.password);
    // Back where the admin was.
    await page.getByRole('heading', { level: 1, name: 'My account' }).waitFor();
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials.some((c) => c.signCount > 0)).toBe(true);
    // Without the passkey, the password alone no longer signs the admin in.
    await expect(apiAs(app.origin, admin)).rejects.toMatchObject({ status: 401, code: 'passkey_required' });
    const events = await api.request<{ events: { type: string }[] }>(
      'GET',
      '/admin/events?type=login_passkey_required,passkey_registered',
    );
    expect(events.events.map((e) => e.type)).toContain('passkey_registered');
    expect(events.events.map((e) => e.type)).toContain('login_passkey_required');
  });

  it('removes a passkey (the password alone works again), and registers one anew', async () => {
    await page.getByRole('button', { name: 'Remove passkey Work laptop' }).click();
    await page.getByText('Passkey removed.').waitFor();
    await page.getByText('No passkey yet.').waitFor();
    expect((await api.request<{ passkeys: unknown[] }>('GET', '/auth/passkeys')).passkeys).toEqual([]);
    await apiAs(app.origin, admin);
    await page.getByLabel('Name of the new passkey').fill('Work laptop');
    await page.getByRole('button', { name: 'Register a passkey' }).click();
    await page.getByText('Passkey registered.').waitFor();
    await expect.poll(() => page.locator('.passkey-name').allTextContents()).toEqual(['Work laptop']);
  });

  it('shows a clear error when the passkey is not confirmed', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    // The authenticator refuses the user verification (a wrong fingerprint, say).
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    await signInByKeyboard(page, admin.username, admin.password);
    await page.getByRole('alert').filter({ hasText: 'The passkey was not confirmed' }).waitFor();
    expect(await page.getByRole('navigation').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('had no CSP or Trusted Types violation and no uncaught error', () => {
    expect(watch.violations).toEqual([]);
    expect(watch.errors).toEqual([]);
  });
});
