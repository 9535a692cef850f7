/**
 * A software WebAuthn authenticator for tests: it makes real registration (attestation "none")
 * and assertion responses with an ECDSA P-256 key from node:crypto, encoded with the small CBOR
 * writer below, so the server's verification by @simplewebauthn/server runs unchanged. Every
 * part a browser or authenticator would set (origin, rp id, counter, flags) can be overridden to
 * build the broken responses adversarial tests need.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

type Cbor = number | string | Uint8Array | readonly Cbor[] | Map<number | string, Cbor>;

function head(major: number, value: number): Buffer {
  if (value < 24) return Buffer.from([(major << 5) | value]);
  if (value < 0x100) return Buffer.from([(major << 5) | 24, value]);
  if (value < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(value, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(value, 1);
  return b;
}

/** Encodes the few CBOR types WebAuthn uses (RFC 8949 major types 0 to 5). */
export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (value instanceof Map) {
    const parts: Buffer[] = [head(5, value.size)];
    for (const [k, v] of value) parts.push(cbor(k), cbor(v));
    return Buffer.concat(parts);
  }
  return Buffer.concat([head(4, value.length), ...value.map(cbor)]);
}

const b64u = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

/** Flags of authenticator data (WebAuthn §6.1). */
const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

/** Where a ceremony claims to happen, and what the authenticator reports. */
export interface CeremonyOverrides {
  readonly origin?: string;
  readonly rpId?: string;
  readonly challenge?: string;
  readonly type?: string;
  /** Sign-count to report (default: the authenticator's next one). */
  readonly counter?: number;
  readonly userPresent?: boolean;
  /** Sign with another key (the response still names this credential). */
  readonly signWith?: KeyObject;
}

/** One credential on a software authenticator. */
export class SoftAuthenticator {
  readonly credentialId: Buffer = randomBytes(16);
  readonly privateKey: KeyObject;
  readonly #publicCose: Buffer;
  counter = 0;

  constructor(
    readonly origin: string,
    readonly rpId: string,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    this.#publicCose = cbor(
      new Map<number, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(String(jwk.x), 'base64url')],
        [-3, Buffer.from(String(jwk.y), 'base64url')],
      ]),
    );
  }

  /** The base64url credential id, as responses and the server name it. */
  get id(): string {
    return b64u(this.credentialId);
  }

  #authData(rpId: string, flags: number, counter: number, attested: boolean): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter, 0);
    const parts = [sha256(rpId), Buffer.from([flags]), count];
    if (attested) {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(this.credentialId.length, 0);
      parts.push(Buffer.alloc(16), len, this.credentialId, this.#publicCose);
    }
    return Buffer.concat(parts);
  }

  #clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
  }

  /** The PublicKeyCredential JSON around a ceremony's `response`, as @simplewebauthn/browser sends it. */
  #credential(response: Record<string, unknown>): Record<string, unknown> {
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response,
    };
  }

  /** What `navigator.credentials.create()` would answer to `options` (attestation "none"). */
  create(options: { challenge: string }, overrides: CeremonyOverrides = {}): Record<string, unknown> {
    const flags = (overrides.userPresent === false ? 0 : UP) | UV | AT;
    const authData = this.#authData(
      overrides.rpId ?? this.rpId,
      flags,
      overrides.counter ?? this.counter,
      true,
    );
    const attestationObject = cbor(
      new Map<string, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    const clientDataJSON = this.#clientData(
      overrides.type ?? 'webauthn.create',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? this.origin,
    );
    return this.#credential({
      clientDataJSON: b64u(clientDataJSON),
      attestationObject: b64u(attestationObject),
      transports: ['internal'],
    });
  }

  /** What `navigator.credentials.get()` would answer to `options`; advances the counter. */
  get(options: { challenge: string }, overrides: CeremonyOverrides = {}): Record<string, unknown> {
    const counter = overrides.counter ?? this.counter + 1;
    this.counter = Math.max(this.counter, counter);
    const flags = (overrides.userPresent === false ? 0 : UP) | UV;
    const authData = this.#authData(overrides.rpId ?? this.rpId, flags, counter, false);
    const clientDataJSON = this.#clientData(
      overrides.type ?? 'webauthn.get',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? this.origin,
    );
    const signature = sign(
      'sha256',
      Buffer.concat([authData, sha256(clientDataJSON)]),
      overrides.signWith ?? this.privateKey,
    );
    return this.#credential({
      clientDataJSON: b64u(clientDataJSON),
      authenticatorData: b64u(authData),
      signature: b64u(signature),
    });
  }
}
