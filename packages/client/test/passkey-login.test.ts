/**
 * `Transport.login` with a passkey as second factor, against the real server on loopback: the
 * server answers `passkey_required`, the SDK hands the request options to the app's callback
 * (here a software authenticator) and repeats the sign-in with the assertion. Without a callback
 * the problem reaches the app unchanged.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, createServerContext, createUser, openDatabase, type ServerContext } from '@bulwark/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SoftAuthenticator } from '../../../test-support/webauthn.js';
import {
  DeviceKey,
  MemorySessionStore,
  type PasskeyAssertionResponse,
  type PasskeyRequestOptions,
  ServerProblemError,
  Transport,
} from '../src/index.js';
import { ADMIN, posture } from './lib/real-server.js';

let url: string;
let ctx: ServerContext;
let close: () => Promise<void>;
let authenticator: SoftAuthenticator;

async function transport(): Promise<Transport> {
  return new Transport({
    baseUrl: url,
    devMode: true,
    deviceKey: await DeviceKey.generate(),
    sessions: new MemorySessionStore(),
    posture,
  });
}

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-passkey-login-'));
  const db = await openDatabase({ dataDir });
  ctx = await createServerContext({
    db: db.db,
    cache: db.cache,
    auth: { passwords: { maxConcurrentHashes: 2, maxQueuedHashes: 64 } },
  });
  await createUser(
    { db: ctx.db, passwords: ctx.passwords, rules: ctx.config.passwords, now: ctx.now },
    { ...ADMIN, role: 'admin' },
  );
  const app = await buildApp({ db: db.db, context: ctx, logger: false });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  const port = Number(new URL(url).port);
  // What `bulwark serve` does without --public-url: passkeys from http://localhost:<port>.
  ctx.passkeys.useLocalOrigin(port);
  close = async () => {
    await app.close();
    await ctx.events.flush();
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  };

  // The admin registers a passkey through the SDK's authenticated requests.
  authenticator = new SoftAuthenticator(`http://localhost:${port}`, 'localhost');
  const admin = await transport();
  await admin.login({ ...ADMIN, deviceId: randomUUID() });
  const { options } = await admin.request<{ options: { challenge: string } }>(
    'POST',
    '/auth/passkeys/registration-options',
  );
  await admin.request('POST', '/auth/passkeys', {
    response: authenticator.create(options),
    name: 'Test key',
  });
}, 60_000);

afterAll(async () => {
  await close();
});

describe('Transport.login with a passkey', () => {
  it('calls the passkey callback on passkey_required and signs in with its assertion', async () => {
    const t = await transport();
    const asked: PasskeyRequestOptions[] = [];
    const { user } = await t.login({
      ...ADMIN,
      deviceId: randomUUID(),
      passkey: async (options) => {
        asked.push(options);
        return authenticator.get(options) as unknown as PasskeyAssertionResponse;
      },
    });
    expect(user.username).toBe(ADMIN.username);
    expect(asked).toHaveLength(1);
    expect(asked[0]?.rpId).toBe('localhost');
    expect(asked[0]?.allowCredentials?.map((c) => c.id)).toEqual([authenticator.id]);
    const passkeys = await t.request<{ passkeys: { name: string; lastUsedAt?: string }[] }>(
      'GET',
      '/auth/passkeys',
    );
    expect(passkeys.passkeys[0]?.lastUsedAt).toBeDefined();
  });

  it('throws passkey_required, with no session, when the app gives no callback', async () => {
    const t = await transport();
    const err = await t.login({ ...ADMIN, deviceId: randomUUID() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerProblemError);
    expect((err as ServerProblemError).code).toBe('passkey_required');
    expect((err as ServerProblemError).extensions.challengeId).toEqual(expect.any(String));
    await expect(t.request('GET', '/me')).rejects.toMatchObject({ code: 'not_signed_in' });
  });

  it("surfaces the server's refusal of a bad assertion", async () => {
    const t = await transport();
    const err = await t
      .login({
        ...ADMIN,
        deviceId: randomUUID(),
        passkey: async (options) =>
          authenticator.get(options, {
            origin: 'https://evil.example',
          }) as unknown as PasskeyAssertionResponse,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerProblemError);
    expect((err as ServerProblemError).code).toBe('passkey_invalid');
  });
});
