/** Declaration-time rules: every unsafe or contradictory declaration throws SchemaDefinitionError. */
import { describe, expect, it } from 'vitest';
import { BulwarkError } from '../../src/errors.js';
import {
  collection,
  DEFAULT_ARRAY_MAX_ITEMS,
  DEFAULT_STRING_MAX_LENGTH,
  defineSchema,
  isCollection,
  MAX_DECLARATION_DEPTH,
  MAX_FIELDS_PER_OBJECT,
  MAX_PATTERN_INPUT_LENGTH,
  SchemaDefinitionError,
  SYSTEM_FIELDS,
  t,
} from '../../src/schema/index.js';
import { inspections } from './lib/fixtures.js';

function definitionError(build: () => unknown): SchemaDefinitionError {
  try {
    build();
  } catch (err) {
    expect(err).toBeInstanceOf(SchemaDefinitionError);
    expect(err).toBeInstanceOf(BulwarkError);
    expect((err as SchemaDefinitionError).code).toBe('schema_definition_invalid');
    return err as SchemaDefinitionError;
  }
  throw new Error('expected a SchemaDefinitionError');
}

const one = (fields: Record<string, unknown>) =>
  collection('things', { fields: fields as Record<string, ReturnType<typeof t.boolean>> });

describe('collections', () => {
  it('keeps the declared options and defaults', () => {
    expect(inspections.name).toBe('inspections');
    expect(inspections.offline).toBe(true);
    expect(inspections.version).toBe(2);
    const c = collection('notes', { fields: { body: t.string() } });
    expect(c.offline).toBe(true);
    expect(c.version).toBe(1);
    expect(collection('audit', { offline: false, fields: { at: t.dateTime() } }).offline).toBe(false);
    expect(isCollection(c)).toBe(true);
    expect(isCollection({ ...c })).toBe(false);
  });

  it('applies the documented default limits', () => {
    const c = collection('notes', { fields: { body: t.string(), tags: t.array(t.string()) } });
    const body = c.node.fields.get('body');
    const tags = c.node.fields.get('tags');
    expect(body?.kind === 'string' && body.maxLength).toBe(DEFAULT_STRING_MAX_LENGTH);
    expect(tags?.kind === 'array' && tags.maxItems).toBe(DEFAULT_ARRAY_MAX_ITEMS);
  });

  it('is immutable and unaffected by later changes to the fields object', () => {
    const fields: Record<string, ReturnType<typeof t.string>> = { body: t.string() };
    const c = collection('notes', { fields });
    fields.extra = t.string();
    expect(c.node.keys).toEqual(['body']);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.node)).toBe(true);
    expect(() => {
      (c.node.keys as string[]).push('x');
    }).toThrow(TypeError);
  });

  it('refuses unsafe or malformed collection names', () => {
    for (const name of [
      '',
      'Inspections',
      '1abc',
      'a-b',
      '__proto__',
      'constructor',
      'prototype',
      'x'.repeat(64),
    ]) {
      definitionError(() => collection(name, { fields: { a: t.string() } }));
    }
  });

  it('refuses bad options', () => {
    definitionError(() => collection('a', { fields: {} }));
    definitionError(() => collection('a', { version: 0, fields: { a: t.string() } }));
    definitionError(() => collection('a', { version: 1.5, fields: { a: t.string() } }));
    definitionError(() =>
      collection('a', { offline: 'no' as unknown as boolean, fields: { a: t.string() } }),
    );
    definitionError(() => collection('a', null as never));
  });
});

