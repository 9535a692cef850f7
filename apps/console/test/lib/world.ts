/**
 * Helpers of the console's screen tests: devices made in Node with the SDK (an admin's, to call
 * the API directly and compare with what the console shows; a user's, to enrol, get revoked and
 * send its wipe receipt), the first admin past its one-time password, and the console's sign-in
 * driven from the keyboard.
 */
import { randomUUID } from 'node:crypto';
import {
  DeviceKey,
  MemoryDeviceKeyStorage,
  MemoryKeystore,
  MemorySessionStore,
  MemoryVaultStorage,
  type PostureReport,
  Transport,
  Vault,
  type WipeResult,
  Wiper,
} from '@bulwark/client';
import type { Page } from 'playwright-core';
import type { AppServer } from '../../../../test-support/e2e.js';

/** A healthy phone's report. */
export const HEALTHY: PostureReport = {
  platform: 'android',
  osVersion: '14',
  appVersion: '2.3.0',
  posture: { rooted: false, screenLock: true, emulator: false },
};

/** A device made in Node: its transport, id, and the wipes it did. */
export interface NodeDevice {
  readonly transport: Transport;
  readonly deviceId: string;
  readonly wipes: WipeResult[];
}

/**
 * Signs in from a new Node device (memory keystore, vault and device key) that wipes itself and
 * sends its receipt when it learns it was revoked.
 */
export async function nodeDevice(
  origin: string,
  credentials: { readonly username: string; readonly password: string },
  report: PostureReport = HEALTHY,
): Promise<NodeDevice> {
  const keystore = new MemoryKeystore();
  const deviceKeys = new MemoryDeviceKeyStorage();
  const deviceKey = await deviceKeys.create();
  const vault = await Vault.open({ keystore, storage: new MemoryVaultStorage() });
  const deviceId = randomUUID();
  const wipes: WipeResult[] = [];
  let wiper: Wiper | undefined;
  const transport = new Transport({
    baseUrl: origin,
    devMode: true,
    deviceKey,
    sessions: new MemorySessionStore(),
    posture: { report: async () => report },
    onDeviceRevoked: async () => {
      if (wiper !== undefined) wipes.push(await wiper.wipe('device_revoked'));
    },
  });
  wiper = new Wiper({ vault, keystore, deviceKeys, deviceKey, deviceId, transport });
  await transport.login({ ...credentials, deviceId });
  return { transport, deviceId, wipes };
}

/**
 * A Node transport signed in as `credentials`, for direct API calls.
 *
 * @example
 * ```ts
 * const api = await apiAs(app.origin, admin);
 * const { users } = await api.request('GET', '/admin/users');
 * ```
 */
export async function apiAs(
  origin: string,
  credentials: { readonly username: string; readonly password: string },
): Promise<Transport> {
  const transport = new Transport({
    baseUrl: origin,
    devMode: true,
    deviceKey: await DeviceKey.generate(),
    sessions: new MemorySessionStore(),
    posture: { report: async () => HEALTHY },
  });
  await transport.login({ ...credentials, deviceId: randomUUID() });
  return transport;
}

/**
 * The fresh server's first admin after it has changed its one-time password to `password` over the
 * API, so that signing in leads to the console's screens rather than the forced change.
 *
 * @example
 * ```ts
 * const admin = await firstAdmin(app, PASSWORD);
 * const api = await apiAs(app.origin, admin);
 * ```
 */
export async function firstAdmin(
  app: AppServer,
  password: string,
): Promise<{ username: string; password: string }> {
  const initial = app.server.initialAdmin;
  if (initial === undefined) throw new Error('a fresh server has a first admin');
  const first = await apiAs(app.origin, initial);
  await first.request('POST', '/auth/password', {
    currentPassword: initial.password,
    newPassword: password,
  });
  return { username: initial.username, password };
}

/** Fills the sign-in form from the keyboard only and submits it with Enter. */
export async function signInByKeyboard(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').waitFor();
  await page.keyboard.press('Tab');
  // Tab until the username field has focus (the first focusable control of the page).
  for (let i = 0; i < 5; i++) {
    if (await page.getByLabel('Username').evaluate((el) => el === document.activeElement)) break;
    await page.keyboard.press('Tab');
  }
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

/** The texts of one column of the first table on the page. */
export async function column(page: Page, index: number): Promise<string[]> {
  return page.locator(`table tbody tr td:nth-child(${index})`).allInnerTexts();
}
