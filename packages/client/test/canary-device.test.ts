/**
 * The outside testers' canary scan of a Node install, through the SDK's real flows against the
 * real server: distinctive values are planted (password, passcode, access and refresh tokens, a
 * sensitive field, a plain field, a photo's bytes, a record id) and every byte the SDK wrote (the
 * data folder: keystore file, SQLite database with its WAL and journal, the encrypted files, the
 * wipe outbox) and every line it logged is searched at each point where the docs promise
 * something: while unlocked and after lock (no secret), after a record is reassigned to someone
 * else (nothing of the record, its id or its attached photo), after sign-out and after the server
 * revokes the device (nothing at all).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collection, defineSchema, t } from '@bulwark/core/schema';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeviceKey, fromSchema, MemorySessionStore, Transport } from '../src/index.js';
import { createClient } from '../src/node/index.js';
import { canary, filesUnder, scan } from './fakes/canary.js';
import { ADMIN, posture, type RealServer, revokeAsAdmin, startRealServer, USER } from './lib/real-server.js';

const jobs = collection('jobs', {
  fields: {
    title: t.string({ maxLength: 100 }),
    team: t.string({ maxLength: 20 }),
    phone: t.string({ maxLength: 64 }).sensitive().optional(),
  },
});
const schema = defineSchema({ version: 1, collections: [jobs] });
const byTeam = {
  any: [
    { field: 'team', in: { claim: 'teams' } },
    { claim: 'role', eq: 'admin' },
  ],
} as const;

let server: RealServer;
let log: string[] = [];

beforeAll(async () => {
  server = await startRealServer(undefined, {
    schema,
    collections: { jobs: { rules: { read: byTeam, write: byTeam } } },
  });
  const row = await server.db.db
    .selectFrom('users')
    .select('id')
    .where('username', '=', USER.username)
    .executeTakeFirstOrThrow();
  await server.db.db.insertInto('user_teams').values({ user_id: row.id, team: 'north' }).execute();
}, 60_000);

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  log = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      log.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : String(a))).join(' '));
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The folder's files and everything logged so far, searched for each value. */
async function scanAll(dataDir: string, values: readonly string[]): Promise<string[]> {
  const logs = await mkdtemp(join(tmpdir(), 'bulwark-device-log-'));
  await writeFile(join(logs, 'console.log'), log.join('\n'));
  return [...(await scan(dataDir, values)), ...(await scan(logs, values))];
}

/** A fetch that keeps every token the server hands out, to search for them later. */
function tokenCatcher(tokens: string[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if ((response.headers.get('content-type') ?? '').includes('json')) {
      const body = (await response
        .clone()
        .json()
        .catch(() => undefined)) as Record<string, unknown> | undefined;
      for (const key of ['accessToken', 'refreshToken']) {
        const value = body?.[key];
        if (typeof value === 'string') tokens.push(value);
      }
    }
    return response;
  };
}

async function adminTransport(): Promise<Transport> {
  const admin = new Transport({
    baseUrl: server.url,
    devMode: true,
    deviceKey: await DeviceKey.generate(),
    sessions: new MemorySessionStore(),
    posture,
  });
  await admin.login({ ...ADMIN, deviceId: randomUUID() });
  return admin;
}

