/**
 * What the suites with real server processes share: a PostgreSQL URL bound to one schema, and a
 * per-test harness that gives each test its own schema and nodes and stops them afterwards,
 * whatever happened.
 */
import { randomBytes } from 'node:crypto';
import { afterEach } from 'vitest';
import { type OpenDatabase, openDatabase } from '../../src/db/database.js';
import { type ServerNode, startNode } from './nodes.js';

/** `base` with its `search_path` set to `schema`, for a node started on that schema. */
export function schemaUrl(base: string, schema: string): string {
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/**
 * Registers the cleanup of the calling suite (call it at the top level of a test file) and returns
 * the helpers that feed it.
 */
export function useNodeHarness() {
  const postgresUrl = process.env.BULWARK_TEST_DATABASE_URL;
  /** Everything a test started, stopped afterwards whatever happened. */
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  /** A schema of its own in the shared test database, dropped afterwards. */
  async function testSchema(): Promise<{ db: OpenDatabase; url: string }> {
    if (postgresUrl === undefined) throw new Error('BULWARK_TEST_DATABASE_URL is not set');
    const schema = `t_${randomBytes(8).toString('hex')}`;
    const db = await openDatabase({ databaseUrl: postgresUrl, schema, poolSize: 2 });
    cleanup.push(async () => {
      await db.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await db.close();
    });
    return { db, url: schemaUrl(postgresUrl, schema) };
  }

  /** A node killed after the test. */
  async function node(options: Parameters<typeof startNode>[0]): Promise<ServerNode> {
    const started = await startNode(options);
    cleanup.push(async () => {
      await started.stop('SIGKILL');
    });
    return started;
  }

  return { cleanup, testSchema, node };
}
