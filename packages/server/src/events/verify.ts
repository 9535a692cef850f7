/**
 * Verifies the security event chain: every entry's hash, the link to the previous entry, contiguous
 * sequence numbers and the stored chain head. An edited entry breaks its own hash; a deleted or
 * inserted one breaks a link or the numbering; a deleted tail no longer matches the head.
 * What it cannot see: someone with write access who rewrites the whole chain and the head
 * consistently. Recording the head hash elsewhere (the verifier prints it) closes that gap.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { entryHash, GENESIS_HASH } from './chain.js';

/** One broken link. */
export interface ChainProblem {
  readonly seq: number;
  readonly reason: 'hash_mismatch' | 'broken_link' | 'sequence_gap' | 'head_mismatch';
}

/** Outcome of {@link verifyEventChain}. */
export interface ChainReport {
  readonly ok: boolean;
  readonly entries: number;
  /** Hash of the last entry (record it elsewhere to detect a consistent rewrite). */
  readonly headHash: string;
  readonly headSeq: number;
  readonly problems: readonly ChainProblem[];
}

/**
 * Walks the whole chain in pages and reports every problem found.
 *
 * @example
 * ```ts
 * const report = await verifyEventChain(db);
 * if (!report.ok) console.error(report.problems);
 * ```
 */
export async function verifyEventChain(db: Kysely<Database>, pageSize = 1000): Promise<ChainReport> {
  const problems: ChainProblem[] = [];
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let entries = 0;
  let lastSeq = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', lastSeq)
      .orderBy('seq', 'asc')
      .limit(pageSize)
      .execute();
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq) problems.push({ seq, reason: 'sequence_gap' });
      if (row.prev_hash !== prevHash) problems.push({ seq, reason: 'broken_link' });
      const recomputed = entryHash({ ...row, seq });
      if (recomputed !== row.hash) problems.push({ seq, reason: 'hash_mismatch' });
      prevHash = row.hash;
      expectedSeq = seq + 1;
      lastSeq = seq;
      entries += 1;
    }
    if (rows.length < pageSize) break;
  }
  const head = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  const headSeq = Number(head?.seq ?? 0);
  if (head === undefined || headSeq !== lastSeq || head.hash !== prevHash) {
    problems.push({ seq: headSeq, reason: 'head_mismatch' });
  }
  return { ok: problems.length === 0, entries, headHash: prevHash, headSeq, problems };
}
