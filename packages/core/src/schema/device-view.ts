/**
 * The device view of a record: what the server may send to a device. serverOnly fields are
 * removed at every depth. The projection is an allowlist walk of the declaration: it copies only
 * declared, non-serverOnly keys, so a stray column or key in a stored row can never leak either.
 */
import type { AnyCollection } from './collection.js';
import type { FieldNode, ObjectNode } from './field.js';
import type { InferDeviceRecord, InferRecord } from './infer.js';

/** Marks a value that does not fit its declaration; the projection drops it. */
const DROP: unique symbol = Symbol('drop');

function projectObject(node: ObjectNode, value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const source = value as Record<string, unknown>;
  const entries = node.entries;
  for (let i = 0; i < entries.length; i++) {
    const [name, field] = entries[i] as readonly [string, FieldNode];
    if (field.cls === 'serverOnly' || !Object.hasOwn(source, name)) continue;
    const projected = project(field, source[name]);
    if (projected !== DROP) out[name] = projected;
  }
  return out;
}

function project(node: FieldNode, value: unknown): unknown {
  if (value === null) return null;
  if (node.kind === 'object') {
    return typeof value === 'object' && !Array.isArray(value) ? projectObject(node, value) : DROP;
  }
  if (node.kind === 'array') {
    if (!Array.isArray(value)) return DROP;
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      const projected = project(node.items, value[i]);
      if (projected !== DROP) out.push(projected);
    }
    return out;
  }
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean' ? value : DROP;
}

/**
 * The device view of a server record: a fresh object without any serverOnly field, at any depth.
 * Values that do not fit the declaration (a stored row that was never validated) are dropped,
 * never passed through.
 *
 * @example
 * ```ts
 * reply.send(deviceView(inspections, row)); // row.riskScore is not in the response
 * ```
 */
export function deviceView<C extends AnyCollection>(
  collection: C,
  record: InferRecord<C>,
): InferDeviceRecord<C> {
  const value: unknown = record;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {} as InferDeviceRecord<C>;
  return projectObject(collection.node, value) as InferDeviceRecord<C>;
}
