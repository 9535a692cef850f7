/**
 * `auditPath`: scans a directory, a single file or a zip archive (APK, AAB, IPA) and returns the
 * findings. Each file is read once: configuration files (manifests, network security configs,
 * plists, Capacitor/Cordova configs) go to their checks, and every file that is not media goes
 * through the one-pass text scan; files above 32 MiB are streamed in chunks with an overlap so a
 * secret on a chunk boundary is still seen whole. A directory's large files are queued while the
 * directory is walked, then scanned by the main thread and, when there is enough of them, by
 * worker threads taking from the same queue. Archives inside the input (an APK in a build output,
 * an .aar in a project, a zip in a zip) are opened and their entries scanned as
 * `<archive>!/<entry>`, each archive with its own Android pin coverage, under one zip-bomb budget.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { basename, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { BulwarkError } from '@bulwark/core/errors';
import { type Baseline, partitionByBaseline } from './baseline.js';
import { AuditArchiveError, AuditPathNotFoundError, AuditUnreadableError } from './errors.js';
import { inContext, isDebugOnlyPath } from './lib/context.js';
import { type RawFinding, toFinding } from './lib/finding.js';
import { ScratchReader } from './lib/scratch-reader.js';
import type { TextFileInfo } from './lib/text-engine.js';
import { createTextEngine, scanTextBytes, scanTextChunk } from './lib/text-file.js';
import { scanTextStream } from './lib/text-stream.js';
import { workersFor } from './lib/worker-policy.js';
import { defaultWorkerUrl, ScanPool } from './lib/worker-pool.js';
import type { XmlElement } from './lib/xml-tree.js';
import type { SeenNsc } from './rules/android.js';
import { compareSeverity } from './severity.js';
import { type FileReader, walkDirectory } from './sources/directory.js';
import type { SourceEntry } from './sources/entry.js';
import type { ZipBudget, ZipLimits } from './sources/zip.js';
import type { AuditReport, AuditStats, Finding } from './types.js';

// The parsers (XML, plist, zip) load on first use: a web bundle needs none of them, and start-up
// time counts when the audit runs on every CI build.
const lazy = {
  axml: () => import('./lib/axml.js'),
  protoXml: () => import('./lib/proto-xml.js'),
  plist: () => import('./lib/plist.js'),
  xml: () => import('./lib/xml-text.js'),
  android: () => import('./rules/android.js'),
  hybrid: () => import('./rules/hybrid.js'),
  ios: () => import('./rules/ios.js'),
  keystore: () => import('./lib/keystore.js'),
  zip: () => import('./sources/zip.js'),
};

/** True when the first bytes are a zip local file header or an empty archive's end record. */
function looksLikeZip(head: Uint8Array): boolean {
  return (
    head[0] === 0x50 &&
    head[1] === 0x4b &&
    (head[2] === 3 || head[2] === 5) &&
    (head[3] === 4 || head[3] === 6)
  );
}

/**
 * Options of a scan; the clock and the file reader are injectable for tests.
 *
 * @example
 * ```ts
 * await auditPath('app.apk', { apiDomains: ['api.example.com'] });
 * ```
 */
export interface AuditOptions {
  /** API hosts that must have pins in the Android network security config. */
  apiDomains?: readonly string[];
  /** Accepted findings (see `bulwark audit --baseline`). */
  baseline?: Baseline;
  /** Clock for pin-set expiry. */
  now?: () => Date;
  /** Called after each file. */
  onProgress?: (progress: { files: number; bytes: number; totalBytes: number }) => void;
  /** Reads a whole file of a directory input. */
  readFile?: FileReader;
  /**
   * Archive limits: the zip-bomb guard, one budget for every archive of the scan (nested ones
   * included), and how deep and how large an archive inside the input may be to be opened.
   */
  zipLimits?: ZipLimits;
  /**
   * Worker threads for the text scan of a directory's large files, besides the main thread; 0 =
   * none. Default: one fewer than the cores (at most 3), none while the load average leaves no
   * core idle, started once the large files add up to 128 MiB (see `lib/worker-policy.ts`). When
   * set, that many start as soon as there is a large file.
   */
  workers?: number;
  /** One-minute load average, for the default number of workers (default: the system's). */
  loadAverage?: () => number;
  /**
   * Whether the main thread scans large files too while workers run (default true). False leaves
   * every large file to the workers and the event loop free, e.g. when the audit runs in a server.
   */
  scanOnMainThread?: boolean;
  /** Worker script (default: the built scan-worker.js next to this module). */
  workerUrl?: URL;
}

