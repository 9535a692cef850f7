/**
 * `auditPath`: scans a directory, a single file or a zip archive (APK, AAB, IPA) and returns the
 * findings. Each file is read once: it goes to the analysers of the rule table (`rules/registry.ts`)
 * that take it by its path or its first bytes (manifests, plists, hybrid configs, key stores…), and
 * every file that is not media goes through the one-pass text scan; files above 32 MiB are streamed in chunks with an overlap so a
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
import type { Baseline } from './baseline.js';
import { AuditArchiveError, AuditPathNotFoundError, AuditUnreadableError } from './errors.js';
import {
  composeFolderOf,
  inAppContext,
  inContext,
  inDevelopmentKeyPlaces,
  inServerStacks,
  productionModuleOf,
} from './lib/context.js';
import { type RawFinding, toFinding } from './lib/finding.js';
import { ScratchReader } from './lib/scratch-reader.js';
import type { TextFileInfo } from './lib/text-engine.js';
import { createTextEngine, scanTextBytes, scanTextChunk } from './lib/text-file.js';
import { workersFor } from './lib/worker-policy.js';
import type { ScanPool } from './lib/worker-pool.js';
import { decodeXmlFile } from './lib/xml-file.js';
import {
  type AnalyserContext,
  type Analysis,
  type AppScope,
  type DecodedXml,
  type FileAnalyser,
  newAppScope,
} from './rules/analyser.js';
import { inEncryptedRealm } from './rules/code.js';
import { APP_CHECKS, analysersFor, analysersSniffing } from './rules/registry.js';
import { compareSeverity } from './severity.js';
import { type FileReader, walkDirectory } from './sources/directory.js';
import type { SourceEntry } from './sources/entry.js';
import type { ZipBudget, ZipLimits } from './sources/zip.js';
import type { AuditReport, AuditStats, Finding } from './types.js';

// The zip reader loads on first use, as the analysers' parsers do: a web bundle needs none of
// them, and start-up time counts when the audit runs on every CI build. So do the worker pool
// (most scans start none), the streamed scan (files over 32 MiB) and the baseline (most runs
// have none): each module is about a millisecond of CPU time to load.
const lazy = {
  zip: () => import('./sources/zip.js'),
  pool: () => import('./lib/worker-pool.js'),
  stream: () => import('./lib/text-stream.js'),
  baseline: () => import('./baseline.js'),
};

/** How many leading bytes of a file named as an archive are read to tell text from binary. */
const TEXT_PROBE = 512;

/** A Git LFS pointer file: what a checkout without LFS holds in place of a large binary. */
const LFS_POINTER = /^version https:\/\/git-lfs\.github\.com\/spec\//;

/**
 * Bytes that are text: not empty, no NUL and no control byte but tab, line feed, carriage
 * return and form feed (UTF-8 beyond ASCII passes). Every archive format starts with binary
 * magic or a header holding NUL or control bytes within its first bytes.
 */
function isPlainText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  for (const b of bytes)
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) || b === 0x7f) return false;
  return true;
}

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
const CONFIG_TEXT = /(?:^|\/)\.env(?:\.[^/]*)?$|\.(?:properties|ya?ml|ini|cfg|conf|toml|env)$/i;

const engine = createTextEngine();
// Files smaller than this are scanned on the main thread: a worker round trip costs more.
const WORKER_MIN_BYTES = 256 * 1024;

/** A large file of a directory, waiting for the main thread or a worker. */
interface QueuedFile {
  entry: SourceEntry & { absolutePath: string };
  info: TextFileInfo;
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
  /** Gradle modules with a production flavour's source set (`app/src/prod/`), for `inAppContext`. */
  productionModules: Set<string>;
  /** Folders other than the root that hold a Docker Compose file, for `inServerStacks`. */
  composeFolders: Set<string>;
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
    productionModules: new Set(),
    composeFolders: new Set(),
  };
  const scope = newAppScope('', 0);
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
      const { walkZip, hasApkSigningBlock } = await lazy.zip();
      await walkZip(abs, path, visit, await budgetOf(state));
      if (scope.flags.apk) scope.signingBlock = await hasApkSigningBlock(abs);
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
  checkApp(state, scope);
  const all = inDevelopmentKeyPlaces(
    inServerStacks(
      inAppContext(dedupe(inEncryptedRealm(state.raws, scope)), state.productionModules),
      state.composeFolders,
    ),
  )
    .map(inContext)
    .map(toFinding)
    .sort(order);
  const { kept, suppressed } = options.baseline
    ? (await lazy.baseline()).partitionByBaseline(all, options.baseline)
    : { kept: all, suppressed: 0 };
  return { kind, findings: kept, suppressed, stats: state.stats };
}

function errCode(err: unknown): string {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : 'I/O error';
}

