/**
 * Device attestation through the HTTP API on both dialects: single-use short-lived challenges
 * (replay, expiry, another device's), evidence of each platform turned into a verdict stored
 * with the device and logged, the admin view of it, and the policy on routes: audit-only logs
 * but allows, enforce refuses with `device_integrity_refused`, step-up demands a fresh
 * assertion (single use, increasing counter), a stale verdict is re-checked.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecurityLevel } from '@peculiar/asn1-android';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import type { AttestationOptions } from '../src/attestation/config.js';
import { requireIntegrity } from '../src/attestation/guard.js';
import { requestHashOf } from '../src/attestation/service.js';
import { createServerContext } from '../src/context.js';
import { requireAuth } from '../src/http/authenticate.js';
import {
  ANDROID_APP,
  androidCas,
  androidKey,
  appAttest,
  appleCas,
  PLAY_CERT_DIGEST,
  playKeys,
  playToken,
  signWith,
  type TestCa,
} from './lib/attestation-fixtures.js';
import { type Dialect, describeEachDialect, openTestDatabase } from './lib/databases.js';
import {
  PASSWORD,
  type Session,
  TEST_AUTH,
  TestClock,
  TestDevice,
  type TestServer,
  testServerOf,
} from './lib/harness.js';

const APP_ID = 'A1B2C3D4E5.com.example.bulwark';
const START = new TestClock().ms;
let apple: { root: TestCa; intermediate: TestCa };
let android: { root: TestCa; intermediate: TestCa };
let play: Awaited<ReturnType<typeof playKeys>>;
let statusFile: string;

beforeAll(async () => {
  apple = await appleCas(START);
  android = await androidCas(START);
  play = await playKeys();
  statusFile = join(mkdtempSync(join(tmpdir(), 'bulwark-status-')), 'status.json');
  writeFileSync(statusFile, JSON.stringify({ entries: { dead: { status: 'REVOKED' } } }));
});

function options(policy: NonNullable<AttestationOptions['policy']>): AttestationOptions {
  return {
    policy,
    challengeTtlSeconds: 120,
    apple: {
      teamId: 'A1B2C3D4E5',
      bundleId: 'com.example.bulwark',
      environment: 'production',
      roots: [apple.root.cert.toString('pem')],
    },
    android: {
      packageNames: [ANDROID_APP.packageName],
      signingCertDigests: [ANDROID_APP.signingCertDigest.toString('hex')],
      roots: [android.root.cert.toString('pem')],
      revocation: { file: statusFile },
    },
    playIntegrity: {
      packageName: ANDROID_APP.packageName,
      decryptionKey: play.decryptionKey,
      verificationKey: play.verificationKey,
      certDigests: [PLAY_CERT_DIGEST],
    },
  };
}

/** A server whose app has two guarded routes: `transfer` and `profile`. */
async function start(
  dialect: Dialect,
  policy: NonNullable<AttestationOptions['policy']>,
): Promise<TestServer> {
  const database = await openTestDatabase(dialect);
  const clock = new TestClock();
  const ctx = await createServerContext({
    db: database.db,
    cache: database.cache,
    now: clock.now,
    auth: { ...TEST_AUTH, attestation: options(policy) },
  });
  const app = await buildApp({ db: database.db, context: ctx, logger: false });
  for (const route of ['transfer', 'profile']) {
    app.post(
      `/test/${route}`,
      { onRequest: requireAuth(ctx), preHandler: requireIntegrity(ctx, route) },
      async () => ({
        ok: true,
      }),
    );
  }
  await app.ready();
  return testServerOf(app, ctx, database, clock);
}

