/**
 * Decoder of aapt2's protocol-buffer XML: the `XmlNode` message of
 * frameworks/base/tools/aapt2/Resources.proto, the format of every module's
 * `manifest/AndroidManifest.xml` and `res/xml/*.xml` inside an Android App Bundle. It produces the
 * same {@link XmlElement} tree as the AXML decoder of an APK, so the manifest and network security
 * config checks run unchanged: attributes are keyed by local name, resolved by their
 * `android.R.attr` resource id too (obfuscated names do not hide `debuggable`), and a compiled
 * value (`compiled_item`: a boolean, an integer, a reference) wins over the source string.
 *
 * The wire format is read with @bufbuild/protobuf's `BinaryReader`; there is no generated code,
 * only the few fields the checks need (every other field is skipped). Each sub-message is read
 * from its own bounded slice, nesting and size are limited, and anything malformed ends as one
 * {@link ProtoXmlError}, so a hostile bundle cannot crash the scan.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { ANDROID_ATTRIBUTE_IDS } from './android-attributes.js';
import type { XmlElement } from './xml-tree.js';

/** Largest document decoded: real manifests are kilobytes, a large app's a few hundred. */
const MAX_BYTES = 16 * 1024 * 1024;
/** Element nesting, as for AXML and text XML. */
const MAX_DEPTH = 256;

// Field numbers from Resources.proto.
const NODE_ELEMENT = 1;
const NODE_TEXT = 2;
const NODE_SOURCE = 3;
const SOURCE_LINE = 1;
const ELEMENT_NAME = 3;
const ELEMENT_ATTRIBUTE = 4;
const ELEMENT_CHILD = 5;
const ATTRIBUTE_NAME = 2;
const ATTRIBUTE_VALUE = 3;
const ATTRIBUTE_RESOURCE_ID = 5;
const ATTRIBUTE_COMPILED_ITEM = 6;
const ITEM_REF = 1;
const ITEM_STR = 2;
const ITEM_RAW_STR = 3;
const ITEM_STYLED_STR = 4;
const ITEM_PRIM = 7;
const REFERENCE_ID = 2;
const STRING_VALUE = 1;
const PRIM_INT_DECIMAL = 6;
const PRIM_INT_HEX = 7;
const PRIM_BOOLEAN = 8;

/**
 * The bytes are not a well-formed protocol-buffer XML document.
 *
 * @example
 * ```ts
 * try { decodeProtoXml(bytes); } catch (err) { if (err instanceof ProtoXmlError) reportUnparsed(); }
 * ```
 */
export class ProtoXmlError extends Error {
  override readonly name = 'ProtoXmlError';
}

/** A decoded document: its root element and its strings (values and text) for the secret scan. */
export interface ProtoXmlDocument {
  root: XmlElement;
  strings: string[];
}

/**
 * Decodes an aapt2 `XmlNode` into an element tree.
 *
 * @example
 * ```ts
 * const { root } = decodeProtoXml(await readEntry('base/manifest/AndroidManifest.xml'));
 * root.name; // 'manifest'
 * ```
 */
export function decodeProtoXml(bytes: Uint8Array): ProtoXmlDocument {
  if (bytes.length > MAX_BYTES) throw new ProtoXmlError(`larger than ${MAX_BYTES >> 20} MiB`);
  const strings: string[] = [];
  let node: DecodedNode;
  try {
    node = readNode(bytes, 0, strings);
  } catch (err) {
    if (err instanceof ProtoXmlError) throw err;
    // The reader's own errors (premature EOF, illegal tag), or a stack overflow: still "malformed".
    throw new ProtoXmlError(err instanceof Error ? err.message : 'malformed');
  }
  if (node.element === undefined || node.element.name === '') throw new ProtoXmlError('no root element');
  return { root: node.element, strings };
}

interface DecodedNode {
  element?: XmlElement;
  text?: string;
}

/** Reads each field of a message; `read` consumes the fields it knows and returns false for the rest. */
function eachField(
  bytes: Uint8Array,
  read: (field: number, wire: WireType, reader: BinaryReader) => boolean,
): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wire] = reader.tag();
    if (!read(field, wire, reader)) reader.skip(wire, field);
    // Varints are read without a bounds check: one that ran past the end shows here.
    if (reader.pos > reader.len) throw new ProtoXmlError('field runs past the end of its message');
  }
}

function want(wire: WireType, expected: WireType): void {
  if (wire !== expected) throw new ProtoXmlError('field of an unexpected wire type');
}

