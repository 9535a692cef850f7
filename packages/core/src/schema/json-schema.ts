/**
 * JSON Schema export of a collection, so the server can publish OpenAPI and let Fastify's ajv
 * reject malformed bodies early from the same declaration. Only keywords that mean the same in
 * draft-07 (ajv's default) and draft 2020-12 are emitted. The export is a first line and a
 * contract for clients; `validate()` stays the authority: it is stricter on a few points the JSON
 * Schema cannot say (well-formed Unicode, the strict date-time profile, case-insensitive patterns).
 */
import type { AnyCollection } from './collection.js';
import type { FieldNode, ObjectNode } from './field.js';
import { MAX_DATE_TIME_LENGTH } from './lib/date-time.js';

/**
 * Which shape to describe:
 * - `record`: the full server record (serverOnly included), for server-internal use;
 * - `device`: what a device receives (serverOnly removed at every depth);
 * - `create`: the body a device sends to create a record (same fields as `device`);
 * - `patch`: the body a device sends to patch a record (any subset of the top-level fields).
 *
 * @example
 * ```ts
 * const view: JsonSchemaView = request.method === 'PATCH' ? 'patch' : 'create';
 * ```
 */
export type JsonSchemaView = 'record' | 'device' | 'create' | 'patch';

/**
 * A JSON Schema object (a plain, JSON-serialisable value).
 *
 * @example
 * ```ts
 * const schema: JsonSchema = toJsonSchema(inspections, 'device');
 * ```
 */
export interface JsonSchema {
  readonly [keyword: string]: unknown;
}

function typed(type: string, nullable: boolean): string | string[] {
  return nullable ? [type, 'null'] : type;
}

function convert(node: FieldNode, device: boolean, patch: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (node.description !== undefined) out.description = node.description;
  switch (node.kind) {
    case 'string':
      out.type = typed('string', node.nullable);
      if (node.minLength > 0) out.minLength = node.minLength;
      out.maxLength = node.maxLength;
      if (node.pattern !== undefined) {
        // JSON Schema patterns carry no flags; ajv runs them in Unicode mode like we do, but a
        // case-insensitive pattern cannot be expressed, so it is left to validate().
        if (node.pattern.flags.includes('i')) out.$comment = 'case-insensitive pattern checked by Bulwark';
        else out.pattern = node.pattern.anchored;
      }
      break;
    case 'number':
    case 'integer':
      out.type = typed(node.kind, node.nullable);
      if (node.kind === 'integer') {
        out.minimum = node.min ?? Number.MIN_SAFE_INTEGER;
        out.maximum = node.max ?? Number.MAX_SAFE_INTEGER;
      } else {
        if (node.min !== undefined) out.minimum = node.min;
        if (node.max !== undefined) out.maximum = node.max;
      }
      break;
    case 'boolean':
      out.type = typed('boolean', node.nullable);
      break;
    case 'dateTime':
      out.type = typed('string', node.nullable);
      out.format = 'date-time';
      out.maxLength = MAX_DATE_TIME_LENGTH;
      break;
    case 'enum':
      out.type = typed('string', node.nullable);
      out.enum = node.nullable ? [...node.values, null] : [...node.values];
      break;
    case 'array':
      out.type = typed('array', node.nullable);
      out.items = convert(node.items, device, false);
      if (node.minItems > 0) out.minItems = node.minItems;
      out.maxItems = node.maxItems;
      break;
    case 'object':
      Object.assign(out, convertObject(node, device, patch));
      out.type = typed('object', node.nullable);
      break;
  }
  return out;
}

function convertObject(node: ObjectNode, device: boolean, patch: boolean): Record<string, unknown> {
  // Field names are safe identifiers (never __proto__), so plain objects are safe containers here.
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const name of node.keys) {
    const field = node.fields.get(name) as FieldNode;
    if (device && field.cls === 'serverOnly') continue;
    properties[name] = convert(field, device, false);
    if (!field.optional && !patch) required.push(name);
  }
  const out: Record<string, unknown> = { type: 'object', properties, additionalProperties: false };
  if (required.length > 0) out.required = required;
  return out;
}

/**
 * A JSON Schema of one view of a collection, with `additionalProperties: false` at every level.
 * Accepted by ajv (draft-07, Fastify's default) and by ajv's draft 2020-12 class; `date-time`
 * needs the `ajv-formats` plugin, which Fastify loads.
 *
 * @example
 * ```ts
 * app.post('/data/inspections', { schema: { body: toJsonSchema(inspections, 'create') } }, handler);
 * ```
 */
export function toJsonSchema(collection: AnyCollection, view: JsonSchemaView): JsonSchema {
  const device = view !== 'record';
  const out: Record<string, unknown> = { title: collection.name };
  if (collection.description !== undefined) out.description = collection.description;
  Object.assign(out, convertObject(collection.node, device, view === 'patch'));
  return out;
}
