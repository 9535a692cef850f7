/**
 * Attestation evidence made in the tests, under the tests' own roots: App Attest attestation
 * objects and assertions, Android key attestation chains with a KeyDescription extension, and
 * Play Integrity tokens encrypted and signed like Google's. Each builder takes overrides so a
 * test can break exactly one thing.
 */
import { createHash, generateKeyPairSync, KeyObject, randomBytes, sign, webcrypto } from 'node:crypto';
import {
  AttestationApplicationId,
  AttestationPackageInfo,
  AuthorizationList,
  KeyDescription,
  RootOfTrust,
  SecurityLevel,
  VerifiedBootState,
} from '@peculiar/asn1-android';
import { AsnConvert, AsnSerializer, OctetString } from '@peculiar/asn1-schema';
import {
  BasicConstraintsExtension,
  Extension,
  type X509Certificate,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { encode } from 'cbor-x';
import { CompactEncrypt, CompactSign, exportSPKI, generateKeyPair } from 'jose';

const subtle = webcrypto.subtle;
const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const DAY = 86_400_000;

type Keys = CryptoKeyPair;
/** A new extractable ECDSA key pair on `namedCurve`. */
export const ecKeys = (namedCurve: 'P-256' | 'P-384') =>
  subtle.generateKey({ name: 'ECDSA', namedCurve }, true, ['sign', 'verify']) as Promise<Keys>;
const rsaKeys = () =>
  subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  ) as Promise<Keys>;
const algOf = (keys: Keys) =>
  keys.privateKey.algorithm.name === 'ECDSA'
    ? { name: 'ECDSA', hash: 'SHA-256' }
    : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

/** A CA: its certificate and keys. */
export interface TestCa {
  readonly cert: X509Certificate;
  readonly keys: Keys;
}

let serial = 1;

/** A self-signed root CA valid around `nowMs`. */
export async function testRoot(name: string, nowMs: number, keys?: Keys): Promise<TestCa> {
  const k = keys ?? (await ecKeys('P-384'));
  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: (serial++).toString(16).padStart(2, '0'),
    name: `CN=${name}`,
    notBefore: new Date(nowMs - 365 * DAY),
    notAfter: new Date(nowMs + 10 * 365 * DAY),
    keys: k,
    signingAlgorithm: algOf(k),
    extensions: [new BasicConstraintsExtension(true, undefined, true)],
  });
  return { cert, keys: k };
}

/** A certificate for `publicKey` issued by `issuer`. */
export async function issue(
  issuer: TestCa,
  subject: string,
  publicKey: CryptoKey,
  options: { ca?: boolean; notBefore?: number; notAfter?: number; extensions?: Extension[]; serial?: string },
): Promise<X509Certificate> {
  return X509CertificateGenerator.create({
    serialNumber: options.serial ?? (serial++).toString(16).padStart(2, '0'),
    subject: `CN=${subject}`,
    issuer: issuer.cert.subject,
    notBefore: new Date(options.notBefore ?? Date.now() - DAY),
    notAfter: new Date(options.notAfter ?? Date.now() + 365 * DAY),
    publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: algOf(issuer.keys),
    extensions: [
      ...(options.ca ? [new BasicConstraintsExtension(true, undefined, true)] : []),
      ...(options.extensions ?? []),
    ],
  });
}

const der = (cert: X509Certificate) => new Uint8Array(cert.rawData);

/** An Apple-like root and intermediate. */
export async function appleCas(nowMs: number): Promise<{ root: TestCa; intermediate: TestCa }> {
  const root = await testRoot('Test App Attestation Root CA', nowMs);
  const ik = await ecKeys('P-384');
  const cert = await issue(root, 'Test App Attestation CA 1', ik.publicKey, {
    ca: true,
    notBefore: nowMs - DAY,
    notAfter: nowMs + 365 * DAY,
  });
  return { root, intermediate: { cert, keys: ik } };
}

/** What an App Attest attestation may get wrong. */
export interface AppAttestOverrides {
  readonly appId?: string;
  readonly counter?: number;
  readonly environment?: 'production' | 'development';
  readonly nonceOf?: Uint8Array;
  readonly keyIdOf?: 'other';
  readonly leafNotAfter?: number;
  /** Attest this key pair instead of a new one (a device attesting its existing key). */
  readonly keys?: CryptoKeyPair;
}

/** An App Attest key and its attestation object. */
export interface AppAttestDevice {
  readonly keyId: string;
  readonly attestation: Uint8Array;
  readonly privateKey: KeyObject;
  /** An assertion over `clientData` with `counter`. */
  assertion(clientData: string, counter: number, appId?: string): Uint8Array;
}

