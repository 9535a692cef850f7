#!/usr/bin/env node
/**
 * Runs the `audit` sub-command exactly as `bulwark audit` does (same Commander registration, flags
 * and output), but in a program that registers only that command, so the benchmark can show the
 * audit's own start-up apart from the start-up of the other sub-commands the full CLI loads.
 */
import { Command } from 'commander';
import { registerAudit } from '../../packages/cli/dist/commands/audit.js';

const program = new Command('bulwark').exitOverride();
registerAudit(program);
try {
  await program.parseAsync(process.argv);
} catch {
  process.exitCode = 2;
}
