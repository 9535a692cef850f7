/**
 * An in-process Bulwark server on a fresh database with a controllable clock, and a test
 * device that speaks the protocol the way the SDK does: an ECDSA P-256 key, DPoP proofs made
 * with jose, server nonces picked up from `DPoP-Nonce`, tokens kept per session.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { type AppOptions, buildApp } from '../../src/app.js';
import type { BulwarkConfig } from '../../src/config/define.js';
import type { AuthOptions } from '../../src/config.js';
import { createServerContext, type ServerContext } from '../../src/context.js';
import type { Posture } from '../../src/devices/policy.js';
import { createUser } from '../../src/identity/users.js';
import { sha256Base64url } from '../../src/lib/encoding.js';
import { containsCanary, withCanaries } from './canary.js';
import { type Dialect, openTestDatabase, type TestDatabase } from './databases.js';

/** A clock that moves only when told. */
export class TestClock {
  ms = Date.UTC(2030, 0, 15, 9, 0, 0);
  readonly now = (): Date => new Date(this.ms);
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

/** Options that keep tests fast without weakening what they test. */
export const TEST_AUTH: AuthOptions = {
  passwords: { maxConcurrentHashes: 2, maxQueuedHashes: 64 },
};

export interface TestServer {
  readonly app: FastifyInstance;
  readonly ctx: ServerContext;
  readonly database: TestDatabase;
  readonly clock: TestClock;
  /** Creates an account directly (bypassing the admin API). */
  user(username: string, password: string, role?: 'admin' | 'user'): Promise<string>;
  close(): Promise<void>;
}

/** Options of a test server beyond identity settings. */
export interface TestServerOptions {
  /** A data configuration (collections, rules, hooks); canaries are added to its serverOnly fields. */
  readonly data?: BulwarkConfig;
  /** The app's `trustProxy` (requests set their socket address with `remoteAddress`). */
  readonly trustProxy?: AppOptions['trustProxy'];
  /** The app's logger (default: silent). */
  readonly logger?: AppOptions['logger'];
}

/**
 * Starts an app on a fresh database of `dialect`. Every response it sends is scanned for the
 * serverOnly canaries (lib/canary.ts); `close()` fails the test if one was seen.
 */
export async function startTestServer(
  dialect: Dialect,
  auth: AuthOptions = {},
  options: TestServerOptions = {},
): Promise<TestServer> {
  const database = await openTestDatabase(dialect);
  const clock = new TestClock();
  const ctx = await createServerContext({
    db: database.db,
    cache: database.cache,
    now: clock.now,
    auth: { ...TEST_AUTH, ...auth },
    ...(options.data === undefined ? {} : { data: withCanaries(options.data) }),
  });
  const app = await buildApp({
    db: database.db,
    context: ctx,
    logger: options.logger ?? false,
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
  });
  const leaks: string[] = [];
  app.addHook('onSend', async (request, _reply, payload) => {
    const text =
      typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
    if (text !== undefined && containsCanary(text)) leaks.push(`${request.method} ${request.url}`);
    return payload;
  });
  await app.ready();
  return testServerOf(app, ctx, database, clock, leaks);
}

/**
 * Wraps an app that is ready (the standalone one, or a host server with the plugin mounted) as a
 * {@link TestServer}. `leaks` are serverOnly canaries seen in responses: `close()` fails on any.
 */
export function testServerOf(
  app: FastifyInstance,
  ctx: ServerContext,
  database: TestDatabase,
  clock: TestClock,
  leaks: readonly string[] = [],
): TestServer {
  return {
    app,
    ctx,
    database,
    clock,
    async user(username, password, role = 'user') {
      const row = await createUser(
        { db: ctx.db, passwords: ctx.passwords, rules: ctx.config.passwords, now: ctx.now },
        { username, password, role },
      );
      return row.id;
    },
    async close() {
      await app.close();
      await ctx.events.flush();
      await database.dispose();
      if (leaks.length > 0)
        throw new Error(`a serverOnly canary was sent by: ${leaks.slice(0, 5).join(', ')}`);
    },
  };
}

export const GOOD_POSTURE: Posture = { rooted: false, screenLock: true, emulator: false };

/** Base URL that `app.inject` requests are made to (its default Host). */
export const BASE = 'http://localhost';

/** Overrides for one proof, to build broken ones. */
export interface ProofOptions {
  readonly accessToken?: string;
  readonly nonce?: string | null;
  readonly header?: Record<string, unknown>;
  readonly payload?: Record<string, unknown>;
  /** Sign with this key instead of the device key (the header still shows the device key). */
  readonly signWith?: CryptoKey;
  readonly iat?: number;
  readonly jti?: string;
}

/** Tokens of one session. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  readonly userId: string;
  readonly deviceId: string;
  /** The whole login/refresh answer. */
  body: Record<string, unknown>;
}