const STREAM_THRESHOLD = 32 * 1024 * 1024;

// Media and compressed formats we do not open are skipped; zip archives (group 1) are opened. One
// regex for both keeps the directory walk at one test a file.
const SKIPPED_OR_ARCHIVE =
  /\.(?:(zip|jar|aar|apk|apks|xapk|aab|ipa)|png|jpe?g|gif|webp|bmp|ico|icns|tiff?|heic|heif|avif|ttf|otf|woff2?|eot|mp3|mp4|m4a|m4v|aac|wav|ogg|oga|opus|webm|mov|avi|flac|gz|tgz|bz2|xz|7z|rar|car|pdf|psd)$/i;
// Gradle's wrapper: a build tool checked into Android projects, never part of the app.
const GRADLE_WRAPPER = /(?:^|\/)gradle\/wrapper\/gradle-wrapper\.jar$/;
const KEYSTORE = /\.(?:p12|pfx|jks|keystore|bks)$/i;
/** Largest key store read to tell a truststore from a key store. */
const KEYSTORE_READ_LIMIT = 1024 * 1024;
const CONFIG_TEXT = /(?:^|\/)\.env(?:\.[^/]*)?$|\.(?:properties|ya?ml|ini|cfg|conf|toml|env)$/i;
const DOTENV = /(?:^|\/)\.env(?:\.[^/]*)?$/;
const DOTENV_TEMPLATE = /\.(?:example|sample|template|dist|defaults?)$/i;

// Files that may need a configuration check (the rest only get the text scan).
const CONFIG_NAME =
  /(?:^|\/)(?:AndroidManifest\.xml|config\.xml|network_security_config\.xml|Info\.plist|embedded\.mobileprovision|capacitor\.config\.json|resources\.arsc)$|\.(?:entitlements|map)$|(?:^|\/)res\/xml\/[^/]+\.xml$/;

const engine = createTextEngine();
// Files smaller than this are scanned on the main thread: a worker round trip costs more.
const WORKER_MIN_BYTES = 256 * 1024;

/** A large file of a directory, waiting for the main thread or a worker. */
interface QueuedFile {
  entry: SourceEntry & { absolutePath: string };
  info: TextFileInfo;
}

/**
 * The input, or one archive inside it: what is known per app (kind, manifests, network security
 * configs for the pin coverage check). Entry paths of an archive inside the input start with
 * `prefix` (`dist/app.apk!/`).
 */
interface Scope {
  prefix: string;
  /** 0 for the input, 1 for an archive inside it, and so on. */
  depth: number;
  manifests: string[];
  nscs: SeenNsc[];
  flags: { apk: boolean; aab: boolean; ipa: boolean };
}

function newScope(prefix: string, depth: number): Scope {
  return { prefix, depth, manifests: [], nscs: [], flags: { apk: false, aab: false, ipa: false } };
}

/** Mutable state of one scan. */
interface ScanState {
  raws: RawFinding[];
  stats: AuditStats;
  now: Date;
  totalBytes: number;
  options: AuditOptions;
  /** The zip-bomb limits used so far by every archive of the scan (made with the first one). */
  budget?: ZipBudget;
  /** Large files not taken yet, oldest first. */
  queue: QueuedFile[];
  queuedBytes: number;
  /** undefined: not decided yet; null: no workers for this scan. */
  pool?: ScanPool | null;
  /** Worker jobs not awaited yet. */
  jobs: Promise<void>[];
  /** The first failure of a worker job, rethrown by the main thread. */
  failure?: unknown;
}

