/**
 * `bulwark events verify`: checks the hash chain of the security event log (every entry's hash,
 * the links, the numbering and the stored head) and exits 1 when anything was edited, inserted
 * or deleted. It prints the head hash: record it elsewhere and give it back with `--anchor` to
 * detect a cut tail or a rewrite of the chain whose head was set to match.
 */
import type { Command } from 'commander';
import { type DatabaseFlags, withServerDatabase } from './server-database.js';

interface VerifyFlags extends DatabaseFlags {
  json?: boolean;
  anchor: string[];
}

const ANCHOR = /^[0-9a-f]{64}$/;

/** Registers `events` and its `verify` sub-command on the program. */
export function registerEvents(program: Command): void {
  const events = program.command('events').description('Security event log.');
  events
    .command('verify')
    .description('Verify the hash chain of the security event log; exit 1 if it was tampered with.')
    .option('-d, --data-dir <path>', 'folder of the embedded database', '.bulwark')
    .option('--database-url <url>', 'PostgreSQL database instead (default $BULWARK_DATABASE_URL)')
    .option('--json', 'print the report as JSON')
    .option(
      '--anchor <hash>',
      'a head hash recorded earlier (repeatable): it must still be in the chain, else the log was cut or rewritten',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .action(async (flags: VerifyFlags) => {
      const bad = flags.anchor.find((anchor) => !ANCHOR.test(anchor));
      if (bad !== undefined) {
        process.stderr.write(
          `bulwark events verify: an anchor is a head hash, 64 lower-case hex digits: ${bad.slice(0, 80)}\n`,
        );
        process.exitCode = 2;
        return;
      }
      await withServerDatabase('bulwark events verify', flags, async (database) => {
        const { verifyEventChain } = await import('@bulwark/server');
        const report = await verifyEventChain(database.db, 1000, flags.anchor);
        if (flags.json === true) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        } else if (report.ok) {
          process.stdout.write(
            `OK: ${report.entries} events, chain intact.\nhead: seq ${report.headSeq} hash ${report.headHash}\n`,
          );
          if (flags.anchor.length > 0) process.stdout.write(`anchors: ${flags.anchor.length} in the chain\n`);
        } else {
          process.stdout.write(
            `TAMPERED: ${report.problems.length} problem(s) in ${report.entries} events.\n`,
          );
          for (const p of report.problems.slice(0, 50)) {
            const anchor = p.anchor === undefined ? '' : ` (anchor ${p.anchor} is not in the chain)`;
            process.stdout.write(`  seq ${p.seq}: ${p.reason}${anchor}\n`);
          }
        }
        process.exitCode = report.ok ? 0 : 1;
      });
    });
}
