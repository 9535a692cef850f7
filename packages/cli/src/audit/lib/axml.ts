/**
 * Decoder of Android binary XML (AXML), the format of AndroidManifest.xml and res/xml/*.xml inside
 * an APK. Hand-written because no maintained npm package exposes one as an API: the decoder of
 * `@devicefarmer/adbkit-apkreader` is an internal CommonJS file of an APK reader that opens files
 * itself and asserts on malformed input. This one reads a Buffer, bounds-checks every offset and
 * throws {@link AxmlError} on anything malformed, so a hostile APK cannot crash the scan.
 * Format: frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h (ResChunk_header,
 * ResStringPool_header, ResXMLTree_node, ResXMLTree_attrExt, Res_value).
 */
import { ANDROID_ATTRIBUTE_IDS } from './android-attributes.js';
import type { XmlElement } from './xml-tree.js';

const RES_STRING_POOL = 0x0001;
const RES_TABLE = 0x0002;
const RES_XML = 0x0003;
const RES_XML_START_NAMESPACE = 0x0100;
const RES_XML_END_NAMESPACE = 0x0101;
const RES_XML_START_ELEMENT = 0x0102;
const RES_XML_END_ELEMENT = 0x0103;
const RES_XML_CDATA = 0x0104;
const RES_XML_RESOURCE_MAP = 0x0180;
const UTF8_FLAG = 0x100;
const NO_INDEX = 0xffffffff;
const MAX_DEPTH = 256;

/**
 * The bytes are not well-formed AXML.
 *
 * @example
 * ```ts
 * try { decodeAxml(bytes); } catch (err) { if (err instanceof AxmlError) reportUnparsed(); }
 * ```
 */
export class AxmlError extends Error {
  override readonly name = 'AxmlError';
}

/**
 * True when the bytes start like an AXML document (RES_XML_TYPE chunk with an 8-byte header).
 *
 * @example
 * ```ts
 * if (isAxml(bytes)) tree = decodeAxml(bytes);
 * ```
 */
export function isAxml(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 8 && bytes[0] === 0x03 && bytes[1] === 0x00 && bytes[2] === 0x08 && bytes[3] === 0x00
  );
}

/**
 * Decodes AXML into an element tree.
 *
 * @example
 * ```ts
 * const manifest = decodeAxml(await readEntry('AndroidManifest.xml'));
 * manifest.name; // 'manifest'
 * ```
 */
export function decodeAxml(bytes: Uint8Array): XmlElement {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => {
    if (at < 0 || at + 2 > bytes.length) throw new AxmlError(`offset ${at} out of range`);
    return view.getUint16(at, true);
  };
  const u32 = (at: number) => {
    if (at < 0 || at + 4 > bytes.length) throw new AxmlError(`offset ${at} out of range`);
    return view.getUint32(at, true);
  };
  if (!isAxml(bytes)) throw new AxmlError('not an AXML document');
  const end = Math.min(u32(4), bytes.length);
  let strings: string[] = [];
  let resourceIds: number[] = [];
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  let offset = 8;
  while (offset + 8 <= end) {
    const type = u16(offset);
    const headerSize = u16(offset + 2);
    const size = u32(offset + 4);
    if (size < 8 || headerSize < 8 || headerSize > size || offset + size > end) {
      throw new AxmlError(`bad chunk at ${offset}`);
    }
    switch (type) {
      case RES_STRING_POOL:
        strings = readStringPool(bytes, view, offset);
        break;
      case RES_XML_RESOURCE_MAP: {
        const count = (size - headerSize) / 4;
        resourceIds = [];
        for (let i = 0; i < count; i++) resourceIds.push(u32(offset + headerSize + i * 4));
        break;
      }
      case RES_XML_START_ELEMENT: {
        const line = u32(offset + 8);
        const ext = offset + headerSize;
        const name = stringAt(strings, u32(ext + 4));
        const attributeStart = u16(ext + 8);
        const attributeSize = u16(ext + 10);
        const attributeCount = u16(ext + 12);
        if (attributeSize < 20) throw new AxmlError('bad attribute size');
        const element: XmlElement = { name, attributes: {}, children: [], text: '', line };
        for (let i = 0; i < attributeCount; i++) {
          const at = ext + attributeStart + i * attributeSize;
          const nameIndex = u32(at + 4);
          const rawValue = u32(at + 8);
          const dataType = bytes[at + 15] ?? 0;
          const data = u32(at + 16);
          let attrName = nameIndex === NO_INDEX ? '' : stringAt(strings, nameIndex);
          const id = resourceIds[nameIndex];
          // Obfuscators may blank attribute names; the platform resolves them by resource id.
          attrName = (id === undefined ? undefined : ANDROID_ATTRIBUTE_IDS.get(id)) ?? attrName;
          if (attrName === '') continue;
          element.attributes[attrName] = typedValue(strings, rawValue, dataType, data);
        }
        if (stack.length > MAX_DEPTH) throw new AxmlError('elements nested too deep');
        (stack[stack.length - 1] as XmlElement).children.push(element);
        stack.push(element);
        break;
      }
      case RES_XML_END_ELEMENT:
        if (stack.length <= 1) throw new AxmlError('unbalanced end element');
        stack.pop();
        break;
      case RES_XML_CDATA: {
        const text = stringAt(strings, u32(offset + headerSize));
        (stack[stack.length - 1] as XmlElement).text += text;
        break;
      }
      case RES_XML_START_NAMESPACE:
      case RES_XML_END_NAMESPACE:
        break;
      default:
        // Unknown chunks are skipped by their size, as the platform parser does.
        break;
    }
    offset += size;
  }
  const top = root.children[0];
  if (top === undefined) throw new AxmlError('no root element');
  return top;
}

