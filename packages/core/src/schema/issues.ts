/**
 * Validation issues: the stable reason codes and the shape every tier reports them in. The codes
 * are an API (clients switch on them, the server sends them in problem+json); the full list with
 * meanings is in docs/schema.md, "Reason codes". Messages never quote the rejected value.
 */

/**
 * Every reason code the validator can report.
 *
 * @example
 * ```ts
 * if (issue.code === ReasonCode.Required) highlight(issue.pointer);
 * ```
 */
export const ReasonCode = {
  /** A required field is missing (mode `create`, or inside any nested object). */
  Required: 'required',
  /** The object has a key the declaration does not know. */
  UnknownField: 'unknown_field',
  /** The object has an own `__proto__`, `constructor` or `prototype` key. */
  ForbiddenKey: 'forbidden_key',
  /** The value has the wrong JSON type (or is not a plain object / array / primitive). */
  WrongType: 'wrong_type',
  /** A string is not well-formed Unicode (it holds a lone surrogate). */
  InvalidUnicode: 'invalid_unicode',
  /** A string has fewer code points than `minLength`. */
  TooShort: 'too_short',
  /** A string has more code points than its maximum (declared or default). */
  TooLong: 'too_long',
  /** A number is below `min`. */
  TooSmall: 'too_small',
  /** A number is above `max`. */
  TooLarge: 'too_large',
  /** A number is `NaN` or infinite. */
  NotFinite: 'not_finite',
  /** An integer field holds a fraction or a number outside the safe-integer range. */
  NotInteger: 'not_integer',
  /** A string does not match the field's pattern. */
  PatternMismatch: 'pattern_mismatch',
  /** A string is not one of the enum's values. */
  NotInEnum: 'not_in_enum',
  /** A string is not an RFC 3339 date-time with a time-zone offset. */
  InvalidDateTime: 'invalid_date_time',
  /** An array has fewer items than `minItems`. */
  TooFewItems: 'too_few_items',
  /** An array has more items than its maximum (declared or default). */
  TooManyItems: 'too_many_items',
  /** A device sent a field that is `serverOnly`. */
  ServerOnly: 'server_only',
  /** The input could not be read (a throwing getter or proxy); nothing else was checked. */
  Unreadable: 'unreadable',
  /** The issue cap was reached; validation stopped here and later problems are not listed. */
  TooManyIssues: 'too_many_issues',
} as const;

/**
 * One of the stable reason codes.
 *
 * @example
 * ```ts
 * function label(code: ReasonCode): string {
 *   return code === 'required' ? 'Required' : 'Invalid';
 * }
 * ```
 */
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

/**
 * One problem found by the validator.
 *
 * @example
 * ```ts
 * // { code: 'too_long', path: ['findings', 2, 'note'], pointer: '/findings/2/note',
 * //   message: 'must have at most 2000 characters', limit: 2000 }
 * for (const issue of result.issues) form.setError(issue.pointer, issue.code);
 * ```
 */
export interface Issue {
  /** Stable reason code. */
  readonly code: ReasonCode;
  /** Keys and array indexes from the record root to the offending value; `[]` is the record. */
  readonly path: readonly (string | number)[];
  /** The same path as an RFC 6901 JSON pointer (`''` is the record). */
  readonly pointer: string;
  /** A short English explanation; never contains the rejected value. */
  readonly message: string;
  /** The declared limit that was crossed, for the codes that have one. */
  readonly limit?: number;
}
