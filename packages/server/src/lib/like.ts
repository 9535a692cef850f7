/**
 * Substring search with SQL LIKE that treats the searched text literally: `%` and `_` typed by
 * an admin match themselves, not any text. The text is always a bound parameter.
 */
import { type RawBuilder, sql } from 'kysely';

/**
 * LIKE pattern that matches `needle` anywhere, `!` being the escape character.
 *
 * @example
 * ```ts
 * containsPattern('50%_off'); // '%50!%!_off%'
 * ```
 */
export function containsPattern(needle: string): string {
  return `%${needle.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/**
 * `<expression> LIKE '%needle%' ESCAPE '!'`, on SQLite and PostgreSQL alike. Callers lower-case
 * both sides for a case-insensitive search.
 *
 * @example
 * ```ts
 * query.where(likeContains(sql.ref('users.username_key'), 'ann'));
 * ```
 */
export function likeContains(
  expression: RawBuilder<unknown> | ReturnType<typeof sql.ref>,
  needle: string,
): RawBuilder<boolean> {
  return sql<boolean>`${expression} like ${containsPattern(needle)} escape '!'`;
}
