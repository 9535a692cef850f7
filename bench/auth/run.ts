/**
 * `npm run bench:auth`: the server-side cost of authenticating a request (access token + DPoP
 * proof + session/device/user check) and the req/s of an authenticated trivial route (GET /me)
 * against an unauthenticated one (GET /healthz), in the same process and run.
 *
 * Method (docs/operations.md, "Authentication cost"): requests go through Fastify's in-process
 * `inject` so that no client shares the CPU figures; every DPoP proof is signed before the clock
 * starts (a real client signs on its own device); process CPU time (user + system) is read
 * around each phase; auth CPU per request = CPU per authenticated request − CPU per
 * unauthenticated request. WebCrypto `verify` and `importKey` calls are counted to show the
 * asymmetric work per request. SQLite by default; PostgreSQL with BULWARK_BENCH_DATABASE_URL.
 */
import { createPublicKey, verify as nodeVerify, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { sql } from 'kysely';
import { buildApp } from '../../packages/server/src/app.js';
import { createServerContext } from '../../packages/server/src/context.js';
import { openDatabase } from '../../packages/server/src/db/database.js';
import { createUser } from '../../packages/server/src/identity/users.js';
import { sha256Base64url } from '../../packages/server/src/lib/encoding.js';

const N = Number(process.env.BENCH_N ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PASSWORD = 'bench-passphrase-not-common-91';

const counters = { verify: 0, importKey: 0 };
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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-'));
  const url = process.env.BULWARK_BENCH_DATABASE_URL;
  const schema = `bench_${Date.now()}`;
  const database = await openDatabase(url === undefined ? { dataDir: dir } : { databaseUrl: url, schema });
  const ctx = await createServerContext({ db: database.db, cache: database.cache });
  const app = await buildApp({ db: database.db, context: ctx, logger: false });
  await app.ready();
  await createUser(
    { db: ctx.db, passwords: ctx.passwords, rules: ctx.config.passwords, now: ctx.now },
    { username: 'bench', password: PASSWORD, role: 'user' },
  );

  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const full = await exportJWK(publicKey);
  const jwk = { kty: 'EC', crv: 'P-256', x: String(full.x), y: String(full.y) };
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

  const results: Array<Record<string, number>> = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    nonce = ctx.dpop.nonces.current();
    const proofs: string[] = [];
    for (let i = 0; i < N; i += 1) proofs.push(await proof('GET', '/me', accessToken));
    // Warm-up so that JIT and caches are in steady state (key cache, token cache).
    for (let i = 0; i < 200; i += 1) await app.inject({ method: 'GET', url: '/healthz' });
    for (let i = 0; i < 50; i += 1) {
      await app.inject({
        method: 'GET',
        url: '/me',
        headers: { authorization, dpop: await proof('GET', '/me', accessToken) },
      });
    }

    let cpu0 = cpuMicros();
    let t0 = performance.now();
    for (let i = 0; i < N; i += 1) {
      const res = await app.inject({ method: 'GET', url: '/healthz' });
      if (res.statusCode !== 200) throw new Error(`healthz ${res.statusCode}`);
    }
    const unauthCpu = (cpuMicros() - cpu0) / N;
    const unauthWall = (performance.now() - t0) / N;

    counters.verify = 0;
    counters.importKey = 0;
    cpu0 = cpuMicros();
    t0 = performance.now();
    for (let i = 0; i < N; i += 1) {
      const res = await app.inject({
        method: 'GET',
        url: '/me',
        headers: { authorization, dpop: proofs[i] ?? '' },
      });
      if (res.statusCode !== 200) throw new Error(`/me ${res.statusCode} ${res.body}`);
    }
    const authCpu = (cpuMicros() - cpu0) / N;
    const authWall = (performance.now() - t0) / N;
    results.push({
      unauthCpuUs: unauthCpu,
      authCpuUs: authCpu,
      authOverheadCpuUs: authCpu - unauthCpu,
      unauthReqPerSec: 1000 / unauthWall,
      authReqPerSec: 1000 / authWall,
      verifiesPerRequest: counters.verify / N,
      keyImportsPerRequest: counters.importKey / N,
    });
  }

  // Isolated cost of the DPoP check alone (jose verify + replay-cache insert), same proofs shape.
  nonce = ctx.dpop.nonces.current();
  const proofs: string[] = [];
  for (let i = 0; i < N; i += 1) proofs.push(await proof('GET', '/me', accessToken));
  let cpu0 = cpuMicros();
  for (const p of proofs) {
    await ctx.dpop.verify({ headers: [p], method: 'GET', htu: 'http://localhost/me', accessToken });
  }
  const dpopOnlyCpu = (cpuMicros() - cpu0) / N;
  cpu0 = cpuMicros();
  for (let i = 0; i < N; i += 1) await ctx.tokens.verify(accessToken);
  const tokenCachedCpu = (cpuMicros() - cpu0) / N;
  const thumb = await calculateJwkThumbprint(jwk);

  // The raw limits on this machine: one ES256 verify through WebCrypto (what jose uses) and
  // through node:crypto's synchronous API, for scale.
  const [h, p, sig] = (proofs[0] ?? '').split('.');
  const signingInput = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(sig ?? '', 'base64url');
  const webKey = await subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'verify',
  ]);
  cpu0 = cpuMicros();
  for (let i = 0; i < N; i += 1)
    await realVerify({ name: 'ECDSA', hash: 'SHA-256' }, webKey, signature, signingInput);
  const rawWebCryptoVerify = (cpuMicros() - cpu0) / N;
  const nodeKey = createPublicKey({ key: jwk, format: 'jwk' });
  cpu0 = cpuMicros();
  for (let i = 0; i < N; i += 1) {
    nodeVerify('sha256', signingInput, { key: nodeKey, dsaEncoding: 'ieee-p1363' }, signature);
  }
  const rawNodeVerify = (cpuMicros() - cpu0) / N;

  const median = (key: string) => {
    const xs = results.map((r) => r[key] ?? 0).sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)] ?? 0;
  };
  const fmt = (x: number) => x.toFixed(1);
  const report = {
    node: process.version,
    database: database.dialect,
    requestsPerPhase: N,
    rounds: ROUNDS,
    medianOfRounds: {
      unauthenticatedCpuMicrosPerRequest: fmt(median('unauthCpuUs')),
      authenticatedCpuMicrosPerRequest: fmt(median('authCpuUs')),
      authCpuMicrosPerRequest: fmt(median('authOverheadCpuUs')),
      unauthenticatedRequestsPerSecond: Math.round(median('unauthReqPerSec')),
      authenticatedRequestsPerSecond: Math.round(median('authReqPerSec')),
      asymmetricVerifiesPerRequest: median('verifiesPerRequest'),
      keyImportsPerRequest: median('keyImportsPerRequest'),
    },
    isolated: {
      dpopProofCheckCpuMicros: fmt(dpopOnlyCpu),
      cachedAccessTokenCheckCpuMicros: fmt(tokenCachedCpu),
      rawWebCryptoEs256VerifyCpuMicros: fmt(rawWebCryptoVerify),
      rawNodeCryptoEs256VerifyCpuMicros: fmt(rawNodeVerify),
    },
    deviceKeyThumbprint: thumb.slice(0, 8),
    target: 'auth CPU < 200 µs per request, at most one asymmetric verify per request',
  };
  console.log(JSON.stringify(report, null, 2));
  await app.close();
  if (url !== undefined) await sql`drop schema ${sql.id(schema)} cascade`.execute(database.db);
  await database.close();
  rmSync(dir, { recursive: true, force: true });
  const ok =
    Number(report.medianOfRounds.authCpuMicrosPerRequest) < 200 &&
    report.medianOfRounds.asymmetricVerifiesPerRequest <= 1;
  console.log(ok ? 'target met' : 'target NOT met');
}

await main();
