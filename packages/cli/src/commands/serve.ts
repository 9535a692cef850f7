/** `bulwark serve`: run the Bulwark server (embedded SQLite by default). */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BulwarkError } from '@bulwark/core/errors';
import type { RunningServer, TrustProxy } from '@bulwark/server';
import { type Command, InvalidArgumentError } from 'commander';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgumentError('a port is an integer from 0 to 65535.');
  }
  return port;
}

interface ServeFlags {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  tlsCert?: string;
  tlsKey?: string;
  trustProxy?: string;
  publicUrl?: string;
  config?: string;
  logLevel: string;
  console?: string;
  demo?: string;
  webApps: boolean;
}

/** How `bulwark serve` describes where its short-lived security state lives. */
const SHARED_STATE = {
  memory: 'this process (single node: the data folder is locked to it)',
  database: 'the database (shared by every node on it)',
  redis: 'Redis (shared by every node using it)',
} as const;

/** The apps built in this repository (`npm run build`), beside the packages. */
const BUILT_APPS = fileURLToPath(new URL('../../../../apps/', import.meta.url));

/** Which browser apps to serve: the flags' folders, else the built ones that exist. */
function webApps(flags: ServeFlags): Record<string, { dir: string }> {
  if (!flags.webApps) return {};
  const pick = (flag: string | undefined, name: string): string | undefined => {
    if (flag !== undefined) return resolve(flag);
    const built = join(BUILT_APPS, name, 'dist');
    return existsSync(join(built, 'index.html')) ? built : undefined;
  };
  const apps: Record<string, { dir: string }> = {};
  const consoleDir = pick(flags.console, 'console');
  if (consoleDir !== undefined) apps.console = { dir: consoleDir };
  const demoDir = pick(flags.demo, 'demo');
  if (demoDir !== undefined) apps.demo = { dir: demoDir };
  return apps;
}

/** The URL to open in a browser: `localhost` rather than a loopback address, as passkeys need a domain. */
function browserUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === '127.0.0.1' || parsed.hostname === '[::1]') parsed.hostname = 'localhost';
  return parsed.origin;
}

