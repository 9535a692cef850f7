/**
 * Passkey unlock in the demo, through Chromium's virtual authenticator (CTAP2, internal
 * transport, user verification, PRF): enrol a passkey (the vault's root key wrapped under a key
 * derived from its PRF output), lock, unlock with the passkey; another passkey — even one
 * presenting the same credential id — cannot unlock, and the passcode still can.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  axeViolations,
  launchChromium,
  type PageWatch,
  screenshot,
  watchPage,
} from '../../../test-support/e2e.js';
import { choosePasscode, type DemoWorld, signIn, startDemoWorld, unlock } from './lib/demo-world.js';

const PASSCODE = 'passkey 7734';
const AUTHENTICATOR = {
  protocol: 'ctap2',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  hasPrf: true,
} as const;

describe('passkey unlock with the WebAuthn PRF extension', () => {
  let world: DemoWorld;
  let browser: Browser;
  let page: Page;
  let cdp: CDPSession;
  let watch: PageWatch;
  let authenticatorId: string;

  beforeAll(async () => {
    world = await startDemoWorld(1);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 420, height: 860 } });
    page = await context.newPage();
    watch = watchPage(page);
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: AUTHENTICATOR }));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  async function lockNow(): Promise<void> {
    await page.getByRole('button', { name: 'Lock' }).click();
    await page.getByRole('heading', { name: 'Locked' }).waitFor();
  }

  it('enrols a passkey, locks, and unlocks with it', async () => {
    await page.goto(`${world.app.origin}/demo/`);
    await signIn(page, world);
    await choosePasscode(page, PASSCODE);
    await page.getByRole('button', { name: 'Set up passkey unlock' }).click();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel('Your passcode, to set up passkey unlock').fill(PASSCODE);
    await page.keyboard.press('Enter');
    await page.getByText('Passkey unlock is set up').waitFor({ timeout: 20_000 });
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);

    await lockNow();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'demo-locked-passkey');
    await page.getByRole('button', { name: 'Unlock with passkey' }).click();
    await page.getByRole('heading', { name: 'Your inspections' }).waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: new RegExp(`^${world.sites[0]}`) }).waitFor();
  });

  it('refuses another passkey, even one that presents the same credential id; the passcode still unlocks', async () => {
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    const original = credentials[0];
    if (original === undefined) throw new Error('no credential');
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: AUTHENTICATOR }));
    await lockNow();

    // No passkey with that id on this authenticator at all.
    await page.getByRole('button', { name: 'Unlock with passkey' }).click();
    await page.getByText('This passkey cannot unlock this device').waitFor({ timeout: 20_000 });

    // A different key under the same credential id: the ceremony succeeds, its PRF output differs.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId,
      credential: {
        credentialId: original.credentialId,
        isResidentCredential: true,
        rpId: original.rpId ?? 'localhost',
        privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
        ...(original.userHandle === undefined ? {} : { userHandle: original.userHandle }),
        signCount: 0,
      },
    });
    await page.getByRole('button', { name: 'Unlock with passkey' }).click();
    await expect
      .poll(
        async () =>
          (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials[0]?.signCount,
      )
      .toBeGreaterThan(0);
    await page.getByText('This passkey cannot unlock this device').waitFor();
    expect(await page.getByRole('heading', { name: 'Locked' }).isVisible()).toBe(true);

    await unlock(page, PASSCODE);
    expect(watch.violations).toEqual([]);
    expect(watch.errors).toEqual([]);
  });
});
