/**
 * The protection report does not claim TLS pinning for a Capacitor app on iOS, whose requests
 * run in WKWebView where ATS pins are not applied (docs/platforms.md), even when the app says
 * it configured pins; on Android the app's statement stands.
 */
import { describe, expect, it } from 'vitest';
import { MemoryKeystore, protectionReport } from '../src/index.js';

describe('protection report for Capacitor', () => {
  const base = {
    platform: 'capacitor',
    keystore: new MemoryKeystore().protection,
    storeBackend: 'sqlite',
    wholeRecord: true,
    passcode: true,
    pinning: true,
  } as const;
  const pinning = (report: ReturnType<typeof protectionReport>) =>
    report.items.find((i) => i.id === 'tls_pinning');

  it('reports no pinning on iOS whatever the app says', () => {
    const item = pinning(protectionReport({ ...base, os: 'ios' }));
    expect(item?.protected).toBe(false);
    expect(item?.detail).toMatch(/WKWebView/);
  });

  it('keeps the app statement on Android', () => {
    expect(pinning(protectionReport({ ...base, os: 'android' }))?.protected).toBe(true);
  });
});
