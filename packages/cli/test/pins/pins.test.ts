/**
 * `bulwark pins` against local TLS servers (loopback only) whose certificates openssl made in a
 * temp dir: a test root CA → intermediate CA → an RSA leaf and an ECDSA leaf. Every pin must equal
 * what the openssl pipeline of the issue computes; the emitted Android, iOS and SDK configs must
 * carry those pins; an unverified chain, a wrong host name, a closed port and bad input must fail
 * with their exit codes. An interceptor whose root CA copies the intermediate's subject and key
 * identifier, and which appends the real intermediate to its leaf, must not get that
 * intermediate listed in the chain or recommended.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { parse as parsePlist } from 'plist';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseXmlText } from '../../src/audit/lib/xml-text.js';
import { checkNetworkSecurityConfig, checkPinCoverage } from '../../src/audit/rules/android.js';
import { runCli } from '../lib/run-cli.js';

let dir: string;
const servers: Server[] = [];
let rsaPort: number;
let ecPort: number;
let selfSignedPort: number;
let wrongNamePort: number;
let spoofPort: number;

function sh(script: string): string {
  return execFileSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8' });
}

/** The pipeline from the issue. */
function opensslPin(certFile: string): string {
  return sh(
    `openssl x509 -in ${certFile} -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`,
  ).trim();
}

