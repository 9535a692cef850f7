/**
 * Checks that need a whole declaration: nesting depth and classes. A class covers the whole
 * subtree of the field that carries it, so a second class below it is either redundant or a
 * contradiction (a serverOnly value inside a sensitive one would reach devices); both are refused,
 * which keeps the list of sensitive paths free of nesting for the encrypted store.
 */
import { SchemaDefinitionError } from '../errors.js';
import type { FieldClass, FieldNode } from '../field.js';
import { MAX_DECLARATION_DEPTH } from '../limits.js';

function walk(node: FieldNode, path: string, inherited: FieldClass, depth: number): void {
  if (node.cls !== 'plain' && inherited !== 'plain') {
    const why =
      node.cls === inherited
        ? `the parent is already ${inherited}`
        : `a ${node.cls} field inside a ${inherited} parent contradicts it`;
    throw new SchemaDefinitionError(`cannot be ${node.cls}: ${why}`, path);
  }
  const cls = inherited === 'plain' ? node.cls : inherited;
  if (node.kind === 'array' || node.kind === 'object') {
    if (depth + 1 > MAX_DECLARATION_DEPTH) {
      throw new SchemaDefinitionError(`nesting deeper than ${MAX_DECLARATION_DEPTH} levels`, path);
    }
  }
  if (node.kind === 'array') walk(node.items, `${path}[]`, cls, depth + 1);
  if (node.kind === 'object') {
    for (const [name, child] of node.fields) walk(child, `${path}.${name}`, cls, depth + 1);
  }
}

/** Throws {@link SchemaDefinitionError} if the fields of `root` break a whole-declaration rule. */
export function checkDeclaration(root: FieldNode & { kind: 'object' }, name: string): void {
  for (const [field, node] of root.fields) walk(node, `${name}.${field}`, 'plain', 0);
}
