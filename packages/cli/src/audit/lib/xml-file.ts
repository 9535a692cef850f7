/**
 * Decodes an XML file in whichever form it ships: binary AXML (an APK), text (a project) or
 * aapt2's protocol-buffer XML (an AAB). The decoders load on first use: a web bundle needs none.
 */
import type { DecodedXml } from '../rules/analyser.js';

/** True when the bytes start, after an optional BOM and whitespace, with `<`. */
function looksLikeTextXml(bytes: Uint8Array): boolean {
  let at = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (
    at < bytes.length &&
    (bytes[at] === 0x20 || bytes[at] === 0x09 || bytes[at] === 0x0a || bytes[at] === 0x0d)
  ) {
    at++;
  }
  return bytes[at] === 0x3c;
}

/**
 * Decodes an XML file; throws the decoder's error when it is none of the three forms.
 *
 * @example
 * ```ts
 * const { root, strings } = await decodeXmlFile(await readFile('AndroidManifest.xml'));
 * ```
 */
export async function decodeXmlFile(bytes: Buffer): Promise<DecodedXml> {
  const { axmlStrings, decodeAxml, isAxml } = await import('./axml.js');
  if (isAxml(bytes)) {
    const root = decodeAxml(bytes);
    try {
      return { root, strings: axmlStrings(bytes) };
    } catch {
      // The pool is not where axmlStrings looks for it: the raw bytes get the text scan instead.
      return { root };
    }
  }
  if (!looksLikeTextXml(bytes)) {
    const { decodeProtoXml } = await import('./proto-xml.js');
    return decodeProtoXml(bytes);
  }
  const { parseXmlText } = await import('./xml-text.js');
  try {
    return { root: parseXmlText(bytes.toString('utf8')) };
  } catch (err) {
    // A protocol-buffer document whose root element is 60 bytes long also starts with "\n<".
    if (bytes[0] !== 0x0a) throw err;
    const { decodeProtoXml } = await import('./proto-xml.js');
    try {
      return decodeProtoXml(bytes);
    } catch {
      throw err;
    }
  }
}

/**
 * The line of the first occurrence of `quote(key)` in `text`, for checks on parsed values
 * (plists, JSON) whose parser reports no lines.
 *
 * @example
 * ```ts
 * const lineOf = await lineFinder(text, (k) => `"${k}"`);
 * lineOf('cleartext'); // 4
 * ```
 */
export async function lineFinder(
  text: string | undefined,
  quote: (key: string) => string,
): Promise<(key: string) => number | undefined> {
  if (text === undefined) return () => undefined;
  const { lineAt, lineStarts } = await import('./xml-text.js');
  let starts: number[] | undefined;
  return (key) => {
    const at = text.indexOf(quote(key));
    if (at === -1) return undefined;
    starts ??= lineStarts(text);
    return lineAt(starts, at);
  };
}

/**
 * The decoded strings of a binary XML form to scan instead of its bytes, when there are some.
 *
 * @example
 * ```ts
 * return stringsToScan(await context.xml());
 * ```
 */
export function stringsToScan(decoded: DecodedXml): { text: string; lines: boolean } | undefined {
  return decoded.strings === undefined ? undefined : { text: decoded.strings.join('\n'), lines: false };
}
