/**
 * A fake Bulwark server on loopback for transport tests, speaking the identity protocol of the
 * server package (login with device enrollment, refresh rotation with reuse detection, DPoP with
 * server nonces, signed device policy, device revocation, wipe receipts). It verifies every DPoP
 * proof with jose the way the server does, and records what it saw.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  base64url,
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  exportJWK,
  generateKeyPair,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';

export interface FakeServerOptions {
  accessTtlSeconds?: number;
  /** Sign policies with a key that is not in the JWKS. */
  rogueSigner?: boolean;
  handlers?: Record<string, (body: unknown, auth: { deviceId: string } | undefined) => unknown>;
}

export class FakeServer {
  readonly seen: Array<{
    method: string;
    path: string;
    proofHeader?: Record<string, unknown>;
    proof?: Record<string, unknown>;
  }> = [];
  readonly counts = { refresh: 0, login: 0 };
  revoked = new Set<string>();
  wipeReceipts: string[] = [];
  #server: Server | undefined;
  #url = '';
  #nonce = `n-${randomUUID()}`;
  #keys!: { privateKey: CryptoKey; publicJwk: JWK };
  #rogue!: CryptoKey;
  #access = new Map<string, { deviceId: string; jkt: string; exp: number }>();
  #refresh = new Map<string, { deviceId: string; jkt: string; used: boolean }>();
  #devices = new Map<string, { jkt: string; jwk: JWK }>();
  readonly options: FakeServerOptions;

  constructor(options: FakeServerOptions = {}) {
    this.options = options;
  }

  get url(): string {
    return this.#url;
  }

  rotateNonce(): void {
    this.#nonce = `n-${randomUUID()}`;
  }

  expireAllAccessTokens(): void {
    for (const entry of this.#access.values()) entry.exp = 0;
  }

  async start(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    this.#keys = {
      privateKey,
      publicJwk: { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' },
    };
    this.#rogue = (await generateKeyPair('ES256')).privateKey;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ code: 'internal', detail: String(err) }));
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.#server?.close(resolve));
  }

  #problem(res: ServerResponse, status: number, code: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
    res.end(JSON.stringify({ type: 'about:blank', title: code, status, code, detail: code }));
  }

