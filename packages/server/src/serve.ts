/**
 * Starts the standalone server: opens the database, builds the app and listens. Plain HTTP is
 * served only on a loopback address (development) or behind a TLS-terminating proxy
 * (`trustProxy`); anything else needs a certificate and key.
 *
 * How the server knows whether it runs alone (docs/operations.md#shared-state-and-several-nodes):
 * on SQLite it takes the data folder's lock (db/instance-lock.ts), so it *is* the only server
 * process, and keeps its DPoP replay cache in memory bound to nonces of its own epoch. On
 * PostgreSQL, or with `redisUrl`, it assumes other nodes: the replay cache and throttling
 * counters live in Redis when given, else in the database's cache tables; never in memory.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { BulwarkError } from '@bulwark/core';
import { isLoopbackHost } from '@bulwark/core/protocol';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { buildApp } from './app.js';
import type { BulwarkConfig } from './config/define.js';
import { loadConfig } from './config/load.js';
import { resolveDataModel } from './config/model.js';
import type { AuthOptions } from './config.js';
import { createServerContext, type ServerContext } from './context.js';
import { runSeed, SeedError, type SeedResult } from './data/seed.js';
import { openDatabase } from './db/database.js';
import { type InstanceLock, lockDataDir } from './db/instance-lock.js';
import { fastifyTrustProxy, type TrustProxy } from './http/trust-proxy.js';
import type { WebApps } from './http/web-apps.js';
import { ensureInitialAdmin, type InitialAdmin } from './identity/bootstrap.js';
import { connectRedis, redactRedisUrl } from './shared/redis.js';

/** How long requests in flight may run on after a shutdown begins (SIGTERM). */
export const SHUTDOWN_GRACE_MS = 25_000;

/** Options of `startServer` (and of `bulwark serve`). */
export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  /** Folder of the embedded SQLite database (unused with `databaseUrl`). */
  readonly dataDir: string;
  /** PostgreSQL URL; SQLite in `dataDir` when absent. */
  readonly databaseUrl?: string;
  /** `redis://…`: the replay cache and throttling counters live there (several nodes). */
  readonly redisUrl?: string;
  /** Identity settings (token lifetimes, throttling, DPoP, device policy). */
  readonly auth?: AuthOptions;
  /** `bulwark.config.ts` (or .js): the app's collections, rules and hooks; no data routes without it. */
  readonly configFile?: string;
  /** The same, already loaded (wins over `configFile`). */
  readonly data?: BulwarkConfig;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  /** Behind TLS-terminating proxies: a hop count or their addresses (docs/operations.md). */
  readonly trustProxy?: TrustProxy | false;
  readonly logger?: FastifyServerOptions['logger'];
  /** Built browser apps to serve (the console at `/console/`, the demo at `/demo/`). */
  readonly webApps?: WebApps;
}

/** A listening server. */
export interface RunningServer {
  readonly app: FastifyInstance;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly databaseLocation: string;
  /** Where the replay cache and throttling counters live (`ServerContext.sharedState`). */
  readonly sharedState: ServerContext['sharedState'];
  /** Set on the very first start only: the admin account and its one-time password. */
  readonly initialAdmin: InitialAdmin | undefined;
  /** Set on the very first start only, when the configuration has a `seed`: what it created. */
  readonly seeded: SeedResult | undefined;
  /** Stops accepting requests, lets in-flight ones finish, closes the database. */
  close(): Promise<void>;
}

/** Thrown at start when the configuration is unsafe or incomplete. */
export class ServeConfigError extends BulwarkError<'serve_config'> {
  constructor(message: string) {
    super('serve_config', message);
  }
}

// The one loopback rule of client and server (docs/api.md, "Loopback").
export { isLoopbackHost } from '@bulwark/core/protocol';

