/**
 * The `bulwark` command line: one sub-command a file under `commands/`, registered here.
 */
import { Command, CommanderError } from 'commander';
import { registerAdmin } from './commands/admin.js';
import { registerAudit } from './commands/audit.js';
import { registerEvents } from './commands/events.js';
import { registerPins } from './commands/pins.js';
import { registerServe } from './commands/serve.js';
import { VERSION } from './version.js';

/**
 * Builds the `bulwark` program with every sub-command registered.
 *
 * @example
 * ```ts
 * const program = buildProgram();
 * await program.parseAsync(['node', 'bulwark', 'serve', '--port', '8443']);
 * ```
 */
export function buildProgram(): Command {
  const program = new Command('bulwark')
    .description('Bulwark: secure the data of mobile apps on the device, on the wire and at the backend.')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerEvents(program);
  registerAudit(program);
  registerPins(program);
  registerAdmin(program);
  return program;
}

/**
 * Runs the program on `argv` and returns the process exit code. Usage errors exit with 2.
 *
 * @example
 * ```ts
 * process.exitCode = await run(process.argv);
 * ```
 */
export async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with exit code 0; usage errors have been printed by commander.
      return err.exitCode === 0 ? 0 : 2;
    }
    throw err;
  }
}
