/**
 * Android checks on a decoded AndroidManifest.xml and network security config (text or AXML).
 * Loopback-only cleartext exceptions and user CAs, and everything inside <debug-overrides> (which applies only
 * to debuggable builds) are not flagged.
 */
import { posix } from 'node:path';
import { isDebugOnlyPath, isSetAsidePlace, lowered, toMedium } from '../lib/context.js';
import type { RawFinding } from '../lib/finding.js';
import { stringsToScan } from '../lib/xml-file.js';
import { childrenNamed, descendantsNamed, isTrue, type XmlElement } from '../lib/xml-tree.js';
import type {
  AnalyserContext,
  AppCheck,
  AppScope,
  DecodedXml,
  FileAnalyser,
  SeenManifest,
  SeenNsc,
} from './analyser.js';
import { isDocumentationHost, isLoopbackOrEmulatorHost, isOnionHost } from './cleartext.js';

const COMPONENTS = ['activity', 'activity-alias', 'service', 'receiver', 'provider'] as const;

function at(element: XmlElement): { line?: number } {
  return element.line === undefined ? {} : { line: element.line };
}

function isLauncher(component: XmlElement): boolean {
  return childrenNamed(component, 'intent-filter').some(
    (f) =>
      childrenNamed(f, 'action').some((a) => a.attributes.name === 'android.intent.action.MAIN') &&
      childrenNamed(f, 'category').some((c) => c.attributes.name === 'android.intent.category.LAUNCHER'),
  );
}

/**
 * Checks a manifest: debuggable, allowBackup without rules, usesCleartextTraffic, testOnly and
 * components exported without a permission. The manifest of a split (a feature module of an app
 * bundle, a split APK) gets only the component check: its `<application>` attributes are not the
 * app's, which come from the base manifest (an absent allowBackup there is not a default of true).
 *
 * @example
 * ```ts
 * const raws = checkManifest(decodeAxml(bytes), 'AndroidManifest.xml');
 * const feature = checkManifest(tree, 'camera/manifest/AndroidManifest.xml', { split: true });
 * ```
 */
export function checkManifest(
  manifest: XmlElement,
  file: string,
  options: { split?: boolean } = {},
): RawFinding[] {
  const out: RawFinding[] = [];
  const app = childrenNamed(manifest, 'application')[0];
  if (app === undefined) return out;
  if (options.split !== true) checkApplication(app, file, out);
  checkComponents(app, file, out);
  return out;
}

/**
 * True for the manifest of a split: it names one (`<manifest split="…">`, as feature modules and
 * split APKs do), or it is a module other than `base` of an app bundle.
 *
 * @example
 * ```ts
 * isSplitManifest(tree, 'camera/manifest/AndroidManifest.xml'); // true
 * ```
 */
export function isSplitManifest(manifest: XmlElement, pathInArchive: string): boolean {
  if ((manifest.attributes.split ?? '') !== '') return true;
  const module = /^([^/]+)\/manifest\/AndroidManifest\.xml$/.exec(pathInArchive)?.[1];
  return module !== undefined && module !== 'base';
}

/**
 * Whether an `<application>` reads as an app's own rather than a library module's: it names the
 * app (`android:label`, `android:icon`, `android:roundIcon`, or its `Application` class) or holds
 * a launcher activity. A library's manifest (`<application />`, or one with only its components
 * and `supportsRtl`) is merged into the app's, where an attribute it leaves out is the app's to
 * set: its silence about backup decides nothing.
 */
function isAppManifest(app: XmlElement): boolean {
  const a = app.attributes;
  if (a.label !== undefined || a.icon !== undefined || a.roundIcon !== undefined || a.name !== undefined)
    return true;
  return [...childrenNamed(app, 'activity'), ...childrenNamed(app, 'activity-alias')].some((activity) =>
    childrenNamed(activity, 'intent-filter').some((filter) =>
      childrenNamed(filter, 'category').some((c) => c.attributes.name === 'android.intent.category.LAUNCHER'),
    ),
  );
}

function checkApplication(app: XmlElement, file: string, out: RawFinding[]): void {
  const where = { file, ...at(app) };
  if (isTrue(app, 'debuggable')) {
    out.push({
      ruleId: 'android-debuggable',
      ...where,
      message: 'android:debuggable="true" on <application>',
      key: 'app',
    });
  }
  if (isTrue(app, 'testOnly')) {
    out.push({
      ruleId: 'android-test-only',
      ...where,
      message: 'android:testOnly="true": a test build',
      key: 'app',
    });
  }
  if (isTrue(app, 'usesCleartextTraffic')) {
    out.push({
      ruleId: 'android-cleartext-traffic',
      ...where,
      message: 'android:usesCleartextTraffic="true" allows http:// to every host',
      key: 'app',
    });
  }
  const backup = app.attributes.allowBackup?.toLowerCase();
  const hasRules =
    app.attributes.fullBackupContent !== undefined || app.attributes.dataExtractionRules !== undefined;
  // A custom backupAgent, without fullBackupOnly, turns Auto Backup off: only what the agent
  // writes is backed up, so the app chose what leaves the device.
  const ownAgent =
    app.attributes.backupAgent !== undefined && app.attributes.fullBackupOnly?.toLowerCase() !== 'true';
  if (backup !== 'false' && !hasRules && !ownAgent) {
    const raw: RawFinding = {
      ruleId: 'android-allow-backup',
      ...where,
      message:
        backup === 'true'
          ? 'android:allowBackup="true" without fullBackupContent or dataExtractionRules'
          : 'allowBackup defaults to true and no backup rules exclude sensitive files',
      key: 'app',
    };
    out.push(
      backup === undefined && !isAppManifest(app)
        ? lowered(
            raw,
            "a library module's manifest (no label, icon, Application class or launcher activity): the app's own manifest decides backup",
          )
        : raw,
    );
  }
}

