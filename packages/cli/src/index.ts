/** @bulwark/cli: the `bulwark` command as a library (used by tests and by embedding tools). */
export { buildProgram, run } from './program.js';
