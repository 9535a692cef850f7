/**
 * `--emit ios`: the Info.plist NSAppTransportSecurity / NSPinnedDomains block (iOS 14+). ATS
 * accepts a connection when the leaf's key is in NSPinnedLeafIdentities and, separately, a CA
 * key of the chain is in NSPinnedCAIdentities; when both lists are present both must match. So
 * with spare keys the block pins leaf identities (the leaf + the spares), and without spares it
 * pins CA identities (the intermediate), which survives a leaf key change. ATS pins have no
 * expiration: renew them with app updates.
 */
import { build } from 'plist';
import type { PinRecommendation } from '../recommend.js';

/**
 * Renders the Info.plist fragment (a complete plist document whose NSAppTransportSecurity dict
 * is to be merged into the app's Info.plist).
 *
 * @example
 * ```ts
 * process.stdout.write(emitIos(recommendation));
 * ```
 */
export function emitIos(rec: PinRecommendation): string {
  const spares = rec.backup.filter((b) => b.role === 'spare');
  const identity = (pin: string) => ({ 'SPKI-SHA256-BASE64': pin });
  const domain =
    spares.length > 0
      ? {
          NSIncludesSubdomains: false,
          NSPinnedLeafIdentities: [...rec.primary, ...spares].map((p) => identity(p.pin)),
        }
      : {
          NSIncludesSubdomains: false,
          NSPinnedCAIdentities: rec.backup
            .filter((b) => b.role === 'intermediate')
            .map((p) => identity(p.pin)),
        };
  return `${build({ NSAppTransportSecurity: { NSPinnedDomains: { [rec.host]: domain } } })}\n`;
}
