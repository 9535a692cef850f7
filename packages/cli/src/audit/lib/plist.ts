/**
 * Property lists in the three forms an app ships: binary (bplist00, Info.plist inside an IPA,
 * read with bplist-parser and its object limits), XML (a project's Info.plist and .entitlements,
 * read with plist), and the XML plist embedded in a provisioning profile's CMS envelope.
 */
import { parseBuffer } from 'bplist-parser';
import { parse as parseXmlPlist } from 'plist';

/**
 * The bytes are not a readable property list.
 *
 * @example
 * ```ts
 * try { parsePlist(bytes); } catch (err) { if (err instanceof PlistError) reportUnparsed(); }
 * ```
 */
export class PlistError extends Error {
  override readonly name = 'PlistError';
}

/**
 * True when the bytes are a binary plist.
 *
 * @example
 * ```ts
 * isBinaryPlist(Buffer.from('bplist00')); // true
 * ```
 */
export function isBinaryPlist(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 8)).toString('latin1') === 'bplist00';
}

/**
 * Parses a binary or XML plist.
 *
 * @example
 * ```ts
 * const info = parsePlist(await entry.read());
 * ```
 */
export function parsePlist(bytes: Buffer): unknown {
  try {
    if (isBinaryPlist(bytes)) {
      const [root] = parseBuffer(bytes);
      return root;
    }
    return parseXmlPlist(bytes.toString('utf8'));
  } catch (err) {
    // Cyclic object references in a hostile bplist end as a stack overflow: still just "invalid".
    throw new PlistError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * Extracts the XML plist from a provisioning profile (a CMS signed message whose content is the
 * plist in clear), without verifying the signature.
 *
 * @example
 * ```ts
 * const profile = parsePlist(Buffer.from(extractEmbeddedPlist(bytes) ?? ''));
 * ```
 */
export function extractEmbeddedPlist(bytes: Buffer): string | undefined {
  const text = bytes.toString('latin1');
  const start = text.indexOf('<?xml');
  const end = text.indexOf('</plist>', start);
  if (start === -1 || end === -1) return undefined;
  return Buffer.from(text.slice(start, end + '</plist>'.length), 'latin1').toString('utf8');
}
