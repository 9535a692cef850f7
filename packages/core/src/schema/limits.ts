/**
 * Limits and defaults of the schema DSL and the validator. They are part of the contract with
 * app developers (see docs/schema.md, "Limits and defaults"): changing one is a breaking change.
 */

/**
 * Longest string (in Unicode code points) a field accepts when it declares no `maxLength`.
 *
 * @example
 * ```ts
 * t.string(); // accepts up to DEFAULT_STRING_MAX_LENGTH code points
 * ```
 */
export const DEFAULT_STRING_MAX_LENGTH = 4096;

/**
 * Largest `maxLength` a string field may declare. Bounds memory per value on every tier.
 *
 * @example
 * ```ts
 * t.string({ maxLength: MAX_STRING_MAX_LENGTH }); // the largest allowed
 * ```
 */
export const MAX_STRING_MAX_LENGTH = 1_000_000;

/**
 * Largest `maxLength` of a string field that has a `pattern`. Patterns pass a ReDoS analysis at
 * declaration time; this cap bounds the work of any pattern the analysis could have misjudged.
 *
 * @example
 * ```ts
 * t.string({ maxLength: MAX_PATTERN_INPUT_LENGTH, pattern: /[a-z]+/ });
 * ```
 */
export const MAX_PATTERN_INPUT_LENGTH = 10_000;

/**
 * Most items an array accepts when it declares no `maxItems`.
 *
 * @example
 * ```ts
 * t.array(t.string()); // accepts up to DEFAULT_ARRAY_MAX_ITEMS items
 * ```
 */
export const DEFAULT_ARRAY_MAX_ITEMS = 1000;

/**
 * Largest `maxItems` an array field may declare.
 *
 * @example
 * ```ts
 * t.array(t.integer(), { maxItems: MAX_ARRAY_MAX_ITEMS });
 * ```
 */
export const MAX_ARRAY_MAX_ITEMS = 100_000;

/**
 * Most values an enum may declare.
 *
 * @example
 * ```ts
 * if (codes.length > MAX_ENUM_VALUES) throw new Error('use a string field');
 * ```
 */
export const MAX_ENUM_VALUES = 1000;

/**
 * Longest enum value (UTF-16 code units).
 *
 * @example
 * ```ts
 * const ok = value.length <= MAX_ENUM_VALUE_LENGTH;
 * ```
 */
export const MAX_ENUM_VALUE_LENGTH = 256;

/**
 * Most fields one object (or a collection) may declare.
 *
 * @example
 * ```ts
 * if (Object.keys(fields).length > MAX_FIELDS_PER_OBJECT) splitIntoTwoCollections();
 * ```
 */
export const MAX_FIELDS_PER_OBJECT = 256;

/**
 * Deepest nesting of arrays and objects in a declaration (a collection's own fields are level 1).
 * The validator only ever recurses along the declaration, so this also bounds its recursion.
 *
 * @example
 * ```ts
 * // t.object({ a: t.object({ b: t.array(...) }) }) uses 3 of MAX_DECLARATION_DEPTH levels
 * ```
 */
export const MAX_DECLARATION_DEPTH = 8;

/**
 * Longest collection or field name (PostgreSQL truncates identifiers beyond 63 bytes).
 *
 * @example
 * ```ts
 * const ok = fieldName.length <= MAX_IDENTIFIER_LENGTH;
 * ```
 */
export const MAX_IDENTIFIER_LENGTH = 63;

/**
 * Longest description attached to a field or collection.
 *
 * @example
 * ```ts
 * t.string().describe('Name of the site as shown on the map');
 * ```
 */
export const MAX_DESCRIPTION_LENGTH = 1000;

/**
 * Issues reported by one validation before it stops with `too_many_issues`, unless overridden.
 *
 * @example
 * ```ts
 * validate(inspections, body); // lists at most DEFAULT_MAX_ISSUES issues
 * ```
 */
export const DEFAULT_MAX_ISSUES = 100;

/**
 * Upper bound of the `maxIssues` option.
 *
 * @example
 * ```ts
 * validate(inspections, body, { maxIssues: MAX_MAX_ISSUES });
 * ```
 */
export const MAX_MAX_ISSUES = 1000;

/**
 * Longest key (UTF-16 code units) echoed in an issue path; longer unknown keys are cut.
 *
 * @example
 * ```ts
 * // an unknown key of 5,000 characters is reported cut to MAX_REPORTED_KEY_LENGTH + '…'
 * ```
 */
export const MAX_REPORTED_KEY_LENGTH = 128;
