/**
 * Where the classified fields of a collection are. A path is a list of field names from the record
 * root; `*` stands for "every element" of an array (field names cannot contain `*`, so the notation
 * is unambiguous). Because a class covers a whole subtree and classes never nest, each listed path
 * is the root of one classified unit: the encrypted store seals the value found there as a whole.
 */
import type { AnyCollection } from './collection.js';
import type { FieldClass, FieldNode } from './field.js';

/**
 * The segment that stands for every element of an array.
 *
 * @example
 * ```ts
 * const isListPath = path.segments.includes(EVERY_ITEM);
 * ```
 */
export const EVERY_ITEM = '*';

/**
 * A path template into a record.
 *
 * @example
 * ```ts
 * // { segments: ['findings', '*', 'note'], pointer: '/findings/*\/note' }
 * ```
 */
export interface FieldPath {
  /** Field names from the root; {@link EVERY_ITEM} for "each array element". */
  readonly segments: readonly string[];
  /** The same as a JSON-pointer-like string, e.g. `/findings/*\/note`. */
  readonly pointer: string;
}

function collect(node: FieldNode, cls: FieldClass, segments: string[], out: FieldPath[]): void {
  if (node.cls === cls) {
    const copy = Object.freeze(segments.slice());
    out.push(Object.freeze({ segments: copy, pointer: `/${copy.join('/')}` }));
    return;
  }
  if (node.cls !== 'plain') return;
  if (node.kind === 'array') {
    segments.push(EVERY_ITEM);
    collect(node.items, cls, segments, out);
    segments.pop();
  } else if (node.kind === 'object') {
    for (const [name, child] of node.fields) {
      segments.push(name);
      collect(child, cls, segments, out);
      segments.pop();
    }
  }
}

function pathsOf(collection: AnyCollection, cls: FieldClass): readonly FieldPath[] {
  const out: FieldPath[] = [];
  for (const [name, child] of collection.node.fields) collect(child, cls, [name], out);
  return Object.freeze(out);
}

/**
 * Paths of the sensitive units of a collection, in declaration order.
 *
 * @example
 * ```ts
 * sensitivePaths(inspections).map((p) => p.pointer); // ['/residentPhone', '/findings/*\/photoNote']
 * ```
 */
export function sensitivePaths(collection: AnyCollection): readonly FieldPath[] {
  return pathsOf(collection, 'sensitive');
}

/**
 * Paths of the serverOnly units of a collection, in declaration order.
 *
 * @example
 * ```ts
 * serverOnlyPaths(inspections).map((p) => p.pointer); // ['/riskScore']
 * ```
 */
export function serverOnlyPaths(collection: AnyCollection): readonly FieldPath[] {
  return pathsOf(collection, 'serverOnly');
}
