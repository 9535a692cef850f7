/**
 * The SDK's own retry across a server crash: the real SyncEngine (encrypted SQLite store, DPoP
 * transport) pushes 200 offline edits to `bulwark serve` processes on PostgreSQL behind a
 * stand-in load balancer (the transport's fetch, sending every request to the node in service),
 * and the node is killed with SIGKILL at a point held in PostgreSQL (packages/server/test/lib/
 * push-gate.ts): inside the push's transaction, or after its commit but before its answer. The
 * engine keeps the edits queued, and its next push (same mutation ids) on another or restarted
 * node leaves each edit applied exactly once, counted in the database.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspections } from '../../../apps/demo/schema.js';
import { PASSWORD } from '../../server/test/lib/harness.js';
import { useNodeHarness } from '../../server/test/lib/node-harness.js';
import { createAccounts, DEMO_CONFIG, PUBLIC_URL } from '../../server/test/lib/nodes.js';
import { type BatchMember, PushGate } from '../../server/test/lib/push-gate.js';
import {
  BackendVaultStorage,
  EncryptedStore,
  fromSchema,
  KeystoreDeviceKeyStorage,
  SecureItems,
  SecureItemsSessionStore,
  SyncEngine,
  Transport,
  Vault,
} from '../src/index.js';
import { FileKeystore, nodeSealer, SqliteBackend } from '../src/node/index.js';
import { ManualClock } from './fakes/clock.js';
import { posture } from './lib/real-server.js';

const { cleanup, testSchema, node } = useNodeHarness();

/**
 * What stands between the device and the nodes: every request goes to `target`, the node in
 * service, as a load balancer would send it; a push body is shown to `beforePush` first.
 */
class Balancer {
  target = '';
  beforePush: ((mutations: BatchMember[]) => Promise<void>) | undefined;
  readonly pushed: BatchMember[][] = [];

  readonly fetch: typeof globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(PUBLIC_URL)) throw new Error(`unexpected URL ${url}`);
    const path = url.slice(PUBLIC_URL.length);
    if (path === '/sync/push' && typeof init?.body === 'string') {
      const mutations = (JSON.parse(init.body) as { mutations: BatchMember[] }).mutations;
      this.pushed.push(mutations);
      const hook = this.beforePush;
      this.beforePush = undefined;
      await hook?.(mutations);
    }
    return fetch(`${this.target}${path}`, init);
  };
}

/** A schema, a node, a gate and a signed-in SDK device with 200 inspections queued offline. */
async function world() {
  const { db, url } = await testSchema();
  const [annId = ''] = await createAccounts(db.db, [{ username: 'ann', teams: ['north'] }]);
  const a = await node({ databaseUrl: url, config: DEMO_CONFIG });
  const gate = await PushGate.open(url, cleanup);
  const balancer = new Balancer();
  balancer.target = a.url;

  const folder = await mkdtemp(join(tmpdir(), 'bulwark-e2e-crash-'));
  const keystore = await FileKeystore.open({ path: join(folder, 'keystore.json') });
  const backend = await SqliteBackend.open({ path: join(folder, 'store.db') });
  cleanup.push(async () => {
    await backend.close();
    await rm(folder, { recursive: true, force: true });
  });
  const vault = await Vault.open({ keystore, storage: new BackendVaultStorage(backend) });
  await vault.initialize({ passcode: '482916' });
  const store = await EncryptedStore.open({
    backend,
    vault,
    collections: [fromSchema(inspections)],
    sealer: nodeSealer,
  });
  const deviceKey = await new KeystoreDeviceKeyStorage(keystore).create();
  const deviceId = randomUUID();
  const transport = new Transport({
    baseUrl: PUBLIC_URL,
    devMode: true,
    deviceKey,
    sessions: new SecureItemsSessionStore(new SecureItems(keystore)),
    posture,
    fetch: balancer.fetch,
  });
  await transport.login({ username: 'ann', password: PASSWORD, deviceId });
  const clock = new ManualClock();
  const sync = await SyncEngine.open({ store, vault, transport, clock, batchSize: 200 });
  const ids: string[] = [];
  for (let i = 0; i < 200; i += 1) {
    const id = randomUUID();
    ids.push(id);
    await sync.put('inspections', {
      id,
      site: `Site ${i}`,
      inspector: annId,
      team: 'north',
      status: 'scheduled',
      scheduledAt: '2030-01-20T08:30:00Z',
      residentPhone: '+33 6 12 34 56 78',
      findings: [{ note: 'Loose handrail on stairs B', severity: 'medium' }],
      photos: [],
    });
  }
  return { url, a, gate, balancer, sync, clock, deviceId, ids };
}

