/**
 * The Redis replay cache (shared/redis.ts) as several nodes use it, on a real `redis-server`: of
 * many proofs recorded in one turn of the event loop (which ioredis sends in one write), each is
 * fresh once, and a proof used twice in that turn, or by two nodes at the same moment, is fresh
 * exactly once; proofs that meet a Redis that lost its data are all refused with
 * `use_dpop_nonce` and the nonces of the old epoch stop verifying; proofs that meet no Redis are
 * all refused with 503, and the node recovers when Redis returns.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NonceService } from '../src/dpop/nonce.js';
import { replayKey } from '../src/dpop/replay-cache.js';
import { connectRedis, RedisReplayCache, redisEpoch } from '../src/shared/redis.js';
import { describeWithRedis, type PrivateRedis, startRedis } from './lib/services.js';

/** A replay cache as a node builds it (context.ts), on its own connection. */
async function nodeCache(
  url: string,
): Promise<{ replay: RedisReplayCache; nonces: NonceService; redis: Redis }> {
  const redis = await connectRedis(url);
  const now = () => new Date();
  const epoch = await redisEpoch(redis);
  const nonces = new NonceService(randomBytes(32), 300, now, epoch);
  return { replay: new RedisReplayCache(redis, now, epoch, nonces), nonces, redis };
}

/** What each of `runs` gave: 'fresh', 'replayed' or the problem code it was refused with. */
async function outcomes(runs: Array<Promise<boolean>>): Promise<string[]> {
  const settled = await Promise.allSettled(runs);
  return settled.map((s) =>
    s.status === 'fulfilled'
      ? s.value
        ? 'fresh'
        : 'replayed'
      : String((s.reason as { code?: unknown }).code ?? s.reason),
  );
}

describeWithRedis('Redis replay cache, many proofs at once', () => {
  let server: PrivateRedis;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await server?.dispose();
  });
  const open = async () => {
    const node = await nodeCache(server.url);
    clients.push(node.redis);
    return node;
  };
  const until = () => Date.now() + 60_000;

  it('accepts each of many proofs of one turn once, and a proof sent twice in that turn once', async () => {
    const { replay } = await open();
    const keys = Array.from({ length: 50 }, () => replayKey('jkt', randomUUID()));
    const twice = keys[7] ?? '';
    const got = await outcomes([...keys, twice].map((key) => replay.record(key, until())));
    // Every distinct key is fresh; the second use of `twice` in the same turn is a replay.
    expect(got).toEqual([...keys.map(() => 'fresh'), 'replayed']);
    // And every key is now used, in a later turn too.
    expect(new Set(await outcomes(keys.map((key) => replay.record(key, until()))))).toEqual(
      new Set(['replayed']),
    );
  });

  it('accepts a proof once when two nodes record it in the same moment', async () => {
    const a = await open();
    const b = await open();
    for (let i = 0; i < 20; i += 1) {
      const key = replayKey('jkt', randomUUID());
      const got = await outcomes([a.replay.record(key, until()), b.replay.record(key, until())]);
      expect(got.sort()).toEqual(['fresh', 'replayed']);
    }
  });

  it('refuses every proof of a turn with use_dpop_nonce when Redis lost its data, then accepts new ones', async () => {
    const { replay, nonces, redis } = await open();
    const before = nonces.current();
    await redis.flushall();
    const keys = Array.from({ length: 10 }, () => replayKey('jkt', randomUUID()));
    expect(new Set(await outcomes(keys.map((key) => replay.record(key, until()))))).toEqual(
      new Set(['use_dpop_nonce']),
    );
    // Nonces of the old epoch are no longer valid; the new epoch is in Redis.
    expect(nonces.isValid(before)).toBe(false);
    expect(await outcomes(keys.map((key) => replay.record(key, until())))).toEqual(keys.map(() => 'fresh'));
  });

  it('refuses every proof of a turn with 503 when Redis is down, and recovers when it returns', async () => {
    const { replay, redis } = await open();
    const keys = Array.from({ length: 10 }, () => replayKey('jkt', randomUUID()));
    await server.stop();
    try {
      expect(new Set(await outcomes(keys.map((key) => replay.record(key, until()))))).toEqual(
        new Set(['redis_unavailable']),
      );
    } finally {
      await server.start();
    }
    const end = Date.now() + 10_000;
    while (redis.status !== 'ready' && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    // Redis came back empty (no persistence): a proof of the old epoch is refused...
    await expect(replay.record(keys[0] ?? '', until())).rejects.toMatchObject({ code: 'use_dpop_nonce' });
    // ...and the node goes on with the new epoch: each proof fresh once, then a replay.
    const key = replayKey('jkt', randomUUID());
    expect(await outcomes([replay.record(key, until()), replay.record(key, until())])).toEqual([
      'fresh',
      'replayed',
    ]);
  });
});
