/**
 * The platform verifiers on their own, one rejection test per verification step and the happy
 * path per platform: App Attest on Apple's published sample (real chain to the real root) and
 * on objects made under test roots; Android key attestation chains and Play Integrity tokens
 * made under test roots and keys. No database: the verdict store is tested in attestation.test.ts.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecurityLevel, VerifiedBootState } from '@peculiar/asn1-android';
import { encode } from 'cbor-x';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AndroidKeyConfig,
  verifyAndroidAssertion,
  verifyAndroidKeyAttestation,
} from '../src/attestation/android/key-attestation.js';
import { RevocationList } from '../src/attestation/android/revocation.js';
import {
  type AppAttestConfig,
  verifyAppAssertion,
  verifyAppAttestation,
} from '../src/attestation/apple/app-attest.js';
import { AttestationError } from '../src/attestation/errors.js';
import { type PlayIntegrityConfig, verifyPlayIntegrity } from '../src/attestation/play-integrity.js';
import {
  ANDROID_APP,
  androidCas,
  androidKey,
  appAttest,
  appleCas,
  otherKey,
  PLAY_CERT_DIGEST,
  playKeys,
  playToken,
  signWith,
  type TestCa,
  testRoot,
} from './lib/attestation-fixtures.js';

const NOW = Date.UTC(2030, 0, 15, 9, 0, 0);
const DAY = 86_400_000;
const sha256 = (s: string | Uint8Array) => createHash('sha256').update(s).digest();

async function failsWith(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    expect(err).toBeInstanceOf(AttestationError);
    expect((err as AttestationError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}, but it was accepted`);
}

describe('App Attest: Apple’s published sample', () => {
  const sample = JSON.parse(
    readFileSync(new URL('./fixtures/apple-app-attest-sample.json', import.meta.url), 'utf8'),
  ) as Record<string, string>;
  const config: AppAttestConfig = {
    teamId: sample.teamId as string,
    bundleId: sample.bundleId as string,
    environment: 'production',
  };
  const input = {
    attestation: new Uint8Array(
      encode({
        fmt: 'apple-appattest',
        attStmt: {
          x5c: [sample.credCert, sample.intermediate].map((c) => Buffer.from(c as string, 'base64')),
        },
        authData: Buffer.from(sample.authData as string, 'base64'),
      }),
    ),
    keyId: sample.keyId as string,
    clientDataHash: new Uint8Array(Buffer.from(sample.clientDataHash as string)),
  };
  const at = Date.parse(sample.verifyAt as string);

  it('verifies against the shipped Apple App Attestation root, production environment', async () => {
    const key = await verifyAppAttestation(config, input, at);
    expect(key.keyId).toBe(sample.keyId);
    expect(key.environment).toBe('production');
  });

  it('is refused once its leaf certificate has expired', async () => {
    await failsWith(
      verifyAppAttestation(config, input, Date.parse('2024-04-21T00:00:00Z')),
      'attestation_certificate_expired',
    );
  });

  it('is refused for another challenge, another app and under a test root', async () => {
    await failsWith(
      verifyAppAttestation(config, { ...input, clientDataHash: sha256('another challenge') }, at),
      'attestation_nonce_mismatch',
    );
    await failsWith(
      verifyAppAttestation({ ...config, bundleId: 'com.example.other' }, input, at),
      'attestation_app_mismatch',
    );
    const { root } = await appleCas(at);
    await failsWith(
      verifyAppAttestation({ ...config, roots: [root.cert.toString('pem')] }, input, at),
      'attestation_wrong_root',
    );
  });
});

describe('App Attest under a test root', () => {
  const appId = 'A1B2C3D4E5.com.example.bulwark';
  const clientData = 'challenge.jkt';
  const hash = sha256(clientData);
  let cas: { root: TestCa; intermediate: TestCa };
  let config: AppAttestConfig;
  beforeAll(async () => {
    cas = await appleCas(NOW);
    config = {
      teamId: 'A1B2C3D4E5',
      bundleId: 'com.example.bulwark',
      environment: 'production',
      roots: [cas.root.cert.toString('pem')],
    };
  });
  const attest = (device: { keyId: string; attestation: Uint8Array }, c = config, at = NOW, h = hash) =>
    verifyAppAttestation(c, { attestation: device.attestation, keyId: device.keyId, clientDataHash: h }, at);

  it('accepts a good attestation and then assertions with increasing counters', async () => {
    const device = await appAttest(cas, appId, clientData, NOW);
    const key = await attest(device);
    expect(key.environment).toBe('production');
    const counter = verifyAppAssertion(config, {
      assertion: device.assertion('step.jkt', 1),
      clientData: Buffer.from('step.jkt'),
      publicKey: key.publicKey,
      previousCounter: 0,
    });
    expect(counter).toBe(1);
  });

  it('refuses a chain to another root', async () => {
    const other = await appleCas(NOW);
    await failsWith(attest(await appAttest(other, appId, clientData, NOW)), 'attestation_wrong_root');
  });

  it('refuses an expired leaf certificate', async () => {
    await failsWith(
      attest(await appAttest(cas, appId, clientData, NOW, { leafNotAfter: NOW - 1000 })),
      'attestation_certificate_expired',
    );
  });

  it('refuses a wrong nonce', async () => {
    await failsWith(
      attest(await appAttest(cas, appId, clientData, NOW), config, NOW, sha256('other')),
      'attestation_nonce_mismatch',
    );
    await failsWith(
      attest(await appAttest(cas, appId, clientData, NOW, { nonceOf: sha256('x') })),
      'attestation_nonce_mismatch',
    );
  });

  it('refuses a key id that is not the attested key', async () => {
    await failsWith(
      attest(await appAttest(cas, appId, clientData, NOW, { keyIdOf: 'other' })),
      'attestation_key_mismatch',
    );
  });

  it('refuses another app id', async () => {
    await failsWith(
      attest(await appAttest(cas, 'A1B2C3D4E5.com.example.evil', clientData, NOW)),
      'attestation_app_mismatch',
    );
  });

  it('refuses a counter that is not 0 at attestation', async () => {
    await failsWith(
      attest(await appAttest(cas, appId, clientData, NOW, { counter: 1 })),
      'attestation_counter_invalid',
    );
  });

  it('refuses a development key in production, accepts it in development', async () => {
    const device = await appAttest(cas, appId, clientData, NOW, { environment: 'development' });
    await failsWith(attest(device), 'attestation_environment_mismatch');
    const key = await attest(device, { ...config, environment: 'development' });
    expect(key.environment).toBe('development');
  });

  it('refuses garbage', async () => {
    await failsWith(
      attest({ keyId: 'AA==', attestation: new Uint8Array([1, 2, 3]) }),
      'attestation_malformed',
    );
    await failsWith(
      attest({ keyId: 'AA==', attestation: new Uint8Array(encode({ fmt: 'packed' })) }),
      'attestation_malformed',
    );
  });

  it('refuses an assertion whose counter does not increase, by another key, or for another app', async () => {
    const device = await appAttest(cas, appId, clientData, NOW);
    const key = await attest(device);
    const check = (assertion: Uint8Array, previousCounter: number) => () =>
      verifyAppAssertion(config, {
        assertion,
        clientData: Buffer.from('s'),
        publicKey: key.publicKey,
        previousCounter,
      });
    await failsWith(check(device.assertion('s', 5), 5), 'attestation_counter_invalid');
    await failsWith(check(device.assertion('s', 4), 5), 'attestation_counter_invalid');
    await failsWith(check(device.assertion('other', 6), 5), 'attestation_signature_invalid');
    const stranger = await appAttest(cas, appId, clientData, NOW);
    await failsWith(check(stranger.assertion('s', 6), 5), 'attestation_signature_invalid');
    await failsWith(
      check(device.assertion('s', 6, 'A1B2C3D4E5.com.example.evil'), 5),
      'attestation_app_mismatch',
    );
  });
});

describe('Android key attestation under a test root', () => {
  const clientData = 'challenge.jkt';
  let cas: { root: TestCa; intermediate: TestCa };
  let config: AndroidKeyConfig;
  let dir: string;
  const revocations = (entries: Record<string, unknown> = {}) => {
    const file = join(dir, `status-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify({ entries }));
    return new RevocationList({ file }, () => NOW);
  };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-status-'));
    cas = await androidCas(NOW);
    config = {
      packageNames: [ANDROID_APP.packageName],
      signingCertDigests: [ANDROID_APP.signingCertDigest.toString('hex').toUpperCase()],
      roots: [cas.root.cert.toString('pem')],
    };
  });
  const verify = async (chain: string[], list = revocations(), at = NOW, c = config) =>
    verifyAndroidKeyAttestation(
      c,
      list,
      { chain: chain.map((b) => Buffer.from(b, 'base64')), clientData: Buffer.from(clientData) },
      at,
    );

  it('accepts a TEE key on a locked, verified device, and a StrongBox key', async () => {
    const { chain, privateKey } = await androidKey(cas, clientData, NOW);
    const key = await verify(chain);
    expect(key).toMatchObject({
      securityLevel: 'tee',
      verifiedBootState: 'verified',
      deviceLocked: true,
      packageName: ANDROID_APP.packageName,
    });
    verifyAndroidAssertion({
      signature: Buffer.from(signWith(privateKey, 'step'), 'base64'),
      clientData: Buffer.from('step'),
      publicKey: key.publicKey,
    });
    const strong = await androidKey(cas, clientData, NOW, { securityLevel: SecurityLevel.strongBox });
    expect((await verify(strong.chain)).securityLevel).toBe('strongbox');
  });

  it('refuses a chain to another root', async () => {
    const other = await androidCas(NOW);
    await failsWith(verify((await androidKey(other, clientData, NOW)).chain), 'attestation_wrong_root');
  });

  it('refuses an expired certificate', async () => {
    await failsWith(
      verify((await androidKey(cas, clientData, NOW, { leafNotAfter: NOW - DAY / 2 })).chain),
      'attestation_certificate_expired',
    );
  });

  it('trusts a chain that ends with an expired copy of a configured root (same name and key), not an expired configured root', async () => {
    const expiredCopy = await testRoot('Test Hardware Attestation Root', NOW - 20 * 365 * DAY, cas.root.keys);
    const { chain } = await androidKey(cas, clientData, NOW);
    const withCopy = [...chain, Buffer.from(expiredCopy.cert.rawData).toString('base64')];
    expect((await verify(withCopy)).securityLevel).toBe('tee');
    await failsWith(
      verify(chain, revocations(), NOW, { ...config, roots: [expiredCopy.cert.toString('pem')] }),
      'attestation_certificate_expired',
    );
  });

  it('refuses a revoked leaf or intermediate, and fails closed without a status list', async () => {
    const { chain, leafSerial } = await androidKey(cas, clientData, NOW, { leafSerial: '0a1b2c3d' });
    await failsWith(
      verify(chain, revocations({ a1b2c3d: { status: 'REVOKED', reason: 'KEY_COMPROMISE' } })),
      'attestation_certificate_revoked',
    );
    expect(leafSerial).toBe('0a1b2c3d');
    const intermediateSerial = cas.intermediate.cert.serialNumber.toLowerCase().replace(/^0+/, '');
    await failsWith(
      verify(chain, revocations({ [intermediateSerial]: { status: 'SUSPENDED' } })),
      'attestation_certificate_revoked',
    );
    await failsWith(
      verify(chain, new RevocationList({ file: join(dir, 'missing.json') }, () => NOW)),
      'attestation_revocation_unavailable',
    );
  });

  it('uses a cached status list while the source is down, within maxStaleSeconds', async () => {
    let up = true;
    let now = NOW;
    const list = new RevocationList(
      {
        url: 'https://status.example/attestation/status',
        refreshSeconds: 60,
        maxStaleSeconds: 3600,
        fetch: (async () =>
          up
            ? new Response(JSON.stringify({ entries: {} }))
            : new Response('down', { status: 503 })) as typeof fetch,
      },
      () => now,
    );
    const { chain } = await androidKey(cas, clientData, NOW);
    await verify(chain, list);
    up = false;
    now += 120_000;
    await verify(chain, list);
    now += 7200_000;
    await failsWith(verify(chain, list), 'attestation_revocation_unavailable');
  });

  it('refuses a wrong challenge', async () => {
    await failsWith(
      verify((await androidKey(cas, clientData, NOW, { challenge: Buffer.from('other') })).chain),
      'attestation_nonce_mismatch',
    );
  });

  it('refuses a software-only key', async () => {
    await failsWith(
      verify((await androidKey(cas, clientData, NOW, { securityLevel: SecurityLevel.software })).chain),
      'attestation_software_key',
    );
  });

  it('refuses an unlocked bootloader and an unverified boot', async () => {
    await failsWith(
      verify((await androidKey(cas, clientData, NOW, { deviceLocked: false })).chain),
      'attestation_boot_unverified',
    );
    const unverified = await androidKey(cas, clientData, NOW, { bootState: VerifiedBootState.unverified });
    await failsWith(verify(unverified.chain), 'attestation_boot_unverified');
    const key = await verify(unverified.chain, revocations(), NOW, {
      ...config,
      allowUnlockedBootloader: true,
    });
    expect(key.verifiedBootState).toBe('unverified');
  });

  it('refuses another package and another signing certificate', async () => {
    await failsWith(
      verify((await androidKey(cas, clientData, NOW, { packageName: 'com.example.repackaged' })).chain),
      'attestation_app_mismatch',
    );
    await failsWith(
      verify((await androidKey(cas, clientData, NOW, { signingDigest: sha256('attacker key') })).chain),
      'attestation_signing_digest_mismatch',
    );
  });

  it('refuses a step-up signature by another key', async () => {
    const { chain } = await androidKey(cas, clientData, NOW);
    const key = await verify(chain);
    await failsWith(
      () =>
        verifyAndroidAssertion({
          signature: Buffer.from(signWith(otherKey(), 'step'), 'base64'),
          clientData: Buffer.from('step'),
          publicKey: key.publicKey,
        }),
      'attestation_signature_invalid',
    );
  });
});

describe('Play Integrity', () => {
  const requestHash = sha256('challenge.jkt').toString('base64url');
  const packageName = 'com.example.bulwark';
  let keys: Awaited<ReturnType<typeof playKeys>>;
  let config: PlayIntegrityConfig;
  beforeAll(async () => {
    keys = await playKeys();
    config = {
      packageName,
      decryptionKey: keys.decryptionKey,
      verificationKey: keys.verificationKey,
      certDigests: [PLAY_CERT_DIGEST],
    };
  });
  const token = (o: Partial<Parameters<typeof playToken>[1]> = {}, k = keys) =>
    playToken(k, { requestHash, packageName, nowMs: NOW, ...o });

  it('decrypts, verifies and accepts a good token', async () => {
    const verdict = await verifyPlayIntegrity(config, await token(), requestHash, NOW + 1000);
    expect(verdict).toMatchObject({
      packageName,
      appRecognitionVerdict: 'PLAY_RECOGNIZED',
      deviceRecognitionVerdict: ['MEETS_DEVICE_INTEGRITY'],
    });
  });

  it('refuses a token for another package', async () => {
    await failsWith(
      verifyPlayIntegrity(config, await token({ packageName: 'com.example.other' }), requestHash, NOW),
      'attestation_app_mismatch',
    );
  });

  it('refuses a failed device verdict', async () => {
    await failsWith(
      verifyPlayIntegrity(config, await token({ deviceVerdicts: [] }), requestHash, NOW),
      'attestation_device_verdict_failed',
    );
    await failsWith(
      verifyPlayIntegrity(
        config,
        await token({ deviceVerdicts: ['MEETS_VIRTUAL_INTEGRITY'] }),
        requestHash,
        NOW,
      ),
      'attestation_device_verdict_failed',
    );
  });

  it('refuses an unrecognized app, another signing certificate, another request hash, an old token', async () => {
    await failsWith(
      verifyPlayIntegrity(config, await token({ appVerdict: 'UNRECOGNIZED_VERSION' }), requestHash, NOW),
      'attestation_app_verdict_failed',
    );
    await failsWith(
      verifyPlayIntegrity(
        config,
        await token({ certDigest: sha256('x').toString('base64url') }),
        requestHash,
        NOW,
      ),
      'attestation_signing_digest_mismatch',
    );
    await failsWith(
      verifyPlayIntegrity(config, await token(), sha256('other').toString('base64url'), NOW),
      'attestation_nonce_mismatch',
    );
    await failsWith(
      verifyPlayIntegrity(config, await token(), requestHash, NOW + 301_000),
      'attestation_token_stale',
    );
  });

  it('refuses a token encrypted or signed with other keys, uninformatively', async () => {
    const other = await playKeys();
    await failsWith(
      verifyPlayIntegrity(
        config,
        await token({}, { ...keys, decryptionKey: other.decryptionKey }),
        requestHash,
        NOW,
      ),
      'attestation_token_invalid',
    );
    await failsWith(
      verifyPlayIntegrity(
        config,
        await token({}, { ...keys, signingKey: other.signingKey }),
        requestHash,
        NOW,
      ),
      'attestation_token_invalid',
    );
    await failsWith(
      verifyPlayIntegrity(config, 'not.a.token.at.all', requestHash, NOW),
      'attestation_token_invalid',
    );
  });
});

describe('robustness (fast-check)', () => {
  const NOW_ = NOW;
  let cas: { root: TestCa; intermediate: TestCa };
  let config: AppAttestConfig;
  beforeAll(async () => {
    cas = await appleCas(NOW_);
    config = {
      teamId: 'A1B2C3D4E5',
      bundleId: 'com.example.bulwark',
      environment: 'production',
      roots: [cas.root.cert.toString('pem')],
    };
  });
  const onlyAttestationErrors = async (run: () => unknown) => {
    try {
      await run();
      return false;
    } catch (err) {
      expect(err).toBeInstanceOf(AttestationError);
      return true;
    }
  };

  it('arbitrary bytes and strings are refused with an AttestationError, never another exception', async () => {
    const list = new RevocationList({ file: join(tmpdir(), 'no-such-status-list.json') }, () => NOW_);
    const play = await playKeys();
    const playConfig = {
      packageName: 'p',
      decryptionKey: play.decryptionKey,
      verificationKey: play.verificationKey,
      certDigests: [],
    };
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 600 }),
        fc.string({ maxLength: 300 }),
        async (bytes, text) => {
          const hash = sha256(bytes);
          expect(
            await onlyAttestationErrors(() =>
              verifyAppAttestation(config, { attestation: bytes, keyId: text, clientDataHash: hash }, NOW_),
            ),
          ).toBe(true);
          expect(
            await onlyAttestationErrors(() =>
              verifyAppAssertion(config, {
                assertion: bytes,
                clientData: hash,
                publicKey: bytes,
                previousCounter: 0,
              }),
            ),
          ).toBe(true);
          expect(
            await onlyAttestationErrors(() =>
              verifyAndroidKeyAttestation(
                { packageNames: [], signingCertDigests: [] },
                list,
                { chain: [bytes, bytes], clientData: hash },
                NOW_,
              ),
            ),
          ).toBe(true);
          expect(await onlyAttestationErrors(() => verifyPlayIntegrity(playConfig, text, 'h', NOW_))).toBe(
            true,
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('flipping any bit of the authenticator data or of a certificate of a good attestation gets it refused', async () => {
    const clientData = 'c.j';
    const device = await appAttest(cas, 'A1B2C3D4E5.com.example.bulwark', clientData, NOW_);
    const decoded = (await import('cbor-x')).decode(device.attestation) as {
      fmt: string;
      attStmt: { x5c: Uint8Array[]; receipt: Uint8Array };
      authData: Uint8Array;
    };
    const parts = [
      decoded.authData,
      decoded.attStmt.x5c[0] as Uint8Array,
      decoded.attStmt.x5c[1] as Uint8Array,
    ];
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 2 }), fc.nat(), fc.nat({ max: 7 }), async (which, index, bit) => {
        const copy = parts.map((p) => Uint8Array.from(p));
        const target = copy[which] as Uint8Array;
        const i = index % target.length;
        target[i] = (target[i] as number) ^ (1 << bit);
        const attestation = new Uint8Array(
          encode({
            fmt: decoded.fmt,
            attStmt: { x5c: [copy[1], copy[2]], receipt: decoded.attStmt.receipt },
            authData: copy[0],
          }),
        );
        expect(
          await onlyAttestationErrors(() =>
            verifyAppAttestation(
              config,
              { attestation, keyId: device.keyId, clientDataHash: sha256(clientData) },
              NOW_,
            ),
          ),
        ).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
