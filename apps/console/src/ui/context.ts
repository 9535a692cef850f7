/**
 * The signed-in console that every screen uses: `call` sends a DPoP-signed request through the
 * SDK and reports an ended session or a revoked device to the app before the screen sees the
 * error.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me } from '../api.js';

/** What screens get. */
export interface ConsoleApi {
  readonly me: Me;
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
}

/** The context that carries the {@link ConsoleApi}. */
export const ApiContext = createContext<ConsoleApi | undefined>(undefined);

/**
 * The signed-in console.
 *
 * @example
 * ```ts
 * const api = useApi();
 * const { users } = await api.call('GET', '/admin/users');
 * ```
 */
export function useApi(): ConsoleApi {
  const api = useContext(ApiContext);
  if (api === undefined) throw new Error('useApi outside the signed-in console');
  return api;
}
