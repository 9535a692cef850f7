/**
 * Play Integrity tokens decrypted and verified locally with the app's keys from the Play
 * Console (no call to Google's decodeIntegrityToken API): JWE (A256KW, A256GCM) then JWS
 * (ES256), both with jose. Then the request hash or nonce, package name, signing certificate
 * digest, app and device verdicts and the token's age are checked.
 */
import { type CryptoKey, compactDecrypt, compactVerify, importSPKI } from 'jose';
import { AttestationError } from './errors.js';

/** The app's Play Integrity keys and what the server requires. */
export interface PlayIntegrityConfig {
  readonly packageName: string;
  /** The decryption key from the Play Console (base64 of 32 bytes). */
  readonly decryptionKey: string;
  /** The verification key from the Play Console (base64 of an EC P-256 SPKI). */
  readonly verificationKey: string;
  /** Accepted SHA-256 digests of the signing certificate (base64url, as the token writes them). */
  readonly certDigests: readonly string[];
  /** Device verdicts of which one must be present; default `MEETS_DEVICE_INTEGRITY`. */
  readonly requiredDeviceVerdicts?: readonly string[];
  /** Require `PLAY_RECOGNIZED`; default true. */
  readonly requirePlayRecognized?: boolean;
  /** Oldest accepted `timestampMillis`, in seconds; default 300. */
  readonly maxAgeSeconds?: number;
}

/** What the token established. */
export interface PlayIntegrityVerdict {
  readonly packageName: string;
  readonly appRecognitionVerdict: string;
  readonly deviceRecognitionVerdict: readonly string[];
  readonly licensingVerdict?: string;
  readonly timestampMillis: number;
}

interface Payload {
  requestDetails?: {
    requestPackageName?: string;
    nonce?: string;
    requestHash?: string;
    timestampMillis?: string | number;
  };
  appIntegrity?: { appRecognitionVerdict?: string; packageName?: string; certificateSha256Digest?: string[] };
  deviceIntegrity?: { deviceRecognitionVerdict?: string[] };
  accountDetails?: { appLicensingVerdict?: string };
}

const verificationKeys = new Map<string, Promise<CryptoKey>>();

function verificationKey(base64: string): Promise<CryptoKey> {
  let key = verificationKeys.get(base64);
  if (key === undefined) {
    const pem = `-----BEGIN PUBLIC KEY-----\n${base64.replace(/\s+/g, '')}\n-----END PUBLIC KEY-----`;
    key = importSPKI(pem, 'ES256') as Promise<CryptoKey>;
    verificationKeys.set(base64, key);
  }
  return key;
}

/**
 * Decrypts and verifies `token`, whose request hash (or nonce) must be `expectedRequestHash`.
 *
 * @example
 * ```ts
 * const verdict = await verifyPlayIntegrity(config, token, requestHash, Date.now());
 * ```
 */
export async function verifyPlayIntegrity(
  config: PlayIntegrityConfig,
  token: string,
  expectedRequestHash: string,
  nowMs: number,
): Promise<PlayIntegrityVerdict> {
  let payload: Payload;
  try {
    const { plaintext } = await compactDecrypt(token, Buffer.from(config.decryptionKey, 'base64'), {
      keyManagementAlgorithms: ['A256KW'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    const jws = new TextDecoder().decode(plaintext);
    const verified = await compactVerify(jws, await verificationKey(config.verificationKey), {
      algorithms: ['ES256'],
    });
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Payload;
  } catch (cause) {
    // One answer whatever failed (key, tag, signature, JSON): crypto failures stay uninformative.
    throw new AttestationError('attestation_token_invalid', 'The integrity token cannot be verified.', {
      cause,
    });
  }
  const request = payload.requestDetails;
  const app = payload.appIntegrity;
  if (request?.requestPackageName !== config.packageName || app?.packageName !== config.packageName) {
    throw new AttestationError('attestation_app_mismatch', 'The token is for another package.');
  }
  if ((request.requestHash ?? request.nonce) !== expectedRequestHash) {
    throw new AttestationError('attestation_nonce_mismatch', 'The token is not for this challenge.');
  }
  const timestampMillis = Number(request.timestampMillis);
  const maxAge = (config.maxAgeSeconds ?? 300) * 1000;
  if (
    !Number.isFinite(timestampMillis) ||
    nowMs - timestampMillis > maxAge ||
    timestampMillis - nowMs > 60_000
  ) {
    throw new AttestationError('attestation_token_stale', 'The token is too old or from the future.');
  }
  if ((config.requirePlayRecognized ?? true) && app.appRecognitionVerdict !== 'PLAY_RECOGNIZED') {
    throw new AttestationError('attestation_app_verdict_failed', 'Play does not recognize this app binary.');
  }
  const digests = app.certificateSha256Digest ?? [];
  if (digests.length === 0 || !digests.some((d) => config.certDigests.includes(d))) {
    throw new AttestationError(
      'attestation_signing_digest_mismatch',
      'The app is signed with another certificate.',
    );
  }
  const device = payload.deviceIntegrity?.deviceRecognitionVerdict ?? [];
  const required = config.requiredDeviceVerdicts ?? ['MEETS_DEVICE_INTEGRITY'];
  if (!required.some((v) => device.includes(v))) {
    throw new AttestationError(
      'attestation_device_verdict_failed',
      'The device does not meet the integrity required.',
    );
  }
  return {
    packageName: app.packageName,
    appRecognitionVerdict: app.appRecognitionVerdict ?? 'UNEVALUATED',
    deviceRecognitionVerdict: device,
    ...(payload.accountDetails?.appLicensingVerdict === undefined
      ? {}
      : { licensingVerdict: payload.accountDetails.appLicensingVerdict }),
    timestampMillis,
  };
}
