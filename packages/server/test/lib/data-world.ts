/**
 * A test server running the demo app's configuration (apps/demo/bulwark.config.ts), with users
 * in teams and a signed-in device each. The configuration is imported through the test runner's
 * own module graph, so its collections are the objects the server code under test knows;
 * config.test.ts loads the same file the way `bulwark serve --config` does, in a real Node process.
 */
import type { LightMyRequestResponse } from 'fastify';
import type { BulwarkConfig } from '../../src/config/define.js';
import type { Dialect } from './databases.js';
import {
  PASSWORD,
  type Session,
  startTestServer,
  TestDevice,
  type TestServer,
  type TestServerOptions,
} from './harness.js';

/** The demo configuration file. */
export const DEMO_CONFIG_FILE = new URL('../../../../apps/demo/bulwark.config.ts', import.meta.url).pathname;

let demo: Promise<BulwarkConfig> | undefined;
/** The demo configuration, loaded once per test file. */
export function demoConfig(): Promise<BulwarkConfig> {
  demo ??= import('../../../../apps/demo/bulwark.config.js').then((m) => m.default as BulwarkConfig);
  return demo;
}

/** A signed-in user on one device. */
export interface Actor {
  readonly name: string;
  readonly userId: string;
  readonly device: TestDevice;
  readonly session: Session;
  call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
}

/** Signs `userId` in on a new device. */
export async function signIn(s: TestServer, name: string, userId: string): Promise<Actor> {
  const device = await TestDevice.create(s);
  const session = await device.login(name, PASSWORD);
  return {
    name,
    userId,
    device,
    session,
    call: (method, path, body, headers) => device.call(session, method, path, body, headers),
  };
}

/** Creates a user with teams (written directly, as an admin would through /admin/users/:id/teams). */
export async function createMember(
  s: TestServer,
  name: string,
  teams: readonly string[],
  role: 'admin' | 'user' = 'user',
): Promise<string> {
  const id = await s.user(name, PASSWORD, role);
  if (teams.length > 0) {
    await s.ctx.db
      .insertInto('user_teams')
      .values(teams.map((team) => ({ user_id: id, team })))
      .execute();
  }
  return id;
}

/** Starts a server with the demo configuration. */
export async function startDemoServer(
  dialect: Dialect,
  options: Omit<TestServerOptions, 'data'> = {},
): Promise<TestServer> {
  return startTestServer(dialect, {}, { ...options, data: await demoConfig() });
}

/** A valid inspection body for `inspector` in `team`. */
export function inspection(inspector: string, team: string, extra: Record<string, unknown> = {}) {
  return {
    site: 'Harbour warehouse 7',
    inspector,
    team,
    status: 'scheduled',
    scheduledAt: '2030-01-20T08:30:00Z',
    residentPhone: '+33 6 12 34 56 78',
    findings: [{ note: 'Loose handrail on stairs B', severity: 'medium' }],
    photos: [],
    ...extra,
  };
}

/** Counts and content of the records table, to show that a refused request changed nothing. */
export async function snapshot(s: TestServer): Promise<string> {
  const rows = await s.ctx.db.selectFrom('records').selectAll().orderBy('collection').orderBy('id').execute();
  const notices = await s.ctx.db.selectFrom('sync_notices').select(['seq']).execute();
  const counter = await s.ctx.db.selectFrom('sync_counter').select('seq').execute();
  return JSON.stringify({ rows, notices: notices.length, counter });
}
