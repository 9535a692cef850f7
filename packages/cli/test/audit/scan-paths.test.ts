/**
 * The fast paths of the text scan, each against the plain way: the windows decoded around
 * triggers find what a scan of the whole decoded text finds, lines included; streamed chunks find
 * a secret across their boundaries once, on its line, and keep the text before a boundary in view;
 * workers (with or without the main thread's help) find what the main thread finds; the reused
 * read buffer never leaks a previous file's bytes; the default number of workers follows the
 * machine's load. Plus the edges of the shortcuts taken before a regex runs (names of 80
 * characters, namespace URLs), the locale-independent order of the report, and a directory walk
 * that follows no symbolic link.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawFinding } from '../../src/audit/lib/finding.js';
import { ScratchReader } from '../../src/audit/lib/scratch-reader.js';
import { createTextEngine, scanTextBytes, scanTextChunk } from '../../src/audit/lib/text-file.js';
import { scanTextStream } from '../../src/audit/lib/text-stream.js';
import { POOL_MIN_BYTES, workersFor } from '../../src/audit/lib/worker-policy.js';
import { ScanPool } from '../../src/audit/lib/worker-pool.js';
import { auditPath } from '../../src/audit/scan.js';
import type { Finding } from '../../src/audit/types.js';
import { JWT, SECRETS } from './lib/fixtures.js';

const engine = createTextEngine();
const info = { path: 'app.js', config: false };

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bulwark-paths-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function scanFiles(files: Record<string, string | Buffer>, options = {}): Promise<Finding[]> {
  const dir = join(root, String(n++));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return (await auditPath(dir, options)).findings;
}

/** 1-based line of offset `at`. */
const lineOf = (text: string, at: number) => text.slice(0, at).split('\n').length;

