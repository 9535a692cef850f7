/**
 * On SQLite, the session state an authenticated request depends on (session, device, user) is
 * kept between requests and served again only while the database reports that none of its
 * columns changed (db/sqlite-change-watch.ts). These tests try to make it serve a stale row:
 * every write that matters, through the server's own connection, inside a transaction, and by
 * another process's connection (as `bulwark admin passkeys reset` or an operator's `sqlite3`
 * write while the server runs), must take effect on the very next request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SQLITE_FILE } from '../src/db/database.js';
import { SqliteChangeWatch } from '../src/db/sqlite-change-watch.js';
import { PASSWORD, type Session, startTestServer, TestDevice, type TestServer } from './lib/harness.js';

describe('the session state kept between requests on SQLite', () => {
  let s: TestServer;
  let device: TestDevice;
  let session: Session;
  /** A second connection to the same database file, as another process would open it. */
  let other: SQLite.Database;

  beforeEach(async () => {
    s = await startTestServer('sqlite');
    await s.user('hana', PASSWORD);
    device = await TestDevice.create(s);
    session = await device.login('hana', PASSWORD);
    other = new SQLite(join(s.database.where, SQLITE_FILE));
    other.pragma('busy_timeout = 5000');
  });
  afterEach(async () => {
    other.close();
    await s.close();
  });

  const me = async () => {
    const res = await device.send('GET', '/me', { accessToken: session.accessToken });
    return res.statusCode === 200 ? 'ok' : (res.json() as { code: string }).code;
  };
  /** Two requests: the second is served from the kept row when nothing changed. */
  const warm = async () => {
    expect(await me()).toBe('ok');
    expect(await me()).toBe('ok');
  };

  it('sees writes by another connection at the next request', async () => {
    const cases: Array<[string, () => void, () => void, string]> = [
      [
        'device revoked',
        () => other.prepare("update devices set status = 'revoked' where id = ?").run(device.id),
        () => other.prepare("update devices set status = 'active' where id = ?").run(device.id),
        'device_revoked',
      ],
      [
        'account disabled',
        () => other.prepare("update users set disabled_at = 1 where username = 'hana'").run(),
        () => other.prepare("update users set disabled_at = null where username = 'hana'").run(),
        'account_disabled',
      ],
      [
        'session ended',
        () => other.prepare('update sessions set revoked_at = 1 where device_id = ?').run(device.id),
        () => other.prepare('update sessions set revoked_at = null where device_id = ?').run(device.id),
        'session_revoked',
      ],
      [
        'session expired',
        () => other.prepare('update sessions set expires_at = 1 where device_id = ?').run(device.id),
        () =>
          other
            .prepare('update sessions set expires_at = ? where device_id = ?')
            .run(s.clock.ms + 3_600_000, device.id),
        'session_expired',
      ],
    ];
    for (const [what, change, undo, code] of cases) {
      await warm();
      change();
      expect(await me(), what).toBe(code);
      undo();
      expect(await me(), `${what}, undone`).toBe('ok');
    }
    // The session bound to another key by another connection: the token no longer matches it.
    await warm();
    other.prepare("update sessions set jkt = 'another-key' where device_id = ?").run(device.id);
    expect(await me()).toBe('invalid_token');
  });

  it('sees writes through its own connection at the next request, also from inside a transaction', async () => {
    await warm();
    await s.ctx.db
      .updateTable('users')
      .set({ must_change_password: 1 })
      .where('username', '=', 'hana')
      .execute();
    // /me stays open to an account that must change its password, and says so.
    const res = await device.send('GET', '/me', { accessToken: session.accessToken });
    expect(res.json().mustChangePassword).toBe(true);
    await s.ctx.db
      .updateTable('users')
      .set({ must_change_password: 0 })
      .where('username', '=', 'hana')
      .execute();
    await warm();

    // A request that arrives while another request's transaction has revoked the device but not
    // committed yet waits for it, then sees the revocation.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const trx = s.ctx.db.transaction().execute(async (tx) => {
      await tx.updateTable('devices').set({ status: 'revoked' }).where('id', '=', device.id).execute();
      await held;
    });
    const during = me();
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await trx;
    expect(await during).toBe('device_revoked');
    expect(await me()).toBe('device_revoked');
  });

  it('forgets a change rolled back, and keeps writing last_seen_at once a minute only', async () => {
    await warm();
    await expect(
      s.ctx.db.transaction().execute(async (tx) => {
        await tx.updateTable('devices').set({ status: 'revoked' }).where('id', '=', device.id).execute();
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await me()).toBe('ok');

    const lastSeen = () =>
      Number(other.prepare('select last_seen_at from devices where id = ?').pluck().get(device.id));
    s.clock.advance(61);
    expect(await me()).toBe('ok');
    const first = lastSeen();
    expect(first).toBe(s.clock.ms);
    s.clock.advance(30);
    await warm();
    expect(lastSeen()).toBe(first);
    s.clock.advance(31);
    expect(await me()).toBe('ok');
    expect(lastSeen()).toBe(s.clock.ms);
  });
});