/** launchMode values (as written, or as AXML's enum integers) that start a task of their own. */
const NEW_TASK_MODES = new Set(['singletask', 'singleinstance', '2', '3']);

/**
 * Activities open to task hijacking (StrandHogg): a `singleTask`/`singleInstance` launch mode, or
 * `allowTaskReparenting`, without `taskAffinity=""` on the activity or the application, lets an
 * app that claims the same affinity put its own activity in the task.
 */
function checkTaskHijacking(app: XmlElement, file: string, out: RawFinding[]): void {
  const appAffinity = app.attributes.taskAffinity;
  for (const activity of childrenNamed(app, 'activity')) {
    const a = activity.attributes;
    const mode = a.launchMode?.toLowerCase() ?? '';
    const reparenting = isTrue(activity, 'allowTaskReparenting');
    if (!NEW_TASK_MODES.has(mode) && !reparenting) continue;
    if ((a.taskAffinity ?? appAffinity) === '') continue;
    const name = a.name ?? '(unnamed)';
    out.push({
      ruleId: 'android-task-hijacking',
      file,
      ...at(activity),
      message: `<activity ${name}> ${reparenting ? 'allows task reparenting' : `launchMode="${a.launchMode}"`} without taskAffinity="": another app can slip its activity into the task (StrandHogg)`,
      evidence: name,
      key: `task:${name}`,
    });
  }
}

function checkComponents(app: XmlElement, file: string, out: RawFinding[]): void {
  checkTaskHijacking(app, file, out);
  for (const provider of childrenNamed(app, 'provider')) {
    // A provider that is not exported grants only what the app hands out (FileProvider's way).
    if (provider.attributes.exported?.toLowerCase() !== 'true' || !isTrue(provider, 'grantUriPermissions')) {
      continue;
    }
    const name = provider.attributes.name ?? '(unnamed)';
    out.push({
      ruleId: 'android-grant-uri-permissions',
      file,
      ...at(provider),
      message: `exported <provider ${name}> with grantUriPermissions: a caller can pass access to its URIs on to other apps`,
      evidence: name,
      key: `grant:${name}`,
    });
  }
  for (const tag of COMPONENTS) {
    for (const component of childrenNamed(app, tag)) {
      const exported = component.attributes.exported?.toLowerCase();
      const implicit = exported === undefined && childrenNamed(component, 'intent-filter').length > 0;
      if (exported !== 'true' && !implicit) continue;
      const a = component.attributes;
      const guarded =
        a.permission !== undefined ||
        (tag === 'provider' && a.readPermission !== undefined && a.writePermission !== undefined);
      if (guarded || ((tag === 'activity' || tag === 'activity-alias') && isLauncher(component))) continue;
      const name = a.name ?? '(unnamed)';
      out.push({
        ruleId: 'android-exported-component',
        file,
        ...at(component),
        message: `<${tag} ${name}> is exported${implicit ? ' (implicitly, by its intent-filter)' : ''} without a permission`,
        evidence: name,
        key: `${tag}:${name}`,
      });
    }
  }
}

/** True when the manifest points at a network security config. */
export function manifestHasNetworkSecurityConfig(manifest: XmlElement): boolean {
  const app = childrenNamed(manifest, 'application')[0];
  return app?.attributes.networkSecurityConfig !== undefined;
}

function domainsOf(config: XmlElement): { name: string; includeSubdomains: boolean }[] {
  return childrenNamed(config, 'domain').map((d) => ({
    name: d.text.trim().toLowerCase(),
    includeSubdomains: isTrue(d, 'includeSubdomains'),
  }));
}

