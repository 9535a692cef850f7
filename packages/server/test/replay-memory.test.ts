/**
 * The single-node replay cache and nonce epochs: a proof is recorded once, forgotten only once
 * no proof with its `iat` could be accepted, a full cache refuses new proofs (503) instead of
 * forgetting live ones, and nonces of another process epoch never verify.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createServerContext } from '../src/context.js';
import { NonceService } from '../src/dpop/nonce.js';
import { MemoryReplayCache, replayKey } from '../src/dpop/replay-cache.js';
import { HttpProblem } from '../src/http/problem.js';
import { openTestDatabase } from './lib/databases.js';

describe('MemoryReplayCache', () => {
  it('accepts a key once until it expires', async () => {
    let now = 1_000_000;
    const cache = new MemoryReplayCache(() => new Date(now));
    const key = replayKey('jkt', 'jti-1');
    expect(await cache.record(key, now + 66_000)).toBe(true);
    expect(await cache.record(key, now + 66_000)).toBe(false);
    now += 66_000;
    expect(await cache.record(key, now + 66_000)).toBe(false);
    now += 1;
    expect(await cache.record(key, now + 66_000)).toBe(true);
  });

  it('refuses new proofs when full of live entries, and never forgets a live one', async () => {
    let now = 1_000_000;
    const cache = new MemoryReplayCache(() => new Date(now), 3);
    for (const jti of ['a', 'b', 'c'])
      expect(await cache.record(replayKey('k', jti), now + 10_000)).toBe(true);
    const full = await cache.record(replayKey('k', 'd'), now + 10_000).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(HttpProblem);
    expect({ status: (full as HttpProblem).status, code: (full as HttpProblem).code }).toEqual({
      status: 503,
      code: 'server_busy',
    });
    for (const jti of ['a', 'b', 'c'])
      expect(await cache.record(replayKey('k', jti), now + 10_000)).toBe(false);
    now += 10_001;
    expect(await cache.record(replayKey('k', 'd'), now + 10_000)).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('behaves like a set of live keys, whatever the order of expiries (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            jti: fc.integer({ min: 0, max: 20 }),
            ttl: fc.integer({ min: 1, max: 50 }),
            step: fc.integer({ min: 0, max: 20 }),
          }),
          {
            maxLength: 200,
          },
        ),
        async (ops) => {
          let now = 0;
          const cache = new MemoryReplayCache(() => new Date(now), 10_000);
          const model = new Map<string, number>();
          for (const op of ops) {
            now += op.step;
            const key = replayKey('k', String(op.jti));
            const live = (model.get(key) ?? -1) >= now;
            expect(await cache.record(key, now + op.ttl)).toBe(!live);
            if (!live) model.set(key, now + op.ttl);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('NonceService epochs', () => {
  const secret = randomBytes(32);
  const clock = () => new Date(Date.UTC(2030, 0, 1));

  it('shares nonces between nodes without an epoch', () => {
    const a = new NonceService(secret, 300, clock);
    const b = new NonceService(secret, 300, clock);
    expect(b.isValid(a.current())).toBe(true);
  });

  it('refuses a nonce of another process epoch (a restart), with the same secret and time', () => {
    const before = new NonceService(secret, 300, clock, 'epoch-1');
    const after = new NonceService(secret, 300, clock, 'epoch-2');
    expect(before.isValid(before.current())).toBe(true);
    expect(after.isValid(before.current())).toBe(false);
    expect(new NonceService(secret, 300, clock).isValid(before.current())).toBe(false);
  });

  it('stops accepting the nonce it accepted last once it expires or the epoch changes', () => {
    let ms = Date.UTC(2030, 0, 1);
    const nonces = new NonceService(secret, 300, () => new Date(ms), 'epoch-1');
    const nonce = nonces.current();
    // Accepted twice: the second check takes the short path of the nonce accepted last.
    expect(nonces.isValid(nonce)).toBe(true);
    expect(nonces.isValid(nonce)).toBe(true);
    // One character changed: not the nonce accepted last, and its MAC fails.
    const forged = `${nonce.slice(0, -1)}${nonce.endsWith('A') ? 'B' : 'A'}`;
    expect(nonces.isValid(forged)).toBe(false);
    expect(nonces.isValid(nonce)).toBe(true);
    // Issued in the future (the clock went back): refused.
    ms -= 3_600_000;
    expect(nonces.isValid(nonce)).toBe(false);
    ms += 3_600_000;
    expect(nonces.isValid(nonce)).toBe(true);
    // Expired: refused, however often it was accepted before.
    ms += 450_000;
    expect(nonces.isValid(nonce)).toBe(false);
    ms -= 450_000;
    expect(nonces.isValid(nonce)).toBe(true);
    nonces.setEpoch('epoch-2');
    expect(nonces.isValid(nonce)).toBe(false);
    expect(nonces.isValid(nonces.current())).toBe(true);
  });
});

describe('where a single node keeps its replay cache', () => {
  it('in memory only when nonces are required; in the cache database otherwise', async () => {
    const t = await openTestDatabase('sqlite');
    try {
      const base = { db: t.db, cache: t.cache };
      expect((await createServerContext({ ...base, singleNode: true })).sharedState).toBe('memory');
      const noNonce = await createServerContext({
        ...base,
        singleNode: true,
        auth: { dpop: { requireNonce: false } },
      });
      expect(noNonce.sharedState).toBe('database');
      expect((await createServerContext(base)).sharedState).toBe('database');
      // Two processes' nonces never verify in each other, even on one database.
      const a = await createServerContext({ ...base, singleNode: true });
      const b = await createServerContext({ ...base, singleNode: true });
      expect(b.dpop.nonces.isValid(a.dpop.nonces.current())).toBe(false);
    } finally {
      await t.dispose();
    }
  });
});
