/**
 * Android key attestation through `@pagopa/io-react-native-integrity` (React Native). Its
 * `getAttestation(challenge, keyAlias)` generates a P-256 key in the Android Keystore with the
 * UTF-8 bytes of `challenge` as attestation challenge, refuses a key that is not hardware-backed,
 * and resolves with base64 of the comma-joined base64 DER certificates of the chain, leaf first.
 * The module cannot sign with that key; step-up signatures come from a `sign` function the app
 * passes (e.g. a keystore module that signs with the same alias), as base64 DER ECDSA.
 */
import {
  type AttestationEvidence,
  type AttestationProvider,
  AttestationUnavailableError,
  moduleCall,
} from './provider.js';

/**
 * The part of `@pagopa/io-react-native-integrity` this adapter uses.
 *
 * @example
 * ```ts
 * import * as Integrity from '@pagopa/io-react-native-integrity';
 * const module: PagopaIntegrityModule = Integrity;
 * ```
 */
export interface PagopaIntegrityModule {
  getAttestation(challenge: string, hardwareKeyTag: string): Promise<string>;
}

/** Options of {@link PagopaKeyAttestationProvider}. */
export interface PagopaKeyAttestationOptions {
  /** Keystore alias of the attested key; default `bulwark-attestation`. */
  readonly keyAlias?: string;
  /** Signs `data` with the attested key (base64 DER ECDSA P-256 / SHA-256), for step-up. */
  readonly sign?: (data: string, keyAlias: string) => Promise<string>;
}

function decodeBase64(value: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(value.replace(/\s+/g, '')), (c) => c.charCodeAt(0)));
}

/**
 * Android key attestation through `@pagopa/io-react-native-integrity`.
 *
 * @example
 * ```ts
 * import * as Integrity from '@pagopa/io-react-native-integrity';
 * const provider = new PagopaKeyAttestationProvider(Integrity, { sign: signWithKeystore });
 * ```
 */
export class PagopaKeyAttestationProvider implements AttestationProvider {
  readonly #alias: string;

  constructor(
    private readonly module: PagopaIntegrityModule,
    private readonly options: PagopaKeyAttestationOptions = {},
  ) {
    this.#alias = options.keyAlias ?? 'bulwark-attestation';
  }

  async attest(clientData: string): Promise<AttestationEvidence> {
    if (new TextEncoder().encode(clientData).length > 128) {
      throw new AttestationUnavailableError('the challenge is longer than Android accepts (128 bytes)');
    }
    const encoded = await moduleCall('getAttestation', () =>
      this.module.getAttestation(clientData, this.#alias),
    );
    let chain: string[];
    try {
      chain = decodeBase64(encoded)
        .split(',')
        .map((cert) => cert.replace(/\s+/g, ''))
        .filter((cert) => cert.length > 0);
    } catch (cause) {
      throw new AttestationUnavailableError('getAttestation returned an unreadable chain', { cause });
    }
    if (chain.length < 2) throw new AttestationUnavailableError('getAttestation returned no chain');
    return { kind: 'android_key', chain };
  }

  async assert(clientData: string): Promise<string> {
    const sign = this.options.sign;
    if (sign === undefined) throw new AttestationUnavailableError('no signer for the attested key');
    return moduleCall('sign', () => sign(clientData, this.#alias));
  }
}
