/**
 * Which names a collection or field may have. Names become object keys on every tier, JSON keys
 * on the wire and SQL identifiers on the server, so they are held to a small safe alphabet and
 * kept away from every name that means something to JavaScript objects.
 */
import { MAX_IDENTIFIER_LENGTH } from '../limits.js';

/** Field names: a letter, then letters, digits and underscores. */
export const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Collection names: lowercase only, so SQL table names never differ by case alone. */
export const COLLECTION_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Keys never accepted as input and never declarable: they reach an object's prototype machinery.
 * Kept separate from the reserved names below because the validator reports them specially.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Names of `Object.prototype` members: a field called `toString` or `hasOwnProperty` would shadow
 * a method that code handling records may call. Listed literally, not read from the running
 * engine, so the rule cannot be changed by a polluted environment.
 */
const OBJECT_PROTOTYPE_NAMES: ReadonlySet<string> = new Set([
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  'toString',
  'valueOf',
]);

/** Why `name` cannot be used, or `undefined` when it can. */
export function identifierProblem(name: unknown, pattern: RegExp): string | undefined {
  if (typeof name !== 'string') return 'a name must be a string';
  if (name.length === 0 || name.length > MAX_IDENTIFIER_LENGTH) {
    return `a name must have 1 to ${MAX_IDENTIFIER_LENGTH} characters`;
  }
  if (FORBIDDEN_KEYS.has(name) || OBJECT_PROTOTYPE_NAMES.has(name)) {
    return `"${name}" is reserved by JavaScript objects`;
  }
  if (!pattern.test(name)) return `"${name}" must match ${pattern.source}`;
  return undefined;
}
