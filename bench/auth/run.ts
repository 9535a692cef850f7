/**
 * `npm run bench:auth`: the server-side cost of authenticating a request (access token + DPoP
 * proof + session/device/user check) and the req/s of an authenticated trivial route (GET /me)
 * against an unauthenticated one (GET /healthz), in the same process and run.
 *
 * Method (docs/operations.md, "Authentication cost"): requests go through Fastify's in-process
 * `inject` so that no client shares the CPU figures; every DPoP proof is signed before the clock
 * starts (a real client signs on its own device); process CPU time (user + system, all threads)
 * is read around each phase; auth CPU per request = CPU per authenticated request − CPU per
 * unauthenticated request. A third, bench-only route does nothing but one synchronous
 * `node:crypto` ES256 verify of the proof with a ready key (what the server does): it shows, in
 * the same run and under the same load, what the signature alone costs inside a request, and so
 * what the rest of authentication costs. The phases take turns in chunks of 200 requests, and
 * the round with the median auth CPU is reported (so that its breakdown adds up), because the
 * machine may be shared. The same is measured with several requests in flight. Asymmetric
 * verifies (node:crypto and WebCrypto) and key imports are counted per request.
 *
 * The targets are ratios against baselines of the same run: auth CPU per request at 16 in flight
 * over one synchronous node:crypto ES256 verify in a tight loop — a loop of 200 verifies that takes
 * its turn with the phases in every chunk, so that it sees the same load as they do, the round's
 * ratio being reported for the median round (the loop of the end of the run is printed beside it,
 * for comparison) — (≤ 2.5× on SQLite, ≤ 3.5× on
 * PostgreSQL with Redis, none on PostgreSQL alone), and authenticated over unauthenticated req/s
 * (≥ 0.35): a ratio of two wall-clock rates, which a shared machine moves far more than it moves
 * CPU time (0.19 to 0.49 between rounds of one run), so each round's ratio is computed, all are
 * printed, and the median round's is reported; 5 rounds by default.
 *
 * SQLite by default, set up as `bulwark serve` sets up a single node (replay cache in memory,
 * nonces of this process's epoch); PostgreSQL with BULWARK_BENCH_DATABASE_URL (replay cache in
 * its cache tables), and Redis with BULWARK_BENCH_REDIS_URL.
 */
