/**
 * Crashes, with real processes and services: PostgreSQL stopped as by a crash and restarted
 * mid-run (no acknowledged write lost); a node killed with SIGKILL mid-push, at a point held in
 * PostgreSQL so that the kill cannot miss it: inside the push's transaction (nothing of the batch
 * stays, the client's retry on another node applies each mutation exactly once) and after its
 * commit but before the answer (the retry is answered from the mutation ledger, not applied
 * again). Other faults are in scale-faults.test.ts.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import { inspection } from './lib/data-world.js';
import { useNodeHarness } from './lib/node-harness.js';
import { type Answer, createAccounts, DEMO_CONFIG, HttpDevice, type ServerNode } from './lib/nodes.js';
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

/** Polls `probe` until it is true, or fails after 20 s. */
async function until(probe: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 20_000;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error('not reached within 20 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A connection of the test's own to the schema the nodes use. */
async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  cleanup.push(() => client.end().catch(() => undefined));
  return client;
}

/** The server backend process id of `client`. */
async function backendPid(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  return (rows[0] as { pid: number }).pid;
}

/** Polls (from `probe`, outside any transaction) until a backend waits for `holderPid`; its pid. */
async function waiterOf(probe: pg.Client, holderPid: number): Promise<number> {
  const end = Date.now() + 20_000;
  for (;;) {
    const { rows } = await probe.query<{ pid: number }>(
      'select pid from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
      [holderPid],
    );
    if (rows[0] !== undefined) return rows[0].pid;
    if (Date.now() > end) throw new Error(`no backend waits for backend ${holderPid}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls until backend `pid` is gone (PostgreSQL saw its client die and rolled it back). */
async function gone(probe: pg.Client, pid: number): Promise<void> {
  const end = Date.now() + 20_000;
  while ((await probe.query('select 1 from pg_stat_activity where pid = $1', [pid])).rows.length > 0) {
    if (Date.now() > end) throw new Error(`backend ${pid} still there`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What the database holds of a batch: records, their versions, ledger rows, the change counter. */
async function holdings(
  probe: pg.Client,
  deviceId: string,
  batch: ReadonlyArray<{ id: string; mutationId: string }>,
) {
  const records = await probe.query<{ version: number; n: string }>(
    'select version, count(*) as n from records where id = any($1) group by version',
    [batch.map((m) => m.id)],
  );
  const ledger = await probe.query<{ mutation_id: string; result: string }>(
    'select mutation_id, result from sync_mutations where device_id = $1 and mutation_id = any($2)',
    [deviceId, batch.map((m) => m.mutationId)],
  );
  const counter = await probe.query<{ seq: string }>('select seq from sync_counter where id = 1');
  return {
    /** Records of the batch, by version. */
    versions: Object.fromEntries(records.rows.map((r) => [r.version, Number(r.n)])),
    ledger: new Map(ledger.rows.map((r) => [r.mutation_id, JSON.parse(r.result) as unknown])),
    seq: Number(counter.rows[0]?.seq),
  };
}

/** `nodes` nodes on a fresh schema, a signed-in device on them, a batch of new records. */
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
  const [probe, ledgerLock, tableLock] = await Promise.all([connect(url), connect(url), connect(url)]);
  return { url, a, b, device, batch, probe, ledgerLock, tableLock };
}

/**
 * Inserts, uncommitted, the ledger row of the batch's last mutation from `ledgerLock`, so that
 * the push's own insert of it waits; returns what the database held before.
 */
async function holdLastLedgerRow(
  ledgerLock: pg.Client,
  probe: pg.Client,
  deviceId: string,
  batch: ReadonlyArray<{ id: string; mutationId: string }>,
) {
  const before = await holdings(probe, deviceId, batch);
  await ledgerLock.query('begin');
  await ledgerLock.query(
    `insert into sync_mutations (device_id, mutation_id, result, created_at) values ($1, $2, '{}', 0)`,
    [deviceId, batch[batch.length - 1]?.mutationId],
  );
  return before;
}

/** Pushes `batch` to `nodeUrl`; resolves with the answer, or the error when none came. */
function pushOn(device: HttpDevice, nodeUrl: string, batch: readonly unknown[]) {
  return device
    .send('POST', '/sync/push', { node: nodeUrl, body: { mutations: batch } })
    .then((answer) => ({ answer }))
    .catch((error: unknown) => ({ error }));
}

/**
 * A push is held at a known point inside PostgreSQL, from connections of the test's own, and the
 * node is killed with SIGKILL exactly there. The push writes every record of its batch, stores the
 * answers in the `sync_mutations` ledger, commits, then reads the stored answers back to reply. A
 * ledger row of the batch inserted by the test and left uncommitted makes the push's own insert of
 * it wait (a unique-key conflict waits for the other transaction): the push is inside its
 * transaction, records written, nothing committed. A table lock on the ledger, asked for while the
 * push waits and granted when its transaction ends, then holds the read after the commit:
 * committed, nothing answered.
 */
describe('a node killed with SIGKILL mid-push', () => {
  it('inside the transaction: nothing of the batch stays, and the retry on another node applies each mutation once', async () => {
    const { a, b, device, batch, probe, ledgerLock } = await pushWorld(200, 2);
    const before = await holdLastLedgerRow(ledgerLock, probe, device.id, batch);
    const onA = pushOn(device, a.url, batch);
    const pushing = await waiterOf(probe, await backendPid(ledgerLock));
    // The waiting backend is A's push, in its transaction, with records written (uncommitted).
    const locks = await ledgerLock.query<{ mode: string }>(
      `select mode from pg_locks where pid = $1 and granted and relation = to_regclass('records')`,
      [pushing],
    );
    expect(locks.rows.map((r) => r.mode)).toContain('RowExclusiveLock');
    const { rows: inFlight } = await probe.query<{ xid: string | null }>(
      'select backend_xid as xid from pg_stat_activity where pid = $1',
      [pushing],
    );
    expect(inFlight[0]?.xid).not.toBeNull();

    expect(await a.stop('SIGKILL')).toBeNull();
    expect(a.child.signalCode).toBe('SIGKILL');
    await ledgerLock.query('rollback');
    await gone(probe, pushing);
    // The client got no answer, and the database holds nothing of the batch: not half of it.
    expect('error' in (await onA)).toBe(true);
    expect(await holdings(probe, device.id, batch)).toEqual({
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
    const after = await holdings(probe, device.id, batch);
    expect(after.versions).toEqual({ 1: batch.length });
    expect(after.ledger.size).toBe(batch.length);
    expect(after.seq).toBe(before.seq + batch.length);
    // Retried once more, it is answered from the ledger, the same, and changes nothing.
    const again = await device.send('POST', '/sync/push', { node: b.url, body: { mutations: batch } });
    expect(again.body).toEqual(retry.body);
    expect(await holdings(probe, device.id, batch)).toEqual(after);
  }, 90_000);

  it('after the commit, before the answer: the retry on a restarted node is answered from the ledger, not applied again', async () => {
    const { url, a, device, batch, probe, ledgerLock, tableLock } = await pushWorld(200, 1);
    const before = await holdLastLedgerRow(ledgerLock, probe, device.id, batch);
    const onA = pushOn(device, a.url, batch);
    const pushing = await waiterOf(probe, await backendPid(ledgerLock));
    // A table lock on the ledger, queued behind the push's transaction, is granted when the push
    // commits, and then holds its read of the answers.
    const tableLockPid = await backendPid(tableLock);
    await tableLock.query('begin');
    const tableLocked = tableLock.query('lock table sync_mutations in access exclusive mode');
    await until(async () => {
      const { rows } = await probe.query<{ n: number }>('select cardinality(pg_blocking_pids($1)) as n', [
        tableLockPid,
      ]);
      return (rows[0]?.n ?? 0) > 0;
    });
    await ledgerLock.query('rollback');
    await tableLocked;
    const answering = await waiterOf(probe, tableLockPid);

    expect(await a.stop('SIGKILL')).toBeNull();
    expect(a.child.signalCode).toBe('SIGKILL');
    await tableLock.query('rollback');
    await gone(probe, answering);
    await gone(probe, pushing);
    // The client got no answer, yet the whole batch is committed, with its answers in the ledger.
    expect('error' in (await onA)).toBe(true);
    const committed = await holdings(probe, device.id, batch);
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
    expect(await holdings(probe, device.id, batch)).toEqual(committed);
  }, 90_000);
});
