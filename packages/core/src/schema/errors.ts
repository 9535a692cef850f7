/**
 * The schema's error classes: a broken declaration (thrown when the app starts, never at request
 * time) and a failed validation for callers that prefer throwing to a result object.
 */
import { BulwarkError } from '../errors.js';
import type { Issue } from './issues.js';

/**
 * A collection or field declaration is invalid: unsafe name, contradictory classes, limits out of
 * range, a pattern that fails the ReDoS analysis. Thrown at declaration time with the path of the
 * offending field, so a broken schema stops the app from starting instead of failing later.
 *
 * @example
 * ```ts
 * try {
 *   collection('notes', { fields: { constructor: t.string() } });
 * } catch (err) {
 *   if (err instanceof SchemaDefinitionError) console.error(err.path, err.message);
 * }
 * ```
 */
export class SchemaDefinitionError extends BulwarkError<'schema_definition_invalid'> {
  /** Where in the declaration the problem is, e.g. `inspections.findings[].note`; empty if unknown. */
  readonly path: string;

  constructor(message: string, path = '', options?: { cause?: unknown }) {
    super('schema_definition_invalid', path === '' ? message : `${path}: ${message}`, options);
    this.path = path;
  }
}

/**
 * A value failed validation. Carries every issue (path, pointer and stable reason code); the
 * message names no value, so it is safe to log.
 *
 * @example
 * ```ts
 * try {
 *   const record = assertValid(inspections, body, { mode: 'create', source: 'device' });
 * } catch (err) {
 *   if (err instanceof ValidationError) reply.code(422).send({ code: err.code, issues: err.issues });
 * }
 * ```
 */
export class ValidationError extends BulwarkError<'validation_failed'> {
  /** Every problem found, each with a stable reason code. */
  readonly issues: readonly Issue[];

  constructor(collection: string, issues: readonly Issue[]) {
    super('validation_failed', `invalid ${collection} record: ${issues.length} issue(s)`);
    this.issues = issues;
  }
}
