/**
 * The SDK's attestation round trip against the real server on loopback, through each adapter
 * driven by a fake that follows its module's documented API (@expo/app-integrity,
 * @pagopa/io-react-native-integrity, @capgo/capacitor-app-attest) and produces evidence under the
 * test's own roots: one call attests the device, a refused step-up is repeated once with a fresh
 * assertion, and module failures surface as `attestation_unavailable`.
 */
import { randomUUID, webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildApp,
  createServerContext,
  createUser,
  openDatabase,
  requireAuth,
  requireIntegrity,
} from '@bulwark/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANDROID_APP,
  androidCas,
  androidKey,
  appAttest,
  appleCas,
  ecKeys,
  PLAY_CERT_DIGEST,
  playKeys,
  playToken,
  signWith,
  type TestCa,
} from '../../server/test/lib/attestation-fixtures.js';
import {
  type AttestationProvider,
  attestDevice,
  type CapgoAppAttestPlugin,
  CapgoAppAttestProvider,
  DeviceKey,
  ExpoAppAttestProvider,
  type ExpoAppIntegrityModule,
  ExpoPlayIntegrityProvider,
  MemorySessionStore,
  noAttestation,
  type PagopaIntegrityModule,
  PagopaKeyAttestationProvider,
  requestWithStepUp,
  type ServerProblemError,
  Transport,
} from '../src/index.js';
import { posture, USER } from './lib/real-server.js';

const APP_ID = 'A1B2C3D4E5.com.example.bulwark';
let url: string;
let close: () => Promise<void>;
let apple: { root: TestCa; intermediate: TestCa };
let android: { root: TestCa; intermediate: TestCa };
let play: Awaited<ReturnType<typeof playKeys>>;

beforeAll(async () => {
  const now = Date.now();
  apple = await appleCas(now);
  android = await androidCas(now);
  play = await playKeys();
  const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-attestation-'));
  const statusFile = join(dataDir, 'status.json');
  await writeFile(statusFile, JSON.stringify({ entries: {} }));
  const db = await openDatabase({ dataDir });
  const ctx = await createServerContext({
    db: db.db,
    cache: db.cache,
    auth: {
      passwords: { maxConcurrentHashes: 2, maxQueuedHashes: 64 },
      attestation: {
        policy: { mode: 'enforce', routes: { transfer: { verified: 'step_up' } } },
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
      },
    },
  });
  await createUser(
    { db: ctx.db, passwords: ctx.passwords, rules: ctx.config.passwords, now: ctx.now },
    { ...USER, role: 'user' },
  );
  const app = await buildApp({ db: db.db, context: ctx, logger: false });
  app.post(
    '/transfers',
    { onRequest: requireAuth(ctx), preHandler: requireIntegrity(ctx, 'transfer') },
    async () => ({ done: true }),
  );
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  close = async () => {
    await app.close();
    await ctx.events.flush();
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  };
}, 60_000);

afterAll(async () => {
  await close();
});

async function signedIn(): Promise<Transport> {
  const transport = new Transport({
    baseUrl: url,
    devMode: true,
    deviceKey: await DeviceKey.generate(),
    sessions: new MemorySessionStore(),
    posture,
  });
  await transport.login({ ...USER, deviceId: randomUUID() });
  return transport;
}

