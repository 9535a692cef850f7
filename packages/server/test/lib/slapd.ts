/**
 * A private OpenLDAP `slapd` for the LDAP suites: a temporary folder, free loopback ports, TLS
 * with a CA made in the test (LDAPS and StartTLS), an mdb database seeded through ldapts, and
 * stopped afterwards. The binary comes from BULWARK_SLAPD (`scripts/services.sh`); without it the
 * suite fails under CI=true and is skipped, with the reason, on a developer's machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { freePort } from '../../../../test-support/ports.js';
import { createTestCa } from './test-ca.js';

/** The slapd binary, when the environment provides one. */
export const SLAPD = process.env.BULWARK_SLAPD;
const inCi = process.env.CI === 'true' || process.env.CI === '1';
const MODULES = process.env.BULWARK_SLAPD_MODULES ?? '/usr/lib/ldap';
const SCHEMAS = process.env.BULWARK_SLAPD_SCHEMAS ?? '/etc/ldap/schema';

/** Whether the LDAP suites run here; throws in CI when slapd is missing (never a silent skip). */
export function slapdAvailable(): boolean {
  if (SLAPD !== undefined && SLAPD.length > 0) return true;
  if (inCi)
    throw new Error('BULWARK_SLAPD is not set: the LDAP suites need slapd (source scripts/services.sh)');
  return false;
}

/** A running slapd. */
export interface TestSlapd {
  readonly suffix: string;
  readonly rootDn: string;
  readonly rootPassword: string;
  readonly ldapUrl: string;
  readonly ldapsUrl: string;
  readonly caPem: string;
  /** Adds entries as the root DN (over LDAPS). */
  add(entries: readonly { dn: string; attributes: Record<string, string | string[]> }[]): Promise<void>;
  /** Replaces attributes of an entry. */
  modify(dn: string, attributes: Record<string, string | string[]>): Promise<void>;
  stop(): Promise<void>;
}

/** Starts slapd with suffix `dc=example,dc=test` and the base OUs `people`, `groups`, `services`. */
export async function startSlapd(): Promise<TestSlapd> {
  if (SLAPD === undefined) throw new Error('BULWARK_SLAPD is not set');
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-slapd-'));
  const ca = await createTestCa('Bulwark slapd test CA');
  const leaf = await ca.issue(['localhost', '127.0.0.1']);
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);
  writeFileSync(join(dir, 'server.pem'), leaf.certPem);
  writeFileSync(join(dir, 'server.key'), leaf.keyPem, { mode: 0o600 });
  mkdirSync(join(dir, 'db'));
  const suffix = 'dc=example,dc=test';
  const rootDn = `cn=admin,${suffix}`;
  const rootPassword = 'slapd-root-secret';
  writeFileSync(
    join(dir, 'slapd.conf'),
    [
      `include ${SCHEMAS}/core.schema`,
      `include ${SCHEMAS}/cosine.schema`,
      `include ${SCHEMAS}/inetorgperson.schema`,
      `include ${SCHEMAS}/nis.schema`,
      `modulepath ${MODULES}`,
      'moduleload back_mdb',
      `pidfile ${join(dir, 'slapd.pid')}`,
      `TLSCACertificateFile ${join(dir, 'ca.pem')}`,
      `TLSCertificateFile ${join(dir, 'server.pem')}`,
      `TLSCertificateKeyFile ${join(dir, 'server.key')}`,
      'database mdb',
      'maxsize 67108864',
      `suffix "${suffix}"`,
      `rootdn "${rootDn}"`,
      `rootpw ${rootPassword}`,
      `directory ${join(dir, 'db')}`,
      'access to attrs=userPassword by anonymous auth by * none',
      'access to * by users read by * none',
      '',
    ].join('\n'),
  );
  const [ldapPort, ldapsPort] = [await freePort(), await freePort()];
  const ldapUrl = `ldap://127.0.0.1:${ldapPort}`;
  const ldapsUrl = `ldaps://127.0.0.1:${ldapsPort}`;
  const child: ChildProcess = spawn(
    SLAPD,
    ['-f', join(dir, 'slapd.conf'), '-h', `${ldapUrl}/ ${ldapsUrl}/`, '-d', '0'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const tlsOptions = { ca: [ca.certPem] };
  const root = async <T>(fn: (c: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ url: ldapsUrl, tlsOptions, timeout: 5000, connectTimeout: 5000 });
    try {
      await client.bind(rootDn, rootPassword);
      return await fn(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited) throw new Error(`slapd exited at start: ${stderr.slice(0, 2000)}`);
    try {
      await root(async () => undefined);
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGTERM');
        throw new Error(`slapd did not start: ${String(err)} ${stderr.slice(0, 2000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const slapd: TestSlapd = {
    suffix,
    rootDn,
    rootPassword,
    ldapUrl,
    ldapsUrl,
    caPem: ca.certPem,
    async add(entries) {
      await root(async (c) => {
        for (const e of entries) await c.add(e.dn, e.attributes);
      });
    },
    async modify(dn, attributes) {
      const { Attribute, Change } = await import('ldapts');
      await root(async (c) => {
        for (const [type, v] of Object.entries(attributes)) {
          await c.modify(
            dn,
            new Change({
              operation: 'replace',
              modification: new Attribute({ type, values: Array.isArray(v) ? v : [v] }),
            }),
          );
        }
      });
    },
    async stop() {
      if (!exited) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await slapd.add([
    { dn: suffix, attributes: { objectClass: ['dcObject', 'organization'], dc: 'example', o: 'Example' } },
    { dn: `ou=people,${suffix}`, attributes: { objectClass: 'organizationalUnit', ou: 'people' } },
    { dn: `ou=groups,${suffix}`, attributes: { objectClass: 'organizationalUnit', ou: 'groups' } },
    { dn: `ou=services,${suffix}`, attributes: { objectClass: 'organizationalUnit', ou: 'services' } },
  ]);
  return slapd;
}
