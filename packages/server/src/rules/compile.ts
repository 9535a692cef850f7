/**
 * Checks a rule against a collection's declaration once, at start-up, and returns a function that
 * binds a caller's claims and yields the {@link Predicate} that SQL and the in-process evaluator
 * both run. Every type question (is this field a number, may it be compared with a claim) is
 * settled here, so a bad rule stops the server at start rather than failing a request.
 */
import { type AnyCollection, type FieldNode, isDateTime } from '@bulwark/core/schema';
import { RuleError } from './errors.js';
import type { Predicate, Target } from './predicate.js';
import { simplify } from './predicate.js';
import type { Claims, Rule } from './rule.js';

/** Limits that keep a rule (or a client's list filter) cheap to check, bind and run. */
export const RULE_LIMITS = Object.freeze({
  maxDepth: 12,
  maxNodes: 200,
  maxListLength: 500,
  maxStringLength: 1024,
});

/** How a rule may be written. */
export interface CompileOptions {
  /** Claims may be used (rules: yes; a client's list filter: no). */
  readonly claims: boolean;
  /** serverOnly fields may be read (rules: yes; a client's filter: no, it would be an oracle). */
  readonly serverOnly: boolean;
  /**
   * Constants must be values the field can hold, as a body would be checked: an RFC 3339
   * date-time for a date-time field, one of the values of an enum (a client's filter: yes).
   */
  readonly fieldValues?: boolean;
}

/**
 * A checked rule: call it with the caller's claims to get the bound predicate.
 *
 * @example
 * ```ts
 * const read = compileRule(config.read, inspections, 'inspections.read');
 * const predicate = read(claims);
 * ```
 */
export type CompiledRule = ((claims: Claims) => Predicate) & {
  /** Fields of the collection the rule reads (not `owner`). */
  readonly fields: ReadonlySet<string>;
  /**
   * Key fields: `owner` and the string or string-list fields the rule compares with `eq`, `in` or
   * `contains`, which record keys index (rules/keys.ts).
   */
  readonly keyFields: ReadonlySet<string>;
};

type ValueType = 'string' | 'number' | 'boolean' | 'list';
type Bind = (claims: Claims) => Predicate;

const FIELD_OPERATORS = ['eq', 'ne', 'in', 'lt', 'lte', 'gt', 'gte', 'contains'] as const;
const CLAIM_OPERATORS = ['eq', 'ne', 'in', 'contains'] as const;
const SCALAR_CLAIMS = new Set(['userId', 'username', 'role']);
const CMP = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

