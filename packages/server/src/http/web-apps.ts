/**
 * Serves the built browser apps (the admin console at `/console/`, the demo at `/demo/`) from
 * the server's own origin, each under a strict Content-Security-Policy: scripts and styles only
 * from the server itself (no `'unsafe-inline'`, no `'unsafe-eval'`), WebAssembly only where the
 * app asks for it (Argon2id), and Trusted Types required for every script sink, with only the
 * policy names the app declares. The API keeps its own `default-src 'none'` policy. The reasons
 * are in docs/console.md.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * One built app to serve. What it needs of the policy is read from `web-app.json` in its folder
 * (written by the build from the app's package.json `bulwarkWebApp`) unless given here.
 */
export interface WebApp {
  /** Folder of the built app (its `index.html` and assets). */
  readonly dir: string;
  /** Allow WebAssembly compilation (`'wasm-unsafe-eval'`), e.g. for Argon2id; default false. */
  readonly wasm?: boolean;
  /** Trusted Types policy names the app creates; default none (`'none'`). */
  readonly trustedTypes?: readonly string[];
}

/** The app's declared needs (`web-app.json` beside its index.html), under what the caller gives. */
function declared(app: WebApp): WebApp {
  const file = join(app.dir, 'web-app.json');
  if (!existsSync(file)) return app;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { wasm?: unknown; trustedTypes?: unknown };
  const wasm = parsed.wasm === true;
  const trustedTypes = Array.isArray(parsed.trustedTypes) ? parsed.trustedTypes.map(String) : [];
  return { wasm, trustedTypes, ...app };
}

/** The apps `bulwark serve` mounts, by URL prefix name (`console` → `/console/`). */
export type WebApps = Readonly<Record<string, WebApp>>;

const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const POLICY_NAME = /^[A-Za-z0-9-]{1,64}$/;

/**
 * The Content-Security-Policy an app is served with.
 *
 * @example
 * ```ts
 * contentSecurityPolicy({ dir: 'apps/demo/dist', wasm: true, trustedTypes: ['demo'] });
 * // "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; … trusted-types demo"
 * ```
 */
export function contentSecurityPolicy(app: WebApp): string {
  const policies = app.trustedTypes ?? [];
  for (const name of policies) {
    if (!POLICY_NAME.test(name)) throw new Error(`invalid Trusted Types policy name: ${name}`);
  }
  return [
    "default-src 'none'",
    `script-src 'self'${app.wasm === true ? " 'wasm-unsafe-eval'" : ''}`,
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "require-trusted-types-for 'script'",
    `trusted-types ${policies.length === 0 ? "'none'" : policies.join(' ')}`,
  ].join('; ');
}

/**
 * Mounts each app at `/<name>/` (and redirects `/<name>` there, and `/` to the console when it is
 * served). Files only, no directory
 * listings, no dot files; unknown paths under the prefix are 404 problem documents like the
 * rest of the server.
 *
 * @example
 * ```ts
 * await registerWebApps(app, { console: { dir: 'apps/console/dist' } });
 * ```
 */
export async function registerWebApps(app: FastifyInstance, apps: WebApps): Promise<void> {
  for (const [name, webApp] of Object.entries(apps)) {
    if (!NAME.test(name)) throw new Error(`invalid app name: ${name}`);
    if (!existsSync(join(webApp.dir, 'index.html')) || !statSync(webApp.dir).isDirectory()) {
      throw new Error(`the ${name} app is not built: no index.html in its folder (run \`npm run build\`)`);
    }
    const policy = contentSecurityPolicy(declared(webApp));
    const prefix = `/${name}/`;
    await app.register(async (scope) => {
      scope.addHook('onSend', async (_request, reply, payload) => {
        reply.header('content-security-policy', policy);
        // The service worker of an app may control its whole prefix.
        reply.header('service-worker-allowed', prefix);
        // Cached by the app's service worker where it has one, never by shared caches.
        reply.header('cache-control', 'no-cache, private');
        return payload;
      });
      await scope.register(fastifyStatic, {
        root: webApp.dir,
        prefix,
        decorateReply: false,
        dotfiles: 'deny',
        index: ['index.html'],
        list: false,
        redirect: true,
        wildcard: true,
      });
      scope.get(`/${name}`, { schema: { hide: true } }, async (_request, reply) =>
        reply.redirect(prefix, 301),
      );
    });
  }
  // Someone who opens the server's bare address in a browser lands on the console, not on a
  // 404 problem document. Temporary (302): the root is not the console's address.
  if (apps.console !== undefined) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/', 302));
  }
}
