/**
 * fast-check arbitraries for the schema: random declarations (every field kind, nesting, classes
 * placed where the rules allow) and valid records of a declaration, as a device or the server
 * would send them.
 */
import fc from 'fast-check';
import {
  type AnyCollection,
  type AnyField,
  collection,
  type FieldClass,
  type FieldNode,
  t,
} from '../../../src/schema/index.js';

/** Pattern fields built once: each declaration runs the ReDoS analysis, which is too slow per run. */
const PATTERN_FIELDS: readonly AnyField[] = [
  t.string({ maxLength: 32, pattern: /\+?[0-9 ]{6,20}/ }),
  t.string({ maxLength: 40, pattern: /[a-z0-9]+(?:-[a-z0-9]+)*/ }),
  t.string({ maxLength: 10, pattern: /\d{5}(?:-\d{4})?/ }),
];

const NAMES = ['alpha', 'beta', 'gamma', 'delta', 'eps', 'zeta', 'eta', 'theta'];

function classify(field: AnyField, cls: FieldClass): AnyField {
  if (cls === 'sensitive') return field.sensitive();
  if (cls === 'serverOnly') return field.serverOnly();
  return field;
}

function refine(field: AnyField, optional: boolean, nullable: boolean): AnyField {
  let out = field;
  if (optional) out = out.optional();
  if (nullable) out = out.nullable();
  return out;
}

const leaf: fc.Arbitrary<AnyField> = fc.oneof(
  fc.tuple(fc.nat(5), fc.nat(30)).map(([min, extra]) => t.string({ minLength: min, maxLength: min + extra })),
  fc.constantFrom(...PATTERN_FIELDS),
  fc
    .tuple(fc.option(fc.integer({ min: -1000, max: 0 })), fc.option(fc.integer({ min: 0, max: 1000 })))
    .map(([min, max]) => t.number({ ...(min === null ? {} : { min }), ...(max === null ? {} : { max }) })),
  fc
    .tuple(fc.option(fc.integer({ min: -1000, max: 0 })), fc.option(fc.integer({ min: 0, max: 1000 })))
    .map(([min, max]) => t.integer({ ...(min === null ? {} : { min }), ...(max === null ? {} : { max }) })),
  fc.constant(null).map(() => t.boolean()),
  fc.constant(null).map(() => t.dateTime()),
  fc
    .uniqueArray(fc.constantFrom('open', 'closed', 'draft', 'x-1'), { minLength: 1, maxLength: 4 })
    .map((v) => t.enum(v as [string, ...string[]])),
);

/** A field tree; `canClassify` is false inside a classified subtree (classes never nest). */
function field(depth: number, canClassify: boolean): fc.Arbitrary<AnyField> {
  const cls: fc.Arbitrary<FieldClass> = canClassify
    ? fc.constantFrom<FieldClass>('plain', 'plain', 'sensitive', 'serverOnly')
    : fc.constant<FieldClass>('plain');
  return fc.tuple(cls, fc.boolean(), fc.boolean()).chain(([c, optional, nullable]) => {
    const inner = canClassify && c === 'plain';
    const shapes: fc.Arbitrary<AnyField>[] = [leaf];
    if (depth > 0) {
      shapes.push(object(depth - 1, inner));
      shapes.push(
        fc
          .tuple(item(depth - 1, inner), fc.nat(2), fc.nat(3))
          .map(([items, min, extra]) => t.array(items, { minItems: min, maxItems: min + extra })),
      );
    }
    return fc.oneof(...shapes).map((f) => refine(classify(f, c), optional, nullable));
  });
}

/** An array item: never optional, never classified itself. */
function item(depth: number, canClassify: boolean): fc.Arbitrary<AnyField> {
  const shapes: fc.Arbitrary<AnyField>[] = [leaf];
  if (depth > 0) shapes.push(object(depth - 1, canClassify));
  return fc.tuple(fc.oneof(...shapes), fc.boolean()).map(([f, nullable]) => (nullable ? f.nullable() : f));
}

