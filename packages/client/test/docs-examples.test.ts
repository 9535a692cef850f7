/**
 * Every code example is type-checked against the built packages: the ```ts blocks of docs/*.md
 * and the ```ts blocks of every TSDoc `@example` in packages/*\/src. Each block is a module of its
 * own, compiled with the TypeScript compiler API (strict, top-level await allowed).
 *
 * Conventions (docs/README.md, "Code examples"):
 * - A TSDoc example sees every export of its own package's entry point(s) as if imported; a docs
 *   block imports what it uses, as an app would.
 * - The app's context an example takes for granted (`vault`, `store`, `sync`, `client`, …) is
 *   declared with its real type in the prelude below, so a call that does not exist on it fails.
 *   Any other free name (`passcode`, `record`) is the example's own context and stays untyped.
 * - A block that is deliberately not code to compile (a shape, pseudo-code) is fenced ```ts fragment.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const virtualDir = join(root, 'packages', 'client', 'test', '.examples');

/** Typed context the examples of the client SDK and the docs share: names an app would have in scope. */
const PRELUDE: Readonly<Record<string, string>> = {
  client: 'C.BulwarkClient',
  vault: 'C.Vault',
  store: 'C.EncryptedStore',
  sync: 'C.SyncEngine',
  transport: 'C.Transport',
  wiper: 'C.Wiper',
  grace: 'C.OfflineGrace',
  items: 'C.SecureItems',
  files: 'C.EncryptedFiles',
  keystore: 'C.Keystore',
  backend: 'C.StoreBackend',
  outbox: 'C.ReceiptOutbox',
  deviceKey: 'C.DeviceKey',
  deviceKeys: 'C.DeviceKeyStorage',
  sessions: 'C.SessionStore',
  fileStorage: 'C.FileStorage',
  posture: 'C.PostureProvider',
  collections: 'readonly C.CollectionSpec[]',
  pinConfig: 'N.SdkPinConfig',
};

/** Native modules the keystore adapters wrap: not installed here, so typed as the adapters say. */
const NATIVE_MODULES = `
declare module 'react-native-keychain';
declare module 'expo-secure-store';
declare module 'capacitor-secure-storage-plugin';
declare module '@expo/app-integrity';
declare module '@pagopa/io-react-native-integrity';
declare module '@capgo/capacitor-app-attest';
`;

interface Example {
  /** Where it is, for the report: file and line. */
  readonly where: string;
  readonly code: string;
  /** Entry points whose exports the block sees (TSDoc examples only). */
  readonly imports: readonly string[];
  /** Whether the client prelude applies (docs and the client SDK). */
  readonly prelude: boolean;
}

async function filesUnder(folder: string, suffix: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(suffix) && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The ```ts blocks of a Markdown page (not ```ts fragment). */
function markdownBlocks(path: string, text: string): Example[] {
  const out: Example[] = [];
  const fence = /^```ts[ \t]*(\S*)[^\n]*\n([\s\S]*?)^```/gm;
  for (const m of text.matchAll(fence)) {
    if (m[1] === 'fragment') continue;
    const line = text.slice(0, m.index).split('\n').length;
    out.push({ where: `${relative(root, path)}:${line}`, code: m[2] as string, imports: [], prelude: true });
  }
  return out;
}

/** The entry points a source file of a package is reachable from, most specific first. */
function entriesOf(path: string): string[] {
  const rel = relative(join(root, 'packages'), path).split(sep);
  const [pkg, , sub] = rel;
  if (pkg === 'client')
    return sub === 'node' ? ['@bulwark/client/node', '@bulwark/client'] : ['@bulwark/client'];
  if (pkg === 'core') {
    const specific =
      sub !== undefined && ['crypto', 'schema', 'protocol'].includes(sub) ? [`@bulwark/core/${sub}`] : [];
    return [...specific, '@bulwark/core', '@bulwark/core/errors'];
  }
  return [`@bulwark/${pkg}`];
}

