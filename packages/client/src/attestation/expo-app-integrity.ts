/**
 * Adapters over `@expo/app-integrity` (React Native / Expo): App Attest on iOS, Play Integrity
 * (standard requests) on Android. The module hashes the challenge string it is given (SHA-256 of
 * its UTF-8) into App Attest's clientDataHash, so the SDK passes the server's client data as it
 * is; on Android the request hash is the SHA-256 of the client data.
 */
import {
  type AttestationEvidence,
  type AttestationProvider,
  AttestationUnavailableError,
  moduleCall,
  requestHashOf,
} from './provider.js';

/**
 * The part of `@expo/app-integrity` these adapters use (`import * as AppIntegrity from '@expo/app-integrity'`).
 *
 * @example
 * ```ts
 * import * as AppIntegrity from '@expo/app-integrity';
 * const module: ExpoAppIntegrityModule = AppIntegrity;
 * ```
 */
export interface ExpoAppIntegrityModule {
  /** iOS: whether App Attest is available. */
  readonly isSupported?: boolean;
  generateKeyAsync?(): Promise<string>;
  attestKeyAsync?(keyId: string, challenge: string): Promise<string>;
  generateAssertionAsync?(keyId: string, challenge: string): Promise<string>;
  prepareIntegrityTokenProviderAsync?(cloudProjectNumber: string): Promise<void>;
  requestIntegrityCheckAsync?(requestHash: string): Promise<string>;
}

/** Where the App Attest key id is kept between launches (e.g. over `SecureItems`). */
export interface KeyIdStore {
  get(): Promise<string | null>;
  set(keyId: string): Promise<void>;
}

/**
 * App Attest through `@expo/app-integrity` (iOS). The key is generated once and its id kept in
 * `keyIds`; a new install attests a new key.
 *
 * @example
 * ```ts
 * import * as AppIntegrity from '@expo/app-integrity';
 * const provider = new ExpoAppAttestProvider(AppIntegrity, keyIds);
 * ```
 */
export class ExpoAppAttestProvider implements AttestationProvider {
  constructor(
    private readonly module: ExpoAppIntegrityModule,
    private readonly keyIds: KeyIdStore,
  ) {}

  async #keyId(create: boolean): Promise<string> {
    const stored = await this.keyIds.get();
    if (stored !== null) return stored;
    if (!create) throw new AttestationUnavailableError('no App Attest key has been attested yet');
    const generate = this.module.generateKeyAsync;
    if (this.module.isSupported === false || generate === undefined) {
      throw new AttestationUnavailableError('App Attest is not supported on this device');
    }
    const keyId = await moduleCall('generateKeyAsync', () => generate.call(this.module));
    await this.keyIds.set(keyId);
    return keyId;
  }

  async attest(clientData: string): Promise<AttestationEvidence> {
    const attestKey = this.module.attestKeyAsync;
    if (attestKey === undefined) throw new AttestationUnavailableError('attestKeyAsync is not available');
    const keyId = await this.#keyId(true);
    const attestation = await moduleCall('attestKeyAsync', () =>
      attestKey.call(this.module, keyId, clientData),
    );
    return { kind: 'app_attest', keyId, attestation };
  }

  async assert(clientData: string): Promise<string> {
    const generate = this.module.generateAssertionAsync;
    if (generate === undefined)
      throw new AttestationUnavailableError('generateAssertionAsync is not available');
    const keyId = await this.#keyId(false);
    return moduleCall('generateAssertionAsync', () => generate.call(this.module, keyId, clientData));
  }
}

/**
 * Play Integrity (standard requests) through `@expo/app-integrity` (Android). The token provider
 * is prepared once, with the app's Google Cloud project number.
 *
 * @example
 * ```ts
 * import * as AppIntegrity from '@expo/app-integrity';
 * const provider = new ExpoPlayIntegrityProvider(AppIntegrity, '123456789012');
 * ```
 */
export class ExpoPlayIntegrityProvider implements AttestationProvider {
  #prepared: Promise<void> | undefined;

  constructor(
    private readonly module: ExpoAppIntegrityModule,
    private readonly cloudProjectNumber: string,
  ) {}

  async #token(clientData: string): Promise<string> {
    const prepare = this.module.prepareIntegrityTokenProviderAsync;
    const request = this.module.requestIntegrityCheckAsync;
    if (prepare === undefined || request === undefined) {
      throw new AttestationUnavailableError('Play Integrity is not available');
    }
    this.#prepared ??= moduleCall('prepareIntegrityTokenProviderAsync', () =>
      prepare.call(this.module, this.cloudProjectNumber),
    ).catch((err: unknown) => {
      this.#prepared = undefined;
      throw err;
    });
    await this.#prepared;
    const requestHash = await requestHashOf(clientData);
    return moduleCall('requestIntegrityCheckAsync', () => request.call(this.module, requestHash));
  }

  async attest(clientData: string): Promise<AttestationEvidence> {
    return { kind: 'play_integrity', token: await this.#token(clientData) };
  }

  assert(clientData: string): Promise<string> {
    return this.#token(clientData);
  }
}
