/**
 * Android App Bundles: the protocol-buffer XML decoder (aapt2's XmlNode) against the test encoder
 * and against hostile input (mutated, truncated, random, too deep, too large: a tree or
 * ProtoXmlError, nothing else), and the AAB scan: every planted manifest and network security
 * config problem is found as in the APK, attributes resolve by resource id when names are blanked,
 * feature-module manifests get only the component check, and a clean bundle has no finding.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtoXml, ProtoXmlError } from '../../src/audit/lib/proto-xml.js';
import { auditPath } from '../../src/audit/scan.js';
import type { AxmlSpec } from './lib/axml-encoder.js';
import {
  apiDomains,
  buildFixtureApp,
  type FixtureApp,
  ids,
  now,
  PLANTED_ANDROID_RULES,
  SECRETS,
  where,
} from './lib/fixtures.js';
import { encodeProtoXml } from './lib/proto-xml-encoder.js';

const sampleSpec: AxmlSpec = {
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
      children: [
        { name: 'meta-data', android: { name: 'k' }, plain: { value: 'v' }, text: 'hello' },
        { name: 'activity', android: { name: 'com.acme.Main', exported: false } },
      ],
    },
  ],
};
const sample = encodeProtoXml(sampleSpec);

describe('protocol-buffer XML decoder', () => {
  it('decodes what the encoder wrote: names, compiled booleans, references, text, lines', () => {
    const { root, strings } = decodeProtoXml(sample);
    expect(root.name).toBe('manifest');
    expect(root.attributes.package).toBe('com.acme');
    const app = root.children[0];
    expect(app?.name).toBe('application');
    expect(app?.attributes).toEqual({
      debuggable: 'true',
      allowBackup: 'false',
      name: 'com.acme.App',
      networkSecurityConfig: '@0x7f0f0001',
    });
    expect(app?.children.map((c) => c.name)).toEqual(['meta-data', 'activity']);
    expect(app?.children[0]?.text).toBe('hello');
    expect(app?.children[1]?.attributes.exported).toBe('false');
    // Lines come from XmlNode.source, as the encoder numbered the elements.
    expect([root.line, app?.line, app?.children[0]?.line]).toEqual([2, 3, 4]);
    expect(strings).toEqual(expect.arrayContaining(['com.acme.App', 'hello', 'v']));
  });

  it('resolves attributes by resource id and booleans by compiled value when names and strings are blank', () => {
    const { root } = decodeProtoXml(encodeProtoXml(sampleSpec, { obfuscate: true }));
    expect(root.children[0]?.attributes).toMatchObject({
      debuggable: 'true',
      allowBackup: 'false',
      name: 'com.acme.App',
    });
    expect(root.children[0]?.children[1]?.attributes.exported).toBe('false');
  });

  it('a compiled value wins over a source string that says otherwise', () => {
    // XmlNode{element{name "application", attribute{name "debuggable", value "false",
    // resource_id debuggable, compiled_item{prim{boolean_value true}}}}}
    const w = new BinaryWriter();
    w.tag(1, WireType.LengthDelimited).fork();
    w.tag(3, WireType.LengthDelimited).string('application');
    w.tag(4, WireType.LengthDelimited).fork();
    w.tag(2, WireType.LengthDelimited).string('debuggable');
    w.tag(3, WireType.LengthDelimited).string('false');
    w.tag(5, WireType.Varint).uint32(0x0101000f);
    w.tag(6, WireType.LengthDelimited).fork().tag(7, WireType.LengthDelimited).fork();
    w.tag(8, WireType.Varint).bool(true).join().join();
    w.join().join();
    expect(decodeProtoXml(w.finish()).root.attributes.debuggable).toBe('true');
  });

  it('skips fields it does not know, as protobuf readers must', () => {
    const w = new BinaryWriter();
    w.tag(9, WireType.Varint).uint32(5);
    w.tag(1, WireType.LengthDelimited).fork();
    w.tag(15, WireType.LengthDelimited).string('future field');
    w.tag(3, WireType.LengthDelimited).string('manifest');
    w.join();
    w.tag(12, WireType.Bit32).fixed32(7);
    expect(decodeProtoXml(w.finish()).root.name).toBe('manifest');
  });

  it('rejects mutated and truncated input with ProtoXmlError only', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: sample.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: sample.length }),
        (at, byte, cut) => {
          const mutated = Uint8Array.from(sample.subarray(0, cut));
          if (at < mutated.length) mutated[at] = byte;
          try {
            const { root } = decodeProtoXml(mutated);
            expect(typeof root.name).toBe('string');
          } catch (err) {
            expect(err).toBeInstanceOf(ProtoXmlError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects random bytes with ProtoXmlError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeProtoXml(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtoXmlError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the property test can fail: a truncated document is an error, not an empty tree', () => {
    expect(() => decodeProtoXml(sample.subarray(0, sample.length - 3))).toThrow(ProtoXmlError);
    expect(() => decodeProtoXml(new Uint8Array(0))).toThrow(ProtoXmlError);
  });

  it('limits nesting and size', () => {
    let deep: AxmlSpec = { name: 'leaf' };
    for (let i = 0; i < 300; i++) deep = { name: 'x', children: [deep] };
    expect(() => decodeProtoXml(encodeProtoXml(deep))).toThrow('nested too deep');
    let ok: AxmlSpec = { name: 'leaf' };
    for (let i = 0; i < 200; i++) ok = { name: 'x', children: [ok] };
    expect(decodeProtoXml(encodeProtoXml(ok)).root.name).toBe('x');
    const big = encodeProtoXml({ name: 'manifest', plain: { filler: 'a'.repeat(17 * 1024 * 1024) } });
    expect(() => decodeProtoXml(big)).toThrow(ProtoXmlError);
  });

  it('rejects a known field of the wrong wire type', () => {
    const w = new BinaryWriter();
    w.tag(1, WireType.Varint).uint32(3);
    expect(() => decodeProtoXml(w.finish())).toThrow('unexpected wire type');
  });
});

describe('AAB scan', () => {
  let root: string;
  let vuln: FixtureApp;
  let clean: FixtureApp;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'bulwark-aab-'));
    vuln = await buildFixtureApp(join(root, 'vulnerable'), true);
    clean = await buildFixtureApp(join(root, 'clean'), false);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('finds every planted Android problem in the protocol-buffer manifest and config', async () => {
    const report = await auditPath(vuln.aab, { now, apiDomains });
    expect(report.kind).toBe('aab');
    for (const rule of PLANTED_ANDROID_RULES) {
      expect(ids(report), rule).toContain(rule);
    }
    expect(ids(report)).not.toContain('audit-unparsed-file');
    const manifest = 'base/manifest/AndroidManifest.xml';
    expect(where(report, 'android-debuggable').map((f) => [f.file, f.line])).toEqual([[manifest, 4]]);
    // The base module's exported activity and the feature module's exported receiver.
    expect(
      where(report, 'android-exported-component')
        .map((f) => `${f.file} ${f.evidence}`)
        .sort(),
    ).toEqual([
      `${manifest} com.acme.DebugActivity`,
      'scanner/manifest/AndroidManifest.xml com.acme.scanner.ScanReceiver',
    ]);
    // The feature module's <application> has no allowBackup: that is the base's to say.
    expect(where(report, 'android-allow-backup').map((f) => f.file)).toEqual([manifest]);
    expect(where(report, 'android-nsc-cleartext')[0]?.file).toBe('base/res/xml/network_security_config.xml');
    expect(where(report, 'android-nsc-no-pins')[0]?.message).toContain('api.acme-corp.io');
    // The meta-data value is scanned from the decoded strings, the cleartext URL from the dex.
    expect(where(report, 'secret-google-api-key').map((f) => f.file)).toContain(manifest);
    expect(where(report, 'cleartext-http-url').map((f) => f.file)).toContain('base/dex/classes.dex');
    expect(JSON.stringify(report)).not.toContain(SECRETS.google.slice(4));
  });

  it('resolves blanked attribute names by resource id and booleans by compiled value', async () => {
    const report = await auditPath(vuln.obfuscatedAab, { now, apiDomains });
    for (const rule of [
      'android-debuggable',
      'android-allow-backup',
      'android-cleartext-traffic',
      'android-test-only',
      'android-exported-component',
    ]) {
      expect(ids(report), rule).toContain(rule);
    }
    expect(where(report, 'android-allow-backup')[0]?.message).toContain('allowBackup="true"');
  });

  it.each(['aab', 'obfuscatedAab'] as const)('the clean %s has no finding', async (kind) => {
    const report = await auditPath(clean[kind], { now, apiDomains });
    expect(report.findings).toEqual([]);
    expect(report.stats.files).toBeGreaterThan(5);
  });

  async function bundle(files: Record<string, Uint8Array | string>): Promise<string> {
    const path = join(root, `b${Math.random().toString(36).slice(2)}.aab`);
    await writeFile(
      path,
      zipSync(
        Object.fromEntries(
          Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? Buffer.from(v) : v]),
        ),
      ),
    );
    return path;
  }

  it('a module other than base is a split even without a split attribute', async () => {
    const base = encodeProtoXml({
      name: 'manifest',
      children: [{ name: 'application', android: { allowBackup: false } }],
    });
    const feature = encodeProtoXml({
      name: 'manifest',
      children: [
        {
          name: 'application',
          android: { debuggable: true },
          children: [{ name: 'service', android: { name: 'com.acme.Open', exported: true } }],
        },
      ],
    });
    const report = await auditPath(
      await bundle({
        'base/manifest/AndroidManifest.xml': base,
        'camera/manifest/AndroidManifest.xml': feature,
      }),
      { now },
    );
    expect(report.findings.map((f) => `${f.ruleId} ${f.file}`).sort()).toEqual([
      'android-exported-component camera/manifest/AndroidManifest.xml',
      'android-nsc-no-pins base/manifest/AndroidManifest.xml',
    ]);
  });

  it('a malformed protocol-buffer manifest is reported as unparsed, and the rest is scanned', async () => {
    const report = await auditPath(
      await bundle({
        'base/manifest/AndroidManifest.xml': sample.subarray(0, sample.length - 5),
        'base/assets/app.js': `k = "${SECRETS.stripeLive}"`,
      }),
      { now },
    );
    expect(where(report, 'audit-unparsed-file').map((f) => [f.file, f.severity])).toEqual([
      ['base/manifest/AndroidManifest.xml', 'medium'],
    ]);
    expect(ids(report)).toContain('secret-stripe-live-key');
  });

  it('a protocol-buffer document that starts like text ("\\n<") is still decoded', async () => {
    // XmlNode{element{name "manifest", child{element{name "application", attribute{name
    // "debuggable", value "true"}}}, an unknown field as padding}}: the padding makes the root
    // element 60 bytes long, so its length varint is 0x3c ('<') and the bytes begin "\n<".
    const encode = (pad: number) => {
      const w = new BinaryWriter();
      w.tag(1, WireType.LengthDelimited).fork();
      w.tag(3, WireType.LengthDelimited).string('manifest');
      w.tag(5, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).fork();
      w.tag(3, WireType.LengthDelimited).string('application');
      w.tag(4, WireType.LengthDelimited).fork();
      w.tag(2, WireType.LengthDelimited).string('debuggable');
      w.tag(3, WireType.LengthDelimited).string('true');
      w.join().join().join();
      w.tag(15, WireType.LengthDelimited).string('x'.repeat(pad));
      w.join();
      return w.finish();
    };
    const length = encode(0)[1] as number;
    const padded = encode(0x3c - length);
    expect([padded[0], padded[1]]).toEqual([0x0a, 0x3c]);
    const report = await auditPath(await bundle({ 'base/manifest/AndroidManifest.xml': padded }), { now });
    expect(ids(report)).toContain('android-debuggable');
    expect(ids(report)).not.toContain('audit-unparsed-file');
  });

  it('a text manifest that starts with a newline is still read as text', async () => {
    const dir = join(root, 'text-project');
    const file = join(dir, 'app/src/main/AndroidManifest.xml');
    await mkdir(dirname(file), { recursive: true });
    await writeFile(
      file,
      '\n<manifest xmlns:android="http://schemas.android.com/apk/res/android">\n  <application android:debuggable="true"/>\n</manifest>\n',
    );
    const report = await auditPath(dir, { now });
    expect(where(report, 'android-debuggable').map((f) => f.line)).toEqual([3]);
  });
});