/** A fake of @expo/app-integrity on iOS: a Secure Enclave key per generateKeyAsync, counters per key. */
function fakeExpoIos(): ExpoAppIntegrityModule & { keys: Map<string, CryptoKeyPair> } {
  const keys = new Map<string, CryptoKeyPair>();
  const attested = new Map<string, Awaited<ReturnType<typeof appAttest>>>();
  const counters = new Map<string, number>();
  return {
    keys,
    isSupported: true,
    async generateKeyAsync() {
      const pair = await ecKeys('P-256');
      const raw = new Uint8Array(await webcrypto.subtle.exportKey('raw', pair.publicKey));
      const keyId = Buffer.from(await webcrypto.subtle.digest('SHA-256', raw)).toString('base64');
      keys.set(keyId, pair);
      return keyId;
    },
    async attestKeyAsync(keyId, challenge) {
      const pair = keys.get(keyId);
      if (pair === undefined) throw new Error('ERR_APP_INTEGRITY_INVALID_KEY');
      const device = await appAttest(apple, APP_ID, challenge, Date.now(), { keys: pair });
      attested.set(keyId, device);
      return Buffer.from(device.attestation).toString('base64');
    },
    async generateAssertionAsync(keyId, challenge) {
      const device = attested.get(keyId);
      if (device === undefined) throw new Error('ERR_APP_INTEGRITY_INVALID_KEY');
      const counter = (counters.get(keyId) ?? 0) + 1;
      counters.set(keyId, counter);
      return Buffer.from(device.assertion(challenge, counter)).toString('base64');
    },
  };
}

/** A fake of @expo/app-integrity on Android: prepare once, then tokens for a request hash. */
function fakeExpoAndroid(): ExpoAppIntegrityModule & { prepared: string[] } {
  const prepared: string[] = [];
  return {
    prepared,
    async prepareIntegrityTokenProviderAsync(cloudProjectNumber) {
      prepared.push(cloudProjectNumber);
    },
    async requestIntegrityCheckAsync(requestHash) {
      if (prepared.length === 0) throw new Error('ERR_APP_INTEGRITY_PROVIDER_INVALID');
      return playToken(play, { requestHash, packageName: ANDROID_APP.packageName, nowMs: Date.now() });
    },
  };
}

const memoryKeyIds = () => {
  let value: string | null = null;
  return {
    get: async () => value,
    set: async (v: string) => {
      value = v;
    },
  };
};