/** Registers `serve` on the program. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'Run the Bulwark server: its API, the admin console and the demo app, on embedded SQLite (created on first run) or PostgreSQL.',
    )
    .option('--host <address>', 'address to listen on; plain HTTP only on loopback', '127.0.0.1')
    .option('-p, --port <number>', 'port to listen on (0 picks a free one)', parsePort, 8080)
    .option('-d, --data-dir <path>', 'folder of the embedded database', '.bulwark')
    .option(
      '--database-url <url>',
      'PostgreSQL instead of embedded SQLite (postgres://user:password@host:port/db); default $BULWARK_DATABASE_URL',
    )
    .option(
      '--redis-url <url>',
      'Redis for the DPoP replay cache and sign-in throttling counters of several nodes (redis://[:password@]host:port/db); default $BULWARK_REDIS_URL',
    )
    .option('--tls-cert <file>', 'PEM certificate chain to serve HTTPS')
    .option('--tls-key <file>', 'PEM private key to serve HTTPS')
    .option(
      '--trust-proxy <n|ips>',
      'behind TLS-terminating proxies: how many there are (e.g. 1), or their addresses/CIDR ranges ' +
        '(e.g. 10.0.0.5,10.1.0.0/16); the client address is the right-most X-Forwarded-For entry they did not write',
    )
    .option(
      '--public-url <url>',
      "public base URL (https://bulwark.example.com): checked in DPoP proofs (without it, against the request's own scheme and Host), and the origin and rp id of passkeys (default http://localhost:<port>, for passkeys only)",
    )
    .option(
      '-c, --config <file>',
      'bulwark.config.ts (or .js): the app schema, rules and hooks; enables the data and sync routes',
    )
    .option('--log-level <level>', 'fatal, error, warn, info, debug or silent', 'info')
    .option(
      '--console <dir>',
      'folder of the built admin console, served at /console/ (default: the built one)',
    )
    .option('--demo <dir>', 'folder of the built demo app, served at /demo/ (default: the built one)')
    .option('--no-web-apps', 'serve the API only, without the console and the demo app')
    .action(async (flags: ServeFlags) => {
      const dataDir = resolve(flags.dataDir);
      const databaseUrl = flags.databaseUrl ?? process.env.BULWARK_DATABASE_URL;
      if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
        process.stderr.write('bulwark serve: --database-url must be a postgres:// URL.\n');
        process.exitCode = 2;
        return;
      }
      const redisUrl = flags.redisUrl ?? process.env.BULWARK_REDIS_URL;
      if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
        process.stderr.write('bulwark serve: --redis-url must be a redis:// or rediss:// URL.\n');
        process.exitCode = 2;
        return;
      }
      if (flags.publicUrl !== undefined && !URL.canParse(flags.publicUrl)) {
        process.stderr.write('bulwark serve: --public-url must be an absolute URL.\n');
        process.exitCode = 2;
        return;
      }
      // Loaded here, not at the top, so other commands start without loading the server.
      const { startServer, parseTrustProxy } = await import('@bulwark/server');
      let trustProxy: TrustProxy | undefined;
      if (flags.trustProxy !== undefined) {
        try {
          trustProxy = parseTrustProxy(flags.trustProxy);
        } catch (err) {
          process.stderr.write(
            `bulwark serve: --trust-proxy: ${err instanceof Error ? err.message : String(err)}\n`,
          );
          process.exitCode = 2;
          return;
        }
      }
      let server: RunningServer;
      try {
        server = await startServer({
          host: flags.host,
          port: flags.port,
          dataDir,
          ...(databaseUrl === undefined ? {} : { databaseUrl }),
          ...(redisUrl === undefined ? {} : { redisUrl }),
          ...(flags.tlsCert === undefined ? {} : { tlsCertFile: flags.tlsCert }),
          ...(flags.tlsKey === undefined ? {} : { tlsKeyFile: flags.tlsKey }),
          ...(flags.config === undefined ? {} : { configFile: resolve(flags.config) }),
          ...(trustProxy === undefined ? {} : { trustProxy }),
          ...(flags.publicUrl === undefined ? {} : { auth: { publicUrl: flags.publicUrl } }),
          logger: flags.logLevel === 'silent' ? false : { level: flags.logLevel },
          webApps: webApps(flags),
        });
      } catch (err) {
        const message =
          err instanceof BulwarkError
            ? err.message
            : err instanceof Error && 'code' in err && err.code === 'EADDRINUSE'
              ? `port ${flags.port} is already in use; pick another with --port.`
              : err instanceof Error
                ? err.message
                : String(err);
        process.stderr.write(`bulwark serve: ${message}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`Bulwark listening on ${server.url}\n`);
      process.stdout.write(`  health:   ${server.url}/healthz\n`);
      process.stdout.write(`  API docs: ${server.url}/openapi.json\n`);
      process.stdout.write(`  database: ${server.databaseLocation}\n`);
      process.stdout.write(
        `  shared state (replay cache, throttling): ${SHARED_STATE[server.sharedState]}\n`,
      );
      const served = server.app.hasRoute({ method: 'GET', url: '/console/*' });
      if (served) process.stdout.write(`  console:  ${browserUrl(server.url)}/console/\n`);
      if (server.app.hasRoute({ method: 'GET', url: '/demo/*' })) {
        process.stdout.write(`  demo:     ${browserUrl(server.url)}/demo/\n`);
      }
      if (server.initialAdmin !== undefined) {
        // Printed once, on the first start only; it is stored nowhere in clear.
        process.stdout.write(
          '\nFirst start: an admin account was created. Its one-time password is shown only now:\n' +
            `  username: ${server.initialAdmin.username}\n` +
            `  password: ${server.initialAdmin.password}\n` +
            (served
              ? `Sign in at ${browserUrl(server.url)}/console/ and choose a new password.\n\n`
              : 'Sign in and change it (POST /auth/password) before anything else.\n\n'),
        );
      }
      if (server.seeded !== undefined && server.seeded.accounts.length > 0) {
        // Printed once, like the admin's password: the seed ran on this first start only.
        const demo = server.app.hasRoute({ method: 'GET', url: '/demo/*' });
        const width = Math.max(...server.seeded.accounts.map((a) => a.username.length));
        process.stdout.write(
          `Demo data: ${server.seeded.users} accounts and ${server.seeded.records} records were created. ` +
            'Their passwords are shown only now:\n',
        );
        for (const account of server.seeded.accounts) {
          const what = [
            account.role === 'admin' ? 'admin' : undefined,
            account.teams.length > 0 ? `teams ${account.teams.join(', ')}` : undefined,
            account.oneTime ? 'one-time password' : undefined,
          ].filter((x) => x !== undefined);
          process.stdout.write(
            `  username: ${account.username.padEnd(width)}  password: ${account.password}  (${what.join('; ')})\n`,
          );
        }
        process.stdout.write(
          demo ? `Sign in to the demo app at ${browserUrl(server.url)}/demo/ with one of them.\n\n` : '\n',
        );
      }
      await new Promise<void>((done) => {
        const stop = (signal: NodeJS.Signals) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          // New connections are refused; requests in flight finish and commit before the
          // database closes (a second signal is not caught: it ends the process at once).
          process.stdout.write(`bulwark serve: ${signal}: finishing requests in flight, then stopping.\n`);
          server.close().then(
            () => {
              process.stdout.write('bulwark serve: stopped.\n');
              done();
            },
            (err: unknown) => {
              process.stderr.write(`bulwark serve: shutdown failed: ${String(err)}\n`);
              process.exitCode = 1;
              done();
            },
          );
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
