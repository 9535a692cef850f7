/**
 * Rule attributes: the top-level fields that rules and list filters may read, copied at write time
 * into a small JSON column (`attrs`) that SQL queries. Strings are stored under an injective
 * encoding without U+0000, because PostgreSQL text and jsonb cannot hold that character while a
 * record may; equality is preserved (two strings are equal exactly when their encodings are),
 * which is the only string operation the rule language has. See docs/storage.md.
 */
import type { AnyCollection, FieldNode } from '@bulwark/core/schema';

/**
 * Encodes a string so that it holds no U+0000: U+0001 becomes U+0001 U+0001 and U+0000 becomes
 * U+0001 U+0002. Prefix-free, hence injective.
 *
 * @example
 * ```ts
 * encodeAttrString('a\u0000b'); // 'a\u0001\u0002b'
 * ```
 */
export function encodeAttrString(value: string): string {
  if (!value.includes('\u0000') && !value.includes('\u0001')) return value;
  return value.replaceAll('\u0001', '\u0001\u0001').replaceAll('\u0000', '\u0001\u0002');
}

/** Whether a field can be read by a rule (string, enum, date-time, number, boolean, list of strings). */
export function isRuleField(node: FieldNode): boolean {
  switch (node.kind) {
    case 'string':
    case 'enum':
    case 'dateTime':
    case 'number':
    case 'integer':
    case 'boolean':
      return true;
    case 'array':
      return node.items.kind === 'string' || node.items.kind === 'enum';
    default:
      return false;
  }
}

/**
 * The names of the top-level fields of `collection` that rules may read, in declaration order.
 *
 * @example
 * ```ts
 * ruleFields(inspections); // ['site', 'inspector', 'team', 'status', 'riskScore', ...]
 * ```
 */
export function ruleFields(collection: AnyCollection): string[] {
  return collection.node.entries.filter(([, node]) => isRuleField(node)).map(([name]) => name);
}

function encodeValue(value: unknown): unknown {
  if (typeof value === 'string') return encodeAttrString(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? encodeAttrString(v) : v));
  return value;
}

/**
 * The attrs JSON of a record: the listed fields that are present, strings encoded.
 *
 * @example
 * ```ts
 * attrsJson({ team: 'north', notes: '…' }, ['team']); // '{"team":"north"}'
 * ```
 */
export function attrsJson(record: Readonly<Record<string, unknown>>, fields: readonly string[]): string {
  const out: Record<string, unknown> = {};
  for (const name of fields) {
    if (Object.hasOwn(record, name) && record[name] !== undefined) out[name] = encodeValue(record[name]);
  }
  return JSON.stringify(out);
}
