/**
 * Adapter over the Capacitor plugin `@capgo/capacitor-app-attest`: App Attest on iOS, Play
 * Integrity (standard requests) on Android, one API. `prepare()` returns the key id (iOS) or a
 * provider handle (Android); `createAttestation` / `createAssertion` return `{ token, format }`.
 * On iOS the challenge string is passed as it is (the plugin hashes it into clientDataHash); on
 * Android the SDK passes the request hash (SHA-256 of the client data), which the server expects
 * in the token.
 */
import {
  type AttestationEvidence,
  type AttestationProvider,
  AttestationUnavailableError,
  moduleCall,
  requestHashOf,
} from './provider.js';

/** The attestation formats the plugin reports. */
export type CapgoAttestationFormat = 'apple-app-attest' | 'google-play-integrity-standard' | 'web-fallback';

/**
 * The part of `@capgo/capacitor-app-attest` (`AppAttestNative`) this adapter uses.
 *
 * @example
 * ```ts
 * import { AppAttestNative } from '@capgo/capacitor-app-attest';
 * const plugin: CapgoAppAttestPlugin = AppAttestNative;
 * ```
 */
export interface CapgoAppAttestPlugin {
  isSupported(): Promise<{ isSupported: boolean; format: CapgoAttestationFormat }>;
  prepare(options?: {
    cloudProjectNumber?: string;
  }): Promise<{ keyId: string; format: CapgoAttestationFormat }>;
  createAttestation(options: {
    keyId: string;
    challenge: string;
    cloudProjectNumber?: string;
  }): Promise<{ token: string; keyId: string; format: CapgoAttestationFormat }>;
  createAssertion(options: {
    keyId: string;
    payload: string;
    cloudProjectNumber?: string;
  }): Promise<{ token: string; format: CapgoAttestationFormat }>;
  getStoredKeyId(): Promise<{ keyId: string | null; hasStoredKey: boolean }>;
}

/**
 * App Attest / Play Integrity through `@capgo/capacitor-app-attest`.
 *
 * @example
 * ```ts
 * import { AppAttestNative } from '@capgo/capacitor-app-attest';
 * const provider = new CapgoAppAttestProvider(AppAttestNative, { cloudProjectNumber: '123456789012' });
 * ```
 */
export class CapgoAppAttestProvider implements AttestationProvider {
  constructor(
    private readonly plugin: CapgoAppAttestPlugin,
    private readonly options: { readonly cloudProjectNumber?: string } = {},
  ) {}

  get #project() {
    return this.options.cloudProjectNumber === undefined
      ? {}
      : { cloudProjectNumber: this.options.cloudProjectNumber };
  }

  async #key(): Promise<{ keyId: string; format: CapgoAttestationFormat }> {
    const support = await moduleCall('isSupported', () => this.plugin.isSupported());
    if (!support.isSupported || support.format === 'web-fallback') {
      throw new AttestationUnavailableError('native attestation is not available on this device');
    }
    const stored = await moduleCall('getStoredKeyId', () => this.plugin.getStoredKeyId());
    if (stored.keyId !== null && support.format === 'apple-app-attest')
      return { keyId: stored.keyId, format: support.format };
    return moduleCall('prepare', () => this.plugin.prepare(this.#project));
  }

  async attest(clientData: string): Promise<AttestationEvidence> {
    const { keyId, format } = await this.#key();
    const challenge = format === 'apple-app-attest' ? clientData : await requestHashOf(clientData);
    const result = await moduleCall('createAttestation', () =>
      this.plugin.createAttestation({ keyId, challenge, ...this.#project }),
    );
    return result.format === 'apple-app-attest'
      ? { kind: 'app_attest', keyId: result.keyId, attestation: result.token }
      : { kind: 'play_integrity', token: result.token };
  }

  async assert(clientData: string): Promise<string> {
    const { keyId, format } = await this.#key();
    const payload = format === 'apple-app-attest' ? clientData : await requestHashOf(clientData);
    const result = await moduleCall('createAssertion', () =>
      this.plugin.createAssertion({ keyId, payload, ...this.#project }),
    );
    return result.token;
  }
}
