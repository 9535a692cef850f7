/**
 * Server nodes as real processes (`bulwark serve`, the built CLI) and a device that talks to
 * them over HTTP the way the SDK does (DPoP proofs with the latest server nonce, one fresh proof
 * per request), optionally spreading its requests round-robin over several nodes as a load
 * balancer would. Nodes are started with one `--public-url` (the load balancer's), so a proof
 * made for one node is valid on every node, as it is behind a real load balancer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { Kysely } from 'kysely';
import { resolveAuthConfig } from '../../src/config.js';
import type { Database } from '../../src/db/schema.js';
import { PasswordHasher } from '../../src/identity/passwords/hasher.js';
import { createUser } from '../../src/identity/users.js';
import { sha256Base64url } from '../../src/lib/encoding.js';
import { GOOD_POSTURE, PASSWORD } from './harness.js';

/** The built CLI (`npm run build` / `npx tsc -b` runs before the tests). */
const CLI = fileURLToPath(new URL('../../../cli/dist/bin.js', import.meta.url));
/** The demo app's configuration, which `bulwark serve --config` loads. */
export const DEMO_CONFIG = fileURLToPath(new URL('../../../../apps/demo/bulwark.config.ts', import.meta.url));
/** The public URL every node is given: the load balancer's. */
export const PUBLIC_URL = 'http://localhost:8443';

/** Options of {@link startNode}. */
export interface NodeOptions {
  readonly dataDir?: string;
  readonly databaseUrl?: string;
  readonly redisUrl?: string;
  readonly config?: string;
  /** Believe X-Forwarded-For from loopback (to simulate many client addresses). */
  readonly trustLoopbackProxy?: boolean;
}