describe('SqliteChangeWatch', () => {
  /** A database file with a watched table `t` (rows named by `id`) and a second connection. */
  const open = (remembered?: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-watch-'));
    const file = join(dir, 'watch.sqlite');
    const db = new SQLite(file);
    db.pragma('journal_mode = WAL');
    db.exec('create table t (id text primary key, watched text, other text)');
    db.prepare("insert into t values ('a', 'x', 'x'), ('b', 'x', 'x')").run();
    const watch = new SqliteChangeWatch(db, [{ table: 't', key: 'id', columns: ['watched'] }], remembered);
    const second = new SQLite(file);
    return {
      db,
      watch,
      second,
      close() {
        second.close();
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };

  it('sees each write of a watched row, by this connection or another, and only that row', () => {
    const { db, watch, second, close } = open();
    try {
      // As a cache does: a new mark first (it looks at other connections' commits), then the row.
      const changed = (mark: number, id: string) => {
        watch.mark();
        return watch.changedSince(mark, 0, id);
      };
      let mark = watch.mark();
      expect([changed(mark, 'a'), changed(mark, 'b')]).toEqual([false, false]);
      db.prepare("update t set other = 'y' where id = 'a'").run();
      expect(changed(mark, 'a')).toBe(false);
      db.prepare("update t set watched = 'y' where id = 'a'").run();
      expect([changed(mark, 'a'), changed(mark, 'b')]).toEqual([true, false]);
      // Set to the same value: still a write of the column.
      mark = watch.mark();
      db.prepare("update t set watched = 'y' where id = 'b'").run();
      expect([changed(mark, 'a'), changed(mark, 'b')]).toEqual([false, true]);
      // The key itself changed: both the old and the new key count as written.
      mark = watch.mark();
      db.prepare("update t set id = 'c' where id = 'b'").run();
      expect([changed(mark, 'b'), changed(mark, 'c'), changed(mark, 'a')]).toEqual([true, true, false]);
      mark = watch.mark();
      db.prepare("insert into t values ('d', 'x', 'x')").run();
      db.prepare("delete from t where id = 'c'").run();
      expect([changed(mark, 'd'), changed(mark, 'c'), changed(mark, 'a')]).toEqual([true, true, false]);
      // Replaced by INSERT OR REPLACE (no delete trigger runs): the insert names the row.
      mark = watch.mark();
      db.prepare("insert or replace into t values ('a', 'z', 'z')").run();
      expect(changed(mark, 'a')).toBe(true);
      // Rolled back: counted as written anyway (a cache then reads again, nothing worse).
      mark = watch.mark();
      db.exec('begin');
      db.prepare("update t set watched = 'q' where id = 'd'").run();
      db.exec('rollback');
      expect(changed(mark, 'd')).toBe(true);
      // Another connection: any commit counts as a write of every row (its triggers are not
      // there; the data version moves), seen at the next mark.
      mark = watch.mark();
      second.prepare("update t set other = 'w' where id = 'a'").run();
      expect(changed(mark, 'd')).toBe(true);
      mark = watch.mark();
      expect([changed(mark, 'a'), changed(mark, 'd')]).toEqual([false, false]);
      // The other connection never meets the watch's function: its writes run as before.
      expect(() => second.prepare("update t set watched = 'v'").run()).not.toThrow();
      expect(changed(mark, 'a')).toBe(true);
    } finally {
      close();
    }
  });

  it('forgets no change when it forgets rows to stay bounded', () => {
    const { db, watch, close } = open(2);
    try {
      const before = watch.mark();
      for (const id of ['a', 'b']) db.prepare("update t set watched = 'n' where id = ?").run(id);
      db.prepare("insert into t values ('c', 'x', 'x')").run();
      // Three rows changed, two remembered: 'a' was forgotten, and still counts as changed.
      expect(watch.changedSince(before, 0, 'a')).toBe(true);
      expect(watch.changedSince(before, 0, 'never-written')).toBe(true);
      const after = watch.mark();
      expect(['a', 'b', 'c'].map((id) => watch.changedSince(after, 0, id))).toEqual([false, false, false]);
    } finally {
      close();
    }
  });

  it('refuses a table or column name that is not a plain identifier', () => {
    const db = new SQLite(':memory:');
    try {
      expect(
        () => new SqliteChangeWatch(db, [{ table: 't; drop table x', key: 'id', columns: ['a'] }]),
      ).toThrow(/plain identifier/);
    } finally {
      db.close();
    }
  });
});
