/**
 * SSO across apps and the app catalog, on both dialects. A user signs in once (SAML, from the
 * field app), hands off to the billing app on the same device, which gets its own session bound
 * to its own key; each app reaches its own collections only; revoking the device, disabling the
 * user or the SSO sign-out ends both sessions; the catalog answers each user exactly the apps
 * assigned to their role and teams, and admins reassign them.
 */
import { collection, defineSchema, t } from '@bulwark/core/schema';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { BulwarkConfig } from '../src/config/define.js';
import type { RegisteredAppOptions } from '../src/identity/federation/config.js';
import { resolveFederationConfig } from '../src/identity/federation/config.js';
import { describeEachDialect } from './lib/databases.js';
import { startTestServer, TestDevice, type TestServer } from './lib/harness.js';
import { TestIdp } from './lib/saml-idp.js';

const ACS = 'https://bulwark.example.test/auth/saml/okta/acs';
const SP_ENTITY = 'https://bulwark.example.test/saml';
const FIELD_REDIRECT = 'https://field.example.test/sso';
const BILLING_REDIRECT = 'https://billing.example.test/sso';
const idp = new TestIdp();

const schema = defineSchema({
  version: 1,
  collections: [
    collection('inspections', { fields: { title: t.string() } }),
    collection('invoices', { fields: { amount: t.number() } }),
  ],
});
const data: BulwarkConfig = { schema, collections: {} };

const APPS: RegisteredAppOptions[] = [
  {
    id: 'field',
    name: 'Field',
    redirectUris: [FIELD_REDIRECT],
    collections: ['inspections'],
    installUrl: 'https://apps.example.test/field',
    openUrl: FIELD_REDIRECT,
    assignedTo: { teams: ['east'] },
  },
  {
    id: 'billing',
    name: 'Billing',
    redirectUris: [BILLING_REDIRECT],
    collections: ['invoices'],
    openUrl: BILLING_REDIRECT,
    assignedTo: { roles: ['admin'] },
  },
  { id: 'hr', name: 'HR', redirectUris: ['https://hr.example.test/sso'], collections: [], assignedTo: {} },
];

it('refuses app registrations with http redirect URIs or duplicate ids', () => {
  expect(() =>
    resolveFederationConfig({
      apps: [{ ...APPS[2], redirectUris: ['http://hr.example.test/sso'] } as RegisteredAppOptions],
    }),
  ).toThrow(/app link/);
  expect(() =>
    resolveFederationConfig({ apps: [APPS[2] as RegisteredAppOptions, APPS[2] as RegisteredAppOptions] }),
  ).toThrow(/twice/);
});

