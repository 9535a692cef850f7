/**
 * Detectors for what a shipped bundle gives away besides secrets: cleartext `http://` endpoints,
 * tokens written to localStorage / AsyncStorage, and inline source maps.
 *
 * Cleartext exclusions, and why: loopback (127.0.0.0/8, ::1, localhost, *.localhost: the rule of
 * `@bulwark/core/protocol`) never leaves the device, nor does 10.0.2.2, the Android emulator's
 * alias of the host's loopback, which only this scanner accepts (development builds use it); XML namespaces,
 * DTD/schema identifiers and license URLs are names, never fetched; the reserved documentation
 * domains (example.com/.net/.org, .test, .example, .invalid) are not endpoints; certificate
 * infrastructure (CRL, OCSP, CA certificates, timestamping) is fetched by the OS, over http by
 * design, and every signature carries it.
 *
 * A URL ends at the first character that cannot be in one: whitespace, quotes, brackets, and any
 * byte outside printable ASCII (controls and, files being read as latin1 bytes, anything
 * non-ASCII). In a binary (dex, .so, a provisioning profile) a string is followed by whatever
 * bytes come next, NULs, ESC sequences, other data; without that stop a crafted binary could
 * put terminal escape sequences into the finding.
 */
import { isAndroidEmulatorHost, isLoopbackHost } from '@bulwark/core/protocol';
import type { TextDetector } from '../lib/text-engine.js';
import { isTranslationFile } from './secrets.js';

/** A Capacitor plugin's web implementation: a class that extends `WebPlugin` from `@capacitor/core`. */
const CAPACITOR_WEB_PLUGIN = /\bclass\s+[A-Za-z_$][\w$]*\s+extends\s+WebPlugin\b/;

/**
 * A push-notification address (`PUSH_TOKEN`, `fcmToken`, `deviceToken`, `apnsToken`): the
 * platform's address of the device, which lets a sender holding the server key reach it; it signs
 * nobody in, so it is no credential of the user's in web storage.
 */
const PUSH_TOKEN = /(?:push|fcm|gcm|apns|device|notification|firebase)[-_ ]?(?:messaging[-_ ]?)?token/i;

/**
 * A name that holds something about a token or a session rather than the thing itself: its
 * expiry, type or URL, a count, whether a prompt was shown, or, in a wallet, the ids, addresses,
 * symbols and prices of crypto tokens (`swapRecentTokenQueryIds`, `tokenListVisible`). A session
 * or token id in the singular (`sessionId`) is a credential and stays reported.
 */
const ABOUT_A_TOKEN =
  /(?:quer(?:y|ies)|ids|lists?|address(?:es)?|symbols?|balances?|decimals|prices?|icons?|logos?|expir[a-z]*|types?|urls?|endpoints?|counts?|names?|labels?|hints?|visible|enabled|shown|dismissed|seen)$/i;

/**
 * Source files of languages with no Web Storage: in Kotlin, Java, Swift, Objective-C, Dart, C#
 * or C a `localStorage` is an object of the app's own (often over SharedPreferences), which the
 * preference-storage rules read by what it is. Web Storage and AsyncStorage live in JavaScript
 * and TypeScript sources, markup and built bundles (`index.android.bundle` has no extension of
 * these).
 */
const NOT_A_WEB_LANGUAGE =
  /\.(?:kt|kts|java|swift|m|mm|h|hpp|dart|cs|c|cc|cpp|go|rs|py|rb|scala|groovy|gradle)$/i;

const NAME_HOSTS = new Set([
  'www.w3.org',
  'w3.org',
  'schemas.android.com',
  'schemas.microsoft.com',
  'schemas.xmlsoap.org',
  'schemas.openxmlformats.org',
  'ns.adobe.com',
  // XMP and Exif namespaces of the IPTC and CIPA standards (`Iptc4xmpCore`, `exifEX`), and IPTC's
  // controlled vocabularies (`cv.iptc.org/newscodes/digitalsourcetype/…`), which C2PA manifests name.
  'iptc.org',
  'cv.iptc.org',
  'cipa.jp',
  'purl.org',
  'xmlns.com',
  'xmlns.jcp.org',
  'java.sun.com',
  'json-schema.org',
  'docs.oasis-open.org',
  'relaxng.org',
  'www.opengis.net',
  'xml.org',
  'www.xml.org',
  'www.apple.com',
  'apple.com',
  'example.com',
  'example.net',
  'example.org',
  'www.example.com',
  'www.example.net',
  'www.example.org',
]);