/** A device with its own key, speaking DPoP. */
export class TestDevice {
  readonly id: string = randomUUID();
  nonce: string | undefined;
  posture: Posture = { ...GOOD_POSTURE };
  platform = 'android';
  osVersion = '14';
  appVersion = '1.4.0';
  /** The optional device name sent at sign-in. */
  name: string | undefined;

  private constructor(
    readonly server: TestServer,
    readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
    readonly jkt: string,
  ) {}

  static async create(server: TestServer): Promise<TestDevice> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const publicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } as JWK;
    return new TestDevice(server, privateKey, publicJwk, await calculateJwkThumbprint(publicJwk));
  }

  /** A DPoP proof for `method` `path` (relative to {@link BASE}, or absolute). */
  async proof(method: string, path: string, options: ProofOptions = {}): Promise<string> {
    const nowSeconds = Math.floor(this.server.clock.ms / 1000);
    const nonce = options.nonce === undefined ? this.nonce : options.nonce;
    const payload: JWTPayload = {
      jti: options.jti ?? randomUUID(),
      htm: method,
      htu: path.startsWith('http') ? path : `${BASE}${path}`,
      iat: options.iat ?? nowSeconds,
      ...(nonce === null || nonce === undefined ? {} : { nonce }),
      ...(options.accessToken === undefined ? {} : { ath: sha256Base64url(options.accessToken) }),
      ...options.payload,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: this.publicJwk, ...options.header } as never)
      .sign(options.signWith ?? this.privateKey);
  }

  /** Sends a request with a fresh proof, retrying once with the nonce the server asks for. */
  async send(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: { body?: unknown; accessToken?: string; headers?: Record<string, string>; ip?: string } = {},
  ): Promise<LightMyRequestResponse> {
    for (let attempt = 0; ; attempt += 1) {
      const dpop = await this.proof(
        method,
        path,
        options.accessToken === undefined ? {} : { accessToken: options.accessToken },
      );
      const res = await this.server.app.inject({
        method,
        url: path,
        headers: {
          dpop,
          ...(options.accessToken === undefined ? {} : { authorization: `DPoP ${options.accessToken}` }),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { payload: options.body as object }),
        ...(options.ip === undefined ? {} : { remoteAddress: options.ip }),
      });
      const nonce = res.headers['dpop-nonce'];
      if (typeof nonce === 'string') this.nonce = nonce;
      if (attempt === 0 && res.statusCode === 401 && res.json().code === 'use_dpop_nonce') continue;
      return res;
    }
  }

  /** The device part of a login body. */
  declaration(): Record<string, unknown> {
    return {
      id: this.id,
      publicKey: this.publicJwk,
      platform: this.platform,
      osVersion: this.osVersion,
      appVersion: this.appVersion,
      posture: this.posture,
      ...(this.name === undefined ? {} : { name: this.name }),
    };
  }

  /** POST /auth/login; the raw response. */
  loginRaw(
    username: string,
    password: string,
    options: { ip?: string; extra?: Record<string, unknown> } = {},
  ): Promise<LightMyRequestResponse> {
    return this.send('POST', '/auth/login', {
      body: { username, password, device: this.declaration(), ...options.extra },
      ...(options.ip === undefined ? {} : { ip: options.ip }),
    });
  }

  /** Signs in and returns the session; fails the test when sign-in fails. */
  async login(username: string, password: string, ip?: string): Promise<Session> {
    const res = await this.loginRaw(username, password, ip === undefined ? {} : { ip });
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
    const body = res.json() as Record<string, unknown> & {
      accessToken: string;
      refreshToken: string;
      user: { id: string };
    };
    return {
      accessToken: body.accessToken,
      refreshToken: body.refreshToken,
      userId: body.user.id,
      deviceId: this.id,
      body,
    };
  }

  /** POST /auth/refresh with the session's refresh token; updates the session on success. */
  async refresh(session: Session, extra: Record<string, unknown> = {}): Promise<LightMyRequestResponse> {
    const res = await this.send('POST', '/auth/refresh', {
      body: { refreshToken: session.refreshToken, ...extra },
    });
    if (res.statusCode === 200) {
      const body = res.json() as { accessToken: string; refreshToken: string };
      session.accessToken = body.accessToken;
      session.refreshToken = body.refreshToken;
      session.body = res.json();
    }
    return res;
  }

  /** An authenticated call. */
  call(
    session: Session,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse> {
    return this.send(method, path, {
      accessToken: session.accessToken,
      ...(body === undefined ? {} : { body }),
      ...(headers === undefined ? {} : { headers }),
    });
  }
}

/** A strong password for tests (not in the common list). */
export const PASSWORD = 'tangerine-orbit-lantern-42';
