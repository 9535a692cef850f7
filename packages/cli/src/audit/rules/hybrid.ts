/**
 * Capacitor and Cordova configuration checks: a live-reload server left in the config, cleartext,
 * mixed content, WebView debugging, and Cordova's wildcard origins.
 */
import type { RawFinding } from '../lib/finding.js';
import { lineFinder, stringsToScan } from '../lib/xml-file.js';
import { childrenNamed, descendantsNamed, isTrue, type XmlElement } from '../lib/xml-tree.js';
import type { FileAnalyser } from './analyser.js';
import { xmlOf } from './android.js';
import { isLoopbackOrEmulatorHost } from './cleartext.js';

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
    isLoopbackOrEmulatorHost(h) ||
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
  checkPlatformEdits(widget, file, out);
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

/** ATS keys that turn App Transport Security off, with their severity (as in `ios.ts`). */
const ATS_OFF = [
  ['NSAllowsArbitraryLoads', 'high'],
  ['NSAllowsArbitraryLoadsInWebContent', 'high'],
  ['NSAllowsArbitraryLoadsForMedia', 'medium'],
] as const;

/**
 * `<edit-config>` and `<config-file>` blocks, which Cordova merges into the native manifest and
 * Info.plist at build time: what they set is what ships, so they get the manifest and ATS checks.
 */
function checkPlatformEdits(widget: XmlElement, file: string, out: RawFinding[]): void {
  const edits = [...descendantsNamed(widget, 'edit-config'), ...descendantsNamed(widget, 'config-file')];
  for (const edit of edits) {
    const line = edit.line === undefined ? {} : { line: edit.line };
    const target = `${edit.attributes.file ?? ''} ${edit.attributes.target ?? ''} ${edit.attributes.parent ?? ''}`;
    for (const el of descendantsNamed(edit, 'application')) {
      if (isTrue(el, 'usesCleartextTraffic')) {
        out.push({
          ruleId: 'android-cleartext-traffic',
          file,
          ...line,
          message: `<${edit.name}> sets android:usesCleartextTraffic="true" in the merged manifest: http:// to every host`,
          key: `edit:cleartext:${edit.line ?? 0}`,
        });
      }
      if (isTrue(el, 'debuggable')) {
        out.push({
          ruleId: 'android-debuggable',
          file,
          ...line,
          message: `<${edit.name}> sets android:debuggable="true" in the merged manifest`,
          key: `edit:debuggable:${edit.line ?? 0}`,
        });
      }
    }
    // Plist edits: the value is a <dict> of <key>/<true/> pairs, or the parent names the key.
    for (const dict of [edit, ...descendantsNamed(edit, 'dict')]) {
      const kids = dict.children;
      for (let i = 0; i < kids.length; i++) {
        const key = kids[i] as XmlElement;
        const value = kids[i + 1];
        if (key.name !== 'key' || value?.name !== 'true') continue;
        const off = ATS_OFF.find(([k]) => k === key.text.trim());
        if (off === undefined) continue;
        out.push({
          ruleId: 'ios-ats-arbitrary-loads',
          file,
          ...line,
          message: `<${edit.name}> sets ${off[0]} to true in Info.plist (${target.trim().slice(0, 80)}): ATS is off`,
          key: `edit:${off[0]}`,
          severity: off[1],
        });
      }
    }
  }
}

/** The properties `checkCapacitorConfig` reads (and the objects that hold them). */
const CHECKED_KEYS = [
  'server',
  'server.url',
  'server.cleartext',
  'android',
  'android.allowMixedContent',
  'android.webContentsDebuggingEnabled',
  'ios',
  'ios.webContentsDebuggingEnabled',
  'webContentsDebuggingEnabled',
];

/** A notice (low): part or all of a hybrid configuration could not be read statically. */
function notRead(file: string, why: string): RawFinding {
  return {
    ruleId: 'audit-unparsed-file',
    file,
    message: `Capacitor configuration only partly read: ${why}. Its JSON copy (capacitor.config.json, written by npx cap sync) is checked where it is scanned`,
    key: 'capacitor-ts',
    severity: 'low',
  };
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
    // capacitor.config.ts / .js: read statically, never run.
    matches: (_path, name) => /^capacitor\.config\.(?:ts|mts|cts|js|mjs|cjs)$/.test(name),
    async analyse(bytes, context) {
      const text = bytes.toString('utf8');
      const { readStaticObject } = await import('../lib/js-literal.js');
      let read: ReturnType<typeof readStaticObject>;
      try {
        read = readStaticObject(text);
      } catch (err) {
        read = undefined;
        context.unparsed(context.name, err);
      }
      if (read === undefined) {
        context.report(
          notRead(context.path, 'no exported object literal: the configuration is built in code'),
        );
        return undefined;
      }
      context.report(
        ...checkCapacitorConfig(read.value, context.path, await lineFinder(text, (k) => `${k}:`)),
      );
      const unread = read.dynamic.filter((p) => CHECKED_KEYS.some((k) => p === k || k.startsWith(`${p}.`)));
      if (unread.length > 0) {
        context.report(
          notRead(context.path, `${unread.slice(0, 4).join(', ')} not written as literals, so not checked`),
        );
      }
      return undefined;
    },
  },
  {
    matches: (path, name) =>
      name === 'config.xml' || (name.endsWith('.xml') && /(?:^|\/)res\/xml\/[^/]+\.xml$/.test(path)),
    async analyse(_bytes, context) {
      const decoded = await xmlOf(context);
      if (decoded === undefined) return undefined;
      if (decoded.root.name === 'widget') context.report(...checkCordovaConfig(decoded.root, context.path));
      return stringsToScan(decoded);
    },
  },
];
