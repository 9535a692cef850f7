/**
 * What a test file against the FakeServer sets up: a fresh, started server for each test (so no
 * test sees another's revocations or receipts), and the healthy desktop posture its device reports.
 */
import { afterEach, beforeEach } from 'vitest';
import { FakeServer } from './fake-server.js';

/**
 * A healthy Electron device's posture report.
 *
 * @example
 * const transport = new Transport({ baseUrl, deviceId, deviceKeys, posture: healthyPosture });
 */
export const healthyPosture = {
  report: async () => ({
    platform: 'electron',
    osVersion: 'test',
    appVersion: '1.0.0',
    posture: { rooted: false, screenLock: true, emulator: false },
  }),
};

/**
 * Starts a FakeServer before each test of the calling file and stops it after; the returned
 * function gives the current test's server.
 *
 * @example
 * const server = fakeServerPerTest();
 * it('…', () => { server().revoked.add(DEVICE_ID); });
 */
export function fakeServerPerTest(): () => FakeServer {
  let server: FakeServer | undefined;
  beforeEach(async () => {
    server = new FakeServer();
    await server.start();
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  return () => {
    if (server === undefined) throw new Error('the fake server runs only inside a test');
    return server;
  };
}
