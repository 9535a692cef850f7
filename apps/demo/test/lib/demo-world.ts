/**
 * The world of the demo's screen tests: the real server with the demo configuration and the
 * built apps (test-support/e2e.ts), an admin signed in from Node with the SDK's Transport (as the
 * console would be), an inspector made through the admin API, and inspections written through
 * the sync API. Helpers drive the demo's screens the way a person would, with the keyboard.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DeviceKey, MemorySessionStore, Transport } from '@bulwark/client';
import type { BulwarkConfig } from '@bulwark/server';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { type AppServer, startAppServer } from '../../../../test-support/e2e.js';
import { dumpIndexedDb as readIndexedDb } from '../../../../test-support/indexeddb-dump.js';
import { describePage, tracePage } from '../../../../test-support/page-trace.js';
import demoConfig from '../../bulwark.config.js';

const posture = {
  report: async () => ({
    platform: 'electron',
    osVersion: '30.0',
    appVersion: '1.0.0',
    posture: { rooted: false, screenLock: true, emulator: false },
  }),
};

/** An inspection as the server stores it (without id). */
export interface ServerInspection {
  readonly site: string;
  readonly inspector: string;
  readonly team: string;
  readonly status: 'scheduled' | 'in_progress' | 'done';
  readonly scheduledAt: string;
  readonly residentPhone?: string;
  readonly findings: { note: string; severity: 'low' | 'medium' | 'high' }[];
  readonly photos: unknown[];
  readonly riskScore?: number;
  readonly internalNotes?: string;
}

