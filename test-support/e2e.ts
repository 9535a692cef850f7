/**
 * The harness of the screen tests: the real server (`startServer`, as `bulwark serve` runs it)
 * on embedded SQLite in a temporary folder, serving the built console and demo apps, and
 * Debian's Chromium driven by playwright-core. Helpers watch a page for CSP and Trusted Types
 * violations, run axe-core in it, and save screenshots under `test-results/screenshots/`
 * (ignored by git) for a person to look at.
 *
 * Chromium comes from `scripts/services.sh` (apt-get) or BULWARK_CHROMIUM; the apps from
 * `npm run build`. Missing either fails the suite: nothing is skipped.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AuthOptions, type BulwarkConfig, type RunningServer, startServer } from '@bulwark/server';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The built apps, as `bulwark serve` mounts them (each with the policy its web-app.json declares). */
export const WEB_APPS = {
  console: { dir: join(ROOT, 'apps/console/dist') },
  demo: { dir: join(ROOT, 'apps/demo/dist') },
} as const;

/** The demo configuration `npm start` serves. */
export const DEMO_CONFIG = join(ROOT, 'apps/demo/bulwark.config.ts');

/** Where screenshots go. */
export const SCREENSHOTS = join(ROOT, 'test-results/screenshots');

/** A running server for a suite. */
export interface AppServer {
  /** Browser origin, `http://localhost:<port>` (passkeys need a domain, not an address). */
  readonly origin: string;
  readonly server: RunningServer;
  readonly dataDir: string;
  close(): Promise<void>;
}

/**
 * Starts the real server with the built apps, on SQLite in a fresh temporary folder.
 *
 * @example
 * ```ts
 * const app = await startAppServer({ configFile: DEMO_CONFIG });
 * await page.goto(`${app.origin}/console/`);
 * ```
 */
export async function startAppServer(
  options: {
    readonly configFile?: string;
    /** The configuration already imported (under vitest, the file's own import graph would hold another copy of the schema module). */
    readonly data?: BulwarkConfig;
    readonly auth?: AuthOptions;
  } = {},
): Promise<AppServer> {
  for (const app of Object.values(WEB_APPS)) {
    if (!existsSync(join(app.dir, 'index.html'))) {
      throw new Error(`${app.dir} is not built: run \`npm run build\` first`);
    }
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-e2e-apps-'));
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    webApps: WEB_APPS,
    auth: options.auth ?? { passwords: { maxConcurrentHashes: 2, maxQueuedHashes: 64 } },
    ...(options.configFile === undefined ? {} : { configFile: options.configFile }),
    ...(options.data === undefined ? {} : { data: options.data }),
    logger: false,
  });
  const origin = server.url.replace('//127.0.0.1:', '//localhost:');
  return {
    origin,
    server,
    dataDir,
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Chromium's executable; fails loudly when it is missing. */
export function chromiumPath(): string {
  const path = process.env.BULWARK_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `Chromium not found at ${path}: \`npm test\` installs Debian's chromium (scripts/services.sh), or set BULWARK_CHROMIUM`,
    );
  }
  return path;
}

/** Chromium's command-line switches for the screen tests (also for `launchPersistentContext`). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/**
 * Launches Debian's Chromium, headless, without any network of its own beyond the test server.
 *
 * @example
 * ```ts
 * const browser = await launchChromium();
 * const context = await browser.newContext();
 * ```
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
}

/** What went wrong in a page while a test used it. */
export interface PageWatch {
  /** Console messages that report a CSP or Trusted Types violation. */
  readonly violations: string[];
  /** Uncaught errors in the page. */
  readonly errors: string[];
}

/**
 * Records CSP and Trusted Types violations and uncaught errors of `page` (and of every page of
 * a context when given one).
 */
export function watchPage(target: Page | BrowserContext): PageWatch {
  const watch: PageWatch = { violations: [], errors: [] };
  const attach = (page: Page) => {
    page.on('console', (message) => {
      const text = message.text();
      if (
        /Content Security Policy|Content-Security-Policy|Trusted Type|TrustedScript|TrustedHTML/i.test(text)
      ) {
        watch.violations.push(text);
      }
    });
    page.on('pageerror', (error) => watch.errors.push(error.message));
  };
  if ('pages' in target) {
    for (const page of target.pages()) attach(page);
    target.on('page', attach);
  } else {
    attach(target);
  }
  return watch;
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** One axe-core finding. */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

/**
 * Runs axe-core on the page as it is now and returns its serious and critical violations.
 * axe is evaluated through the DevTools protocol, which the page's CSP does not govern, so the
 * page keeps its own policy while it is checked.
 *
 * @example
 * ```ts
 * expect(await axeViolations(page)).toEqual([]);
 * ```
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run(context: Document, options: unknown): Promise<unknown> } }
    ).axe;
    const result = (await axe.run(document, { resultTypes: ['violations'] })) as {
      violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
    };
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')),
      }));
  });
}

/** Saves a full-page screenshot as `test-results/screenshots/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