function parseExpiration(value: string | undefined): Date | undefined {
  if (value === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const date = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * A host that serves certificate status only: a `crl`/`ocsp` first label (`ocsp.sectigo.com`,
 * `crl3.digicert.com`), or a CA's status-only domain (Let's Encrypt's `lencr.org`, Google Trust
 * Services' `pki.goog`). Their answers are signed (RFC 5280, RFC 6960) and many certificates name
 * them as http URLs, so an app allows cleartext to them for revocation checks; nothing the app
 * sends travels there.
 */
function isRevocationHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return /^(?:crls?|ocsp)\d*\./.test(h) || /(?:^|\.)(?:lencr\.org|pki\.goog)$/.test(h);
}

/**
 * A `<domain>` that is a template's placeholder: a documentation domain (`api.example.com`), also
 * with a note to the integrator after it (`api.example.com(to be adjusted)`, which is no host name
 * and so matches no host at all).
 */
function isPlaceholderDomain(domain: string): boolean {
  const host = /^[a-z0-9.-]+/.exec(domain)?.[0];
  return host !== undefined && isDocumentationHost(host);
}

/** The domain-configs of a config, nested ones included, outside <debug-overrides>. */
function domainConfigs(root: XmlElement): XmlElement[] {
  return descendantsNamed(root, 'domain-config');
}

/**
 * Checks a network security config: cleartext permitted, user CAs trusted, expired pin-sets.
 *
 * @example
 * ```ts
 * const raws = checkNetworkSecurityConfig(tree, 'res/xml/network_security_config.xml', new Date());
 * ```
 */
export function checkNetworkSecurityConfig(root: XmlElement, file: string, now: Date): RawFinding[] {
  const out: RawFinding[] = [];
  const configs = [...childrenNamed(root, 'base-config'), ...domainConfigs(root)];
  for (const config of configs) {
    const domains = domainsOf(config);
    const label =
      config.name === 'base-config'
        ? 'base-config'
        : `domain-config ${domains.map((d) => d.name).join(', ')}`;
    // A domain-config for the device's own loopback (or the emulator's alias of the host's)
    // governs traffic that never leaves the machine: neither cleartext nor a user CA there exposes
    // anything on a network (an app's own local web server, whose certificate the user installs).
    const loopbackOnly = domains.length > 0 && domains.every((d) => isLoopbackOrEmulatorHost(d.name));
    // A domain-config of placeholders only (a store template's `api.example.com(to be adjusted)`)
    // governs no host of the app; medium, since the domain an integrator puts there inherits it.
    const placeholderOnly = domains.length > 0 && domains.every((d) => isPlaceholderDomain(d.name));
    const placeholderNote =
      ' (medium: its domains are placeholders reserved for documentation (example.com, .net, .org), so it covers no host of the app; check the domain put in their place)';
    if (isTrue(config, 'cleartextTrafficPermitted')) {
      if (!loopbackOnly) {
        const raw: RawFinding = {
          ruleId: 'android-nsc-cleartext',
          file,
          ...at(config),
          message: `${label} permits cleartext traffic`,
          key: `cleartext:${label}`,
        };
        const revocationOnly = domains.length > 0 && domains.every((d) => isRevocationHost(d.name));
        const onionOnly = domains.length > 0 && domains.every((d) => isOnionHost(d.name));
        out.push(
          revocationOnly
            ? lowered(raw, 'only certificate revocation hosts (CRL, OCSP), whose answers are signed')
            : onionOnly
              ? lowered(
                  raw,
                  'only Tor onion services (.onion), which Tor encrypts and authenticates end to end',
                )
              : placeholderOnly
                ? { ...raw, severity: 'medium', message: `${raw.message}${placeholderNote}` }
                : raw,
        );
      }
    }
    for (const anchors of childrenNamed(config, 'trust-anchors')) {
      for (const cert of childrenNamed(anchors, 'certificates')) {
        if (cert.attributes.src?.toLowerCase() === 'user' && !loopbackOnly) {
          out.push({
            ruleId: 'android-nsc-user-certs',
            file,
            ...at(cert),
            message: `${label} trusts user-installed CAs: any CA the user (or malware) installs can intercept TLS${placeholderOnly ? placeholderNote : ''}`,
            key: `user:${label}`,
            ...(placeholderOnly ? { severity: 'medium' as const } : {}),
          });
        }
      }
    }
    for (const pinSet of childrenNamed(config, 'pin-set')) {
      const expiration = parseExpiration(pinSet.attributes.expiration);
      if (expiration !== undefined && expiration.getTime() <= now.getTime()) {
        out.push({
          ruleId: 'android-nsc-expired-pins',
          file,
          ...at(pinSet),
          message: `pin-set of ${label} expired on ${pinSet.attributes.expiration}: pinning is off for it`,
          key: `expired:${label}`,
        });
      }
    }
  }
  return out;
}

function coversDomain(domain: { name: string; includeSubdomains: boolean }, host: string): number {
  if (domain.name === host) return 2;
  if (domain.includeSubdomains && host.endsWith(`.${domain.name}`)) return 1;
  return 0;
}

/**
 * Whether the API domains have pins. With no API domain given, whether any pin-set exists.
 * Returns findings to attach to `fallbackFile` (the manifest) when no config exists at all.
 *
 * @example
 * ```ts
 * checkPinCoverage(nscs, ['api.example.com'], 'AndroidManifest.xml');
 * ```
 */
export function checkPinCoverage(
  nscs: readonly SeenNsc[],
  apiDomains: readonly string[],
  fallbackFile: string,
): RawFinding[] {
  const file = nscs[0]?.file ?? fallbackFile;
  const pinned = (config: XmlElement, parents: Map<XmlElement, XmlElement>): boolean => {
    for (let c: XmlElement | undefined = config; c !== undefined; c = parents.get(c)) {
      if (childrenNamed(c, 'pin-set').some((p) => childrenNamed(p, 'pin').length > 0)) return true;
    }
    return false;
  };
  if (apiDomains.length === 0) {
    const any = nscs.some((n) => descendantsNamed(n.root, 'pin').length > 0);
    return any
      ? []
      : [
          {
            ruleId: 'android-nsc-no-pins',
            file,
            message: `no certificate pins at all${nscs.length === 0 ? ' (no network security config)' : ''}; pass --api-domain to check your API host`,
            key: 'none',
          },
        ];
  }
  const out: RawFinding[] = [];
  for (const host of apiDomains.map((d) => d.toLowerCase())) {
    let best: { config: XmlElement; score: number; parents: Map<XmlElement, XmlElement> } | undefined;
    for (const n of nscs) {
      const parents = new Map<XmlElement, XmlElement>();
      const walk = (el: XmlElement) => {
        for (const child of childrenNamed(el, 'domain-config')) {
          if (el.name === 'domain-config') parents.set(child, el);
          walk(child);
        }
      };
      walk(n.root);
      for (const config of domainConfigs(n.root)) {
        for (const d of domainsOf(config)) {
          const score = coversDomain(d, host);
          if (score > 0 && (best === undefined || score > best.score)) best = { config, score, parents };
        }
      }
    }
    if (best === undefined || !pinned(best.config, best.parents)) {
      out.push({
        ruleId: 'android-nsc-no-pins',
        file,
        ...(best === undefined ? {} : at(best.config)),
        message: `no pin-set covers the API domain ${host}`,
        evidence: host,
        key: host,
      });
    }
  }
  return out;
}

/** The decoded XML of the file, or undefined (reported as unparsed) when it is not XML. */
export async function xmlOf(context: AnalyserContext): Promise<DecodedXml | undefined> {
  try {
    return await context.xml();
  } catch (err) {
    context.unparsed(context.name, err);
    return undefined;
  }
}

function sdkLevel(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,3}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

function seenManifest(root: XmlElement, file: string): SeenManifest {
  const sdk = childrenNamed(root, 'uses-sdk')[0]?.attributes ?? {};
  const app = childrenNamed(root, 'application')[0];
  const seen: SeenManifest = {
    file,
    networkSecurityConfig: manifestHasNetworkSecurityConfig(root),
    appLike: app !== undefined && isAppManifest(app),
  };
  const refs = [
    app?.attributes.networkSecurityConfig,
    ...(app === undefined ? [] : childrenNamed(app, 'meta-data'))
      .filter((m) => m.attributes.name === 'io.flutter.network-policy')
      .map((m) => m.attributes.resource),
  ].filter((r): r is string => r !== undefined);
  if (refs.length > 0) seen.networkSecurityConfigRefs = refs;
  const target = sdkLevel(sdk.targetSdkVersion);
  const min = sdkLevel(sdk.minSdkVersion);
  if (target !== undefined) seen.targetSdk = target;
  if (min !== undefined) seen.minSdk = min;
  const cleartext = app?.attributes.usesCleartextTraffic;
  if (cleartext !== undefined) seen.usesCleartextTraffic = cleartext.trim().toLowerCase();
  const a = app?.attributes ?? {};
  const backup = a.allowBackup?.toLowerCase();
  const ownAgent = a.backupAgent !== undefined && a.fullBackupOnly?.toLowerCase() !== 'true';
  const rules = [a.fullBackupContent, a.dataExtractionRules]
    .filter((r): r is string => r !== undefined)
    .map((r) => r.replace(/^@(?:[\w.]+:)?xml\//, ''));
  if (app !== undefined && backup !== 'false' && !ownAgent && rules.length > 0)
    seen.backupRules = { names: rules, ...at(app), ...(backup === undefined ? {} : { allowBackup: backup }) };
  return seen;
}

/**
 * SDK levels of an app: those its release manifests state (an APK's merged manifest), else the
 * lowest of its Gradle build files (a project, whose manifests rarely carry `uses-sdk`).
 */
function sdkOf(app: AppScope, which: 'targetSdk' | 'minSdk'): { level: number; file: string } | undefined {
  const stated = [
    ...app.manifests.filter((m) => !isDebugOnlyPath(m.file)),
    ...app.gradleSdk.filter((g) => !isDebugOnlyPath(g.file)),
  ].filter((s) => s[which] !== undefined);
  const fromManifest = stated.filter((s) => 'networkSecurityConfig' in s);
  const pool = fromManifest.length > 0 ? fromManifest : stated;
  let best: { level: number; file: string } | undefined;
  for (const s of pool) {
    const level = s[which] as number;
    if (best === undefined || level < best.level) best = { level, file: s.file };
  }
  return best;
}

/**
 * Below targetSdkVersion 28, cleartext is allowed to every host unless the manifest sets
 * `usesCleartextTraffic="false"` or a network security config's base-config forbids it.
 */
const cleartextByDefault: AppCheck = (app) => {
  const release = app.manifests.filter((m) => !isDebugOnlyPath(m.file));
  if (release.length === 0) return [];
  const target = sdkOf(app, 'targetSdk');
  if (target === undefined || target.level >= 28) return [];
  // An explicit true is android-cleartext-traffic's finding; an explicit false closes it.
  if (release.some((m) => m.usesCleartextTraffic !== undefined)) return [];
  const forbidden = app.nscs.some(
    (n) =>
      !isDebugOnlyPath(n.file) &&
      childrenNamed(n.root, 'base-config').some(
        (b) => b.attributes.cleartextTrafficPermitted?.trim().toLowerCase() === 'false',
      ),
  );
  if (forbidden) return [];
  const manifest = release[0] as SeenManifest;
  return [
    {
      ruleId: 'android-cleartext-default',
      file: manifest.file,
      message: `targetSdkVersion ${target.level} (${target.file}) < 28: cleartext http:// is allowed to every host by default, and nothing turns it off`,
      key: 'default',
    },
  ];
};

/** Android below 7.0 (API 24) trusts user-installed CAs and ignores network security configs. */
const minSdk: AppCheck = (app) => {
  if (app.manifests.length === 0 && app.gradleSdk.length === 0) return [];
  const min = sdkOf(app, 'minSdk');
  if (min === undefined || min.level >= 24) return [];
  return [
    {
      ruleId: 'android-min-sdk',
      file: min.file,
      message: `minSdkVersion ${min.level} < 24: on these Android versions user-installed CAs are trusted by every app and network security configs are ignored, and they get no security updates`,
      key: 'min-sdk',
    },
  ];
};

/**
 * An APK signed with the v1 (JAR) scheme alone: no APK Signing Block before the central directory,
 * so Android 5.0 to 8.0 verify it by its JAR signature only, which does not cover the whole file
 * (the Janus attack, CVE-2017-13156, prepends a dex to a signed APK).
 */
const v1OnlySigned: AppCheck = (app) => {
  if (!app.flags.apk || app.v1Signature === undefined || app.signingBlock !== false) return [];
  return [
    {
      ruleId: 'android-v1-only-signed',
      file: app.v1Signature,
      message:
        'signed with the v1 (JAR) scheme only, without an APK Signature Scheme v2+ block: on Android 5.0 to 8.0 a modified APK can keep this signature (Janus, CVE-2017-13156)',
      key: 'v1-only',
    },
  ];
};

/** SDK levels stated in a Gradle build file (`targetSdkVersion 27`, `targetSdk = 34`, `minSdk 21`). */
function gradleSdk(text: string, file: string): AppScope['gradleSdk'][number] {
  const level = (name: string) => {
    const m = new RegExp(`\\b${name}(?:Version)?\\s*(?:=\\s*|\\(\\s*|\\s+)(\\d{1,3})\\b`).exec(text);
    return m === null ? undefined : Number(m[1]);
  };
  const out: AppScope['gradleSdk'][number] = { file };
  const target = level('targetSdk');
  const min = level('minSdk');
  if (target !== undefined) out.targetSdk = target;
  if (min !== undefined) out.minSdk = min;
  return out;
}

const RES_XML = /(?:^|\/)res\/xml\/[^/]+\.xml$/;

/**
 * Pin coverage of one app (the input, or an archive inside it). Release builds carry neither a
 * debug source set's config nor its manifest: pins are looked for in the others, and a missing
 * pin is reported on the main source set's config (else the first other) or the manifest.
 */
const pinCoverage: AppCheck = (app, { apiDomains }) => {
  if (app.manifests.length === 0) return [];
  // The main source set's config first, so that a missing pin is reported there and not on a
  // flavour's (`src/dev/`), which a place may lower.
  const main = (file: string) => (/(?:^|\/)src\/main\//.test(file) ? 0 : 1);
  const release = app.nscs
    .filter((n) => !isDebugOnlyPath(n.file))
    .sort((a, b) => main(a.file) - main(b.file));
  // Reported on the app's own manifest, not a library module's that the walk met first.
  const manifest = (
    app.manifests.find((m) => m.appLike && !isSetAsidePlace(m.file)) ??
    app.manifests.find((m) => !isDebugOnlyPath(m.file) && m.appLike) ??
    app.manifests.find((m) => !isDebugOnlyPath(m.file)) ??
    app.manifests[0]
  )?.file as string;
  return checkPinCoverage(release, apiDomains, manifest);
};

/**
 * The Android analysers: manifests (text, AXML or protocol-buffer XML) and network security
 * configs (any `res/xml` file whose root is `network-security-config`).
 */
export const ANDROID_ANALYSERS: readonly FileAnalyser[] = [
  {
    matches: (_path, name) => name === 'AndroidManifest.xml',
    async analyse(_bytes, context) {
      const decoded = await xmlOf(context);
      if (decoded === undefined) return undefined;
      const { root } = decoded;
      if (root.name === 'manifest') {
        const split = isSplitManifest(root, context.inner);
        // A split's manifest does not stand for the app in the app-wide checks.
        if (!split) context.app.manifests.push(seenManifest(root, context.path));
        const raws = checkManifest(root, context.path, { split });
        // Judged once the app's minSdk is known: the network security config it names may decide.
        const held = manifestHasNetworkSecurityConfig(root)
          ? raws.filter((r) => r.ruleId === 'android-cleartext-traffic')
          : [];
        context.app.cleartextBesideNsc.push(...held);
        context.report(...raws.filter((r) => !held.includes(r)));
      }
      return stringsToScan(decoded);
    },
  },
  {
    matches: (_path, name) => name === 'build.gradle' || name === 'build.gradle.kts',
    analyse(bytes, context) {
      const text = bytes.toString('utf8');
      context.app.gradleSdk.push(gradleSdk(text, context.path));
      context.app.debugSigningStores.push(...debugSigningStores(text, context.path));
      context.app.publishedSigningStores.push(...publishedSigningStores(text, context.path));
      return undefined;
    },
  },
  {
    // The v1 (JAR) signature block of an APK: its certificate names the signer.
    matches: (path) => /(?:^|\/)META-INF\/[^/]+\.(?:RSA|DSA|EC)$/.test(path),
    analyse(bytes, context) {
      context.app.v1Signature ??= context.path;
      // The debug keystore the Android tools generate signs as "CN=Android Debug,O=Android,C=US".
      if (bytes.includes('Android Debug')) {
        context.report({
          ruleId: 'android-debug-signed',
          file: context.path,
          message:
            'signed with the Android debug certificate (CN=Android Debug): a debug build, not a release',
          key: 'debug-cert',
        });
      }
      return undefined;
    },
  },
  {
    // The string pool of the resource table: string resources get the text scan.
    matches: (_path, name) => name === 'resources.arsc',
    async analyse(bytes) {
      const { axmlStrings } = await import('../lib/axml.js');
      try {
        return { text: axmlStrings(bytes).join('\n'), lines: false };
      } catch {
        return undefined;
      }
    },
  },
  {
    matches: (path, name) =>
      name === 'network_security_config.xml' || (name.endsWith('.xml') && RES_XML.test(path)),
    async analyse(_bytes, context) {
      const decoded = await xmlOf(context);
      if (decoded === undefined) return undefined;
      const { root } = decoded;
      if (root.name === 'network-security-config') {
        context.app.nscs.push({ file: context.path, root });
        const raws = checkNetworkSecurityConfig(root, context.path, context.now).map((raw) =>
          outsideResXml(raw),
        );
        // Judged once every manifest is read: a config no manifest names is never applied.
        if (GRADLE_RES_XML.test(context.path)) context.app.nscFindings.push(...raws);
        else context.report(...raws);
      } else if (root.name === 'paths') {
        context.report(...checkFileProviderPaths(root, context.path));
      } else if (root.name === 'full-backup-content' || root.name === 'data-extraction-rules') {
        context.app.backupRuleFiles.push({
          name: context.name.replace(/\.xml$/, ''),
          restricts: descendantsNamed(root, 'include').length + descendantsNamed(root, 'exclude').length > 0,
        });
      }
      return stringsToScan(decoded);
    },
  },
];

/**
 * FileProvider paths: `<root-path>` shares the whole file system (every path the app can read,
 * its databases and preferences included) with whoever gets a URI.
 *
 * @example
 * ```ts
 * checkFileProviderPaths(parseXmlText('<paths><root-path name="r" path="."/></paths>'), 'res/xml/paths.xml');
 * ```
 */
export function checkFileProviderPaths(root: XmlElement, file: string): RawFinding[] {
  return childrenNamed(root, 'root-path').map((el) => ({
    ruleId: 'android-fileprovider-root-path' as const,
    file,
    ...at(el),
    message: `FileProvider <root-path path="${el.attributes.path ?? ''}">: URIs of this provider can reach any file the app can read`,
    key: `root-path:${el.attributes.path ?? ''}`,
  }));
}

/** `storeFile file('…')` (Groovy) or `storeFile = file("…")` (Kotlin), with its path. */
const STORE_FILE =
  /\bstoreFile\s*=?\s*(rootProject\s*\.\s*)?file\(\s*(?:System\s*\.\s*getenv\(\s*["'][^"'\n]{1,80}["']\s*\)\s*\?:\s*)?["'](\$\{?(?:rootDir|rootProject\.rootDir|rootProject\.projectDir)\}?\/)?([^"'$\n]{1,200})["']\s*\)/g;

/**
 * The key stores a Gradle build file names as the store of its debug signing config
 * (`signingConfigs { debug { storeFile file('debug.jks') } }`, or `getByName("debug") { … }` in
 * Kotlin), resolved against the build file's folder (`rootProject.file(…)` against the root).
 * Such a store signs debug builds only; the name of its alias or file need not say so
 * (`testkey_untrusted.jks`, alias `repo`).
 *
 * @example
 * ```ts
 * debugSigningStores("signingConfigs { debug { storeFile file('keys/dev.jks') } }", 'app/build.gradle');
 * // ['app/keys/dev.jks']
 * ```
 */
export function debugSigningStores(text: string, file: string): string[] {
  if (!text.includes('signingConfigs')) return [];
  const out: string[] = [];
  for (const m of text.matchAll(STORE_FILE)) {
    const header = enclosingBlockHeader(text, m.index);
    if (!/(?:\bdebug|\(\s*["']debug["']\s*\))\s*$/.test(header)) continue;
    out.push(storePath(m, file));
  }
  return out;
}

/** The header of a debug signing config's block: `debug {` (Groovy) or `getByName("debug") {` (Kotlin). */
const DEBUG_SIGNING_BLOCK =
  /(?:\bdebug|\b(?:getByName|create|maybeCreate|named|register)\(\s*["']debug["']\s*\))\s*\{/g;

/**
 * The byte ranges of a Gradle build file that its debug signing configs span
 * (`signingConfigs { debug { storePassword "…" } }`, `getByName("debug") { … }` in Kotlin): the
 * passwords written there open a debug key store, which signs debug builds only and which projects
 * commit on purpose so that every checkout signs its debug builds alike (ivy-wallet's
 * `debug.jks`). A `debug { }` block outside `signingConfigs` (a build type) is not one.
 *
 * @example
 * ```ts
 * debugSigningRanges('signingConfigs {\n  debug {\n    storePassword "pw"\n  }\n}\n'); // [[24, 49]]
 * ```
 */
export function debugSigningRanges(text: string): [number, number][] {
  const out: [number, number][] = [];
  for (const m of text.matchAll(DEBUG_SIGNING_BLOCK)) {
    if (!/\bsigningConfigs\s*$/.test(enclosingBlockHeader(text, m.index))) continue;
    const open = m.index + m[0].length - 1;
    let close = open;
    for (let depth = 0; close < text.length; close++) {
      const c = text.charCodeAt(close);
      if (c === 123) depth++;
      else if (c === 125 && --depth === 0) break;
    }
    out.push([open, close]);
  }
  return out;
}

/**
 * `rootProject.file(…)` and `"${rootDir}/…"` are the root project's folder: the scanned tree's
 * root, as a checkout is; any other path is the build file's folder's.
 */
function storePath(m: RegExpMatchArray, file: string): string {
  const folder =
    m[1] !== undefined || m[2] !== undefined || !file.includes('/')
      ? ''
      : file.slice(0, file.lastIndexOf('/') + 1);
  return posix.normalize(`${folder}${m[3] as string}`);
}

/**
 * The key stores a Gradle build file names in a signing config whose store password is written
 * in the file (`storePassword "Test@123"`, not read from the environment or a properties file):
 * a store anyone with the repository can open, kept so that builds without the real key can be
 * signed (Anki-Android's `fallback-release-keystore.jks`, used when no `KEYSTOREPATH` is set).
 * A store whose password comes from CI is not among them.
 *
 * @example
 * ```ts
 * publishedSigningStores('signingConfigs { release { storeFile file("k.jks"); storePassword "pw" } }', 'app/build.gradle');
 * // ['app/k.jks']
 * ```
 */
export function publishedSigningStores(text: string, file: string): string[] {
  if (!text.includes('signingConfigs') || !text.includes('storePassword')) return [];
  const out: string[] = [];
  for (const m of text.matchAll(STORE_FILE)) {
    const block = enclosingBlock(text, m.index);
    // The password written in place, or as the fallback of an environment variable
    // (`System.getenv("KEYSTORE_PASSWORD") ?: "mifos1234"`, Kotlin's and Groovy's Elvis): either
    // way every checkout can open the store.
    if (
      /\bstorePassword\s*=?\s*(?:System\s*\.\s*getenv\(\s*["'][^"'\n]{1,80}["']\s*\)\s*\?:\s*)?["'][^"'$\n]{1,200}["']/.test(
        block,
      )
    )
      out.push(storePath(m, file));
  }
  return out;
}

/** The text of the block around `at`, between its `{` and its `}` (at most 4000 characters each way). */
function enclosingBlock(text: string, at: number): string {
  let open = -1;
  for (let i = at - 1, depth = 0, n = 0; i >= 0 && n < 4000; i--, n++) {
    const c = text.charCodeAt(i);
    if (c === 125) depth++;
    else if (c === 123) {
      if (depth === 0) {
        open = i;
        break;
      }
      depth--;
    }
  }
  let close = Math.min(text.length, at + 4000);
  for (let i = at, depth = 0; i < close; i++) {
    const c = text.charCodeAt(i);
    if (c === 123) depth++;
    else if (c === 125) {
      if (depth === 0) {
        close = i;
        break;
      }
      depth--;
    }
  }
  return text.slice(open + 1, close);
}

/** The text before the `{` that opens the block around `at` (at most 80 characters), or ''. */
function enclosingBlockHeader(text: string, at: number): string {
  let depth = 0;
  for (let i = at - 1, n = 0; i >= 0 && n < 4000; i--, n++) {
    const c = text.charCodeAt(i);
    if (c === 125) depth++;
    else if (c === 123) {
      if (depth === 0) return text.slice(Math.max(0, i - 80), i);
      depth--;
    }
  }
  return '';
}

/**
 * Backup on under rules that include and exclude nothing: Android Studio's project template writes
 * `backup_rules.xml` and `data_extraction_rules.xml` with their `<include>`/`<exclude>` in
 * comments, so every file of the app is backed up as if there were no rules. Reported when every
 * rules file the manifest names was read and none includes or excludes anything.
 */
const emptyBackupRules: AppCheck = (app) =>
  app.manifests.flatMap((m) => {
    const rules = m.backupRules;
    if (rules === undefined || isDebugOnlyPath(m.file)) return [];
    const files = rules.names.map((n) => app.backupRuleFiles.filter((f) => f.name === n));
    if (files.some((f) => f.length === 0) || files.flat().some((f) => f.restricts)) return [];
    return [
      {
        ruleId: 'android-allow-backup' as const,
        file: m.file,
        ...(rules.line === undefined ? {} : { line: rules.line }),
        message: `${rules.allowBackup === 'true' ? 'android:allowBackup="true"' : 'allowBackup defaults to true'} with backup rules (${rules.names.join(', ')}) that include and exclude nothing, as Android Studio's template writes them: every file is backed up`,
        key: 'app',
      },
    ];
  });

/** Checks of a whole Android app. */
/**
 * A config in a source tree's `res/` but not directly in a `res/xml/` folder (or a qualified one,
 * `res/xml-v24/`): `res/values/xml/network_security_config.xml`, a copy that the resource compiler
 * never packages (it reads one level below `res/`). A high finding there is medium, with that
 * reason. Inside an archive, where shrinking may rename resources (`res/a1.xml`), nothing changes.
 */
function outsideResXml(raw: RawFinding): RawFinding {
  const { file } = raw;
  if (file.includes('!/') || !/(?:^|\/)res\//.test(file) || /(?:^|\/)res\/xml(?:-[^/]+)?\/[^/]+$/.test(file))
    return raw;
  return toMedium(raw, 'not directly in a res/xml/ folder, so the build does not package this copy');
}

/** A resource of a Gradle source set in a source tree (`app/src/main/res/xml/…`), not an archive's. */
const GRADLE_RES_XML = /^(?:(?!!\/).)*(?:^|\/)src\/[A-Za-z0-9]+\/res\/xml\/[^/]+\.xml$/;

/**
 * The findings of the network security configs of a source tree, reported once every manifest is
 * read. Android applies only the config the manifest names (`android:networkSecurityConfig=
 * "@xml/…"`; Flutter's HTTP stack the one its `io.flutter.network-policy` meta-data names): a high finding of a config that no manifest of its own module names, in a module
 * with an app's manifest (a library's config counts when any app's manifest names it), is medium,
 * with that reason (a copy kept in a `legacy/` app, a file left after the attribute was removed).
 * When no manifest reads as an app's, or one names its config through a placeholder (`${nsc}`),
 * nothing can be told and every finding keeps its verdict.
 *
 * @example
 * ```ts
 * const raws = nscFindingsOfApp(app, { apiDomains: [] });
 * ```
 */
export const nscFindingsOfApp: AppCheck = (app) => {
  // A debug build's manifest does not say what a release applies.
  const manifests = app.manifests.filter((m) => !m.file.includes('!/') && !isDebugOnlyPath(m.file));
  if (!manifests.some((m) => m.appLike)) return app.nscFindings;
  const named = manifests.flatMap((m) =>
    (m.networkSecurityConfigRefs ?? [undefined]).map((ref) => ({
      module: gradleModuleOf(m.file),
      appLike: m.appLike,
      name: ref === undefined ? undefined : (/^@xml\/([A-Za-z0-9_]+)$/.exec(ref.trim())?.[1] ?? null),
    })),
  );
  // A config named through a placeholder: which file it is cannot be told.
  if (named.some((m) => m.name === null)) return app.nscFindings;
  return app.nscFindings.map((raw) => {
    const name = raw.file.slice(raw.file.lastIndexOf('/') + 1).replace(/\.xml$/, '');
    const module = gradleModuleOf(raw.file);
    const own = named.filter((m) => m.module === module);
    // Named by its own module's manifest, or a library's config named by an app's manifest.
    if (own.some((m) => m.name === name)) return raw;
    if (!own.some((m) => m.appLike) && named.some((m) => m.name === name)) return raw;
    return toMedium(
      raw,
      `no AndroidManifest.xml that merges this module's resources names @xml/${name} as its networkSecurityConfig, so Android does not apply it`,
    );
  });
};

/** The Gradle module of a path in one of its source sets (`legacy/android/app/` for `legacy/android/app/src/main/…`). */
function gradleModuleOf(path: string): string {
  const at = path.lastIndexOf('src/');
  return at < 0 ? path.slice(0, path.lastIndexOf('/') + 1) : path.slice(0, at);
}

/**
 * `usesCleartextTraffic="true"` in a manifest that also names a network security config, reported
 * once the app's minSdk is known. From Android 7.0 (API 24) the config decides and the attribute is
 * ignored: with a stated minSdk of 24 or more it is lowered, with that reason (the config's own
 * findings say what it allows); below 24, or with no minSdk stated, it stands.
 *
 * @example
 * ```ts
 * const raws = cleartextBesideNsc(app, { apiDomains: [] });
 * ```
 */
export const cleartextBesideNsc: AppCheck = (app) => {
  const min = sdkOf(app, 'minSdk');
  if (min === undefined || min.level < 24) return app.cleartextBesideNsc;
  return app.cleartextBesideNsc.map((raw) =>
    lowered(
      raw,
      `ignored from Android 7.0 (API 24) when the manifest names a network security config, and minSdk is ${min.level}: the config decides, and its findings are reported`,
    ),
  );
};

export const ANDROID_APP_CHECKS: readonly AppCheck[] = [
  nscFindingsOfApp,
  cleartextBesideNsc,
  emptyBackupRules,
  pinCoverage,
  cleartextByDefault,
  minSdk,
  v1OnlySigned,
];
