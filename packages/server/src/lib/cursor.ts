/**
 * Opaque page cursors of the admin lists: the sort key of the last item of a page, as base64url
 * JSON tagged with the list it belongs to. A cursor is not a secret and not signed: it only
 * positions a keyset query, so a forged one can do no more than pick another starting point.
 * A malformed cursor, or one of another list, is refused with 400 `invalid_cursor`; its text parts
 * are printable ASCII (ids), so nothing a database cannot hold reaches a query.
 */
import { HttpProblem } from '../http/problem.js';

/** One part of a sort key. */
export type CursorPart = string | number;

/**
 * Encodes the sort key `key` of list `kind`.
 *
 * @example
 * ```ts
 * const next = encodeCursor('users', [1767225600000, 'b3c…']);
 * ```
 */
export function encodeCursor(kind: string, key: readonly CursorPart[]): string {
  return Buffer.from(JSON.stringify({ k: kind, v: key }), 'utf8').toString('base64url');
}

const invalid = () =>
  new HttpProblem(
    400,
    'invalid_cursor',
    'The cursor is not one this list returned; start from the first page.',
  );

/**
 * Decodes a cursor of list `kind` whose key has the part types of `shape`; throws 400
 * `invalid_cursor` otherwise.
 *
 * @example
 * ```ts
 * const [createdAt, id] = decodeCursor('users', cursor, ['number', 'string']);
 * ```
 */
export function decodeCursor(
  kind: string,
  cursor: string,
  shape: readonly ('string' | 'number')[],
): CursorPart[] {
  if (cursor.length > 400 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const body = parsed as { k?: unknown; v?: unknown } | null;
  if (typeof body !== 'object' || body === null || body.k !== kind || !Array.isArray(body.v)) throw invalid();
  const key = body.v as unknown[];
  if (key.length !== shape.length) throw invalid();
  key.forEach((part, i) => {
    const ok =
      shape[i] === 'number'
        ? typeof part === 'number' && Number.isSafeInteger(part) && part >= 0
        : typeof part === 'string' && /^[\x20-\x7e]{0,64}$/.test(part);
    if (!ok) throw invalid();
  });
  return key as CursorPart[];
}