async function serve(host: string, key: string, cert: string): Promise<number> {
  const server = createServer(
    { key: await readFile(join(dir, key)), cert: await readFile(join(dir, cert)) },
    (socket) => socket.end(),
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bulwark-pins-'));
  await writeFile(
    join(dir, 'ca.ext'),
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  );
  await writeFile(
    join(dir, 'leaf.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nauthorityKeyIdentifier=keyid\n',
  );
  sh(`set -e
openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -days 30 -subj "/CN=Bulwark Test Root" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj "/CN=Bulwark Test Intermediate" 2>/dev/null
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -out int.pem -days 20 -extfile ca.ext 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr -subj "/CN=rsa.bulwark.test" 2>/dev/null
openssl x509 -req -in rsa.csr -CA int.pem -CAkey int.key -CAcreateserial -out rsa.pem -days 10 -extfile leaf.ext 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out ec.key
openssl req -new -key ec.key -out ec.csr -subj "/CN=ec.bulwark.test" 2>/dev/null
openssl x509 -req -in ec.csr -CA int.pem -CAkey int.key -CAcreateserial -out ec.pem -days 10 -extfile leaf.ext 2>/dev/null
cat rsa.pem int.pem > rsa-chain.pem
cat ec.pem int.pem > ec-chain.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key -out self.pem -days 10 -subj "/CN=self.bulwark.test" -addext subjectAltName=IP:127.0.0.1 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out spare.key
openssl pkey -in spare.key -pubout -out spare.pub.pem
SKI=$(openssl x509 -in int.pem -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' ')
openssl req -x509 -newkey rsa:2048 -nodes -keyout evil.key -out evil.pem -days 10 -subj "/CN=Bulwark Test Intermediate" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -addext "subjectKeyIdentifier=$SKI" -addext authorityKeyIdentifier=none 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out evil-leaf.key
openssl req -new -key evil-leaf.key -out evil-leaf.csr -subj "/CN=rsa.bulwark.test" 2>/dev/null
openssl x509 -req -in evil-leaf.csr -CA evil.pem -CAkey evil.key -CAcreateserial -out evil-leaf.pem -days 10 -extfile leaf.ext 2>/dev/null
cat evil-leaf.pem int.pem > spoof-chain.pem
`);
  rsaPort = await serve('127.0.0.1', 'rsa.key', 'rsa-chain.pem');
  ecPort = await serve('127.0.0.1', 'ec.key', 'ec-chain.pem');
  selfSignedPort = await serve('127.0.0.1', 'self.key', 'self.pem');
  wrongNamePort = await serve('127.0.0.2', 'rsa.key', 'rsa-chain.pem');
  // The interception: the attacker's leaf, then the real intermediate's public certificate.
  spoofPort = await serve('127.0.0.1', 'evil-leaf.key', 'spoof-chain.pem');
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  process.exitCode = undefined;
});

/** `bulwark pins <args…>` in-process. */
const cli = (...args: string[]) => runCli('pins', ...args);

interface ChainJson {
  verified: boolean;
  certificates: { subject: string; keyType: string; pin: string; isCA: boolean; validTo: string }[];
  ignored: { subject: string; pin: string }[];
  recommendation: {
    primary: { pin: string }[];
    backup: { pin: string; role: string }[];
    expires: string;
    error?: string;
  };
}

describe.each([
  { name: 'RSA', port: () => rsaPort, leaf: 'rsa.pem', keyType: 'RSA 2048' },
  { name: 'ECDSA', port: () => ecPort, leaf: 'ec.pem', keyType: 'EC P-256' },
])('$name leaf', ({ port, leaf, keyType }) => {
  it('prints pins equal to the openssl pipeline for every certificate of the chain', async () => {
    const { code, stdout } = await cli(
      `127.0.0.1:${port()}`,
      '--ca',
      join(dir, 'root.pem'),
      '--format',
      'json',
    );
    expect(code).toBe(0);
    const chain = JSON.parse(stdout) as ChainJson;
    expect(chain.verified).toBe(true);
    expect(chain.certificates.map((c) => c.pin)).toEqual([
      opensslPin(leaf),
      opensslPin('int.pem'),
      opensslPin('root.pem'),
    ]);
    expect(chain.certificates[0]?.keyType).toBe(keyType);
    expect(chain.certificates[1]?.keyType).toBe('RSA 2048');
    expect(chain.certificates.map((c) => c.isCA)).toEqual([false, true, true]);
    expect(chain.recommendation.primary.map((p) => p.pin)).toEqual([opensslPin(leaf)]);
    expect(chain.recommendation.backup.map((p) => p.pin)).toEqual([opensslPin('int.pem')]);
    // Root keys are never recommended.
    expect(JSON.stringify(chain.recommendation)).not.toContain(opensslPin('root.pem'));
  });

  it('the table shows subject, issuer, expiry, key type and the sha256/ pin', async () => {
    const { code, stdout } = await cli(`127.0.0.1:${port()}`, '--ca', join(dir, 'root.pem'));
    expect(code).toBe(0);
    expect(stdout).toContain('issuer:  CN=Bulwark Test Intermediate');
    expect(stdout).toContain(`key: ${keyType}`);
    expect(stdout).toContain(`pin:     sha256/${opensslPin(leaf)}`);
    expect(stdout).toMatch(/primary {2}sha256\/\S+ {2}\(leaf/);
    expect(stdout).toMatch(/backup {3}sha256\/\S+ {2}\(intermediate/);
  });

  it('--emit android writes a pin-set the audit accepts for that host', async () => {
    const out = join(dir, `nsc-${leaf}.xml`);
    const { code } = await cli(
      `127.0.0.1:${port()}`,
      '--ca',
      join(dir, 'root.pem'),
      '--emit',
      'android',
      '--out',
      out,
    );
    expect(code).toBe(0);
    const xml = await readFile(out, 'utf8');
    const root = parseXmlText(xml);
    const pins = root.children[0]?.children.find((c) => c.name === 'pin-set');
    expect(pins?.children.map((p) => p.text)).toEqual([opensslPin(leaf), opensslPin('int.pem')]);
    const leafExpiry = sh(`openssl x509 -in ${leaf} -noout -enddate`).trim().slice('notAfter='.length);
    expect(pins?.attributes.expiration).toBe(new Date(leafExpiry).toISOString().slice(0, 10));
    expect(checkNetworkSecurityConfig(root, 'nsc.xml', new Date())).toEqual([]);
    expect(checkPinCoverage([{ file: 'nsc.xml', root }], ['127.0.0.1'], 'AndroidManifest.xml')).toEqual([]);
  });
});

describe('emitters', () => {
  it('--emit ios refuses without a spare key, and pins leaf + spare keys with one', async () => {
    const refused = await cli(`127.0.0.1:${ecPort}`, '--ca', join(dir, 'root.pem'), '--emit', 'ios');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('[pins_invalid_input]');
    expect(refused.stderr).toContain('--backup-key');
    expect(refused.stdout).toBe('');

    const leaf = await cli(
      `127.0.0.1:${ecPort}`,
      '--ca',
      join(dir, 'root.pem'),
      '--emit',
      'ios',
      '--backup-key',
      join(dir, 'spare.pub.pem'),
    );
    expect(leaf.code).toBe(0);
    const spare = sh(
      'openssl pkey -pubin -in spare.pub.pem -outform der | openssl dgst -sha256 -binary | base64',
    ).trim();
    const plist = parsePlist(leaf.stdout) as {
      NSAppTransportSecurity: { NSPinnedDomains: Record<string, Record<string, unknown>> };
    };
    const domain = plist.NSAppTransportSecurity.NSPinnedDomains['127.0.0.1'];
    expect(domain?.NSPinnedLeafIdentities).toEqual([
      { 'SPKI-SHA256-BASE64': opensslPin('ec.pem') },
      { 'SPKI-SHA256-BASE64': spare },
    ]);
    // Both lists present would require a match in each: the CA list is left out.
    expect(domain?.NSPinnedCAIdentities).toBeUndefined();
  });

  it('--emit sdk writes { host, pins, backupPins, expires }', async () => {
    const spare = sh(
      'openssl pkey -in spare.key -pubout -outform der | openssl dgst -sha256 -binary | base64',
    ).trim();
    const { code, stdout } = await cli(
      `127.0.0.1:${rsaPort}`,
      '--ca',
      join(dir, 'root.pem'),
      '--emit',
      'sdk',
      '--backup-key',
      join(dir, 'spare.key'),
      '--expires',
      '2031-02-03',
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      host: '127.0.0.1',
      pins: [`sha256/${opensslPin('rsa.pem')}`],
      backupPins: [`sha256/${opensslPin('int.pem')}`, `sha256/${spare}`],
      expires: '2031-02-03T00:00:00.000Z',
    });
  });

  it('refuses to emit without any possible backup pin, and accepts a --backup-pin', async () => {
    const refused = await cli(`127.0.0.1:${selfSignedPort}`, '--ca', join(dir, 'self.pem'), '--emit', 'sdk');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('no backup pin possible');
    expect(refused.stdout).toBe('');
    // Listing the chain still works, without a recommendation.
    const listed = await cli(`127.0.0.1:${selfSignedPort}`, '--ca', join(dir, 'self.pem'));
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`pin:     sha256/${opensslPin('self.pem')}`);
    expect(listed.stdout).toContain('No recommendation: ');
    const pin = 'fwza0LRMXouZHRC8Ei+4PyuldPDcf3UKgO/04cDM1oE=';
    const ok = await cli(
      `127.0.0.1:${selfSignedPort}`,
      '--ca',
      join(dir, 'self.pem'),
      '--emit',
      'sdk',
      '--backup-pin',
      `sha256/${pin}`,
    );
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      pins: [`sha256/${opensslPin('self.pem')}`],
      backupPins: [`sha256/${pin}`],
    });
  });
});

