/**
 * The load run of issue 14: many enrolled devices syncing through real HTTP against two
 * `bulwark serve` processes on one PostgreSQL database, for a bounded time, on loopback only;
 * with `redisUrl`, both nodes keep their short-lived shared state (the DPoP replay cache and the
 * throttling counters) in that Redis instead of the database.
 * Each device has its own ECDSA P-256 key and signs a DPoP proof per request; the devices live
 * in this one process (many keys, one event loop), so the run fits a small machine. Devices push
 * new inspections and edits of their own, sometimes send a push twice (an answer lost on the
 * way), and pull; requests go round-robin to the two nodes. At the end every acknowledged write
 * is checked against the database: present once, at the version and content last acknowledged.
 * Used by packages/server/test/load.test.ts (pass/fail) and by `npm run bench` (figures).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import pg from 'pg';
import { createServerContext } from '../../packages/server/src/context.js';
import { openDatabase } from '../../packages/server/src/db/database.js';
import { createUser } from '../../packages/server/src/identity/users.js';

/** What to run. */
export interface LoadOptions {
  /** PostgreSQL URL; a fresh schema is created in it and dropped after. */
  readonly databaseUrl: string;
  readonly devices: number;
  readonly seconds: number;
  /** Devices per user (the users are spread over two teams). */
  readonly devicesPerUser?: number;
  /** Pause of each device between two operations, in ms (uniform in [min, max]). */
  readonly thinkMs?: readonly [number, number];
  readonly log?: (line: string) => void;
  /**
   * Seconds of a baseline phase before the sync phase: the same devices, at the same pace, each
   * request a plain `GET /healthz` (no authentication, no database), round-robin over the nodes.
   */
  readonly baselineSeconds?: number;
  /** A Redis URL both nodes are given (`--redis-url`); without it they share state in the database. */
  readonly redisUrl?: string;
}

/** What a run measured and checked. */
export interface LoadResult {
  readonly devices: number;
  readonly seconds: number;
  readonly requests: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly serverErrors: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Latency of the baseline phase (`GET /healthz`), when one ran. */
  readonly baselineLatencyMs?: { readonly p50: number; readonly p99: number };
  readonly pushes: number;
  readonly pulls: number;
  readonly retriedPushes: number;
  /** Retried pushes whose answer differed from the first one. */
  readonly retryMismatches: number;
  readonly acknowledgedWrites: number;
  /** Acknowledged writes missing from the database or older there than acknowledged. */
  readonly lost: number;
  /** Records at a later version than acknowledged, or not acknowledged at all. */
  readonly duplicated: number;
  readonly records: number;
  readonly pulledChanges: number;
  /** Where the nodes said they keep their shared state (their start banner). */
  readonly sharedState: string;
}

const PASSWORD = 'load-run-passphrase-not-common-77';
const TEAMS = ['north', 'south'];
const BIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const CONFIG = fileURLToPath(new URL('../../apps/demo/bulwark.config.ts', import.meta.url));

function sha256b64url(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface Node {
  readonly url: string;
  /** The start banner's line on shared state. */
  readonly sharedState: string;
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
}

async function startNode(
  databaseUrl: string,
  redisUrl: string | undefined,
  log: (line: string) => void,
): Promise<Node> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--port',
      '0',
      '--database-url',
      databaseUrl,
      '--config',
      CONFIG,
      '--no-web-apps',
      '--trust-proxy',
      '127.0.0.1',
      '--log-level',
      'error',
      ...(redisUrl === undefined ? [] : ['--redis-url', redisUrl]),
    ],
    { env: { ...process.env, NODE_ENV: 'production' } },
  );
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const [url, sharedState] = await new Promise<[string, string]>((done, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`a node did not start: ${out.slice(-2000)}`)), 60_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      // The banner ends with where the shared state lives.
      const state = /shared state [^:]*: (.*)\n/.exec(out);
      if (match !== null && state !== null) {
        clearTimeout(timer);
        done([match[1] as string, state[1] as string]);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // Server errors are counted from the answers; keep their log lines visible.
      for (const line of chunk.toString().split('\n'))
        if (line.includes('"level":50')) log(line.slice(0, 300));
    });
    child.on('exit', (code) => fail(new Error(`a node exited (${code}): ${out.slice(-2000)}`)));
  });
  return { url, sharedState, child, exited };
}

