/**
 * `npm run bench:attestation`: server CPU per attestation verification (App Attest, Android key
 * attestation, Play Integrity) and per App Attest assertion, against one ES256 signature verify
 * (jose, key already imported) measured in the same run.
 *
 * Method: evidence is made before the clock starts, under test roots (bench-only; the work of
 * verification does not depend on which root). Process CPU time (user + system) is read around
 * each phase; phases take turns in chunks so a shared machine slows them alike, for ROUNDS
 * rounds, and the median round is reported. The verifiers are called directly (no HTTP, no
 * database), so the figures are the cryptographic and parsing cost alone; the revocation list is
 * a loaded, cached file, as in production between refreshes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactSign, compactVerify, generateKeyPair } from 'jose';
import { verifyAndroidKeyAttestation } from '../../packages/server/src/attestation/android/key-attestation.js';
import { RevocationList } from '../../packages/server/src/attestation/android/revocation.js';
import {
  verifyAppAssertion,
  verifyAppAttestation,
} from '../../packages/server/src/attestation/apple/app-attest.js';
import { sha256 } from '../../packages/server/src/attestation/lib/bytes.js';
import { verifyPlayIntegrity } from '../../packages/server/src/attestation/play-integrity.js';
import { requestHashOf } from '../../packages/server/src/attestation/service.js';
import {
  ANDROID_APP,
  androidCas,
  androidKey,
  appAttest,
  appleCas,
  PLAY_CERT_DIGEST,
  playKeys,
  playToken,
} from '../../packages/server/test/lib/attestation-fixtures.js';

const N = Number(process.env.BENCH_N ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CHUNK = 50;
const now = Date.now();
const clientData = 'challenge-challenge-challenge-challenge-abc.thumbprint-thumbprint-thumbprint-thumbprint';
const data = Buffer.from(clientData);

const apple = await appleCas(now);
const appleConfig = {
  teamId: 'A1B2C3D4E5',
  bundleId: 'com.example.bulwark',
  environment: 'production' as const,
  roots: [apple.root.cert.toString('pem')],
};
const device = await appAttest(apple, 'A1B2C3D4E5.com.example.bulwark', clientData, now);
const key = await verifyAppAttestation(
  appleConfig,
  { attestation: device.attestation, keyId: device.keyId, clientDataHash: sha256(data) },
  now,
);
const assertion = device.assertion(clientData, 1);

const android = await androidCas(now);
const statusFile = join(mkdtempSync(join(tmpdir(), 'bench-status-')), 'status.json');
writeFileSync(statusFile, JSON.stringify({ entries: { '1234': { status: 'REVOKED' } } }));
const revocations = new RevocationList({ file: statusFile }, () => now);
const androidConfig = {
  packageNames: [ANDROID_APP.packageName],
  signingCertDigests: [ANDROID_APP.signingCertDigest.toString('hex')],
  roots: [android.root.cert.toString('pem')],
};
const chain = (await androidKey(android, clientData, now)).chain.map((c) => Buffer.from(c, 'base64'));

const play = await playKeys();
const playConfig = {
  packageName: ANDROID_APP.packageName,
  decryptionKey: play.decryptionKey,
  verificationKey: play.verificationKey,
  certDigests: [PLAY_CERT_DIGEST],
};
const requestHash = requestHashOf(clientData);
const token = await playToken(play, { requestHash, packageName: ANDROID_APP.packageName, nowMs: now });

const es = await generateKeyPair('ES256');
const jws = await new CompactSign(new TextEncoder().encode('{"a":1}'))
  .setProtectedHeader({ alg: 'ES256' })
  .sign(es.privateKey);

const phases: Record<string, () => Promise<unknown>> = {
  'ES256 verify (jose, baseline)': () => compactVerify(jws, es.publicKey),
  'App Attest attestation': () =>
    verifyAppAttestation(
      appleConfig,
      { attestation: device.attestation, keyId: device.keyId, clientDataHash: sha256(data) },
      now,
    ),
  'App Attest assertion': async () =>
    verifyAppAssertion(appleConfig, {
      assertion,
      clientData: data,
      publicKey: key.publicKey,
      previousCounter: 0,
    }),
  'Android key attestation': () =>
    verifyAndroidKeyAttestation(androidConfig, revocations, { chain, clientData: data }, now),
  'Play Integrity token': () => verifyPlayIntegrity(playConfig, token, requestHash, now),
};

// Warm up every phase (JIT, caches of imported keys) before measuring.
for (const run of Object.values(phases)) for (let i = 0; i < 20; i += 1) await run();

const rounds: Record<string, number>[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  const cpu: Record<string, number> = Object.fromEntries(Object.keys(phases).map((k) => [k, 0]));
  for (let done = 0; done < N; done += CHUNK) {
    for (const [name, run] of Object.entries(phases)) {
      const start = process.cpuUsage();
      for (let i = 0; i < CHUNK; i += 1) await run();
      const used = process.cpuUsage(start);
      cpu[name] = (cpu[name] ?? 0) + used.user + used.system;
    }
  }
  rounds.push(Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, v / N])));
}

const baselineName = 'ES256 verify (jose, baseline)';
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
console.log(
  `attestation verification CPU, median of ${ROUNDS} rounds of ${N} each (Node ${process.version})`,
);
const base = median(rounds.map((r) => r[baselineName] ?? 0));
for (const name of Object.keys(phases)) {
  const us = median(rounds.map((r) => r[name] ?? 0));
  console.log(
    `${name.padEnd(32)} ${us.toFixed(0).padStart(7)} µs CPU   ${(us / base).toFixed(1).padStart(6)} × one ES256 verify`,
  );
}
