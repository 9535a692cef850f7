/**
 * iOS checks on a parsed Info.plist (App Transport Security) and on entitlements (from a
 * .entitlements file or the plist embedded in embedded.mobileprovision).
 */
import { toMedium } from '../lib/context.js';
import type { RawFinding } from '../lib/finding.js';
import { lineFinder } from '../lib/xml-file.js';
import type { AppCheck, FileAnalyser } from './analyser.js';
import { isLoopbackOrEmulatorHost } from './cleartext.js';

type Dict = Record<string, unknown>;

function dict(value: unknown): Dict | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
    ? (value as Dict)
    : undefined;
}

/**
 * Checks NSAppTransportSecurity: arbitrary loads and per-domain exceptions.
 *
 * @example
 * ```ts
 * const raws = checkInfoPlist(parsedPlist, 'Payload/App.app/Info.plist', lineOf);
 * ```
 */
export function checkInfoPlist(
  plist: unknown,
  file: string,
  lineOf: (key: string) => number | undefined,
): RawFinding[] {
  const out: RawFinding[] = [];
  const ats = dict(dict(plist)?.NSAppTransportSecurity);
  if (ats === undefined) return out;
  const line = (key: string) => {
    const l = lineOf(key);
    return l === undefined ? {} : { line: l };
  };
  for (const [key, severity] of [
    ['NSAllowsArbitraryLoads', 'high'],
    ['NSAllowsArbitraryLoadsInWebContent', 'high'],
    ['NSAllowsArbitraryLoadsForMedia', 'medium'],
  ] as const) {
    if (ats[key] === true) {
      out.push({
        ruleId: 'ios-ats-arbitrary-loads',
        file,
        ...line(key),
        message: `${key} is true: ATS is off${key === 'NSAllowsArbitraryLoads' ? '' : ` for ${key.slice(22) || 'content'}`}`,
        key,
        severity,
      });
    }
  }
  const exceptions = dict(ats.NSExceptionDomains) ?? {};
  for (const [domain, raw] of Object.entries(exceptions)) {
    const d = dict(raw);
    if (d === undefined || isLoopbackOrEmulatorHost(domain)) continue;
    const insecure =
      d.NSExceptionAllowsInsecureHTTPLoads === true ||
      d.NSTemporaryExceptionAllowsInsecureHTTPLoads === true ||
      d.NSThirdPartyExceptionAllowsInsecureHTTPLoads === true;
    const tls = [
      d.NSExceptionMinimumTLSVersion,
      d.NSTemporaryExceptionMinimumTLSVersion,
      d.NSThirdPartyExceptionMinimumTLSVersion,
    ].find((v) => typeof v === 'string' && /TLSv1\.[01]$/.test(v));
    const noForwardSecrecy =
      d.NSExceptionRequiresForwardSecrecy === false ||
      d.NSThirdPartyExceptionRequiresForwardSecrecy === false;
    if (insecure) {
      out.push({
        ruleId: 'ios-ats-exception',
        file,
        ...line(domain),
        message: `${domain}: cleartext HTTP allowed`,
        evidence: domain,
        key: `http:${domain}`,
      });
    }
    if (tls !== undefined) {
      out.push({
        ruleId: 'ios-ats-exception',
        file,
        ...line(domain),
        message: `${domain}: accepts ${String(tls)}`,
        evidence: domain,
        key: `tls:${domain}`,
      });
    }
    if (noForwardSecrecy) {
      out.push({
        ruleId: 'ios-ats-exception',
        file,
        ...line(domain),
        message: `${domain}: forward secrecy not required`,
        evidence: domain,
        key: `pfs:${domain}`,
        severity: 'low',
      });
    }
  }
  return out;
}

/**
 * Checks entitlements for get-task-allow (a development signature: debuggers may attach).
 *
 * @example
 * ```ts
 * checkEntitlements({ 'get-task-allow': true }, 'App.entitlements', () => 3);
 * ```
 */