describe('attestation round trip through the SDK', () => {
  it('App Attest (@expo/app-integrity): one call attests; a guarded request steps up with a fresh assertion', async () => {
    const transport = await signedIn();
    const keyIds = memoryKeyIds();
    const provider = new ExpoAppAttestProvider(fakeExpoIos(), keyIds);
    const result = await attestDevice(transport, provider);
    expect(result.verdict).toMatchObject({
      kind: 'app_attest',
      status: 'verified',
      environment: 'production',
    });
    expect(await keyIds.get()).not.toBeNull();
    const refused = await transport.request('POST', '/transfers', {}).catch((e: unknown) => e);
    expect((refused as ServerProblemError).code).toBe('device_integrity_step_up');
    expect(await requestWithStepUp(transport, provider, 'POST', '/transfers', {})).toEqual({ done: true });
    expect(await requestWithStepUp(transport, provider, 'POST', '/transfers', {})).toEqual({ done: true });
  });

  it('Play Integrity (@expo/app-integrity): prepares once, sends a token for the request hash', async () => {
    const transport = await signedIn();
    const module = fakeExpoAndroid();
    const provider = new ExpoPlayIntegrityProvider(module, '123456789012');
    expect((await attestDevice(transport, provider)).verdict).toMatchObject({
      kind: 'play_integrity',
      status: 'verified',
    });
    expect(await requestWithStepUp(transport, provider, 'POST', '/transfers', {})).toEqual({ done: true });
    expect(module.prepared).toEqual(['123456789012']);
  });

  it('Android key attestation (@pagopa/io-react-native-integrity): the chain as the module encodes it, step-up signed', async () => {
    const transport = await signedIn();
    let signer: Awaited<ReturnType<typeof androidKey>>['privateKey'] | undefined;
    const module: PagopaIntegrityModule = {
      async getAttestation(challenge) {
        const made = await androidKey(android, challenge, Date.now());
        signer = made.privateKey;
        // The module: each DER certificate base64 (76-column lines), joined by commas, base64 again.
        const lines = made.chain.map((c) => c.replace(/(.{76})/g, '$1\n'));
        return Buffer.from(lines.join(',')).toString('base64');
      },
    };
    const provider = new PagopaKeyAttestationProvider(module, {
      sign: async (data) => {
        if (signer === undefined) throw new Error('no key');
        return signWith(signer, data);
      },
    });
    expect((await attestDevice(transport, provider)).verdict).toMatchObject({
      kind: 'android_key',
      status: 'verified',
    });
    expect(await requestWithStepUp(transport, provider, 'POST', '/transfers', {})).toEqual({ done: true });
  });

  it('Capacitor (@capgo/capacitor-app-attest): App Attest on iOS through the plugin', async () => {
    const transport = await signedIn();
    const ios = fakeExpoIos();
    let stored: string | null = null;
    const plugin: CapgoAppAttestPlugin = {
      isSupported: async () => ({ isSupported: true, format: 'apple-app-attest' }),
      async prepare() {
        stored = await (ios.generateKeyAsync as () => Promise<string>)();
        return { keyId: stored, format: 'apple-app-attest' };
      },
      async createAttestation({ keyId, challenge }) {
        const token = await (ios.attestKeyAsync as (k: string, c: string) => Promise<string>)(
          keyId,
          challenge,
        );
        return { token, keyId, format: 'apple-app-attest' };
      },
      async createAssertion({ keyId, payload }) {
        const token = await (ios.generateAssertionAsync as (k: string, c: string) => Promise<string>)(
          keyId,
          payload,
        );
        return { token, format: 'apple-app-attest' };
      },
      getStoredKeyId: async () => ({ keyId: stored, hasStoredKey: stored !== null }),
    };
    const provider = new CapgoAppAttestProvider(plugin);
    expect((await attestDevice(transport, provider)).verdict).toMatchObject({
      kind: 'app_attest',
      status: 'verified',
    });
    expect(await requestWithStepUp(transport, provider, 'POST', '/transfers', {})).toEqual({ done: true });
  });

  it('a PWA declares no attestation and is allowed with a warning; it cannot step up', async () => {
    const transport = await signedIn();
    const provider = noAttestation('pwa');
    expect((await attestDevice(transport, provider)).decision).toMatchObject({ action: 'warn' });
    await expect(requestWithStepUp(transport, provider, 'POST', '/transfers', {})).resolves.toEqual({
      done: true,
    });
  });

  it('module failures are attestation_unavailable, with the module error as cause', async () => {
    const transport = await signedIn();
    const broken: AttestationProvider = new ExpoAppAttestProvider(
      { isSupported: false, generateKeyAsync: async () => 'x', attestKeyAsync: async () => 'x' },
      memoryKeyIds(),
    );
    await expect(attestDevice(transport, broken)).rejects.toMatchObject({ code: 'attestation_unavailable' });
    const failing = new ExpoPlayIntegrityProvider(
      {
        prepareIntegrityTokenProviderAsync: async () => {
          throw new Error('ERR_APP_INTEGRITY_API_NOT_AVAILABLE');
        },
        requestIntegrityCheckAsync: async () => 'x',
      },
      '1',
    );
    const err = await attestDevice(transport, failing).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'attestation_unavailable' });
    expect(((err as Error).cause as Error).message).toBe('ERR_APP_INTEGRITY_API_NOT_AVAILABLE');
    const unsupported: CapgoAppAttestPlugin = {
      isSupported: async () => ({ isSupported: false, format: 'web-fallback' }),
      prepare: async () => ({ keyId: '', format: 'web-fallback' }),
      createAttestation: async () => ({ token: '', keyId: '', format: 'web-fallback' }),
      createAssertion: async () => ({ token: '', format: 'web-fallback' }),
      getStoredKeyId: async () => ({ keyId: null, hasStoredKey: false }),
    };
    await expect(attestDevice(transport, new CapgoAppAttestProvider(unsupported))).rejects.toMatchObject({
      code: 'attestation_unavailable',
    });
  });
});