/**
 * Makes an App Attest attestation of a new key for `clientData`, issued by `cas`.
 *
 * @example
 * ```ts
 * const device = await appAttest(cas, 'TEAM.com.example', clientData, now);
 * ```
 */
export async function appAttest(
  cas: { intermediate: TestCa },
  appId: string,
  clientData: string,
  nowMs: number,
  o: AppAttestOverrides = {},
): Promise<AppAttestDevice> {
  const keys = o.keys ?? (await ecKeys('P-256'));
  const raw = new Uint8Array(await subtle.exportKey('raw', keys.publicKey));
  const keyId = sha256(raw);
  const aaguid =
    o.environment === 'development'
      ? Buffer.from('appattestdevelop')
      : Buffer.concat([Buffer.from('appattest'), Buffer.alloc(7)]);
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(o.counter ?? 0);
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(32);
  const authData = Buffer.concat([
    sha256(Buffer.from(o.appId ?? appId)),
    Buffer.from([0x40]),
    counter,
    aaguid,
    idLength,
    keyId,
    encode(
      new Map<number, unknown>([
        [1, 2],
        [3, -7],
        [-1, 1],
      ]),
    ),
  ]);
  const nonce = o.nonceOf ?? sha256(authData, sha256(Buffer.from(clientData)));
  const extensionValue = Buffer.concat([Buffer.from([0x30, 0x24, 0xa1, 0x22, 0x04, 0x20]), nonce]);
  const leaf = await issue(cas.intermediate, keyId.toString('hex'), keys.publicKey, {
    notBefore: nowMs - DAY,
    notAfter: o.leafNotAfter ?? nowMs + 30 * DAY,
    extensions: [new Extension('1.2.840.113635.100.8.2', false, extensionValue)],
  });
  const attestation = encode({
    fmt: 'apple-appattest',
    attStmt: { x5c: [der(leaf), der(cas.intermediate.cert)], receipt: randomBytes(64) },
    authData,
  });
  const privateKey = KeyObject.from(keys.privateKey);
  const reportedKeyId = o.keyIdOf === 'other' ? randomBytes(32) : keyId;
  return {
    keyId: reportedKeyId.toString('base64'),
    attestation: new Uint8Array(attestation),
    privateKey,
    assertion(data: string, count: number, assertAppId?: string) {
      const c = Buffer.alloc(4);
      c.writeUInt32BE(count);
      const authenticatorData = Buffer.concat([
        sha256(Buffer.from(assertAppId ?? appId)),
        Buffer.from([0x40]),
        c,
      ]);
      const signature = sign('sha256', sha256(authenticatorData, sha256(Buffer.from(data))), privateKey);
      return new Uint8Array(encode({ signature, authenticatorData }));
    },
  };
}

/** A Google-like root (RSA, as Google's) and an intermediate. */
export async function androidCas(nowMs: number): Promise<{ root: TestCa; intermediate: TestCa }> {
  const root = await testRoot('Test Hardware Attestation Root', nowMs, await rsaKeys());
  const ik = await ecKeys('P-256');
  const cert = await issue(root, 'Test Attestation Intermediate', ik.publicKey, {
    ca: true,
    notBefore: nowMs - DAY,
    notAfter: nowMs + 365 * DAY,
  });
  return { root, intermediate: { cert, keys: ik } };
}

/** What an Android key attestation may get wrong. */
export interface AndroidOverrides {
  readonly securityLevel?: SecurityLevel;
  readonly bootState?: VerifiedBootState;
  readonly deviceLocked?: boolean;
  readonly packageName?: string;
  readonly signingDigest?: Uint8Array;
  readonly challenge?: Uint8Array;
  readonly leafNotAfter?: number;
  readonly leafSerial?: string;
}

/** The app identity the Android fixtures attest by default. */
export const ANDROID_APP = {
  packageName: 'com.example.bulwark',
  signingCertDigest: sha256(Buffer.from('test signing certificate')),
};

/**
 * A key attestation chain (base64 DER, leaf first) for `clientData`, and the attested key.
 *
 * @example
 * ```ts
 * const { chain, privateKey } = await androidKey(cas, clientData, now);
 * ```
 */
