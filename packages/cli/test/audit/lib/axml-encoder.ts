/**
 * Test-only encoder of Android binary XML (AXML), written from ResourceTypes.h, to build APK-like
 * fixtures with a binary manifest. It is independent of the decoder under test: it has its own
 * table of android attribute resource ids and lays the chunks out itself.
 */

export const ANDROID_NS = 'http://schemas.android.com/apk/res/android';

// From the Android SDK's public.xml (android.R.attr).
const RESOURCE_IDS: Record<string, number> = {
  name: 0x01010003,
  permission: 0x01010006,
  readPermission: 0x01010007,
  writePermission: 0x01010008,
  debuggable: 0x0101000f,
  exported: 0x01010010,
  testOnly: 0x01010272,
  backupAgent: 0x0101027f,
  allowBackup: 0x01010280,
  fullBackupOnly: 0x01010473,
  fullBackupContent: 0x010104eb,
  usesCleartextTraffic: 0x010104ec,
  networkSecurityConfig: 0x01010527,
  dataExtractionRules: 0x0101063e,
};

export type AttrValue = string | boolean | number | { ref: number };

export interface AxmlSpec {
  name: string;
  /** `android:` attributes (namespaced, with resource ids where known). */
  android?: Record<string, AttrValue>;
  /** Attributes without namespace. */
  plain?: Record<string, AttrValue>;
  text?: string;
  children?: AxmlSpec[];
}

export interface EncodeOptions {
  /** Blank the names of android attributes in the string pool (as obfuscators do). */
  obfuscateAttributeNames?: boolean;
}

class Writer {
  parts: Buffer[] = [];
  u16(n: number) {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(n);
    this.parts.push(b);
  }
  u32(n: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    this.parts.push(b);
  }
  bytes(b: Buffer) {
    this.parts.push(b);
  }
  out(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const NONE = 0xffffffff;

export function encodeAxml(root: AxmlSpec, options: EncodeOptions = {}): Buffer {
  // Attribute names with resource ids come first, aligned with the resource map.
  const idNames: string[] = [];
  const visit = (el: AxmlSpec, fn: (el: AxmlSpec) => void) => {
    fn(el);
    for (const c of el.children ?? []) visit(c, fn);
  };
  visit(root, (el) => {
    for (const k of Object.keys(el.android ?? {}))
      if (RESOURCE_IDS[k] !== undefined && !idNames.includes(k)) idNames.push(k);
  });
  const pool: string[] = idNames.map((n) => (options.obfuscateAttributeNames ? `\u0000${n}` : n));
  const index = (s: string) => {
    let i = pool.indexOf(s);
    if (i === -1) {
      pool.push(s);
      i = pool.length - 1;
    }
    return i;
  };
  const attrIndex = (name: string) => {
    const i = idNames.indexOf(name);
    return i !== -1 ? i : index(name);
  };
  index('android');
  index(ANDROID_NS);
  visit(root, (el) => {
    index(el.name);
    for (const [k, v] of [...Object.entries(el.android ?? {}), ...Object.entries(el.plain ?? {})]) {
      attrIndex(k);
      if (typeof v === 'string') index(v);
    }
    if (el.text !== undefined) index(el.text);
  });
  const strings = pool.map((s) => (s.startsWith('\u0000') ? '' : s));

  const body = new Writer();
  // String pool (UTF-16).
  const data: Buffer[] = [];
  const offsets: number[] = [];
  let at = 0;
  for (const s of strings) {
    offsets.push(at);
    const b = Buffer.alloc(2 + s.length * 2 + 2);
    b.writeUInt16LE(s.length, 0);
    b.write(s, 2, 'utf16le');
    data.push(b);
    at += b.length;
  }
  let stringData = Buffer.concat(data);
  if (stringData.length % 4 !== 0)
    stringData = Buffer.concat([stringData, Buffer.alloc(4 - (stringData.length % 4))]);
  const poolHeader = 28;
  const stringsStart = poolHeader + offsets.length * 4;
  body.u16(0x0001);
  body.u16(poolHeader);
  body.u32(stringsStart + stringData.length);
  body.u32(strings.length);
  body.u32(0);
  body.u32(0);
  body.u32(stringsStart);
  body.u32(0);
  for (const o of offsets) body.u32(o);
  body.bytes(stringData);
  // Resource map.
  body.u16(0x0180);
  body.u16(8);
  body.u32(8 + idNames.length * 4);
  for (const n of idNames) body.u32(RESOURCE_IDS[n] as number);
  // Namespace start.
  body.u16(0x0100);
  body.u16(16);
  body.u32(24);
  body.u32(1);
  body.u32(NONE);
  body.u32(strings.indexOf('android'));
  body.u32(strings.indexOf(ANDROID_NS));
  let line = 2;
  const element = (el: AxmlSpec) => {
    const attrs = [
      ...Object.entries(el.android ?? {}).map(([k, v]) => ({ ns: strings.indexOf(ANDROID_NS), k, v })),
      ...Object.entries(el.plain ?? {}).map(([k, v]) => ({ ns: NONE, k, v })),
    ];
    body.u16(0x0102);
    body.u16(16);
    body.u32(16 + 20 + attrs.length * 20);
    body.u32(line++);
    body.u32(NONE);
    body.u32(NONE);
    body.u32(index(el.name));
    body.u16(20);
    body.u16(20);
    body.u16(attrs.length);
    body.u16(0);
    body.u16(0);
    body.u16(0);
    for (const { ns, k, v } of attrs) {
      body.u32(ns);
      body.u32(attrIndex(k));
      let raw = NONE;
      let type = 0x10;
      let value = 0;
      if (typeof v === 'string') {
        raw = index(v);
        type = 0x03;
        value = raw;
      } else if (typeof v === 'boolean') {
        type = 0x12;
        value = v ? 0xffffffff : 0;
      } else if (typeof v === 'number') {
        type = 0x10;
        value = v;
      } else {
        type = 0x01;
        value = v.ref;
      }
      body.u32(raw);
      body.u16(8);
      body.bytes(Buffer.from([0, type]));
      body.u32(value);
    }
    if (el.text !== undefined) {
      body.u16(0x0104);
      body.u16(16);
      body.u32(28);
      body.u32(line);
      body.u32(NONE);
      body.u32(index(el.text));
      body.u16(8);
      body.bytes(Buffer.from([0, 0x03]));
      body.u32(index(el.text));
    }
    for (const c of el.children ?? []) element(c);
    body.u16(0x0103);
    body.u16(16);
    body.u32(24);
    body.u32(line++);
    body.u32(NONE);
    body.u32(NONE);
    body.u32(index(el.name));
  };
  element(root);
  body.u16(0x0101);
  body.u16(16);
  body.u32(24);
  body.u32(line);
  body.u32(NONE);
  body.u32(strings.indexOf('android'));
  body.u32(strings.indexOf(ANDROID_NS));
  const content = body.out();
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0x0003, 0);
  head.writeUInt16LE(8, 2);
  head.writeUInt32LE(8 + content.length, 4);
  return Buffer.concat([head, content]);
}