describe('the SDK pushing when its node is killed with SIGKILL', () => {
  it('inside the transaction: nothing stays, and the next push on another node applies each edit once', async () => {
    const { url, a, gate, balancer, sync, clock, deviceId, ids } = await world();
    const b = await node({ databaseUrl: url, config: DEMO_CONFIG });
    let before: Awaited<ReturnType<PushGate['holdings']>> | undefined;
    balancer.beforePush = async (mutations) => {
      before = await gate.holdInsideTransaction(deviceId, mutations);
    };
    const pushing = sync.push();
    const waiting = await gate.pushWaiting();
    expect(await a.stop('SIGKILL')).toBeNull();
    await gate.release();
    await gate.gone(waiting);
    // The engine got no answer: everything stays queued, and nothing of it is in the database.
    expect(await pushing).toMatchObject({ applied: 0, pending: 200 });
    const [first = []] = balancer.pushed;
    expect(first.map((m) => m.id).sort()).toEqual([...ids].sort());
    expect(await gate.holdings(deviceId, first)).toEqual({
      versions: {},
      ledger: new Map(),
      seq: before?.seq,
    });

    // The balancer sends the device to B; after its back-off, the engine pushes again.
    balancer.target = b.url;
    clock.advance(3_600_000);
    expect(await sync.push()).toMatchObject({ applied: 200, pending: 0, rejected: [], conflicts: [] });
    const retried = balancer.pushed[1] ?? [];
    expect(retried.map((m) => m.mutationId)).toEqual(first.map((m) => m.mutationId));
    const after = await gate.holdings(deviceId, first);
    expect(after.versions).toEqual({ 1: 200 });
    expect(after.ledger.size).toBe(200);
    expect(after.seq).toBe((before?.seq ?? Number.NaN) + 200);
  }, 120_000);

  it('after the commit, before the answer: the next push on a restarted node is answered from the ledger', async () => {
    const { url, a, gate, balancer, sync, clock, deviceId } = await world();
    let before: Awaited<ReturnType<PushGate['holdings']>> | undefined;
    balancer.beforePush = async (mutations) => {
      before = await gate.holdInsideTransaction(deviceId, mutations);
    };
    const pushing = sync.push();
    const waiting = await gate.pushWaiting();
    const answering = await gate.holdAfterCommit();
    expect(await a.stop('SIGKILL')).toBeNull();
    await gate.release();
    await gate.gone(answering);
    await gate.gone(waiting);
    // No answer reached the engine, yet the whole batch is committed.
    expect(await pushing).toMatchObject({ applied: 0, pending: 200 });
    const [first = []] = balancer.pushed;
    const committed = await gate.holdings(deviceId, first);
    expect(committed.versions).toEqual({ 1: 200 });
    expect(committed.ledger.size).toBe(200);
    expect(committed.seq).toBe((before?.seq ?? Number.NaN) + 200);

    const restarted = await node({ databaseUrl: url, config: DEMO_CONFIG });
    balancer.target = restarted.url;
    clock.advance(3_600_000);
    expect(await sync.push()).toMatchObject({ applied: 200, pending: 0, rejected: [], conflicts: [] });
    expect((balancer.pushed[1] ?? []).map((m) => m.mutationId)).toEqual(first.map((m) => m.mutationId));
    // Answered from the ledger: nothing moved in the database.
    expect(await gate.holdings(deviceId, first)).toEqual(committed);
  }, 120_000);
});
