/**
 * Capacitor and Cordova configuration checks: a live-reload server left in the config, cleartext,
 * mixed content, WebView debugging, and Cordova's wildcard origins.
 */
import type { RawFinding } from '../lib/finding.js';
import { lineFinder, stringsToScan } from '../lib/xml-file.js';
import { childrenNamed, type XmlElement } from '../lib/xml-tree.js';
import type { FileAnalyser } from './analyser.js';
import { xmlOf } from './android.js';
import { isLoopbackHost } from './cleartext.js';

type Dict = Record<string, unknown>;

function dict(value: unknown): Dict | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Dict) : undefined;
}

/**
 * True for hosts only a developer's network serves: loopback, private and link-local ranges,
 * mDNS `.local` names.
 *
 * @example
 * ```ts
 * isDevHost('192.168.1.20'); // true
 * ```
 */
export function isDevHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    isLoopbackHost(h) ||
    /^10\.\d+\.\d+\.\d+$/.test(h) ||
    /^192\.168\.\d+\.\d+$/.test(h) ||
    /^172\.(1[6-9]|2\d|3[01])\.\d+\.\d+$/.test(h) ||
    /^169\.254\.\d+\.\d+$/.test(h) ||
    h.endsWith('.local') ||
    h.startsWith('fe80:') ||
    h.startsWith('fd')
  );
}

/**
 * Checks a parsed capacitor.config.json.
 *
 * @example
 * ```ts
 * checkCapacitorConfig(JSON.parse(text), 'capacitor.config.json', (k) => 1);
 * ```
 */
export function checkCapacitorConfig(
  config: unknown,
  file: string,
  lineOf: (key: string) => number | undefined,
): RawFinding[] {
  const out: RawFinding[] = [];
  const root = dict(config);
  if (root === undefined) return out;
  const line = (key: string) => {
    const l = lineOf(key);
    return l === undefined ? {} : { line: l };
  };
  const server = dict(root.server);
  if (typeof server?.url === 'string' && server.url.trim() !== '') {
    let host = '';
    let scheme = '';
    try {
      const u = new URL(server.url);
      host = u.hostname;
      scheme = u.protocol;
    } catch {
      host = server.url;
    }
    const dev = scheme === 'http:' || isDevHost(host);
    out.push({
      ruleId: 'hybrid-dev-server-url',
      file,
      ...line('url'),
      message: dev
        ? `server.url loads the app from a development server (${host || 'unparsable URL'})`
        : `server.url loads the app from a remote site (${host}) instead of the bundled files`,
      evidence: host,
      key: 'server.url',
      severity: dev ? 'high' : 'medium',
    });
  }
  if (server?.cleartext === true) {
    out.push({
      ruleId: 'hybrid-cleartext',
      file,
      ...line('cleartext'),
      message: 'server.cleartext is true',
      key: 'server.cleartext',
    });
  }
  const android = dict(root.android);
  if (android?.allowMixedContent === true) {
    out.push({
      ruleId: 'hybrid-mixed-content',
      file,
      ...line('allowMixedContent'),
      message: 'android.allowMixedContent is true: http:// content loads inside https:// pages',
      key: 'android.allowMixedContent',
    });
  }
  for (const [platform, value] of [
    ['android', android],
    ['ios', dict(root.ios)],
    ['', root],
  ] as const) {
    if (value?.webContentsDebuggingEnabled === true) {
      out.push({
        ruleId: 'hybrid-webview-debugging',
        file,
        ...line('webContentsDebuggingEnabled'),
        message: `${platform === '' ? '' : `${platform}.`}webContentsDebuggingEnabled is true`,
        key: `${platform}.webContentsDebuggingEnabled`,
      });
    }
  }
  return out;
}

const WILDCARDS = new Set(['*', 'http://*', 'https://*', 'http://*/*', 'https://*/*', '*://*', '*://*/*']);

/**
 * Checks a Cordova config.xml (root element `widget`).
 *
 * @example
 * ```ts
 * checkCordovaConfig(parseXmlText(text), 'config.xml');
 * ```
 */
export function checkCordovaConfig(widget: XmlElement, file: string): RawFinding[] {
  const out: RawFinding[] = [];
  // Cordova requires the widget's `id` (the app id). Capacitor generates a config.xml without
  // one, for its Cordova plugin layer, always with `<access origin="*">`, and ignores that
  // element: its navigation policy is `server.allowNavigation` in capacitor.config.json.
  const capacitorGenerated = widget.attributes.id === undefined;
  for (const [tag, attr] of [
    ['access', 'origin'],
    ['allow-navigation', 'href'],
  ] as const) {
    if (capacitorGenerated && tag === 'access') continue;
    for (const el of childrenNamed(widget, tag)) {
      const value = el.attributes[attr]?.trim() ?? '';
      if (WILDCARDS.has(value)) {
        out.push({
          ruleId: 'hybrid-access-any-origin',
          file,
          ...(el.line === undefined ? {} : { line: el.line }),
          message: `<${tag} ${attr}="${value}"> allows any origin`,
          key: `${tag}:${value}`,
        });
      }
    }
  }
  return out;
}

/**
 * The hybrid analysers: `capacitor.config.json` (as written in a project and as `npx cap sync`
 * copies it into the native projects and the built app) and Cordova's `config.xml` (in a
 * project, and as `res/xml/config.xml` in an APK).
 */
export const HYBRID_ANALYSERS: readonly FileAnalyser[] = [
  {
    matches: (_path, name) => name === 'capacitor.config.json',
    async analyse(bytes, context) {
      const text = bytes.toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        context.unparsed(context.name, err);
        return undefined;
      }
      context.report(...checkCapacitorConfig(parsed, context.path, await lineFinder(text, (k) => `"${k}"`)));
      return undefined;
    },
  },
  {
    matches: (path, name) => name === 'config.xml' || /(?:^|\/)res\/xml\/[^/]+\.xml$/.test(path),
    async analyse(_bytes, context) {
      const decoded = await xmlOf(context);
      if (decoded === undefined) return undefined;
      if (decoded.root.name === 'widget') context.report(...checkCordovaConfig(decoded.root, context.path));
      return stringsToScan(decoded);
    },
  },
];