/** Everything an app could log of an error: its text, stack, own fields and causes. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return [
    String(err),
    err.stack ?? '',
    JSON.stringify(err),
    cause === undefined ? '' : describeError(cause),
  ].join('\n');
}

const photo = (marker: string) => new Blob([`PNG-ish ${marker} `.repeat(4000)]).stream();

async function device(dataDir: string, tokens: string[]) {
  return createClient({
    platform: 'node',
    dataDir,
    baseUrl: server.url,
    devMode: true,
    collections: [fromSchema(jobs)],
    posture,
    fetch: tokenCatcher(tokens),
  });
}

describe('canary scan of a Node install', () => {
  it('keeps no secret on the device, nothing of a reassigned record or its photo, and nothing after a revocation', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-device-'));
    const tokens: string[] = [];
    const passcode = `pc-${canary()}`;
    const client = await device(dataDir, tokens);
    const thrown: unknown[] = [];
    await client.setPasscode(passcode);
    await client.signIn(USER);
    expect(tokens.length).toBeGreaterThanOrEqual(2);

    const kept = { id: randomUUID(), title: canary(), team: 'north', phone: canary() };
    const moved = { id: randomUUID(), title: canary(), team: 'north', phone: canary() };
    const [keptPhoto, movedPhoto] = [canary(), canary()];
    for (const job of [kept, moved]) await client.syncEngine.put('jobs', job);
    await client.files.attach('jobs', kept.id, 'p1', photo(keptPhoto));
    await client.files.attach('jobs', moved.id, 'p1', photo(movedPhoto));
    await client.files.attach('jobs', moved.id, 'p2', photo(movedPhoto));
    expect((await client.sync()).push.applied).toBe(2);

    const secrets = [passcode, USER.password, ...tokens, kept.phone, moved.phone, keptPhoto, movedPhoto];
    expect(await scanAll(dataDir, secrets)).toEqual([]);
    // Plain fields and ids are in clear while the record is held: the scan sees them.
    expect(await scan(dataDir, [kept.title])).not.toEqual([]);
    expect(await scan(dataDir, [moved.id])).not.toEqual([]);

    // The job is reassigned to a team this user is not in: the pull removes it from the device,
    // and with it the photos attached to it.
    const admin = await adminTransport();
    await admin.request('PATCH', `/data/jobs/${moved.id}`, { team: 'south' });
    expect((await client.sync()).pull).toMatchObject({ removed: 1 });
    expect(await client.store.get('jobs', moved.id)).toBeUndefined();
    expect(await client.files.attachments('jobs', moved.id)).toEqual([]);
    expect(await client.files.attachments('jobs', kept.id)).toEqual(['p1']);
    expect(await filesUnder(join(dataDir, 'files'))).toHaveLength(1);
    expect(await scanAll(dataDir, [moved.title, moved.id, ...secrets])).toEqual([]);
    expect(await client.store.get('jobs', kept.id)).toEqual(kept);

    client.lock();
    expect(await scanAll(dataDir, [moved.title, moved.id, ...secrets])).toEqual([]);
    // What the SDK throws carries no secret either: a wrong passcode, a wrong password.
    const wrongPasscode = `pc-${canary()}`;
    const wrongPassword = `pw-${canary()}`;
    thrown.push(await client.unlock(wrongPasscode).catch((err: unknown) => err));
    await client.unlock(passcode);
    thrown.push(await client.signIn({ ...USER, password: wrongPassword }).catch((err: unknown) => err));
    client.lock();

    // Revoked while locked: the next contact with the server wipes.
    await revokeAsAdmin(server.url, client.deviceId, 'lost');
    const revoked = await client.transport.request('GET', '/me').catch((err: unknown) => err);
    expect(revoked).toMatchObject({ code: 'device_revoked' });
    thrown.push(revoked);
    expect(client.status).toBe('wiped');
    expect(thrown.map((err) => (err as { code?: unknown }).code)).toEqual([
      'wrong_passcode',
      expect.any(String),
      'device_revoked',
    ]);
    for (const err of thrown) log.push(describeError(err));
    expect(
      await scanAll(dataDir, [
        kept.title,
        kept.id,
        moved.title,
        moved.id,
        ...secrets,
        wrongPasscode,
        wrongPassword,
      ]),
    ).toEqual([]);
    expect(await filesUnder(dataDir)).toEqual([join(dataDir, 'keystore.json')]);
    await client.close();
  });

  it('leaves nothing after sign-out', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-device-out-'));
    const tokens: string[] = [];
    const passcode = `pc-${canary()}`;
    const client = await device(dataDir, tokens);
    await client.setPasscode(passcode);
    await client.signIn(USER);
    const job = { id: randomUUID(), title: canary(), team: 'north', phone: canary() };
    const marker = canary();
    await client.syncEngine.put('jobs', job);
    await client.files.attach('jobs', job.id, 'p1', photo(marker));
    await client.sync();
    await client.signOut();
    expect(
      await scanAll(dataDir, [passcode, USER.password, ...tokens, job.title, job.id, job.phone, marker]),
    ).toEqual([]);
    expect((await readdir(dataDir)).filter((name) => name !== 'keystore.json' && name !== 'outbox')).toEqual(
      [],
    );
    await client.close();
  });

  it('deletes at the next unlock the photos of a record dropped just before the app was killed', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-device-orphan-'));
    const passcode = `pc-${canary()}`;
    const first = await device(dataDir, []);
    await first.setPasscode(passcode);
    const [a, b] = [randomUUID(), randomUUID()];
    await first.store.putMany('jobs', [
      { id: a, title: 'a', team: 'north' },
      { id: b, title: 'b', team: 'north' },
    ]);
    await first.files.attach('jobs', a, 'p1', photo(canary()));
    await first.files.attach('jobs', b, 'p1', photo(canary()));
    // The drop committed, the app killed before its files went: the backend alone, no listener.
    await first.store.backend.write([{ kind: 'delete', collection: 'jobs', id: b }]);
    expect(await filesUnder(join(dataDir, 'files'))).toHaveLength(2);
    await first.close();

    const second = await device(dataDir, []);
    await second.unlock(passcode);
    expect(await second.files.attachments('jobs', b)).toEqual([]);
    expect(await second.files.attachments('jobs', a)).toEqual(['p1']);
    expect(await filesUnder(join(dataDir, 'files'))).toHaveLength(1);
    await second.close();
  });
});