function valueTypeOf(node: FieldNode): ValueType | undefined {
  switch (node.kind) {
    case 'string':
    case 'enum':
    case 'dateTime':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return node.items.kind === 'string' || node.items.kind === 'enum' ? 'list' : undefined;
    default:
      return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

function own(value: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(value, key) ? value[key] : undefined;
}

interface Walk {
  readonly collection: AnyCollection;
  readonly options: CompileOptions;
  readonly fields: Set<string>;
  readonly keys: Set<string>;
  nodes: number;
}

function checkLiteral(value: unknown, type: ValueType, path: string): string | number | boolean {
  if (type === 'string' && typeof value === 'string') {
    if (value.length > RULE_LIMITS.maxStringLength) throw new RuleError('string constant too long', path);
    return value;
  }
  if (type === 'number' && typeof value === 'number' && Number.isFinite(value)) return value;
  if (type === 'boolean' && typeof value === 'boolean') return value;
  throw new RuleError(`expected a ${type} constant`, path);
}

/**
 * A constant for `node`: of its value type and, when the options ask for it, for a date-time or an
 * enum field a value the field could hold (a record with any other would be refused).
 */
function fieldLiteral(
  w: Walk,
  node: FieldNode | undefined,
  value: unknown,
  type: ValueType,
  path: string,
): string | number | boolean {
  const literal = checkLiteral(value, type, path);
  if (w.options.fieldValues !== true) return literal;
  if (node?.kind === 'dateTime' && !isDateTime(literal as string)) {
    throw new RuleError('expected an RFC 3339 date-time constant (e.g. 2030-01-20T08:30:00Z)', path);
  }
  if (node?.kind === 'enum' && !node.valueSet.has(literal as string)) {
    throw new RuleError('expected one of the values of the field', path);
  }
  return literal;
}

function claimRef(value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined;
  const keys = Object.keys(value);
  const claim = own(value, 'claim');
  if (keys.length !== 1 || typeof claim !== 'string') return undefined;
  return claim;
}

function scalarClaim(claims: Claims, name: string): string {
  return name === 'userId' ? claims.userId : name === 'username' ? claims.username : claims.role;
}

function onlyOperator(value: Record<string, unknown>, allowed: readonly string[], path: string): string {
  const present = Object.keys(value).filter((k) => k !== 'field' && k !== 'claim');
  if (present.length !== 1) throw new RuleError('a condition needs exactly one operator', path);
  const op = present[0] as string;
  if (!allowed.includes(op)) throw new RuleError(`unknown operator "${op.slice(0, 40)}"`, path);
  return op;
}

function fieldCondition(w: Walk, rule: Record<string, unknown>, path: string): Bind {
  const name = own(rule, 'field');
  if (typeof name !== 'string') throw new RuleError('field must be a string', `${path}.field`);
  let target: Target;
  let type: ValueType;
  let node: FieldNode | undefined;
  if (name === 'owner') {
    target = { kind: 'owner' };
    type = 'string';
  } else {
    node = w.collection.node.fields.get(name);
    if (node === undefined) throw new RuleError(`no field "${name.slice(0, 64)}"`, `${path}.field`);
    if (node.cls === 'serverOnly' && !w.options.serverOnly) {
      throw new RuleError(`field "${name}" is serverOnly and cannot be filtered on`, `${path}.field`);
    }
    const t = valueTypeOf(node);
    if (t === undefined) {
      throw new RuleError(`field "${name}" is not a string, number, boolean or string list`, `${path}.field`);
    }
    type = t;
    target = { kind: 'field', name, type };
    w.fields.add(name);
  }
  const op = onlyOperator(rule, FIELD_OPERATORS, path);
  const operand = own(rule, op);
  const at = `${path}.${op}`;
  if ((type === 'string' && (op === 'eq' || op === 'in')) || op === 'contains') {
    w.keys.add(name);
  }
  const claim = claimRef(operand);
  if (claim !== undefined && !w.options.claims) throw new RuleError('claims cannot be used here', at);
  if (claim !== undefined && !SCALAR_CLAIMS.has(claim) && claim !== 'teams') {
    throw new RuleError(`unknown claim "${claim.slice(0, 40)}"`, at);
  }
  switch (op) {
    case 'eq':
    case 'ne': {
      if (type === 'list') throw new RuleError('use contains on a list field', at);
      let bind: Bind;
      if (operand === null) bind = () => ({ k: 'null', target });
      else if (claim !== undefined) {
        if (claim === 'teams') throw new RuleError('teams is a list: use in', at);
        if (type !== 'string') throw new RuleError('a claim is a string; the field is not', at);
        bind = (c) => ({ k: 'eq', target, value: scalarClaim(c, claim) });
      } else {
        const value = fieldLiteral(w, node, operand, type, at);
        bind = () => ({ k: 'eq', target, value });
      }
      return op === 'eq' ? bind : (c) => ({ k: 'not', of: bind(c) });
    }
    case 'in': {
      if (type === 'list') throw new RuleError('use contains on a list field', at);
      if (claim !== undefined) {
        if (claim !== 'teams')
          throw new RuleError('in takes a list: a list of constants or the teams claim', at);
        if (type !== 'string') throw new RuleError('teams are strings; the field is not', at);
        return (c) => ({ k: 'in', target, values: [...c.teams] });
      }
      if (!Array.isArray(operand)) throw new RuleError('in takes a list', at);
      if (operand.length > RULE_LIMITS.maxListLength) throw new RuleError('list too long', at);
      const values = operand.map((v, i) => fieldLiteral(w, node, v, type, `${at}[${i}]`));
      return () => ({ k: 'in', target, values });
    }
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      if (type !== 'number') throw new RuleError(`${op} compares numbers; the field is not one`, at);
      const value = checkLiteral(operand, 'number', at) as number;
      return () => ({ k: 'cmp', target, op: CMP[op], value });
    }
    default: {
      if (type !== 'list') throw new RuleError('contains applies to a list of strings', at);
      if (claim !== undefined) {
        if (claim === 'teams') throw new RuleError('contains takes one value, not the teams list', at);
        return (c) => ({ k: 'has', target, value: scalarClaim(c, claim) });
      }
      const items = node?.kind === 'array' ? node.items : undefined;
      const value = fieldLiteral(w, items, operand, 'string', at) as string;
      return () => ({ k: 'has', target, value });
    }
  }
}

function claimCondition(w: Walk, rule: Record<string, unknown>, path: string): Bind {
  if (!w.options.claims) throw new RuleError('claims cannot be used here', path);
  const claim = own(rule, 'claim');
  if (typeof claim !== 'string' || (!SCALAR_CLAIMS.has(claim) && claim !== 'teams')) {
    throw new RuleError('unknown claim', `${path}.claim`);
  }
  const op = onlyOperator(rule, CLAIM_OPERATORS, path);
  const operand = own(rule, op);
  const at = `${path}.${op}`;
  const constant =
    (test: (c: Claims) => boolean): Bind =>
    (c) => ({ k: 'const', value: test(c) });
  if (claim === 'teams') {
    if (op === 'contains') {
      const team = checkLiteral(operand, 'string', at);
      return constant((c) => c.teams.includes(team as string));
    }
    if (op === 'in') {
      if (!Array.isArray(operand) || operand.length > RULE_LIMITS.maxListLength) {
        throw new RuleError('in takes a list of team names', at);
      }
      const names = operand.map((v, i) => checkLiteral(v, 'string', `${at}[${i}]`) as string);
      return constant((c) => c.teams.some((t) => names.includes(t)));
    }
    throw new RuleError('teams takes contains or in', at);
  }
  if (op === 'contains') throw new RuleError(`${claim} is one value: use eq or in`, at);
  if (op === 'in') {
    if (!Array.isArray(operand) || operand.length > RULE_LIMITS.maxListLength) {
      throw new RuleError('in takes a list of strings', at);
    }
    const values = operand.map((v, i) => checkLiteral(v, 'string', `${at}[${i}]`) as string);
    return constant((c) => values.includes(scalarClaim(c, claim)));
  }
  const value = checkLiteral(operand, 'string', at) as string;
  return op === 'eq'
    ? constant((c) => scalarClaim(c, claim) === value)
    : constant((c) => scalarClaim(c, claim) !== value);
}

function walk(w: Walk, rule: unknown, path: string, depth: number): Bind {
  w.nodes += 1;
  if (w.nodes > RULE_LIMITS.maxNodes) throw new RuleError('rule too large', path);
  if (depth > RULE_LIMITS.maxDepth) throw new RuleError('rule nested too deeply', path);
  if (typeof rule === 'boolean') return () => ({ k: 'const', value: rule });
  if (!isPlainObject(rule)) throw new RuleError('a rule is true, false or an object', path);
  for (const combinator of ['all', 'any'] as const) {
    if (Object.hasOwn(rule, combinator)) {
      if (Object.keys(rule).length !== 1) throw new RuleError(`${combinator} stands alone`, path);
      const list = rule[combinator];
      if (!Array.isArray(list)) throw new RuleError(`${combinator} takes a list of rules`, path);
      const parts = list.map((r, i) => walk(w, r, `${path}.${combinator}[${i}]`, depth + 1));
      const k = combinator === 'all' ? 'and' : 'or';
      return (c) => ({ k, of: parts.map((p) => p(c)) });
    }
  }
  if (Object.hasOwn(rule, 'not')) {
    if (Object.keys(rule).length !== 1) throw new RuleError('not stands alone', path);
    const inner = walk(w, rule.not, `${path}.not`, depth + 1);
    return (c) => ({ k: 'not', of: inner(c) });
  }
  if (Object.hasOwn(rule, 'field')) return fieldCondition(w, rule, path);
  if (Object.hasOwn(rule, 'claim')) return claimCondition(w, rule, path);
  throw new RuleError('expected all, any, not, field or claim', path);
}

/**
 * Checks `rule` against `collection` and returns its binder. Throws {@link RuleError} with the
 * path of the first problem.
 *
 * @example
 * ```ts
 * const read = compileRule({ field: 'owner', eq: { claim: 'userId' } }, notes, 'notes.read');
 * read({ userId: 'u1', username: 'a', role: 'user', teams: [] }); // { k: 'eq', target: owner, value: 'u1' }
 * ```
 */
export function compileRule(
  rule: Rule | unknown,
  collection: AnyCollection,
  path: string,
  options: CompileOptions = { claims: true, serverOnly: true },
): CompiledRule {
  const w: Walk = { collection, options, fields: new Set(), keys: new Set(), nodes: 0 };
  const bind = walk(w, rule, path, 0);
  const compiled = (claims: Claims) => simplify(bind(claims));
  return Object.assign(compiled, {
    fields: w.fields as ReadonlySet<string>,
    keyFields: w.keys as ReadonlySet<string>,
  });
}
