/**
 * Turns a developer's `{ name: field }` map into an object node: every name checked, the fields
 * copied into a `Map` so that later changes to the developer's object have no effect and no
 * lookup can reach a prototype.
 */
import { SchemaDefinitionError } from '../errors.js';
import { type AnyField, isField, type ObjectNode } from '../field.js';
import { MAX_FIELDS_PER_OBJECT } from '../limits.js';
import { FIELD_NAME, identifierProblem } from './identifier.js';

/** Builds the node of an object (or a collection's top level) from its field map. */
export function buildObjectNode(fields: unknown): ObjectNode {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new SchemaDefinitionError('fields must be an object of field declarations');
  }
  const names = Object.keys(fields);
  if (names.length > MAX_FIELDS_PER_OBJECT) {
    throw new SchemaDefinitionError(`an object may declare at most ${MAX_FIELDS_PER_OBJECT} fields`);
  }
  const map = new Map<string, ObjectNode['fields'] extends ReadonlyMap<string, infer N> ? N : never>();
  const folded = new Set<string>();
  for (const name of names) {
    const problem = identifierProblem(name, FIELD_NAME);
    if (problem !== undefined) throw new SchemaDefinitionError(problem, name);
    // SQLite column names ignore case: two fields differing only by case would share a column.
    const lower = name.toLowerCase();
    if (folded.has(lower)) {
      throw new SchemaDefinitionError('another field has the same name up to letter case', name);
    }
    folded.add(lower);
    const field: unknown = (fields as Record<string, unknown>)[name];
    if (!isField(field)) throw new SchemaDefinitionError('not a field declared with t.*', name);
    map.set(name, (field as AnyField).node);
  }
  return Object.freeze({
    kind: 'object',
    optional: false,
    nullable: false,
    cls: 'plain',
    description: undefined,
    keys: Object.freeze([...map.keys()]),
    fields: map,
    entries: Object.freeze([...map].map((entry) => Object.freeze(entry))),
  });
}