/**
 * Every string of the string pool of an AXML document or of resources.arsc, for the secret scan
 * (string resources and manifest meta-data values live there).
 *
 * @example
 * ```ts
 * const text = axmlStrings(arscBytes).join('\n');
 * ```
 */
export function axmlStrings(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8) throw new AxmlError('too short');
  const type = view.getUint16(0, true);
  if (type !== RES_XML && type !== RES_TABLE) throw new AxmlError('not an AXML or resource table');
  const headerSize = view.getUint16(2, true);
  if (headerSize >= bytes.length || headerSize < 8) throw new AxmlError('bad header');
  if (headerSize + 8 > bytes.length || view.getUint16(headerSize, true) !== RES_STRING_POOL) {
    throw new AxmlError('no string pool after the header');
  }
  return readStringPool(bytes, view, headerSize);
}

function stringAt(strings: readonly string[], index: number): string {
  if (index === NO_INDEX) return '';
  const s = strings[index];
  if (s === undefined) throw new AxmlError(`string index ${index} out of range`);
  return s;
}

function typedValue(strings: readonly string[], rawValue: number, dataType: number, data: number): string {
  switch (dataType) {
    case 0x03:
      return stringAt(strings, rawValue !== NO_INDEX ? rawValue : data);
    case 0x12:
      return data !== 0 ? 'true' : 'false';
    case 0x10:
      return String(data | 0);
    case 0x11:
      return `0x${data.toString(16)}`;
    case 0x01:
      return `@0x${data.toString(16).padStart(8, '0')}`;
    case 0x02:
      return `?0x${data.toString(16).padStart(8, '0')}`;
    default:
      return rawValue !== NO_INDEX ? stringAt(strings, rawValue) : String(data);
  }
}

function readStringPool(bytes: Uint8Array, view: DataView, chunk: number): string[] {
  const need = (at: number, n: number) => {
    if (at < 0 || at + n > bytes.length) throw new AxmlError('string pool out of range');
  };
  need(chunk, 28);
  const size = view.getUint32(chunk + 4, true);
  const count = view.getUint32(chunk + 8, true);
  const flags = view.getUint32(chunk + 16, true);
  const stringsStart = view.getUint32(chunk + 20, true);
  const headerSize = view.getUint16(chunk + 2, true);
  need(chunk, size);
  if (count > size / 4) throw new AxmlError('string count larger than the pool');
  const utf8 = (flags & UTF8_FLAG) !== 0;
  const base = chunk + stringsStart;
  const limit = chunk + size;
  const out: string[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const utf16 = new TextDecoder('utf-16le', { fatal: false });
  for (let i = 0; i < count; i++) {
    need(chunk + headerSize + i * 4, 4);
    let at = base + view.getUint32(chunk + headerSize + i * 4, true);
    if (at >= limit) throw new AxmlError('string offset out of range');
    if (utf8) {
      // UTF-16 length first (skipped), then the UTF-8 byte length; each 1 or 2 bytes.
      need(at, 2);
      at += (bytes[at] as number) & 0x80 ? 2 : 1;
      need(at, 2);
      let length = bytes[at] as number;
      if (length & 0x80) {
        length = ((length & 0x7f) << 8) | (bytes[at + 1] as number);
        at += 2;
      } else {
        at += 1;
      }
      if (at + length > limit) throw new AxmlError('string runs past the pool');
      out.push(decoder.decode(bytes.subarray(at, at + length)));
    } else {
      need(at, 2);
      let length = view.getUint16(at, true);
      at += 2;
      if (length & 0x8000) {
        need(at, 2);
        length = ((length & 0x7fff) << 16) | view.getUint16(at, true);
        at += 2;
      }
      if (at + length * 2 > limit) throw new AxmlError('string runs past the pool');
      out.push(utf16.decode(bytes.subarray(at, at + length * 2)));
    }
  }
  return out;
}