/** A running `bulwark serve` process. */
export interface ServerNode {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it wrote on stdout and stderr so far. */
  output(): string;
  /** Sends `signal` and waits for the exit; resolves with the exit code (null when killed). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `bulwark serve` with `args` and resolves with its exit code and output (for refusals). */
export function runServeToExit(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** The `bulwark serve` arguments of `options`. */
export function serveArgs(options: NodeOptions): string[] {
  return [
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--no-web-apps',
    '--log-level',
    'warn',
    '--public-url',
    PUBLIC_URL,
    ...(options.dataDir === undefined ? [] : ['--data-dir', options.dataDir]),
    ...(options.databaseUrl === undefined ? [] : ['--database-url', options.databaseUrl]),
    ...(options.redisUrl === undefined ? [] : ['--redis-url', options.redisUrl]),
    ...(options.config === undefined ? [] : ['--config', options.config]),
    ...(options.trustLoopbackProxy === true ? ['--trust-proxy', '127.0.0.1'] : []),
  ];
}

/**
 * Starts `bulwark serve` and resolves once it listens.
 *
 * @example
 * ```ts
 * const a = await startNode({ databaseUrl, redisUrl });
 * await a.stop();
 * ```
 */
export function startNode(options: NodeOptions): Promise<ServerNode> {
  const env = { ...process.env };
  delete env.BULWARK_DATABASE_URL;
  delete env.BULWARK_REDIS_URL;
  const child = spawn(process.execPath, [CLI, 'serve', ...serveArgs(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bulwark serve did not start:\n${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const match = /Bulwark listening on (\S+)/.exec(output);
      // The banner ends with where the shared state lives.
      if (match?.[1] !== undefined && /shared state .*\n/.test(output)) {
        clearTimeout(timer);
        const url = match[1];
        resolve({
          url,
          child,
          output: () => output,
          async stop(signal = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`bulwark serve exited (${code}) before listening:\n${output}`));
    });
  });
}

/**
 * Creates accounts directly in the database the nodes use (as an admin would), with teams.
 *
 * @example
 * ```ts
 * const [ann] = await createAccounts(db, [{ username: 'ann', teams: ['north'] }]);
 * ```
 */
export async function createAccounts(
  db: Kysely<Database>,
  accounts: ReadonlyArray<{ username: string; role?: 'admin' | 'user'; teams?: readonly string[] }>,
): Promise<string[]> {
  const config = resolveAuthConfig();
  const passwords = new PasswordHasher(config.passwords.argon2, 2, 64);
  const ids: string[] = [];
  for (const account of accounts) {
    const row = await createUser(
      { db, passwords, rules: config.passwords, now: () => new Date() },
      { username: account.username, password: PASSWORD, role: account.role ?? 'user' },
    );
    if ((account.teams ?? []).length > 0) {
      await db
        .insertInto('user_teams')
        .values((account.teams ?? []).map((team) => ({ user_id: row.id, team })))
        .execute();
    }
    ids.push(row.id);
  }
  return ids;
}

/** An HTTP answer, read once. */
export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
  /** The node that answered. */
  readonly node: string;
}

/** A device with its own key, over HTTP, against one node or round-robin over several. */
export class HttpDevice {
  readonly id: string = randomUUID();
  nonce: string | undefined;
  accessToken: string | undefined;
  refreshToken: string | undefined;
  userId: string | undefined;
  #next = 0;

  private constructor(
    public nodes: readonly string[],
    readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
    readonly jkt: string,
  ) {}

  static async create(nodes: readonly string[]): Promise<HttpDevice> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const publicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } as JWK;
    return new HttpDevice(nodes, privateKey, publicJwk, await calculateJwkThumbprint(publicJwk));
  }

  /** The node the next request goes to (round-robin). */
  nextNode(): string {
    const node = this.nodes[this.#next % this.nodes.length];
    this.#next += 1;
    if (node === undefined) throw new Error('no node');
    return node;
  }

  /** A DPoP proof for `method` `path` with the latest nonce (and `ath` when signed in). */
  proof(
    method: string,
    path: string,
    options: { nonce?: string | null; withToken?: boolean } = {},
  ): Promise<string> {
    const nonce = options.nonce === undefined ? this.nonce : options.nonce;
    const token = options.withToken === false ? undefined : this.accessToken;
    return new SignJWT({
      jti: randomUUID(),
      htm: method,
      htu: `${PUBLIC_URL}${path}`,
      iat: Math.floor(Date.now() / 1000),
      ...(nonce === null || nonce === undefined ? {} : { nonce }),
      ...(token === undefined ? {} : { ath: sha256Base64url(token) }),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: this.publicJwk } as never)
      .sign(this.privateKey);
  }

  /** Sends one request with the given proof to `node`; keeps the nonce it is handed. */
  async sendWithProof(
    node: string,
    method: string,
    path: string,
    dpop: string,
    options: { body?: unknown; headers?: Record<string, string>; withToken?: boolean } = {},
  ): Promise<Answer> {
    const token = options.withToken === false ? undefined : this.accessToken;
    const res = await fetch(`${node}${path}`, {
      method,
      headers: {
        dpop,
        ...(token === undefined ? {} : { authorization: `DPoP ${token}` }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const nonce = res.headers.get('dpop-nonce');
    if (nonce !== null) this.nonce = nonce;
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      body = { text };
    }
    return { status: res.status, body, headers: res.headers, node };
  }

  /** Sends a request to the next node with a fresh proof, once more when asked for a nonce. */
  async send(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; withToken?: boolean; node?: string } = {},
  ): Promise<Answer> {
    for (let attempt = 0; ; attempt += 1) {
      const node = options.node ?? this.nextNode();
      const dpop = await this.proof(method, path, { withToken: options.withToken !== false });
      const answer = await this.sendWithProof(node, method, path, dpop, options);
      if (attempt === 0 && answer.status === 401 && answer.body.code === 'use_dpop_nonce') continue;
      return answer;
    }
  }

  /** POST /auth/login; signs in on success. */
  async login(username: string, password = PASSWORD, headers: Record<string, string> = {}): Promise<Answer> {
    const answer = await this.send('POST', '/auth/login', {
      withToken: false,
      headers,
      body: {
        username,
        password,
        device: {
          id: this.id,
          publicKey: this.publicJwk,
          platform: 'android',
          osVersion: '14',
          appVersion: '1.4.0',
          posture: GOOD_POSTURE,
        },
      },
    });
    if (answer.status === 200) {
      this.accessToken = String(answer.body.accessToken);
      this.refreshToken = String(answer.body.refreshToken);
      this.userId = String((answer.body.user as { id: string }).id);
    }
    return answer;
  }
}
