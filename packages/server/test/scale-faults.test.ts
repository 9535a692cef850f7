/**
 * Faults, with real processes and services: Redis stopped mid-run (requests fail closed with
 * 503 `redis_unavailable`, replay and throttle checks are never skipped, the node recovers when
 * Redis returns, and the emptied replay cache does not reopen the replay window; a push refused
 * during the outage writes nothing, and its retry afterwards is applied once); a node stopped with
 * SIGTERM while a push is held inside its transaction (test/lib/push-gate.ts: the push finishes,
 * whole, before the process exits). Crashes are in scale-crash.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inspection } from './lib/data-world.js';
import { useNodeHarness } from './lib/node-harness.js';
import { createAccounts, DEMO_CONFIG, HttpDevice } from './lib/nodes.js';
import { PushGate } from './lib/push-gate.js';
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
    const [annId = ''] = await createAccounts(db.db, [{ username: 'ann', teams: ['north'] }]);
    const a = await node({ databaseUrl: url, redisUrl: redis.url, config: DEMO_CONFIG });
    const gate = await PushGate.open(url, cleanup);
    const device = await HttpDevice.create([a.url]);
    expect((await device.login('ann')).status).toBe(200);
    const used = await device.proof('GET', '/me');
    expect((await device.sendWithProof(a.url, 'GET', '/me', used)).status).toBe(200);
    const acknowledged = Array.from({ length: 20 }, () => mutation(annId));
    expect((await device.send('POST', '/sync/push', { body: { mutations: acknowledged } })).status).toBe(200);
    const start = await gate.holdings(device.id, acknowledged);
    expect(start.versions).toEqual({ 1: 20 });

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
    // A push is refused the same way, and writes nothing.
    const refused = Array.from({ length: 20 }, () => mutation(annId));
    const pushed = await device.send('POST', '/sync/push', { body: { mutations: refused } });
    expect({ status: pushed.status, code: pushed.body.code }).toEqual({
      status: 503,
      code: 'redis_unavailable',
    });
    expect(await gate.holdings(device.id, refused)).toEqual({
      versions: {},
      ledger: new Map(),
      seq: start.seq,
    });
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
    // The client's retry of the refused push is applied, once; what was acknowledged before stays.
    const retried = await device.send('POST', '/sync/push', { body: { mutations: refused } });
    expect(retried.status).toBe(200);
    expect((retried.body.results as Array<{ status: string }>).map((r) => r.status)).toEqual(
      refused.map(() => 'applied'),
    );
    const end = await gate.holdings(device.id, [...acknowledged, ...refused]);
    expect(end.versions).toEqual({ 1: 40 });
    expect(end.ledger.size).toBe(40);
    expect(end.seq).toBe(start.seq + 20);
    expect(a.output()).not.toContain(device.accessToken ?? 'no token');
  }, 60_000);
});

describe('a node stopped with SIGTERM mid-push', () => {
  it('finishes the push in flight, whole, then stops', async () => {
    const { db, url } = await testSchema();
    const [annId = ''] = await createAccounts(db.db, [{ username: 'ann', teams: ['north'] }]);
    const a = await node({ databaseUrl: url, config: DEMO_CONFIG });
    const gate = await PushGate.open(url, cleanup);
    const device = await HttpDevice.create([a.url]);
    expect((await device.login('ann')).status).toBe(200);
    const batch = Array.from({ length: 200 }, () => mutation(annId));
    const before = await gate.holdInsideTransaction(device.id, batch);
    const inFlight = device.send('POST', '/sync/push', { node: a.url, body: { mutations: batch } });
    // The push waits inside its transaction when the signal comes.
    const pushing = await gate.pushWaiting();
    let exitCode: number | null | undefined;
    const exited = a.stop('SIGTERM').then((code) => {
      exitCode = code;
      return code;
    });
    await until(async () => a.output().includes('SIGTERM: finishing requests in flight'), 10_000);
    // Draining: still running for the push it holds, taking no new request.
    const fresh = await fetch(`${a.url}/healthz`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(fresh);
    expect(await gate.waits(pushing)).toBe(true);
    expect(exitCode).toBeUndefined();

    await gate.release();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect((answer.body.results as Array<{ status: string }>).map((r) => r.status)).toEqual(
      batch.map(() => 'applied'),
    );
    expect(await exited).toBe(0);
    const after = await gate.holdings(device.id, batch);
    expect(after.versions).toEqual({ 1: batch.length });
    expect(after.ledger.size).toBe(batch.length);
    expect(after.seq).toBe(before.seq + batch.length);
    // Stopped: no new connection is accepted.
    await expect(fetch(`${a.url}/healthz`)).rejects.toThrow();
  }, 60_000);
});
