/**
 * A federated sign-in never leaves the system without an enabled admin: when a role mapping
 * would drop `admin` from the last one, the sign-in succeeds, the role is kept and
 * `user_role_kept` is logged — through a real oidc-provider and a real slapd, on both dialects,
 * and with two admins whose sign-ins drop the role at the same moment (one keeps it).
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { LdapProviderOptions, OidcProviderOptions } from '../src/identity/federation/config.js';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, startTestServer, TestDevice, type TestServer } from './lib/harness.js';
import { startTestOp, type TestOp } from './lib/oidc-op.js';
import { slapdAvailable, startSlapd, type TestSlapd } from './lib/slapd.js';

const APP_REDIRECT = 'com.example.bulwark:/oauth2redirect';
const SUFFIX = 'dc=example,dc=test';
const SERVICE_DN = `cn=bulwark,ou=services,${SUFFIX}`;
const SERVICE_PASSWORD = 'service-account-secret';
const ADMINS = `cn=admins,ou=groups,${SUFFIX}`;
const NOBODY = `uid=nobody,ou=people,${SUFFIX}`;
const dn = (uid: string) => `uid=${uid},ou=people,${SUFFIX}`;

// slapd is required in CI like every suite that uses it (test/lib/slapd.ts fails loudly there).
const RUN_LDAP = slapdAvailable();

let op: TestOp;
let slapd: TestSlapd | undefined;

beforeAll(async () => {
  op = await startTestOp();
  op.accounts.set('u-2001', { sub: 'u-2001', preferred_username: 'petra', groups: ['bulwark-admins'] });
  if (RUN_LDAP) {
    slapd = await startSlapd();
    const person = (uid: string) => ({
      dn: dn(uid),
      attributes: { objectClass: ['inetOrgPerson'], uid, cn: uid, sn: uid, userPassword: PASSWORD },
    });
    await slapd.add([
      {
        dn: SERVICE_DN,
        attributes: { objectClass: ['person'], cn: 'bulwark', sn: 'bulwark', userPassword: SERVICE_PASSWORD },
      },
      person('amy'),
      person('ben'),
      {
        dn: ADMINS,
        attributes: { objectClass: 'groupOfNames', cn: 'admins', member: [dn('amy'), dn('ben')] },
      },
    ]);
  }
});
afterAll(async () => {
  await op?.stop();
  await slapd?.stop();
});

function oidc(): OidcProviderOptions {
  return {
    kind: 'oidc',
    id: 'op',
    issuer: op.issuer,
    clientId: 'bulwark-mobile',
    redirectUris: [APP_REDIRECT],
    allowHttpLoopback: true,
    jit: true,
    mappings: [{ claim: 'groups', equals: 'bulwark-admins', role: 'admin' }],
  };
}

function ldap(ldaps: TestSlapd): LdapProviderOptions {
  return {
    kind: 'ldap',
    id: 'corp',
    url: ldaps.ldapsUrl,
    tls: { ca: ldaps.caPem },
    bindDn: SERVICE_DN,
    bindPassword: SERVICE_PASSWORD,
    userBaseDn: `ou=people,${SUFFIX}`,
    groupSearch: { baseDn: `ou=groups,${SUFFIX}` },
    jit: true,
    mappings: [{ claim: 'groups', equals: ADMINS, role: 'admin' }],
  };
}

describeEachDialect('Federated role mapping and the last admin', (dialect) => {
  let s: TestServer;
  afterEach(async () => {
    await s?.close();
  });

  async function oidcSignIn(sub: string) {
    const device = await TestDevice.create(s);
    const started = await device.send('POST', '/auth/oidc/op/start', { body: { redirectUri: APP_REDIRECT } });
    expect(started.statusCode, started.body).toBe(200);
    const callbackUrl = await op.authorize(started.json().authorizationUrl, sub);
    return device.send('POST', '/auth/oidc/op/callback', {
      body: { callbackUrl, device: device.declaration() },
    });
  }

  async function enabledAdmins(): Promise<string[]> {
    const rows = await s.ctx.db
      .selectFrom('users')
      .select('username')
      .where('role', '=', 'admin')
      .where('disabled_at', 'is', null)
      .execute();
    return rows.map((r) => r.username).sort();
  }

  it('keeps the role of the last admin whose mapping drops it, logs it, and demotes once another admin exists', async () => {
    s = await startTestServer(dialect, { federation: { providers: [oidc()] } });
    s.clock.ms = Date.now();
    const first = await oidcSignIn('u-2001');
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().user.role).toBe('admin');
    const userId: string = first.json().user.id;

    op.accounts.set('u-2001', { sub: 'u-2001', preferred_username: 'petra', groups: [] });
    try {
      const dropped = await oidcSignIn('u-2001');
      expect(dropped.statusCode, dropped.body).toBe(200);
      expect(dropped.json().user.role).toBe('admin');
      expect(await enabledAdmins()).toEqual(['petra']);
      await s.ctx.events.flush();
      const kept = await s.ctx.events.list({ type: 'user_role_kept' });
      expect(kept).toHaveLength(1);
      expect(kept[0]).toMatchObject({
        subject: userId,
        data: { role: 'admin', mapped: 'user', reason: 'last_admin', provider: 'op' },
      });
      expect(await s.ctx.events.list({ type: 'user_role_changed' })).toHaveLength(0);

      // With another enabled admin, the provider is the source of truth again.
      await s.user('root', PASSWORD, 'admin');
      const demoted = await oidcSignIn('u-2001');
      expect(demoted.statusCode, demoted.body).toBe(200);
      expect(demoted.json().user.role).toBe('user');
      expect(await enabledAdmins()).toEqual(['root']);
      await s.ctx.events.flush();
      const changed = await s.ctx.events.list({ type: 'user_role_changed' });
      expect(changed.map((e) => e.data)).toEqual([
        expect.objectContaining({ before: 'admin', after: 'user', provider: 'op' }),
      ]);
    } finally {
      op.accounts.set('u-2001', { sub: 'u-2001', preferred_username: 'petra', groups: ['bulwark-admins'] });
    }
  });

  it('counts a disabled admin as no admin: the last enabled one keeps the role', async () => {
    s = await startTestServer(dialect, { federation: { providers: [oidc()] } });
    s.clock.ms = Date.now();
    const first = await oidcSignIn('u-2001');
    expect(first.json().user.role).toBe('admin');
    const other = await s.user('root', PASSWORD, 'admin');
    await s.ctx.db.updateTable('users').set({ disabled_at: s.clock.ms }).where('id', '=', other).execute();
    op.accounts.set('u-2001', { sub: 'u-2001', preferred_username: 'petra', groups: [] });
    try {
      const dropped = await oidcSignIn('u-2001');
      expect(dropped.statusCode, dropped.body).toBe(200);
      expect(dropped.json().user.role).toBe('admin');
      expect(await enabledAdmins()).toEqual(['petra']);
    } finally {
      op.accounts.set('u-2001', { sub: 'u-2001', preferred_username: 'petra', groups: ['bulwark-admins'] });
    }
  });

  it.runIf(RUN_LDAP)(
    'two admins whose LDAP sign-ins drop the role at the same moment: one keeps it, in every round',
    async () => {
      const directory = slapd as TestSlapd;
      s = await startTestServer(dialect, { federation: { providers: [ldap(directory)] } });
      const signIn = async (uid: string, ip: string) => {
        const device = await TestDevice.create(s);
        return device.send('POST', '/auth/ldap/corp/login', {
          body: { username: uid, password: PASSWORD, device: device.declaration() },
          ip,
        });
      };
      try {
        for (let round = 0; round < 4; round++) {
          await directory.modify(ADMINS, { member: [dn('amy'), dn('ben')] });
          const granted = await Promise.all([signIn('amy', '198.51.100.10'), signIn('ben', '198.51.100.11')]);
          expect(granted.map((r) => r.json().user?.role)).toEqual(['admin', 'admin']);
          expect(await enabledAdmins()).toEqual(['amy', 'ben']);

          // Both leave the admins group (a groupOfNames needs one member) and sign in at once.
          await directory.modify(ADMINS, { member: [NOBODY] });
          const dropped = await Promise.all([signIn('amy', '198.51.100.10'), signIn('ben', '198.51.100.11')]);
          expect(dropped.map((r) => r.statusCode)).toEqual([200, 200]);
          expect(dropped.map((r) => r.json().user.role).sort()).toEqual(['admin', 'user']);
          expect(await enabledAdmins()).toHaveLength(1);
        }
        await s.ctx.events.flush();
        expect(await s.ctx.events.list({ type: 'user_role_kept' })).toHaveLength(4);
      } finally {
        await directory.modify(ADMINS, { member: [dn('amy'), dn('ben')] });
      }
    },
  );
});
