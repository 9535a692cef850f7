/**
 * Load (issue 14): 200 enrolled devices, each with its own DPoP key, sync through real HTTP for
 * 60 seconds against two `bulwark serve` processes on one PostgreSQL database, on loopback.
 * Zero 5xx answers, zero lost and zero duplicated writes (every acknowledged write is checked
 * against the database), retried pushes answered exactly as the first time; p50 and p99 latency
 * are printed. The run itself is bench/load/load.ts, which `npm run bench` also reports.
 */
import { expect, it } from 'vitest';
import { runLoad } from '../../../bench/load/load.js';

const databaseUrl = process.env.BULWARK_TEST_DATABASE_URL;
const inCi = process.env.CI === 'true' || process.env.CI === '1';

if (databaseUrl === undefined && !inCi) {
  it.skip('needs BULWARK_TEST_DATABASE_URL (source scripts/services.sh)', () => undefined);
} else {
  it('200 devices syncing for 60 s on two nodes: no 5xx, no lost or duplicated write', async () => {
    if (databaseUrl === undefined) throw new Error('BULWARK_TEST_DATABASE_URL is not set');
    const result = await runLoad({
      databaseUrl,
      devices: Number(process.env.BULWARK_LOAD_DEVICES ?? 200),
      seconds: Number(process.env.BULWARK_LOAD_SECONDS ?? 60),
      log: (line) => console.log(`load: ${line}`),
    });
    console.log(
      `load: ${result.devices} devices, ${result.seconds} s, ${result.requests} requests ` +
        `(${result.pushes} pushes, ${result.retriedPushes} retried, ${result.pulls} pulls), ` +
        `statuses ${JSON.stringify(result.statuses)}, latency p50 ${result.latencyMs.p50.toFixed(1)} ms, ` +
        `p99 ${result.latencyMs.p99.toFixed(1)} ms, max ${result.latencyMs.max.toFixed(1)} ms; ` +
        `${result.acknowledgedWrites} acknowledged records, ${result.records} in the database, ` +
        `${result.lost} lost, ${result.duplicated} duplicated`,
    );
    expect(result.serverErrors).toBe(0);
    expect(result.lost).toBe(0);
    expect(result.duplicated).toBe(0);
    expect(result.retryMismatches).toBe(0);
    expect(result.records).toBe(result.acknowledgedWrites);
    expect(result.acknowledgedWrites).toBeGreaterThan(result.devices);
    expect(result.pulls).toBeGreaterThan(result.devices);
    expect(Object.keys(result.statuses).filter((s) => s !== '200')).toEqual([]);
  }, 240_000);
}
