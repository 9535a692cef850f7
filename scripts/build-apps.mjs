// Builds the browser apps (apps/console, apps/demo) into each app's dist/ folder: type-checks
// the app with tsc, bundles it with esbuild (one script, one style sheet, names hashed), writes
// index.html from the app's template and copies its public/ files. No CDN, no asset from outside
// the server: everything the app loads is in dist/. Usage: node scripts/build-apps.mjs [app…]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['console', 'demo'];

const hash = (bytes) => createHash('sha256').update(bytes).digest('base64url').slice(0, 10);

async function buildApp(name) {
  const dir = join(root, 'apps', name);
  const entry = join(dir, 'src', 'main.tsx');
  if (!existsSync(entry)) return;
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
  process.stdout.write(`built ${basename(dir)}: ${Object.values(assets).join(', ')}\n`);
}

for (const name of names) await buildApp(name);
