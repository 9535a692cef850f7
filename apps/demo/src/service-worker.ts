/**
 * Registers the app's service worker (offline start). The page requires Trusted Types for
 * scripts, so the worker's URL must come from the app's one policy, `bulwark-demo`, which allows
 * exactly one URL: this app's own sw.js.
 */

interface TrustedTypePolicyLike {
  createScriptURL(url: string): unknown;
}

interface TrustedTypesLike {
  createPolicy(name: string, rules: { createScriptURL(url: string): string }): TrustedTypePolicyLike;
}

/** The only script URL the policy lets through. */
const WORKER_URL = new URL('./sw.js', document.baseURI).href;

let policy: TrustedTypePolicyLike | undefined;

function trustedWorkerUrl(): unknown {
  const tt = (globalThis as { trustedTypes?: TrustedTypesLike }).trustedTypes;
  if (tt === undefined) return WORKER_URL;
  policy ??= tt.createPolicy('bulwark-demo', {
    createScriptURL(url: string) {
      if (new URL(url, document.baseURI).href !== WORKER_URL) {
        throw new TypeError(`script URL refused by the bulwark-demo policy: ${url}`);
      }
      return WORKER_URL;
    },
  });
  return policy.createScriptURL(WORKER_URL);
}

/** Registers ./sw.js for the app's folder; a browser without service workers just runs online. */
export async function registerServiceWorker(): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register(trustedWorkerUrl() as string, {
      scope: './',
      type: 'classic',
    });
  } catch {
    // Offline start is a comfort, not a requirement: the app works online without it.
  }
}