interface Written {
  version: number;
  site: string;
}

class Device {
  readonly id = randomUUID();
  nonce: string | undefined;
  accessToken = '';
  checkpoint: string | null = null;
  /** Records this device created and their last acknowledged version and site. */
  readonly own = new Map<string, Written>();
  private constructor(
    readonly key: CryptoKey,
    readonly jwk: JWK,
    readonly ip: string,
    readonly user: { id: string; name: string; team: string },
  ) {}

  static async create(index: number, user: { id: string; name: string; team: string }): Promise<Device> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const ip = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
    return new Device(privateKey, { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } as JWK, ip, user);
  }

  proof(method: string, url: string, accessToken: string | undefined): Promise<string> {
    return new SignJWT({
      jti: randomUUID(),
      htm: method,
      htu: url,
      iat: Math.floor(Date.now() / 1000),
      ...(this.nonce === undefined ? {} : { nonce: this.nonce }),
      ...(accessToken === undefined ? {} : { ath: sha256b64url(accessToken) }),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: this.jwk })
      .sign(this.key);
  }
}

/**
 * Runs the load: creates users, starts two nodes, enrolls the devices, lets them sync for
 * `seconds`, stops the nodes and checks the database.
 *
 * @example
 * ```ts
 * const result = await runLoad({ databaseUrl, devices: 200, seconds: 60 });
 * ```
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const log = options.log ?? (() => undefined);
  const schema = `load_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const url = new URL(options.databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const nodeUrl = url.toString();
  const perUser = options.devicesPerUser ?? 5;
  // A device syncs every few seconds at most; a pause keeps the offered rate that of real devices.
  const [thinkMin, thinkMax] = options.thinkMs ?? [1000, 5000];

  // Users, written directly (one password hash each, shared by their devices' sign-ins).
  const database = await openDatabase({ databaseUrl: options.databaseUrl, schema, poolSize: 4 });
  const users: { id: string; name: string; team: string }[] = [];
  const userCount = Math.ceil(options.devices / perUser);
  const ctx = await createServerContext({ db: database.db, cache: database.cache });
  const hash = await ctx.passwords.hash(PASSWORD);
  // Every user has the same password: hash it once.
  const passwords = Object.assign(Object.create(ctx.passwords) as typeof ctx.passwords, {
    hash: async () => hash,
  });
  for (let i = 0; i < userCount; i++) {
    const name = `load${i}`;
    const team = TEAMS[i % TEAMS.length] as string;
    const row = await createUser(
      { db: database.db, passwords, rules: ctx.config.passwords, now: ctx.now },
      { username: name, password: PASSWORD, role: 'user' },
    );
    await database.db.insertInto('user_teams').values({ user_id: row.id, team }).execute();
    users.push({ id: row.id, name, team });
  }
  await ctx.events.flush();
  await database.close();

  const nodes: Node[] = [];
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let requests = 0;
  let rr = 0;
  const call = async (
    device: Device,
    method: 'POST',
    path: string,
    body: unknown,
    authenticated: boolean,
  ): Promise<{ status: number; json: Record<string, unknown> }> => {
    const node = nodes[rr++ % nodes.length] as Node;
    const start = performance.now();
    for (let attempt = 0; ; attempt++) {
      const target = `${node.url}${path}`;
      const dpop = await device.proof(method, target, authenticated ? device.accessToken : undefined);
      const res = await fetch(target, {
        method,
        headers: {
          'content-type': 'application/json',
          dpop,
          'x-forwarded-for': device.ip,
          ...(authenticated ? { authorization: `DPoP ${device.accessToken}` } : {}),
        },
        body: JSON.stringify(body),
      });
      const nonce = res.headers.get('dpop-nonce');
      if (nonce !== null) device.nonce = nonce;
      const text = await res.text();
      const json = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
      requests++;
      // A nonce challenge is part of the protocol (the device retries with the nonce), not an answer.
      if (attempt < 2 && res.status === 401 && json.code === 'use_dpop_nonce') continue;
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      latencies.push(performance.now() - start);
      return { status: res.status, json };
    }
  };

  try {
    nodes.push(await startNode(nodeUrl, options.redisUrl, log));
    nodes.push(await startNode(nodeUrl, options.redisUrl, log));
    const sharedState = (nodes[0] as Node).sharedState;
    // A run meant for Redis that silently shared state in the database would measure the wrong thing.
    if (options.redisUrl !== undefined && !nodes.every((n) => n.sharedState.startsWith('Redis'))) {
      throw new Error(`the nodes do not use Redis: ${nodes.map((n) => n.sharedState).join('; ')}`);
    }
    log(`nodes: ${nodes.map((n) => n.url).join(', ')}; ${users.length} users; shared state: ${sharedState}`);

    const devices: Device[] = [];
    for (let i = 0; i < options.devices; i++) {
      devices.push(await Device.create(i + 1, users[Math.floor(i / perUser)] as (typeof users)[number]));
    }
    // Enrolment: sign-in with the device declaration, a few at a time (each verifies a password).
    for (let i = 0; i < devices.length; i += 8) {
      await Promise.all(
        devices.slice(i, i + 8).map(async (d) => {
          const res = await call(
            d,
            'POST',
            '/auth/login',
            {
              username: d.user.name,
              password: PASSWORD,
              device: {
                id: d.id,
                publicKey: d.jwk,
                platform: 'android',
                osVersion: '14',
                appVersion: '1.4.0',
                posture: { rooted: false, screenLock: true, emulator: false },
              },
            },
            false,
          );
          if (res.status !== 200)
            throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(res.json)}`);
          d.accessToken = res.json.accessToken as string;
        }),
      );
    }
    log(`${devices.length} devices enrolled`);
    const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
    let baselineLatencyMs: { p50: number; p99: number } | undefined;
    if ((options.baselineSeconds ?? 0) > 0) {
      const samples: number[] = [];
      const stop = Date.now() + (options.baselineSeconds ?? 0) * 1000;
      await Promise.all(
        devices.map(async () => {
          await sleep(Math.random() * thinkMax);
          while (Date.now() < stop) {
            const node = nodes[rr++ % nodes.length] as Node;
            const start = performance.now();
            const res = await fetch(`${node.url}/healthz`);
            await res.arrayBuffer();
            samples.push(performance.now() - start);
            await sleep(thinkMin + Math.random() * (thinkMax - thinkMin));
          }
        }),
      );
      samples.sort((a, b) => a - b);
      baselineLatencyMs = { p50: percentile(samples, 50), p99: percentile(samples, 99) };
    }
    latencies.length = 0;
    for (const k of Object.keys(statuses)) delete statuses[k];
    requests = 0;

    let pushes = 0;
    let pulls = 0;
    let retriedPushes = 0;
    let retryMismatches = 0;
    let pulledChanges = 0;
    const end = Date.now() + options.seconds * 1000;
    const push = async (d: Device) => {
      const mutations: Record<string, unknown>[] = [];
      const creates = 1 + Math.floor(Math.random() * 3);
      const planned = new Map<string, { id: string; site: string; base: number | null }>();
      for (let k = 0; k < creates; k++) {
        const id = randomUUID();
        const mutationId = randomUUID();
        const site = `Load site ${mutationId.slice(0, 8)}`;
        planned.set(mutationId, { id, site, base: null });
        mutations.push({
          mutationId,
          collection: 'inspections',
          id,
          op: 'upsert',
          baseVersion: null,
          record: inspectionBody(d.user.id, d.user.team, site),
        });
      }
      const mine = [...d.own.entries()];
      if (mine.length > 0 && Math.random() < 0.5) {
        const [id, w] = mine[Math.floor(Math.random() * mine.length)] as [string, Written];
        const mutationId = randomUUID();
        const site = `Edited ${mutationId.slice(0, 8)}`;
        planned.set(mutationId, { id, site, base: w.version });
        mutations.push({
          mutationId,
          collection: 'inspections',
          id,
          op: 'upsert',
          baseVersion: w.version,
          record: inspectionBody(d.user.id, d.user.team, site),
        });
      }
      const body = { mutations };
      const first = await call(d, 'POST', '/sync/push', body, true);
      pushes++;
      if (first.status !== 200) return;
      const results = first.json.results as { mutationId: string; status: string; version?: number }[];
      for (const r of results) {
        const p = planned.get(r.mutationId);
        if (p !== undefined && r.status === 'applied')
          d.own.set(p.id, { version: r.version as number, site: p.site });
      }
      if (Math.random() < 0.1) {
        // The answer was "lost": the same push again must change nothing and answer the same.
        const again = await call(d, 'POST', '/sync/push', body, true);
        retriedPushes++;
        if (again.status !== 200 || JSON.stringify(again.json) !== JSON.stringify(first.json))
          retryMismatches++;
      }
    };
    const pull = async (d: Device) => {
      const res = await call(d, 'POST', '/sync/pull', { checkpoint: d.checkpoint, limit: 200 }, true);
      pulls++;
      if (res.status !== 200) return;
      d.checkpoint = res.json.checkpoint as string;
      pulledChanges += (res.json.changes as unknown[]).length;
    };
    await Promise.all(
      devices.map(async (d) => {
        await sleep(Math.random() * thinkMax);
        while (Date.now() < end) {
          if (Math.random() < 0.5) await push(d);
          else await pull(d);
          await sleep(thinkMin + Math.random() * (thinkMax - thinkMin));
        }
      }),
    );

    // Check every acknowledged write against the database.
    const client = new pg.Client({ connectionString: options.databaseUrl });
    await client.connect();
    let lost = 0;
    let duplicated = 0;
    let acknowledgedWrites = 0;
    let records = 0;
    try {
      const rows = await client.query<{ id: string; version: number; data: string }>(
        `select id, version, data from ${schema}.records where collection = 'inspections' and owner = any($1)`,
        [users.map((u) => u.id)],
      );
      records = rows.rows.length;
      const stored = new Map(rows.rows.map((r) => [r.id, r]));
      const acknowledged = new Map<string, Written>();
      for (const d of devices) for (const [id, w] of d.own) acknowledged.set(id, w);
      acknowledgedWrites = acknowledged.size;
      for (const [id, w] of acknowledged) {
        const row = stored.get(id);
        const site = row === undefined ? undefined : (JSON.parse(row.data) as { site: string }).site;
        if (row === undefined || Number(row.version) < w.version) lost++;
        else if (Number(row.version) > w.version) duplicated++;
        else if (site !== w.site) lost++;
      }
      // A record no device was told was stored: an applied write whose answer was not sent.
      for (const id of stored.keys()) if (!acknowledged.has(id)) duplicated++;
    } finally {
      await client.end();
    }
    latencies.sort((a, b) => a - b);
    return {
      devices: devices.length,
      seconds: options.seconds,
      requests,
      statuses: { ...statuses },
      serverErrors: Object.entries(statuses)
        .filter(([s]) => Number(s) >= 500)
        .reduce((n, [, c]) => n + c, 0),
      latencyMs: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.at(-1) ?? 0,
      },
      ...(baselineLatencyMs === undefined ? {} : { baselineLatencyMs }),
      pushes,
      pulls,
      retriedPushes,
      retryMismatches,
      acknowledgedWrites,
      lost,
      duplicated,
      records,
      pulledChanges,
      sharedState,
    };
  } finally {
    for (const n of nodes) n.child.kill('SIGTERM');
    await Promise.all(nodes.map((n) => n.exited));
    const client = new pg.Client({ connectionString: options.databaseUrl });
    await client.connect();
    try {
      await client.query(`drop schema if exists ${schema} cascade`);
    } finally {
      await client.end();
    }
  }
}

function inspectionBody(inspector: string, team: string, site: string): Record<string, unknown> {
  return {
    site,
    inspector,
    team,
    status: 'scheduled',
    scheduledAt: '2030-01-20T08:30:00Z',
    residentPhone: '+33 6 12 34 56 78',
    findings: [{ note: 'Loose handrail on stairs B', severity: 'medium' }],
    photos: [],
  };
}
