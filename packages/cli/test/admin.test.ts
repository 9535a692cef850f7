/**
 * `bulwark admin passkeys reset` and `bulwark admin password reset` on both dialects: the first
 * removes the account's passkeys, the second replaces its password with a one-time password that
 * must be changed; both end its sessions and record the event; an unknown account exits 1 and
 * changes nothing, a missing database 2.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OpenDatabase, SecurityEventLog } from '@bulwark/server';
import { verify } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { describeEachDatabase } from './lib/database-target.js';
import { runCli } from './lib/run-cli.js';

/** An account with `passkeys` passkeys and one live session on one device. */
async function accountWithPasskeys(
  database: OpenDatabase,
  username: string,
  passkeys: number,
): Promise<string> {
  const db = database.db;
  const now = Date.now();
  // The password hash is never checked here: the command works on passkeys and sessions only.
  const user = { id: randomUUID() };
  await db
    .insertInto('users')
    .values({
      id: user.id,
      username,
      username_key: username,
      password_hash: '$argon2id$unused',
      role: 'admin',
      must_change_password: 0,
      disabled_at: null,
      created_at: now,
      password_changed_at: now,
    })
    .execute();
  const deviceId = randomUUID();
  await db
    .insertInto('devices')
    .values({
      id: deviceId,
      user_id: user.id,
      jkt: 'j'.repeat(43),
      public_jwk: '{}',
      platform: 'web',
      os_version: '1',
      app_version: '1',
      posture: '{}',
      policy_findings: '[]',
      status: 'active',
      revoked_reason: null,
      enrolled_at: now,
      last_seen_at: now,
      revoked_at: null,
      wiped_at: null,
    })
    .execute();
  await db
    .insertInto('sessions')
    .values({
      id: randomUUID(),
      user_id: user.id,
      device_id: deviceId,
      jkt: 'j'.repeat(43),
      created_at: now,
      expires_at: now + 3_600_000,
      last_refresh_at: now,
      revoked_at: null,
      revoked_reason: null,
    })
    .execute();
  for (let i = 0; i < passkeys; i += 1) {
    await db
      .insertInto('passkeys')
      .values({
        id: randomUUID(),
        user_id: user.id,
        credential_id: randomBytes(16).toString('base64url'),
        public_key: randomBytes(77).toString('base64url'),
        counter: 0,
        transports: '[]',
        name: `Key ${i}`,
        device_type: 'singleDevice',
        backed_up: 0,
        created_at: now,
        last_used_at: null,
      })
      .execute();
  }
  return user.id;
}

describeEachDatabase('bulwark admin passkeys reset', 'bulwark-cli-admin-', (fresh) => {
  it("removes the account's passkeys, ends its sessions and records the event; leaves others alone", async () => {
    const target = await fresh();
    const userId = await accountWithPasskeys(target.database, 'root', 2);
    const otherId = await accountWithPasskeys(target.database, 'other', 1);

    const res = await runCli('admin', 'passkeys', 'reset', '--username', 'root', ...target.args);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('root: 2 passkey(s) removed, 1 session(s) ended.');

    const db = target.database.db;
    const left = await db.selectFrom('passkeys').select('user_id').execute();
    expect(left.map((r) => r.user_id)).toEqual([otherId]);
    const live = await db.selectFrom('sessions').select('user_id').where('revoked_at', 'is', null).execute();
    expect(live.map((r) => r.user_id)).toEqual([otherId]);
    const events = await new SecurityEventLog(db, target.database.dialect, () => new Date()).list();
    const reset = events.filter((e) => e.type === 'passkeys_reset');
    expect(reset).toHaveLength(1);
    expect(reset[0]?.subject).toBe(userId);
  });

  it('exits 1 for an unknown account and changes nothing', async () => {
    const target = await fresh();
    await accountWithPasskeys(target.database, 'root', 1);
    const res = await runCli('admin', 'passkeys', 'reset', '--username', 'nobody', ...target.args);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('no account named nobody');
    expect(await target.database.db.selectFrom('passkeys').select('id').execute()).toHaveLength(1);
  });
});

describeEachDatabase('bulwark admin password reset', 'bulwark-cli-admin-pw-', (fresh) => {
  it('sets a one-time password that must be changed, ends the sessions, keeps the passkeys, records the event', async () => {
    const target = await fresh();
    const userId = await accountWithPasskeys(target.database, 'root', 1);
    const otherId = await accountWithPasskeys(target.database, 'other', 1);

    const res = await runCli('admin', 'password', 'reset', '--username', 'root', ...target.args);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('root: password replaced, 1 session(s) ended.');
    const password = /One-time password, shown only now: (\S+)/.exec(res.stdout)?.[1] ?? '';
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);

    const db = target.database.db;
    const user = await db
      .selectFrom('users')
      .select(['password_hash', 'must_change_password'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(user.must_change_password).toBe(1);
    expect(user.password_hash.startsWith('$argon2id$')).toBe(true);
    expect(await verify(user.password_hash, password)).toBe(true);
    expect(await verify(user.password_hash, `${password}x`)).toBe(false);
    const other = await db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', otherId)
      .executeTakeFirstOrThrow();
    expect(other.password_hash).toBe('$argon2id$unused');
    const live = await db.selectFrom('sessions').select('user_id').where('revoked_at', 'is', null).execute();
    expect(live.map((r) => r.user_id)).toEqual([otherId]);
    expect(await db.selectFrom('passkeys').select('id').where('user_id', '=', userId).execute()).toHaveLength(
      1,
    );
    const events = await new SecurityEventLog(db, target.database.dialect, () => new Date()).list();
    const reset = events.filter((e) => e.type === 'password_reset');
    expect(reset).toHaveLength(1);
    expect(reset[0]?.subject).toBe(userId);
    expect(reset[0]?.data).toMatchObject({ by: 'server_command', sessionsEnded: 1 });
    expect(JSON.stringify(events)).not.toContain(password);
  });

  it('exits 1 for an unknown account and changes nothing', async () => {
    const target = await fresh();
    await accountWithPasskeys(target.database, 'root', 0);
    const res = await runCli('admin', 'password', 'reset', '--username', 'nobody', ...target.args);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('no account named nobody');
    expect(res.stdout).toBe('');
    const users = await target.database.db.selectFrom('users').select('password_hash').execute();
    expect(users.map((u) => u.password_hash)).toEqual(['$argon2id$unused']);
  });
});

describe('bulwark admin passkeys reset', () => {
  it('exits 2 without a database, and needs --username', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-admin-empty-'));
    try {
      const none = await runCli('admin', 'passkeys', 'reset', '--username', 'root', '--data-dir', dir);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('no Bulwark database');
      const usage = await runCli('admin', 'passkeys', 'reset', '--data-dir', dir);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('--username');
      const password = await runCli('admin', 'password', 'reset', '--username', 'root', '--data-dir', dir);
      expect(password.code).toBe(2);
      expect(password.stderr).toContain('bulwark admin password reset: no Bulwark database');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
