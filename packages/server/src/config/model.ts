/**
 * The data model the server runs: the configuration checked once at start-up and turned into
 * compiled rules, field lists and fingerprints per collection. Every mistake a configuration can
 * hold (rules for an unknown collection, a rule that does not fit its fields, a required
 * serverOnly field that no hook can fill) stops the start with a {@link ConfigError}.
 */
import { createHash } from 'node:crypto';
import {
  type AnyCollection,
  isCollection,
  type Schema,
  serverOnlyPaths,
  toJsonSchema,
} from '@bulwark/core/schema';
import { ruleFields } from '../rules/attrs.js';
import { type CompiledRule, compileRule } from '../rules/compile.js';
import { RuleError } from '../rules/errors.js';
import type { Rule } from '../rules/rule.js';
import type { BulwarkConfig, CollectionConfig, CollectionHooks, SyncOptions } from './define.js';
import { ConfigError } from './errors.js';

/** The rule every unset rule falls back to: the record's owner only. */
export const OWNER_ONLY: Rule = { field: 'owner', eq: { claim: 'userId' } };

/** One collection, ready to serve. */
export interface CollectionModel {
  readonly name: string;
  readonly collection: AnyCollection;
  readonly offline: boolean;
  readonly read: CompiledRule;
  readonly create: CompiledRule;
  readonly update: CompiledRule;
  readonly delete: CompiledRule;
  readonly hooks: CollectionHooks;
  /** Fields copied into `attrs` (every top-level field a rule or filter may read). */
  readonly attrFields: readonly string[];
  /** Fields the read rule reads: what a sync notice and a tombstone keep. */
  readonly readFields: readonly string[];
  /**
   * Key fields indexed in `record_keys` (rules/keys.ts): those of the read rule and the declared
   * `indexes`, sorted.
   */
  readonly keyFields: readonly string[];
  /** Changes when the key fields change: the keys are rebuilt at start-up (devices keep their data). */
  readonly keyFingerprint: string;
  /** Whether a record holds fields a device never sees. */
  readonly hasServerOnly: boolean;
  /** Changes when the stored projections (`device`, `attrs`) must be recomputed. */
  readonly storageFingerprint: string;
  /** Changes when what a device may hold changes (projection or read rule): devices re-sync. */
  readonly syncFingerprint: string;
}

/** Sync settings with defaults. */
export type SyncSettings = Required<SyncOptions>;

/** The whole data model. */
export interface DataModel {
  readonly schema: Schema;
  readonly collections: ReadonlyMap<string, CollectionModel>;
  /** Offline collections, in declaration order: what sync carries. */
  readonly offline: readonly CollectionModel[];
  /** Fingerprint of every offline collection's sync fingerprint. */
  readonly syncFingerprint: string;
  readonly sync: SyncSettings;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function positive(value: unknown, fallback: number, name: string, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new ConfigError(`sync.${name} must be an integer from 1 to ${max}`);
  }
  return value;
}

function compileOrFail(rule: unknown, collection: AnyCollection, path: string): CompiledRule {
  try {
    return compileRule(rule, collection, path);
  } catch (err) {
    if (err instanceof RuleError) throw new ConfigError(err.message, { cause: err });
    throw err;
  }
}

/** Fields a collection declares as indexed: string, enum, date-time or string-list fields. */
function declaredIndexes(collection: AnyCollection, indexes: unknown): string[] {
  if (indexes === undefined) return [];
  const at = `collections.${collection.name}.indexes`;
  if (!Array.isArray(indexes)) throw new ConfigError(`${at} must be a list of field names`);
  return indexes.map((name: unknown, i) => {
    const node = typeof name === 'string' ? collection.node.fields.get(name) : undefined;
    const keyable =
      node !== undefined &&
      (node.kind === 'string' ||
        node.kind === 'enum' ||
        node.kind === 'dateTime' ||
        (node.kind === 'array' && (node.items.kind === 'string' || node.items.kind === 'enum')));
    if (!keyable) {
      throw new ConfigError(`${at}[${i}]: not a top-level string, enum, date-time or string-list field`);
    }
    return name as string;
  });
}

