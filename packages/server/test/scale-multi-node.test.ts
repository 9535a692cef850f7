/**
 * Two `bulwark serve` processes on one PostgreSQL database, behind a round-robin client, with
 * the shared short-lived state in Redis and, without Redis, in the database: a proof accepted by
 * node A is a replay on node B; a nonce issued by A is accepted by B; a device revoked through A
 * is refused at once by B; a brute-force run spread over both nodes stays within one account's
 * limit (rate-limiter-flexible's counters are shared, not per node).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenDatabase, openDatabase } from '../src/db/database.js';
import { schemaUrl } from './lib/node-harness.js';
import { createAccounts, HttpDevice, type ServerNode, startNode } from './lib/nodes.js';
import { describeWithRedis, type PrivateRedis, startRedis } from './lib/services.js';

const postgresUrl = process.env.BULWARK_TEST_DATABASE_URL;
const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** The URL of `schema` in the test database, as `--database-url` takes it. */
function multiNodeSuite(mode: 'redis' | 'database'): void {
  let redis: PrivateRedis | undefined;
  let db: OpenDatabase;
  let a: ServerNode;
  let b: ServerNode;
  let schema: string;
  let adminId: string;

  beforeAll(async () => {
    if (postgresUrl === undefined) throw new Error('BULWARK_TEST_DATABASE_URL is not set');
    schema = `t_${randomBytes(8).toString('hex')}`;
    db = await openDatabase({ databaseUrl: postgresUrl, schema, poolSize: 2 });
    const ids = await createAccounts(db.db, [{ username: 'root', role: 'admin' }, { username: 'ann' }]);
    adminId = ids[0] ?? '';
    await db.db.updateTable('users').set({ must_change_password: 0 }).execute();
    if (mode === 'redis') redis = await startRedis();
    const options = {
      databaseUrl: schemaUrl(postgresUrl, schema),
      trustLoopbackProxy: true,
      ...(redis === undefined ? {} : { redisUrl: redis.url }),
    };
    [a, b] = await Promise.all([startNode(options), startNode(options)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.dispose();
    await db.db.schema.dropSchema(schema).ifExists().cascade().execute();
    await db.close();
  });

  it(`keeps the shared state in ${mode === 'redis' ? 'Redis' : 'the database'}`, () => {
    const where = mode === 'redis' ? 'Redis (shared by every node' : 'the database (shared by every node';
    expect(a.output()).toContain(where);
    expect(b.output()).toContain(where);
  });

  it('refuses on node B, as a replay, a proof accepted by node A; accepts on B a nonce issued by A', async () => {
    const device = await HttpDevice.create([a.url, b.url]);
    expect((await device.login('ann')).status).toBe(200);
    // A's nonce, from A's last answer.
    await device.send('GET', '/me', { node: a.url });
    const proof = await device.proof('GET', '/me');
    const onA = await device.sendWithProof(a.url, 'GET', '/me', proof);
    expect({ status: onA.status, code: onA.body.code }).toEqual({ status: 200, code: undefined });
    const onB = await device.sendWithProof(b.url, 'GET', '/me', proof);
    expect({ status: onB.status, code: onB.body.code }).toEqual({ status: 401, code: 'dpop_proof_replayed' });

    const fromA = (await device.send('GET', '/me', { node: a.url })).headers.get('dpop-nonce');
    expect(fromA).not.toBeNull();
    const withNonceOfA = await device.proof('GET', '/me', { nonce: fromA });
    const onBWithNonce = await device.sendWithProof(b.url, 'GET', '/me', withNonceOfA);
    expect({ status: onBWithNonce.status, code: onBWithNonce.body.code }).toEqual({
      status: 200,
      code: undefined,
    });
  }, 30_000);

  it('refuses at once on node B a device revoked through node A', async () => {
    const device = await HttpDevice.create([a.url, b.url]);
    expect((await device.login('ann')).status).toBe(200);
    expect((await device.send('GET', '/me', { node: b.url })).status).toBe(200);
    const admin = await HttpDevice.create([a.url]);
    const signedIn = await admin.login('root');
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(admin.userId).toBe(adminId);
    const revoked = await admin.send('POST', `/admin/devices/${device.id}/revoke`, {
      node: a.url,
      body: { reason: 'stolen' },
    });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    const onB = await device.send('GET', '/me', { node: b.url });
    expect(onB.body.code).toBe('device_revoked');
  }, 30_000);

  it('keeps a brute-force run spread over both nodes within one account limit', async () => {
    // 60 wrong passwords from 60 addresses (a botnet), alternating between the nodes, five at
    // a time on each: the account-wide limit (50 an hour) is counted once for the deployment.
    const device = await HttpDevice.create([a.url, b.url]);
    const statuses: string[] = [];
    for (let batch = 0; batch < 6; batch += 1) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          device.login('ann', 'not-the-password-at-all', {
            'x-forwarded-for': `198.51.100.${batch * 10 + i + 1}`,
          }),
        ),
      );
      statuses.push(...answers.map((r) => `${r.status} ${String(r.body.code)}`));
    }
    const count = (s: string) => statuses.filter((x) => x === s).length;
    expect(count('401 invalid_credentials')).toBe(50);
    expect(count('429 login_throttled')).toBe(10);
    expect(new Set(statuses.slice(-5))).toEqual(new Set(['429 login_throttled']));
  }, 60_000);
}

describe('several nodes on PostgreSQL', () => {
  if (postgresUrl === undefined && !inCi) {
    it.skip('needs BULWARK_TEST_DATABASE_URL (source scripts/services.sh)', () => undefined);
    return;
  }
  describeWithRedis('with Redis', () => multiNodeSuite('redis'));
  describe('without Redis (the database carries the shared state)', () => multiNodeSuite('database'));
});
