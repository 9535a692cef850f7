/** RFC 6901 JSON pointers, and the cut applied to attacker-chosen keys before they are echoed. */
import { MAX_REPORTED_KEY_LENGTH } from '../limits.js';

/** Formats a path as a JSON pointer: `~` becomes `~0`, `/` becomes `~1`. */
export function toPointer(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    out += `/${typeof segment === 'number' ? segment : segment.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  }
  return out;
}

/**
 * Shortens an unknown key so a client cannot make the server echo megabytes back in an error.
 * Never splits a surrogate pair, so the result stays well-formed.
 */
export function reportableKey(key: string): string {
  if (key.length <= MAX_REPORTED_KEY_LENGTH) return key;
  let end = MAX_REPORTED_KEY_LENGTH;
  const last = key.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${key.slice(0, end)}…`;
}
