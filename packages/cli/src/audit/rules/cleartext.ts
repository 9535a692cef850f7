/**
 * Detectors for what a shipped bundle gives away besides secrets: cleartext `http://` endpoints,
 * tokens written to localStorage / AsyncStorage, and inline source maps.
 *
 * Cleartext exclusions, and why: loopback (127.0.0.0/8, ::1, localhost, and 10.0.2.2, the
 * Android emulator's alias of the host's loopback) never leaves the device; XML namespaces,
 * DTD/schema identifiers and license URLs are names, never fetched; the reserved documentation
 * domains (example.com/.net/.org, .test, .example, .invalid) are not endpoints.
 */
import type { TextDetector } from '../lib/text-engine.js';

const NAME_HOSTS = new Set([
  'www.w3.org',
  'w3.org',
  'schemas.android.com',
  'schemas.microsoft.com',
  'schemas.xmlsoap.org',
  'schemas.openxmlformats.org',
  'ns.adobe.com',
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
 * True for hosts that never leave the device.
 *
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.1'); // true
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    h === '::1' ||
    h === '0:0:0:0:0:0:0:1' ||
    h === '10.0.2.2'
  );
}

function isNameNotEndpoint(host: string, path: string): boolean {
  const h = host.toLowerCase();
  if (NAME_HOSTS.has(h)) return true;
  if (/\.(?:example|test|invalid)$/.test(h) || /\.example\.(?:com|net|org)$/.test(h)) return true;
  if (LICENSE_HOSTS.has(h) && /^\/(?:licenses?|MPL)\b/i.test(path)) return true;
  return false;
}

// What precedes a URL that is a namespace or schema identifier rather than an endpoint.
const NAME_CONTEXT =
  /(?:xmlns(?::[\w.-]+)?\s*=\s*|\$schema["']?\s*:\s*|(?:schemaLocation|targetNamespace|namespace)\s*=\s*["'][^"']*|<!DOCTYPE[^>]*|\bSYSTEM\s*|createElementNS\(\s*|setAttributeNS\(\s*|\bns\s*[:=]\s*)["']?$/i;

/** Cleartext, storage and source-map detectors. */
export const WEB_DETECTORS: readonly TextDetector[] = [
  {
    triggers: ['http://'],
    pattern:
      /http:\/\/(?:([^\s/@"'`<>\\]{1,128})@)?(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9][A-Za-z0-9.-]{0,252})(?::(\d{1,5}))?((?:\/[^\s"'`<>()\\]*)?)/iy,
    check: (m, text) => {
      const host = (m[2] as string).replace(/[.-]+$/, '');
      const path = m[4] as string;
      if (isLoopbackHost(host) || isNameNotEndpoint(host, path)) return undefined;
      const before = text.slice(Math.max(0, (m.index as number) - 120), m.index as number);
      if (NAME_CONTEXT.test(before)) return undefined;
      const shown = `http://${m[1] === undefined ? '' : '•••@'}${host}${m[3] === undefined ? '' : `:${m[3]}`}${path.slice(0, 60)}`;
      return {
        ruleId: 'cleartext-http-url',
        message: `cleartext endpoint ${shown}`,
        evidence: shown,
        key: `${host.toLowerCase()}${path.split('?')[0]}`,
      };
    },
  },
  {
    triggers: ['localStorage', 'AsyncStorage'],
    pattern:
      /(localStorage|AsyncStorage)\s*(?:\.\s*(?:setItem|multiSet|mergeItem)\s*\(\s*(?:\[\s*\[\s*)?(?:(["'`])([^"'`\n]{1,100})\2|([A-Za-z_$][\w$.]{0,100}))|\[\s*(["'`])([^"'`\n]{1,100})\5\s*\]\s*=(?!=)|\.([A-Za-z_$][\w$]{0,100})\s*=(?!=))/y,
    check: (m) => {
      const key = m[3] ?? m[4] ?? m[6] ?? m[7];
      if (
        key === undefined ||
        !/token|jwt|secret|passw|credential|session|bearer|api.?key|(?<![a-z])auth/i.test(key)
      ) {
        return undefined;
      }
      return {
        ruleId: 'storage-token-in-web-storage',
        message: `${m[1]} stores "${key.slice(0, 60)}" in plaintext on the device`,
        evidence: `${m[1]} ← ${key.slice(0, 60)}`,
        key: `${m[1]}:${key}`,
      };
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