  async #proof(req: IncomingMessage, accessToken?: string): Promise<{ jkt: string; jwk: JWK } | string> {
    const header = req.headers.dpop;
    if (typeof header !== 'string') return 'dpop_proof_missing';
    const protectedHeader = decodeProtectedHeader(header);
    const { payload } = await jwtVerify(header, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
    const jwk = protectedHeader.jwk as JWK;
    if ('d' in jwk) return 'dpop_proof_jwk';
    const record = this.seen.at(-1);
    if (record !== undefined) {
      record.proofHeader = protectedHeader as Record<string, unknown>;
      record.proof = payload as Record<string, unknown>;
    }
    if (payload.htm !== req.method) return 'dpop_proof_htm';
    if (payload.htu !== `${this.#url}${(req.url ?? '').split('?')[0]}`) return 'dpop_proof_htu';
    if (typeof payload.iat !== 'number' || Math.abs(payload.iat - Date.now() / 1000) > 60)
      return 'dpop_proof_iat';
    if (accessToken !== undefined) {
      const ath = base64url.encode(
        new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken))),
      );
      if (payload.ath !== ath) return 'dpop_proof_ath';
    }
    if (payload.nonce !== this.#nonce) return 'use_dpop_nonce';
    return { jkt: await calculateJwkThumbprint(jwk), jwk };
  }

  async #tokens(deviceId: string, jkt: string) {
    const accessToken = `at-${randomUUID()}`;
    const refreshToken = `rt-${randomUUID()}`;
    const ttl = this.options.accessTtlSeconds ?? 300;
    this.#access.set(accessToken, { deviceId, jkt, exp: Date.now() + ttl * 1000 });
    this.#refresh.set(refreshToken, { deviceId, jkt, used: false });
    const settings = { lockTimeoutSeconds: 60, failedUnlockLimit: 5, offlineGraceSeconds: 3600 };
    const signed = await new SignJWT({ decision: 'allow', findings: [], settings })
      .setProtectedHeader({ alg: 'ES256', typ: 'bulwark-policy+jwt', kid: 'k1' })
      .setIssuer('bulwark')
      .setSubject(deviceId)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(this.options.rogueSigner === true ? this.#rogue : this.#keys.privateKey);
    return {
      accessToken,
      tokenType: 'DPoP',
      expiresIn: ttl,
      refreshToken,
      user: { id: 'u1', username: 'ada', role: 'user', mustChangePassword: false },
      device: { id: deviceId, status: 'active' },
      policy: { decision: 'allow', findings: [], settings, signed },
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] as string;
    this.seen.push({ method: req.method ?? '', path });
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body: Record<string, unknown> = raw.length > 0 ? JSON.parse(raw) : {};
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'dpop-nonce': this.#nonce });
      res.end(value === undefined ? '' : JSON.stringify(value));
    };
    if (path === '/.well-known/jwks.json') return send(200, { keys: [this.#keys.publicJwk] });
    if (path === '/redirect') {
      res.writeHead(302, { location: 'http://example.com/' });
      return void res.end();
    }
    if (path === '/devices/wipe-receipt') {
      this.wipeReceipts.push(String(body.receipt));
      return send(200, { status: 'wipe_confirmed' });
    }
    if (path === '/auth/login' || path === '/auth/refresh') {
      const proof = await this.#proof(req);
      if (typeof proof === 'string') {
        return this.#problem(
          res,
          401,
          proof,
          proof === 'use_dpop_nonce' ? { 'dpop-nonce': this.#nonce } : {},
        );
      }
      if (path === '/auth/login') {
        this.counts.login += 1;
        const device = body.device as { id: string; publicKey: JWK };
        if ((await calculateJwkThumbprint(device.publicKey)) !== proof.jkt)
          return this.#problem(res, 400, 'device_key_mismatch');
        if (body.password !== 'correct horse battery') return this.#problem(res, 401, 'invalid_credentials');
        this.#devices.set(device.id, { jkt: proof.jkt, jwk: device.publicKey });
        return send(200, await this.#tokens(device.id, proof.jkt));
      }
      this.counts.refresh += 1;
      const entry = this.#refresh.get(String(body.refreshToken));
      if (entry === undefined || entry.jkt !== proof.jkt)
        return this.#problem(res, 401, 'invalid_refresh_token');
      if (entry.used) return this.#problem(res, 401, 'refresh_token_reused');
      if (this.revoked.has(entry.deviceId)) return this.#problem(res, 403, 'device_revoked');
      entry.used = true;
      // A little latency, so that concurrent refreshes would overlap if the client sent several.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return send(200, await this.#tokens(entry.deviceId, proof.jkt));
    }
    const authorization = req.headers.authorization ?? '';
    if (!authorization.startsWith('DPoP ')) return this.#problem(res, 401, 'token_missing');
    const token = authorization.slice(5);
    const access = this.#access.get(token);
    const proof = await this.#proof(req, token);
    if (typeof proof === 'string') {
      return this.#problem(res, 401, proof, proof === 'use_dpop_nonce' ? { 'dpop-nonce': this.#nonce } : {});
    }
    if (access === undefined || access.jkt !== proof.jkt) return this.#problem(res, 401, 'invalid_token');
    if (access.exp < Date.now()) return this.#problem(res, 401, 'token_expired');
    if (this.revoked.has(access.deviceId)) return this.#problem(res, 403, 'device_revoked');
    const handler = this.options.handlers?.[`${req.method} ${path}`];
    if (handler !== undefined) {
      try {
        return send(200, handler(body, { deviceId: access.deviceId }));
      } catch (err) {
        const e = err as { status?: number; code?: string };
        return this.#problem(res, e.status ?? 500, e.code ?? 'internal');
      }
    }
    if (path === '/me') return send(200, { userId: 'u1', deviceId: access.deviceId });
    if (path === '/auth/logout') {
      this.#access.delete(token);
      return send(204, undefined);
    }
    return this.#problem(res, 404, 'not_found');
  }
}
