/**
 * `--emit ios`: the Info.plist NSAppTransportSecurity / NSPinnedDomains block (iOS 14+). ATS
 * accepts a connection when the leaf's key is in NSPinnedLeafIdentities and, separately, a CA
 * key of the chain is in NSPinnedCAIdentities; when both lists are present both must match. The
 * block pins leaf identities: the leaf and the spare keys. ATS pins have no expiration, so a
 * block without a spare key is refused: pinning only the intermediate (the one backup the chain
 * offers) would brick every installed app the day the CA changes its key, until an app update.
 * ATS pinning covers the app's native networking, not WKWebView loads (docs/pins.md).
 */
import { build } from 'plist';
import { PinsInputError } from '../errors.js';
import type { PinRecommendation } from '../recommend.js';

/**
 * Renders the Info.plist fragment (a complete plist document whose NSAppTransportSecurity dict
 * is to be merged into the app's Info.plist). Throws `pins_invalid_input` without a spare key.
 *
 * @example
 * ```ts
 * process.stdout.write(emitIos(recommendation));
 * ```
 */
export function emitIos(rec: PinRecommendation): string {
  const spares = rec.backup.filter((b) => b.role === 'spare');
  if (spares.length === 0) {
    throw new PinsInputError(
      `${rec.host}: iOS pins have no expiration, and without a spare key the only backup is the intermediate CA, whose key change would lock every installed app out. Generate a spare key pair, keep it offline and pass it with --backup-key or --backup-pin.`,
    );
  }
  const identity = (pin: string) => ({ 'SPKI-SHA256-BASE64': pin });
  const domain = {
    NSIncludesSubdomains: false,
    NSPinnedLeafIdentities: [...rec.primary, ...spares].map((p) => identity(p.pin)),
  };
  return `${build({ NSAppTransportSecurity: { NSPinnedDomains: { [rec.host]: domain } } })}\n`;
}
