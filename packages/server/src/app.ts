/**
 * The Bulwark HTTP application. `bulwarkPlugin` mounts every route into any Fastify server;
 * `buildApp` is the standalone server that `bulwark serve` runs (plugin, security headers,
 * OpenAPI document, problem+json errors).
 */
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Kysely } from 'kysely';
import type { BulwarkConfig } from './config/define.js';
import type { AuthOptions } from './config.js';
import { createServerContext, type ServerContext } from './context.js';
import type { CacheDatabase, Database } from './db/schema.js';
import { logRequest } from './http/log-request.js';
import { clientErrorProblem, frameworkProblem, installProblemHandlers } from './http/problem.js';
import { fastifyTrustProxy, type TrustProxy } from './http/trust-proxy.js';
import { refuseUndeclaredQueryParameters, useStrictValidation } from './http/validator.js';
import { registerWebApps, type WebApps } from './http/web-apps.js';
import { adminRoutes } from './routes/admin.js';
import { appRoutes } from './routes/apps.js';
import { attestationRoutes } from './routes/attestation.js';
import { authRoutes } from './routes/auth.js';
import { dataRoutes } from './routes/data.js';
import { deviceRoutes } from './routes/devices.js';
import { federationRoutes } from './routes/federation.js';
import { healthRoutes } from './routes/health.js';
import { schemasForDocsOnly, useStrictBodies } from './routes/lib/strict-body.js';
import { passkeyRoutes } from './routes/passkeys.js';
import { syncRoutes } from './routes/sync.js';
import { teamRoutes } from './routes/teams.js';

/** Options of the Bulwark routes. */
export interface BulwarkPluginOptions {
  readonly db: Kysely<Database>;
  /** Cache database (replay cache, throttling); defaults to `db`. `openDatabase` returns one. */
  readonly cache?: Kysely<CacheDatabase>;
  /** Clock; defaults to the system clock. */
  readonly now?: () => Date;
  /** Identity settings (token lifetimes, throttling, DPoP, device policy). */
  readonly auth?: AuthOptions;
  /** The app's schema, rules and hooks (`bulwark.config.ts`): enables the data and sync routes. */
  readonly data?: BulwarkConfig;
  /** A context built beforehand with `createServerContext`; the fields above are then ignored. */
  readonly context?: ServerContext;
}

/**
 * Fastify plugin with every Bulwark route. Errors inside it are answered as problem+json.
 *
 * @example
 * ```ts
 * const app = Fastify();
 * await app.register(bulwarkPlugin, { prefix: '/bulwark', db });
 * ```
 */
export async function bulwarkPlugin(app: FastifyInstance, options: BulwarkPluginOptions): Promise<void> {
  const ctx =
    options.context ??
    (await createServerContext({
      db: options.db,
      ...(options.cache === undefined ? {} : { cache: options.cache }),
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.auth === undefined ? {} : { auth: options.auth }),
      ...(options.data === undefined ? {} : { data: options.data }),
    }));
  installProblemHandlers(app, { notFound: false });
  // JSON only, on every Bulwark route and whatever the host server accepts elsewhere: any other
  // media type (text/plain included, which Fastify parses by default) is 415 unsupported_media_type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  );
  useStrictValidation(app);
  app.decorateRequest('bulwarkAuth', null);
  healthRoutes(app, ctx);
  authRoutes(app, ctx);
  passkeyRoutes(app, ctx);
  federationRoutes(app, ctx);
  appRoutes(app, ctx);
  deviceRoutes(app, ctx);
  attestationRoutes(app, ctx);
  adminRoutes(app, ctx);
  // Data, sync and team routes parse JSON strictly and refuse query parameters they do not
  // declare. Sync and team bodies are checked by their route schemas; records by the core
  // validator alone.
  await app.register(async (child) => {
    useStrictBodies(child);
    useStrictValidation(child, { bodiesOnly: true });
    refuseUndeclaredQueryParameters(child);
    teamRoutes(child, ctx);
    syncRoutes(child, ctx);
    await child.register(async (records) => {
      schemasForDocsOnly(records);
      dataRoutes(records, ctx);
    });
  });
}

/** Options of the standalone application. */
export interface AppOptions extends BulwarkPluginOptions {
  /** Fastify logger option; `false` silences it. Secrets are redacted either way. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Largest accepted request body in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /**
   * Milliseconds a client has to send a whole request, headers and body (default 60,000). Fastify
   * sets no limit, so a client sending its body a byte at a time held its connection forever; one
   * that misses it is answered `408 bad_request` and disconnected. Node checks every 30 s, so a
   * slow client is cut off up to 30 s after its time is up.
   */
  readonly requestTimeoutMs?: number;
  /**
   * The reverse proxies whose `X-Forwarded-*` headers are believed: a hop count or their addresses
   * and CIDR ranges (docs/operations.md). Off by default: the client address is the socket's.
   */
  readonly trustProxy?: TrustProxy | false;
  /** Node HTTPS options; when set the app serves TLS itself. */
  readonly https?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** Built browser apps to serve from this origin, e.g. `{ console: { dir } }` at `/console/`. */
  readonly webApps?: WebApps;
}

/** Header and body paths that are never logged (query values neither: `logRequest`). */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.dpop',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/**
 * Builds the standalone Bulwark server (not yet listening).
 *
 * @example
 * ```ts
 * const { db } = await openDatabase({ dataDir: './.bulwark' });
 * const app = await buildApp({ db, logger: false });
 * const res = await app.inject({ method: 'GET', url: '/healthz' });
 * ```
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const logger = options.logger ?? false;
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const app = Fastify({
    logger:
      logger === false
        ? false
        : typeof logger === 'object'
          ? {
              ...logger,
              redact: REDACTED_LOG_PATHS,
              serializers: { ...logger.serializers, req: logRequest },
            }
          : { redact: REDACTED_LOG_PATHS, serializers: { req: logRequest } },
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestTimeout: requestTimeoutMs,
    trustProxy: fastifyTrustProxy(options.trustProxy),
    // Reject `__proto__` and `constructor.prototype` keys in JSON bodies outright.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    frameworkErrors: frameworkProblem,
    clientErrorHandler: clientErrorProblem,
    ...(options.https === undefined ? {} : { https: options.https }),
  } as FastifyServerOptions);

  // Node enforces the shorter of the two, and takes the headers' limit (60 s by default) for the
  // whole request when it is the longer one.
  app.server.headersTimeout = Math.min(app.server.headersTimeout, requestTimeoutMs);
  installProblemHandlers(app);
  await app.register(helmet, {
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    return payload;
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Bulwark API',
        version: '0.1.0',
        description:
          'Identity, devices, data and sync for mobile apps. Every error is application/problem+json.',
      },
      components: {
        securitySchemes: {
          dpop: {
            type: 'http',
            scheme: 'DPoP',
            description: 'Authorization: DPoP <access token>, plus a DPoP proof header (RFC 9449).',
          },
        },
      },
    },
  });
  await app.register(bulwarkPlugin, {
    db: options.db,
    ...(options.cache === undefined ? {} : { cache: options.cache }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    ...(options.data === undefined ? {} : { data: options.data }),
    ...(options.context === undefined ? {} : { context: options.context }),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (options.webApps !== undefined) await registerWebApps(app, options.webApps);
  return app;
}
