/**
 * What `bulwark pins` does once its arguments are parsed: fetch the chain, recommend pins, print
 * or emit. Loaded only when the command runs, so that other commands start without it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { BulwarkError } from '@bulwark/core/errors';
import { type FetchChainOptions, fetchChain } from './chain.js';
import { emitAndroid } from './emit/android.js';
import { emitSdk } from './emit/sdk.js';
import { PINS_EXIT, PinsConnectError, PinsInputError, PinsUntrustedError } from './errors.js';
import { normalisePin, pinOfKeyFile } from './keys.js';
import { isoDay, type PinRecommendation, recommendPins } from './recommend.js';
import { parseTarget } from './target.js';

/** The parsed flags of `bulwark pins`. */
export interface PinsFlags {
  emit?: 'android' | 'ios' | 'sdk';
  out?: string;
  format: 'table' | 'json';
  ca: string[];
  insecure?: boolean;
  /** Emit even a pin-set whose expiration is not in the future. */
  force?: boolean;
  backupKey: string[];
  backupPin: string[];
  expires?: string;
  timeout: number;
}

function parseDay(value: string): Date {
  const date = new Date(`${value}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(date.getTime()) || isoDay(date) !== value) {
    throw new PinsInputError(`--expires ${value}: expected a date as YYYY-MM-DD.`);
  }
  return date;
}

async function readCa(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    try {
      const pem = await readFile(path, 'utf8');
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate');
      out.push(pem);
    } catch (err) {
      throw new PinsInputError(`--ca ${path}: not a readable PEM certificate file.`, { cause: err });
    }
  }
  return out;
}

/**
 * Runs `bulwark pins` and sets `process.exitCode` (0 done, 3 bad input, 4 network or TLS, 70 internal).
 *
 * @example
 * ```ts
 * await runPins('api.example.com', { format: 'table', ca: [], backupKey: [], backupPin: [], timeout: 10_000 });
 * ```
 */
export async function runPins(target: string, flags: PinsFlags): Promise<void> {
  try {
    const { host, port } = parseTarget(target);
    const expires = flags.expires === undefined ? undefined : parseDay(flags.expires);
    const spares = [
      ...flags.backupPin.map(normalisePin),
      ...(await Promise.all(flags.backupKey.map((k) => pinOfKeyFile(k)))),
    ];
    const options: FetchChainOptions = { host, port, timeoutMs: flags.timeout };
    if (flags.ca.length > 0) options.ca = await readCa(flags.ca);
    if (flags.insecure === true) options.insecure = true;
    const chain = await fetchChain(options);
    if (!chain.verified) {
      process.stderr.write(
        `bulwark pins: WARNING: the chain did not verify (${chain.verifyError ?? 'unknown'}); these pins may be an interceptor's.\n`,
      );
    }
    let rec: PinRecommendation | undefined;
    let noRecommendation: string | undefined;
    try {
      rec = recommendPins(host, chain.certificates, spares, new Date(), expires);
    } catch (err) {
      // Listing the chain is still useful without a recommendation; emitting a config is not.
      if (!(err instanceof PinsInputError) || flags.emit !== undefined) throw err;
      noRecommendation = err.message;
    }
    if (chain.ignored.length > 0) {
      process.stderr.write(
        `bulwark pins: warning: ${chain.ignored.map((c) => c.subject).join('; ')}: sent or matched by name, but signs nothing in the chain (a misconfigured server, or an interceptor presenting a real CA certificate); not shown as part of the chain and never pinned.\n`,
      );
    }
    for (const w of rec?.warnings ?? []) process.stderr.write(`bulwark pins: warning: ${w}\n`);
    if (flags.emit !== undefined && rec !== undefined) {
      // iOS pins carry no expiration; Android and SDK pin-sets past theirs are ignored on arrival.
      if (flags.emit !== 'ios' && rec.expires.getTime() <= Date.now() && flags.force !== true) {
        throw new PinsInputError(
          `the pin-set expiration ${isoDay(rec.expires)} is not in the future: apps would ignore these pins. Pass a later --expires (and renew the certificates it outlives), or --force to write it anyway.`,
        );
      }
      // The iOS emitter (and its plist library) loads only when asked for, to keep start-up short.
      const text =
        flags.emit === 'android'
          ? emitAndroid(rec)
          : flags.emit === 'ios'
            ? (await import('./emit/ios.js')).emitIos(rec)
            : emitSdk(rec);
      if (flags.out === undefined) process.stdout.write(text);
      else {
        const out = flags.out;
        await writeFile(out, text).catch((err: unknown) => {
          throw new PinsInputError(`${out}: cannot be written.`, { cause: err });
        });
        process.stderr.write(`bulwark pins: wrote ${flags.emit} config to ${out}\n`);
      }
      process.exitCode = PINS_EXIT.ok;
      return;
    }
    if (flags.format === 'json') {
      const certificates = chain.certificates.map(({ pem: _pem, ...c }) => c);
      const ignored = chain.ignored.map(({ pem: _pem, ...c }) => c);
      process.stdout.write(
        `${JSON.stringify(
          {
            host,
            port,
            verified: chain.verified,
            certificates,
            ignored,
            recommendation:
              rec === undefined
                ? { error: noRecommendation }
                : { primary: rec.primary, backup: rec.backup, expires: rec.expires.toISOString() },
          },
          null,
          2,
        )}\n`,
      );
    } else {
      const lines = [`${host}:${port} (${chain.verified ? 'verified' : 'NOT verified'})`, ''];
      chain.certificates.forEach((c, i) => {
        lines.push(`#${i} ${c.subject}`);
        lines.push(`   issuer:  ${c.issuer}`);
        lines.push(`   expires: ${c.validTo.toISOString()}   key: ${c.keyType}${c.isCA ? '   CA' : ''}`);
        lines.push(`   pin:     sha256/${c.pin}`);
      });
      if (chain.ignored.length > 0) {
        lines.push('', 'Not in the chain (no verified signature links them to the leaf; never pinned):');
        for (const c of chain.ignored) lines.push(`   ${c.subject}   sha256/${c.pin}`);
      }
      if (rec === undefined) {
        lines.push('', `No recommendation: ${noRecommendation ?? ''}`);
      } else {
        lines.push('', 'Recommended pin-set:');
        for (const p of rec.primary) lines.push(`  primary  sha256/${p.pin}  (${p.role}: ${p.label})`);
        for (const p of rec.backup) lines.push(`  backup   sha256/${p.pin}  (${p.role}: ${p.label})`);
        lines.push(`  expires  ${isoDay(rec.expires)}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    process.exitCode = PINS_EXIT.ok;
  } catch (err) {
    if (err instanceof PinsConnectError || err instanceof PinsUntrustedError) {
      process.stderr.write(`bulwark pins: ${err.message} [${err.code}]\n`);
      process.exitCode = PINS_EXIT.network;
    } else if (err instanceof BulwarkError) {
      process.stderr.write(`bulwark pins: ${err.message} [${err.code}]\n`);
      process.exitCode = PINS_EXIT.badInput;
    } else {
      const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      process.stderr.write(`bulwark pins: internal error (${what}); please report it.\n`);
      process.exitCode = PINS_EXIT.internal;
    }
  }
}
