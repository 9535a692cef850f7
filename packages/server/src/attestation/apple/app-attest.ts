/**
 * Apple App Attest, verified on the server as Apple's "Validating apps that connect to your
 * server" describes: the attestation at enrollment (certificate chain to the App Attestation
 * root, nonce in extension 1.2.840.113635.100.8.2, key id, app id hash, counter 0, environment)
 * and assertions on sensitive requests (signature, strictly increasing counter). CBOR is decoded
 * by cbor-x, certificates by @peculiar/x509, the nonce extension by @peculiar/asn1-schema; only
 * the fixed authenticator-data layout is read by hand.
 */
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { AsnParser, AsnProp, OctetString } from '@peculiar/asn1-schema';
import { decode } from 'cbor-x';
import { AttestationError } from '../errors.js';
import { asBytes, octets, sameBytes, sha256 } from '../lib/bytes.js';
import { parseCertificates, verifyChain } from '../lib/chain.js';
import { APPLE_APP_ATTESTATION_ROOT_CA } from '../roots.js';

/** OID of the extension that carries the attestation nonce. */
export const APPLE_NONCE_OID = '1.2.840.113635.100.8.2';

/** `SEQUENCE { [1] EXPLICIT OCTET STRING }`: the nonce extension's value. */
class AppleNonce {
  nonce = new OctetString();
}
AsnProp({ type: OctetString, context: 1 })(AppleNonce.prototype, 'nonce');

const AAGUID_PRODUCTION = Buffer.concat([Buffer.from('appattest'), Buffer.alloc(7)]);
const AAGUID_DEVELOPMENT = Buffer.from('appattestdevelop');

/** Which app and environment the server accepts. */
export interface AppAttestConfig {
  /** Apple Developer team id, e.g. `A1B2C3D4E5`. */
  readonly teamId: string;
  /** The app's bundle id, e.g. `com.example.app`. */
  readonly bundleId: string;
  /** `production` accepts only production keys; `development` accepts both. */
  readonly environment: 'production' | 'development';
  /** Trust anchors (PEM); default Apple's App Attestation root. Tests pass their own. */
  readonly roots?: readonly string[];
}

/** What an attestation established. */
export interface AppAttestKey {
  /** base64 of SHA-256 of the key's uncompressed point (Apple's key identifier). */
  readonly keyId: string;
  /** The attested public key (SPKI DER), kept to verify assertions. */
  readonly publicKey: Uint8Array;
  readonly environment: 'production' | 'development';
  /** Apple's receipt, kept for fraud-metric requests. */
  readonly receipt: Uint8Array | undefined;
}

interface AuthData {
  readonly rpIdHash: Uint8Array;
  readonly counter: number;
  readonly aaguid?: Uint8Array;
  readonly credentialId?: Uint8Array;
}

function parseAuthData(data: Uint8Array, attested: boolean): AuthData {
  if (data.length < 37)
    throw new AttestationError('attestation_malformed', 'Authenticator data is too short.');
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const rpIdHash = view.subarray(0, 32);
  const counter = view.readUInt32BE(33);
  if (!attested) return { rpIdHash, counter };
  if (data.length < 55)
    throw new AttestationError('attestation_malformed', 'Authenticator data is too short.');
  const aaguid = view.subarray(37, 53);
  const idLength = view.readUInt16BE(53);
  if (data.length < 55 + idLength)
    throw new AttestationError('attestation_malformed', 'Credential id is cut.');
  return { rpIdHash, counter, aaguid, credentialId: view.subarray(55, 55 + idLength) };
}

function decodeCbor(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = decode(bytes);
  } catch (cause) {
    throw new AttestationError('attestation_malformed', 'The object is not CBOR.', { cause });
  }
  if (typeof value !== 'object' || value === null) {
    throw new AttestationError('attestation_malformed', 'The object is not a CBOR map.');
  }
  return value as Record<string, unknown>;
}

/**
 * Verifies an App Attest attestation object for `keyId` against `clientDataHash` (what the app
 * passed to `attestKey`: SHA-256 of the client data). Returns the attested key.
 *
 * @example
 * ```ts
 * const key = await verifyAppAttestation(config, { attestation, keyId, clientDataHash }, Date.now());
 * ```
 */
