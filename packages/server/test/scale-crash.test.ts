/**
 * Crashes, with real processes and services: PostgreSQL stopped as by a crash and restarted
 * mid-run (no acknowledged write lost); a node killed with SIGKILL mid-push, at a point held in
 * PostgreSQL so that the kill cannot miss it: inside the push's transaction (nothing of the batch
 * stays, the client's retry on another node applies each mutation exactly once) and after its
 * commit but before the answer (the retry is answered from the mutation ledger, not applied
 * again). Other faults are in scale-faults.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { inspection } from './lib/data-world.js';
import { useNodeHarness } from './lib/node-harness.js';
import { type Answer, createAccounts, DEMO_CONFIG, HttpDevice, type ServerNode } from './lib/nodes.js';
import { PushGate } from './lib/push-gate.js';
import { type PrivateCluster, startPostgresCluster } from './lib/services.js';

const _postgresUrl = process.env.BULWARK_TEST_DATABASE_URL;

const { cleanup, testSchema, node } = useNodeHarness();

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

describe('PostgreSQL restarted mid-run', () => {
  it('loses no acknowledged write', async () => {
    const cluster: PrivateCluster = await startPostgresCluster();
    cleanup.push(() => cluster.dispose());
    const db = await openDatabase({ databaseUrl: cluster.url, poolSize: 2 });
    cleanup.push(() => db.close().catch(() => undefined));
    const a = await node({ databaseUrl: cluster.url, config: DEMO_CONFIG });
    const [annId = ''] = await createAccounts(db.db, [{ username: 'ann', teams: ['north'] }]);
    const device = await HttpDevice.create([a.url]);
    expect((await device.login('ann')).status).toBe(200);
    const countRecords = async () =>
      Number(
        (
          await db.db
            .selectFrom('records')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirst()
        )?.n,
      );
    const counter = await db.db.selectFrom('sync_counter').select('seq').executeTakeFirstOrThrow();
    const before = { seq: Number(counter.seq), records: await countRecords() };

    // Pushes one mutation at a time, as a client does, retrying each until it is answered.
    const acknowledged: Array<ReturnType<typeof mutation>> = [];
    const refusals: string[] = [];
    let restarting: Promise<void> | undefined;
    for (let i = 0; i < 40; i += 1) {
      if (i === 10) restarting = cluster.restart('immediate');
      const m = mutation(annId);
      for (let attempt = 0; ; attempt += 1) {
        let answer: Answer | undefined;
        try {
          answer = await device.send('POST', '/sync/push', { body: { mutations: [m] } });
        } catch {
          answer = undefined;
        }
        const result = (answer?.body.results as Array<{ status: string }> | undefined)?.[0];
        if (answer?.status === 200 && result?.status === 'applied') {
          acknowledged.push(m);
          break;
        }
        refusals.push(`${answer?.status} ${String(answer?.body.code)}`);
        expect(attempt, `${refusals.slice(0, 5).join(', ')}\n${a.output()}`).toBeLessThan(100);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await restarting;
    // The restart did happen while the client was pushing.
    expect(refusals.length).toBeGreaterThan(0);
    // Requests during the restart were refused as retryable, never answered as done.
    for (const refusal of refusals) expect(refusal).toMatch(/^503 (database_unavailable|not_ready)$/);
    expect(acknowledged.length).toBe(40);
    // Counted in the database after the crash recovery: every acknowledged write is there, once,
    // at version 1, with its answer in the ledger; the change counter moved once per write, and
    // there is no record besides them (nothing written twice under another answer).
    const gate = await PushGate.open(cluster.url, cleanup);
    const stored = await gate.holdings(device.id, acknowledged);
    expect(stored.versions).toEqual({ 1: 40 });
    expect(acknowledged.map((m) => stored.ledger.get(m.mutationId))).toEqual(
      acknowledged.map((m) => ({ mutationId: m.mutationId, status: 'applied', version: 1 })),
    );
    expect(stored.seq).toBe(before.seq + 40);
    expect(await countRecords()).toBe(before.records + 40);
  }, 90_000);
});

/** `nodes` nodes on a fresh schema, a signed-in device on them, a batch of new records, a gate. */
async function pushWorld(size: number, nodes: 1 | 2) {
  const { db, url } = await testSchema();
  const [annId = ''] = await createAccounts(db.db, [{ username: 'ann', teams: ['north'] }]);
  const started = await Promise.all(
    Array.from({ length: nodes }, () => node({ databaseUrl: url, config: DEMO_CONFIG })),
  );
  const [a, b] = started as [ServerNode, ServerNode | undefined];
  const device = await HttpDevice.create(started.map((n) => n.url));
  expect((await device.login('ann')).status).toBe(200);
  const batch = Array.from({ length: size }, () => mutation(annId));
  return { url, a, b, device, batch, gate: await PushGate.open(url, cleanup) };
}