describe('failures', () => {
  it('an unverified chain is refused (exit 4) unless --insecure, which warns', async () => {
    const refused = await cli(`127.0.0.1:${rsaPort}`, '--emit', 'sdk');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('[pins_untrusted_chain]');
    expect(refused.stdout).toBe('');
    const insecure = await cli(`127.0.0.1:${rsaPort}`, '--insecure', '--format', 'json');
    expect(insecure.code).toBe(0);
    expect(insecure.stderr).toContain('WARNING: the chain did not verify');
    expect((JSON.parse(insecure.stdout) as ChainJson).verified).toBe(false);
  });

  it('a certificate for another name is refused (exit 4)', async () => {
    const { code, stderr } = await cli(`127.0.0.2:${wrongNamePort}`, '--ca', join(dir, 'root.pem'));
    expect(code).toBe(4);
    expect(stderr).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('a closed port is a connection failure (exit 4)', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const { code, stderr } = await cli(`127.0.0.1:${port}`);
    expect(code).toBe(4);
    expect(stderr).toContain('[pins_connect_failed]');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('bad input exits 3 with a message', async () => {
    for (const args of [
      ['127.0.0.1:99999'],
      ['::1'],
      ['bad host!'],
      [`127.0.0.1:${rsaPort}`, '--backup-pin', 'not-a-pin'],
      [`127.0.0.1:${rsaPort}`, '--expires', '2030-02-30'],
      [`127.0.0.1:${rsaPort}`, '--backup-key', join(dir, 'missing.pem')],
      [`127.0.0.1:${rsaPort}`, '--ca', join(dir, 'ca.ext')],
    ]) {
      const { code, stderr } = await cli(...args);
      expect(code, args.join(' ')).toBe(3);
      expect(stderr).toContain('[pins_invalid_input]');
    }
  });
});

describe('defects found from outside', () => {
  it('an interceptor appending the real intermediate gets neither it listed in the chain nor pinned', async () => {
    // The device (here: the machine running the command) trusts the interceptor's root.
    const trust = ['--ca', join(dir, 'root.pem'), '--ca', join(dir, 'evil.pem')];
    const listed = await cli(`127.0.0.1:${spoofPort}`, ...trust, '--format', 'json');
    expect(listed.code).toBe(0);
    const chain = JSON.parse(listed.stdout) as ChainJson;
    expect(chain.verified).toBe(true);
    // The chain as signed: the attacker's leaf, then the attacker's root that signed it.
    expect(chain.certificates.map((c) => c.pin)).toEqual([
      opensslPin('evil-leaf.pem'),
      opensslPin('evil.pem'),
    ]);
    // Node listed the real intermediate (and the real root above it) by name: set apart.
    expect(chain.ignored.map((c) => c.pin)).toEqual([opensslPin('int.pem'), opensslPin('root.pem')]);
    expect(chain.recommendation.error).toContain('no backup pin possible');
    expect(listed.stderr).toContain('signs nothing in the chain');

    const table = await cli(`127.0.0.1:${spoofPort}`, ...trust);
    expect(table.code).toBe(0);
    expect(table.stdout).not.toContain(`pin:     sha256/${opensslPin('int.pem')}`);
    expect(table.stdout).toContain('Not in the chain');

    for (const emit of ['sdk', 'android']) {
      const emitted = await cli(`127.0.0.1:${spoofPort}`, ...trust, '--emit', emit);
      expect(emitted.code, emit).toBe(3);
      expect(emitted.stdout, emit).toBe('');
    }
  });

  it('takes an https:// URL as the target, and names the scheme it refuses', async () => {
    const { code, stdout } = await cli(
      `https://127.0.0.1:${rsaPort}/api/v1`,
      '--ca',
      join(dir, 'root.pem'),
      '--format',
      'json',
    );
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as ChainJson).certificates[0]?.pin).toBe(opensslPin('rsa.pem'));
    const upper = await cli(`HTTPS://127.0.0.1:${rsaPort}`, '--ca', join(dir, 'root.pem'));
    expect(upper.code).toBe(0);
    for (const target of [`file://${join(dir, 'rsa.pem')}`, `http://127.0.0.1:${rsaPort}`]) {
      const refused = await cli(target);
      expect(refused.code, target).toBe(3);
      expect(refused.stderr, target).toContain('connects to TLS servers');
      expect(refused.stderr, target).not.toContain('must be an integer');
    }
  });

  it('refuses to emit a pin-set that has already expired, unless --force', async () => {
    const args = [`127.0.0.1:${rsaPort}`, '--ca', join(dir, 'root.pem'), '--expires', '2020-01-01'];
    for (const emit of ['sdk', 'android']) {
      const refused = await cli(...args, '--emit', emit);
      expect(refused.code, emit).toBe(3);
      expect(refused.stderr, emit).toContain('2020-01-01 is not in the future');
      expect(refused.stdout, emit).toBe('');
    }
    const forced = await cli(...args, '--emit', 'sdk', '--force');
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ expires: '2020-01-01T00:00:00.000Z' });
    expect(forced.stderr).toContain('not in the future');
    // Listing is not emitting: it still works, with the warning.
    const listed = await cli(...args);
    expect(listed.code).toBe(0);
  });
});
