/**
 * Test-only encoder of aapt2's protocol-buffer XML (the `XmlNode` message of Resources.proto), to
 * build AAB-like fixtures. It is independent of the decoder under test: it lays the messages out
 * with @bufbuild/protobuf's `BinaryWriter` from its own copy of the field numbers and of the
 * android attribute resource ids, and writes what aapt2 writes: the namespace declaration, the
 * source string of each attribute, and a compiled item for booleans (`prim.boolean_value`),
 * integers and references.
 */
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { ANDROID_NS, type AttrValue, type AxmlSpec } from './axml-encoder.js';

// From the Android SDK's public.xml (android.R.attr).
const RESOURCE_IDS: Record<string, number> = {
  name: 0x01010003,
  permission: 0x01010006,
  readPermission: 0x01010007,
  writePermission: 0x01010008,
  debuggable: 0x0101000f,
  exported: 0x01010010,
  testOnly: 0x01010272,
  allowBackup: 0x01010280,
  fullBackupContent: 0x010104eb,
  usesCleartextTraffic: 0x010104ec,
  networkSecurityConfig: 0x01010527,
  dataExtractionRules: 0x0101063e,
};

export interface ProtoEncodeOptions {
  /**
   * Blank the names of android attributes and the source strings of compiled values, as an
   * obfuscator may: only the resource id and the compiled item are left.
   */
  obfuscate?: boolean;
  /** Leave out the root's `xmlns:android` declaration (default: written, as aapt2 does). */
  omitNamespaceDeclaration?: boolean;
}

const LEN = WireType.LengthDelimited;

function writeItem(w: BinaryWriter, v: AttrValue): void {
  // Item { ref = 1; str = 2; prim = 7 }, Primitive { int_decimal_value = 6; boolean_value = 8 }.
  w.tag(6, LEN).fork();
  if (typeof v === 'boolean') w.tag(7, LEN).fork().tag(8, WireType.Varint).bool(v).join();
  else if (typeof v === 'number') w.tag(7, LEN).fork().tag(6, WireType.Varint).int32(v).join();
  else if (typeof v === 'string') w.tag(2, LEN).fork().tag(1, LEN).string(v).join();
  else w.tag(1, LEN).fork().tag(2, WireType.Varint).uint32(v.ref).join();
  w.join();
}

function sourceString(v: AttrValue): string {
  if (typeof v === 'object') return `@xml/res_${v.ref.toString(16)}`;
  return String(v);
}

function writeAttribute(
  w: BinaryWriter,
  ns: string,
  name: string,
  v: AttrValue,
  options: ProtoEncodeOptions,
): void {
  // XmlAttribute { namespace_uri = 1; name = 2; value = 3; source = 4; resource_id = 5; compiled_item = 6 }
  const id = ns === ANDROID_NS ? RESOURCE_IDS[name] : undefined;
  const hide = options.obfuscate === true && id !== undefined;
  w.tag(4, LEN).fork();
  if (ns !== '') w.tag(1, LEN).string(ns);
  w.tag(2, LEN).string(hide ? '' : name);
  if (!(hide && typeof v !== 'string')) w.tag(3, LEN).string(sourceString(v));
  w.tag(4, LEN).fork().tag(1, WireType.Varint).uint32(7).join();
  if (id !== undefined) w.tag(5, WireType.Varint).uint32(id);
  // aapt2 compiles android attributes; attributes without a namespace stay source strings.
  if (ns === ANDROID_NS) writeItem(w, v);
  w.join();
}

let line = 1;

/** Writes the fields of an XmlNode holding `el` into the current message of `w`. */
function writeNode(w: BinaryWriter, el: AxmlSpec, root: boolean, options: ProtoEncodeOptions): void {
  // XmlNode { element = 1; text = 2; source = 3 }
  const elementLine = ++line;
  w.tag(1, LEN).fork();
  // XmlElement { namespace_declaration = 1; namespace_uri = 2; name = 3; attribute = 4; child = 5 }
  if (root && options.omitNamespaceDeclaration !== true) {
    w.tag(1, LEN).fork().tag(1, LEN).string('android').tag(2, LEN).string(ANDROID_NS).join();
  }
  w.tag(3, LEN).string(el.name);
  for (const [k, v] of Object.entries(el.android ?? {})) writeAttribute(w, ANDROID_NS, k, v, options);
  for (const [k, v] of Object.entries(el.plain ?? {})) writeAttribute(w, '', k, v, options);
  if (el.text !== undefined) {
    w.tag(5, LEN).fork().tag(2, LEN).string(el.text).join();
  }
  for (const child of el.children ?? []) {
    w.tag(5, LEN).fork();
    writeNode(w, child, false, options);
    w.join();
  }
  w.join();
  // SourcePosition { line_number = 1; column_number = 2 }
  w.tag(3, LEN).fork().tag(1, WireType.Varint).uint32(elementLine).tag(2, WireType.Varint).uint32(5).join();
}

/** Encodes `root` as the bytes of an aapt2 `XmlNode`. */
export function encodeProtoXml(root: AxmlSpec, options: ProtoEncodeOptions = {}): Uint8Array {
  line = 1;
  const w = new BinaryWriter();
  writeNode(w, root, true, options);
  return w.finish();
}