/**
 * Opens the database (SQLite in `dataDir`, or PostgreSQL at `databaseUrl`), creates the first
 * admin on first start, builds the app and listens.
 *
 * @example
 * ```ts
 * const server = await startServer({ host: '127.0.0.1', port: 8080, dataDir: './.bulwark' });
 * console.log(server.url);
 * await server.close();
 * ```
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const hasCert = options.tlsCertFile !== undefined;
  const hasKey = options.tlsKeyFile !== undefined;
  if (hasCert !== hasKey) throw new ServeConfigError('--tls-cert and --tls-key must be given together.');
  const tls = hasCert && hasKey;
  const behindProxy = options.trustProxy !== undefined && options.trustProxy !== false;
  if (behindProxy) {
    try {
      fastifyTrustProxy(options.trustProxy);
    } catch (err) {
      throw new ServeConfigError(`--trust-proxy: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (!tls && !behindProxy && !isLoopbackHost(options.host)) {
    throw new ServeConfigError(
      `Refusing to serve plain HTTP on ${options.host}: give --tls-cert and --tls-key, ` +
        'or run behind a TLS-terminating proxy with --trust-proxy, or listen on 127.0.0.1 for development.',
    );
  }
  const https =
    tls && options.tlsCertFile !== undefined && options.tlsKeyFile !== undefined
      ? { cert: readFileSync(options.tlsCertFile), key: readFileSync(options.tlsKeyFile) }
      : undefined;

  // Loaded (and checked) before the database opens: a broken config stops the start at once.
  const data =
    options.data ?? (options.configFile === undefined ? undefined : await loadConfig(options.configFile));
  // Its model too (rules, fields), before the data folder is locked: a configuration error is
  // reported as such, whatever else runs.
  if (data !== undefined) resolveDataModel(data);
  let lock: InstanceLock | undefined;
  if (options.databaseUrl === undefined) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    // Before the database is opened: a second server must not even run the migrations.
    lock = lockDataDir(options.dataDir);
  }
  let redis: Awaited<ReturnType<typeof connectRedis>> | undefined;
  if (options.redisUrl !== undefined) {
    try {
      redis = await connectRedis(options.redisUrl);
    } catch (err) {
      lock?.release();
      throw new ServeConfigError(
        `Redis at ${redactRedisUrl(options.redisUrl)} is not reachable: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  let database: Awaited<ReturnType<typeof openDatabase>>;
  try {
    database = await openDatabase(
      options.databaseUrl === undefined ? { dataDir: options.dataDir } : { databaseUrl: options.databaseUrl },
    );
  } catch (err) {
    redis?.disconnect();
    lock?.release();
    throw err;
  }
  const releaseAll = async () => {
    await database.close();
    if (redis !== undefined) await redis.quit().catch(() => redis?.disconnect());
    lock?.release();
  };
  let app: FastifyInstance;
  let initialAdmin: InitialAdmin | undefined;
  let seeded: SeedResult | undefined;
  let context: ServerContext;
  try {
    context = await createServerContext({
      db: database.db,
      cache: database.cache,
      ...(options.auth === undefined ? {} : { auth: options.auth }),
      ...(data === undefined ? {} : { data }),
      ...(redis === undefined ? {} : { redis }),
      singleNode: lock !== undefined,
    });
    initialAdmin = await ensureInitialAdmin(
      { db: database.db, passwords: context.passwords, rules: context.config.passwords, now: context.now },
      context.events,
      context.config.initialAdminUsername,
    );
    // The seed runs with the first admin: once per database, on one node only.
    if (initialAdmin !== undefined && data?.seed !== undefined) {
      try {
        seeded = await runSeed(context, data.seed);
      } catch (err) {
        if (!(err instanceof SeedError)) throw err;
        throw new ServeConfigError(
          `${err.message}. The database was new and is now half seeded: delete it (${database.location}) and start again.`,
        );
      }
    }
    app = await buildApp({
      db: database.db,
      context,
      trustProxy: options.trustProxy ?? false,
      logger: options.logger ?? false,
      ...(https === undefined ? {} : { https }),
      ...(options.webApps === undefined ? {} : { webApps: options.webApps }),
    });
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await releaseAll();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  // Without a configured origin, passkeys work from the local browser URL `bulwark serve` prints.
  context.passkeys.useLocalOrigin(port);
  const hostForUrl = isIP(options.host) === 6 ? `[${options.host}]` : options.host;
  return {
    app,
    url: `${tls ? 'https' : 'http'}://${hostForUrl}:${port}`,
    databaseLocation: database.location,
    sharedState: context.sharedState,
    initialAdmin,
    seeded,
    async close() {
      // Fastify stops accepting, answers 503 to requests on kept-alive connections, and waits
      // for the requests in flight; their transactions commit or roll back before the pool
      // closes. A connection whose request has been answered is closed as soon as it is idle
      // (keep-alive would hold the shutdown for up to its 72 s timeout); one still busy after
      // the grace period is cut.
      const closing = app.close();
      const idle = setInterval(() => app.server.closeIdleConnections(), 100);
      const cut = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      try {
        await closing;
      } finally {
        clearInterval(idle);
        clearTimeout(cut);
      }
      await context.events.flush();
      await releaseAll();
    },
  };
}
