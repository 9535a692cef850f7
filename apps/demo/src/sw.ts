/**
 * The demo's service worker: caches the app shell (the page, its script and style sheet, the
 * manifest and icons) at install so the app starts offline, and answers the shell's requests
 * from that cache when the network is away. It never touches API requests or data: the
 * inspections live encrypted in IndexedDB, not in any cache. The build prepends
 * `worker.__BULWARK_PRECACHE` (the shell's URLs) and `worker.__BULWARK_VERSION`.
 */

interface ExtendableEventLike {
  waitUntil(work: Promise<unknown>): void;
}
interface FetchEventLike extends ExtendableEventLike {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
/** The part of ServiceWorkerGlobalScope used here (the app's tsconfig has the DOM library). */
interface WorkerScope {
  readonly __BULWARK_PRECACHE: readonly string[];
  readonly __BULWARK_VERSION: string;
  readonly registration: { readonly scope: string };
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEventLike) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEventLike) => void): void;
}

const worker = globalThis as unknown as WorkerScope;

const CACHE = `bulwark-demo-shell-${worker.__BULWARK_VERSION}`;
const EXTRA = ['./manifest.webmanifest', './icon-192.png', './icon-512.png'];
const scope = new URL(worker.registration.scope);

worker.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll([...worker.__BULWARK_PRECACHE, ...EXTRA]);
      await worker.skipWaiting();
    })(),
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('bulwark-demo-shell-') && name !== CACHE) await caches.delete(name);
      }
      await worker.clients.claim();
    })(),
  );
});

worker.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // Only the app's own files: the API (outside the app's folder) goes straight to the network.
  if (request.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) {
    return;
  }
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      if (request.mode === 'navigate') {
        // The page: fresh from the network when there is one, else the cached shell.
        try {
          return await fetch(request);
        } catch {
          const shell = await cache.match('./');
          if (shell !== undefined) return shell;
          throw new Error('offline and no cached shell');
        }
      }
      // Hashed scripts and styles never change under one name: the cache first.
      const cached = await cache.match(request);
      return cached ?? fetch(request);
    })(),
  );
});