async function readHead(abs: string, display: string, length = 4): Promise<Uint8Array> {
  try {
    const handle = await open(abs, 'r');
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, 0);
      return buf.subarray(0, bytesRead);
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
  // One problem found at several places of a file is kept where it counts: a place that lowers
  // it (a comment naming the URL) must not hide the same URL used in code further down.
  const ordered = [
    ...raws.filter((r) => r.context === undefined),
    ...raws.filter((r) => r.context !== undefined),
  ];
  return ordered.filter((r) => {
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

/** The checks of a whole app, once all its files are read. */
function checkApp(state: ScanState, app: AppScope): void {
  const apiDomains = state.options.apiDomains ?? [];
  for (const check of APP_CHECKS) state.raws.push(...check(app, { apiDomains }));
}

async function budgetOf(state: ScanState): Promise<ZipBudget> {
  if (state.budget === undefined) {
    const { ZipBudget } = await lazy.zip();
    state.budget ??= new ZipBudget(state.options.zipLimits);
  }
  return state.budget;
}

async function analyseEntry(entry: SourceEntry, state: ScanState, scope: AppScope): Promise<void> {
  const path = entry.path;
  const name = path.slice(path.lastIndexOf('/') + 1);
  state.stats.files++;
  const production = productionModuleOf(path);
  if (production !== undefined) state.productionModules.add(production);
  const compose = composeFolderOf(path);
  if (compose !== undefined) state.composeFolders.add(compose);
  // The kind of an archive is read from its own entry paths.
  const inner = scope.prefix === '' ? path : path.slice(scope.prefix.length);
  if (inner === 'AndroidManifest.xml') scope.flags.apk = true;
  if (inner === 'base/manifest/AndroidManifest.xml') scope.flags.aab = true;
  if (/^Payload\/[^/]+\.app\/Info\.plist$/.test(inner)) scope.flags.ipa = true;
  const skip = SKIPPED_OR_ARCHIVE.exec(name);
  if (skip !== null) {
    const nested = skip[1] !== undefined && !GRADLE_WRAPPER.test(path);
    if (!nested) state.stats.skipped++;
    // A file named as an archive that holds plain text goes on to be scanned as text.
    if (!nested || (await scanNestedArchive(entry, state, scope)) !== 'text') {
      progress(state, entry.size);
      return;
    }
  }
  const info: TextFileInfo = { path, config: CONFIG_TEXT.test(path) };
  const analysers = analysersFor(path, name, entry.size);
  if (entry.size > STREAM_THRESHOLD) {
    if (analysers.length > 0) {
      const context = analyserContext(state, scope, path, name, inner, Buffer.alloc(0));
      for (const a of analysers) a.tooLarge?.(context);
    }
    await scanStream(await openStream(entry), info, state);
    progress(state, entry.size);
    return;
  }
  if (entry.absolutePath !== undefined && entry.size >= WORKER_MIN_BYTES && analysers.length === 0) {
    state.queue.push({ entry: { ...entry, absolutePath: entry.absolutePath }, info });
    state.queuedBytes += entry.size;
    await startPool(state);
    feedPool(state);
    return;
  }
  const bytes = await entry.read();
  const analysis = await analyse(
    analysers.length > 0 ? analysers : analysersSniffing(bytes),
    analyserContext(state, scope, path, name, inner, bytes),
    bytes,
  );
  if (analysis?.skip === true) {
    state.stats.skipped++;
  } else {
    state.stats.bytes += bytes.length;
    if (analysis?.text !== undefined) {
      scanTextChunk(
        engine,
        analysis.text,
        0,
        analysis.text.length,
        info,
        analysis.lines ?? false,
        1,
        state.raws,
      );
    } else {
      state.raws.push(...scanTextBytes(engine, bytes, info));
    }
  }
  progress(state, entry.size);
}

/** What the analysers of one file are given: where it is, its app, and a shared XML decoding. */
function analyserContext(
  state: ScanState,
  app: AppScope,
  path: string,
  name: string,
  inner: string,
  bytes: Buffer,
): AnalyserContext {
  let xml: Promise<DecodedXml> | undefined;
  return {
    path,
    name,
    inner,
    app,
    now: state.now,
    report: (...raws) => {
      state.raws.push(...raws);
    },
    unparsed: (what, err) => unparsed(state, path, what, err),
    xml: () => {
      xml ??= decodeXmlFile(bytes);
      return xml;
    },
  };
}

/**
 * Runs the analysers of a file; the first `text` one of them gives is scanned instead of the
 * bytes, and any `skip` keeps the bytes from the text scan.
 */
async function analyse(
  analysers: readonly FileAnalyser[],
  context: AnalyserContext,
  bytes: Buffer,
): Promise<Analysis | undefined> {
  let result: Analysis | undefined;
  for (const analyser of analysers) {
    const analysis = await analyser.analyse(bytes, context);
    if (analysis === undefined) continue;
    if (analysis.skip === true) result = { ...result, skip: true };
    else if (analysis.text !== undefined && result?.text === undefined) result = { ...result, ...analysis };
  }
  return result;
}

/** The compression format other than zip that the first bytes of a file name, if any. */
function compressionOf(head: Uint8Array): string | undefined {
  const b = Buffer.from(head.subarray(0, 6));
  if (b.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (b.subarray(0, 6).equals(Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]))) return '7z';
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (b.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  return undefined;
}

/** A nested archive that was not scanned: said so, with what stopped it. */
function nestedNotScanned(
  state: ScanState,
  path: string,
  reason: string,
  severity: 'medium' | 'high',
  note = '',
): void {
  state.raws.push({
    ruleId: 'audit-unparsed-file',
    file: path,
    message: `archive not scanned (${reason.slice(0, 160)}); its files were not checked${note}`,
    key: 'unparsed',
    severity,
  });
}

/**
 * A `.zip` among an app's assets or resources (`src/main/assets/`, `res/raw/`, a bundle's
 * `Resources/`), in the input's own tree: data the app opens itself (a theme, a map, a
 * watchface), not a package of its code, and zip readers differ in the damage they tolerate
 * (stray bytes after the end record, which unzip and Android's `ZipInputStream` pass over). Its
 * damage is medium: its files were not checked, but an app package (`.apk`, `.ipa`, `.jar`) or an
 * archive elsewhere keeps the high that fails the default gate.
 */
function assetArchive(path: string): boolean {
  return (
    !path.includes('!/') && /(?:^|\/)(?:assets|res\/raw|[Rr]esources)\/(?:[^/]+\/)*[^/]+\.zip$/i.test(path)
  );
}

/**
 * Opens an archive found inside the input and scans its entries as `<archive>!/<entry>`, with a
 * scope of its own (its kind, manifests and network security configs) and the scan's shared
 * zip-bomb budget. An archive of a directory is opened in place; one inside an archive is read
 * into memory, up to a size limit. A corrupt archive is reported, not fatal: the input itself was
 * readable. A broken zip-bomb limit and an unreadable file still stop the scan. `'text'` when
 * the file is plain text that only its name calls an archive, for the caller to scan as text.
 */
async function scanNestedArchive(
  entry: SourceEntry,
  state: ScanState,
  scope: AppScope,
): Promise<'text' | undefined> {
  const budget = await budgetOf(state);
  const { limits } = budget;
  const depth = scope.depth + 1;
  if (depth > limits.maxNestingDepth) {
    state.stats.skipped++;
    nestedNotScanned(state, entry.path, `nested deeper than ${limits.maxNestingDepth} archives`, 'medium');
    return undefined;
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
      return undefined;
    }
    // A failure here is the outer archive's, and stops the scan like any unreadable entry.
    source = await entry.read();
    head = source;
  }
  if (!looksLikeZip(head)) {
    const start =
      entry.absolutePath !== undefined
        ? await readHead(entry.absolutePath, entry.path, TEXT_PROBE)
        : head.subarray(0, TEXT_PROBE);
    // A text file whose name only ends like an archive's (`build.gradle.append.aar`, a Gradle
    // snippet for the .aar build): read as the text it is. A Git LFS pointer stands for an archive
    // that is not in the tree, so that one is still said to be unscanned.
    if (isPlainText(start) && !LFS_POINTER.test(Buffer.from(start).toString('latin1'))) return 'text';
    // Another compression format under a .zip name (AlphaWallet's `Resources/chains.zip` is xz
    // data): not read, and said so; among the app's assets, medium, as a damaged asset zip is.
    const other = compressionOf(head.length >= 6 ? head : start);
    nestedNotScanned(
      state,
      entry.path,
      other === undefined ? 'not a zip archive' : `${other} data, not a zip archive`,
      other !== undefined && assetArchive(entry.path) ? 'medium' : 'high',
    );
    return undefined;
  }
  const { walkZip, ZipLimitError, hasApkSigningBlock } = await lazy.zip();
  const inner = newAppScope(`${entry.path}!/`, depth);
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
    const asset = assetArchive(entry.path);
    nestedNotScanned(
      state,
      entry.path,
      reason.replace(/\.$/, ''),
      asset ? 'medium' : 'high',
      asset ? ' (a data archive among the app’s assets, not a package of its code)' : '',
    );
  }
  if (inner.flags.apk) inner.signingBlock = await hasApkSigningBlock(source);
  checkApp(state, inner);
  return undefined;
}

/**
 * Starts the workers once the queue is worth them (see AuditOptions.workers). The decision is
 * made before the pool's module is loaded, so a scan that starts none never loads it.
 */
async function startPool(state: ScanState): Promise<void> {
  if (state.pool !== undefined) return;
  const { options } = state;
  // An injected reader must see every read, so it keeps the scan on this thread.
  if (options.readFile !== undefined) {
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
  const { defaultWorkerUrl, ScanPool } = await lazy.pool();
  const url = options.workerUrl ?? defaultWorkerUrl();
  if (url === undefined || state.pool !== undefined) {
    state.pool ??= null;
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
  await startPool(state);
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

async function scanStream(stream: Readable, info: TextFileInfo, state: ScanState): Promise<void> {
  try {
    const { scanTextStream } = await lazy.stream();
    await scanTextStream(engine, stream, info, state.raws, (n) => {
      state.stats.bytes += n;
    });
  } catch (err) {
    if (err instanceof BulwarkError) throw err;
    throw new AuditUnreadableError(info.path, errCode(err), { cause: err });
  }
}
