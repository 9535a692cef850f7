/**
 * `bulwark events verify` on both dialects: exit 0 and the head hash on an intact log, exit 1
 * and the broken entries after an edit or a deletion, or, given the head recorded earlier as an
 * anchor, after a cut tail whose head was set to match; exit 2 when there is no database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecurityEventLog } from '@bulwark/server';
import { expect, it, vi } from 'vitest';
import { run } from '../src/program.js';
import { describeEachDatabase } from './lib/database-target.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  const before = process.exitCode;
  try {
    process.exitCode = undefined;
    const code = await run(['node', 'bulwark', ...args]);
    return { code, out, err };
  } finally {
    process.exitCode = before;
    o.mockRestore();
    e.mockRestore();
  }
}

describeEachDatabase('bulwark events verify', 'bulwark-cli-', (fresh) => {
  it('passes an intact log and fails an edited or shortened one', async () => {
    const target = await fresh();
    const log = new SecurityEventLog(target.database.db, target.database.dialect, () => new Date());
    for (let i = 0; i < 5; i += 1)
      await log.append({ type: 'login_failed', subject: `user${i}`, ip: '192.0.2.1' });

    const ok = await cli(['events', 'verify', ...target.args]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^OK: 5 events, chain intact\.\nhead: seq 5 hash [0-9a-f]{64}\n$/);

    await target.database.db
      .updateTable('audit_events')
      .set({ subject: 'edited' })
      .where('seq', '=', 2)
      .execute();
    const edited = await cli(['events', 'verify', ...target.args]);
    expect(edited.code).toBe(1);
    expect(edited.out).toContain('seq 2: hash_mismatch');

    const json = await cli(['events', 'verify', '--json', ...target.args]);
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, entries: 5 });

    await target.database.db.deleteFrom('audit_events').where('seq', '=', 4).execute();
    const deleted = await cli(['events', 'verify', ...target.args]);
    expect(deleted.code).toBe(1);
    expect(deleted.out).toContain('seq 5: sequence_gap');
  });

  it('with --anchor, fails a log whose tail was cut and whose head was set to match', async () => {
    const target = await fresh();
    const log = new SecurityEventLog(target.database.db, target.database.dialect, () => new Date());
    for (let i = 0; i < 4; i += 1) await log.append({ type: 'login_failed', subject: `user${i}` });
    const first = await cli(['events', 'verify', ...target.args]);
    const anchor = /hash ([0-9a-f]{64})/.exec(first.out)?.[1] ?? '';
    const anchored = await cli(['events', 'verify', '--anchor', anchor, ...target.args]);
    expect(anchored.code).toBe(0);
    expect(anchored.out).toContain('anchors: 1 in the chain');

    const [third] = await log.list({ afterSeq: 2, limit: 1 });
    await target.database.db.deleteFrom('audit_events').where('seq', '=', 4).execute();
    await target.database.db
      .updateTable('audit_head')
      .set({ seq: 3, hash: third?.hash ?? '' })
      .where('id', '=', 1)
      .execute();
    expect((await cli(['events', 'verify', ...target.args])).code).toBe(0);
    const cut = await cli(['events', 'verify', '--anchor', anchor, ...target.args]);
    expect(cut.code).toBe(1);
    expect(cut.out).toContain(`seq 3: anchor_missing (anchor ${anchor} is not in the chain)`);

    const bad = await cli(['events', 'verify', '--anchor', 'seq 4', ...target.args]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('an anchor is a head hash');
  });
});

it('exits 2 when the folder holds no Bulwark database', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-empty-'));
  try {
    const res = await cli(['events', 'verify', '--data-dir', dir]);
    expect(res.code).toBe(2);
    expect(res.err).toContain('no Bulwark database');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