/**
 * Scans `path` and returns the report (findings sorted by severity, then file and line).
 *
 * @example
 * ```ts
 * const report = await auditPath('android/app/build/outputs/apk/release/app-release.apk');
 * for (const f of report.findings) console.log(f.severity, f.ruleId, f.file);
 * ```
 */
export async function auditPath(path: string, options: AuditOptions = {}): Promise<AuditReport> {
  const abs = resolve(path);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(abs);
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? err.code : undefined;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new AuditPathNotFoundError(path, { cause: err });
    throw new AuditUnreadableError(path, typeof code === 'string' ? code : 'I/O error', { cause: err });
  }
  const state: ScanState = {
    raws: [],
    stats: { files: 0, bytes: 0, skipped: 0 },
    now: (options.now ?? (() => new Date()))(),
    totalBytes: info.isFile() ? info.size : 0,
    options,
    queue: [],
    queuedBytes: 0,
    jobs: [],
  };
  const scope = newScope('', 0);
  const visit = (entry: SourceEntry) => analyseEntry(entry, state, scope);
  let kind: AuditReport['kind'];
  if (info.isDirectory()) {
    try {
      await walkDirectory(abs, visit, options.readFile);
      await drainQueue(state);
    } finally {
      await state.pool?.close();
    }
    kind = 'directory';
  } else if (info.isFile()) {
    if (looksLikeZip(await readHead(abs, path))) {
      const { walkZip } = await lazy.zip();
      await walkZip(abs, path, visit, await budgetOf(state));
      const { flags } = scope;
      kind = flags.aab ? 'aab' : flags.apk ? 'apk' : flags.ipa ? 'ipa' : 'zip';
    } else {
      const name = basename(abs);
      // An app archive given as the input that is not a zip: nothing of it can be checked.
      if (SKIPPED_OR_ARCHIVE.exec(name)?.[1] !== undefined)
        throw new AuditArchiveError(path, 'not a zip archive');
      const readFileImpl = options.readFile;
      await visit({
        path: name,
        size: info.size,
        read: async () => {
          try {
            return readFileImpl ? await readFileImpl(abs) : await readFile(abs);
          } catch (err) {
            throw new AuditUnreadableError(name, errCode(err), { cause: err });
          }
        },
        stream: async () => createReadStream(abs),
      });
      kind = 'file';
    }
  } else {
    throw new AuditUnreadableError(path, 'not a regular file or directory');
  }
  await checkScopePins(state, scope);
  const all = dedupe(state.raws).map(inContext).map(toFinding).sort(order);
  const { kept, suppressed } = options.baseline
    ? partitionByBaseline(all, options.baseline)
    : { kept: all, suppressed: 0 };
  return { kind, findings: kept, suppressed, stats: state.stats };
}

function errCode(err: unknown): string {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : 'I/O error';
}

