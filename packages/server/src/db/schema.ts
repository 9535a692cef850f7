/** Table types of the server database, for Kysely. */
import type { Generated } from 'kysely';

/** Key/value facts about this installation (instance id, creation time). */
export interface MetaTable {
  key: string;
  value: string;
  updated_at: Generated<string>;
}

/** Every table of the server database. */
export interface Database {
  bulwark_meta: MetaTable;
}
