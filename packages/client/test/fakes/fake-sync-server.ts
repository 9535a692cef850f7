/**
 * The data half of a fake server for sync tests: records with versions and tombstones, a change
 * log read by checkpoint, pushes deduplicated by mutation id (a retry gets the first answer),
 * a validation rule that rejects with per-field reasons, and version conflicts.
 */
interface Row {
  version: number;
  record?: Record<string, unknown>;
}

export class FakeSyncData {
  readonly rows = new Map<string, Row>();
  readonly log: Array<{ seq: number; collection: string; id: string }> = [];
  readonly answered = new Map<string, unknown>();
  applications = 0;
  /** Answer the next pull with `reset: true` and everything from the start. */
  resetNext = false;
  /** Collections no longer synced (made online-only): pushes to them are refused. */
  readonly notSynced = new Set<string>();
  #seq = 0;

  #key(collection: string, id: string) {
    return `${collection}/${id}`;
  }

  serverWrite(collection: string, id: string, record: Record<string, unknown> | undefined): number {
    const key = this.#key(collection, id);
    const version = (this.rows.get(key)?.version ?? 0) + 1;
    this.rows.set(key, record === undefined ? { version } : { version, record });
    // Like a real change feed, a record appears once, at its latest change.
    const earlier = this.log.findIndex((e) => e.collection === collection && e.id === id);
    if (earlier >= 0) this.log.splice(earlier, 1);
    this.log.push({ seq: ++this.#seq, collection, id });
    return version;
  }

  handlers() {
    return {
      'POST /sync/pull': (body: unknown) => {
        const { checkpoint, limit } = body as { checkpoint: string | null; limit: number };
        const reset = this.resetNext;
        this.resetNext = false;
        const after = checkpoint === null || reset ? 0 : Number(checkpoint);
        const entries = this.log.filter((e) => e.seq > after);
        const page = entries.slice(0, Math.min(limit, 2));
        const changes = page.map((e) => {
          const row = this.rows.get(this.#key(e.collection, e.id)) as Row;
          return row.record === undefined
            ? { collection: e.collection, id: e.id, removed: true }
            : { collection: e.collection, id: e.id, version: row.version, record: row.record };
        });
        const last = page.at(-1)?.seq ?? after;
        return {
          changes,
          checkpoint: String(last),
          hasMore: entries.length > page.length,
          ...(reset ? { reset: true } : {}),
        };
      },
      'POST /sync/push': (body: unknown) => {
        const { mutations } = body as {
          mutations: Array<{
            mutationId: string;
            collection: string;
            id: string;
            op: string;
            baseVersion: number | null;
            record?: Record<string, unknown>;
          }>;
        };
        const results = mutations.map((m) => {
          const earlier = this.answered.get(m.mutationId);
          if (earlier !== undefined) return earlier;
          const current = this.rows.get(this.#key(m.collection, m.id));
          let result: unknown;
          if (this.notSynced.has(m.collection)) {
            result = { mutationId: m.mutationId, status: 'rejected', code: 'collection_not_synced' };
          } else if (
            (current?.version ?? null) !== m.baseVersion &&
            !(current === undefined && m.baseVersion === null)
          ) {
            result = {
              mutationId: m.mutationId,
              status: 'conflict',
              serverVersion: current?.version ?? 0,
              ...(current?.record === undefined ? {} : { serverRecord: current.record }),
            };
          } else if (
            m.op === 'upsert' &&
            m.record?.status !== undefined &&
            m.record.status !== 'open' &&
            m.record.status !== 'closed'
          ) {
            result = {
              mutationId: m.mutationId,
              status: 'rejected',
              code: 'validation_failed',
              issues: [{ path: '/status', code: 'not_in_enum', message: 'status must be open or closed' }],
            };
          } else {
            this.applications += 1;
            const version = this.serverWrite(m.collection, m.id, m.op === 'delete' ? undefined : m.record);
            result = { mutationId: m.mutationId, status: 'applied', version };
          }
          this.answered.set(m.mutationId, result);
          return result;
        });
        return { results };
      },
    };
  }
}