describe('field names', () => {
  it('refuses prototype keys, reserved names and unsafe identifiers, naming the path', () => {
    for (const name of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf']) {
      const fields = JSON.parse(`{"${name}": 0}`) as Record<string, unknown>;
      fields[name] = t.string();
      const err = definitionError(() => one(fields));
      expect(err.path).toBe(`things.${name}`);
    }
    for (const name of ['', '_private', '1st', 'a-b', 'a b', 'é', 'x'.repeat(64)]) {
      definitionError(() => one({ [name]: t.string() }));
    }
  });

  it('refuses nested unsafe names with the full path', () => {
    const err = definitionError(() => one({ outer: t.object(JSON.parse('{"constructor": 1}')) }));
    expect(err.message).toContain('constructor');
  });

  it('reserves the record id at the top level only', () => {
    expect(definitionError(() => one({ id: t.string() })).path).toBe('things.id');
    expect(() => one({ parts: t.array(t.object({ id: t.string() })) })).not.toThrow();
  });

  it('reserves the system fields (owner, version, timestamps) at the top level only', () => {
    for (const name of SYSTEM_FIELDS) {
      const err = definitionError(() => one({ [name]: t.string() }));
      expect(err.path).toBe(`things.${name}`);
    }
    expect(SYSTEM_FIELDS).toEqual(['id', 'owner', 'version', 'createdAt', 'updatedAt', 'deletedAt']);
    expect(() => one({ meta: t.object({ owner: t.string(), version: t.integer() }) })).not.toThrow();
  });

  it('refuses two names that differ only by case (SQLite columns ignore case)', () => {
    definitionError(() => one({ site: t.string(), Site: t.string() }));
  });

  it('refuses values that are not fields and too many fields', () => {
    definitionError(() => one({ a: 'string' }));
    definitionError(() => one({ a: { kind: 'string' } }));
    const many: Record<string, unknown> = {};
    for (let i = 0; i <= MAX_FIELDS_PER_OBJECT; i++) many[`f${i}`] = t.boolean();
    definitionError(() => one(many));
  });
});

describe('limits', () => {
  it('refuses out-of-range or contradictory limits', () => {
    definitionError(() => t.string({ minLength: 5, maxLength: 4 }));
    definitionError(() => t.string({ maxLength: -1 }));
    definitionError(() => t.string({ maxLength: 1.5 }));
    definitionError(() => t.string({ maxLength: 2_000_000 }));
    definitionError(() => t.number({ min: 2, max: 1 }));
    definitionError(() => t.number({ min: Number.NaN }));
    definitionError(() => t.number({ max: Number.POSITIVE_INFINITY }));
    definitionError(() => t.integer({ min: 0.5 }));
    definitionError(() => t.integer({ max: 2 ** 60 }));
    definitionError(() => t.array(t.string(), { minItems: 3, maxItems: 2 }));
    definitionError(() => t.array(t.string(), { maxItems: 1_000_000 }));
  });

  it('checks enums', () => {
    definitionError(() => t.enum([] as unknown as ['a']));
    definitionError(() => t.enum(['a', 'a']));
    definitionError(() => t.enum(['a', '']));
    definitionError(() => t.enum(['a', 1 as unknown as string]));
  });

  it('refuses nesting deeper than the limit', () => {
    let field = t.object({ leaf: t.boolean() });
    for (let i = 1; i < MAX_DECLARATION_DEPTH; i++)
      field = t.object({ inner: field }) as unknown as typeof field;
    expect(() => one({ top: field })).not.toThrow();
    definitionError(() => one({ top: t.array(field) }));
  });
});

