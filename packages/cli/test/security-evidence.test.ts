/**
 * The security reviewer's evidence cannot rot: every file that docs/security.md names exists, every
 * page and section it links to exists, and `npm run test:security` (scripts/test-security.sh)
 * runs exactly the test files of the page's "Test evidence" table, each one a file vitest collects.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

const page = read('docs/security.md');
const script = read('scripts/test-security.sh');

/** The test files of the script's list: one path a line, inside the `SECURITY_TESTS=( … )` array. */
function scriptTests(): string[] {
  const list = /^SECURITY_TESTS=\(\n([\s\S]*?)^\)/m.exec(script)?.[1];
  if (list === undefined) throw new Error('scripts/test-security.sh has no SECURITY_TESTS=( … ) list');
  return list
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Repository paths the page names in code spans. */
function pagePaths(text: string): string[] {
  return [...text.matchAll(/`((?:packages|apps|scripts|docs|bench)\/[^`\s]+)`/g)].map((m) => m[1] ?? '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces made hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? undefined : /^#{1,6} (.*)$/.exec(line)?.[1];
    if (heading !== undefined) out.add(anchor(heading));
  }
  return out;
}

describe('docs/security.md and npm run test:security', () => {
  it('npm run test:security runs scripts/test-security.sh', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts['test:security']).toBe('bash scripts/test-security.sh');
  });

  it('the script lists test files that exist, once each, where vitest collects them', () => {
    const tests = scriptTests();
    expect(tests.length).toBeGreaterThan(0);
    expect(new Set(tests).size).toBe(tests.length);
    for (const file of tests) {
      expect(file, file).toMatch(/^(?:packages|apps)\/[^/]+\/test\/.+\.test\.ts$/);
      expect(existsSync(join(root, file)), `${file} does not exist`).toBe(true);
    }
  });

  it('every file the page names exists', () => {
    const paths = pagePaths(page);
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect(existsSync(join(root, path)), `${path} does not exist`).toBe(true);
  });

  it('the evidence table and the script list the same test files', () => {
    const evidence = page.split('\n## Test evidence\n')[1];
    expect(evidence, 'docs/security.md has no "## Test evidence" section').toBeDefined();
    const inTable = new Set(pagePaths(evidence ?? '').filter((p) => p.endsWith('.test.ts')));
    expect([...inTable].sort()).toEqual([...new Set(scriptTests())].sort());
  });

  it('every page and section it links to exists', () => {
    const links = [...page.matchAll(/\]\(([^)#\s:]+\.md)(?:#([^)\s]+))?\)/g)];
    expect(links.length).toBeGreaterThan(0);
    for (const [, file = '', section] of links) {
      const target = join(root, 'docs', file);
      expect(existsSync(target), `${file} does not exist`).toBe(true);
      if (section !== undefined) {
        expect(anchorsOf(readFileSync(target, 'utf8')).has(section), `${file}#${section}`).toBe(true);
      }
    }
    for (const [, section = ''] of page.matchAll(/\]\(#([^)\s]+)\)/g)) {
      expect(anchorsOf(page).has(section), `#${section}`).toBe(true);
    }
  });
});