export function checkEntitlements(
  entitlements: unknown,
  file: string,
  lineOf: (key: string) => number | undefined,
): RawFinding[] {
  const d = dict(entitlements);
  const inner = dict(d?.Entitlements) ?? d;
  if (inner?.['get-task-allow'] !== true) return [];
  const l = lineOf('get-task-allow');
  return [
    {
      ruleId: 'ios-debug-entitlement',
      file,
      ...(l === undefined ? {} : { line: l }),
      message: 'get-task-allow is true: the app is signed for development and debuggers can attach',
      key: 'get-task-allow',
    },
  ];
}

/**
 * An app's or extension's Info.plist: `Info.plist`, or `<Target>-Info.plist` as Xcode named them
 * until Xcode 5 and many projects still do (`iGoat-Info.plist`, `openHAB-Info.plist`); the
 * target's `INFOPLIST_FILE` says which, and the name is all a scan of files can see. Firebase's
 * `GoogleService-Info.plist` is a configuration of the SDK, not an Info.plist.
 */
function isInfoPlist(name: string): boolean {
  return name === 'Info.plist' || (name.endsWith('-Info.plist') && name !== 'GoogleService-Info.plist');
}

/**
 * The Info.plist of a target named for development, debugging or a test environment, as Xcode
 * names a second target's (`AppDev-Info.plist`, `App-Staging-Info.plist`, `Debug-Info.plist`,
 * `LoadTesting-Info.plist`):
 * the target a developer runs against a local or staging backend, beside the release target that
 * reads another Info.plist. The word ends the target's name, capitalised after a lowercase letter
 * (`CozyDev`) or after a separator in any case (`app-dev`), so `Device-Info.plist` is not one.
 */
const DEVELOPMENT_TARGET_PLIST =
  /(?:(?:^|[-_. ])(?:[Dd]ev|DEV|[Dd]evel(?:op(?:ment)?)?|[Dd]ebug|DEBUG|[Ss]tag(?:e|ing)|STAGING|[Qq][Aa]|[Uu][Aa][Tt]|[Ss]andbox|[Tt]esting|TESTING)|[a-z0-9](?:Dev|Devel(?:op(?:ment)?)?|Debug|Stag(?:e|ing)|QA|UAT|Sandbox|Testing))-Info\.plist$/;

/**
 * A high finding of a development target's Info.plist is medium, with the reason: such a target
 * may turn ATS off to reach a developer's server, and ships only if it is the one archived for
 * the store, which its name says it is not.
 */
function ofTarget(raw: RawFinding, name: string): RawFinding {
  if (raw.severity !== 'high' || !DEVELOPMENT_TARGET_PLIST.test(name)) return raw;
  return {
    ...raw,
    severity: 'medium',
    message: `${raw.message} (medium: the Info.plist of a target named for development or testing, ${name}; the release target reads another, check that one)`,
  };
}

/**
 * An entitlements file: Xcode's `App.entitlements`, and `Entitlements.plist` as Xamarin and .NET
 * MAUI name theirs (`Platforms/iOS/Entitlements.plist`) and as `codesign -d --entitlements` dumps
 * a signed app's (`entitlements.plist`, `macos-entitlements.plist`).
 */
function isEntitlements(name: string): boolean {
  return name.endsWith('.entitlements') || /(?:^|[-_.])entitlements\.plist$/i.test(name);
}

/**
 * The iOS analyser: Info.plist (App Transport Security), entitlements files and the entitlements
 * in the plist of `embedded.mobileprovision` (get-task-allow). A binary plist's values are
 * given to the text scan as JSON.
 */
export const IOS_ANALYSERS: readonly FileAnalyser[] = [
  {
    matches: (_path, name) =>
      isInfoPlist(name) || isEntitlements(name) || name === 'embedded.mobileprovision',
    async analyse(bytes, context) {
      const { name, path } = context;
      const { extractEmbeddedPlist, isBinaryPlist, parsePlist } = await import('../lib/plist.js');
      const binary = isBinaryPlist(bytes);
      let text: string | undefined;
      let value: unknown;
      try {
        if (name === 'embedded.mobileprovision') {
          text = extractEmbeddedPlist(bytes);
          if (text === undefined) throw new Error('no plist inside the profile');
          value = parsePlist(Buffer.from(text, 'utf8'));
        } else {
          text = binary ? undefined : bytes.toString('utf8');
          value = parsePlist(bytes);
        }
      } catch (err) {
        context.unparsed(name, err);
        return undefined;
      }
      const lineOf = await lineFinder(
        name === 'embedded.mobileprovision' ? undefined : text,
        (k) => `<key>${k}</key>`,
      );
      // Judged once the whole app is read: an Xcode project may name another copy as the one read.
      if (isInfoPlist(name))
        context.app.infoPlistFindings.push(
          ...checkInfoPlist(value, path, lineOf).map((raw) => ofTarget(raw, name)),
        );
      else context.report(...checkEntitlements(value, path, lineOf));
      return binary ? { text: JSON.stringify(value, null, 1), lines: false } : undefined;
    },
  },
];

