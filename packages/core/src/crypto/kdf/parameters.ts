/**
 * Passcode KDF parameters, their floors and their ceilings. The floors are the OWASP Password
 * Storage minimums (PBKDF2-HMAC-SHA256: 600,000 iterations; Argon2id: m = 19 MiB, t = 2, p = 1).
 * A caller may raise them, never lower them. Parameters read from a stored blob are checked here
 * before anything is derived: below a floor is `kdf_too_weak` (no silent downgrade), above a
 * ceiling or malformed is `crypto_parameters` (no denial of service). docs/crypto.md explains.
 */
import { CryptoParameterError, KdfTooWeakError } from '../errors.js';
import {
  ARGON2ID_MAX_ITERATIONS,
  ARGON2ID_MAX_MEMORY_KIB,
  ARGON2ID_MAX_PARALLELISM,
  PBKDF2_MAX_ITERATIONS,
  SALT_MAX_BYTES,
  SALT_MIN_BYTES,
} from '../lib/kdf-limits.js';

/**
 * PBKDF2-HMAC-SHA256 parameters.
 *
 * @example
 * ```ts
 * const kdf: Pbkdf2Parameters = { kind: 'pbkdf2', iterations: 600_000, salt: randomBytes(16) };
 * ```
 */
export interface Pbkdf2Parameters {
  readonly kind: 'pbkdf2';
  readonly iterations: number;
  readonly salt: Uint8Array<ArrayBuffer>;
}

/**
 * Argon2id (version 0x13) parameters; memory in KiB.
 *
 * @example
 * ```ts
 * const kdf: Argon2idParameters = { kind: 'argon2id', memoryKiB: 19_456, iterations: 2, parallelism: 1, salt: randomBytes(16) };
 * ```
 */
export interface Argon2idParameters {
  readonly kind: 'argon2id';
  readonly memoryKiB: number;
  readonly iterations: number;
  readonly parallelism: number;
  readonly salt: Uint8Array<ArrayBuffer>;
}

/**
 * Parameters of one passcode key derivation.
 *
 * @example
 * ```ts
 * const kdf: PasscodeKdfParameters = { kind: 'pbkdf2', iterations: 600_000, salt };
 * ```
 */
export type PasscodeKdfParameters = Pbkdf2Parameters | Argon2idParameters;

/**
 * The weakest parameters accepted when deriving or unwrapping.
 *
 * @example
 * ```ts
 * const floors: KdfFloors = { ...MINIMUM_KDF_FLOORS, pbkdf2Iterations: 1_000_000 };
 * ```
 */
export interface KdfFloors {
  readonly pbkdf2Iterations: number;
  readonly argon2idMemoryKiB: number;
  readonly argon2idIterations: number;
  readonly argon2idParallelism: number;
}

/**
 * The built-in floors (OWASP minimums); configured floors may only be higher.
 *
 * @example
 * ```ts
 * console.log(MINIMUM_KDF_FLOORS.pbkdf2Iterations); // 600000
 * ```
 */
export const MINIMUM_KDF_FLOORS: KdfFloors = Object.freeze({
  pbkdf2Iterations: 600_000,
  argon2idMemoryKiB: 19_456,
  argon2idIterations: 2,
  argon2idParallelism: 1,
});

const CEILINGS: KdfFloors = {
  pbkdf2Iterations: PBKDF2_MAX_ITERATIONS,
  argon2idMemoryKiB: ARGON2ID_MAX_MEMORY_KIB,
  argon2idIterations: ARGON2ID_MAX_ITERATIONS,
  argon2idParallelism: ARGON2ID_MAX_PARALLELISM,
};

/**
 * Merges configured floors over the minimums; refuses any floor below its minimum or above its
 * ceiling with a `CryptoParameterError`.
 *
 * @example
 * ```ts
 * const floors = resolveKdfFloors({ pbkdf2Iterations: 1_000_000 });
 * ```
 */
export function resolveKdfFloors(configured: Partial<KdfFloors> = {}): KdfFloors {
  const floors = { ...MINIMUM_KDF_FLOORS, ...configured };
  for (const name of Object.keys(MINIMUM_KDF_FLOORS) as Array<keyof KdfFloors>) {
    const value = floors[name];
    if (!Number.isSafeInteger(value) || value < MINIMUM_KDF_FLOORS[name] || value > CEILINGS[name]) {
      throw new CryptoParameterError(
        `KDF floor ${name} must be an integer from ${MINIMUM_KDF_FLOORS[name]} to ${CEILINGS[name]}`,
      );
    }
  }
  return floors;
}

function checkInteger(value: number, max: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new CryptoParameterError(`${what} must be an integer from 0 to ${max}`);
  }
}

function checkFloor(value: number, floor: number, what: string): void {
  if (value < floor) throw new KdfTooWeakError(`${what} ${value} is below the floor of ${floor}`);
}

/**
 * Refuses parameters that are malformed or absurdly large (`crypto_parameters`) or weaker than
 * `floors` (`kdf_too_weak`). Derives nothing.
 *
 * @example
 * ```ts
 * checkKdfParameters({ kind: 'pbkdf2', iterations: 100_000, salt }, resolveKdfFloors()); // throws kdf_too_weak
 * ```
 */
export function checkKdfParameters(params: PasscodeKdfParameters, floors: KdfFloors): void {
  if (!(params.salt instanceof Uint8Array) || params.salt.length > SALT_MAX_BYTES) {
    throw new CryptoParameterError(`KDF salt must be at most ${SALT_MAX_BYTES} bytes`);
  }
  if (params.kind === 'pbkdf2') {
    checkInteger(params.iterations, CEILINGS.pbkdf2Iterations, 'PBKDF2 iterations');
    checkFloor(params.iterations, floors.pbkdf2Iterations, 'PBKDF2 iterations');
  } else if (params.kind === 'argon2id') {
    checkInteger(params.memoryKiB, CEILINGS.argon2idMemoryKiB, 'Argon2id memory (KiB)');
    checkInteger(params.iterations, CEILINGS.argon2idIterations, 'Argon2id iterations');
    checkInteger(params.parallelism, CEILINGS.argon2idParallelism, 'Argon2id parallelism');
    checkFloor(params.memoryKiB, floors.argon2idMemoryKiB, 'Argon2id memory (KiB)');
    checkFloor(params.iterations, floors.argon2idIterations, 'Argon2id iterations');
    checkFloor(params.parallelism, floors.argon2idParallelism, 'Argon2id parallelism');
    // RFC 9106: memory must be at least 8 KiB per lane.
    if (params.memoryKiB < 8 * params.parallelism) {
      throw new CryptoParameterError('Argon2id memory must be at least 8 KiB per lane');
    }
  } else {
    throw new CryptoParameterError('unknown passcode KDF');
  }
  if (params.salt.length < SALT_MIN_BYTES) {
    throw new KdfTooWeakError(
      `KDF salt of ${params.salt.length} bytes is below the floor of ${SALT_MIN_BYTES}`,
    );
  }
}
