/**
 * The console and the demo as `bulwark serve` serves them: from the server's own origin, under
 * the strict Content-Security-Policy with Trusted Types, and nothing of either app outside its
 * folder.
 */

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppServer,
  axeViolations,
  launchChromium,
  startAppServer,
  watchPage,
} from '../../../test-support/e2e.js';

describe('the web apps served by bulwark serve', () => {
  let app: AppServer;
  let browser: Browser;
  beforeAll(async () => {
    app = await startAppServer();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it.each(['/console/', '/demo/'])(
    '%s runs in Chromium under its policy, and axe-core finds nothing serious',
    async (path) => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const watch = watchPage(page);
      await page.goto(`${app.origin}${path}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      expect(await axeViolations(page)).toEqual([]);
      // The policy is enforced: an inline script injected into the page does not run.
      const ran = await page.evaluate(() => {
        const marker = '__inline_ran';
        const script = document.createElement('script');
        try {
          script.textContent = `window.${marker} = true`;
        } catch {
          return 'refused by Trusted Types';
        }
        document.head.append(script);
        return (window as unknown as Record<string, unknown>)[marker] === true ? 'ran' : 'blocked';
      });
      expect(ran).not.toBe('ran');
      expect(watch.errors).toEqual([]);
      await context.close();
    },
  );

  it.each([
    ['/console/', "'none'", false],
    ['/demo/', 'bulwark-demo', true],
  ])('%s is served under a strict CSP', async (path, trustedTypes, wasm) => {
    const res = await fetch(`${app.origin}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(wasm ? ["'self'", "'wasm-unsafe-eval'"] : ["'self'"]);
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain("'unsafe-eval'");
    expect(directives.get('require-trusted-types-for')).toEqual(["'script'"]);
    expect(directives.get('trusted-types')).toEqual([trustedTypes]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    const html = await res.text();
    // No inline script or style, nothing loaded from elsewhere.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style|\sstyle=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });

  it('redirects the bare prefix and answers unknown files with 404 and traversal with 403 or 404, as problem documents', async () => {
    const bare = await fetch(`${app.origin}/console`, { redirect: 'manual' });
    expect([301, 302]).toContain(bare.status);
    expect(bare.headers.get('location')).toMatch(/\/console\/$/);
    for (const path of [
      '/console/nope.js',
      '/console/..%2f..%2fpackage.json',
      '/console/%2e%2e/%2e%2e/package.json',
    ]) {
      const res = await fetch(`${app.origin}${path}`);
      expect([403, 404]).toContain(res.status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('keeps the API under its own default-src none policy', async () => {
    const res = await fetch(`${app.origin}/healthz`);
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
  });
});