function message(reader: BinaryReader, wire: WireType): Uint8Array {
  want(wire, WireType.LengthDelimited);
  return reader.bytes();
}

function text(reader: BinaryReader, wire: WireType): string {
  want(wire, WireType.LengthDelimited);
  return reader.string();
}

function varint(reader: BinaryReader, wire: WireType): number {
  want(wire, WireType.Varint);
  return reader.uint32();
}

function readNode(bytes: Uint8Array, depth: number, strings: string[]): DecodedNode {
  if (depth > MAX_DEPTH) throw new ProtoXmlError('elements nested too deep');
  const node: DecodedNode = {};
  let line = 0;
  eachField(bytes, (field, wire, reader) => {
    if (field === NODE_ELEMENT) {
      node.element = readElement(message(reader, wire), depth, strings);
    } else if (field === NODE_TEXT) {
      node.text = text(reader, wire);
      strings.push(node.text);
    } else if (field === NODE_SOURCE) {
      eachField(message(reader, wire), (f, w, r) => {
        if (f !== SOURCE_LINE) return false;
        line = varint(r, w);
        return true;
      });
    } else {
      return false;
    }
    return true;
  });
  if (node.element !== undefined && line > 0) node.element.line = line;
  return node;
}

function readElement(bytes: Uint8Array, depth: number, strings: string[]): XmlElement {
  const element: XmlElement = { name: '', attributes: {}, children: [], text: '' };
  eachField(bytes, (field, wire, reader) => {
    if (field === ELEMENT_NAME) {
      element.name = text(reader, wire);
    } else if (field === ELEMENT_ATTRIBUTE) {
      readAttribute(message(reader, wire), element, strings);
    } else if (field === ELEMENT_CHILD) {
      const child = readNode(message(reader, wire), depth + 1, strings);
      if (child.element !== undefined) element.children.push(child.element);
      else if (child.text !== undefined) element.text += child.text;
    } else {
      return false;
    }
    return true;
  });
  return element;
}

function readAttribute(bytes: Uint8Array, element: XmlElement, strings: string[]): void {
  let name = '';
  let value: string | undefined;
  let resourceId = 0;
  let compiled: string | undefined;
  eachField(bytes, (field, wire, reader) => {
    if (field === ATTRIBUTE_NAME) name = text(reader, wire);
    else if (field === ATTRIBUTE_VALUE) value = text(reader, wire);
    else if (field === ATTRIBUTE_RESOURCE_ID) resourceId = varint(reader, wire);
    else if (field === ATTRIBUTE_COMPILED_ITEM) compiled = readItem(message(reader, wire));
    else return false;
    return true;
  });
  if (value !== undefined && value !== '') strings.push(value);
  if (compiled !== undefined && compiled !== value) strings.push(compiled);
  const key = ANDROID_ATTRIBUTE_IDS.get(resourceId) ?? name;
  if (key === '') return;
  element.attributes[key] = compiled ?? value ?? '';
}

/** The compiled value as the AXML decoder writes it; undefined for kinds the checks never read. */
function readItem(bytes: Uint8Array): string | undefined {
  let out: string | undefined;
  eachField(bytes, (field, wire, reader) => {
    if (field === ITEM_REF) {
      let id = 0;
      eachField(message(reader, wire), (f, w, r) => {
        if (f !== REFERENCE_ID) return false;
        id = varint(r, w);
        return true;
      });
      out = id === 0 ? undefined : `@0x${id.toString(16).padStart(8, '0')}`;
    } else if (field === ITEM_STR || field === ITEM_RAW_STR || field === ITEM_STYLED_STR) {
      eachField(message(reader, wire), (f, w, r) => {
        if (f !== STRING_VALUE) return false;
        out = text(r, w);
        return true;
      });
    } else if (field === ITEM_PRIM) {
      out = readPrimitive(message(reader, wire));
    } else {
      return false;
    }
    return true;
  });
  return out;
}

function readPrimitive(bytes: Uint8Array): string | undefined {
  let out: string | undefined;
  eachField(bytes, (field, wire, reader) => {
    if (field === PRIM_BOOLEAN) {
      want(wire, WireType.Varint);
      out = reader.bool() ? 'true' : 'false';
    } else if (field === PRIM_INT_DECIMAL) {
      want(wire, WireType.Varint);
      out = String(reader.int32());
    } else if (field === PRIM_INT_HEX) {
      out = `0x${varint(reader, wire).toString(16)}`;
    } else {
      return false;
    }
    return true;
  });
  return out;
}
