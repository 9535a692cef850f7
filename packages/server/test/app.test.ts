/**
 * The standalone app's envelope: health probes, the generated OpenAPI document, problem+json for
 * every error (also for what Node's HTTP parser refuses before Fastify sees a request), hardening
 * headers, body limits and the plain-HTTP rule of `startServer`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type OpenDatabase, openDatabase, startServer } from '../src/index.js';
import { isLoopbackHost } from '../src/serve.js';

let dir: string;
let database: OpenDatabase;
let app: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bulwark-app-'));
  database = await openDatabase({ dataDir: join(dir, 'data') });
  app = await buildApp({ db: database.db, logger: false, bodyLimit: 1024 });
  app.post('/echo', async (request) => request.body);
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('health', () => {
  it('answers /healthz and /readyz', async () => {
    for (const url of ['/healthz', '/readyz']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    }
  });

  it('reports not ready when the database is gone', async () => {
    const other = await openDatabase({ dataDir: join(dir, 'closing') });
    const probe = await buildApp({ db: other.db, logger: false });
    await other.close();
    const res = await probe.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 503, code: 'not_ready' });
    await probe.close();
  });
});

describe('the bare address', () => {
  it('sends a browser to the console where it is served, and is a 404 problem where it is not', async () => {
    const consoleDir = join(dir, 'console');
    mkdirSync(consoleDir);
    writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>console</title>');
    const withConsole = await buildApp({
      db: database.db,
      logger: false,
      webApps: { console: { dir: consoleDir } },
    });
    const res = await withConsole.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/console/');
    await withConsole.close();
    const apiOnly = await app.inject({ method: 'GET', url: '/' });
    expect(apiOnly.statusCode).toBe(404);
    expect(apiOnly.json()).toMatchObject({ code: 'not_found' });
  });
});

describe('OpenAPI', () => {
  it('is generated from the route schemas', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz']));
    expect(
      doc.paths['/healthz'].get.responses['200'].content['application/json'].schema.properties.status,
    ).toEqual({
      type: 'string',
      enum: ['ok'],
    });
  });
});

describe('errors are problem+json with a stable code', () => {
  const cases: Array<[string, InjectOptions, number, string]> = [
    ['unknown route', { method: 'GET', url: '/no/such/route' }, 404, 'not_found'],
    [
      'malformed JSON',
      { method: 'POST', url: '/echo', payload: '{"a":', headers: { 'content-type': 'application/json' } },
      400,
      'invalid_json',
    ],
    [
      '__proto__ key',
      {
        method: 'POST',
        url: '/echo',
        payload: '{"__proto__":{"admin":true}}',
        headers: { 'content-type': 'application/json' },
      },
      400,
      'invalid_json',
    ],
    [
      'constructor.prototype key',
      {
        method: 'POST',
        url: '/echo',
        payload: '{"constructor":{"prototype":{"admin":true}}}',
        headers: { 'content-type': 'application/json' },
      },
      400,
      'invalid_json',
    ],
    [
      'body over the limit',
      {
        method: 'POST',
        url: '/echo',
        payload: JSON.stringify({ a: 'x'.repeat(2048) }),
        headers: { 'content-type': 'application/json' },
      },
      413,
      'payload_too_large',
    ],
    [
      'unsupported media type',
      { method: 'POST', url: '/echo', payload: '<a/>', headers: { 'content-type': 'application/xml' } },
      415,
      'unsupported_media_type',
    ],
  ];

  it.each(cases)('%s', async (_name, request, status, code) => {
    const res = await app.inject(request);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body).toMatchObject({ status, code, type: `urn:bulwark:problem:${code}` });
    expect(JSON.stringify(body)).not.toMatch(/\bat .*\(.*:\d+:\d+\)|node_modules|SyntaxError/);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('hides the details of unexpected errors', async () => {
    const probe = await buildApp({ db: database.db, logger: false });
    probe.get('/boom', async () => {
      throw new Error('secret=hunter2 at /srv/app.js:1:1');
    });
    const res = await probe.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      type: 'urn:bulwark:problem:internal_error',
      title: 'Internal Server Error',
      status: 500,
      code: 'internal_error',
      detail: 'An unexpected error occurred.',
    });
    await probe.close();
  });
});

describe('hardening headers', () => {
  it('sets HSTS, nosniff, a closed CSP, no-referrer and no-store', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('sets them on errors too', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

/** Sends `bytes` on a new connection to `port` and resolves with everything the server answered. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('requests the HTTP parser refuses', () => {
  it('answers them as problem+json with the hardening headers, not as Fastify JSON', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const port = Number(new URL(address).port);
    const cases: Array<[string, string, number]> = [
      ['a request line that is not HTTP', 'GARBAGE\r\n\r\n', 400],
      [
        'Content-Length and Transfer-Encoding together (request smuggling)',
        'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        400,
      ],
      [
        'two Content-Length headers',
        'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
        400,
      ],
      [
        'a header section over the limit',
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(20_000)}\r\n\r\n`,
        431,
      ],
    ];
    for (const [what, bytes, status] of cases) {
      const answer = await rawExchange(port, bytes);
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      expect([what, head.split('\r\n')[0]]).toEqual([
        what,
        `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : 'Request Header Fields Too Large'}`,
      ]);
      const headers = head.toLowerCase();
      expect(headers, what).toContain('content-type: application/problem+json');
      expect(headers, what).toContain('cache-control: no-store');
      expect(headers, what).toContain('x-content-type-options: nosniff');
      expect(headers, what).toContain("content-security-policy: default-src 'none'");
      expect(headers, what).toContain('connection: close');
      expect(JSON.parse(body), what).toEqual({
        type: 'urn:bulwark:problem:bad_request',
        title: status === 400 ? 'Bad Request' : 'Request Header Fields Too Large',
        status,
        code: 'bad_request',
        detail: expect.any(String),
      });
    }
  });
});

describe('slow clients', () => {
  it('gives a request a minute by default, not the unlimited time Fastify gives', () => {
    expect(app.server.requestTimeout).toBe(60_000);
    expect(app.server.headersTimeout).toBeLessThanOrEqual(60_000);
  });

  it('answers a client that trickles its body past the limit 408 and closes the connection', async () => {
    const slow = await buildApp({ db: database.db, logger: false, requestTimeoutMs: 1_000 });
    const address = await slow.listen({ port: 0, host: '127.0.0.1' });
    try {
      const port = Number(new URL(address).port);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () =>
          socket.write(
            'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
          ),
        );
        // One byte every half second: never idle, never done. Node looks at request ages every
        // 30 s, so the answer comes within about 31 s.
        const drip = setInterval(() => socket.writable && socket.write(' '), 500);
        let text = '';
        socket.setEncoding('latin1');
        socket.on('data', (chunk: string) => {
          text += chunk;
        });
        socket.on('close', () => {
          clearInterval(drip);
          resolve(text);
        });
        socket.on('error', (err) => {
          clearInterval(drip);
          if (text === '') reject(err);
          else resolve(text);
        });
      });
      expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
      expect(answer.toLowerCase()).toContain('content-type: application/problem+json');
      expect(JSON.parse(answer.split('\r\n\r\n')[1] ?? '')).toMatchObject({
        status: 408,
        code: 'bad_request',
      });
    } finally {
      await slow.close();
    }
  }, 45_000);
});

describe('startServer', () => {
  it('recognises loopback hosts', () => {
    // The one rule of @bulwark/core/protocol, the client's too: *.localhost is loopback, the
    // Android emulator's 10.0.2.2 is not.
    for (const host of ['127.0.0.1', '127.8.9.1', '::1', '[::1]', 'localhost', 'app.localhost'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '10.0.0.1', '::', 'example.com', '128.0.0.1', '10.0.2.2'])
      expect(isLoopbackHost(host)).toBe(false);
  });

  it('refuses plain HTTP off loopback, and half a TLS configuration', async () => {
    await expect(startServer({ host: '0.0.0.0', port: 0, dataDir: join(dir, 'x') })).rejects.toMatchObject({
      code: 'serve_config',
    });
    await expect(
      startServer({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'x'), tlsCertFile: 'cert.pem' }),
    ).rejects.toMatchObject({ code: 'serve_config' });
  });

  it('serves on loopback over a real socket', async () => {
    const server = await startServer({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'served') });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${server.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    } finally {
      await server.close();
    }
  });
});