export async function androidKey(
  cas: { intermediate: TestCa },
  clientData: string,
  nowMs: number,
  o: AndroidOverrides = {},
): Promise<{ chain: string[]; privateKey: KeyObject; leafSerial: string }> {
  const keys = await ecKeys('P-256');
  const level = o.securityLevel ?? SecurityLevel.trustedEnvironment;
  const appId = new AttestationApplicationId({
    packageInfos: [
      new AttestationPackageInfo({
        packageName: new OctetString(Buffer.from(o.packageName ?? ANDROID_APP.packageName)),
        version: 42,
      }),
    ],
    signatureDigests: [new OctetString(o.signingDigest ?? ANDROID_APP.signingCertDigest)],
  });
  const description = new KeyDescription({
    attestationVersion: 200,
    attestationSecurityLevel: level,
    keymasterVersion: 200,
    keymasterSecurityLevel: level,
    attestationChallenge: new OctetString(o.challenge ?? Buffer.from(clientData)),
    uniqueId: new OctetString(new Uint8Array()),
    softwareEnforced: new AuthorizationList({
      attestationApplicationId: new OctetString(AsnConvert.serialize(appId)),
    }),
    teeEnforced: new AuthorizationList({
      rootOfTrust: new RootOfTrust({
        verifiedBootKey: new OctetString(randomBytes(32)),
        deviceLocked: o.deviceLocked ?? true,
        verifiedBootState: o.bootState ?? VerifiedBootState.verified,
        verifiedBootHash: new OctetString(randomBytes(32)),
      }),
    }),
  });
  const leafSerial = o.leafSerial ?? randomBytes(8).toString('hex').replace(/^0+/, '1');
  const leaf = await issue(cas.intermediate, 'Android Keystore Key', keys.publicKey, {
    notBefore: nowMs - DAY,
    notAfter: o.leafNotAfter ?? nowMs + 30 * DAY,
    serial: leafSerial,
    extensions: [new Extension('1.3.6.1.4.1.11129.2.1.17', false, AsnSerializer.serialize(description))],
  });
  return {
    chain: [leaf, cas.intermediate.cert].map((c) => Buffer.from(c.rawData).toString('base64')),
    privateKey: KeyObject.from(keys.privateKey),
    leafSerial,
  };
}

/** Play Console-like keys: a decryption key and a verification key pair. */
export async function playKeys(): Promise<{
  decryptionKey: string;
  verificationKey: string;
  signingKey: CryptoKey;
}> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const spki = await exportSPKI(publicKey);
  return {
    decryptionKey: randomBytes(32).toString('base64'),
    verificationKey: spki.replace(/-----[A-Z ]+-----|\s/g, ''),
    signingKey: privateKey as CryptoKey,
  };
}

/** The signing certificate digest the Play fixtures carry by default (base64url). */
export const PLAY_CERT_DIGEST = sha256(Buffer.from('play signing certificate')).toString('base64url');

/**
 * A Play Integrity token (JWE over JWS) with the given payload parts.
 *
 * @example
 * ```ts
 * const token = await playToken(keys, { requestHash, packageName: 'com.example', nowMs });
 * ```
 */
export async function playToken(
  keys: { decryptionKey: string; signingKey: CryptoKey },
  o: {
    requestHash: string;
    packageName: string;
    nowMs: number;
    requestPackageName?: string;
    deviceVerdicts?: string[];
    appVerdict?: string;
    certDigest?: string;
  },
): Promise<string> {
  const payload = {
    requestDetails: {
      requestPackageName: o.requestPackageName ?? o.packageName,
      requestHash: o.requestHash,
      timestampMillis: String(o.nowMs),
    },
    appIntegrity: {
      appRecognitionVerdict: o.appVerdict ?? 'PLAY_RECOGNIZED',
      packageName: o.packageName,
      certificateSha256Digest: [o.certDigest ?? PLAY_CERT_DIGEST],
      versionCode: '42',
    },
    deviceIntegrity: { deviceRecognitionVerdict: o.deviceVerdicts ?? ['MEETS_DEVICE_INTEGRITY'] },
    accountDetails: { appLicensingVerdict: 'LICENSED' },
  };
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256' })
    .sign(keys.signingKey);
  return new CompactEncrypt(new TextEncoder().encode(jws))
    .setProtectedHeader({ alg: 'A256KW', enc: 'A256GCM' })
    .encrypt(Buffer.from(keys.decryptionKey, 'base64'));
}

/** A DER ECDSA signature by `key` over `data` (an Android step-up assertion). */
export function signWith(key: KeyObject, data: string): string {
  return sign('sha256', Buffer.from(data), key).toString('base64');
}

/** A throwaway P-256 key pair (node), for wrong-key tests. */
export function otherKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}
