/**
 * End to end against the real server mounted as a Fastify plugin under a path prefix in a host
 * backend (docs/api.md), on loopback: the transport's base URL carries the prefix, and its
 * requests (the sign-in with the password, then authenticated calls) go under it. The host's own
 * routes at the same paths without the prefix (its own `/auth/login`, say) never receive a
 * request, a password or a token.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bulwarkPlugin, createServerContext, createUser, openDatabase } from '@bulwark/server';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceKey, MemorySessionStore, Transport } from '../src/index.js';
import { posture, USER } from './lib/real-server.js';

let url: string;
let close: () => Promise<void>;
/** What reached the host's own routes: method, path and body. */
const decoyHits: string[] = [];

beforeAll(async () => {
  const db = await openDatabase({ dataDir: await mkdtemp(join(tmpdir(), 'bulwark-e2e-prefix-')) });
  const context = await createServerContext({
    db: db.db,
    cache: db.cache,
    auth: { passwords: { maxConcurrentHashes: 2, maxQueuedHashes: 64 } },
  });
  const deps = {
    db: context.db,
    passwords: context.passwords,
    rules: context.config.passwords,
    now: context.now,
  };
  await createUser(deps, { ...USER, role: 'user' });
  const host = Fastify({ logger: false });
  // The host backend's own routes, at the paths the plugin has under its prefix.
  for (const path of ['/auth/login', '/auth/refresh', '/me', '/sync/pull']) {
    host.route({
      method: ['GET', 'POST'],
      url: path,
      handler: async (request) => {
        decoyHits.push(`${request.method} ${request.url} ${JSON.stringify(request.body ?? null)}`);
        return { host: true };
      },
    });
  }
  await host.register(bulwarkPlugin, { prefix: '/bulwark', db: db.db, context });
  url = await host.listen({ host: '127.0.0.1', port: 0 });
  close = async () => {
    await host.close();
    await context.events.flush();
    await db.close();
  };
}, 60_000);

afterAll(async () => {
  await close();
});

describe('a server mounted under a path prefix', () => {
  it.each([['/bulwark'], ['/bulwark/']])(
    'is reached under the prefix of the base URL (%s), never beside it',
    async (prefix) => {
      const transport = new Transport({
        baseUrl: `${url}${prefix}`,
        devMode: true,
        deviceKey: await DeviceKey.generate(),
        sessions: new MemorySessionStore(),
        posture,
      });
      await transport.login({ ...USER, deviceId: randomUUID() });
      expect(await transport.request('GET', '/me')).toMatchObject({ username: USER.username });
      expect(decoyHits).toEqual([]);
    },
  );
});