/** The same names by length, to recognise one in the text without copying it out. */
const NAME_HOSTS_BY_LENGTH = new Map<number, string[]>();
for (const host of NAME_HOSTS) {
  NAME_HOSTS_BY_LENGTH.set(host.length, [...(NAME_HOSTS_BY_LENGTH.get(host.length) ?? []), host]);
}

const LICENSE_HOSTS = new Set([
  'www.apache.org',
  'apache.org',
  'opensource.org',
  'www.opensource.org',
  'www.gnu.org',
  'gnu.org',
  'creativecommons.org',
  'www.mozilla.org',
  'mozilla.org',
]);

/**
 * Genymotion's alias of the host machine's loopback, as `10.0.2.2` is the Android emulator's:
 * development configs list both (`localhost, 10.0.2.2, 10.0.3.2, 127.0.0.1`).
 */
const GENYMOTION_HOST = '10.0.3.2';

/**
 * True for hosts a development build talks to without leaving the machine: loopback (the one rule
 * of `@bulwark/core/protocol`) and, allowed here on purpose, the aliases of the host's loopback
 * in the Android emulator (`10.0.2.2`) and in Genymotion (`10.0.3.2`), which are not loopback
 * anywhere else.
 *
 * @example
 * ```ts
 * isLoopbackOrEmulatorHost('127.0.0.1'); // true
 * isLoopbackOrEmulatorHost('10.0.2.2'); // true
 * ```
 */
export function isLoopbackOrEmulatorHost(host: string): boolean {
  return isLoopbackHost(host) || isAndroidEmulatorHost(host) || host === GENYMOTION_HOST;
}

/**
 * A domain reserved for documentation (RFC 2606): `example.com`, `example.net`, `example.org` and
 * their subdomains, the placeholder templates leave for the integrator's own host
 * (`api.example.com`), never one an app talks to. The reserved top-level names (`.example`,
 * `.test`, `.invalid`) are not counted: local development setups name real hosts with them
 * (`shop.test`), and fixtures use them to stand for real ones.
 *
 * @example
 * ```ts
 * isDocumentationHost('api.example.com'); // true
 * isDocumentationHost('api.examples.com'); // false
 * ```
 */
export function isDocumentationHost(host: string): boolean {
  return /(?:^|\.)example\.(?:com|net|org)\.?$/i.test(host);
}

/** Hosts that are names whatever the path: namespace and schema hosts, documentation domains. */
function isNameHost(host: string): boolean {
  const h = host.toLowerCase();
  return NAME_HOSTS.has(h) || /\.(?:example|test|invalid)$/.test(h) || /\.example\.(?:com|net|org)$/.test(h);
}