describeEachDialect('device attestation', (dialect) => {
  let s: TestServer;
  let device: TestDevice;
  let session: Session;
  afterEach(async () => {
    await s.close();
  });

  async function signIn(policy: NonNullable<AttestationOptions['policy']>) {
    s = await start(dialect, policy);
    await s.user('ann', PASSWORD);
    device = await TestDevice.create(s);
    session = await device.login('ann', PASSWORD);
  }
  const challenge = async (purpose: 'attest' | 'assert' = 'attest') => {
    const res = await device.call(session, 'POST', '/devices/attestation/challenge', { purpose });
    expect(res.statusCode).toBe(200);
    return res.json() as { challengeId: string; challenge: string; clientData: string; expiresAt: string };
  };
  const submit = (challengeId: string, evidence: Record<string, unknown>) =>
    device.call(session, 'POST', '/devices/attestation', { challengeId, evidence });
  const attestApple = async (o: Parameters<typeof appAttest>[4] = {}) => {
    const c = await challenge();
    const key = await appAttest(apple, APP_ID, c.clientData, s.clock.ms, o);
    const res = await submit(c.challengeId, {
      kind: 'app_attest',
      keyId: key.keyId,
      attestation: Buffer.from(key.attestation).toString('base64'),
    });
    return { key, res };
  };
  const stored = () =>
    s.ctx.db
      .selectFrom('device_attestations')
      .selectAll()
      .where('device_id', '=', device.id)
      .executeTakeFirst();
  const events = async (type: string) => s.ctx.events.list({ type });
  const assertionHeader = async (key: Awaited<ReturnType<typeof appAttest>>, counter: number) => {
    const c = await challenge('assert');
    return {
      challenge: c,
      header: {
        'bulwark-integrity-assertion': `${c.challengeId} ${Buffer.from(key.assertion(c.clientData, counter)).toString('base64')}`,
      },
    };
  };

  it('App Attest at enrollment: verified, stored with the device and its key, logged, shown to admins', async () => {
    await signIn({ mode: 'enforce' });
    const { key, res } = await attestApple();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      verdict: { kind: 'app_attest', status: 'verified', environment: 'production' },
      decision: { action: 'allow', effective: 'allow', mode: 'enforce' },
    });
    const row = await stored();
    expect(row).toMatchObject({ kind: 'app_attest', status: 'verified', key_id: key.keyId, failure: null });
    expect(Number(row?.counter)).toBe(0);
    expect((await events('device_attestation_verified')).map((e) => e.data)).toEqual([
      { kind: 'app_attest', status: 'verified', environment: 'production' },
    ]);
    await s.user('root', PASSWORD, 'admin');
    const admin = await TestDevice.create(s);
    const adminSession = await admin.login('root', PASSWORD);
    const view = await admin.call(adminSession, 'GET', `/admin/devices/${device.id}/attestation`);
    expect(view.statusCode).toBe(200);
    expect(view.json()).toMatchObject({
      kind: 'app_attest',
      status: 'verified',
      class: 'verified',
      facts: { keyId: key.keyId },
    });
    const none = await admin.call(adminSession, 'GET', `/admin/devices/${admin.id}/attestation`);
    expect(none.json().code).toBe('attestation_not_found');
    const notAdmin = await device.call(session, 'GET', `/admin/devices/${device.id}/attestation`);
    expect(notAdmin.statusCode).toBe(403);
  });

  it('a challenge works once, expires, and belongs to the device it was given to', async () => {
    await signIn({ mode: 'enforce' });
    const c = await challenge();
    const key = await appAttest(apple, APP_ID, c.clientData, s.clock.ms);
    const evidence = {
      kind: 'app_attest',
      keyId: key.keyId,
      attestation: Buffer.from(key.attestation).toString('base64'),
    };
    expect((await submit(c.challengeId, evidence)).statusCode).toBe(200);
    const replay = await submit(c.challengeId, evidence);
    expect([replay.statusCode, replay.json().code]).toEqual([400, 'attestation_challenge_unknown']);

    const late = await challenge();
    s.clock.advance(121);
    const expired = await submit(late.challengeId, { kind: 'none', reason: 'pwa' });
    expect([expired.statusCode, expired.json().code]).toEqual([400, 'attestation_challenge_expired']);
    const again = await submit(late.challengeId, { kind: 'none', reason: 'pwa' });
    expect(again.json().code).toBe('attestation_challenge_unknown');

    // Evidence made for one device's challenge cannot be submitted by another device.
    const mine = await challenge();
    const other = await TestDevice.create(s);
    await s.user('bob', PASSWORD);
    const otherSession = await other.login('bob', PASSWORD);
    const stolen = await other.call(otherSession, 'POST', '/devices/attestation', {
      challengeId: mine.challengeId,
      evidence: { kind: 'none', reason: 'pwa' },
    });
    expect(stolen.json().code).toBe('attestation_challenge_unknown');
    // An assert challenge is not an attest challenge.
    const assertChallenge = await challenge('assert');
    expect((await submit(assertChallenge.challengeId, { kind: 'none', reason: 'pwa' })).json().code).toBe(
      'attestation_challenge_unknown',
    );
  });

  it('enforce: a development key in production is stored as failed and refused with device_integrity_refused', async () => {
    await signIn({ mode: 'enforce' });
    const { res } = await attestApple({ environment: 'development' });
    expect([res.statusCode, res.json().code]).toEqual([403, 'device_integrity_refused']);
    expect(JSON.stringify(res.json())).not.toContain('environment_mismatch');
    expect(await stored()).toMatchObject({
      status: 'failed',
      failure: 'attestation_environment_mismatch',
      public_key: null,
    });
    expect((await events('device_attestation_failed'))[0]?.data).toMatchObject({
      failure: 'attestation_environment_mismatch',
    });
    expect((await events('device_integrity_refused')).length).toBe(1);
    const guarded = await device.call(session, 'POST', '/test/profile', {});
    expect([guarded.statusCode, guarded.json().code]).toEqual([403, 'device_integrity_refused']);
  });

  it('audit-only: a failed verdict is logged with what enforcement would do, and the request is allowed', async () => {
    await signIn({ mode: 'audit' });
    const { res } = await attestApple({ appId: 'A1B2C3D4E5.com.example.repackaged' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      verdict: { status: 'failed' },
      decision: { action: 'refuse', effective: 'allow', mode: 'audit' },
    });
    const guarded = await device.call(session, 'POST', '/test/profile', {});
    expect(guarded.statusCode).toBe(200);
    expect(guarded.headers['bulwark-integrity']).toBe('audit; would=refuse; verdict=failed');
    const audit = await events('device_integrity_audit');
    expect(audit.map((e) => e.data)).toEqual([
      { route: 'enroll', verdict: 'failed', action: 'refuse' },
      { route: 'profile', verdict: 'failed', action: 'refuse' },
    ]);
    expect(await events('device_integrity_refused')).toEqual([]);
  });

  it('step-up demands a fresh assertion: single use, strictly increasing counter', async () => {
    await signIn({ mode: 'enforce', routes: { transfer: { verified: 'step_up' } } });
    const { key } = await attestApple();
    expect((await device.call(session, 'POST', '/test/profile', {})).statusCode).toBe(200);
    const bare = await device.call(session, 'POST', '/test/transfer', {});
    expect([bare.statusCode, bare.json().code]).toEqual([403, 'device_integrity_step_up']);
    expect(bare.headers['bulwark-integrity']).toBe('step_up; verdict=verified');

    const first = await assertionHeader(key, 1);
    expect((await device.call(session, 'POST', '/test/transfer', {}, first.header)).statusCode).toBe(200);
    const replayed = await device.call(session, 'POST', '/test/transfer', {}, first.header);
    expect([replayed.statusCode, replayed.json().code]).toEqual([400, 'attestation_challenge_unknown']);

    const sameCounter = await assertionHeader(key, 1);
    const res = await device.call(session, 'POST', '/test/transfer', {}, sameCounter.header);
    expect([res.statusCode, res.json().code]).toEqual([403, 'device_integrity_step_up_failed']);
    expect((await events('device_integrity_step_up_failed'))[0]?.data).toEqual({
      failure: 'attestation_counter_invalid',
    });

    const stranger = await appAttest(apple, APP_ID, 'x', s.clock.ms);
    const forged = await assertionHeader(stranger, 9);
    expect((await device.call(session, 'POST', '/test/transfer', {}, forged.header)).json().code).toBe(
      'device_integrity_step_up_failed',
    );
    const second = await assertionHeader(key, 2);
    expect((await device.call(session, 'POST', '/test/transfer', {}, second.header)).statusCode).toBe(200);
    expect(Number((await stored())?.counter)).toBe(2);

    const expiring = await assertionHeader(key, 3);
    s.clock.advance(121);
    const late = await device.call(session, 'POST', '/test/transfer', {}, expiring.header);
    expect(late.json().code).toBe('attestation_challenge_expired');
  });

  it('a verdict older than the re-check interval is stale: step-up, and an assertion re-checks it', async () => {
    await signIn({ mode: 'enforce', recheckSeconds: 3600 });
    const { key } = await attestApple();
    s.clock.advance(3601);
    session = await relogin();
    const stale = await device.call(session, 'POST', '/test/profile', {});
    expect([stale.statusCode, stale.json().code]).toEqual([403, 'device_integrity_step_up']);
    expect(stale.headers['bulwark-integrity']).toBe('step_up; verdict=stale');
    const fresh = await assertionHeader(key, 1);
    expect((await device.call(session, 'POST', '/test/profile', {}, fresh.header)).statusCode).toBe(200);
    expect((await device.call(session, 'POST', '/test/profile', {})).statusCode).toBe(200);
  });

  async function relogin(): Promise<Session> {
    return device.login('ann', PASSWORD);
  }

  it('Android key attestation: verified TEE key; step-up signed by the attested key; software keys refused', async () => {
    await signIn({ mode: 'enforce', routes: { transfer: { verified: 'step_up' } } });
    const c = await challenge();
    const { chain, privateKey } = await androidKey(android, c.clientData, s.clock.ms);
    const res = await submit(c.challengeId, { kind: 'android_key', chain });
    expect(res.json()).toMatchObject({ verdict: { kind: 'android_key', status: 'verified' } });
    expect(JSON.parse((await stored())?.facts ?? '{}')).toMatchObject({
      securityLevel: 'tee',
      deviceLocked: true,
      packageName: ANDROID_APP.packageName,
    });
    const a = await challenge('assert');
    const header = {
      'bulwark-integrity-assertion': `${a.challengeId} ${signWith(privateKey, a.clientData)}`,
    };
    expect((await device.call(session, 'POST', '/test/transfer', {}, header)).statusCode).toBe(200);

    const c2 = await challenge();
    const soft = await androidKey(android, c2.clientData, s.clock.ms, {
      securityLevel: SecurityLevel.software,
    });
    const refused = await submit(c2.challengeId, { kind: 'android_key', chain: soft.chain });
    expect(refused.json().code).toBe('device_integrity_refused');
    expect(await stored()).toMatchObject({ status: 'failed', failure: 'attestation_software_key' });
    // The failed attempt did not replace the key attested before.
    expect((await stored())?.public_key).not.toBeNull();
  });

  it('Play Integrity: a token for this request is verified; one for another package is refused', async () => {
    await signIn({ mode: 'enforce' });
    const c = await challenge();
    const token = await playToken(play, {
      requestHash: requestHashOf(c.clientData),
      packageName: ANDROID_APP.packageName,
      nowMs: s.clock.ms,
    });
    const res = await submit(c.challengeId, { kind: 'play_integrity', token });
    expect(res.json()).toMatchObject({ verdict: { kind: 'play_integrity', status: 'verified' } });
    const c2 = await challenge();
    const other = await playToken(play, {
      requestHash: requestHashOf(c2.clientData),
      packageName: 'com.example.other',
      nowMs: s.clock.ms,
    });
    expect((await submit(c2.challengeId, { kind: 'play_integrity', token: other })).json().code).toBe(
      'device_integrity_refused',
    );
    expect(await stored()).toMatchObject({ status: 'failed', failure: 'attestation_app_mismatch' });
  });

  it('no attestation available (a PWA): warned by default; a device that attested cannot fall back to none', async () => {
    await signIn({ mode: 'enforce' });
    const c = await challenge();
    const res = await submit(c.challengeId, { kind: 'none', reason: 'pwa' });
    expect(res.json()).toMatchObject({
      verdict: { kind: 'none', status: 'unavailable' },
      decision: { action: 'warn' },
    });
    const warned = await device.call(session, 'POST', '/test/profile', {});
    expect([warned.statusCode, warned.headers['bulwark-integrity']]).toEqual([
      200,
      'warn; verdict=unavailable',
    ]);
    expect((await events('device_integrity_warned')).length).toBeGreaterThan(0);

    await attestApple();
    const c2 = await challenge();
    const downgrade = await submit(c2.challengeId, { kind: 'none', reason: 'emulator' });
    expect([downgrade.statusCode, downgrade.json().code]).toEqual([409, 'attestation_downgrade']);
    expect((await stored())?.kind).toBe('app_attest');
  });

  it('refuses incomplete or oversized evidence as invalid_request, never a 500', async () => {
    await signIn({ mode: 'enforce' });
    const c = await challenge();
    for (const evidence of [
      { kind: 'app_attest', keyId: 'AA==' },
      { kind: 'android_key', chain: ['AA=='] },
      { kind: 'play_integrity', token: 'x'.repeat(20_000) },
      { kind: 'none' },
      { kind: 'tpm', reason: 'pwa' },
    ]) {
      const res = await submit(c.challengeId, evidence);
      expect([res.statusCode, res.json().code]).toEqual([400, 'invalid_request']);
    }
    const garbage = await submit(c.challengeId, { kind: 'app_attest', keyId: 'AA==', attestation: 'AAAA' });
    expect(garbage.json().code).toBe('device_integrity_refused');
    expect(await stored()).toMatchObject({ status: 'failed', failure: 'attestation_malformed' });
  });
});
