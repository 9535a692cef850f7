/**
 * Crashes, with real processes and services: PostgreSQL stopped as by a crash and restarted
 * mid-run (no acknowledged write lost); a node killed with SIGKILL mid-push (the client's retry
 * on another node applies each mutation exactly once). Other faults are in scale-faults.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { inspection } from './lib/data-world.js';
import { useNodeHarness } from './lib/node-harness.js';
import { type Answer, createAccounts, DEMO_CONFIG, HttpDevice } from './lib/nodes.js';
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

    // Pushes one mutation at a time, as a client does, retrying each until it is answered.
    const acknowledged: string[] = [];
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
          acknowledged.push(m.id);
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
    const check = await openDatabase({ databaseUrl: cluster.url, poolSize: 1 });
    cleanup.push(() => check.close());
    const stored = await check.db
      .selectFrom('records')
      .select(['id', 'version'])
      .where('id', 'in', acknowledged)
      .execute();
    expect(stored.length).toBe(acknowledged.length);
    expect(new Set(stored.map((r) => r.version))).toEqual(new Set([1]));
    expect(acknowledged.length).toBe(40);
  }, 90_000);
});

describe('a node killed mid-push', () => {
  it('lets the client retry on another node and applies each mutation once', async () => {
    const { db, url } = await testSchema();
    const [annId = ''] = await createAccounts(db.db, [{ username: 'ann', teams: ['north'] }]);
    const [a, b] = await Promise.all([
      node({ databaseUrl: url, config: DEMO_CONFIG }),
      node({ databaseUrl: url, config: DEMO_CONFIG }),
    ]);
    const device = await HttpDevice.create([a.url, b.url]);
    expect((await device.login('ann')).status).toBe(200);
    const batch = Array.from({ length: 200 }, () => mutation(annId));

    // The push to A is cut off by SIGKILL while A works on it.
    const onA = device
      .send('POST', '/sync/push', { node: a.url, body: { mutations: batch } })
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 150));
    await a.stop('SIGKILL');
    const cut = await onA;
    const retry = await device.send('POST', '/sync/push', { node: b.url, body: { mutations: batch } });
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    const results = retry.body.results as Array<{ status: string; version?: number }>;
    expect(results.length).toBe(200);
    expect(new Set(results.map((r) => r.status))).toEqual(new Set(['applied']));
    const stored = await db.db
      .selectFrom('records')
      .select(['id', 'version'])
      .where(
        'id',
        'in',
        batch.map((m) => m.id),
      )
      .execute();
    expect(stored.length).toBe(200);
    expect(new Set(stored.map((r) => r.version))).toEqual(new Set([1]));
    // Whatever A had done when it died (nothing, part, or all of the batch), B agrees with it.
    if (cut !== undefined && cut.status === 200) expect(retry.body).toEqual(cut.body);
  }, 60_000);
});
