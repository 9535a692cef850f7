/**
 * Upper bounds on key-derivation work. Parameters come from stored blobs that an attacker may
 * edit, so absurd values are refused before any work starts instead of freezing or crashing the
 * app (docs/crypto.md, "Passcode key derivation").
 */

/** PBKDF2: about 16 times the floor; several seconds on a phone. */
export const PBKDF2_MAX_ITERATIONS = 10_000_000;
/** Argon2id memory: 1 GiB, in KiB; more does not fit a mobile WebView. */
export const ARGON2ID_MAX_MEMORY_KIB = 1_048_576;
/** Argon2id passes. */
export const ARGON2ID_MAX_ITERATIONS = 64;
/** Argon2id lanes. */
export const ARGON2ID_MAX_PARALLELISM = 16;
/** Salt length bounds, in bytes. */
export const SALT_MIN_BYTES = 16;
export const SALT_MAX_BYTES = 64;
