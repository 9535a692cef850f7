/**
 * The store's behaviour suite (test/store.test.ts) bundled for a page: its cases are recorded
 * through the vitest shim and run one at a time on request, in real IndexedDB and WebCrypto.
 */
import '../store.test.js';
import { cases } from './vitest-shim.js';

/** The cases for one backend subject (and those that belong to none). */
function selected(subject: string): typeof cases {
  return cases.filter(
    (c) => !c.name.startsWith('encrypted store on ') || c.name.startsWith(`encrypted store on ${subject} >`),
  );
}

const runner = {
  names(subject: string): string[] {
    return selected(subject).map((c) => c.name);
  },
  async run(name: string): Promise<{ ok: true } | { ok: false; error: string }> {
    const found = cases.find((c) => c.name === name);
    if (found === undefined) return { ok: false, error: `no case ${name}` };
    try {
      await found.run();
      return { ok: true };
    } catch (err) {
      const e = err as Error;
      return { ok: false, error: `${e.message}\n${e.stack ?? ''}` };
    }
  },
};

declare global {
  interface Window {
    storeSuite: typeof runner;
  }
}
window.storeSuite = runner;
document.title = 'ready';