/** The ```ts blocks inside TSDoc `@example` tags of a source file. */
function tsdocBlocks(path: string, text: string): Example[] {
  const out: Example[] = [];
  for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const lines = (comment[0] as string).split('\n').map((l) => l.replace(/^\s*\*? ?/, ''));
    const body = lines.join('\n');
    const at = body.indexOf('@example');
    if (at < 0) continue;
    const startLine = text.slice(0, comment.index).split('\n').length;
    for (const m of body.slice(at).matchAll(/```ts[ \t]*(\S*)[^\n]*\n([\s\S]*?)```/g)) {
      if (m[1] === 'fragment') continue;
      out.push({
        where: `${relative(root, path)}:${startLine}`,
        code: m[2] as string,
        imports: entriesOf(path),
        prelude: path.includes(`${sep}client${sep}`),
      });
    }
  }
  return out;
}

/**
 * The import declarations of a block, and the rest; whether the block is a module of its own
 * (it exports something, as a schema file does) rather than statements of a function.
 */
function splitImports(code: string): { imports: string; body: string; module: boolean } {
  const source = ts.createSourceFile('x.mts', code, ts.ScriptTarget.ES2022, true);
  let end = 0;
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement)) break;
    end = statement.end;
  }
  const module = source.statements.some(
    (s) =>
      ts.isExportAssignment(s) ||
      ts.isExportDeclaration(s) ||
      (ts.canHaveModifiers(s) &&
        (ts.getModifiers(s) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)),
  );
  return { imports: code.slice(0, end), body: code.slice(end), module };
}