export async function verifyAppAttestation(
  config: AppAttestConfig,
  input: { attestation: Uint8Array; keyId: string; clientDataHash: Uint8Array },
  nowMs: number,
): Promise<AppAttestKey> {
  const object = decodeCbor(input.attestation);
  const statement = object.attStmt as Record<string, unknown> | undefined;
  const authData = asBytes(object.authData);
  const x5c = statement?.x5c;
  if (object.fmt !== 'apple-appattest' || authData === undefined || !Array.isArray(x5c) || x5c.length < 2) {
    throw new AttestationError('attestation_malformed', 'Not an apple-appattest attestation object.');
  }
  const ders = x5c.map(asBytes);
  if (ders.some((d) => d === undefined))
    throw new AttestationError('attestation_malformed', 'x5c holds a non-binary entry.');
  const chain = parseCertificates(ders as Uint8Array[]);
  await verifyChain(chain, parseCertificates(config.roots ?? [APPLE_APP_ATTESTATION_ROOT_CA]), nowMs);
  const leaf = chain[0];
  if (leaf === undefined) throw new AttestationError('attestation_malformed', 'No leaf certificate.');

  const extension = leaf.getExtension(APPLE_NONCE_OID);
  if (extension === null)
    throw new AttestationError('attestation_malformed', 'The leaf has no nonce extension.');
  let certNonce: Uint8Array;
  try {
    certNonce = octets(AsnParser.parse(extension.value, AppleNonce).nonce);
  } catch (cause) {
    throw new AttestationError('attestation_malformed', 'The nonce extension does not parse.', { cause });
  }
  const nonce = sha256(authData, input.clientDataHash);
  if (!sameBytes(nonce, certNonce)) {
    throw new AttestationError('attestation_nonce_mismatch', 'The attestation is not for this challenge.');
  }

  const spki = new Uint8Array(leaf.publicKey.rawData);
  const point = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({
    format: 'jwk',
  });
  if (point.x === undefined || point.y === undefined || point.crv !== 'P-256') {
    throw new AttestationError('attestation_malformed', 'The attested key is not P-256.');
  }
  const raw = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(point.x, 'base64url'),
    Buffer.from(point.y, 'base64url'),
  ]);
  const keyHash = sha256(raw);
  if (!sameBytes(keyHash, Buffer.from(input.keyId, 'base64'))) {
    throw new AttestationError('attestation_key_mismatch', 'The attested key is not the key id sent.');
  }

  const data = parseAuthData(authData, true);
  if (!sameBytes(data.rpIdHash, sha256(Buffer.from(`${config.teamId}.${config.bundleId}`)))) {
    throw new AttestationError('attestation_app_mismatch', 'The attestation is for another app.');
  }
  if (data.counter !== 0)
    throw new AttestationError('attestation_counter_invalid', 'The counter of a new key is not 0.');
  const aaguid = data.aaguid ?? new Uint8Array();
  const environment = sameBytes(aaguid, AAGUID_PRODUCTION)
    ? 'production'
    : sameBytes(aaguid, AAGUID_DEVELOPMENT)
      ? 'development'
      : undefined;
  if (environment === undefined)
    throw new AttestationError('attestation_malformed', 'Unknown App Attest aaguid.');
  if (environment === 'development' && config.environment === 'production') {
    throw new AttestationError(
      'attestation_environment_mismatch',
      'A development key is not accepted in production.',
    );
  }
  if (!sameBytes(data.credentialId ?? new Uint8Array(), keyHash)) {
    throw new AttestationError('attestation_key_mismatch', 'The credential id is not the key id.');
  }
  return {
    keyId: keyHash.toString('base64'),
    publicKey: spki,
    environment,
    receipt: asBytes(statement?.receipt),
  };
}

/**
 * Verifies an App Attest assertion by the attested key over `clientData`; the counter must be
 * greater than `previousCounter`. Returns the new counter to store.
 *
 * @example
 * ```ts
 * const counter = verifyAppAssertion(config, { assertion, clientData, publicKey, previousCounter: 3 });
 * ```
 */
export function verifyAppAssertion(
  config: Pick<AppAttestConfig, 'teamId' | 'bundleId'>,
  input: { assertion: Uint8Array; clientData: Uint8Array; publicKey: Uint8Array; previousCounter: number },
): number {
  const object = decodeCbor(input.assertion);
  const signature = asBytes(object.signature);
  const authenticatorData = asBytes(object.authenticatorData);
  if (signature === undefined || authenticatorData === undefined) {
    throw new AttestationError('attestation_malformed', 'Not an App Attest assertion.');
  }
  const nonce = sha256(authenticatorData, sha256(input.clientData));
  let valid = false;
  try {
    const key = createPublicKey({ key: Buffer.from(input.publicKey), format: 'der', type: 'spki' });
    valid = verifySignature('sha256', nonce, key, signature);
  } catch {
    valid = false;
  }
  if (!valid)
    throw new AttestationError('attestation_signature_invalid', 'The assertion signature is invalid.');
  const data = parseAuthData(authenticatorData, false);
  if (!sameBytes(data.rpIdHash, sha256(Buffer.from(`${config.teamId}.${config.bundleId}`)))) {
    throw new AttestationError('attestation_app_mismatch', 'The assertion is for another app.');
  }
  if (data.counter <= input.previousCounter) {
    throw new AttestationError('attestation_counter_invalid', 'The assertion counter did not increase.');
  }
  return data.counter;
}
