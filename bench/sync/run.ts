/**
 * `npm run bench:sync`: server-side sync throughput, each against a plain baseline in the same
 * run and process (docs/sync.md, "Performance").
 *
 * - Pull: 100,000 records of the demo app's `inspections`, read page by page (1,000 a page) by
 *   a user who may see all of them. Secured: `pull()` — claims bound into the read rule compiled
 *   to SQL, notices for removals, the stored device projection, a MAC'd checkpoint. Baselines:
 *   the same rows by sequence with no rule, no projection, no checkpoint: (a) stored JSON text
 *   spliced into the page, the cheapest possible; (b) rows parsed and re-serialised, what a plain
 *   handler does. A second secured run has a user who may see 10% of the rows (the inspector of
 *   one in ten): read through the record keys, it is reported against the pull of all.
 * - Push: mutations of new records in batches of 100 through `push()` (validation, system and
 *   serverOnly refusal, rules, the demo hook, projections, record keys, idempotency record, one
 *   transaction per request), against plain inserts of the same records, one transaction each
 *   (a plain handler of one record per request) and 100 per transaction (the same batching).
 * - Validation alone: the core validator on the same records, µs per record.
 *
 * SQLite (a temporary folder) by default; PostgreSQL with BULWARK_BENCH_DATABASE_URL.
 * BENCH_PULL_N, BENCH_PUSH_N and BENCH_ROUNDS change the sizes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceView, validate } from '@bulwark/core/schema';
import { sql } from 'kysely';
import config from '../../apps/demo/bulwark.config.js';
import { inspections } from '../../apps/demo/schema.js';
import { createServerContext } from '../../packages/server/src/context.js';
import { keyRows, nextSeq } from '../../packages/server/src/data/store.js';
import { openDatabase } from '../../packages/server/src/db/database.js';
import { createUser } from '../../packages/server/src/identity/users.js';
import { attrsJson } from '../../packages/server/src/rules/attrs.js';
import type { Claims } from '../../packages/server/src/rules/rule.js';
import { pull } from '../../packages/server/src/sync/pull.js';
import { type PushMutation, push } from '../../packages/server/src/sync/push.js';

const PULL_N = Number(process.env.BENCH_PULL_N ?? 100_000);
const PUSH_N = Number(process.env.BENCH_PUSH_N ?? 2_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PAGE = 1000;

function record(i: number, inspector: string, team: string): Record<string, unknown> {
  return {
    site: `Site ${i} — warehouse ${i % 97}`,
    address: `${i} Quay Street`,
    inspector,
    team,
    status: (['scheduled', 'in_progress', 'done'] as const)[i % 3],
    scheduledAt: '2030-01-20T08:30:00Z',
    residentPhone: '+33 6 12 34 56 78',
    findings: [
      { note: 'Loose handrail on stairs B', severity: 'medium' },
      { note: 'Fire door blocked', severity: 'high' },
    ],
    photos: [
      { name: `p${i}.jpg`, contentType: 'image/jpeg', bytes: 2_400_000, takenAt: '2030-01-20T09:00:00Z' },
    ],
  };
}

function best(samples: number[]): number {
  return Math.min(...samples);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-sync-'));
  const url = process.env.BULWARK_BENCH_DATABASE_URL;
  const schema = `bench_sync_${Date.now()}`;
  const database = await openDatabase(url === undefined ? { dataDir: dir } : { databaseUrl: url, schema });
  const ctx = await createServerContext({ db: database.db, cache: database.cache, data: config });
  const data = ctx.data;
  if (data === undefined) throw new Error('no data model');
  const model = data.model.collections.get('inspections');
  if (model === undefined) throw new Error('no inspections');
  const deps = { db: ctx.db, passwords: ctx.passwords, rules: ctx.config.passwords, now: ctx.now };
  const ann = await createUser(deps, {
    username: 'ann',
    password: 'bench-passphrase-not-common-91',
    role: 'user',
  });
  const few = await createUser(deps, {
    username: 'few',
    password: 'bench-passphrase-not-common-92',
    role: 'user',
  });
  await ctx.db.insertInto('user_teams').values({ user_id: ann.id, team: 'north' }).execute();
  const annClaims: Claims = { userId: ann.id, username: 'ann', role: 'user', teams: ['north'] };
  const fewClaims: Claims = { userId: few.id, username: 'few', role: 'user', teams: [] };

  // Seed: every record is ann's (team north); one in ten is also assigned to `few`.
  const t0 = performance.now();
  for (let start = 0; start < PULL_N; start += 1000) {
    await ctx.db.transaction().execute(async (trx) => {
      const count = Math.min(1000, PULL_N - start);
      const first = await nextSeq(trx, count);
      const rows = [];
      const keys = [];
      for (let k = 0; k < count; k++) {
        const i = start + k;
        const full = { ...record(i, i % 10 === 0 ? few.id : ann.id, 'north'), riskScore: 40 };
        rows.push({
          collection: 'inspections',
          id: randomUUID(),
          owner: ann.id,
          version: 1,
          seq: first + k,
          created_at: i,
          updated_at: i,
          deleted_at: null,
          data: JSON.stringify(full),
          device: JSON.stringify(deviceView(inspections, full as never)),
          attrs: attrsJson(full, model.attrFields),
        });
        keys.push(...keyRows(model, first + k, ann.id, full));
      }
      for (let k = 0; k < rows.length; k += 100)
        await trx
          .insertInto('records')
          .values(rows.slice(k, k + 100))
          .execute();
      for (let k = 0; k < keys.length; k += 100)
        await trx
          .insertInto('record_keys')
          .values(keys.slice(k, k + 100))
          .execute();
    });
  }
  const seedMs = performance.now() - t0;

  const securedPull = async (claims: Claims, deviceId: string) => {
    let checkpoint: string | null = null;
    let records = 0;
    let bytes = 0;
    const start = performance.now();
    for (;;) {
      const text: string = await pull(
        { ctx, model: data.model, codec: data.checkpoints, claims, deviceId },
        { checkpoint, limit: PAGE },
      );
      bytes += text.length;
      const page = JSON.parse(text) as { changes: unknown[]; checkpoint: string; hasMore: boolean };
      records += page.changes.length;
      checkpoint = page.checkpoint;
      if (!page.hasMore) break;
    }
    return { ms: performance.now() - start, records, bytes };
  };
  const baselinePull = async (parse: boolean) => {
    let after = 0;
    let records = 0;
    let bytes = 0;
    const start = performance.now();
    for (;;) {
      const rows = await ctx.db
        .selectFrom('records')
        .select(['collection', 'id', 'version', 'seq', 'data'])
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(PAGE)
        .execute();
      if (rows.length === 0) break;
      const text = parse
        ? JSON.stringify({
            changes: rows.map((r) => ({
              collection: r.collection,
              id: r.id,
              version: r.version,
              record: JSON.parse(r.data as string),
            })),
            checkpoint: String((rows.at(-1) as { seq: number }).seq),
          })
        : `{"changes":[${rows.map((r) => `{"collection":${JSON.stringify(r.collection)},"id":"${r.id}","version":${r.version},"record":${r.data}}`).join(',')}],"checkpoint":"${(rows.at(-1) as { seq: number }).seq}"}`;
      bytes += text.length;
      JSON.parse(text);
      records += rows.length;
      after = Number((rows.at(-1) as { seq: number }).seq);
    }
    return { ms: performance.now() - start, records, bytes };
  };

  const samples = {
    secured: [] as number[],
    narrow: [] as number[],
    raw: [] as number[],
    parsed: [] as number[],
  };
  let counts = { secured: 0, narrow: 0, raw: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const raw = await baselinePull(false);
    const parsed = await baselinePull(true);
    const secured = await securedPull(annClaims, randomUUID());
    const narrow = await securedPull(fewClaims, randomUUID());
    samples.raw.push(raw.ms);
    samples.parsed.push(parsed.ms);
    samples.secured.push(secured.ms);
    samples.narrow.push(narrow.ms);
    counts = { secured: secured.records, narrow: narrow.records, raw: raw.records };
  }
  if (counts.secured !== PULL_N || counts.raw !== PULL_N) throw new Error('pull did not return every record');

  // Push: new records through push() against plain inserts of the same records.
  const pushRecords = Array.from({ length: PUSH_N }, (_, i) => record(i, ann.id, 'north'));
  const pushSamples = { secured: [] as number[], plain: [] as number[], plainBatched: [] as number[] };
  const plainRow = (r: Record<string, unknown>, seq: number) => {
    const text = JSON.stringify(r);
    return {
      collection: 'plain',
      id: randomUUID(),
      owner: ann.id,
      version: 1,
      seq,
      created_at: 0,
      updated_at: 0,
      deleted_at: null,
      data: text,
      device: text,
      attrs: '{}',
    };
  };
  for (let round = 0; round < ROUNDS; round++) {
    const deviceId = randomUUID();
    let start = performance.now();
    for (let k = 0; k < PUSH_N; k += 100) {
      const mutations: PushMutation[] = pushRecords.slice(k, k + 100).map((r) => ({
        mutationId: randomUUID(),
        collection: 'inspections',
        id: randomUUID(),
        op: 'upsert',
        baseVersion: null,
        record: r,
      }));
      const results = await push({ ctx, model: data.model, claims: annClaims, deviceId }, mutations);
      if (results.some((r) => r.status !== 'applied'))
        throw new Error(`push refused: ${JSON.stringify(results[0])}`);
    }
    pushSamples.secured.push(performance.now() - start);
    start = performance.now();
    for (const r of pushRecords) {
      await ctx.db.transaction().execute(async (trx) => {
        const seq = await nextSeq(trx, 1);
        await trx.insertInto('records').values(plainRow(r, seq)).execute();
      });
    }
    pushSamples.plain.push(performance.now() - start);
    start = performance.now();
    for (let k = 0; k < PUSH_N; k += 100) {
      await ctx.db.transaction().execute(async (trx) => {
        for (const r of pushRecords.slice(k, k + 100)) {
          const seq = await nextSeq(trx, 1);
          await trx.insertInto('records').values(plainRow(r, seq)).execute();
        }
      });
    }
    pushSamples.plainBatched.push(performance.now() - start);
  }

  // Validation alone, on distinct records.
  const toValidate = Array.from({ length: 10_000 }, (_, i) => record(i, ann.id, 'north'));
  const validation: number[] = [];
  for (let round = 0; round < Math.max(ROUNDS, 5); round++) {
    const start = performance.now();
    for (const r of toValidate)
      if (!validate(inspections, r, { source: 'device' }).ok) throw new Error('invalid');
    validation.push(((performance.now() - start) * 1000) / toValidate.length);
  }

  const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en');
  const pullSecured = best(samples.secured);
  const pullRaw = best(samples.raw);
  const pullParsed = best(samples.parsed);
  const lines = [
    `bench:sync — ${database.dialect}, Node ${process.version}, ${PULL_N.toLocaleString('en')} records (seeded in ${(seedMs / 1000).toFixed(1)} s), best of ${ROUNDS}, load average ${loadavg()[0]?.toFixed(1)}`,
    '',
    'pull (server side, pages of 1,000)         records/s     time',
    `  baseline (a): stored JSON spliced        ${rate(PULL_N, pullRaw).padStart(9)}  ${pullRaw.toFixed(0).padStart(6)} ms`,
    `  baseline (b): parsed and re-serialised   ${rate(PULL_N, pullParsed).padStart(9)}  ${pullParsed.toFixed(0).padStart(6)} ms`,
    `  secured pull, user sees all              ${rate(PULL_N, pullSecured).padStart(9)}  ${pullSecured.toFixed(0).padStart(6)} ms  = ${(pullSecured / pullRaw).toFixed(2)}x (a), ${(pullSecured / pullParsed).toFixed(2)}x (b)`,
    `  secured pull, user sees ${counts.narrow.toLocaleString('en')} (10%)     ${rate(counts.narrow, best(samples.narrow)).padStart(9)}  ${best(samples.narrow).toFixed(0).padStart(6)} ms  = ${(best(samples.narrow) / pullSecured).toFixed(2)}x the pull of all`,
    '',
    `push (${PUSH_N.toLocaleString('en')} new records, one transaction each)  records/s   µs/record`,
    `  plain insert                             ${rate(PUSH_N, best(pushSamples.plain)).padStart(9)}  ${((best(pushSamples.plain) * 1000) / PUSH_N).toFixed(0).padStart(6)}`,
    `  plain insert, 100 per transaction        ${rate(PUSH_N, best(pushSamples.plainBatched)).padStart(9)}  ${((best(pushSamples.plainBatched) * 1000) / PUSH_N).toFixed(0).padStart(6)}`,
    `  secured push (batches of 100)            ${rate(PUSH_N, best(pushSamples.secured)).padStart(9)}  ${((best(pushSamples.secured) * 1000) / PUSH_N).toFixed(0).padStart(6)}  = ${(best(pushSamples.secured) / best(pushSamples.plain)).toFixed(2)}x plain, ${(best(pushSamples.secured) / best(pushSamples.plainBatched)).toFixed(2)}x plain batched`,
    `  validation alone (core validate)                    ${best(validation).toFixed(2).padStart(6)} µs/record`,
    '',
    `targets: secured pull ≤ 1.5x baseline (a): ${pullSecured / pullRaw <= 1.5 ? 'met' : 'NOT met'}; 10% pull ≤ 0.2x pull of all: ${best(samples.narrow) / pullSecured <= 0.2 ? 'met' : 'NOT met'}; secured push ≤ 1.5x plain insert: ${best(pushSamples.secured) / best(pushSamples.plain) <= 1.5 ? 'met' : 'NOT met'}; validation < 2 µs/record: ${best(validation) < 2 ? 'met' : 'NOT met'}`,
  ];
  console.log(lines.join('\n'));
  if (database.dialect === 'postgres') await sql`drop schema ${sql.id(schema)} cascade`.execute(ctx.db);
  await database.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