/** Names a block declares or imports itself (an auto-import of the same name would clash). */
function ownNames(code: string): Set<string> {
  const names = new Set<string>();
  const source = ts.createSourceFile('x.mts', code, ts.ScriptTarget.ES2022, true);
  const visit = (node: ts.Node) => {
    if (
      (ts.isVariableDeclaration(node) ||
        ts.isFunctionDeclaration(node) ||
        ts.isClassDeclaration(node) ||
        ts.isInterfaceDeclaration(node) ||
        ts.isTypeAliasDeclaration(node) ||
        ts.isImportSpecifier(node) ||
        ts.isNamespaceImport(node) ||
        ts.isImportClause(node) ||
        ts.isBindingElement(node)) &&
      node.name !== undefined &&
      ts.isIdentifier(node.name)
    ) {
      names.add(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

const options: ts.CompilerOptions = {
  strict: true,
  // The context an example leaves untyped makes its callbacks' parameters implicitly `any`.
  noImplicitAny: false,
  noEmit: true,
  target: ts.ScriptTarget.ES2023,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts', 'lib.dom.asynciterable.d.ts'],
  types: ['node'],
  skipLibCheck: true,
  noUnusedLocals: false,
};

// Names an example may leave to its context (they stay untyped): "cannot find name", and the
// app's own modules (a relative import).
const CONTEXT_NAME = new Set([2304, 2552, 2582, 2593, 18004]);
const isContext = (d: ts.Diagnostic) =>
  CONTEXT_NAME.has(d.code) ||
  (d.code === 2307 && /module '\.{1,2}\//.test(ts.flattenDiagnosticMessageText(d.messageText, ' ')));

async function collectExamples(): Promise<Example[]> {
  const examples: Example[] = [];
  for (const path of await filesUnder(join(root, 'docs'), '.md')) {
    examples.push(...markdownBlocks(path, await readFile(path, 'utf8')));
  }
  for (const pkg of ['core', 'client', 'server', 'cli']) {
    for (const path of await filesUnder(join(root, 'packages', pkg, 'src'), '.ts')) {
      examples.push(...tsdocBlocks(path, await readFile(path, 'utf8')));
    }
  }
  return examples;
}

/** Type-checks every example; answers the problems, one line each. */
async function check(examples: readonly Example[]): Promise<string[]> {
  const virtual = new Map<string, string>();
  const where = new Map<string, Example>();

  // The exports of each entry point, read once from the built declarations.
  const entries = [...new Set(examples.flatMap((e) => e.imports))];
  const probe = entries.map((e, i) => `import * as m${i} from '${e}'; export { m${i} };`).join('\n');
  const probePath = join(virtualDir, 'probe.mts');
  const exportsOf = new Map<string, string[]>();
  {
    const host = virtualHost(new Map([[probePath, probe]]));
    const program = ts.createProgram([probePath], options, host);
    const checker = program.getTypeChecker();
    const file = program.getSourceFile(probePath);
    if (file === undefined) throw new Error('probe not compiled');
    for (const [i, entry] of entries.entries()) {
      const decl = file.statements[i * 2] as ts.ImportDeclaration;
      const symbol = checker.getSymbolAtLocation(decl.moduleSpecifier);
      if (symbol === undefined) throw new Error(`${entry} does not resolve: build the packages first`);
      exportsOf.set(
        entry,
        checker.getExportsOfModule(symbol).map((s) => s.name),
      );
    }
  }

  virtual.set(join(virtualDir, 'native-modules.d.ts'), NATIVE_MODULES);
  for (const [i, example] of examples.entries()) {
    const own = ownNames(example.code);
    const seen = new Set(own);
    const header: string[] = [];
    for (const entry of example.imports) {
      const names = (exportsOf.get(entry) ?? []).filter((n) => !seen.has(n) && n !== 'default');
      for (const n of names) seen.add(n);
      if (names.length > 0) header.push(`import { ${names.join(', ')} } from '${entry}';`);
    }
    if (example.prelude) {
      header.push(
        "import type * as C from '@bulwark/client'; import type * as N from '@bulwark/client/node';",
      );
      for (const [name, type] of Object.entries(PRELUDE)) {
        if (!seen.has(name)) header.push(`declare const ${name}: ${type};`);
      }
    }
    // The block's imports stay at the top; the rest is the body of a function, so an example
    // may `return` as in the handler it comes from, and its names stay its own. A block that
    // exports is a module as it stands (top-level await works there too).
    const { imports, body, module } = splitImports(example.code);
    const text = module
      ? `${header.join(' ')}\n${example.code}\nexport {};\n`
      : `${header.join(' ')}\n${imports}\nexport async function example() {\n${body}\n}\n`;
    const path = join(virtualDir, `example-${i}.mts`);
    virtual.set(path, text);
    where.set(path, example);
  }

  const host = virtualHost(virtual);
  const program = ts.createProgram([...virtual.keys()], options, host);
  const problems: string[] = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    if (isContext(diagnostic)) continue;
    const file = diagnostic.file;
    const example = file === undefined ? undefined : where.get(file.fileName);
    if (example === undefined || file === undefined) {
      problems.push(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      continue;
    }
    const { line } = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const source = file.text.split('\n')[line]?.trim() ?? '';
    problems.push(
      `${example.where} (file line ${line}): TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')} — ${source}`,
    );
  }
  return problems;
}

function virtualHost(files: ReadonlyMap<string, string>): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  return {
    ...host,
    fileExists: (name) => files.has(name) || host.fileExists(name),
    readFile: (name) => files.get(name) ?? host.readFile(name),
    getSourceFile: (name, language, onError, create) => {
      const text = files.get(name);
      return text === undefined
        ? getSourceFile(name, language, onError, create)
        : ts.createSourceFile(name, text, language, true);
    },
  };
}

describe('code examples', () => {
  it('every ```ts block in docs/ and every TSDoc @example type-checks against the built packages', async () => {
    const examples = await collectExamples();
    expect(examples.length).toBeGreaterThan(100);
    const problems = await check(examples);
    expect(problems).toEqual([]);
  }, 300_000);

  it('finds a stale example: a call with the wrong arguments, a method that does not exist', async () => {
    const problems = await check([
      {
        where: 'stale-open',
        code: "await SqliteBackend.open('data/app.db');",
        imports: ['@bulwark/client/node'],
        prelude: true,
      },
      {
        where: 'stale-sync',
        code: 'sync.onRejected(() => undefined);',
        imports: ['@bulwark/client'],
        prelude: true,
      },
      {
        where: 'docs-import',
        code: "import { createClient } from '@bulwark/client';\nawait createClient({ platform: 'browser' });",
        imports: [],
        prelude: true,
      },
      {
        where: 'fine',
        code: "await SqliteBackend.open({ path: 'data/app.db' });\nif (vault.status === 'wiped') return;",
        imports: ['@bulwark/client/node'],
        prelude: true,
      },
    ]);
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['stale-open', 'stale-sync', 'docs-import']);
  }, 120_000);
});
