/**
 * Holds a sync push of a server process at a known point inside PostgreSQL, from connections of
 * the test's own, so that a fault (SIGKILL, SIGTERM) lands exactly there rather than after a
 * guessed sleep, and counts what the database holds of a batch.
 *
 * How: the push writes every record of its batch, stores the answers in the `sync_mutations`
 * ledger, commits, then reads the stored answers back to reply (src/sync/push.ts). A ledger row of
 * the batch inserted by the test and left uncommitted makes the push's own insert of it wait (a
 * unique-key conflict waits for the other transaction): the push is inside its transaction,
 * records written, nothing committed. A table lock on the ledger, asked for while the push waits
 * and granted when its transaction ends, then holds the read after the commit: committed, nothing
 * answered. The test's row is rolled back, never committed.
 */
import pg from 'pg';

/** A mutation of a batch, as far as the counts need it. */
export interface BatchMember {
  readonly id: string;
  readonly mutationId: string;
}

/** What the database holds of a batch. */
export interface Holdings {
  /** Records of the batch, counted by version. */
  readonly versions: Record<string, number>;
  /** The ledger's stored answers to the batch's mutation ids. */
  readonly ledger: Map<string, unknown>;
  /** The change counter (one number per applied write). */
  readonly seq: number;
}

async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 45_000;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`${what}: not within 45 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function backendPid(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  return (rows[0] as { pid: number }).pid;
}

/**
 * Three connections to the schema the nodes use: a probe (never in a transaction, so that
 * `pg_stat_activity` is read fresh), the ledger-row holder and the table-lock holder.
 *
 * @example
 * ```ts
 * const gate = await PushGate.open(url, cleanup);
 * const before = await gate.holdInsideTransaction(device.id, batch);
 * const pushing = await gate.pushWaiting();
 * await node.stop('SIGKILL');
 * await gate.release();
 * ```
 */
export class PushGate {
  #ledgerLocked = false;
  #tableLocked = false;

  private constructor(
    private readonly probe: pg.Client,
    private readonly ledger: pg.Client,
    private readonly table: pg.Client,
    private readonly ledgerPid: number,
    private readonly tablePid: number,
  ) {}

  /** Connects to `url` (a node's database URL); `cleanup` gets the disconnection. */
  static async open(url: string, cleanup: Array<() => Promise<void> | void>): Promise<PushGate> {
    const clients = [0, 1, 2].map(() => new pg.Client({ connectionString: url }));
    cleanup.push(async () => {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    });
    await Promise.all(clients.map((c) => c.connect()));
    const [probe, ledger, table] = clients as [pg.Client, pg.Client, pg.Client];
    return new PushGate(probe, ledger, table, await backendPid(ledger), await backendPid(table));
  }

  /** What the database holds of `batch` of `deviceId`: records by version, ledger, counter. */
  async holdings(deviceId: string, batch: readonly BatchMember[]): Promise<Holdings> {
    const records = await this.probe.query<{ version: number; n: string }>(
      'select version, count(*) as n from records where id = any($1) group by version',
      [batch.map((m) => m.id)],
    );
    const ledger = await this.probe.query<{ mutation_id: string; result: string }>(
      'select mutation_id, result from sync_mutations where device_id = $1 and mutation_id = any($2)',
      [deviceId, batch.map((m) => m.mutationId)],
    );
    const counter = await this.probe.query<{ seq: string }>('select seq from sync_counter where id = 1');
    return {
      versions: Object.fromEntries(records.rows.map((r) => [r.version, Number(r.n)])),
      ledger: new Map(ledger.rows.map((r) => [r.mutation_id, JSON.parse(r.result) as unknown])),
      seq: Number(counter.rows[0]?.seq),
    };
  }

  /**
   * Inserts, uncommitted, the ledger row of the batch's last mutation, so that a push of the batch
   * waits inside its transaction; returns what the database held before.
   */
  async holdInsideTransaction(deviceId: string, batch: readonly BatchMember[]): Promise<Holdings> {
    const before = await this.holdings(deviceId, batch);
    await this.ledger.query('begin');
    this.#ledgerLocked = true;
    await this.ledger.query(
      `insert into sync_mutations (device_id, mutation_id, result, created_at) values ($1, $2, '{}', 0)`,
      [deviceId, batch[batch.length - 1]?.mutationId],
    );
    return before;
  }

  /**
   * Waits until a backend waits for the held ledger row, checks that it is a push inside its
   * transaction with records written (it holds the row-write lock on `records` and has a
   * transaction id), and returns its process id.
   */
  async pushWaiting(): Promise<number> {
    const pid = await this.waiterOf(this.ledgerPid);
    const { rows } = await this.probe.query<{ xid: string | null; records: boolean }>(
      `select backend_xid::text as xid,
              exists (select 1 from pg_locks l where l.pid = a.pid and l.granted
                      and l.mode = 'RowExclusiveLock' and l.relation = to_regclass('records')) as records
         from pg_stat_activity a where a.pid = $1`,
      [pid],
    );
    if (rows[0]?.xid === null || rows[0]?.xid === undefined || rows[0].records !== true) {
      throw new Error(`backend ${pid} waits for the ledger row but has written no record`);
    }
    return pid;
  }

  /**
   * From {@link pushWaiting}: lets the push commit and holds its read of the answers after the
   * commit; returns the process id of the backend whose read waits.
   */
  async holdAfterCommit(): Promise<number> {
    await this.table.query('begin');
    this.#tableLocked = true;
    const locked = this.table.query('lock table sync_mutations in access exclusive mode');
    await until(async () => {
      const { rows } = await this.probe.query<{ n: number }>(
        'select cardinality(pg_blocking_pids($1)) as n',
        [this.tablePid],
      );
      return (rows[0]?.n ?? 0) > 0;
    }, 'the table lock queued behind the push');
    await this.ledger.query('rollback');
    this.#ledgerLocked = false;
    await locked;
    return this.waiterOf(this.tablePid);
  }

  /** Rolls back whatever the test holds: the held push goes on (or PostgreSQL ends it). */
  async release(): Promise<void> {
    if (this.#ledgerLocked) await this.ledger.query('rollback');
    if (this.#tableLocked) await this.table.query('rollback');
    this.#ledgerLocked = false;
    this.#tableLocked = false;
  }

  /** Waits until backend `pid` is gone (PostgreSQL saw its client die and ended it). */
  async gone(pid: number): Promise<void> {
    await until(
      async () =>
        (await this.probe.query('select 1 from pg_stat_activity where pid = $1', [pid])).rows.length === 0,
      `backend ${pid} ending`,
    );
  }

  /** Whether backend `pid` still waits for the test. */
  async waits(pid: number): Promise<boolean> {
    const { rows } = await this.probe.query<{ n: number }>('select cardinality(pg_blocking_pids($1)) as n', [
      pid,
    ]);
    return (rows[0]?.n ?? 0) > 0;
  }

  async waiterOf(holderPid: number): Promise<number> {
    let pid: number | undefined;
    await until(async () => {
      const { rows } = await this.probe.query<{ pid: number }>(
        'select pid from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
        [holderPid],
      );
      pid = rows[0]?.pid;
      return pid !== undefined;
    }, `a backend waiting for backend ${holderPid}`);
    return pid as number;
  }
}
