/**
 * What a page did and what it shows, for the failure of a screen test. A wait on a page that
 * times out only says what it waited for; `tracePage` keeps the page's recent API requests (with
 * their status), failed requests, console messages and navigations, `describePage` reads what the
 * page shows now (address, landmarks, headings, alerts, the main region's text), and
 * `explainFailures` adds both to every failing test of a suite, so an intermittent failure in CI
 * says what the page showed and what it had asked the server.
 */
import type { Page } from 'playwright-core';
import { beforeEach } from 'vitest';

/** The recent traffic of a page, oldest first. */
export interface PageTrace {
  /** The lines as they come (`→ GET /admin/users`, `← 403 /admin/users`, `console.error …`); the oldest are dropped. */
  readonly lines: readonly string[];
  /** The last `count` lines, one per line of text. */
  recent(count?: number): string;
}

/**
 * Starts recording `page`'s traffic. `skip` leaves out requests whose path it accepts (the app's
 * own static files); `keep` bounds the lines kept.
 *
 * @example
 * ```ts
 * const trace = tracePage(page, { skip: (path) => path.startsWith('/console/') });
 * ```
 */
export function tracePage(
  page: Page,
  options: { readonly skip?: (path: string) => boolean; readonly keep?: number } = {},
): PageTrace {
  const lines: string[] = [];
  const keep = options.keep ?? 200;
  const at = () => new Date().toISOString().slice(11, 23);
  const path = (url: string) => {
    try {
      const parsed = new URL(url);
      return `${parsed.pathname}${parsed.search}`;
    } catch {
      return url;
    }
  };
  const skipped = (url: string) => options.skip?.(path(url)) === true;
  const add = (line: string) => {
    lines.push(`${at()} ${line}`);
    if (lines.length > keep) lines.splice(0, lines.length - keep);
  };
  page.on('request', (r) => {
    if (!skipped(r.url())) add(`→ ${r.method()} ${path(r.url())}`);
  });
  page.on('response', (r) => {
    if (!skipped(r.url())) add(`← ${r.status()} ${r.request().method()} ${path(r.url())}`);
  });
  page.on('requestfailed', (r) => add(`✗ ${r.method()} ${path(r.url())} ${r.failure()?.errorText ?? ''}`));
  page.on('console', (m) => add(`console.${m.type()} ${m.text()}`));
  page.on('pageerror', (e) => add(`pageerror ${e.message}`));
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) add(`navigated ${f.url()}`);
  });
  return {
    lines,
    recent: (count = 30) => lines.slice(-count).join('\n'),
  };
}

/**
 * What the page shows now, as text: its address, which landmarks it has (a navigation, a main
 * region and its class), its headings and alerts, and the main region's text (shortened).
 *
 * @example
 * ```ts
 * console.log(await describePage(page));
 * ```
 */
export async function describePage(page: Page): Promise<string> {
  if (page.isClosed()) return 'the page is closed';
  try {
    const reading = page.evaluate(() => {
      const text = (e: Element | null) => (e?.textContent ?? '').replace(/\s+/g, ' ').trim();
      const main = document.querySelector('main');
      return {
        url: location.href,
        title: document.title,
        nav: document.querySelectorAll('nav').length,
        main: main === null ? 'none' : `<main class="${main.className}">`,
        headings: Array.from(document.querySelectorAll('h1, h2')).map(text),
        alerts: Array.from(document.querySelectorAll('[role="alert"], [role="status"]')).map(text),
        // biome-ignore lint/performance/useDomNodeTextContent: the text as shown, line by line, without what is hidden
        text: ((main ?? document.body) as HTMLElement).innerText.replace(/\n{2,}/g, '\n').slice(0, 1500),
      };
    });
    // A page busy in a loop never answers: say so rather than hold the failure back.
    const shown = await Promise.race([
      reading,
      new Promise<never>((_, reject) => {
        setTimeout(() => reject(new Error('no answer in 5 s')), 5_000).unref();
      }),
    ]);
    return [
      `url: ${shown.url} (title ${JSON.stringify(shown.title)})`,
      `landmarks: ${shown.nav} nav, main ${shown.main}`,
      `headings: ${JSON.stringify(shown.headings)}`,
      `alerts and status: ${JSON.stringify(shown.alerts)}`,
      `main text:\n${shown.text}`,
    ].join('\n');
  } catch (err) {
    return `the page could not be read: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * Adds to each failing test of the enclosing suite what the page showed and its recent traffic.
 * `page` is read when a test fails (it may be made in `beforeAll`).
 *
 * @example
 * ```ts
 * explainFailures(() => page, () => trace);
 * ```
 */
export function explainFailures(page: () => Page | undefined, trace: () => PageTrace | undefined): void {
  beforeEach(({ onTestFailed }) => {
    onTestFailed(async () => {
      const current = page();
      if (current === undefined) return;
      throw new Error(
        `The page when the test failed:\n${await describePage(current)}\n\n` +
          `Its last requests, responses and messages:\n${trace()?.recent(30) ?? '(not recorded)'}`,
      );
    });
  });
}
