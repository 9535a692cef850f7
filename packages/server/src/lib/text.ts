/**
 * Which characters names, versions and searches may hold. Two levels: what no stored text may
 * hold (control characters, and unpaired surrogates, which UTF-8 cannot encode so each database
 * would store something else than was sent), and what a username may not hold on top of that
 * (invisible formatting characters, which let one name be displayed exactly like another).
 */

/**
 * A JSON-schema `pattern` (Ajv compiles it with the `u` flag) for text without C0 or C1 control
 * characters, DEL, or unpaired surrogates.
 */
export const NO_CONTROL_CHARACTERS = '^[^\\u0000-\\u001f\\u007f-\\u009f\\p{Cs}]*$';

/**
 * Characters refused in usernames: the {@link NO_CONTROL_CHARACTERS} set, line and paragraph
 * separators, and invisible formatting characters: zero-width space, bidirectional embeddings,
 * overrides and isolates, word joiner and invisible operators, the byte-order mark and the
 * interlinear annotation marks. `gina` and `gina` + U+200B, or a name reversed by U+202E, would
 * otherwise be two accounts that read the same in the console and the event log. Zero-width
 * joiner and non-joiner (U+200C, U+200D) stay allowed: some scripts and emoji sequences need them.
 */
const NOT_IN_USERNAMES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
  /[\u0000-\u001f\u007f-\u009f\p{Cs}\u200b\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]/u;

/**
 * Whether `username` holds a character a username may not hold (see above).
 *
 * @example
 * ```ts
 * hasForbiddenUsernameCharacter('gina'); // false
 * hasForbiddenUsernameCharacter('gina\u200b'); // true
 * ```
 */
export function hasForbiddenUsernameCharacter(username: string): boolean {
  return NOT_IN_USERNAMES.test(username);
}
