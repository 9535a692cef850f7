/**
 * Signing keys shared by several nodes through one database, on both dialects: two key sets
 * stand for two nodes. A key made on one node (a rotation, or each node's first key when they
 * first start together) verifies on the other from its first token, and the other node's JWKS
 * publishes it at once, so that a device that signed in through one node and fetches the keys
 * from the other can verify its policy. A node that did not rotate signs with the new key within
 * seconds; a retired key stops verifying when its grace ends, even on a node that loaded it
 * before. A `kid` the database does not hold verifies nothing.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SigningKeySet } from '../src/tokens/keys.js';
import { describeEachDialect, openTestDatabase, type TestDatabase } from './lib/databases.js';

describeEachDialect('signing keys on several nodes', (dialect) => {
  let database: TestDatabase;
  const now = () => new Date();

  beforeEach(async () => {
    database = await openTestDatabase(dialect);
  });
  afterEach(async () => {
    await database.dispose();
  });

  const kidsOf = async (keys: SigningKeySet) => (await keys.jwks()).keys.map((k) => k.kid);

  it('verifies on node B, and publishes there, a key node A made by rotating a moment ago', async () => {
    const a = new SigningKeySet(database.db, now);
    await a.init();
    const b = new SigningKeySet(database.db, now);
    await b.init();
    const rotated = await a.rotate();
    expect(await b.verificationKey(rotated)).toBeDefined();
    expect(await kidsOf(b)).toContain(rotated);
    // The key B had loaded before still verifies: retired keys stay accepted for their grace.
    expect(await b.verificationKey(a.signingKey().kid)).toBeDefined();
  });

  it('lets two nodes that first start together verify each other’s tokens at once', async () => {
    const a = new SigningKeySet(database.db, now);
    const b = new SigningKeySet(database.db, now);
    await Promise.all([a.init(), b.init()]);
    expect(await a.verificationKey(b.signingKey().kid)).toBeDefined();
    expect(await b.verificationKey(a.signingKey().kid)).toBeDefined();
    const published = await kidsOf(a);
    expect(published).toContain(a.signingKey().kid);
    expect(published).toContain(b.signingKey().kid);
  });

  it('signs with the new key on a node that did not rotate, within seconds of the rotation', async () => {
    let ms = Date.now();
    const clock = () => new Date(ms);
    const a = new SigningKeySet(database.db, clock);
    const b = new SigningKeySet(database.db, clock);
    await a.init();
    await b.init();
    const first = a.signingKey().kid;
    expect((await b.currentSigningKey()).kid).toBe(first);
    const rotated = await a.rotate();
    ms += 6_000;
    expect((await b.currentSigningKey()).kid).toBe(rotated);
    // A month later the first key verifies nowhere: had B gone on signing with it, its tokens
    // and policies would have stopped verifying on every node, B included.
    ms += 32 * 24 * 3600 * 1000;
    expect((await b.currentSigningKey()).kid).toBe(rotated);
    expect(await kidsOf(b)).toEqual([rotated]);
  });

  it('goes on signing when it reads the keys between another node retiring them and adding one', async () => {
    let ms = Date.now();
    const clock = () => new Date(ms);
    const b = new SigningKeySet(database.db, clock);
    await b.init();
    const kid = b.signingKey().kid;
    await database.db.updateTable('server_keys').set({ retired_at: ms }).execute();
    ms += 6_000;
    expect((await b.currentSigningKey()).kid).toBe(kid);
  });

  it('stops verifying a retired key once its grace ends, on a node that loaded it before', async () => {
    let ms = Date.now();
    const clock = () => new Date(ms);
    const a = new SigningKeySet(database.db, clock);
    await a.init();
    const old = a.signingKey().kid;
    const rotated = await a.rotate();
    ms += 30 * 24 * 3600 * 1000;
    expect(await a.verificationKey(old)).toBeDefined();
    ms += 2 * 24 * 3600 * 1000;
    expect(await a.verificationKey(old)).toBeUndefined();
    expect(await a.verificationKey(rotated)).toBeDefined();
    expect(await kidsOf(a)).toEqual([rotated]);
  });

  it('verifies nothing with a kid the database does not hold, asked again or not', async () => {
    const a = new SigningKeySet(database.db, now);
    await a.init();
    for (const kid of ['made-up', 'made-up', '', 'x'.repeat(500)]) {
      expect(await a.verificationKey(kid)).toBeUndefined();
    }
    expect(await kidsOf(a)).toEqual([a.signingKey().kid]);
  });
});