function fieldMap(depth: number, canClassify: boolean): fc.Arbitrary<Record<string, AnyField>> {
  return fc
    .uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 5 })
    .chain((names) =>
      fc
        .tuple(...names.map(() => field(depth, canClassify)))
        .map((fields) => Object.fromEntries(names.map((n, i) => [n, fields[i] as AnyField]))),
    );
}

function object(depth: number, canClassify: boolean): fc.Arbitrary<AnyField> {
  return fieldMap(depth, canClassify).map((fields) => t.object(fields));
}

/** A random collection, up to three levels of nesting. */
export const anyCollection: fc.Arbitrary<AnyCollection> = fieldMap(3, true).map((fields) =>
  collection('random', { fields }),
);

function dateTime(): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.date({
        min: new Date('0001-01-01T00:00:00Z'),
        max: new Date('9999-12-31T23:59:59Z'),
        noInvalidDate: true,
      }),
      fc.constantFrom('ms', 'none', 'offset'),
      fc.integer({ min: 0, max: 23 }),
      fc.integer({ min: 0, max: 59 }),
      fc.boolean(),
    )
    .map(([date, style, h, m, minus]) => {
      const iso = date.toISOString();
      if (style === 'ms') return iso;
      const base = iso.slice(0, 19);
      if (style === 'none') return `${base}Z`;
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${base}${minus ? '-' : '+'}${pad(h)}:${pad(m)}`;
    });
}

function codePoints(s: string): number {
  return [...s].length;
}

/** Valid values of a node as `source` would send them (a device never sends serverOnly fields). */
export function valueFor(node: FieldNode, source: 'device' | 'server'): fc.Arbitrary<unknown> {
  const base = baseValue(node, source);
  return node.nullable ? fc.oneof(base, fc.constant(null)) : base;
}

function baseValue(node: FieldNode, source: 'device' | 'server'): fc.Arbitrary<unknown> {
  switch (node.kind) {
    case 'string':
      if (node.pattern !== undefined) {
        const { minLength, maxLength } = node;
        return fc
          .stringMatching(new RegExp(node.pattern.anchored))
          .filter((s) => codePoints(s) >= minLength && codePoints(s) <= maxLength);
      }
      return fc.string({
        unit: 'binary',
        minLength: node.minLength,
        maxLength: Math.min(node.maxLength, node.minLength + 12),
      });
    case 'number':
      return fc.double({
        min: node.min ?? -1e12,
        max: node.max ?? 1e12,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'integer': {
      const min = node.min ?? Number.MIN_SAFE_INTEGER;
      const max = node.max ?? Number.MAX_SAFE_INTEGER;
      return fc.oneof(
        fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }),
        fc.constantFrom(min, max),
      );
    }
    case 'boolean':
      return fc.boolean();
    case 'dateTime':
      return dateTime();
    case 'enum':
      return fc.constantFrom(...node.values);
    case 'array':
      return fc.array(valueFor(node.items, source), {
        minLength: node.minItems,
        maxLength: Math.min(node.maxItems, node.minItems + 3),
      });
    case 'object':
      return objectValue(node, source);
  }
}

function objectValue(
  node: FieldNode & { kind: 'object' },
  source: 'device' | 'server',
): fc.Arbitrary<unknown> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const name of node.keys) {
    const child = node.fields.get(name) as FieldNode;
    if (source === 'device' && child.cls === 'serverOnly') continue;
    model[name] = valueFor(child, source);
    if (!child.optional) required.push(name);
  }
  return fc.record(model, { requiredKeys: required });
}

/** A valid record of `c` as `source` would send it. */
export function recordOf(
  c: AnyCollection,
  source: 'device' | 'server',
): fc.Arbitrary<Record<string, unknown>> {
  return objectValue(c.node, source) as fc.Arbitrary<Record<string, unknown>>;
}
