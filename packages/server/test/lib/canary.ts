/**
 * The central serverOnly check of the server test suite. Every test server built by the harness
 * stores canary values in every top-level serverOnly field (a wrapper around each collection's
 * beforeWrite hook), and scans every response payload it sends (an onSend hook on the app): a
 * payload that contains a canary is recorded, and the test fails when its server closes. No
 * test has to remember to look.
 */
import type { BulwarkConfig, CollectionConfig, WriteEvent } from '../../src/index.js';

/** Put in every serverOnly string field. */
export const CANARY_TEXT = 'srvonly-canary-5b9e0f4d';
/** Put in every serverOnly number field whose bounds allow it. */
export const CANARY_NUMBER = 87.65432109876;

/** Whether a payload carries a canary. */
export function containsCanary(payload: string): boolean {
  return payload.includes(CANARY_TEXT) || payload.includes(String(CANARY_NUMBER));
}

function canaryFields(config: BulwarkConfig, name: string): Record<string, unknown> {
  const collection = config.schema.list.find((c) => c.name === name);
  const out: Record<string, unknown> = {};
  if (collection === undefined) return out;
  for (const [field, node] of collection.node.entries) {
    if (node.cls !== 'serverOnly') continue;
    if (node.kind === 'string' && node.maxLength >= CANARY_TEXT.length) out[field] = CANARY_TEXT;
    if (
      node.kind === 'number' &&
      (node.min === undefined || node.min <= CANARY_NUMBER) &&
      (node.max === undefined || node.max >= CANARY_NUMBER)
    ) {
      out[field] = CANARY_NUMBER;
    }
  }
  return out;
}

/**
 * The same configuration, with every write storing canaries in the serverOnly fields (after the
 * collection's own hook, which still decides whether the write is accepted).
 */
export function withCanaries(config: BulwarkConfig): BulwarkConfig {
  const collections: Record<string, CollectionConfig> = {};
  const given = (config.collections ?? {}) as Record<string, CollectionConfig>;
  for (const c of config.schema.list) {
    const own = given[c.name] ?? {};
    const canaries = canaryFields(config, c.name);
    if (Object.keys(canaries).length === 0) {
      collections[c.name] = own;
      continue;
    }
    const hook = own.hooks?.beforeWrite;
    collections[c.name] = {
      ...own,
      hooks: {
        ...own.hooks,
        async beforeWrite(event: WriteEvent) {
          const decision = hook === undefined ? undefined : await hook(event);
          if (decision !== undefined && decision !== null && 'issues' in decision) return decision;
          const record = decision?.record ?? event.record;
          return { record: { ...record, ...canaries } };
        },
      },
    };
  }
  return { ...config, collections } as BulwarkConfig;
}
