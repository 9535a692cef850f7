/**
 * Verifies the security event chain: every entry's hash, the link to the previous entry, contiguous
 * sequence numbers and the stored chain head. An edited entry breaks its own hash; a deleted or
 * inserted one breaks a link or the numbering; a deleted tail no longer matches the head.
 * What it cannot see on its own: someone with write access who cuts the newest entries, or rewrites
 * the chain from some entry on, and sets the head to match. Recording the head hash elsewhere (the
 * verifier prints it) and giving it back as an anchor closes that gap up to the anchor: an anchor
 * that is no longer an entry of the chain is `anchor_missing`.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { entryHash, GENESIS_HASH } from './chain.js';

/** One broken link. */
export interface ChainProblem {
  /** The entry that fails; for `anchor_missing`, the last entry the chain now has. */
  readonly seq: number;
  readonly reason: 'hash_mismatch' | 'broken_link' | 'sequence_gap' | 'head_mismatch' | 'anchor_missing';
  /** The anchor that is not in the chain (`anchor_missing` only). */
  readonly anchor?: string;
}

/** What an anchor looks like: a head hash recorded earlier (SHA-256, lower-case hex). */
export const ANCHOR_PATTERN = /^[0-9a-f]{64}$/;

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
 * Walks the whole chain in pages and reports every problem found. Each of `anchors` (head hashes
 * recorded elsewhere earlier) must still be the hash of an entry of the chain: since every entry
 * from the first one is checked, an anchor found proves that the log up to it is what it was when
 * the anchor was taken, and one not found (`anchor_missing`) that the log was cut or rewritten
 * before it, even when the head was set to match.
 *
 * @example
 * ```ts
 * const report = await verifyEventChain(db, 1000, [headHashRecordedLastWeek]);
 * if (!report.ok) console.error(report.problems);
 * ```
 */
export async function verifyEventChain(
  db: Kysely<Database>,
  pageSize = 1000,
  anchors: readonly string[] = [],
): Promise<ChainReport> {
  for (const anchor of anchors) {
    if (!ANCHOR_PATTERN.test(anchor)) throw new TypeError('an anchor is a SHA-256 hash in lower-case hex');
  }
  const missing = new Set(anchors);
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
      missing.delete(row.hash);
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
  for (const anchor of missing) problems.push({ seq: lastSeq, reason: 'anchor_missing', anchor });
  return { ok: problems.length === 0, entries, headHash: prevHash, headSeq, problems };
}
