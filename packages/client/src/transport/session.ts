/**
 * Where the signed-in session is kept between runs: the refresh token (a secret, so in the
 * keystore through `SecureItems`), the user and device ids. The access token lives in memory only.
 */
import type { SecureItems } from '../secure-items/secure-items.js';

/**
 * A persisted session.
 *
 * @example
 * ```ts
 * const session: StoredSession = { refreshToken: 'rt…', userId: 'u1', deviceId: '7c0e…' };
 * ```
 */
export interface StoredSession {
  readonly refreshToken: string;
  readonly userId: string;
  readonly deviceId: string;
}

/**
 * Storage of the session.
 *
 * @example
 * ```ts
 * const store: SessionStore = new SecureItemsSessionStore(new SecureItems(keystore));
 * ```
 */
export interface SessionStore {
  load(): Promise<StoredSession | undefined>;
  save(session: StoredSession): Promise<void>;
  clear(): Promise<void>;
}

/**
 * The session in memory only.
 *
 * @example
 * ```ts
 * const sessions = new MemorySessionStore();
 * ```
 */
export class MemorySessionStore implements SessionStore {
  #session: StoredSession | undefined;

  async load(): Promise<StoredSession | undefined> {
    return this.#session;
  }

  async save(session: StoredSession): Promise<void> {
    this.#session = { ...session };
  }

  async clear(): Promise<void> {
    this.#session = undefined;
  }
}

/**
 * The session as a secure item in the platform keystore.
 *
 * @example
 * ```ts
 * const sessions = new SecureItemsSessionStore(new SecureItems(keystore));
 * ```
 */
export class SecureItemsSessionStore implements SessionStore {
  readonly #items: SecureItems;

  constructor(items: SecureItems) {
    this.#items = items;
  }

  async load(): Promise<StoredSession | undefined> {
    const text = await this.#items.getString('bulwark-session');
    if (text === undefined) return undefined;
    try {
      const value = JSON.parse(text) as Partial<StoredSession>;
      if (
        typeof value.refreshToken === 'string' &&
        typeof value.userId === 'string' &&
        typeof value.deviceId === 'string'
      ) {
        return { refreshToken: value.refreshToken, userId: value.userId, deviceId: value.deviceId };
      }
    } catch {
      // a damaged entry is treated as no session
    }
    return undefined;
  }

  async save(session: StoredSession): Promise<void> {
    await this.#items.set(
      'bulwark-session',
      JSON.stringify({
        refreshToken: session.refreshToken,
        userId: session.userId,
        deviceId: session.deviceId,
      }),
    );
  }

  async clear(): Promise<void> {
    await this.#items.delete('bulwark-session');
  }
}