/**
 * A target's `INFOPLIST_FILE` in a `project.pbxproj` (also per SDK: `"INFOPLIST_FILE[sdk=*]"`),
 * quoted or not: group 2 is the path, relative to the project's folder.
 */
const INFOPLIST_SETTING = /"?INFOPLIST_FILE(?:\[[^\]\n]*\])?"?\s*=\s*("?)([^";\n]+)\1\s*;/g;

/** The same path with `.` and `..` segments resolved (`a/./b/../c` → `a/c`). */
function normalisedPath(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

/**
 * The Xcode projects of an app: the Info.plists that `project.pbxproj` names as its targets'
 * (literal paths, or under `$(SRCROOT)` and `$(PROJECT_DIR)`; a path built from other settings is
 * left out), recorded in the app's scope for {@link infoPlistsOfApp}.
 */
export const XCODE_PROJECT_ANALYSERS: readonly FileAnalyser[] = [
  {
    matches: (path, name) => name === 'project.pbxproj' && /\.xcodeproj\/project\.pbxproj$/.test(path),
    analyse(bytes, context) {
      const { path } = context;
      const project = path.slice(0, path.lastIndexOf('/'));
      const root = project.slice(0, project.lastIndexOf('/') + 1);
      const files = new Set<string>();
      for (const m of bytes.toString('utf8').matchAll(INFOPLIST_SETTING)) {
        const value = (m[2] as string).trim().replace(/^\$[({](?:SRCROOT|PROJECT_DIR)[)}]\//, '');
        if (value.includes('$') || value.startsWith('/')) continue;
        files.add(root + normalisedPath(value));
      }
      context.app.xcodeInfoPlists.push({
        project: project.slice(project.lastIndexOf('/') + 1),
        root,
        files: [...files],
      });
      return undefined;
    },
  },
];

/**
 * The findings of an app's Info.plists, reported once all its files are read. A high one is
 * medium, with the reason, when the plist is a copy that no target reads: an Xcode project whose
 * folder holds it names, as a target's `INFOPLIST_FILE`, a plist of the same file name at another
 * path (`Base.lproj/App-Info.plist` read, a stale `sv-SE.lproj/App-Info.plist` beside it). A plist
 * no project names, where no project names one of its file name (a project generated by a tool,
 * a setting in an `.xcconfig`), keeps its verdict.
 *
 * @example
 * ```ts
 * const raws = infoPlistsOfApp(app, { apiDomains: [] });
 * ```
 */
export const infoPlistsOfApp: AppCheck = (app) =>
  app.infoPlistFindings.map((raw) => {
    const name = raw.file.slice(raw.file.lastIndexOf('/') + 1);
    const projects = app.xcodeInfoPlists.filter((p) => raw.file.startsWith(p.root));
    if (projects.some((p) => p.files.includes(raw.file))) return raw;
    const read = projects.flatMap((p) =>
      p.files.filter((f) => f.slice(f.lastIndexOf('/') + 1) === name).map((f) => ({ project: p.project, f })),
    )[0];
    if (read === undefined) return raw;
    return toMedium(
      raw,
      `a copy no target reads; the targets of ${read.project} read other files of this name, such as ${read.f.slice(read.f.lastIndexOf('/', read.f.lastIndexOf('/') - 1) + 1)}`,
    );
  });

/** Checks of a whole app for the files of this module. */
export const IOS_APP_CHECKS: readonly AppCheck[] = [infoPlistsOfApp];