import { createPublicKey, verify as nodeVerify, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { sql } from 'kysely';
import { buildApp } from '../../packages/server/src/app.js';
import { createServerContext } from '../../packages/server/src/context.js';
import { openDatabase } from '../../packages/server/src/db/database.js';
import { dpopHeaders } from '../../packages/server/src/http/request.js';
import { createUser } from '../../packages/server/src/identity/users.js';
import { sha256Base64url } from '../../packages/server/src/lib/encoding.js';
import { connectRedis } from '../../packages/server/src/shared/redis.js';
import { federatedSignInCost } from './federated.js';

const N = Number(process.env.BENCH_N ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Requests in flight in the concurrent phases (a busy node serves many at once). */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
/** Requests a phase sends before the next phase takes its turn. */
const CHUNK = 200;
const PASSWORD = 'bench-passphrase-not-common-91';
/** The bench-only route: one synchronous node:crypto ES256 verify of the DPoP proof, nothing else. */
const SIGNATURE_ONLY = '/bench/signature-only';

const counters = { verify: 0, importKey: 0 };
// Counts node:crypto verifies too: named imports of built-in modules follow their exports.
const nodeCrypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
const realNodeVerify = nodeCrypto.verify;
nodeCrypto.verify = ((...args: Parameters<typeof nodeCrypto.verify>) => {
  counters.verify += 1;
  return (realNodeVerify as (...a: unknown[]) => unknown)(...args);
}) as typeof nodeCrypto.verify;
syncBuiltinESMExports();
const subtle = globalThis.crypto.subtle;
const realVerify = subtle.verify.bind(subtle);
const realImport = subtle.importKey.bind(subtle);
subtle.verify = ((...args: Parameters<SubtleCrypto['verify']>) => {
  counters.verify += 1;
  return realVerify(...args);
}) as SubtleCrypto['verify'];
subtle.importKey = ((...args: Parameters<SubtleCrypto['importKey']>) => {
  counters.importKey += 1;
  return (realImport as (...a: unknown[]) => Promise<CryptoKey>)(...args);
}) as SubtleCrypto['importKey'];

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** CPU time, wall time and requests accumulated over the chunks of one phase. */
class Meter {
  cpu = 0;
  ms = 0;
  count = 0;
  get cpuPerRequest(): number {
    return this.cpu / this.count;
  }
  get perSecond(): number {
    return (this.count * 1000) / this.ms;
  }
}

/** Sends requests `from`..`to` (exclusive) with `concurrency` callers, adding to `meter`. */
async function chunk(
  meter: Meter,
  from: number,
  to: number,
  concurrency: number,
  send: (i: number) => Promise<{ statusCode: number; body: string }>,
): Promise<void> {
  let next = from;
  const caller = async () => {
    while (next < to) {
      const i = next;
      next += 1;
      const res = await send(i);
      if (res.statusCode !== 200) throw new Error(`request ${i}: ${res.statusCode} ${res.body}`);
    }
  };
  const cpu0 = cpuMicros();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, caller));
  meter.ms += performance.now() - t0;
  meter.cpu += cpuMicros() - cpu0;
  meter.count += to - from;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-'));
  const url = process.env.BULWARK_BENCH_DATABASE_URL;
  const schema = `bench_${Date.now()}`;
  const database = await openDatabase(url === undefined ? { dataDir: dir } : { databaseUrl: url, schema });
  const redisUrl = process.env.BULWARK_BENCH_REDIS_URL;
  const redis = redisUrl === undefined ? undefined : await connectRedis(redisUrl);
  const ctx = await createServerContext({
    db: database.db,
    cache: database.cache,
    ...(redis === undefined ? {} : { redis }),
    // As `bulwark serve` on SQLite, which holds the data folder's lock.
    singleNode: url === undefined,
  });
  const app = await buildApp({ db: database.db, context: ctx, logger: false });

  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const full = await exportJWK(publicKey);
  const jwk = { kty: 'EC', crv: 'P-256', x: String(full.x), y: String(full.y) };
  const benchKey = createPublicKey({ key: jwk, format: 'jwk' });
  app.get(SIGNATURE_ONLY, {
    // The same response as GET /healthz, so that only the preHandler differs.
    schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } },
    preHandler: async (request) => {
      const [h, p, sig] = (dpopHeaders(request)[0] ?? '').split('.');
      const ok = nodeVerify(
        'sha256',
        Buffer.from(`${h}.${p}`),
        { key: benchKey, dsaEncoding: 'ieee-p1363' },
        Buffer.from(sig ?? '', 'base64url'),
      );
      if (!ok) throw new Error('bench proof does not verify');
    },
    handler: async () => ({ status: 'ok' }),
  });
  await app.ready();
  await createUser(
    { db: ctx.db, passwords: ctx.passwords, rules: ctx.config.passwords, now: ctx.now },
    { username: 'bench', password: PASSWORD, role: 'user' },
  );

  const deviceId = randomUUID();
  let nonce = ctx.dpop.nonces.current();
  const proof = (method: string, path: string, accessToken?: string) =>
    new SignJWT({
      jti: randomUUID(),
      htm: method,
      htu: `http://localhost${path}`,
      iat: Math.floor(Date.now() / 1000),
      nonce,
      ...(accessToken === undefined ? {} : { ath: sha256Base64url(accessToken) }),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk } as never)
      .sign(privateKey);

  const login = await app.inject({
    method: 'POST',
    url: '/auth/login',
    headers: { dpop: await proof('POST', '/auth/login') },
    payload: {
      username: 'bench',
      password: PASSWORD,
      device: {
        id: deviceId,
        publicKey: jwk,
        platform: 'android',
        osVersion: '14',
        appVersion: '1.0.0',
        posture: { rooted: false, screenLock: true, emulator: false },
      },
    },
  });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.body}`);
  const { accessToken } = login.json() as { accessToken: string };
  const authorization = `DPoP ${accessToken}`;
  const proofsFor = async (path: string, count: number) => {
    nonce = ctx.dpop.nonces.current();
    const out: string[] = [];
    for (let i = 0; i < count; i += 1) out.push(await proof('GET', path, accessToken));
    return out;
  };
  const healthz = () => app.inject({ method: 'GET', url: '/healthz' });
  const get = (path: string, proofs: readonly string[]) => (i: number) =>
    app.inject({ method: 'GET', url: path, headers: { authorization, dpop: proofs[i] ?? '' } });

  // Warm-up so that JIT and caches are in steady state (key cache, token cache, statements).
  const warm = new Meter();
  const warmProofs = await proofsFor('/me', 300);
  await chunk(warm, 0, 300, 1, healthz);
  await chunk(warm, 0, 300, 1, get('/me', warmProofs));
  await chunk(warm, 0, 300, 1, get(SIGNATURE_ONLY, await proofsFor(SIGNATURE_ONLY, 300)));

  const results: Array<Record<string, number>> = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const meProofs = await proofsFor('/me', N);
    const sigProofs = await proofsFor(SIGNATURE_ONLY, N);
    // The baseline's inputs, split and decoded before its clock starts.
    const raw = sigProofs.map((proof) => {
      const [h, p, sig] = proof.split('.');
      return { input: Buffer.from(`${h}.${p}`), signature: Buffer.from(sig ?? '', 'base64url') };
    });
    const meConcurrent = await proofsFor('/me', N);
    const [unauth, auth, signature, unauthC, authC, baseline] = Array.from({ length: 6 }, () => new Meter());
    if (!unauth || !auth || !signature || !unauthC || !authC || !baseline) throw new Error('unreachable');
    let verifies = 0;
    let imports = 0;
    // The phases take turns in short chunks, so that a burst of load from another process
    // weighs on all of them alike.
    for (let from = 0; from < N; from += CHUNK) {
      const to = Math.min(N, from + CHUNK);
      await chunk(unauth, from, to, 1, healthz);
      const [v0, i0] = [counters.verify, counters.importKey];
      await chunk(auth, from, to, 1, get('/me', meProofs));
      verifies += counters.verify - v0;
      imports += counters.importKey - i0;
      await chunk(signature, from, to, 1, get(SIGNATURE_ONLY, sigProofs));
      await chunk(unauthC, from, to, CONCURRENCY, healthz);
      await chunk(authC, from, to, CONCURRENCY, get('/me', meConcurrent));
      // The baseline takes its turn too: one synchronous verify after another, in a tight loop.
      const cpu = cpuMicros();
      for (let i = from; i < to; i += 1) {
        const r = raw[i];
        if (r === undefined) throw new Error('unreachable');
        realNodeVerify('sha256', r.input, { key: benchKey, dsaEncoding: 'ieee-p1363' }, r.signature);
      }
      baseline.cpu += cpuMicros() - cpu;
      baseline.count += to - from;
    }
    results.push({
      unauthCpu: unauth.cpuPerRequest,
      authCpu: auth.cpuPerRequest,
      authOverhead: auth.cpuPerRequest - unauth.cpuPerRequest,
      signatureInRequest: signature.cpuPerRequest - unauth.cpuPerRequest,
      restOfAuth: auth.cpuPerRequest - signature.cpuPerRequest,
      unauthPerSecond: unauth.perSecond,
      authPerSecond: auth.perSecond,
      unauthCpuConcurrent: unauthC.cpuPerRequest,
      authCpuConcurrent: authC.cpuPerRequest,
      authOverheadConcurrent: authC.cpuPerRequest - unauthC.cpuPerRequest,
      unauthPerSecondConcurrent: unauthC.perSecond,
      authPerSecondConcurrent: authC.perSecond,
      baselineVerify: baseline.cpuPerRequest,
      ratioConcurrent: (authC.cpuPerRequest - unauthC.cpuPerRequest) / baseline.cpuPerRequest,
      ratioOne: (auth.cpuPerRequest - unauth.cpuPerRequest) / baseline.cpuPerRequest,
      rpsRatioConcurrent: authC.perSecond / unauthC.perSecond,
      rpsRatioOne: auth.perSecond / unauth.perSecond,
      verifies: verifies / N,
      imports: imports / N,
    });
  }

  // Isolated, for scale: the DPoP check alone (parsing, checks, one verify, replay insert)
  // and a cached access-token check, each in a tight loop outside any request.
  const isolated = await proofsFor('/me', N);
  let cpu0 = cpuMicros();
  for (const p of isolated) {
    await ctx.dpop.verify({ headers: [p], method: 'GET', htu: 'http://localhost/me', accessToken });
  }
  const dpopOnlyCpu = (cpuMicros() - cpu0) / N;
  cpu0 = cpuMicros();
  for (let i = 0; i < N; i += 1) await ctx.tokens.verify(accessToken);
  const tokenCachedCpu = (cpuMicros() - cpu0) / N;

  // The raw limits on this machine: one ES256 verify through WebCrypto (what jose uses) and
  // through node:crypto's synchronous API (what the server uses; the baseline), in a tight loop.
  const [h, p, sig] = (isolated[0] ?? '').split('.');
  const signingInput = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(sig ?? '', 'base64url');
  const webKey = await realImport('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  cpu0 = cpuMicros();
  for (let i = 0; i < N; i += 1)
    await realVerify({ name: 'ECDSA', hash: 'SHA-256' }, webKey, signature, signingInput);
  const rawWebCryptoVerify = (cpuMicros() - cpu0) / N;
  const nodeKey = createPublicKey({ key: jwk, format: 'jwk' });
  cpu0 = cpuMicros();
  for (let i = 0; i < N; i += 1) {
    realNodeVerify('sha256', signingInput, { key: nodeKey, dsaEncoding: 'ieee-p1363' }, signature);
  }
  const rawNodeVerify = (cpuMicros() - cpu0) / N;

  /** The round whose auth CPU is the median, so that its breakdown adds up. */
  const medianRound = (key: string) =>
    [...results].sort((a, b) => (a[key] ?? 0) - (b[key] ?? 0))[Math.floor(results.length / 2)] ?? {};
  const seq = medianRound('authOverhead');
  const conc = medianRound('authOverheadConcurrent');
  const fmt = (x: number | undefined) => Number((x ?? 0).toFixed(1));
  const ratio = (x: number | undefined, base: number | undefined) =>
    Number(((x ?? 0) / (base ?? 1)).toFixed(2));
  const report = {
    node: process.version,
    database: database.dialect,
    sharedState: ctx.sharedState,
    requestsPerPhase: N,
    rounds: ROUNDS,
    oneInFlight: {
      unauthenticatedCpuMicrosPerRequest: fmt(seq.unauthCpu),
      authenticatedCpuMicrosPerRequest: fmt(seq.authCpu),
      authCpuMicrosPerRequest: fmt(seq.authOverhead),
      ofWhichOneNodeCryptoEs256VerifyInARequest: fmt(seq.signatureInRequest),
      ofWhichEverythingElse: fmt(seq.restOfAuth),
      unauthenticatedRequestsPerSecond: Math.round(seq.unauthPerSecond ?? 0),
      authenticatedRequestsPerSecond: Math.round(seq.authPerSecond ?? 0),
      asymmetricVerifiesPerRequest: Math.max(...results.map((r) => r.verifies ?? 0)),
      keyImportsPerRequest: Math.max(...results.map((r) => r.imports ?? 0)),
    },
    [`${CONCURRENCY}InFlight`]: {
      unauthenticatedCpuMicrosPerRequest: fmt(conc.unauthCpuConcurrent),
      authenticatedCpuMicrosPerRequest: fmt(conc.authCpuConcurrent),
      authCpuMicrosPerRequest: fmt(conc.authOverheadConcurrent),
      unauthenticatedRequestsPerSecond: Math.round(conc.unauthPerSecondConcurrent ?? 0),
      authenticatedRequestsPerSecond: Math.round(conc.authPerSecondConcurrent ?? 0),
    },
    isolatedTightLoops: {
      dpopProofCheckCpuMicros: fmt(dpopOnlyCpu),
      cachedAccessTokenCheckCpuMicros: fmt(tokenCachedCpu),
      rawWebCryptoEs256VerifyCpuMicros: fmt(rawWebCryptoVerify),
      rawNodeCryptoEs256VerifyCpuMicros: fmt(rawNodeVerify),
      rawNodeCryptoEs256VerifyTakingTurnsCpuMicros: fmt(conc.baselineVerify),
    },
    requestsPerSecondRatioOfEachRoundAt16InFlight: results.map((r) =>
      Number((r.rpsRatioConcurrent ?? 0).toFixed(2)),
    ),
    ratios: {
      // Each round's auth CPU over the baseline measured in turns with it (the median round).
      authCpuAt16InFlightOverOneNodeCryptoVerify: Number(
        (medianRound('ratioConcurrent').ratioConcurrent ?? 0).toFixed(2),
      ),
      authCpuAt1InFlightOverOneNodeCryptoVerify: Number((medianRound('ratioOne').ratioOne ?? 0).toFixed(2)),
      // Each round's own ratio of rates, the median round's reported (the rates of a shared
      // machine move far more between rounds than the CPU figures do).
      authenticatedOverHealthzRequestsPerSecondAt16InFlight: Number(
        (medianRound('rpsRatioConcurrent').rpsRatioConcurrent ?? 0).toFixed(2),
      ),
      authenticatedOverHealthzRequestsPerSecondAt1InFlight: Number(
        (medianRound('rpsRatioOne').rpsRatioOne ?? 0).toFixed(2),
      ),
      // The same from CPU time (requests a CPU-second serves), which the machine's load moves
      // little: what the req/s ratio is on a core of its own.
      authenticatedOverHealthzRequestsPerCpuSecondAt16InFlight: ratio(
        conc.unauthCpuConcurrent,
        conc.authCpuConcurrent,
      ),
    },
    targets: {
      // Set for a single SQLite node and for PostgreSQL with Redis (several nodes); PostgreSQL
      // alone, with the replay cache in its tables, has none.
      authCpuAt16InFlightOverOneNodeCryptoVerify:
        database.dialect === 'sqlite' ? 2.5 : ctx.sharedState === 'redis' ? 3.5 : null,
      authenticatedOverHealthzRequestsPerSecond: 0.35,
      asymmetricVerifiesPerRequest: 1,
    },
  };
  console.log(JSON.stringify(report, null, 2));
  await app.close();
  await redis?.quit();
  if (url !== undefined) await sql`drop schema ${sql.id(schema)} cascade`.execute(database.db);
  await database.close();
  rmSync(dir, { recursive: true, force: true });
  const structural = report.oneInFlight.asymmetricVerifiesPerRequest <= 1;
  const cpuRatio = report.ratios.authCpuAt16InFlightOverOneNodeCryptoVerify;
  const cpuTarget = report.targets.authCpuAt16InFlightOverOneNodeCryptoVerify;
  const rpsRatio = report.ratios.authenticatedOverHealthzRequestsPerSecondAt16InFlight;
  console.log(
    `one asymmetric verify per request: ${structural ? 'met' : 'NOT met'}; ` +
      `auth CPU at ${CONCURRENCY} in flight / one node:crypto verify = ${cpuRatio}× ` +
      (cpuTarget === null
        ? '(no target for PostgreSQL without Redis); '
        : `(target ≤ ${cpuTarget}×: ${cpuRatio <= cpuTarget ? 'met' : 'NOT met'}); `) +
      `authenticated / healthz req/s = ${rpsRatio} (target ≥ 0.35: ${rpsRatio >= 0.35 ? 'met' : 'NOT met'})`,
  );
  // Federated sign-ins against the local one, in the same run (bench/auth/federated.ts).
  const signIns = await federatedSignInCost(Number(process.env.BENCH_SIGNINS ?? 60));
  console.log(JSON.stringify({ signInCpu: signIns }, null, 2));
}

await main();