/** A running demo server with an admin and one inspector. */
export interface DemoWorld {
  readonly app: AppServer;
  readonly admin: Transport;
  readonly inspector: { readonly id: string; readonly username: string; readonly password: string };
  /** Ids of the inspections assigned to the inspector, in site order. */
  readonly ids: readonly string[];
  /** Sites of those inspections. */
  readonly sites: readonly string[];
  /** An inspection of another team the inspector must never see. */
  readonly foreignSite: string;
  /** Writes (creates or replaces) an inspection as the admin; returns its new version. */
  write(id: string, record: ServerInspection, baseVersion: number | null): Promise<number>;
  /** The server's copy of an inspection and its version. */
  read(id: string): Promise<{ version: number; record: ServerInspection } | undefined>;
  /** Revokes a device as the admin. */
  revoke(deviceId: string): Promise<void>;
  /** The server's view of a device. */
  deviceStatus(deviceId: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * Starts the server with the demo configuration, signs the first admin in (changing the
 * one-time password), creates an inspector in a team of its own and `count` inspections for them.
 *
 * @example
 * ```ts
 * const world = await startDemoWorld(3);
 * ```
 */
export async function startDemoWorld(count = 3): Promise<DemoWorld> {
  const app = await startAppServer({ data: demoConfig as unknown as BulwarkConfig });
  const initial = app.server.initialAdmin;
  if (initial === undefined) throw new Error('no initial admin');
  const admin = new Transport({
    baseUrl: app.server.url,
    devMode: true,
    deviceKey: await DeviceKey.generate(),
    sessions: new MemorySessionStore(),
    posture,
  });
  const adminPassword = `admin ${randomBytes(12).toString('hex')}`;
  const deviceId = randomUUID();
  await admin.login({ username: initial.username, password: initial.password, deviceId });
  await admin.request('POST', '/auth/password', {
    currentPassword: initial.password,
    newPassword: adminPassword,
  });
  await admin.login({ username: initial.username, password: adminPassword, deviceId });
  // A team of the test's own: the configuration's seed puts its demo data in `north` and `south`.
  const team = `field-${randomBytes(4).toString('hex')}`;
  const inspector = {
    username: `inspector-${team}`,
    password: `field work ${randomBytes(8).toString('hex')}`,
  };
  const created = await admin.request<{ id: string }>('POST', '/admin/users', { ...inspector, role: 'user' });
  await admin.request('PUT', `/admin/users/${created.id}/teams`, { teams: [team] });

  const write = async (id: string, record: ServerInspection, baseVersion: number | null) => {
    const response = await admin.request<{
      results: { status: string; version?: number; code?: string }[];
    }>('POST', '/sync/push', {
      mutations: [
        { mutationId: randomUUID(), collection: 'inspections', id, op: 'upsert', baseVersion, record },
      ],
    });
    const result = response.results[0];
    if (result?.status !== 'applied' || result.version === undefined) {
      throw new Error(`admin write refused: ${JSON.stringify(result)}`);
    }
    return result.version;
  };
  const sites = Array.from(
    { length: count },
    (_, i) => `Site ${String.fromCharCode(65 + i)} ${i + 1} Mill Lane`,
  );
  const ids: string[] = [];
  for (const [i, site] of sites.entries()) {
    const id = randomUUID();
    ids.push(id);
    await write(
      id,
      {
        site,
        inspector: created.id,
        team,
        status: 'scheduled',
        scheduledAt: new Date(Date.UTC(2026, 11, 7 + i, 9)).toISOString(),
        findings: [],
        photos: [],
      },
      null,
    );
  }
  const foreignSite = 'Foreign depot of the south team';
  await write(
    randomUUID(),
    {
      site: foreignSite,
      inspector: randomUUID(),
      team: 'south',
      status: 'scheduled',
      scheduledAt: new Date(Date.UTC(2026, 11, 7, 9)).toISOString(),
      findings: [],
      photos: [],
    },
    null,
  );
  return {
    app,
    admin,
    inspector: { id: created.id, ...inspector },
    ids,
    sites,
    foreignSite,
    write,
    async read(id) {
      let checkpoint: string | null = null;
      for (;;) {
        const page: {
          changes: { id: string; version?: number; record?: ServerInspection; collection: string }[];
          checkpoint: string;
          hasMore: boolean;
        } = await admin.request('POST', '/sync/pull', { checkpoint, limit: 500 });
        const found = page.changes.find((c) => c.collection === 'inspections' && c.id === id);
        if (found?.record !== undefined && found.version !== undefined) {
          return { version: found.version, record: found.record };
        }
        if (!page.hasMore) return undefined;
        checkpoint = page.checkpoint;
      }
    },
    async revoke(target) {
      await admin.request('POST', `/admin/devices/${target}/revoke`, { reason: 'lost' });
    },
    async deviceStatus(target) {
      const { devices } = await admin.request<{ devices: { id: string; status: string }[] }>(
        'GET',
        `/admin/users/${created.id}/devices`,
      );
      return devices.find((d) => d.id === target)?.status;
    },
    close: () => app.close(),
  };
}

/** Signs in through the sign-in screen with the keyboard. */
export async function signIn(page: Page, world: DemoWorld): Promise<void> {
  await page.getByRole('heading', { name: 'Site inspections' }).waitFor();
  await page.getByLabel('User name').focus();
  await page.keyboard.type(world.inspector.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(world.inspector.password);
  await page.keyboard.press('Enter');
}

/** Chooses the passcode on the passcode screen. */
export async function choosePasscode(page: Page, passcode: string): Promise<void> {
  await page.getByRole('heading', { name: 'Choose a passcode' }).waitFor();
  await page.getByLabel('Passcode (at least 6 characters)').fill(passcode);
  await page.getByLabel('Passcode again').fill(passcode);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Your inspections' }).waitFor({ timeout: 30_000 });
}

/** Unlocks from the lock overlay with the passcode. */
export async function unlock(page: Page, passcode: string): Promise<void> {
  await page.getByRole('heading', { name: 'Locked' }).waitFor();
  await page.getByLabel('Passcode', { exact: true }).fill(passcode);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Your inspections' }).waitFor({ timeout: 30_000 });
}

/** Waits until the header says no change is waiting (each one synced, or refused by the server). */
export async function waitSynced(page: Page): Promise<void> {
  await expect
    .poll(() => page.locator('.pending').textContent(), { timeout: 20_000 })
    .toMatch(/^All changes (synced|sent; \d+ refused, not synced)$/);
}

/**
 * The id of the one device the inspector enrolled, from the admin API: the demo keeps its device
 * id where the SDK does, a secure item in the keystore, out of the page's plain reach.
 */
export async function deviceIdOf(world: DemoWorld): Promise<string> {
  const { devices } = await world.admin.request<{ devices: { id: string }[] }>(
    'GET',
    `/admin/users/${world.inspector.id}/devices`,
  );
  const [device, ...more] = devices;
  if (device === undefined || more.length > 0) {
    throw new Error(`expected one enrolled device, found ${devices.length}`);
  }
  return device.id;
}

/**
 * Every value of every IndexedDB database of the page's origin, as text (bytes as latin1), as
 * script in the page can read them.
 */
export function dumpIndexedDb(page: Page): Promise<string> {
  return page.evaluate(readIndexedDb);
}

/**
 * The API traffic of a page (method, path, status or failure, time) and its console, kept to
 * explain a wait that times out: a sync that never started, failed, or never finished says so in
 * the failure.
 */
export function recordTraffic(page: Page): readonly string[] {
  return tracePage(page, { skip: (path) => path.startsWith('/demo/') }).lines;
}

/**
 * Waits for a notice of the sync (`.notice.rejected`, `.notice.conflict`); when it does not come,
 * fails with what the page's header said and the page's recent API traffic.
 */
export async function waitNotice(page: Page, selector: string, traffic: readonly string[]): Promise<void> {
  try {
    await page.locator(selector).waitFor({ timeout: 20_000 });
  } catch (err) {
    const header = await page
      .locator('header.bar, .sync-status')
      .allTextContents()
      .catch(() => []);
    throw new Error(
      `${selector} did not appear: header ${JSON.stringify(header)}\n${await describePage(page)}\n${traffic.slice(-40).join('\n')}`,
      { cause: err },
    );
  }
}
