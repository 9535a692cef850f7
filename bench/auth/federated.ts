/**
 * The federated part of `npm run bench:auth`: server CPU per sign-in for a local password
 * sign-in (`POST /auth/login`, one Argon2id hash), an OIDC code exchange (`POST
 * /auth/oidc/:provider/callback`: token request, ID token signature and claims checks, account
 * and session) and an LDAP sign-in (`POST /auth/ldap/:provider/login`: LDAPS connection, search,
 * bind), measured in the same run, in turns, and reported as ratios to the local sign-in.
 *
 * What is counted: process CPU (user + system, all threads, so Argon2's worker threads too)
 * around the requests, with every DPoP proof and every crafted ID token made beforehand. The
 * OIDC provider is a minimal loopback server in this process (test/lib/oidc-op.ts), so its small
 * share (serving one token response) is included; slapd is another process and is not. The LDAP
 * part runs when BULWARK_SLAPD is set (test/lib/slapd.ts), and is reported as skipped otherwise.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { buildApp } from '../../packages/server/src/app.js';
import { createServerContext } from '../../packages/server/src/context.js';
import { openDatabase } from '../../packages/server/src/db/database.js';
import type { ProviderOptions } from '../../packages/server/src/identity/federation/config.js';
import { createUser } from '../../packages/server/src/identity/users.js';
import { startRogueOp } from '../../packages/server/test/lib/oidc-op.js';
import { startSlapd, type TestSlapd } from '../../packages/server/test/lib/slapd.js';

const PASSWORD = 'bench-passphrase-not-common-91';
const REDIRECT = 'com.example.bench:/oauth2redirect';

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * Measures `count` sign-ins of each kind, in chunks of 10 taking turns.
 *
 * @example
 * ```ts
 * console.log(await federatedSignInCost(60));
 * ```
 */