describeEachDialect('SSO across apps', (dialect) => {
  let s: TestServer;
  beforeEach(async () => {
    s = await startTestServer(
      dialect,
      {
        federation: {
          providers: [
            {
              kind: 'saml',
              id: 'okta',
              entityId: SP_ENTITY,
              acsUrl: ACS,
              idpSsoUrl: idp.ssoUrl,
              idpEntityId: idp.entityId,
              idpCert: idp.publicKeyPem,
              redirectUris: [FIELD_REDIRECT],
              jit: true,
              mappings: [
                { claim: 'groups', equals: 'Admins', role: 'admin' },
                { claim: 'groups', equals: 'East', team: 'east' },
              ],
            },
          ],
          apps: APPS,
        },
      },
      { data },
    );
    s.clock.ms = Date.now();
  });
  afterEach(async () => {
    await s?.close();
  });

  /** Signs `nameId` in through SAML from `device`, for `app`. */
  async function samlSignIn(device: TestDevice, nameId: string, groups: string[], app?: string) {
    const started = await device.send('POST', '/auth/saml/okta/start', {
      body: { redirectUri: FIELD_REDIRECT },
    });
    const { requestId, relayState } = TestIdp.parseRequest(started.json().redirectUrl);
    const assertion = idp.sign(
      idp.assertion({
        nameId,
        audience: SP_ENTITY,
        recipient: ACS,
        inResponseTo: requestId,
        attributes: { groups },
      }),
    );
    const acs = await s.app.inject({
      method: 'POST',
      url: '/auth/saml/okta/acs',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        SAMLResponse: idp.response(assertion, { inResponseTo: requestId, destination: ACS }),
        RelayState: relayState,
      }).toString(),
    });
    expect(acs.statusCode, acs.body).toBe(303);
    const code = String(new URL(String(acs.headers.location)).searchParams.get('code'));
    return device.send('POST', '/auth/saml/okta/complete', {
      body: { code, device: device.declaration(), ...(app === undefined ? {} : { app }) },
    });
  }

  /** App A signed in, and app B (its own key) signed in through a handoff. */
  async function twoApps() {
    const field = await TestDevice.create(s);
    const a = await samlSignIn(field, 'sam', ['Admins', 'East'], 'field');
    expect(a.statusCode, a.body).toBe(200);
    const aToken = a.json().accessToken as string;
    const handoff = await field.send('POST', '/auth/sso/handoff', {
      accessToken: aToken,
      body: { app: 'billing', redirectUri: BILLING_REDIRECT },
    });
    expect(handoff.statusCode, handoff.body).toBe(200);
    expect(handoff.json().url).toBe(`${BILLING_REDIRECT}?sso_code=${handoff.json().code}`);
    const billing = await TestDevice.create(s);
    const b = await billing.send('POST', '/auth/sso/exchange', {
      body: { code: handoff.json().code, app: 'billing' },
    });
    expect(b.statusCode, b.body).toBe(200);
    return { field, billing, a: a.json(), b: b.json(), code: handoff.json().code as string };
  }
  const get = (device: TestDevice, token: string, path: string) =>
    device.send('GET', path, { accessToken: token });

  it('opens a second app on the same device without credentials, bound to its own key', async () => {
    const { field, billing, a, b, code } = await twoApps();
    expect(b.user.id).toBe(a.user.id);
    expect(b.device.id).toBe(field.id);
    const sessions = await s.ctx.db
      .selectFrom('sessions')
      .select(['jkt', 'device_id'])
      .where('user_id', '=', a.user.id)
      .execute();
    expect(sessions.map((x) => x.jkt).sort()).toEqual([field.jkt, billing.jkt].sort());
    expect(new Set(sessions.map((x) => x.device_id))).toEqual(new Set([field.id]));
    // B's token is bound to B's key: A's key cannot use it.
    const stolen = await field.send('GET', '/me', { accessToken: b.accessToken });
    expect(stolen.statusCode).toBe(401);
    // B refreshes with its own key like any session.
    const refreshed = await billing.send('POST', '/auth/refresh', { body: { refreshToken: b.refreshToken } });
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    // A handoff code works once, for the app it names.
    const again = await (await TestDevice.create(s)).send('POST', '/auth/sso/exchange', {
      body: { code, app: 'billing' },
    });
    expect(again.json().code).toBe('sso_code_invalid');
  });

  it('lets each app reach its own collections only', async () => {
    const { field, billing, a, b } = await twoApps();
    expect((await get(field, a.accessToken, '/data/inspections')).statusCode).toBe(200);
    const aToB = await get(field, a.accessToken, '/data/invoices');
    expect(aToB.statusCode).toBe(403);
    expect(aToB.json().code).toBe('app_collection_forbidden');
    const aWrites = await field.send('POST', '/data/invoices', {
      accessToken: a.accessToken,
      body: { amount: 5 },
    });
    expect(aWrites.json().code).toBe('app_collection_forbidden');
    expect((await get(billing, b.accessToken, '/data/invoices')).statusCode).toBe(200);
    expect((await get(billing, b.accessToken, '/data/inspections')).json().code).toBe(
      'app_collection_forbidden',
    );
    // Sync carries every offline collection, which neither app may hold all of.
    const sync = await field.send('POST', '/sync/pull', {
      accessToken: a.accessToken,
      body: { checkpoint: null },
    });
    expect(sync.json().code).toBe('app_collection_forbidden');
  });

  it('ends both sessions when the device is revoked', async () => {
    const { field, billing, a, b } = await twoApps();
    const revoke = await field.send('POST', `/admin/devices/${field.id}/revoke`, {
      accessToken: a.accessToken,
      body: { reason: 'lost' },
    });
    expect(revoke.statusCode, revoke.body).toBe(200);
    expect((await get(field, a.accessToken, '/me')).json().code).toBe('device_revoked');
    expect((await get(billing, b.accessToken, '/me')).json().code).toBe('device_revoked');
    const refresh = await billing.send('POST', '/auth/refresh', { body: { refreshToken: b.refreshToken } });
    expect(refresh.json().code).toBe('device_revoked');
  });

  it('ends both sessions when the user is disabled, and at the SSO sign-out', async () => {
    const first = await twoApps();
    await s.ctx.db
      .updateTable('users')
      .set({ disabled_at: s.clock.ms })
      .where('id', '=', first.a.user.id)
      .execute();
    expect((await get(first.field, first.a.accessToken, '/me')).json().code).toBe('account_disabled');
    expect((await get(first.billing, first.b.accessToken, '/me')).json().code).toBe('account_disabled');
    await s.ctx.db
      .updateTable('users')
      .set({ disabled_at: null })
      .where('id', '=', first.a.user.id)
      .execute();

    const second = await twoApps();
    const out = await second.billing.send('POST', '/auth/sso/logout', { accessToken: second.b.accessToken });
    expect(out.statusCode).toBe(200);
    expect(out.json().sessionsEnded).toBe(2);
    expect((await get(second.field, second.a.accessToken, '/me')).json().code).toBe('session_revoked');
    expect((await get(second.billing, second.b.accessToken, '/me')).json().code).toBe('session_revoked');
  });

  it('opens no session for a handoff redeemed while the account is being disabled', async () => {
    const field = await TestDevice.create(s);
    const a = await samlSignIn(field, 'sam', ['Admins', 'East'], 'field');
    expect(a.statusCode, a.body).toBe(200);
    const userId = String(a.json().user.id);
    const handoff = await field.send('POST', '/auth/sso/handoff', {
      accessToken: a.json().accessToken,
      body: { app: 'billing', redirectUri: BILLING_REDIRECT },
    });
    expect(handoff.statusCode, handoff.body).toBe(200);
    // The disable lands after the exchange checked the account, before its session starts.
    const policy = s.ctx.devicePolicy;
    const options = policy.options.bind(policy);
    policy.options = async () => {
      policy.options = options;
      await s.ctx.db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ disabled_at: s.clock.ms }).where('id', '=', userId).execute();
        await s.ctx.sessions.revoke({ userId }, 'user_disabled', { db: trx });
      });
      return options();
    };
    const billing = await TestDevice.create(s);
    const b = await billing.send('POST', '/auth/sso/exchange', {
      body: { code: handoff.json().code, app: 'billing' },
    });
    policy.options = options;
    expect([b.statusCode, b.json().code]).toEqual([401, 'account_disabled']);
    await s.ctx.db.updateTable('users').set({ disabled_at: null }).where('id', '=', userId).execute();
    const live = await s.ctx.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .execute();
    expect(live).toEqual([]);
  });

  it('refuses handoffs to an app not assigned to the user, to another redirect URI, and stale codes', async () => {
    const eveDevice = await TestDevice.create(s);
    const eve = await samlSignIn(eveDevice, 'eve', ['East'], 'field');
    expect(eve.statusCode, eve.body).toBe(200);
    const token = eve.json().accessToken as string;
    const notAssigned = await eveDevice.send('POST', '/auth/sso/handoff', {
      accessToken: token,
      body: { app: 'billing', redirectUri: BILLING_REDIRECT },
    });
    expect(notAssigned.json().code).toBe('app_not_assigned');
    const wrongUri = await eveDevice.send('POST', '/auth/sso/handoff', {
      accessToken: token,
      body: { app: 'field', redirectUri: `${FIELD_REDIRECT}x` },
    });
    expect(wrongUri.json().code).toBe('app_redirect_uri_invalid');
    const ok = await eveDevice.send('POST', '/auth/sso/handoff', {
      accessToken: token,
      body: { app: 'field', redirectUri: FIELD_REDIRECT },
    });
    const other = await TestDevice.create(s);
    expect(
      (await other.send('POST', '/auth/sso/exchange', { body: { code: ok.json().code, app: 'hr' } })).json()
        .code,
    ).toBe('sso_code_invalid');
    const late = await eveDevice.send('POST', '/auth/sso/handoff', {
      accessToken: token,
      body: { app: 'field', redirectUri: FIELD_REDIRECT },
    });
    s.clock.advance(61);
    expect(
      (
        await other.send('POST', '/auth/sso/exchange', { body: { code: late.json().code, app: 'field' } })
      ).json().code,
    ).toBe('sso_code_invalid');
    // Signing in for an app the user is not assigned to is refused too.
    const refused = await samlSignIn(await TestDevice.create(s), 'eve', ['East'], 'billing');
    expect(refused.json().code).toBe('app_not_assigned');
  });

  it('answers each user exactly the apps assigned to their role and teams, as admins set them', async () => {
    const samDevice = await TestDevice.create(s);
    const sam = (await samlSignIn(samDevice, 'sam', ['Admins', 'East'])).json();
    const eveDevice = await TestDevice.create(s);
    const eve = (await samlSignIn(eveDevice, 'eve', ['East'])).json();
    const olaDevice = await TestDevice.create(s);
    const ola = (await samlSignIn(olaDevice, 'ola', [])).json();
    const ids = async (device: TestDevice, token: string) =>
      ((await get(device, token, '/apps')).json().apps as { id: string }[]).map((x) => x.id).sort();
    expect(await ids(samDevice, sam.accessToken)).toEqual(['billing', 'field']);
    expect(await ids(eveDevice, eve.accessToken)).toEqual(['field']);
    expect(await ids(olaDevice, ola.accessToken)).toEqual([]);
    const catalog = (await get(eveDevice, eve.accessToken, '/apps')).json().apps[0];
    expect(catalog).toEqual({
      id: 'field',
      name: 'Field',
      collections: ['inspections'],
      installUrl: 'https://apps.example.test/field',
      openUrl: FIELD_REDIRECT,
    });

    const denied = await eveDevice.send('PUT', '/admin/apps/hr/assignments', {
      accessToken: eve.accessToken,
      body: { roles: ['user'], teams: [] },
    });
    expect(denied.statusCode).toBe(403);
    const set = await samDevice.send('PUT', '/admin/apps/hr/assignments', {
      accessToken: sam.accessToken,
      body: { roles: ['user'], teams: [] },
    });
    expect(set.statusCode, set.body).toBe(200);
    const field = await samDevice.send('PUT', '/admin/apps/field/assignments', {
      accessToken: sam.accessToken,
      body: { roles: [], teams: ['west'] },
    });
    expect(field.statusCode).toBe(200);
    expect(await ids(samDevice, sam.accessToken)).toEqual(['billing']);
    expect(await ids(eveDevice, eve.accessToken)).toEqual(['hr']);
    expect(await ids(olaDevice, ola.accessToken)).toEqual(['hr']);
    const unknown = await samDevice.send('PUT', '/admin/apps/nope/assignments', {
      accessToken: sam.accessToken,
      body: { roles: [], teams: [] },
    });
    expect(unknown.json().code).toBe('app_unknown');
    const events = await s.ctx.events.list({ type: 'app_assignments_changed' });
    expect(events).toHaveLength(2);
  });
});