function isNameNotEndpoint(host: string, path: string): boolean {
  if (isNameHost(host) || isCertificateInfrastructure(host, path)) return true;
  const h = host.toLowerCase();
  if (h === 'xml.apache.org' || h === 'javax.xml.xmlconstants') return true;
  if ((h === 'apache.org' || h === 'www.apache.org') && /^\/xml\//i.test(path)) return true;
  // XMPP's namespaces: the XMPP Standards Foundation names each extension's namespace
  // `http://jabber.org/protocol/…` (XEP-0030's `disco#info`, XEP-0045's `muc#user`), stream
  // features `http://jabber.org/features/…`, and the stream itself `http://etherx.jabber.org/streams`.
  // An XMPP client names hundreds of them; none is fetched.
  if (h === 'etherx.jabber.org' || (h === 'jabber.org' && /^\/(?:protocol|features)\//.test(path)))
    return true;
  return LICENSE_HOSTS.has(h) && /^\/(?:licenses?|MPL)\b/i.test(path);
}

/**
 * Certificate infrastructure: CRL distribution points, OCSP responders, CA certificate (AIA)
 * and certification-practice URLs, and timestamping services. Every code signature and
 * certificate carries them (a provisioning profile, a signed Mach-O, an Authenticode DLL, a dex
 * through its libraries); they are served over http by design (RFC 5280, RFC 6960: what they
 * serve is signed) and fetched by the OS, not by the app.
 */
function isCertificateInfrastructure(host: string, path: string): boolean {
  return (
    /^(?:crls?|ocsp|certs?|cacerts?|aia|crt|timestamp|tsa)\d*\./i.test(host) ||
    // A `0` may follow: the tag of the next DER SEQUENCE (0x30), right after the string in a certificate.
    /\.(?:crl|crt|cer|der|p7c|p7b)0?$/i.test(path) ||
    /^\/(?:pki|cps|certificateauthority|appleca|repository)(?:\/|$)/i.test(path)
  );
}

/** [A-Za-z0-9.-], by character code: a table, so the hot loop has one branch, not five. */
const HOST_CHARS = new Uint8Array(128).map((_, c) => (/[A-Za-z0-9.-]/.test(String.fromCharCode(c)) ? 1 : 0));

function isHostChar(c: number): boolean {
  return c < 128 && HOST_CHARS[c] === 1;
}

/**
 * Start of an `http://` URL worth running the regex on, or -1 for a plain one (no user, no port)
 * whose host is a name, which the check would dismiss whatever the path: the
 * namespace URIs of SVG and XML, the most common `http://` of a bundle, cost a few reads. The
 * host is read as the regex reads it; anything unusual after it goes to the regex.
 */
function urlStart(text: string, at: number): number {
  const from = at + 7;
  let i = from;
  while (i < text.length && i - from <= 253 && isHostChar(text.charCodeAt(i))) i++;
  const c = i < text.length ? text.charCodeAt(i) : -1;
  // What ends a plain host and cannot be part of a user name either: the path, a quote, `<`,
  // `>`, a backslash, an ASCII space, the end of the text.
  const plainEnd =
    c === -1 || c === 47 || c === 34 || c === 39 || c === 96 || c === 60 || c === 62 || c === 92 || c === 32;
  if (!plainEnd && !(c >= 9 && c <= 13)) return at;
  const first = text.charCodeAt(from);
  if (i === from || i - from > 253 || first === 46 || first === 45) return at;
  let end = i;
  while (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45) end--;
  // The usual spelling of a namespace host, compared in place; any other (other case, a
  // documentation domain) is copied out and checked in full. Loopback hosts are left to the
  // check: rarer, and not worth making this hot function bigger.
  for (const host of NAME_HOSTS_BY_LENGTH.get(end - from) ?? []) if (text.startsWith(host, from)) return -1;
  return isNameHost(text.slice(from, end)) ? -1 : at;
}

/**
 * `urlStart` on the bytes of a latin1 file, for its hot case only: true when the URL at `at` is
 * plain (no user, no port) and its host is a namespace host in its usual spelling, which
 * `urlStart` dismisses too. Anything else is kept for `urlStart` to decide on the text.
 */
function isPlainNamespaceUrl(bytes: Uint8Array, at: number): boolean {
  const from = at + 7;
  let i = from;
  while (i < bytes.length && i - from <= 253 && isHostChar(bytes[i] as number)) i++;
  const c = i < bytes.length ? (bytes[i] as number) : -1;
  const plainEnd =
    c === -1 || c === 47 || c === 34 || c === 39 || c === 96 || c === 60 || c === 62 || c === 92 || c === 32;
  if (!plainEnd && !(c >= 9 && c <= 13)) return false;
  const first = bytes[from];
  if (i === from || i - from > 253 || first === 46 || first === 45) return false;
  let end = i;
  while (bytes[end - 1] === 46 || bytes[end - 1] === 45) end--;
  // Indexed, not for-of: this runs at every http URL of a file, much of it before V8 has
  // optimised it, and the interpreter runs an iterator's calls one by one.
  const hosts = NAME_HOSTS_BY_LENGTH.get(end - from) ?? [];
  for (let h = 0; h < hosts.length; h++) {
    const host = hosts[h] as string;
    let k = 0;
    while (k < host.length && bytes[from + k] === host.charCodeAt(k)) k++;
    if (k === host.length) return true;
  }
  return false;
}

/** The host without trailing dots and dashes (the end of a sentence, not of the name). */
function trimHost(host: string): string {
  let end = host.length;
  while (end > 0 && (host.charCodeAt(end - 1) === 46 || host.charCodeAt(end - 1) === 45)) end--;
  return end === host.length ? host : host.slice(0, end);
}

/**
 * The path without the punctuation that ends the sentence or the bracket around a URL
 * (`http://url.to/link,` and `(http://url.to/link)` are one endpoint, `http://url.to/link`).
 */
function trimPath(path: string): string {
  let end = path.length;
  while (end > 0 && TRAILING.has(path.charCodeAt(end - 1))) end--;
  return end === path.length ? path : path.slice(0, end);
}

/** `.` `,` `;` `:` `!` `?` `]` `}` `*`: punctuation that rarely ends a real path. */
const TRAILING = new Set([46, 44, 59, 58, 33, 63, 93, 125, 42]);

// What precedes a URL that is a namespace or schema identifier rather than an endpoint: also in
// XML written inside a string, its quotes escaped (`xmlns:oc=\"http://owncloud.org/ns\"`, a
// WebDAV body), in the Simple XML framework's `@Namespace(reference = "…")`, and RDF's
// `rdf:resource=`/`rdf:about=`, which name a resource rather than fetch it.
const NAME_CONTEXT =
  /(?:xmlns(?::[\w.-]+)?\s*=\s*\\?|\$schema["']?\s*:\s*|(?:schemaLocation|targetNamespace|namespace)\s*=\s*\\?["'][^"']*|<!DOCTYPE[^>]*|\bSYSTEM\s*|createElementNS\(\s*|setAttributeNS\(\s*|\bns\s*[:=]\s*|@Namespace\((?:[^()"]*"[^"]*"\s*,)?\s*reference\s*=\s*|\brdf:(?:resource|about)\s*=\s*)["']?$/i;

/**
 * Why an http URL of a Tor onion service is lowered: Tor's circuit to the service is encrypted
 * and authenticated end to end by the service's key (its name is derived from it), so no network
 * sees the request in clear. Tor-enabled wallets and messengers list such endpoints beside their
 * https ones (Blockstream Green's `http://…onion/` backends).
 */
const ONION = 'a Tor onion service: Tor encrypts and authenticates the connection end to end';

/**
 * A Tor onion service name: the top-level `onion` itself (a domain-config for `onion` with
 * `includeSubdomains`) or a name under it. Such names resolve only inside Tor, whose circuits to
 * an onion service are encrypted and authenticated end to end by the service's own key (the name
 * is derived from it), so cleartext HTTP to them crosses no network in clear; Tor clients permit
 * it on purpose (TLS certificates for onion names are rare). The network security config's
 * domains and the hosts of http URLs are both judged by it.
 *
 * @example
 * ```ts
 * isOnionHost('abc.onion'); // true
 * ```
 */
export function isOnionHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'onion' || h.endsWith('.onion');
}

/**
 * Licence and notice files: their URLs point at licence texts and project pages. `copyright` is
 * the name Debian packaging gives the file (`copyright/copyright` in openmrs-android-client); a
 * library's licence may carry its name (`GLYPHICONS_LICENCE`, `SQLCIPHER_LICENSE.txt`) or sit in
 * a `licenses/` folder (`assets/licenses/LICENCES` in opensrp-client-core). Source files are
 * never licence files, whatever their name (`LicenseClient.kt` may call a licence server).
 */
const LICENCE_FILE =
  /(?:^|\/)(?:(?:[^/]*[-_])?(?:LICEN[CS]ES?|COPYING|COPYRIGHT|NOTICE)|THIRD[-_]PARTY[^/]*|ACKNOWLEDG[^/]*|licen[cs]es\/(?:[^/]+\/)*[^/.]+)(?:\.(?!(?:java|kt|kts|swift|mm?|h|cc?|cpp|[cm]?[jt]sx?|dart|cs|go|rs|py|rb)$)[A-Za-z]+)?$/i;

/**
 * Build, dependency and CI files: what they fetch is the build's, not the app's traffic.
 * `build.gradle` is left out on purpose: a repository URL there fetches dependencies over http,
 * a supply-chain risk that stays reported.
 */
const BUILD_FILE =
  /(?:^|\/)(?:gradle\.properties|proguard[^/]*\.(?:pro|txt|cfg)|consumer-rules\.pro|Podfile(?:\.lock)?|Gemfile(?:\.lock)?|Fastfile|Appfile|Matchfile|Pluginfile|Cartfile[^/]*|pubspec\.(?:yaml|lock)|package(?:-lock)?\.json|yarn\.lock|\.gitlab-ci\.yml|bitrise\.yml|codemagic\.yaml|Jenkinsfile|Dockerfile)$|(?:^|\/)\.(?:github|circleci)\//;

/**
 * Why an http URL at `index` is no endpoint of the app, when its place says so: a translation
 * (text shown to the user), a licence, build or CI configuration, or a comment (a documentation
 * link such as a javadoc `@see http://…`). The finding is lowered with that reason, not dropped.
 */
function urlPlace(text: string, index: number, path: string): string | undefined {
  if (isTranslationFile(path)) return 'a translation file: text shown to the user, not a request';
  if (DOMAIN_LIST.test(path))
    return 'a list of domains or URLs the app matches against (a block, allow or tracker list), not requests';
  if (ANDROID_TRANSLATED_STRINGS.test(path))
    return "a translated copy of the app's strings (res/values-<language>/): text shown to the user";
  if (LICENCE_FILE.test(path)) return 'a licence or notice file';
  if (BUILD_FILE.test(path)) return 'build or CI configuration, not the app';
  if (/\.svg$/i.test(path) && inSvgMetadata(text, index))
    return "an SVG image's metadata (its licence, author or source), not a request";
  // At most 300 characters back: a minified bundle's line is megabytes long, and searching it
  // for its start at every URL would make the scan quadratic.
  const window = text.slice(Math.max(0, index - 300), index);
  const newline = window.lastIndexOf('\n');
  const prefix = newline < 0 ? window : window.slice(newline + 1);
  const atLineStart = newline >= 0 || index <= 300;
  if (
    (atLineStart && /^\s*(?:\/\/|\/?\*|#(?![!{])|<!--)/.test(prefix)) ||
    /(?:^|[\s;,){}])\/\/[^"'`]*$/.test(prefix) ||
    /<!--(?:(?!-->).)*$/.test(prefix) ||
    inBlockComment(text, index)
  )
    return 'in a comment: a documentation link, not a request';
  return undefined;
}

/**
 * The strings of an Android app translated into a language (`res/values-cs/strings.xml`,
 * `values-pt-rBR/`, `values-b+sr+Latn/`): copies of `res/values/strings.xml`, where the same URL
 * is reported once at its own severity. Other qualifiers (`values-night`, `values-v21`,
 * `values-land`, `values-car`) are no language.
 */
const ANDROID_TRANSLATED_STRINGS =
  /(?:^|\/)res\/values-(?:(?!car-|car\/)[a-z]{2,3}(?:-r[A-Z]{2})?|b\+[A-Za-z0-9+]+)(?:-[A-Za-z0-9]+)*\/strings\.xml$/;

/**
 * A data file named as a list of domains or hosts that the app matches pages or requests against:
 * `domain_blocklist.json` (Disconnect's tracker list in Firefox), `allowlist.txt`,
 * `trackers.json`, `hosts.txt`, `denylist.csv`. Its URLs are entries of the list, never fetched.
 */
const DOMAIN_LIST =
  /(?:^|\/)[^/]*(?:(?:block|allow|deny|white|black|safe|ad)[-_]?list|domains|trackers|hosts)[^/]*\.(?:json|txt|csv|list|dat)$/i;

/**
 * Whether `index` lies inside the `<metadata>` element of an SVG image: the RDF block Inkscape and
 * other editors write (`<cc:license rdf:resource="http://creativecommons.org/…"/>`, the author's
 * homepage), which names the image's licence and origin and is never fetched. Looked for only in
 * the text before a URL already reported.
 */
function inSvgMetadata(text: string, index: number): boolean {
  const open = text.lastIndexOf('<metadata', index);
  return open >= 0 && text.lastIndexOf('</metadata>', index) < open;
}

/** How far back a block comment's opening is looked for: a licence header's length. */
const BLOCK_COMMENT_WINDOW = 3000;

/**
 * Whether `index` lies inside a block comment opened at the start of a line within
 * {@link BLOCK_COMMENT_WINDOW} characters and not closed before it: a `/* … *\/` licence header
 * whose lines carry no leading `*` (`   http://www.oberhumer.com/opensource/lzo/` in a C source),
 * or an XML `<!-- … -->` header over several lines (`    ~ http://license.openmrs.org` in the
 * layouts and manifests of openmrs-android-client, as IntelliJ's copyright profiles write it).
 * Only an opening at a line's start counts, so that `"image/*"`, `"*\/*"` or `"<!--"` in code
 * opens nothing.
 */
function inBlockComment(text: string, index: number): boolean {
  const window = text.slice(Math.max(0, index - BLOCK_COMMENT_WINDOW), index);
  return opensUnclosed(window, index, '/*', '*/') || opensUnclosed(window, index, '<!--', '-->');
}

/** Whether `window` (the text before `index`) holds `open` at a line's start after its last `close`. */
function opensUnclosed(window: string, index: number, open: string, close: string): boolean {
  const closed = window.lastIndexOf(close);
  let at = window.lastIndexOf(open);
  while (at > closed) {
    let i = at - 1;
    while (i >= 0 && (window.charCodeAt(i) === 0x20 || window.charCodeAt(i) === 0x09)) i--;
    if (i < 0 ? index - BLOCK_COMMENT_WINDOW <= 0 : window.charCodeAt(i) === 0x0a) return true;
    at = at === 0 ? -1 : window.lastIndexOf(open, at - 1);
  }
  return false;
}

/**
 * Whether the `://` at `at` ends the scheme `http` in any letter case (`http://` starts at
 * `at - 4`), as the trigger `http://` with its case ignored found it. `| 0x20` folds only the
 * upper-case ASCII letter onto the lower-case one: no other code gives h, t or p.
 */
function isHttpBefore(text: string, at: number): boolean {
  return (
    at >= 4 &&
    (text.charCodeAt(at - 4) | 0x20) === 0x68 &&
    (text.charCodeAt(at - 3) | 0x20) === 0x74 &&
    (text.charCodeAt(at - 2) | 0x20) === 0x74 &&
    (text.charCodeAt(at - 1) | 0x20) === 0x70
  );
}

/** `isHttpBefore` on the bytes of a latin1 file. */
function isHttpBeforeBytes(bytes: Uint8Array, at: number): boolean {
  return (
    at >= 4 &&
    ((bytes[at - 4] as number) | 0x20) === 0x68 &&
    ((bytes[at - 3] as number) | 0x20) === 0x74 &&
    ((bytes[at - 2] as number) | 0x20) === 0x74 &&
    ((bytes[at - 1] as number) | 0x20) === 0x70
  );
}

/** On the bytes: true unless `http://` is followed by what builds a URL (a quote, `${`, `\(`, `%`). */
function notBuiltUrl(bytes: Uint8Array, at: number): boolean {
  const c = bytes[at + 7];
  return c !== 0x22 && c !== 0x27 && c !== 0x24 && c !== 0x5c && c !== 0x25;
}

/** Back from a Firebase host's suffix to the `http(s)://` before its name, or -1. */
function firebaseStart(text: string, at: number): number {
  let i = at;
  const floor = Math.max(0, at - 80);
  while (i > floor && /[A-Za-z0-9.-]/.test(text.charAt(i - 1))) i--;
  if (text.startsWith('https://', i - 8)) return i - 8;
  if (text.startsWith('http://', i - 7)) return i - 7;
  return -1;
}

/** Cleartext, storage and source-map detectors. */
export const WEB_DETECTORS: readonly TextDetector[] = [
  {
    // Woken by the `://` that the URL-credentials detector waits for too, not by a trigger
    // `http://` of its own: both at every http URL of a bundle (about a third of its triggers)
    // made the prefilter report, and the engine dispatch, each of them twice.
    triggers: ['://'],
    start: (text, at) => (isHttpBefore(text, at) ? urlStart(text, at - 4) : -1),
    dismiss: (bytes, at) => !isHttpBeforeBytes(bytes, at) || isPlainNamespaceUrl(bytes, at - 4),
    pattern:
      /http:\/\/(?:([!#-&(-.0-;=?A-[\]-_a-~]{1,128})@)?(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9][A-Za-z0-9.-]{0,252})(?::(\d{1,5}))?((?:\/[!#-&*-;=?-[\]-_a-~]*)?)/iy,
    check: (m, text, file) => {
      const host = trimHost(m[2] as string);
      const path = trimPath(m[4] as string);
      // Names first: namespace URIs are by far the most common `http://` of a bundle.
      if (isNameNotEndpoint(host, path) || isLoopbackOrEmulatorHost(host)) return undefined;
      const before = text.slice(Math.max(0, (m.index as number) - 120), m.index as number);
      if (NAME_CONTEXT.test(before)) return undefined;
      const shown = `http://${m[1] === undefined ? '' : '•••@'}${host}${m[3] === undefined ? '' : `:${m[3]}`}${path.slice(0, 60)}`;
      const place = isOnionHost(host) ? ONION : urlPlace(text, m.index as number, file.path);
      return {
        ruleId: 'cleartext-http-url',
        message: `cleartext endpoint ${shown}`,
        evidence: shown,
        key: `${host.toLowerCase()}${path.split('?')[0]}`,
        ...(place === undefined ? {} : { lowered: place }),
      };
    },
  },
  {
    // An http:// URL built at run time: "http://" + host, `http://${host}`, "http://\\(host)",
    // String.format("http://%s"). A bare "http://" compared or replaced is not a URL.
    triggers: ['://'],
    start: (text, at) => (isHttpBefore(text, at) ? at - 4 : -1),
    dismiss: (bytes, at) => !isHttpBeforeBytes(bytes, at) || notBuiltUrl(bytes, at - 4),
    pattern:
      /http:\/\/(?:(["'])(?:\s*\+\s*([A-Za-z_$][\w$.]{0,80})?|(?=\s*;|[ \t]*\r?\n))|\$\{\s*([^}\s]{1,80})|\\\(\s*([^)\s]{1,80})|(%[s@]))/iy,
    check: (m, text) => {
      if (m[1] !== undefined && !/\+/.test(m[0])) {
        // The scheme alone held in a variable (`String protocol = "http://";`): it exists only to
        // be joined to a host. Anything else ending in a bare "http://" (a comparison, a
        // replace argument) is no URL.
        const index = m.index as number;
        const before = text.slice(Math.max(0, index - 81), index - 1);
        const name = /\b([A-Za-z_$][\w$]*)\s*(?::\s*String\s*)?=\s*$/.exec(before)?.[1];
        if (name === undefined || text.charAt(index - 1) !== m[1]) return undefined;
        return {
          ruleId: 'cleartext-http-url',
          message: `cleartext URL built at run time: "http://" kept in ${name.slice(0, 60)} to be joined to a host`,
          evidence: `${name.slice(0, 60)} = "http://"`,
          key: `built-scheme:${name}`,
        };
      }
      const what = m[2] ?? m[3] ?? m[4] ?? m[5] ?? '…';
      // Local development servers: loopback and emulators (Firebase's, Android's host alias).
      if (/localhost|loopback|127\.0\.0\.1|\[::1\]|10\.0\.2\.2|emulator/i.test(what)) return undefined;
      return {
        ruleId: 'cleartext-http-url',
        message: `cleartext URL built at run time: http:// + ${what.slice(0, 60)}`,
        evidence: `http://${m[1] === undefined ? '' : `${m[1]} + `}${what.slice(0, 60)}`,
        key: `built:${what}`,
      };
    },
  },
  {
    // Firebase Realtime Database hosts: their rules decide who reads the data.
    triggers: ['.firebaseio.com', '.firebasedatabase.app'],
    start: firebaseStart,
    pattern:
      /https?:\/\/([a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]+)?\.(?:firebaseio\.com|firebasedatabase\.app))/iy,
    check: (m) => ({
      ruleId: 'firebase-database-url',
      message: `Firebase Realtime Database ${m[1]}: check that its rules deny unauthenticated access`,
      evidence: m[1] as string,
      key: (m[1] as string).toLowerCase(),
    }),
  },
  {
    triggers: ['localStorage', 'AsyncStorage'],
    pattern:
      /(localStorage|AsyncStorage)\s*(?:\.\s*(?:setItem|multiSet|mergeItem)\s*\(\s*(?:\[\s*\[\s*)?(?:(["'`])([^"'`\n]{1,100})\2|([A-Za-z_$][\w$.]{0,100}))|\[\s*(["'`])([^"'`\n]{1,100})\5\s*\]\s*=(?!=)|\.([A-Za-z_$][\w$]{0,100})\s*=(?!=))/y,
    check: (m, _text, file) => {
      const key = m[3] ?? m[4] ?? m[6] ?? m[7];
      if (
        key === undefined ||
        NOT_A_WEB_LANGUAGE.test(file.path) ||
        !/token|jwt|secret|passw|credential|session|bearer|api.?key|(?<![a-z])auth/i.test(key) ||
        PUSH_TOKEN.test(key) ||
        ABOUT_A_TOKEN.test(key) ||
        // The callback page of the flutter_web_auth_2 package (its README's, copied into `web/`):
        // the redirect URL with a one-time, PKCE-bound code, handed back to the plugin.
        /^flutter-web-auth(?:-2)?$/.test(key)
      ) {
        return undefined;
      }
      // A flag stored under a token's name (`setItem(`${EMAILED_TOKEN}_${user}`, 'true')`).
      const after = _text.slice((m.index as number) + m[0].length, (m.index as number) + m[0].length + 40);
      if (/^[^,()]{0,60}?,\s*(["'`])(?:true|false|yes|no|[0-9]{1,10})\1\s*\)/.test(after)) return undefined;
      const verdict = {
        ruleId: 'storage-token-in-web-storage',
        message: `${m[1]} stores "${key.slice(0, 60)}" in plaintext on the device`,
        evidence: `${m[1]} ← ${key.slice(0, 60)}`,
        key: `${m[1]}:${key}`,
      } as const;
      // The web implementation of a Capacitor plugin (`class XWeb extends WebPlugin`) runs only
      // when the app is served in a browser; on a device Capacitor calls the plugin's native side.
      if (CAPACITOR_WEB_PLUGIN.test(_text))
        return {
          ...verdict,
          severity: 'medium',
          message: `${verdict.message} (medium: in the web implementation of a Capacitor plugin, a class that extends WebPlugin, which runs only in a browser; on Android and iOS the plugin's native side runs instead)`,
        };
      return verdict;
    },
  },
  {
    triggers: ['sourceMappingURL=data:'],
    pattern: /sourceMappingURL=data:/y,
    check: () => ({
      ruleId: 'sourcemap-shipped',
      message: 'inline source map: the original sources ship inside the bundle',
      evidence: 'sourceMappingURL=data:…',
      key: 'inline',
    }),
  },
];