export async function federatedSignInCost(count: number): Promise<Record<string, unknown>> {
  const rogue = await startRogueOp();
  let slapd: TestSlapd | undefined;
  if (process.env.BULWARK_SLAPD !== undefined && process.env.BULWARK_SLAPD.length > 0) {
    slapd = await startSlapd();
    await slapd.add([
      {
        dn: 'cn=svc,ou=services,dc=example,dc=test',
        attributes: { objectClass: ['person'], cn: 'svc', sn: 'svc', userPassword: 'svc-secret' },
      },
      {
        dn: 'uid=bench,ou=people,dc=example,dc=test',
        attributes: {
          objectClass: ['inetOrgPerson'],
          uid: 'bench',
          cn: 'bench',
          sn: 'bench',
          userPassword: PASSWORD,
        },
      },
    ]);
  }
  const providers: ProviderOptions[] = [
    {
      kind: 'oidc',
      id: 'op',
      issuer: rogue.issuer,
      clientId: 'bench-client',
      redirectUris: [REDIRECT],
      allowHttpLoopback: true,
      jit: true,
    },
    ...(slapd === undefined
      ? []
      : [
          {
            kind: 'ldap' as const,
            id: 'corp',
            url: slapd.ldapsUrl,
            tls: { ca: slapd.caPem },
            bindDn: 'cn=svc,ou=services,dc=example,dc=test',
            bindPassword: 'svc-secret',
            userBaseDn: 'ou=people,dc=example,dc=test',
            jit: true,
          },
        ]),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-fed-'));
  const database = await openDatabase({ dataDir: dir });
  const ctx = await createServerContext({
    db: database.db,
    cache: database.cache,
    auth: { federation: { providers }, throttle: { failuresPerIp: 1_000_000 } },
  });
  const app = await buildApp({ db: database.db, context: ctx, logger: false });
  await app.ready();
  await createUser(
    { db: ctx.db, passwords: ctx.passwords, rules: ctx.config.passwords, now: ctx.now },
    { username: 'local-bench', password: PASSWORD, role: 'user' },
  );
  await ctx.passwords.warmUp();

  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const full = await exportJWK(publicKey);
  const jwk = { kty: 'EC', crv: 'P-256', x: String(full.x), y: String(full.y) };
  const proof = (path: string) =>
    new SignJWT({
      jti: randomUUID(),
      htm: 'POST',
      htu: `http://localhost${path}`,
      iat: Math.floor(Date.now() / 1000),
      nonce: ctx.dpop.nonces.current(),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk } as never)
      .sign(privateKey);
  // One device id per kind: a device id belongs to one account.
  const device = (id: string) => ({
    id,
    publicKey: jwk,
    platform: 'android',
    osVersion: '14',
    appVersion: '1.0.0',
    posture: { rooted: false, screenLock: true, emulator: false },
  });
  const devices = { local: randomUUID(), oidc: randomUUID(), ldap: randomUUID() };
  const post = async (url: string, dpop: string, payload: object) => {
    const res = await app.inject({ method: 'POST', url, headers: { dpop }, payload });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  };

  /** A prepared OIDC callback: started, its ID token signed; only the exchange is left. */
  const prepareOidc = async () => {
    const start = await app.inject({
      method: 'POST',
      url: '/auth/oidc/op/start',
      headers: { dpop: await proof('/auth/oidc/op/start') },
      payload: { redirectUri: REDIRECT },
    });
    const authUrl = new URL(start.json().authorizationUrl);
    const now = Math.floor(Date.now() / 1000);
    const idToken = await new SignJWT({
      nonce: authUrl.searchParams.get('nonce'),
      preferred_username: 'oidc-bench',
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'rogue-1' })
      .setIssuer(rogue.issuer)
      .setAudience('bench-client')
      .setSubject('oidc-bench-sub')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(rogue.privateKey);
    const callbackUrl = `${REDIRECT}?code=c-${randomUUID()}&state=${authUrl.searchParams.get('state')}`;
    return { idToken, callbackUrl, dpop: await proof('/auth/oidc/op/callback') };
  };

  const kinds = {
    local: async () => {
      const dpop = await proof('/auth/login');
      return () =>
        post('/auth/login', dpop, {
          username: 'local-bench',
          password: PASSWORD,
          device: device(devices.local),
        });
    },
    oidc: async () => {
      const p = await prepareOidc();
      return () => {
        rogue.idToken = p.idToken;
        return post('/auth/oidc/op/callback', p.dpop, {
          callbackUrl: p.callbackUrl,
          device: device(devices.oidc),
        });
      };
    },
    ldap: async () => {
      const dpop = await proof('/auth/ldap/corp/login');
      return () =>
        post('/auth/ldap/corp/login', dpop, {
          username: 'bench',
          password: PASSWORD,
          device: device(devices.ldap),
        });
    },
  };
  const active = (Object.keys(kinds) as (keyof typeof kinds)[]).filter(
    (k) => k !== 'ldap' || slapd !== undefined,
  );
  const cpu: Record<string, number> = { local: 0, oidc: 0, ldap: 0 };
  const wall: Record<string, number> = { local: 0, oidc: 0, ldap: 0 };
  // Warm-up: discovery, JWKS, connections, statements.
  for (const k of active) for (let i = 0; i < 3; i += 1) await (await kinds[k]())();
  for (let from = 0; from < count; from += 10) {
    const n = Math.min(10, count - from);
    for (const k of active) {
      const prepared = [];
      for (let i = 0; i < n; i += 1) prepared.push(await kinds[k]());
      const c0 = cpuMicros();
      const t0 = performance.now();
      for (const run of prepared) await run();
      cpu[k] = (cpu[k] ?? 0) + cpuMicros() - c0;
      wall[k] = (wall[k] ?? 0) + performance.now() - t0;
    }
  }
  await app.close();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
  await rogue.stop();
  await slapd?.stop();
  const per = (k: string) => (cpu[k] ?? 0) / count;
  const ms = (k: string) => Number(((wall[k] ?? 0) / count).toFixed(2));
  const fmt = (x: number) => Math.round(x);
  return {
    signInsPerKind: count,
    localPasswordSignIn: { cpuMicros: fmt(per('local')), wallMs: ms('local') },
    oidcCodeExchange: {
      cpuMicros: fmt(per('oidc')),
      wallMs: ms('oidc'),
      ratioToLocal: Number((per('oidc') / per('local')).toFixed(3)),
    },
    ldapBind:
      slapd === undefined
        ? 'skipped (BULWARK_SLAPD not set)'
        : {
            cpuMicros: fmt(per('ldap')),
            wallMs: ms('ldap'),
            ratioToLocal: Number((per('ldap') / per('local')).toFixed(3)),
          },
  };
}
