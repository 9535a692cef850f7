/**
 * Google's attestation certificate status list (https://android.googleapis.com/attestation/status):
 * loaded from a configured file (offline operation) or URL, cached for a configured time, and
 * consulted for every certificate of an Android key attestation chain. When the list cannot be
 * loaded and no cached copy younger than `maxStaleSeconds` exists, verification fails closed
 * (`attestation_revocation_unavailable`): an unknown revocation state is never read as "good".
 */
import { readFile } from 'node:fs/promises';
import { AttestationError } from '../errors.js';

/** Where the list comes from and how long a copy is used. */
export interface RevocationListOptions {
  /** A JSON file in Google's format (for servers without outbound access). */
  readonly file?: string;
  /** A URL serving Google's format; default none (set one, or a file). */
  readonly url?: string;
  /** Seconds a loaded copy is used before loading again; default 3600. */
  readonly refreshSeconds?: number;
  /** Seconds a copy is still used when reloading fails; default 86400. */
  readonly maxStaleSeconds?: number;
  readonly fetch?: typeof fetch;
}

interface Entry {
  readonly status: string;
  readonly reason?: string;
}

/** Serial numbers as the list writes them: lower-case hex without leading zeros. */
export function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}

/**
 * The cached status list.
 *
 * @example
 * ```ts
 * const list = new RevocationList({ url: 'https://android.googleapis.com/attestation/status' }, () => Date.now());
 * await list.check(['6681152659205225093']);
 * ```
 */
export class RevocationList {
  #entries: Map<string, Entry> | undefined;
  #loadedAt = 0;
  #loading: Promise<Map<string, Entry>> | undefined;

  constructor(
    private readonly options: RevocationListOptions,
    private readonly now: () => number,
  ) {}

  async #load(): Promise<Map<string, Entry>> {
    let text: string;
    if (this.options.file !== undefined) {
      text = await readFile(this.options.file, 'utf8');
    } else if (this.options.url !== undefined) {
      const response = await (this.options.fetch ?? fetch)(this.options.url, {
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`status list: HTTP ${response.status}`);
      text = await response.text();
    } else {
      throw new Error('no status list configured');
    }
    const body = JSON.parse(text) as { entries?: Record<string, Entry> };
    if (typeof body.entries !== 'object' || body.entries === null) throw new Error('status list: no entries');
    return new Map(Object.entries(body.entries).map(([serial, entry]) => [normalizeSerial(serial), entry]));
  }

  async #current(): Promise<Map<string, Entry>> {
    const age = this.now() - this.#loadedAt;
    if (this.#entries !== undefined && age < (this.options.refreshSeconds ?? 3600) * 1000)
      return this.#entries;
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    try {
      this.#entries = await this.#loading;
      this.#loadedAt = this.now();
      return this.#entries;
    } catch (cause) {
      if (this.#entries !== undefined && age < (this.options.maxStaleSeconds ?? 86_400) * 1000)
        return this.#entries;
      throw new AttestationError(
        'attestation_revocation_unavailable',
        'The revocation list cannot be loaded.',
        {
          cause,
        },
      );
    }
  }

  /** Throws `attestation_certificate_revoked` when one of the serials (hex) is listed. */
  async check(serialsHex: readonly string[]): Promise<void> {
    const entries = await this.#current();
    for (const serial of serialsHex) {
      const entry = entries.get(normalizeSerial(serial));
      if (entry !== undefined && (entry.status === 'REVOKED' || entry.status === 'SUSPENDED')) {
        throw new AttestationError(
          'attestation_certificate_revoked',
          'A certificate of the chain is revoked.',
        );
      }
    }
  }
}
