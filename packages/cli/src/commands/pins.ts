/**
 * `bulwark pins <host[:port]>`: print the server's chain with the SPKI pin of each certificate,
 * recommend what to pin, and emit the Android, iOS or SDK configuration. Exit codes: 0 done,
 * 2 usage error, 3 bad input (target, key file, date, no backup possible, an expired pin-set,
 * an iOS block without a spare key), 4 network or TLS
 * failure (including a chain that does not verify), 70 internal error.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { PinsFlags } from '../pins/run.js';

const collect = (value: string, previous: string[]) => [...previous, value];

function parseTimeout(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100 || n > 120_000)
    throw new InvalidArgumentError('milliseconds from 100 to 120000.');
  return n;
}

/**
 * Registers `pins` on the program.
 *
 * @example
 * ```ts
 * registerPins(program); // bulwark pins api.example.com --emit android -o network_security_config.xml
 * ```
 */
export function registerPins(program: Command): void {
  program
    .command('pins')
    .description(
      'Show the SPKI pins of a TLS server and emit pinning configs for Android, iOS or the Bulwark SDK.',
    )
    .argument('<target>', 'host[:port] or https://host[:port] (port 443 by default; IPv6 as [::1]:8443)')
    .addOption(new Option('--emit <platform>', 'write a pinning config').choices(['android', 'ios', 'sdk']))
    .option('-o, --out <file>', 'write the emitted config to a file instead of stdout')
    .addOption(
      new Option('-f, --format <format>', 'chain listing format').choices(['table', 'json']).default('table'),
    )
    .option(
      '--ca <file>',
      'extra trusted CA certificates (PEM), e.g. a private CA, added to the default CAs (repeatable)',
      collect,
      [],
    )
    .option(
      '--insecure',
      'do not verify the chain (pins of whatever the server sends: never for production configs)',
    )
    .option(
      '--backup-key <file>',
      'spare key (certificate, public or private key, PEM or DER) to add as a backup pin (repeatable)',
      collect,
      [],
    )
    .option(
      '--backup-pin <pin>',
      'spare pin (base64 SPKI-SHA256, optional sha256/ prefix) (repeatable)',
      collect,
      [],
    )
    .option(
      '--expires <date>',
      'pin-set expiration YYYY-MM-DD (default: earliest expiry of the pinned certificates)',
    )
    .option('--force', 'emit even when the pin-set expiration is not in the future')
    .option('--timeout <ms>', 'connection and handshake timeout', parseTimeout, 10_000)
    .action(async (target: string, flags: PinsFlags) => {
      // The TLS, X.509 and emitter modules load only when the command runs.
      const { runPins } = await import('../pins/run.js');
      await runPins(target, flags);
    });
}
