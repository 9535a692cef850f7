/** @bulwark/cli: the `bulwark` command as a library (used by tests and by embedding tools). */

export * from './audit/index.js';
export * from './pins/index.js';
export { buildProgram, run } from './program.js';
