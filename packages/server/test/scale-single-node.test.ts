/**
 * A single node on SQLite, as real `bulwark serve` processes: its replay cache lives in memory,
 * so a restart must not reopen the replay window (a proof accepted before the restart is refused
 * after it, through the nonce epoch), and a second server process on the same data folder is
 * refused with a clear message, also after the first was killed with SIGKILL (no stale lock).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';
import {
  createAccounts,
  HttpDevice,
  runServeToExit,
  type ServerNode,
  serveArgs,
  startNode,
} from './lib/nodes.js';

describe('single node on SQLite (real processes)', () => {
  let dataDir: string;
  const nodes: ServerNode[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'bulwark-single-'));
  });
  afterEach(async () => {
    for (const node of nodes.splice(0)) await node.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses after a restart a proof it accepted before it', async () => {
    const first = await startNode({ dataDir });
    nodes.push(first);
    expect(first.output()).toContain('shared state (replay cache, throttling): this process');
    // Accounts are written beside the running server, as the CLI's admin commands may.
    const db = await openDatabase({ dataDir });
    await createAccounts(db.db, [{ username: 'ann' }]);
    await db.close();

    const device = await HttpDevice.create([first.url]);
    expect((await device.login('ann')).status).toBe(200);
    const proof = await device.proof('GET', '/me');
    expect((await device.sendWithProof(first.url, 'GET', '/me', proof)).status).toBe(200);
    expect((await device.sendWithProof(first.url, 'GET', '/me', proof)).body.code).toBe(
      'dpop_proof_replayed',
    );
    const unused = await device.proof('GET', '/me');

    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.output()).toContain('stopped.');
    const second = await startNode({ dataDir });
    nodes.push(second);
    const replayed = await device.sendWithProof(second.url, 'GET', '/me', proof);
    expect({ status: replayed.status, code: replayed.body.code }).toEqual({
      status: 401,
      code: 'use_dpop_nonce',
    });
    // A proof made before the restart and never sent is refused alike; the client's retry with
    // the new nonce goes through, and cannot be replayed either.
    const stale = await device.sendWithProof(second.url, 'GET', '/me', unused);
    expect(stale.body.code).toBe('use_dpop_nonce');
    const fresh = await device.proof('GET', '/me');
    expect((await device.sendWithProof(second.url, 'GET', '/me', fresh)).status).toBe(200);
    expect((await device.sendWithProof(second.url, 'GET', '/me', fresh)).body.code).toBe(
      'dpop_proof_replayed',
    );
  }, 60_000);

  it('refuses a second server process on the same data folder, and frees the folder when the first dies', async () => {
    const first = await startNode({ dataDir });
    nodes.push(first);
    const refused = await runServeToExit(serveArgs({ dataDir }));
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('Another Bulwark server is already using the database in');
    expect(refused.output).toContain('use PostgreSQL');
    // The first one still serves.
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    // Killed outright, it leaves no stale lock: the operating system released it.
    await first.stop('SIGKILL');
    const next = await startNode({ dataDir });
    nodes.push(next);
    expect((await fetch(`${next.url}/healthz`)).status).toBe(200);
  }, 60_000);
});
