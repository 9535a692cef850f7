/**
 * Text XML (a project's AndroidManifest.xml, network_security_config.xml, Cordova config.xml) to
 * the shared {@link XmlElement} shape, with fast-xml-parser. Entities are not expanded (no
 * entity-expansion attacks; the checks never need them) and lines are found by a search of the
 * source text, since the parser does not report them.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { localName, type XmlElement } from './xml-tree.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  preserveOrder: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: '#comment',
});

/**
 * The text is not well-formed XML.
 *
 * @example
 * ```ts
 * try { parseXmlText(text); } catch (err) { if (err instanceof XmlTextError) reportUnparsed(); }
 * ```
 */
export class XmlTextError extends Error {
  override readonly name = 'XmlTextError';
}

type Node = Record<string, unknown>;

/**
 * Parses text XML into the shared tree; throws {@link XmlTextError} when malformed.
 *
 * @example
 * ```ts
 * const nsc = parseXmlText('<network-security-config/>');
 * nsc.name; // 'network-security-config'
 * ```
 */
export function parseXmlText(text: string): XmlElement {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new XmlTextError(valid.err.msg);
  const nodes = parser.parse(text) as Node[];
  const lines = lineStarts(text);
  const cursor = { at: 0 };
  const elements = convert(nodes, text, lines, cursor, 0);
  const root = elements[0];
  if (root === undefined) throw new XmlTextError('no root element');
  return root;
}

function convert(
  nodes: Node[],
  text: string,
  lines: number[],
  cursor: { at: number },
  depth: number,
): XmlElement[] {
  if (depth > 256) throw new XmlTextError('elements nested too deep');
  const out: XmlElement[] = [];
  for (const node of nodes) {
    const tag = Object.keys(node).find((k) => k !== ':@');
    if (tag === undefined || tag === '#text' || tag === '#comment') continue;
    // Lines: the next `<tag` in document order, so repeated tags get their own lines.
    const found = text.indexOf(`<${tag}`, cursor.at);
    const line = found === -1 ? undefined : lineAt(lines, found);
    if (found !== -1) cursor.at = found + 1;
    const attrsRaw = (node[':@'] ?? {}) as Record<string, unknown>;
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(attrsRaw)) {
      if (k.startsWith('xmlns')) continue;
      attributes[localName(k)] = String(v);
    }
    const childNodes = (node[tag] ?? []) as Node[];
    const children = convert(childNodes, text, lines, cursor, depth + 1);
    const textContent = childNodes
      .filter((c) => '#text' in c)
      .map((c) => String(c['#text']))
      .join('');
    const element: XmlElement = { name: localName(tag), attributes, children, text: textContent };
    if (line !== undefined) element.line = line;
    out.push(element);
  }
  return out;
}

/** Offsets where each line starts. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  let i = text.indexOf('\n');
  while (i !== -1) {
    starts.push(i + 1);
    i = text.indexOf('\n', i + 1);
  }
  return starts;
}

/** 1-based line of an offset, by binary search over {@link lineStarts}. */
export function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