async function readHead(abs: string, display: string): Promise<Uint8Array> {
  try {
    const handle = await open(abs, 'r');
    try {
      const buf = Buffer.alloc(4);
      await handle.read(buf, 0, 4, 0);
      return buf;
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new AuditUnreadableError(display, errCode(err), { cause: err });
  }
}

/** Code-unit order: the same on every machine whatever its locale, and no collator to load. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function order(a: Finding, b: Finding): number {
  return (
    compareSeverity(a.severity, b.severity) ||
    compareText(a.file, b.file) ||
    (a.line ?? 0) - (b.line ?? 0) ||
    compareText(a.ruleId, b.ruleId)
  );
}

function dedupe(raws: RawFinding[]): RawFinding[] {
  const seen = new Set<string>();
  return raws.filter((r) => {
    const id = `${r.ruleId}\u0000${r.file}\u0000${r.key}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function unparsed(state: ScanState, file: string, what: string, err: unknown): void {
  state.raws.push({
    ruleId: 'audit-unparsed-file',
    file,
    message: `${what} could not be parsed (${err instanceof Error ? err.message.slice(0, 120) : 'invalid'}); its checks did not run`,
    key: 'unparsed',
  });
}

async function lineFinder(
  text: string | undefined,
  quote: (key: string) => string,
): Promise<(key: string) => number | undefined> {
  if (text === undefined) return () => undefined;
  const { lineAt, lineStarts } = await lazy.xml();
  let starts: number[] | undefined;
  return (key) => {
    const at = text.indexOf(quote(key));
    if (at === -1) return undefined;
    starts ??= lineStarts(text);
    return lineAt(starts, at);
  };
}

/** Pin coverage of one app: the input, or an archive inside it, with its own manifests and configs. */
async function checkScopePins(state: ScanState, scope: Scope): Promise<void> {
  if (scope.manifests.length === 0) return;
  const { checkPinCoverage } = await lazy.android();
  // Release builds carry neither a debug source set's config nor its manifest: pins are looked
  // for in the others, and a missing pin is reported on the main config or manifest.
  const release = scope.nscs.filter((n) => !isDebugOnlyPath(n.file));
  const manifest = scope.manifests.find((m) => !isDebugOnlyPath(m)) ?? (scope.manifests[0] as string);
  state.raws.push(...checkPinCoverage(release, state.options.apiDomains ?? [], manifest));
}

async function budgetOf(state: ScanState): Promise<ZipBudget> {
  if (state.budget === undefined) {
    const { ZipBudget } = await lazy.zip();
    state.budget ??= new ZipBudget(state.options.zipLimits);
  }
  return state.budget;
}

async function analyseEntry(entry: SourceEntry, state: ScanState, scope: Scope): Promise<void> {
  const path = entry.path;
  const name = path.slice(path.lastIndexOf('/') + 1);
  state.stats.files++;
  // The kind of an archive is read from its own entry paths.
  const inner = scope.prefix === '' ? path : path.slice(scope.prefix.length);
  if (inner === 'AndroidManifest.xml') scope.flags.apk = true;
  if (inner === 'base/manifest/AndroidManifest.xml') scope.flags.aab = true;
  if (/^Payload\/[^/]+\.app\/Info\.plist$/.test(inner)) scope.flags.ipa = true;
  const skip = SKIPPED_OR_ARCHIVE.exec(name);
  if (skip !== null) {
    if (skip[1] !== undefined && !GRADLE_WRAPPER.test(path)) await scanNestedArchive(entry, state, scope);
    else state.stats.skipped++;
    progress(state, entry.size);
    return;
  }
  if (KEYSTORE.test(name)) {
    // A truststore (trusted certificates only) ships no key; key stores are small, so reading
    // one whole costs nothing. An unreadable or unknown one counts as a key store.
    const { keyStoreContents } = await lazy.keystore();
    const truststore =
      entry.size <= KEYSTORE_READ_LIMIT && keyStoreContents(await entry.read()) === 'certificates';
    if (truststore) {
      state.stats.skipped++;
      progress(state, entry.size);
      return;
    }
    state.raws.push({
      ruleId: 'secret-private-key',
      file: path,
      message: `key store ${name} shipped (PKCS#12 / Java key store: private keys, possibly the signing key)`,
      key: 'keystore',
      severity: 'high',
    });
    state.stats.skipped++;
    progress(state, entry.size);
    return;
  }
  const info: TextFileInfo = { path, config: CONFIG_TEXT.test(path) };
  if (DOTENV.test(path) && !DOTENV_TEMPLATE.test(name)) {
    state.raws.push({
      ruleId: 'secret-dotenv-file',
      file: path,
      message: `${name} shipped: environment files hold build-time secrets`,
      key: 'dotenv',
    });
  }
  if (entry.size > STREAM_THRESHOLD) {
    if (name.endsWith('.map')) sourceMapFinding(state, path);
    await scanStream(await openStream(entry), info, state);
    progress(state, entry.size);
    return;
  }
  if (entry.absolutePath !== undefined && entry.size >= WORKER_MIN_BYTES && !CONFIG_NAME.test(path)) {
    state.queue.push({ entry: { ...entry, absolutePath: entry.absolutePath }, info });
    state.queuedBytes += entry.size;
    startPool(state);
    feedPool(state);
    return;
  }
  const bytes = await entry.read();
  state.stats.bytes += bytes.length;
  const text = CONFIG_NAME.test(path) ? await analyseConfig(bytes, path, name, state, scope) : undefined;
  if (text !== undefined) {
    scanTextChunk(engine, text.text, 0, text.text.length, info, text.lines, 1, state.raws);
  } else {
    state.raws.push(...scanTextBytes(engine, bytes, info));
  }
  progress(state, entry.size);
}

/** A nested archive that was not scanned: said so, with what stopped it. */
function nestedNotScanned(state: ScanState, path: string, reason: string, severity: 'medium' | 'high'): void {
  state.raws.push({
    ruleId: 'audit-unparsed-file',
    file: path,
    message: `archive not scanned (${reason.slice(0, 160)}); its files were not checked`,
    key: 'unparsed',
    severity,
  });
}

/**
 * Opens an archive found inside the input and scans its entries as `<archive>!/<entry>`, with a
 * scope of its own (its kind, manifests and network security configs) and the scan's shared
 * zip-bomb budget. An archive of a directory is opened in place; one inside an archive is read
 * into memory, up to a size limit. A corrupt archive is reported, not fatal: the input itself was
 * readable. A broken zip-bomb limit and an unreadable file still stop the scan.
 */
async function scanNestedArchive(entry: SourceEntry, state: ScanState, scope: Scope): Promise<void> {
  const budget = await budgetOf(state);
  const { limits } = budget;
  const depth = scope.depth + 1;
  if (depth > limits.maxNestingDepth) {
    state.stats.skipped++;
    nestedNotScanned(state, entry.path, `nested deeper than ${limits.maxNestingDepth} archives`, 'medium');
    return;
  }
  let source: string | Buffer;
  let head: Uint8Array;
  if (entry.absolutePath !== undefined) {
    source = entry.absolutePath;
    head = await readHead(entry.absolutePath, entry.path);
  } else {
    if (entry.size > limits.maxNestedArchiveBytes) {
      state.stats.skipped++;
      nestedNotScanned(
        state,
        entry.path,
        `${entry.size} bytes, above the ${limits.maxNestedArchiveBytes}-byte limit for an archive inside an archive`,
        'medium',
      );
      return;
    }
    // A failure here is the outer archive's, and stops the scan like any unreadable entry.
    source = await entry.read();
    head = source;
  }
  if (!looksLikeZip(head)) {
    nestedNotScanned(state, entry.path, 'not a zip archive', 'high');
    return;
  }
  const { walkZip, ZipLimitError } = await lazy.zip();
  const inner = newScope(`${entry.path}!/`, depth);
  try {
    await walkZip(
      source,
      entry.path,
      (e) => analyseEntry({ ...e, path: inner.prefix + e.path }, state, inner),
      budget,
    );
  } catch (err) {
    // Corruption deeper down was reported where it was found, so an archive error here is this
    // archive's own; what it held before the damage was scanned and stays reported.
    if (!(err instanceof AuditArchiveError) || err instanceof ZipLimitError) throw err;
    const own = `${entry.path}: `;
    const reason = err.message.startsWith(own) ? err.message.slice(own.length) : err.message;
    nestedNotScanned(state, entry.path, reason.replace(/\.$/, ''), 'high');
  }
  await checkScopePins(state, inner);
}

/** Starts the workers once the queue is worth them (see AuditOptions.workers). */
function startPool(state: ScanState): void {
  if (state.pool !== undefined) return;
  const { options } = state;
  const url = options.workerUrl ?? defaultWorkerUrl();
  // An injected reader must see every read, so it keeps the scan on this thread.
  if (url === undefined || options.readFile !== undefined) {
    state.pool = null;
    return;
  }
  const size = workersFor({
    requested: options.workers,
    cores: availableParallelism(),
    load: (options.loadAverage ?? (() => loadavg()[0] ?? 0))(),
    queuedBytes: state.queuedBytes,
  });
  if (size === undefined) return;
  if (size === 0) {
    state.pool = null;
    return;
  }
  const pool = new ScanPool(size, url);
  pool.onRoom(() => feedPool(state));
  state.pool = pool;
}

/** Hands queued files to the workers while they have room (all of them without main-thread help). */
function feedPool(state: ScanState): void {
  const pool = state.pool;
  if (pool === undefined || pool === null) return;
  const all = state.options.scanOnMainThread === false;
  while (state.queue.length > 0 && (all || pool.room > 0)) {
    const { entry, info } = state.queue.shift() as QueuedFile;
    const job = pool.scan(entry.absolutePath, info).then(
      (r) => {
        state.raws.push(...r.raws);
        state.stats.bytes += r.bytes;
        progress(state, entry.size);
      },
      (err: Error & { code?: string }) => {
        // A read error comes back with its code; anything else is a worker that failed (a bug).
        state.failure ??=
          err.code === undefined ? err : new AuditUnreadableError(entry.path, err.code, { cause: err });
      },
    );
    state.jobs.push(job);
  }
}

/**
 * Scans the queued large files: the main thread takes the oldest one each time it is free, and
 * while it scans a file the next one is read into a second reused buffer by an I/O thread (unless
 * a reader was injected); workers are fed whenever the event loop turns, until none is left.
 */
async function drainQueue(state: ScanState): Promise<void> {
  startPool(state);
  const helps = !(state.pool && state.options.scanOnMainThread === false);
  const readers =
    state.options.readFile === undefined ? [new ScratchReader(), new ScratchReader()] : undefined;
  let turn = 0;
  const take = () => {
    feedPool(state);
    const next = helps ? state.queue.shift() : undefined;
    if (next === undefined) return undefined;
    const { entry } = next;
    let bytes: Promise<Buffer>;
    try {
      turn ^= 1;
      bytes =
        readers === undefined ? entry.read() : (readers[turn] as ScratchReader).readAhead(entry.absolutePath);
    } catch (err) {
      bytes = Promise.reject(err);
    }
    bytes.catch(() => undefined);
    return { ...next, bytes };
  };
  try {
    for (let current = take(); current !== undefined; ) {
      let bytes: Buffer;
      try {
        bytes = await current.bytes;
      } catch (err) {
        if (err instanceof BulwarkError) throw err;
        throw new AuditUnreadableError(current.entry.path, errCode(err), { cause: err });
      }
      if (state.failure !== undefined) throw state.failure;
      const following = take();
      state.stats.bytes += bytes.length;
      state.raws.push(...scanTextBytes(engine, bytes, current.info));
      progress(state, current.entry.size);
      current = following;
    }
  } finally {
    await Promise.all(state.jobs);
  }
  if (state.failure !== undefined) throw state.failure;
}

function progress(state: ScanState, size: number): void {
  if (state.options.onProgress === undefined) return;
  state.options.onProgress({
    files: state.stats.files,
    bytes: state.stats.bytes || size,
    totalBytes: state.totalBytes,
  });
}

async function openStream(entry: SourceEntry): Promise<Readable> {
  try {
    return await entry.stream();
  } catch (err) {
    if (err instanceof BulwarkError) throw err;
    throw new AuditUnreadableError(entry.path, errCode(err), { cause: err });
  }
}

function sourceMapFinding(state: ScanState, path: string): void {
  state.raws.push({
    ruleId: 'sourcemap-shipped',
    file: path,
    message: 'source map shipped: it maps the bundle back to the original sources',
    key: 'file',
  });
}

/** A decoded XML file; `strings` (binary forms only) are scanned instead of the raw bytes. */
interface DecodedXml {
  root: XmlElement;
  strings?: string[];
}

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
 * Decodes an XML file in whichever form it ships: binary AXML (an APK), text (a project) or
 * aapt2's protocol-buffer XML (an AAB). Throws the decoder's error when it is none of them.
 */
async function decodeXmlFile(bytes: Buffer): Promise<DecodedXml> {
  const { axmlStrings, decodeAxml, isAxml } = await lazy.axml();
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
    const { decodeProtoXml } = await lazy.protoXml();
    return decodeProtoXml(bytes);
  }
  const { parseXmlText } = await lazy.xml();
  try {
    return { root: parseXmlText(bytes.toString('utf8')) };
  } catch (err) {
    // A protocol-buffer document whose root element is 60 bytes long also starts with "\n<".
    if (bytes[0] !== 0x0a) throw err;
    const { decodeProtoXml } = await lazy.protoXml();
    try {
      return decodeProtoXml(bytes);
    } catch {
      throw err;
    }
  }
}

