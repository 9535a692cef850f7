/** Errors of the rule language. */
import { BulwarkError } from '@bulwark/core';

/**
 * A rule in the configuration is malformed (unknown field, wrong operator for the field's type,
 * literal of the wrong type); `path` says where, e.g. `inspections.read.any[1].field`.
 *
 * @example
 * ```ts
 * try { compileRule(rule, collection, 'inspections.read'); } catch (e) { if (e instanceof RuleError) console.error(e.path); }
 * ```
 */
export class RuleError extends BulwarkError<'rule_invalid'> {
  readonly path: string;
  constructor(message: string, path: string) {
    super('rule_invalid', `${path}: ${message}`);
    this.path = path;
  }
}
