/**
 * The console's federation screens in real Chromium against a real server configured with one
 * provider of each kind and two registered apps: the Apps screen lists what `GET /admin/apps`
 * answers and edits an app's assignment from the keyboard (saved, logged, confirmed, and the
 * user's catalog follows); the Identity providers screen shows each provider's settings and no
 * secret; a user's page links and unlinks a provider identity. axe-core on each screen, no CSP or
 * Trusted Types violation in the whole story, screenshots of each.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { Transport } from '@bulwark/client';
import type { Browser, Page } from 'playwright-core';
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
import { apiAs, column, firstAdmin, signInByKeyboard } from './lib/world.js';

const PASSWORD = 'a console admin passphrase of some length';
const ADA = { username: 'ada.field', password: 'correct horse battery staple' };
const CLIENT_SECRET = 'entra-client-secret-never-shown';
const BIND_PASSWORD = 'ldap-bind-password-never-shown';
const IDP_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();

interface AdminApp {
  id: string;
  name: string;
  redirectUris: string[];
  collections: string[];
  assignedTo: { roles: string[]; teams: string[]; source: string };
}

describe('the console: apps and identity providers', () => {
  let app: AppServer;
  let browser: Browser;
  let page: Page;
  let watch: PageWatch;
  let api: Transport;
  let adaId: string;

  beforeAll(async () => {
    app = await startAppServer({
      auth: {
        passwords: { maxConcurrentHashes: 2, maxQueuedHashes: 64 },
        federation: {
          providers: [
            {
              kind: 'oidc',
              id: 'entra',
              displayName: 'Microsoft Entra ID',
              issuer: 'https://login.example.test/tenant/v2.0',
              clientId: 'bulwark-field',
              clientSecret: CLIENT_SECRET,
              redirectUris: ['com.example.field:/oauth2redirect'],
              jit: true,
              mappings: [
                { claim: 'groups', equals: 'Field staff', team: 'field' },
                { claim: 'groups', equals: 'IT admins', role: 'admin' },
              ],
            },
            {
              kind: 'saml',
              id: 'okta',
              displayName: 'Okta',
              entityId: 'https://bulwark.example.test/saml',
              acsUrl: 'https://bulwark.example.test/auth/saml/okta/acs',
              idpSsoUrl: 'https://example.okta.test/app/sso/saml',
              idpEntityId: 'http://www.okta.com/exk1',
              idpCert: IDP_KEY,
              redirectUris: ['https://field.example.test/sso'],
            },
            {
              kind: 'ldap',
              id: 'corp',
              displayName: 'Corporate directory',
              url: 'ldaps://dc.example.test:636',
              bindDn: 'cn=reader,dc=example,dc=test',
              bindPassword: BIND_PASSWORD,
              userBaseDn: 'ou=people,dc=example,dc=test',
            },
          ],
          apps: [
            {
              id: 'field',
              name: 'Field',
              redirectUris: ['https://field.example.test/sso'],
              collections: [],
              openUrl: 'https://field.example.test/sso',
              assignedTo: { teams: ['east'] },
            },
            {
              id: 'billing',
              name: 'Billing',
              redirectUris: ['https://billing.example.test/sso', 'com.example.billing:/sso'],
              collections: [],
              assignedTo: { roles: ['admin'] },
            },
          ],
        },
      },
    });
    const admin = await firstAdmin(app, PASSWORD);
    api = await apiAs(app.origin, admin);
    const created = await api.request<{ user: { id: string } }>('POST', '/admin/users', {
      ...ADA,
      role: 'user',
      teams: ['field'],
    });
    adaId = created.user.id;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    watch = watchPage(context);
    await page.goto(`${app.origin}/console/`);
    await signInByKeyboard(page, admin.username, admin.password);
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function expectAccessible() {
    expect(await axeViolations(page)).toEqual([]);
  }

  it('apps: lists what the API answers, edits an assignment from the keyboard, logged and confirmed', async () => {
    await page.getByRole('link', { name: 'Apps' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Apps' }).waitFor();
    await page.locator('tr[data-app="billing"]').waitFor();
    const { apps } = await api.request<{ apps: AdminApp[] }>('GET', '/admin/apps');
    expect(await column(page, 1)).toEqual(apps.map((a) => a.name));
    expect(await column(page, 2)).toEqual(apps.map((a) => a.id));
    expect(await column(page, 3)).toEqual(apps.map((a) => a.redirectUris.join('\n')));
    expect(await column(page, 5)).toEqual(['none', 'admin']);
    expect(await page.locator('tr[data-app="field"] td').nth(5).innerText()).toContain('east');
    await expectAccessible();
    await screenshot(page, 'console-apps');

    // Ada (team field) is not given the Field app yet.
    const ada = await apiAs(app.origin, ADA);
    const catalog = async () =>
      (await ada.request<{ apps: { id: string }[] }>('GET', '/apps')).apps.map((a) => a.id);
    expect(await catalog()).toEqual([]);

    // Keyboard only: open the dialog, tick the role "user", add the team "field", save with Enter.
    await page.getByRole('button', { name: 'Edit assignment of Field' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Who may use Field' });
    await dialog.waitFor();
    await dialog.getByRole('checkbox', { name: 'user' }).focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    expect(await dialog.getByLabel('Teams').evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('End');
    await page.keyboard.type(', field');
    await dialog.getByText('roles user; teams east, field').waitFor();
    await expectAccessible();
    await screenshot(page, 'console-apps-edit');
    await page.keyboard.press('Enter');
    await page
      .getByRole('status')
      .getByText('Saved: Field is now for roles user; teams east, field.', { exact: false })
      .waitFor();
    await expect.poll(() => page.locator('tr[data-app="field"] td').nth(4).innerText()).toBe('user');
    const after = await api.request<{ apps: AdminApp[] }>('GET', '/admin/apps');
    expect(after.apps.find((a) => a.id === 'field')?.assignedTo).toEqual({
      roles: ['user'],
      teams: ['east', 'field'],
      source: 'admin',
    });
    const logged = await api.request<{ events: { subject?: string; data?: Record<string, unknown> }[] }>(
      'GET',
      '/admin/events?type=app_assignments_changed',
    );
    expect(logged.events).toHaveLength(1);
    expect(logged.events[0]?.subject).toBe('field');
    expect(await catalog()).toEqual(['field']);
    await expectAccessible();
    await screenshot(page, 'console-apps-saved');
  });

  it('apps: a refused change says why and saves nothing', async () => {
    await page.getByRole('button', { name: 'Edit assignment of Billing' }).click();
    const dialog = page.getByRole('dialog', { name: 'Who may use Billing' });
    await dialog.getByLabel('Teams').fill('not a team!');
    await dialog.getByRole('button', { name: 'Save assignment' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.getByRole('alert').innerText()).toContain('(invalid_request)');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    const { apps } = await api.request<{ apps: AdminApp[] }>('GET', '/admin/apps');
    expect(apps.find((a) => a.id === 'billing')?.assignedTo).toEqual({
      roles: ['admin'],
      teams: [],
      source: 'config',
    });
  });

  it('identity providers: each kind with its settings, JIT and mappings, never a secret', async () => {
    await page.getByRole('link', { name: 'Identity providers' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Identity providers' }).waitFor();
    const { providers } = await api.request<{ providers: { id: string; displayName: string }[] }>(
      'GET',
      '/admin/identity-providers',
    );
    // The list loads after the page's heading: wait for it rather than read it once.
    await expect
      .poll(() => page.getByRole('heading', { level: 2 }).allInnerTexts())
      .toEqual(providers.map((p) => p.displayName));
    const entra = page.locator('[data-provider="entra"]');
    for (const text of [
      'OpenID Connect',
      'https://login.example.test/tenant/v2.0',
      'confidential client',
      'Field staff',
      'IT admins',
    ]) {
      await entra.getByText(text, { exact: false }).first().waitFor();
    }
    expect(await entra.getByText('on', { exact: true }).count()).toBe(1);
    const okta = page.locator('[data-provider="okta"]');
    await okta.getByText('http://www.okta.com/exk1').waitFor();
    await okta.getByText('No mappings', { exact: false }).waitFor();
    const corp = page.locator('[data-provider="corp"]');
    await corp.getByText('ldaps://dc.example.test:636').waitFor();
    expect(await corp.getByText('off', { exact: true }).count()).toBe(1);
    const text = await page.locator('main').innerText();
    expect(text).not.toContain(CLIENT_SECRET);
    expect(text).not.toContain(BIND_PASSWORD);
    expect(text).not.toContain('BEGIN PUBLIC KEY');
    await expectAccessible();
    await screenshot(page, 'console-providers');
  });

  it("a user's page: links and unlinks a provider identity through the admin API", async () => {
    await page.goto(`${app.origin}/console/#/users/${adaId}`);
    await page.getByRole('heading', { level: 1, name: ADA.username }).waitFor();
    await page.getByText('No identity of a provider is linked to this account.').waitFor();
    const form = page.getByRole('form', { name: 'Link an identity' });
    await form.getByLabel('Provider').selectOption('corp');
    await form.getByLabel('Subject').focus();
    await page.keyboard.type('4f1c2e9a-0b7d-4c55-9d2e-ada000000001');
    await page.keyboard.press('Enter');
    // Each value of the notice is isolated (U+2068 … U+2069), so an override inside one cannot
    // turn around the rest of the sentence.
    const notice = page.getByText(/^Linked .*corp.* identity .*4f1c2e9a-0b7d-4c55-9d2e-ada000000001/);
    await notice.waitFor();
    expect(await notice.textContent()).toBe(
      `Linked \u2068corp\u2069 identity \u20684f1c2e9a-0b7d-4c55-9d2e-ada000000001\u2069 to \u2068${ADA.username}\u2069.`,
    );
    const path = `/admin/users/${adaId}/federated-accounts`;
    const linked = await api.request<{
      federatedAccounts: { provider: string; issuer: string; subject: string }[];
    }>('GET', path);
    expect(linked.federatedAccounts).toMatchObject([
      { provider: 'corp', issuer: 'ldap:corp', subject: '4f1c2e9a-0b7d-4c55-9d2e-ada000000001' },
    ]);
    const table = page.getByRole('region', { name: 'Federated identities table' });
    await table.getByText('ldap:corp').waitFor();
    // Linking the same identity again is refused with the server's code.
    await form.getByLabel('Subject').fill('4f1c2e9a-0b7d-4c55-9d2e-ada000000001');
    await form.getByRole('button', { name: 'Link identity' }).click();
    await page.getByRole('alert').getByText('(federated_account_linked)', { exact: false }).waitFor();
    await expectAccessible();
    await screenshot(page, 'console-user-federated');

    await table
      .getByRole('button', { name: 'Unlink corp identity 4f1c2e9a-0b7d-4c55-9d2e-ada000000001' })
      .focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Unlink this identity?' });
    await dialog.waitFor();
    await expectAccessible();
    // The question starts on Cancel (the safe answer); Shift+Tab reaches Unlink.
    await expect
      .poll(() =>
        dialog.getByRole('button', { name: 'Cancel' }).evaluate((el) => el === document.activeElement),
      )
      .toBe(true);
    await page.keyboard.press('Shift+Tab');
    expect(
      await dialog.getByRole('button', { name: 'Unlink' }).evaluate((el) => el === document.activeElement),
    ).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByText(/^Unlinked \u2068corp\u2069 identity \u2068/).waitFor();
    await page.getByText('No identity of a provider is linked to this account.').waitFor();
    expect((await api.request<{ federatedAccounts: unknown[] }>('GET', path)).federatedAccounts).toEqual([]);
    const events = await api.request<{ events: { type: string }[] }>('GET', `/admin/events?userId=${adaId}`);
    expect(events.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['federated_account_linked', 'federated_account_unlinked']),
    );
  });

  it('the new lists have their loading and error states, and Try again loads them', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/admin/identity-providers', async (route) => {
      await held;
      await route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({ status: 503, code: 'unavailable', detail: 'The server is busy.' }),
      });
    });
    await page.goto(`${app.origin}/console/#/providers`);
    await page.getByRole('status').filter({ hasText: 'Loading identity providers…' }).waitFor();
    release();
    await page
      .getByRole('alert')
      .filter({ hasText: 'Could not load the identity providers: The server is busy. (unavailable)' })
      .waitFor();
    await expectAccessible();
    await page.unroute('**/admin/identity-providers');
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.locator('[data-provider="corp"]').waitFor();
    await page.route('**/admin/apps', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({ status: 503, code: 'unavailable', detail: 'The server is busy.' }),
      }),
    );
    await page.goto(`${app.origin}/console/#/apps`);
    await page.getByRole('alert').filter({ hasText: 'Could not load the apps' }).waitFor();
    await page.unroute('**/admin/apps');
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.locator('tr[data-app="field"]').waitFor();
  });

  it('fits a phone screen: no page-wide horizontal scroll on the new screens', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [hash, heading] of [
      ['apps', 'Apps'],
      ['providers', 'Identity providers'],
      [`users/${adaId}`, ADA.username],
    ] as const) {
      await page.goto(`${app.origin}/console/#/${hash}`);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.locator('main table, main .state-empty').first().waitFor();
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
    await page.goto(`${app.origin}/console/#/providers`);
    await page.locator('[data-provider="corp"]').waitFor();
    await screenshot(page, 'console-providers-phone');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('had no CSP or Trusted Types violation and no uncaught error', () => {
    expect(watch.violations).toEqual([]);
    expect(watch.errors).toEqual([]);
  });
});
