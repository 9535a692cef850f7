/**
 * Faults, with real processes and services: Redis stopped mid-run (requests fail closed with
 * 503 `redis_unavailable`, replay and throttle checks are never skipped, the node recovers when
 * Redis returns, and the emptied replay cache does not reopen the replay window); a node stopped
 * with SIGTERM mid-push (the push in flight finishes, nothing half-written). Crashes are in
 * scale-crash.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inspection } from './lib/data-world.js';
import { useNodeHarness } from './lib/node-harness.js';
import { createAccounts, DEMO_CONFIG, HttpDevice } from './lib/nodes.js';
import { describeWithRedis, type PrivateRedis, startRedis } from './lib/services.js';

const _postgresUrl = process.env.BULWARK_TEST_DATABASE_URL;

const { cleanup, testSchema, node } = useNodeHarness();

/** Polls `probe` until it is true, or fails after `timeoutMs`. */
async function until(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`not recovered within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One upsert mutation of a new inspection. */
function mutation(userId: string) {
  return {
    mutationId: randomUUID(),
    collection: 'inspections',
    id: randomUUID(),
    op: 'upsert',
    baseVersion: null,
    record: inspection(userId, 'north'),
  };
}

describeWithRedis('Redis stopped mid-run', () => {
  it('fails closed with 503 redis_unavailable and recovers when Redis returns, without reopening the replay window', async () => {
    const redis: PrivateRedis = await startRedis();
    cleanup.push(() => redis.dispose());
    const { db, url } = await testSchema();
    await createAccounts(db.db, [{ username: 'ann' }]);
    const a = await node({ databaseUrl: url, redisUrl: redis.url });
    const device = await HttpDevice.create([a.url]);
    expect((await device.login('ann')).status).toBe(200);
    const used = await device.proof('GET', '/me');
    expect((await device.sendWithProof(a.url, 'GET', '/me', used)).status).toBe(200);

    await redis.stop();
    const me = await device.send('GET', '/me');
    expect({ status: me.status, code: me.body.code }).toEqual({
      status: 503,
      code: 'redis_unavailable',
    });
    expect(me.headers.get('content-type')).toContain('application/problem+json');
    // Sign-in is refused too: the throttling counters cannot be read, so no password is tried.
    const login = await (await HttpDevice.create([a.url])).login('ann');
    expect({ status: login.status, code: login.body.code }).toEqual({
      status: 503,
      code: 'redis_unavailable',
    });
    // The replay check is not skipped: the used proof is not accepted either.
    expect((await device.sendWithProof(a.url, 'GET', '/me', used)).status).toBe(503);
    expect((await fetch(`${a.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${a.url}/healthz`)).status).toBe(200);

    // Redis returns empty (no persistence): the node recovers by itself...
    await redis.start();
    await until(async () => (await device.send('GET', '/me')).status === 200, 15_000);
    expect((await fetch(`${a.url}/readyz`)).status).toBe(200);
    // ...and the proof accepted before the loss is still refused: its nonce was of the old epoch.
    const replayed = await device.sendWithProof(a.url, 'GET', '/me', used);
    expect({ status: replayed.status, code: replayed.body.code }).toEqual({
      status: 401,
      code: 'use_dpop_nonce',
    });
    expect((await (await HttpDevice.create([a.url])).login('ann')).status).toBe(200);
    expect(a.output()).not.toContain(device.accessToken ?? 'no token');
  }, 60_000);
});

describe('a node stopped with SIGTERM mid-push', () => {
  it('finishes the push in flight, then stops: nothing half-written', async () => {
    const { db, url } = await testSchema();
    const [annId = ''] = await createAccounts(db.db, [{ username: 'ann', teams: ['north'] }]);
    const a = await node({ databaseUrl: url, config: DEMO_CONFIG });
    const device = await HttpDevice.create([a.url]);
    expect((await device.login('ann')).status).toBe(200);
    const batch = Array.from({ length: 200 }, () => mutation(annId));
    const inFlight = device.send('POST', '/sync/push', { node: a.url, body: { mutations: batch } });
    await new Promise((r) => setTimeout(r, 100));
    const exited = a.stop('SIGTERM');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(await exited).toBe(0);
    expect(a.output()).toContain('SIGTERM: finishing requests in flight');
    const stored = await db.db
      .selectFrom('records')
      .select('id')
      .where(
        'id',
        'in',
        batch.map((m) => m.id),
      )
      .execute();
    expect(stored.length).toBe(200);
    // Stopped: no new connection is accepted.
    await expect(fetch(`${a.url}/healthz`)).rejects.toThrow();
  }, 60_000);
});
