/**
 * Refresh tokens on both dialects: rotation on every use, reuse revoking the whole family (and
 * being logged), a concurrent double refresh with exactly one winner, binding to the device key,
 * the absolute session lifetime, logout, and storage as hashes only.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { revokeDevice } from '../src/devices/registry.js';
import { sha256Hex } from '../src/lib/encoding.js';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, type Session, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

describeEachDialect('sessions', (dialect) => {
  let s: TestServer;
  let device: TestDevice;
  let session: Session;

  beforeEach(async () => {
    s = await startTestServer(dialect);
    await s.user('erin', PASSWORD);
    device = await TestDevice.create(s);
    session = await device.login('erin', PASSWORD);
  });
  afterEach(async () => {
    await s.close();
  });

  it('rotates the refresh token on every use; new tokens work', async () => {
    const first = session.refreshToken;
    const res = await device.refresh(session);
    expect(res.statusCode).toBe(200);
    expect(session.refreshToken).not.toBe(first);
    expect((await device.call(session, 'GET', '/me')).statusCode).toBe(200);
    expect((await device.refresh(session)).statusCode).toBe(200);
  });

  it('stores refresh tokens only as SHA-256 hashes', async () => {
    const rows = await s.ctx.db.selectFrom('refresh_tokens').selectAll().execute();
    expect(rows.map((r) => r.token_hash)).toContain(sha256Hex(session.refreshToken));
    expect(JSON.stringify(rows)).not.toContain(session.refreshToken);
  });

  it('revokes the whole family when a rotated refresh token is reused, and logs it', async () => {
    const stale = { ...session };
    expect((await device.refresh(session)).statusCode).toBe(200);
    const reused = await device.refresh(stale);
    expect(reused.statusCode).toBe(401);
    expect(reused.json().code).toBe('refresh_token_reused');
    // The legitimate holder of the newest tokens is cut off too.
    const after = await device.refresh(session);
    expect(after.json().code).toBe('session_revoked');
    const call = await device.call(session, 'GET', '/me');
    expect(call.statusCode).toBe(401);
    expect(call.json().code).toBe('session_revoked');
    const events = await s.ctx.audit.list({ type: 'refresh_reuse_detected' });
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain(stale.refreshToken);
    // Another session of the same user is untouched.
    const other = await TestDevice.create(s);
    const otherSession = await other.login('erin', PASSWORD);
    expect((await other.refresh(otherSession)).statusCode).toBe(200);
  });

  it('tells a revoked device so even when it presents a spent refresh token (killed mid-refresh)', async () => {
    const stale = { ...session };
    expect((await device.refresh(session)).statusCode).toBe(200);
    await revokeDevice(s.ctx.db, Date.now(), device.id, 'stolen');
    const res = await device.refresh(stale);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('device_revoked');
  });

  it('lets exactly one of two concurrent refreshes win', async () => {
    device.nonce = s.ctx.dpop.nonces.current();
    const copy = { ...session };
    const results = await Promise.all([device.refresh(session), device.refresh(copy)]);
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 401]);
    const loser = results.find((r) => r.statusCode === 401);
    expect(loser?.json().code).toBe('refresh_token_reused');
    const used = await s.ctx.db.selectFrom('refresh_tokens').selectAll().execute();
    // One original (used) and exactly one successor were written.
    expect(used).toHaveLength(2);
  });

  it('binds the refresh token to the device key', async () => {
    const thief = await TestDevice.create(s);
    const res = await thief.refresh(session);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('dpop_key_mismatch');
    // The failed attempt did not spend the token.
    expect((await device.refresh(session)).statusCode).toBe(200);
  });

  it('refuses unknown refresh tokens', async () => {
    const res = await device.refresh({ ...session, refreshToken: 'A'.repeat(43) });
    expect(res.json().code).toBe('invalid_refresh_token');
  });

  it('ends the session at its absolute lifetime whatever the refreshes', async () => {
    const ttl = s.ctx.config.sessionTtlSeconds;
    for (let elapsed = 0; elapsed + 86_400 < ttl; elapsed += 86_400) {
      s.clock.advance(86_400);
      expect((await device.refresh(session)).statusCode).toBe(200);
    }
    s.clock.advance(86_400);
    const res = await device.refresh(session);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('session_expired');
  });

  it('logs out: the session ends for refresh and for access tokens', async () => {
    const out = await device.call(session, 'POST', '/auth/logout');
    expect(out.statusCode).toBe(204);
    expect((await device.call(session, 'GET', '/me')).json().code).toBe('session_revoked');
    expect((await device.refresh(session)).json().code).toBe('session_revoked');
  });
});
