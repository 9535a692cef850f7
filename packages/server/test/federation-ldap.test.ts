/**
 * LDAP / Active Directory sign-in against a real OpenLDAP slapd (test/lib/slapd.ts) on both
 * database dialects: LDAPS and StartTLS, right and wrong passwords, a disabled account, groups
 * mapped to role and teams, LDAP-injection attempts, throttling, identical answers for an
 * unknown user and a wrong password, refusal of an untrusted certificate and of unsafe configs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LdapProviderOptions } from '../src/identity/federation/config.js';
import { resolveFederationConfig } from '../src/identity/federation/config.js';
import { federationDb } from '../src/identity/federation/tables.js';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, startTestServer, TestDevice, type TestServer } from './lib/harness.js';
import { slapdAvailable, startSlapd, type TestSlapd } from './lib/slapd.js';
import { createTestCa } from './lib/test-ca.js';

const RUN = slapdAvailable();
const SUFFIX = 'dc=example,dc=test';
const SERVICE_DN = `cn=bulwark,ou=services,${SUFFIX}`;
const SERVICE_PASSWORD = 'service-account-secret';
const ADMINS = `cn=admins,ou=groups,${SUFFIX}`;
const NORTH = `cn=field-north,ou=groups,${SUFFIX}`;
const ODD_NAME = 'o(b)*\\x';

let slapd: TestSlapd;

function person(uid: string, password: string, extra: Record<string, string> = {}) {
  return {
    dn: `uid=${uid.replace(/[\\,+"<>;=#]/g, (c) => `\\${c}`)},ou=people,${SUFFIX}`,
    attributes: {
      objectClass: ['inetOrgPerson'],
      uid,
      cn: uid,
      sn: uid,
      userPassword: password,
      ...extra,
    },
  };
}

function provider(overrides: Partial<LdapProviderOptions> = {}): LdapProviderOptions {
  return {
    kind: 'ldap',
    id: 'corp',
    url: slapd.ldapsUrl,
    tls: { ca: slapd.caPem },
    bindDn: SERVICE_DN,
    bindPassword: SERVICE_PASSWORD,
    userBaseDn: `ou=people,${SUFFIX}`,
    groupSearch: { baseDn: `ou=groups,${SUFFIX}` },
    disabled: { attribute: 'employeeType', equals: 'disabled' },
    jit: true,
    mappings: [
      { claim: 'groups', equals: ADMINS, role: 'admin' },
      { claim: 'groups', equals: NORTH, team: 'north' },
    ],
    ...overrides,
  };
}

describe.runIf(RUN)('LDAP provider config', () => {
  const base = {
    kind: 'ldap' as const,
    id: 'corp',
    bindDn: 'cn=x',
    bindPassword: 'y',
    userBaseDn: 'dc=x',
  };
  it('refuses a plain bind on an unencrypted connection', () => {
    expect(() => resolveFederationConfig({ providers: [{ ...base, url: 'ldap://dc.example:389' }] })).toThrow(
      /plain ldap/,
    );
    // A configuration error like every other one, with its stable code.
    expect(() => resolveFederationConfig({ providers: [{ ...base, url: 'ldap://dc.example:389' }] })).toThrow(
      expect.objectContaining({ name: 'ConfigError', code: 'config_invalid' }),
    );
    expect(() =>
      resolveFederationConfig({ providers: [{ ...base, url: 'ldap://dc.example:389', startTls: false }] }),
    ).toThrow(/plain ldap/);
  });
  it('accepts LDAPS and StartTLS, and nothing that turns certificate checks off', () => {
    expect(
      resolveFederationConfig({ providers: [{ ...base, url: 'ldaps://dc.example' }] }).providers.size,
    ).toBe(1);
    expect(
      resolveFederationConfig({ providers: [{ ...base, url: 'ldap://dc.example', startTls: true }] })
        .providers.size,
    ).toBe(1);
    expect(() =>
      resolveFederationConfig({
        providers: [{ ...base, url: 'ldaps://dc.example', tls: { rejectUnauthorized: false } as never }],
      }),
    ).toThrow(/certificate checks/);
    expect(() =>
      resolveFederationConfig({ providers: [{ ...base, url: 'ldaps://dc.example', bindPassword: '' }] }),
    ).toThrow(/bindPassword/);
    expect(() =>
      resolveFederationConfig({
        providers: [
          { ...base, url: 'ldaps://a' },
          { ...base, url: 'ldaps://b' },
        ],
      }),
    ).toThrow(/used twice/);
  });
});

if (RUN) {
  beforeAll(async () => {
    slapd = await startSlapd();
    await slapd.add([
      {
        dn: SERVICE_DN,
        attributes: { objectClass: ['person'], cn: 'bulwark', sn: 'bulwark', userPassword: SERVICE_PASSWORD },
      },
      person('alice', PASSWORD, { mail: 'alice@example.test' }),
      person('carol', PASSWORD),
      person('dave', PASSWORD, { employeeType: 'disabled' }),
      person(ODD_NAME, PASSWORD),
      {
        dn: ADMINS,
        attributes: { objectClass: 'groupOfNames', cn: 'admins', member: [`uid=alice,ou=people,${SUFFIX}`] },
      },
      {
        dn: NORTH,
        attributes: {
          objectClass: 'groupOfNames',
          cn: 'field-north',
          member: [`uid=alice,ou=people,${SUFFIX}`, `uid=carol,ou=people,${SUFFIX}`],
        },
      },
    ]);
  });
  afterAll(async () => {
    await slapd?.stop();
  });
}

describeEachDialect('LDAP sign-in', (dialect) => {
  if (!RUN) {
    it.skip('needs BULWARK_SLAPD (source scripts/services.sh)', () => undefined);
    return;
  }
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, {
      federation: {
        providers: [
          provider(),
          provider({ id: 'corp-starttls', url: slapd.ldapUrl, startTls: true, issuer: 'ldap:corp' }),
          provider({ id: 'no-jit', jit: false, issuer: 'ldap:elsewhere' }),
        ],
      },
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  async function ldapLogin(device: TestDevice, username: string, password: string, id = 'corp', ip?: string) {
    return device.send('POST', `/auth/ldap/${id}/login`, {
      body: { username, password, device: device.declaration() },
      ...(ip === undefined ? {} : { ip }),
    });
  }

  it('signs in over LDAPS into a DPoP-bound session, provisioning the account with its groups', async () => {
    const device = await TestDevice.create(s);
    const res = await ldapLogin(device, 'alice', PASSWORD);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ tokenType: 'DPoP', user: { username: 'alice', role: 'admin' } });
    const me = await device.send('GET', '/me', { accessToken: body.accessToken });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ username: 'alice', role: 'admin', deviceId: device.id });
    const teams = await s.ctx.db
      .selectFrom('user_teams')
      .select('team')
      .where('user_id', '=', body.user.id)
      .execute();
    expect(teams.map((t) => t.team)).toEqual(['north']);
    const link = await federationDb(s.ctx.db)
      .selectFrom('federated_accounts')
      .selectAll()
      .where('user_id', '=', body.user.id)
      .executeTakeFirstOrThrow();
    expect(link.issuer).toBe('ldap:corp');
    expect(link.subject).toMatch(/^[0-9a-f-]{36}$/);
    // The session is an ordinary one: it refreshes, and signing out ends it.
    const refreshed = await device.send('POST', '/auth/refresh', {
      body: { refreshToken: body.refreshToken },
    });
    expect(refreshed.statusCode).toBe(200);
    const events = await s.ctx.events.list();
    const ok = events.filter((e) => e.type === 'login_succeeded').at(-1);
    expect(ok?.data).toMatchObject({ provider: 'corp' });
    expect(JSON.stringify(events)).not.toContain(PASSWORD);
  });

  it('signs in over StartTLS', async () => {
    const device = await TestDevice.create(s);
    const res = await ldapLogin(device, 'carol', PASSWORD, 'corp-starttls');
    expect(res.statusCode).toBe(200);
    expect(res.json().user).toMatchObject({ username: 'carol', role: 'user' });
  });

  it('answers an unknown user and a wrong password identically', async () => {
    const device = await TestDevice.create(s);
    const wrong = await ldapLogin(device, 'carol', 'not-her-password-at-all', 'corp', '198.51.100.1');
    const unknown = await ldapLogin(device, 'zoe-nobody', 'not-her-password-at-all', 'corp', '198.51.100.2');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(unknown.body).toBe(wrong.body);
    expect(wrong.json().code).toBe('invalid_credentials');
    const headersOf = (r: typeof wrong) =>
      Object.keys(r.headers)
        .filter((h) => h !== 'date' && h !== 'dpop-nonce')
        .sort()
        .map((h) => `${h}: ${h === 'content-length' ? '' : r.headers[h]}`);
    expect(headersOf(unknown)).toEqual(headersOf(wrong));
  });

  it('refuses a disabled account after a correct password only', async () => {
    const device = await TestDevice.create(s);
    const right = await ldapLogin(device, 'dave', PASSWORD, 'corp', '198.51.100.3');
    expect(right.statusCode).toBe(401);
    expect(right.json().code).toBe('account_disabled');
    const wrong = await ldapLogin(device, 'dave', 'a-wrong-password-here', 'corp', '198.51.100.3');
    expect(wrong.json().code).toBe('invalid_credentials');
    const users = await s.ctx.db
      .selectFrom('users')
      .select('id')
      .where('username_key', '=', 'dave')
      .execute();
    expect(users).toEqual([]);
  });

  it('maps groups at every sign-in: leaving the admins group drops the role', async () => {
    const device = await TestDevice.create(s);
    await slapd.modify(ADMINS, { member: [`uid=carol,ou=people,${SUFFIX}`] });
    try {
      // carol becomes an admin first: alice is then not the last one, whom a sign-in never demotes
      // (federation-last-admin.test.ts).
      const carol = await ldapLogin(await TestDevice.create(s), 'carol', PASSWORD);
      expect(carol.statusCode, carol.body).toBe(200);
      expect(carol.json().user.role).toBe('admin');
      const res = await ldapLogin(device, 'alice', PASSWORD);
      expect(res.statusCode).toBe(200);
      expect(res.json().user.role).toBe('user');
      const events = await s.ctx.events.list({ type: 'user_role_changed' });
      expect(events.map((e) => e.data)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ before: 'admin', after: 'user', provider: 'corp' }),
        ]),
      );
    } finally {
      await slapd.modify(ADMINS, { member: [`uid=alice,ou=people,${SUFFIX}`] });
    }
  });

  it('matches usernames literally: filter metacharacters cannot widen the search', async () => {
    const device = await TestDevice.create(s);
    for (const attempt of [
      '*',
      'a*',
      'alice)(uid=*',
      '*)(|(uid=*',
      'alice)(|(objectClass=*)',
      '\\2a',
      'alice\\29',
    ]) {
      const res = await ldapLogin(device, attempt, PASSWORD, 'corp', '198.51.100.4');
      expect(res.statusCode, attempt).toBe(401);
      expect(res.json().code, attempt).toBe('invalid_credentials');
    }
    const nul = await ldapLogin(device, 'alice\u0000', PASSWORD, 'corp', '198.51.100.4');
    expect(nul.statusCode).toBe(400);
    const empty = await ldapLogin(device, 'alice', '', 'corp', '198.51.100.4');
    expect(empty.statusCode).toBe(400);
    // A real name full of metacharacters signs in by that exact name.
    const odd = await ldapLogin(device, ODD_NAME, PASSWORD, 'corp', '198.51.100.5');
    expect(odd.statusCode).toBe(200);
    expect(odd.json().user.username).toBe(ODD_NAME);
  });

  it('throttles repeated failures like a local sign-in, the right password included', async () => {
    const device = await TestDevice.create(s);
    const ip = '203.0.113.77';
    const codes: string[] = [];
    for (let i = 0; i < 8; i += 1)
      codes.push((await ldapLogin(device, 'carol', `wrong-password-${i}`, 'corp', ip)).json().code);
    expect(codes.slice(0, 6)).toEqual(Array(6).fill('invalid_credentials'));
    expect(codes.slice(6)).toEqual(['login_throttled', 'login_throttled']);
    const blocked = await ldapLogin(device, 'carol', PASSWORD, 'corp', ip);
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Unknown users are counted the same way.
    const unknownCodes: string[] = [];
    for (let i = 0; i < 8; i += 1)
      unknownCodes.push((await ldapLogin(device, 'nobody', `wrong-${i}`, 'corp', ip)).json().code);
    expect(unknownCodes).toEqual(codes);
    s.clock.advance(3600);
    const later = await ldapLogin(device, 'carol', PASSWORD, 'corp', ip);
    expect(later.statusCode).toBe(200);
    // Refusals of one client on one account in a minute are one event: carol's three, nobody's two.
    const throttled = await s.ctx.events.list({ type: 'login_throttled' });
    expect(throttled).toHaveLength(2);
  });

  it('refuses an identity not linked to an account when the provider does not provision', async () => {
    const device = await TestDevice.create(s);
    const res = await ldapLogin(device, 'carol', PASSWORD, 'no-jit', '198.51.100.6');
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('federated_account_unknown');
  });

  it('ends the federated session when the device is revoked or the account disabled', async () => {
    const device = await TestDevice.create(s);
    const res = await ldapLogin(device, 'carol', PASSWORD, 'corp', '198.51.100.7');
    const body = res.json();
    await s.ctx.db
      .updateTable('users')
      .set({ disabled_at: s.clock.ms })
      .where('id', '=', body.user.id)
      .execute();
    const me = await device.send('GET', '/me', { accessToken: body.accessToken });
    expect(me.json().code).toBe('account_disabled');
    const again = await ldapLogin(device, 'carol', PASSWORD, 'corp', '198.51.100.7');
    expect(again.json().code).toBe('account_disabled');
    await s.ctx.db.updateTable('users').set({ disabled_at: null }).where('id', '=', body.user.id).execute();
  });
});

describe.runIf(RUN)('LDAP transport', () => {
  let s: TestServer;
  afterAll(async () => {
    await s?.close();
  });
  it('refuses a directory whose certificate the configured CA did not issue, and an unreachable one', async () => {
    const otherCa = await createTestCa('Another CA');
    s = await startTestServer('sqlite', {
      federation: {
        providers: [
          provider({ id: 'untrusted', tls: { ca: otherCa.certPem } }),
          provider({ id: 'down', url: 'ldaps://127.0.0.1:9', timeoutMs: 2000 }),
        ],
      },
    });
    for (const id of ['untrusted', 'down']) {
      const device = await TestDevice.create(s);
      const res = await device.send('POST', `/auth/ldap/${id}/login`, {
        body: { username: 'alice', password: PASSWORD, device: device.declaration() },
      });
      expect(res.statusCode, id).toBe(503);
      expect(res.json().code).toBe('identity_provider_unavailable');
      expect(res.body).not.toContain(SERVICE_PASSWORD);
    }
    const device = await TestDevice.create(s);
    const missing = await device.send('POST', '/auth/ldap/nope/login', {
      body: { username: 'alice', password: PASSWORD, device: device.declaration() },
    });
    expect(missing.json().code).toBe('provider_unknown');
  });
});