describe('patterns', () => {
  it('accepts safe whole-string patterns with a bounded maxLength', () => {
    expect(() => t.string({ maxLength: 10, pattern: /\d{5}(?:-\d{4})?/ })).not.toThrow();
    expect(() => t.string({ maxLength: 40, pattern: /[a-z0-9]+(?:-[a-z0-9]+)*/i })).not.toThrow();
    expect(() => t.string({ maxLength: 40, pattern: /\p{L}+/u })).not.toThrow();
  });

  it('requires an explicit maxLength, capped', () => {
    definitionError(() => t.string({ pattern: /\d+/ }));
    definitionError(() => t.string({ maxLength: MAX_PATTERN_INPUT_LENGTH + 1, pattern: /\d+/ }));
  });

  it('refuses flags other than i and u', () => {
    for (const flags of ['g', 'y', 'm', 's', 'd', 'v']) {
      definitionError(() => t.string({ maxLength: 5, pattern: new RegExp('a', flags) }));
    }
  });

  it('refuses backreferences and lookbehind', () => {
    definitionError(() => t.string({ maxLength: 5, pattern: /(a)\1/ }));
    definitionError(() => t.string({ maxLength: 5, pattern: /(?<x>a)\k<x>/ }));
    definitionError(() => t.string({ maxLength: 5, pattern: /(?<=a)b/ }));
    definitionError(() => t.string({ maxLength: 5, pattern: /(?<!a)b/ }));
  });

  it('refuses patterns that can backtrack catastrophically', () => {
    for (const pattern of [
      /(a+)+$/,
      /(a|a)*b/,
      /(a*)*b/,
      /(\w+\s?)+x/,
      /a*a*b/,
      /[^@]+@[^@]+\.[^@]+x/,
      /(.*a){12}/,
    ]) {
      const err = definitionError(() => t.string({ maxLength: 100, pattern }));
      expect(err.message).toMatch(/ReDoS|analysed/);
    }
  });

  it('refuses case-insensitive patterns it cannot analyse (Unicode-only syntax with flag i)', () => {
    expect(definitionError(() => t.string({ maxLength: 5, pattern: /\p{L}+/iu })).message).toContain(
      'flag i',
    );
  });

  it('refuses patterns that are not valid in Unicode mode, and non-RegExp patterns', () => {
    definitionError(() => t.string({ maxLength: 5, pattern: /[\w-a]/ }));
    definitionError(() => t.string({ maxLength: 5, pattern: 'a+' as unknown as RegExp }));
  });
});

describe('classes', () => {
  it('refuses a field that is both sensitive and serverOnly', () => {
    definitionError(() => t.string().sensitive().serverOnly());
    definitionError(() => t.string().serverOnly().sensitive());
  });

  it('refuses classes nested under a classified parent', () => {
    const err = definitionError(() =>
      one({ address: t.object({ secret: t.string().serverOnly() }).sensitive() }),
    );
    expect(err.path).toBe('things.address.secret');
    definitionError(() => one({ address: t.object({ secret: t.string().sensitive() }).serverOnly() }));
    definitionError(() => one({ address: t.object({ secret: t.string().sensitive() }).sensitive() }));
    definitionError(() => one({ list: t.array(t.object({ s: t.string().serverOnly() })).sensitive() }));
  });

  it('refuses classified or optional array items (classify the array instead)', () => {
    definitionError(() => t.array(t.string().sensitive()));
    definitionError(() => t.array(t.string().serverOnly()));
    definitionError(() => t.array(t.string().optional()));
    expect(() => t.array(t.string().nullable())).not.toThrow();
  });

  it('builders are immutable: refining returns a new field', () => {
    const base = t.string();
    const sensitive = base.sensitive();
    expect(base.node.cls).toBe('plain');
    expect(sensitive.node.cls).toBe('sensitive');
    expect(base.optional().node.optional).toBe(true);
    expect(base.node.optional).toBe(false);
    expect(base.describe('x').node.description).toBe('x');
    definitionError(() => base.describe('x'.repeat(1001)));
  });
});

describe('defineSchema', () => {
  const notes = collection('notes', { fields: { body: t.string() } });

  it('groups collections by name', () => {
    const schema = defineSchema({ version: 3, collections: [inspections, notes] });
    expect(schema.version).toBe(3);
    expect(schema.collections.notes).toBe(notes);
    expect(schema.collections.inspections).toBe(inspections);
    expect(schema.list).toEqual([inspections, notes]);
    expect(Object.getPrototypeOf(schema.collections)).toBeNull();
  });

  it('refuses duplicates, look-alikes, empty lists and bad versions', () => {
    const again = collection('notes', { fields: { other: t.string() } });
    expect(definitionError(() => defineSchema({ version: 1, collections: [notes, again] })).path).toBe(
      'notes',
    );
    definitionError(() => defineSchema({ version: 1, collections: [{ ...notes }] }));
    definitionError(() => defineSchema({ version: 1, collections: [] }));
    definitionError(() => defineSchema({ version: 0, collections: [notes] }));
  });
});