/** Pushes `batch` to `nodeUrl`; resolves with the answer, or the error when none came. */
function pushOn(device: HttpDevice, nodeUrl: string, batch: readonly unknown[]) {
  return device
    .send('POST', '/sync/push', { node: nodeUrl, body: { mutations: batch } })
    .then((answer) => ({ answer }))
    .catch((error: unknown) => ({ error }));
}

/** The push is held inside PostgreSQL (test/lib/push-gate.ts) and the node killed exactly there. */
describe('a node killed with SIGKILL mid-push', () => {
  it('inside the transaction: nothing of the batch stays, and the retry on another node applies each mutation once', async () => {
    const { a, b, device, batch, gate } = await pushWorld(200, 2);
    const before = await gate.holdInsideTransaction(device.id, batch);
    const onA = pushOn(device, a.url, batch);
    // A's push waits in its transaction, records written, nothing committed.
    const pushing = await gate.pushWaiting();

    expect(await a.stop('SIGKILL')).toBeNull();
    expect(a.child.signalCode).toBe('SIGKILL');
    await gate.release();
    await gate.gone(pushing);
    // The client got no answer, and the database holds nothing of the batch: not half of it.
    expect('error' in (await onA)).toBe(true);
    expect(await gate.holdings(device.id, batch)).toEqual({
      versions: {},
      ledger: new Map(),
      seq: before.seq,
    });

    // The client retries the same request (same mutation ids) on B.
    if (b === undefined) throw new Error('no second node');
    const retry = await device.send('POST', '/sync/push', { node: b.url, body: { mutations: batch } });
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    const results = retry.body.results as Array<{ mutationId: string; status: string; version?: number }>;
    expect(results.map((r) => [r.mutationId, r.status, r.version])).toEqual(
      batch.map((m) => [m.mutationId, 'applied', 1]),
    );
    const after = await gate.holdings(device.id, batch);
    expect(after.versions).toEqual({ 1: batch.length });
    expect(after.ledger.size).toBe(batch.length);
    expect(after.seq).toBe(before.seq + batch.length);
    // Retried once more, it is answered from the ledger, the same, and changes nothing.
    const again = await device.send('POST', '/sync/push', { node: b.url, body: { mutations: batch } });
    expect(again.body).toEqual(retry.body);
    expect(await gate.holdings(device.id, batch)).toEqual(after);
  }, 90_000);

  it('after the commit, before the answer: the retry on a restarted node is answered from the ledger, not applied again', async () => {
    const { url, a, device, batch, gate } = await pushWorld(200, 1);
    const before = await gate.holdInsideTransaction(device.id, batch);
    const onA = pushOn(device, a.url, batch);
    const pushing = await gate.pushWaiting();
    // A's push commits; its read of the answers to send waits.
    const answering = await gate.holdAfterCommit();

    expect(await a.stop('SIGKILL')).toBeNull();
    expect(a.child.signalCode).toBe('SIGKILL');
    await gate.release();
    await gate.gone(answering);
    await gate.gone(pushing);
    // The client got no answer, yet the whole batch is committed, with its answers in the ledger.
    expect('error' in (await onA)).toBe(true);
    const committed = await gate.holdings(device.id, batch);
    expect(committed.versions).toEqual({ 1: batch.length });
    expect(committed.seq).toBe(before.seq + batch.length);
    expect(batch.map((m) => committed.ledger.get(m.mutationId))).toEqual(
      batch.map((m) => ({ mutationId: m.mutationId, status: 'applied', version: 1 })),
    );

    // The client retries the same request on the node restarted: answered from the ledger.
    const restarted = await node({ databaseUrl: url, config: DEMO_CONFIG });
    const retry = await device.send('POST', '/sync/push', {
      node: restarted.url,
      body: { mutations: batch },
    });
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.body.results).toEqual(batch.map((m) => committed.ledger.get(m.mutationId)));
    expect(await gate.holdings(device.id, batch)).toEqual(committed);
  }, 90_000);
});
