/** What every route of the server is handed: the database and the world (clock, randomness). */
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';

/** Shared dependencies of the routes, passed in so tests can control them. */
export interface ServerContext {
  readonly db: Kysely<Database>;
  /** Current time; tests pass a fake clock. */
  readonly now: () => Date;
}
