// Builds the browser apps (apps/console, apps/demo) into each app's dist/ folder: type-checks
// the app with tsc, bundles it with esbuild (one script, one style sheet, names hashed), writes
// index.html from the app's template and copies its public/ files. No CDN, no asset from outside
// the server: everything the app loads is in dist/. An app whose inputs (its own files, the
// packages' sources, the lock file and this script) are those of its last build is not built
// again, so that `npm start` starts in about a second after the first time; --force builds
// anyway. Usage: node scripts/build-apps.mjs [--force] [app…]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const force = args.includes('--force');
const named = args.filter((a) => a !== '--force');
const names = named.length > 0 ? named : ['console', 'demo'];
/** Where the digest of the inputs of an app's build is kept (the server serves no dot file). */
const STAMP = '.inputs-sha256';
/** Folders of an app or package that are not inputs of the app's bundle. */
const NOT_INPUTS = new Set(['dist', 'node_modules', 'test', 'tests', 'test-results', 'screenshots']);

/** Every file under `dir`, but for the folders of {@link NOT_INPUTS}, in a stable order. */
function inputFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!NOT_INPUTS.has(entry.name)) files.push(...inputFiles(join(dir, entry.name)));
    } else if (entry.isFile() && !entry.name.endsWith('.tsbuildinfo')) {
      files.push(join(dir, entry.name));
    }
  }
  return files.sort();
}

/** SHA-256 over the names and bytes of everything the build of the app in `dir` reads. */
function inputsDigest(dir) {
  const digest = createHash('sha256');
  const files = [
    ...inputFiles(dir),
    ...readdirSync(join(root, 'packages')).flatMap((pkg) => inputFiles(join(root, 'packages', pkg))),
    ...['package-lock.json', 'tsconfig.base.json', 'tsconfig.json', 'scripts/build-apps.mjs']
      .map((name) => join(root, name))
      .filter((file) => existsSync(file)),
  ];
  for (const file of files) {
    digest.update(`${relative(root, file)}\0`);
    digest.update(readFileSync(file));
    digest.update('\0');
  }
  return digest.digest('hex');
}

const hash = (bytes) => createHash('sha256').update(bytes).digest('base64url').slice(0, 10);

async function buildApp(name) {
  const dir = join(root, 'apps', name);
  const entry = join(dir, 'src', 'main.tsx');
  if (!existsSync(entry)) return;
  const inputs = inputsDigest(dir);
  const stamp = join(dir, 'dist', STAMP);
  if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8') === inputs) {
    process.stdout.write(`${name}: up to date\n`);
    return;
  }
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {
    stdio: 'inherit',
  });
  const out = join(dir, 'dist');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const common = {
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'safari16', 'firefox120'],
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': '"production"' },
  };
  const result = await build({ ...common, entryPoints: { app: entry }, outdir: out });
  const assets = {};
  for (const file of result.outputFiles) {
    const ext = file.path.endsWith('.css') ? 'css' : 'js';
    const hashed = `app-${hash(file.contents)}.${ext}`;
    writeFileSync(join(out, hashed), file.contents);
    assets[ext] = hashed;
  }
  // A service worker keeps a fixed name at the app's root: its URL is its identity.
  const sw = join(dir, 'src', 'sw.ts');
  if (existsSync(sw)) {
    const worker = await build({ ...common, format: 'iife', entryPoints: [sw], outdir: out });
    const precache = JSON.stringify(['./', `./${assets.js}`, ...(assets.css ? [`./${assets.css}`] : [])]);
    const version = hash(Buffer.concat(result.outputFiles.map((f) => Buffer.from(f.contents))));
    const code = `self.__BULWARK_PRECACHE=${precache};self.__BULWARK_VERSION=${JSON.stringify(version)};\n${worker.outputFiles[0].text}`;
    writeFileSync(join(out, 'sw.js'), code);
  }
  const publicDir = join(dir, 'public');
  if (existsSync(publicDir)) cpSync(publicDir, out, { recursive: true });
  // What the app needs of its Content-Security-Policy (package.json `bulwarkWebApp`: WebAssembly,
  // Trusted Types policy names), read by the server that mounts it.
  const declared = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).bulwarkWebApp ?? {};
  writeFileSync(join(out, 'web-app.json'), `${JSON.stringify(declared)}\n`);
  const template = readFileSync(join(dir, 'src', 'index.html'), 'utf8');
  const html = template
    .replace('<!--style-->', assets.css ? `<link rel="stylesheet" href="./${assets.css}">` : '')
    .replace('<!--script-->', `<script type="module" src="./${assets.js}"></script>`);
  writeFileSync(join(out, 'index.html'), html);
  // Written last: a build cut short leaves no stamp, and the next start builds again.
  writeFileSync(join(out, STAMP), inputs);
  process.stdout.write(`built ${basename(dir)}: ${Object.values(assets).join(', ')}\n`);
}

for (const name of names) await buildApp(name);