function resolveCollection(collection: AnyCollection, config: CollectionConfig): CollectionModel {
  const name = collection.name;
  if (typeof config !== 'object' || config === null) {
    throw new ConfigError(`collections.${name} must be an object`);
  }
  const known = new Set(['rules', 'hooks', 'indexes']);
  for (const key of Object.keys(config)) {
    if (!known.has(key)) throw new ConfigError(`collections.${name}: unknown setting "${key}"`);
  }
  const rules = config.rules ?? {};
  for (const key of Object.keys(rules)) {
    if (!['read', 'write', 'create', 'update', 'delete'].includes(key)) {
      throw new ConfigError(`collections.${name}.rules: unknown rule "${key}"`);
    }
  }
  const write = rules.write ?? OWNER_ONLY;
  const read = compileOrFail(rules.read ?? OWNER_ONLY, collection, `${name}.read`);
  const create = compileOrFail(rules.create ?? write, collection, `${name}.create`);
  const update = compileOrFail(rules.update ?? write, collection, `${name}.update`);
  const del = compileOrFail(rules.delete ?? write, collection, `${name}.delete`);
  const hooks = config.hooks ?? {};
  for (const [key, hook] of Object.entries(hooks)) {
    if (key !== 'beforeWrite' && key !== 'beforeDelete') {
      throw new ConfigError(`collections.${name}.hooks: unknown hook "${key}"`);
    }
    if (typeof hook !== 'function')
      throw new ConfigError(`collections.${name}.hooks.${key} must be a function`);
  }
  const serverOnly = serverOnlyPaths(collection);
  // A device never sends serverOnly fields, so a required one can only come from a hook.
  const requiredServerOnly = collection.node.entries.filter(
    ([, node]) => node.cls === 'serverOnly' && !node.optional,
  );
  if (requiredServerOnly.length > 0 && hooks.beforeWrite === undefined) {
    const names = requiredServerOnly.map(([n]) => n).join(', ');
    throw new ConfigError(
      `collections.${name}: required serverOnly field(s) ${names} need a beforeWrite hook that sets them`,
    );
  }
  const attrFields = ruleFields(collection);
  const readFields = [...read.fields].sort();
  const keyFields = [...new Set([...read.keyFields, ...declaredIndexes(collection, config.indexes)])].sort();
  const deviceSchema = JSON.stringify(toJsonSchema(collection, 'device'));
  const storageFingerprint = sha256(JSON.stringify([collection.version, deviceSchema, attrFields]));
  const syncFingerprint = sha256(
    JSON.stringify([name, collection.offline, storageFingerprint, rules.read ?? OWNER_ONLY]),
  );
  return {
    name,
    collection,
    offline: collection.offline,
    read,
    create,
    update,
    delete: del,
    hooks,
    attrFields,
    readFields,
    keyFields,
    keyFingerprint: sha256(JSON.stringify(['record_keys/1', keyFields])),
    hasServerOnly: serverOnly.length > 0,
    storageFingerprint,
    syncFingerprint,
  };
}

/**
 * Checks a configuration and builds the data model. Throws {@link ConfigError}.
 *
 * @example
 * ```ts
 * const model = resolveDataModel(await loadConfig('bulwark.config.ts'));
 * model.collections.get('inspections')?.offline; // true
 * ```
 */
export function resolveDataModel(config: BulwarkConfig): DataModel {
  if (typeof config !== 'object' || config === null)
    throw new ConfigError('the configuration must be an object');
  for (const key of Object.keys(config)) {
    if (!['schema', 'collections', 'sync', 'seed'].includes(key))
      throw new ConfigError(`unknown setting "${key}"`);
  }
  if (config.seed !== undefined && typeof config.seed !== 'function')
    throw new ConfigError('seed must be a function (api) => Promise<void>');
  const schema = config.schema as Schema;
  if (
    typeof schema !== 'object' ||
    schema === null ||
    !Array.isArray(schema.list) ||
    schema.list.length === 0 ||
    !schema.list.every((c) => isCollection(c))
  ) {
    throw new ConfigError('schema must be made with defineSchema() from @bulwark/core/schema');
  }
  const configs = (config.collections ?? {}) as Record<string, CollectionConfig>;
  const names = new Set(schema.list.map((c) => c.name));
  for (const name of Object.keys(configs)) {
    if (!names.has(name)) throw new ConfigError(`collections.${name}: no such collection in the schema`);
  }
  const collections = new Map<string, CollectionModel>();
  for (const collection of schema.list) {
    collections.set(
      collection.name,
      resolveCollection(
        collection,
        Object.hasOwn(configs, collection.name) ? (configs[collection.name] ?? {}) : {},
      ),
    );
  }
  const offline = [...collections.values()].filter((c) => c.offline);
  const sync = config.sync ?? {};
  return {
    schema,
    collections,
    offline,
    syncFingerprint: sha256(JSON.stringify(offline.map((c) => c.syncFingerprint))),
    sync: {
      defaultPageSize: positive(sync.defaultPageSize, 200, 'defaultPageSize', 10_000),
      maxPageSize: positive(sync.maxPageSize, 1000, 'maxPageSize', 10_000),
      maxPushMutations: positive(sync.maxPushMutations, 200, 'maxPushMutations', 10_000),
      mutationRetentionSeconds: positive(
        sync.mutationRetentionSeconds,
        7 * 86_400,
        'mutationRetentionSeconds',
        365 * 86_400,
      ),
    },
  };
}
