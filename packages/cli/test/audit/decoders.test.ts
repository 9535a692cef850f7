/**
 * The hand-written AXML decoder against the test encoder and against hostile input (truncated,
 * bit-flipped, out-of-range offsets): it either decodes or throws AxmlError, never anything else
 * and never hangs. And the streaming path: a secret across an 8 MiB chunk boundary of a large
 * file is found whole, on the right line.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AxmlError, axmlStrings, decodeAxml } from '../../src/audit/lib/axml.js';
import { ScanPool } from '../../src/audit/lib/worker-pool.js';
import { auditPath } from '../../src/audit/scan.js';
import { encodeAxml } from './lib/axml-encoder.js';
import { SECRETS } from './lib/fixtures.js';

const sample = encodeAxml({
  name: 'manifest',
  plain: { package: 'com.acme' },
  children: [
    {
      name: 'application',
      android: {
        debuggable: true,
        allowBackup: false,
        name: 'com.acme.App',
        networkSecurityConfig: { ref: 0x7f0f0001 },
      },
      children: [{ name: 'meta-data', android: { name: 'k' }, plain: { value: 'v' }, text: 'hello' }],
    },
  ],
});

describe('AXML decoder', () => {
  it('decodes what the encoder wrote', () => {
    const root = decodeAxml(sample);
    expect(root.name).toBe('manifest');
    expect(root.attributes.package).toBe('com.acme');
    const app = root.children[0];
    expect(app?.attributes).toMatchObject({
      debuggable: 'true',
      allowBackup: 'false',
      name: 'com.acme.App',
      networkSecurityConfig: '@0x7f0f0001',
    });
    expect(app?.children[0]?.text).toBe('hello');
    expect(axmlStrings(sample)).toEqual(expect.arrayContaining(['com.acme.App', 'hello']));
  });

  it('rejects malformed input with AxmlError only', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: sample.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 8, max: sample.length }),
        (at, byte, cut) => {
          const mutated = Buffer.from(sample.subarray(0, cut));
          if (at < mutated.length) mutated[at] = byte;
          try {
            decodeAxml(mutated);
          } catch (err) {
            expect(err).toBeInstanceOf(AxmlError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('large files are streamed', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bulwark-stream-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds a secret that straddles a chunk boundary, with its line', async () => {
    const line = `${'x'.repeat(99)}\n`;
    const chunk = 8 * 1024 * 1024;
    const head = line.repeat(Math.floor((chunk - 20) / line.length));
    const secretAt = `const k = "${SECRETS.stripeLive}";\n`;
    const tail = line.repeat(Math.ceil((34 * 1024 * 1024) / line.length));
    const text = `${head}${'y'.repeat(chunk - 20 - head.length)}${secretAt}${tail}token = "${SECRETS.generic}"\n`;
    await writeFile(join(dir, 'vendor.js'), text);
    const report = await auditPath(join(dir, 'vendor.js'));
    const stripe = report.findings.find((f) => f.ruleId === 'secret-stripe-live-key');
    expect(stripe?.line).toBe(head.split('\n').length);
    const generic = report.findings.find((f) => f.ruleId === 'secret-generic-assignment');
    expect(generic?.line).toBe(text.split('\n').length - 1);
    expect(report.stats.bytes).toBe(Buffer.byteLength(text));
  });
});

describe('scan workers', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bulwark-workers-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('find exactly what the main thread finds, lines included', async () => {
    // The built worker (the build runs before the tests, as in scripts/test.sh).
    const workerUrl = new URL('../../dist/audit/lib/scan-worker.js', import.meta.url);
    expect(existsSync(workerUrl), 'build packages/cli first (npx tsc -b packages/cli)').toBe(true);
    const filler = `${'const a = b(c, d);\n'.repeat(20_000)}`;
    for (let i = 0; i < 4; i++) {
      await writeFile(
        join(dir, `chunk-${i}.js`),
        `${filler}const k${i} = "${SECRETS.stripeLive}";\nfetch("http://api.acme-corp.io/${i}");\n${filler}`,
      );
    }
    await writeFile(join(dir, 'small.js'), `t = "${SECRETS.slack}"`);
    const inline = await auditPath(dir, { workers: 0 });
    const pooled = await auditPath(dir, { workers: 2, workerUrl });
    expect(pooled.findings).toEqual(inline.findings);
    expect(pooled.stats).toEqual(inline.stats);
    expect(pooled.findings.filter((f) => f.ruleId === 'secret-stripe-live-key')).toHaveLength(4);
    expect(
      pooled.findings.find((f) => f.file === 'chunk-2.js' && f.ruleId === 'secret-stripe-live-key')?.line,
    ).toBe(20_001);
  });

  it('pass a read failure back with its code', async () => {
    const pool = new ScanPool(1, new URL('../../dist/audit/lib/scan-worker.js', import.meta.url));
    try {
      await expect(
        pool.scan(join(dir, 'missing.js'), { path: 'missing.js', config: false }),
      ).rejects.toMatchObject({
        code: 'ENOENT',
      });
    } finally {
      await pool.close();
    }
  });
});
