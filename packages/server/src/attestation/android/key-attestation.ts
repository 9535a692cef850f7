/**
 * Android key attestation, verified on the server as Google's "Verify hardware-backed key pairs
 * with key attestation" describes: the chain to Google's hardware attestation roots, the status
 * list, the challenge, the security level (TEE or StrongBox; software keys refused), the
 * verified boot state and device lock, and the attested application id (package name and
 * signing certificate digest). The extension is parsed by @peculiar/asn1-android (its lenient
 * `NonStandardKeyDescription`, since real devices emit authorization tags out of order).
 */
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import {
  AttestationApplicationId,
  id_ce_keyDescription,
  NonStandardKeyDescription,
  type RootOfTrust,
  SecurityLevel,
  VerifiedBootState,
} from '@peculiar/asn1-android';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AttestationError } from '../errors.js';
import { octets, sameBytes } from '../lib/bytes.js';
import { parseCertificates, verifyChain } from '../lib/chain.js';
import { GOOGLE_HARDWARE_ATTESTATION_ROOTS } from '../roots.js';
import type { RevocationList } from './revocation.js';

/** Which app the server accepts, and how strict it is about the device. */
export interface AndroidKeyConfig {
  /** Accepted package names. */
  readonly packageNames: readonly string[];
  /** Accepted SHA-256 digests of the app's signing certificate (hex, any case). */
  readonly signingCertDigests: readonly string[];
  /** Trust anchors (PEM); default Google's hardware attestation roots. */
  readonly roots?: readonly string[];
  /** Accept a device with an unlocked bootloader or an unverified boot; default false. */
  readonly allowUnlockedBootloader?: boolean;
}

/** What an attestation established. */
export interface AndroidAttestedKey {
  /** The attested key (SPKI DER), kept to verify assertions. */
  readonly publicKey: Uint8Array;
  readonly securityLevel: 'tee' | 'strongbox';
  readonly verifiedBootState: 'verified' | 'self_signed' | 'unverified' | 'failed';
  readonly deviceLocked: boolean;
  readonly packageName: string;
  readonly attestationVersion: number;
}

const BOOT_STATES = {
  [VerifiedBootState.verified]: 'verified',
  [VerifiedBootState.selfSigned]: 'self_signed',
  [VerifiedBootState.unverified]: 'unverified',
  [VerifiedBootState.failed]: 'failed',
} as const;

/**
 * Verifies a key attestation chain (DER certificates, leaf first) whose challenge must be
 * `clientData`.
 *
 * @example
 * ```ts
 * const key = await verifyAndroidKeyAttestation(config, revocations, { chain, clientData }, Date.now());
 * ```
 */
export async function verifyAndroidKeyAttestation(
  config: AndroidKeyConfig,
  revocations: RevocationList,
  input: { chain: readonly Uint8Array[]; clientData: Uint8Array },
  nowMs: number,
): Promise<AndroidAttestedKey> {
  const chain = parseCertificates(input.chain);
  await verifyChain(chain, parseCertificates(config.roots ?? GOOGLE_HARDWARE_ATTESTATION_ROOTS), nowMs);
  await revocations.check(chain.map((c) => c.serialNumber));
  const leaf = chain[0];
  const extension = leaf?.getExtension(id_ce_keyDescription);
  if (leaf === undefined || extension === null || extension === undefined) {
    throw new AttestationError('attestation_malformed', 'The leaf has no key attestation extension.');
  }
  let description: NonStandardKeyDescription;
  try {
    description = AsnConvert.parse(extension.value, NonStandardKeyDescription);
  } catch (cause) {
    throw new AttestationError('attestation_malformed', 'The key description does not parse.', { cause });
  }
  if (!sameBytes(octets(description.attestationChallenge), input.clientData)) {
    throw new AttestationError('attestation_nonce_mismatch', 'The attestation is not for this challenge.');
  }
  const level = description.attestationSecurityLevel;
  if (
    (level !== SecurityLevel.trustedEnvironment && level !== SecurityLevel.strongBox) ||
    description.keymasterSecurityLevel !== level
  ) {
    throw new AttestationError('attestation_software_key', 'The key is not held by secure hardware.');
  }
  const rootOfTrust: RootOfTrust | undefined = description.teeEnforced.findProperty('rootOfTrust');
  if (rootOfTrust === undefined) {
    throw new AttestationError(
      'attestation_boot_unverified',
      'The attestation has no hardware root of trust.',
    );
  }
  const bootState = BOOT_STATES[rootOfTrust.verifiedBootState as VerifiedBootState] ?? 'failed';
  if (config.allowUnlockedBootloader !== true && (bootState !== 'verified' || !rootOfTrust.deviceLocked)) {
    throw new AttestationError(
      'attestation_boot_unverified',
      'The bootloader is unlocked or the boot not verified.',
    );
  }
  const appIdBytes =
    description.softwareEnforced.findProperty('attestationApplicationId') ??
    description.teeEnforced.findProperty('attestationApplicationId');
  if (appIdBytes === undefined)
    throw new AttestationError('attestation_app_mismatch', 'No attested application id.');
  let appId: AttestationApplicationId;
  try {
    appId = AsnConvert.parse(octets(appIdBytes), AttestationApplicationId);
  } catch (cause) {
    throw new AttestationError('attestation_malformed', 'The application id does not parse.', { cause });
  }
  const packages = appId.packageInfos.map((p) => Buffer.from(octets(p.packageName)).toString('utf8'));
  const packageName = packages.find((name) => config.packageNames.includes(name));
  // A shared-uid app lists several packages; all of them must be ours, not just one.
  if (packageName === undefined || packages.some((name) => !config.packageNames.includes(name))) {
    throw new AttestationError('attestation_app_mismatch', 'The attestation is for another app.');
  }
  const digests = appId.signatureDigests.map((d) => Buffer.from(octets(d)).toString('hex'));
  const accepted = config.signingCertDigests.map((d) => d.toLowerCase().replace(/:/g, ''));
  if (digests.length === 0 || digests.some((d) => !accepted.includes(d))) {
    throw new AttestationError(
      'attestation_signing_digest_mismatch',
      'The app is signed with another certificate.',
    );
  }
  return {
    publicKey: new Uint8Array(leaf.publicKey.rawData),
    securityLevel: level === SecurityLevel.strongBox ? 'strongbox' : 'tee',
    verifiedBootState: bootState,
    deviceLocked: rootOfTrust.deviceLocked,
    packageName,
    attestationVersion: Number(description.attestationVersion),
  };
}

/**
 * Verifies a step-up signature (DER ECDSA P-256 / SHA-256) made by the attested key over
 * `clientData`.
 *
 * @example
 * ```ts
 * verifyAndroidAssertion({ signature, clientData, publicKey });
 * ```
 */
export function verifyAndroidAssertion(input: {
  signature: Uint8Array;
  clientData: Uint8Array;
  publicKey: Uint8Array;
}): void {
  let valid = false;
  try {
    const key = createPublicKey({ key: Buffer.from(input.publicKey), format: 'der', type: 'spki' });
    valid = verifySignature('sha256', input.clientData, key, input.signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new AttestationError('attestation_signature_invalid', 'The signature is invalid.');
}