/** A JWT whose payload makes it about `size` characters long. */
function longJwt(size: number): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const pad = 'x'.repeat(Math.max(0, Math.floor(size * 0.75) - 40));
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'svc', pad })}.kV3f9Qz1Lx8pTn2Rw7Ys4Hb6Jc0Ud5Me`;
}

// What gets planted: secrets, look-alikes and trigger words, some on their own line.
const PLANTS = [
  `const k = "${SECRETS.stripeLive}";`,
  `t = "${SECRETS.slack}"`,
  `fetch("http://api.acme-corp.io/v1/orders?id=1")`,
  'ns="http://www.w3.org/2000/svg"',
  `const apiToken = "${SECRETS.generic}";`,
  `x${SECRETS.awsKeyId}`,
  ` ${SECRETS.awsKeyId} `,
  `s = "${SECRETS.azureAd}"`,
  `jwt: "${JWT}"`,
  `jwt: "${longJwt(9000)}"`,
  'localStorage.setItem("authToken", t)',
  'a.token.b.secret.c(passwordField)',
  // Kept by the byte checks, found nothing in by the regex: it opens or extends a window.
  'token = "short"',
  '\n',
  '\r\n',
];

/**
 * `length` characters whose kept triggers (`token = "short"`, which the regex then finds nothing
 * in) come every 8 KiB from offset 0, so that a window opened at 0 serves them all up to 112 KiB.
 */
function keptTriggers(length: number): string {
  const block = `token = "short";\n${'y'.repeat(8 * 1024 - 17)}\n`;
  return block.repeat(Math.ceil(length / block.length)).slice(0, length);
}

describe('windows decoded around triggers', () => {
  it('find what a scan of the whole decoded text finds, with the same lines', () => {
    const filler = 'const a = b.token(c, d); // pwd\n';
    // One long JWT a document: where it starts near the end of a window, only the text decoded
    // past the window's triggers lets it be seen whole.
    const long = `jwt = "${longJwt(30_000)}"`;
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 300_000 }),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...PLANTS)), { maxLength: 40 }),
        (size, longAt, plants) => {
          let text = filler.repeat(Math.ceil(size / filler.length));
          for (const [at, plant] of [[longAt, long] as const, ...plants].sort((a, b) => b[0] - a[0])) {
            const i = at % (text.length + 1);
            text = text.slice(0, i) + plant + text.slice(i);
          }
          const whole: RawFinding[] = [];
          scanTextChunk(engine, text, 0, text.length, info, true, 1, whole);
          expect(scanTextBytes(engine, Buffer.from(text, 'latin1'), info)).toEqual(whole);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('give every finding its line, wherever it falls in a large file', async () => {
    const lines: string[] = [];
    const expected: { rule: string; line: number }[] = [];
    for (let i = 0; i < 30_000; i++) {
      // Lines of 0 to 120 characters, some with CRLF endings, and a secret every 997 lines at a
      // varying column.
      let line = 'abcdefghij'.repeat(i % 13).slice(0, (i * 7) % 121);
      if (i % 997 === 0) {
        line = `${line.slice(0, i % 50)}const k = "${SECRETS.stripeLive}";${line.slice(i % 50)}`;
        expected.push({ rule: 'secret-stripe-live-key', line: i + 1 });
      }
      lines.push(i % 5 === 0 ? `${line}\r` : line);
    }
    const text = lines.join('\n');
    expect(text.length).toBeGreaterThan(1_000_000);
    const raws = scanTextBytes(engine, Buffer.from(text, 'latin1'), info);
    expect(raws.map((r) => r.line)).toEqual(expected.map((e) => e.line));
    // The Stripe key is the same each time: the report keeps its first line.
    const findings = await scanFiles({ 'www/big.js': text });
    expect(findings.find((f) => f.ruleId === 'secret-stripe-live-key')?.line).toBe(1);
  });

  it('see a long secret whole when it starts near the end of a window', () => {
    // A window serves up to 112 KiB of trigger starts after its first trigger (here the one at
    // 0, followed by one every 8 KiB) and decodes 8 KiB past its last; a JWT may be longer than
    // that, so near the edge it gets a window of its own.
    for (const shift of [-9000, -40, -1, 0, 1, 300]) {
      const jwt = longJwt(40_000);
      const head = keptTriggers(112 * 1024 + shift);
      const text = `${head}jwt = "${jwt}";\n${'z\n'.repeat(10)}`;
      const raws = scanTextBytes(engine, Buffer.from(text, 'latin1'), info);
      const hit = raws.find((r) => r.ruleId === 'secret-jwt');
      expect(hit?.line, `shift ${shift}`).toBe(lineOf(text, text.indexOf('jwt = ')));
      expect(hit?.key).toBe(jwt);
    }
  });

  it('see what follows a lone trigger, and a trigger just past the gap that ends a window', () => {
    // A window ends 8 KiB after its last trigger when the next is more than 12 KiB away.
    for (const gap of [12 * 1024 - 1, 12 * 1024, 12 * 1024 + 1, 20 * 1024]) {
      const tail = `fetch("http://api.acme-corp.io/${'p'.repeat(7000)}")`;
      const text = `token = "short";${'y'.repeat(gap - 16)}${tail} const k = "${SECRETS.stripeLive}";\n`;
      const raws = scanTextBytes(engine, Buffer.from(text, 'latin1'), info);
      expect(raws.find((r) => r.ruleId === 'cleartext-http-url')?.key, `gap ${gap}`).toBe(
        `api.acme-corp.io/${'p'.repeat(7000)}`,
      );
      expect(raws.find((r) => r.ruleId === 'secret-stripe-live-key')?.key).toBe(SECRETS.stripeLive);
      const whole: RawFinding[] = [];
      scanTextChunk(engine, text, 0, text.length, info, true, 1, whole);
      expect(raws).toEqual(whole);
    }
  });

  it('see an ordinary match whole across the end of a window', () => {
    for (const shift of [-60, -20, -1, 0, 1]) {
      const head = keptTriggers(112 * 1024 + shift);
      const text = `${head} const k = "${SECRETS.stripeLive}"; fetch("http://api.acme-corp.io/${'p'.repeat(3000)}")\n`;
      const raws = scanTextBytes(engine, Buffer.from(text, 'latin1'), info);
      expect(raws.find((r) => r.ruleId === 'secret-stripe-live-key')?.key, `shift ${shift}`).toBe(
        SECRETS.stripeLive,
      );
      expect(raws.find((r) => r.ruleId === 'cleartext-http-url')?.key).toBe(
        `api.acme-corp.io/${'p'.repeat(3000)}`,
      );
    }
  });
});

describe('streamed chunks', () => {
  // Small chunks so that the tests run in milliseconds: 1000 bytes of triggers a chunk, 100
  // shared with the next, 50 more of context.
  const chunking = { chunk: 1000, overlap: 100, context: 50 };

  async function streamScan(text: string, pieceSize: number, sizes = chunking): Promise<RawFinding[]> {
    const bytes = Buffer.from(text, 'latin1');
    const pieces: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += pieceSize) pieces.push(bytes.subarray(i, i + pieceSize));
    const out: RawFinding[] = [];
    let total = 0;
    await scanTextStream(engine, Readable.from(pieces), info, out, (b) => (total += b), sizes);
    expect(total).toBe(bytes.length);
    return out;
  }

  it('find a secret across a chunk boundary once, on its line', async () => {
    const secret = `k = "${SECRETS.stripeLive}";`;
    for (let at = 940; at <= 1060; at += 3) {
      const head = 'ab\n'.repeat(Math.floor(at / 3)) + 'c'.repeat(at % 3);
      const text = `${head}${secret}\n${'de\n'.repeat(800)}`;
      const hits = (await streamScan(text, 37)).filter((r) => r.ruleId === 'secret-stripe-live-key');
      expect(
        hits.map((h) => h.line),
        `secret at ${at}`,
      ).toEqual([lineOf(text, at)]);
    }
  });

  it('give the same findings and lines as one scan of the whole file', async () => {
    const filler = 'const a = b.token(c, d);\n';
    let text = filler.repeat(400);
    for (const [i, plant] of PLANTS.slice(0, 9).entries()) {
      const at = 700 + i * 997;
      text = text.slice(0, at) + plant + text.slice(at);
    }
    const whole = scanTextBytes(engine, Buffer.from(text, 'latin1'), info);
    expect(whole.length).toBeGreaterThan(5);
    for (const pieceSize of [1, 64, 1000, 4096]) {
      expect(await streamScan(text, pieceSize)).toEqual(whole);
    }
  });

  it('keep the text before a boundary in view (no AWS key id glued to a word)', async () => {
    // The first chunk reports triggers before offset 1000; the next one starts reporting there.
    const glued = `${'q'.repeat(999)}Z${SECRETS.awsKeyId}\n${'w'.repeat(2000)}`;
    const apart = `${'q'.repeat(999)}=${SECRETS.awsKeyId}\n${'w'.repeat(2000)}`;
    const rule = (raws: RawFinding[]) => raws.filter((r) => r.ruleId === 'secret-aws-access-key-id');
    expect(rule(await streamScan(apart, 100))).toHaveLength(1);
    expect(rule(await streamScan(glued, 100))).toHaveLength(0);
    // Without the context the chunk would see the key id at its very start and report it.
    expect(rule(await streamScan(glued, 100, { ...chunking, context: 0 }))).toHaveLength(1);
  });
});

describe('scan workers', () => {
  const workerUrl = new URL('../../dist/audit/lib/scan-worker.js', import.meta.url);

  it('find what the main thread finds when they take every large file', async () => {
    expect(existsSync(workerUrl), 'build packages/cli first (npx tsc -b packages/cli)').toBe(true);
    const filler = 'const a = b(c, d);\n'.repeat(20_000);
    const files: Record<string, string> = { 'small.js': `t = "${SECRETS.slack}"` };
    for (let i = 0; i < 5; i++) {
      files[`chunk-${i}.js`] =
        `${filler}const k${i} = "${SECRETS.stripeLive}";\n${filler}token = "${SECRETS.generic}${i}"\n`;
    }
    const dir = join(root, String(n++));
    await mkdir(dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    const inline = await auditPath(dir, { workers: 0 });
    const offloaded = await auditPath(dir, { workers: 1, workerUrl, scanOnMainThread: false });
    const shared = await auditPath(dir, { workers: 2, workerUrl });
    expect(offloaded).toEqual(inline);
    expect(shared).toEqual(inline);
    expect(inline.findings.filter((f) => f.ruleId === 'secret-stripe-live-key')).toHaveLength(5);
    expect(
      inline.findings.find((f) => f.file === 'chunk-3.js' && f.ruleId === 'secret-stripe-live-key')?.line,
    ).toBe(20_001);
  });

  it('fail the scan, not hang it, when a worker dies', async () => {
    const dir = join(root, String(n++));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'big.js'), 'x'.repeat(300_000));
    const broken = join(dir, 'broken-worker.mjs');
    await writeFile(broken, "throw new Error('worker failed to start');\n");
    const url = pathToFileURL(broken);
    const pool = new ScanPool(1, url);
    try {
      await expect(pool.scan(join(dir, 'big.js'), { path: 'big.js', config: false })).rejects.toThrow(
        'worker failed to start',
      );
      // Once it is dead, new jobs are refused at once.
      await expect(pool.scan(join(dir, 'big.js'), { path: 'big.js', config: false })).rejects.toThrow(
        'every scan worker has stopped',
      );
    } finally {
      await pool.close();
    }
    await expect(auditPath(dir, { workers: 1, workerUrl: url, scanOnMainThread: false })).rejects.toThrow(
      'worker failed to start',
    );
  });

  it('start by default only with an idle core and enough to scan', () => {
    const big = POOL_MIN_BYTES;
    expect(workersFor({ cores: 2, load: 0.3, queuedBytes: big })).toBe(1);
    expect(workersFor({ cores: 8, load: 0.3, queuedBytes: big })).toBe(3);
    expect(workersFor({ cores: 8, load: 6.2, queuedBytes: big })).toBe(2);
    // A busy machine: the worker's start-up would come out of the main thread's share.
    expect(workersFor({ cores: 2, load: 1.6, queuedBytes: big })).toBe(0);
    expect(workersFor({ cores: 2, load: 3.9, queuedBytes: big })).toBe(0);
    // One core: the main thread is all there is.
    expect(workersFor({ cores: 1, load: 0, queuedBytes: big })).toBe(0);
    // Not enough queued yet: decide later.
    expect(workersFor({ cores: 2, load: 0, queuedBytes: big - 1 })).toBeUndefined();
    // Asked for explicitly: as asked, whatever the load.
    expect(workersFor({ requested: 2, cores: 2, load: 9, queuedBytes: 1 })).toBe(2);
    expect(workersFor({ requested: 0, cores: 16, load: 0, queuedBytes: big })).toBe(0);
  });
});

describe('large files that cannot be read', () => {
  it('stop the scan with the file and the reason, whichever thread reads them', async () => {
    const dir = join(root, String(n++));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'big.js'), 'x'.repeat(300_000));
    const failing = async (path: string): Promise<Buffer> => {
      throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
    };
    await expect(auditPath(dir, { readFile: failing })).rejects.toMatchObject({
      code: 'audit_unreadable',
      message: 'big.js: cannot be read (EACCES).',
    });
    await expect(auditPath(join(dir, 'missing-dir'))).rejects.toMatchObject({ code: 'audit_path_not_found' });
  });
});

describe('the reused read buffer', () => {
  it('returns exactly each file, a short one after a long one included', async () => {
    const dir = join(root, String(n++));
    await mkdir(dir, { recursive: true });
    const long = Buffer.alloc(300_000, 0x41);
    const short = Buffer.from('short file\n');
    await writeFile(join(dir, 'long.bin'), long);
    await writeFile(join(dir, 'short.txt'), short);
    await writeFile(join(dir, 'empty.txt'), '');
    const reader = new ScratchReader();
    expect(reader.read(join(dir, 'long.bin')).equals(long)).toBe(true);
    expect(reader.read(join(dir, 'short.txt')).equals(short)).toBe(true);
    expect(reader.read(join(dir, 'empty.txt')).length).toBe(0);
    expect(() => reader.read(join(dir, 'missing.txt'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('reads ahead on an I/O thread: exact bytes, two readers never sharing memory', async () => {
    const dir = join(root, String(n++));
    await mkdir(dir, { recursive: true });
    const a = Buffer.alloc(400_000, 0x61);
    const b = Buffer.alloc(300_000, 0x62);
    await writeFile(join(dir, 'a.js'), a);
    await writeFile(join(dir, 'b.js'), b);
    const [first, second] = [new ScratchReader(), new ScratchReader()];
    const [ra, rb] = await Promise.all([
      first.readAhead(join(dir, 'a.js')),
      second.readAhead(join(dir, 'b.js')),
    ]);
    expect(ra.equals(a)).toBe(true);
    expect(rb.equals(b)).toBe(true);
    // The next read of the first reader reuses its buffer, the second reader's bytes stay.
    expect((await first.readAhead(join(dir, 'b.js'))).equals(b)).toBe(true);
    expect(rb.equals(b)).toBe(true);
    expect(() => first.readAhead(join(dir, 'missing.js'))).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });
});

describe('shortcuts before the regexes', () => {
  it('generic names: up to 80 characters, any case, quoted or not; calls and longer names are not assignments', async () => {
    const name80 = `${'a'.repeat(75)}token`;
    const found = await scanFiles({
      'www/a.js': `${name80} = "${SECRETS.generic}";\n"apiToken" : "${SECRETS.generic}A";\nSECRET_KEY='${SECRETS.generic}B'\n`,
      'www/b.js': `x${name80} = "${SECRETS.generic}C";\ntokenize("${SECRETS.generic}D");\npassword.set("${SECRETS.generic}E");\n`,
      '.env': `API_TOKEN=${SECRETS.generic}F\n`,
    });
    const generic = found.filter((f) => f.ruleId === 'secret-generic-assignment');
    expect(generic.map((f) => `${f.file}:${f.line}`).sort()).toEqual([
      '.env:1',
      'www/a.js:1',
      'www/a.js:2',
      'www/a.js:3',
    ]);
  });

  it('namespace URLs are skipped without hiding an endpoint that only looks like one', async () => {
    const found = await scanFiles({
      'www/a.js': [
        'a = "http://www.w3.org/2000/svg"',
        'b = "http://user@www.w3.org/x"',
        'c = "http://www.w3.org:8080/x"',
        'd = "http://www.w3.org.evil.io/collect"',
        'e = "HTTP://API.ACME-CORP.IO/v1"',
        'f = "http://localhost:3000/api"',
        'g = "http://api.example.com/x"',
      ].join('\n'),
    });
    const lines = found.filter((f) => f.ruleId === 'cleartext-http-url').map((f) => f.line);
    expect(lines).toEqual([4, 5]);
  });
});

describe('the order of the report', () => {
  it('sorts files by code unit, the same in every locale', async () => {
    const found = await scanFiles({
      'www/a.js': `k = "${SECRETS.stripeLive}"`,
      'www/B.js': `k = "${SECRETS.stripeLive}"`,
      'www/\u00e9.js': `k = "${SECRETS.stripeLive}"`,
    });
    expect(found.filter((f) => f.ruleId === 'secret-stripe-live-key').map((f) => f.file)).toEqual([
      'www/B.js',
      'www/a.js',
      'www/\u00e9.js',
    ]);
  });
});

describe('the directory walk', () => {
  it('follows no symbolic link (to a file, a folder outside, a loop) and skips tool folders', async () => {
    const outside = join(root, String(n++));
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'leak.js'), `k = "${SECRETS.stripeLive}"`);
    const dir = join(root, String(n++));
    await mkdir(join(dir, 'www/sub'), { recursive: true });
    await mkdir(join(dir, 'node_modules/lib'), { recursive: true });
    await writeFile(join(dir, 'www/app.js'), `k = "${SECRETS.awsKeyId}"`);
    await writeFile(join(dir, 'www/sub/deep.js'), `k = "${SECRETS.gitlab}"`);
    await writeFile(join(dir, 'node_modules/lib/index.js'), `k = "${SECRETS.slack}"`);
    await symlink(join(outside, 'leak.js'), join(dir, 'www/linked.js'));
    await symlink(outside, join(dir, 'www/outside'));
    await symlink(dir, join(dir, 'www/sub/loop'));
    const report = await auditPath(dir);
    expect(report.stats.files).toBe(2);
    const files = report.findings.filter((f) => f.ruleId.startsWith('secret-')).map((f) => f.file);
    expect([...new Set(files)].sort()).toEqual(['www/app.js', 'www/sub/deep.js']);
  });
});
