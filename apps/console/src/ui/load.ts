/**
 * Loading data for a screen: one hook that runs a request, keeps its loading, error and data
 * states apart, and drops the answer of a request that a newer one replaced.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** The state of a load. */
export type Load<T> =
  | { readonly state: 'loading'; readonly data?: T }
  | { readonly state: 'error'; readonly error: unknown; readonly data?: T }
  | { readonly state: 'ok'; readonly data: T };

/**
 * Runs `fetcher` when `key` changes and on `reload()`.
 *
 * @example
 * ```ts
 * const [users, reload] = useLoad(() => api.get('/admin/users'), [q]);
 * ```
 */
export function useLoad<T>(fetcher: () => Promise<T>, keys: readonly unknown[]): [Load<T>, () => void] {
  const [load, setLoad] = useState<Load<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const run = ++latest.current;
    setLoad((previous) => ({
      state: 'loading',
      ...(previous.data === undefined ? {} : { data: previous.data }),
    }));
    fetcher().then(
      (data) => {
        if (run === latest.current) setLoad({ state: 'ok', data });
      },
      (error: unknown) => {
        if (run === latest.current) setLoad({ state: 'error', error });
      },
    );
  }, [...keys, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return [load, reload];
}