/**
 * Runs the configuration checks a file calls for. Returns the text to scan instead of the raw
 * bytes when the file is binary but holds strings (AXML, resources.arsc, binary plists).
 */
async function analyseConfig(
  bytes: Buffer,
  path: string,
  name: string,
  state: ScanState,
  scope: Scope,
): Promise<{ text: string; lines: boolean } | undefined> {
  if (
    name.endsWith('.map') &&
    /^\s*\{/.test(bytes.subarray(0, 64).toString('latin1')) &&
    bytes.includes('"mappings"')
  ) {
    sourceMapFinding(state, path);
    return undefined;
  }
  if (name === 'resources.arsc') {
    const { axmlStrings } = await lazy.axml();
    try {
      return { text: axmlStrings(bytes).join('\n'), lines: false };
    } catch {
      return undefined;
    }
  }
  const xmlLike =
    name === 'AndroidManifest.xml' ||
    name === 'config.xml' ||
    /(?:^|\/)res\/xml\/[^/]+\.xml$/.test(path) ||
    name === 'network_security_config.xml';
  if (xmlLike) {
    let decoded: DecodedXml;
    try {
      decoded = await decodeXmlFile(bytes);
    } catch (err) {
      unparsed(state, path, name, err);
      return undefined;
    }
    const { root } = decoded;
    if (root.name === 'manifest' && name === 'AndroidManifest.xml') {
      const { checkManifest, isSplitManifest } = await lazy.android();
      const split = isSplitManifest(root, path.slice(scope.prefix.length));
      // A split's manifest does not stand for the app in the pin coverage check.
      if (!split) scope.manifests.push(path);
      state.raws.push(...checkManifest(root, path, { split }));
    } else if (root.name === 'network-security-config') {
      const { checkNetworkSecurityConfig } = await lazy.android();
      scope.nscs.push({ file: path, root });
      state.raws.push(...checkNetworkSecurityConfig(root, path, state.now));
    } else if (root.name === 'widget') {
      const { checkCordovaConfig } = await lazy.hybrid();
      state.raws.push(...checkCordovaConfig(root, path));
    }
    return decoded.strings === undefined ? undefined : { text: decoded.strings.join('\n'), lines: false };
  }
  if (name === 'Info.plist' || name.endsWith('.entitlements') || name === 'embedded.mobileprovision') {
    const { extractEmbeddedPlist, isBinaryPlist, parsePlist } = await lazy.plist();
    const { checkEntitlements, checkInfoPlist } = await lazy.ios();
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
      unparsed(state, path, name, err);
      return undefined;
    }
    const lineOf = await lineFinder(
      name === 'embedded.mobileprovision' ? undefined : text,
      (k) => `<key>${k}</key>`,
    );
    if (name === 'Info.plist') state.raws.push(...checkInfoPlist(value, path, lineOf));
    else state.raws.push(...checkEntitlements(value, path, lineOf));
    return binary ? { text: JSON.stringify(value, null, 1), lines: false } : undefined;
  }
  if (name === 'capacitor.config.json') {
    const { checkCapacitorConfig } = await lazy.hybrid();
    const text = bytes.toString('utf8');
    try {
      state.raws.push(
        ...checkCapacitorConfig(JSON.parse(text), path, await lineFinder(text, (k) => `"${k}"`)),
      );
    } catch (err) {
      unparsed(state, path, name, err);
    }
    return undefined;
  }
  return undefined;
}

async function scanStream(stream: Readable, info: TextFileInfo, state: ScanState): Promise<void> {
  try {
    await scanTextStream(engine, stream, info, state.raws, (n) => {
      state.stats.bytes += n;
    });
  } catch (err) {
    if (err instanceof BulwarkError) throw err;
    throw new AuditUnreadableError(info.path, errCode(err), { cause: err });
  }
}
