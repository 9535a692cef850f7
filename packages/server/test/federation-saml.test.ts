/**
 * SAML 2.0 sign-in on both dialects against an identity provider built in the test
 * (test/lib/saml-idp.ts): metadata, the happy path with attribute mapping, and one refusal each
 * for an unsigned assertion, four XML signature wrapping variants, a wrong audience, an expired
 * assertion, another recipient, a wrong or missing InResponseTo, a replayed assertion id, a
 * comment-injected NameID, a code redeemed by another device, and a provisioned name a local
 * account could not have.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SamlProviderOptions } from '../src/identity/federation/config.js';
import { resolveFederationConfig } from '../src/identity/federation/config.js';
import { federationDb } from '../src/identity/federation/tables.js';
import { describeEachDialect } from './lib/databases.js';
import { startTestServer, TestDevice, type TestServer } from './lib/harness.js';
import { type AssertionSpec, TestIdp } from './lib/saml-idp.js';

const ACS = 'https://bulwark.example.test/auth/saml/okta/acs';
const SP_ENTITY = 'https://bulwark.example.test/saml';
const APP_REDIRECT = 'com.example.bulwark:/saml-done';
const idp = new TestIdp();

function samlProvider(): SamlProviderOptions {
  return {
    kind: 'saml',
    id: 'okta',
    entityId: SP_ENTITY,
    acsUrl: ACS,
    idpSsoUrl: idp.ssoUrl,
    idpEntityId: idp.entityId,
    idpCert: idp.publicKeyPem,
    redirectUris: [APP_REDIRECT],
    jit: true,
    usernameAttribute: 'email',
    mappings: [
      { claim: 'groups', equals: 'Bulwark Admins', role: 'admin' },
      { claim: 'groups', equals: 'Field East', team: 'east' },
    ],
  };
}

it('refuses a SAML provider without the identity provider certificate or with http endpoints', () => {
  expect(() => resolveFederationConfig({ providers: [{ ...samlProvider(), idpCert: [] }] })).toThrow(
    /certificate/,
  );
  expect(() =>
    resolveFederationConfig({ providers: [{ ...samlProvider(), acsUrl: 'http://sp.example/acs' }] }),
  ).toThrow(/https/);
});

describeEachDialect('SAML sign-in', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, { federation: { providers: [samlProvider()] } });
    // node-saml checks assertion times against the real clock: the server's starts there too.
    s.clock.ms = Date.now();
  });
  afterAll(async () => {
    await s?.close();
  });

  async function begin(device: TestDevice) {
    const res = await device.send('POST', '/auth/saml/okta/start', { body: { redirectUri: APP_REDIRECT } });
    expect(res.statusCode, res.body).toBe(200);
    return TestIdp.parseRequest(res.json().redirectUrl);
  }
  function spec(requestId: string | undefined, overrides: Partial<AssertionSpec> = {}): AssertionSpec {
    return {
      nameId: 'okta-00u1',
      audience: SP_ENTITY,
      recipient: ACS,
      inResponseTo: requestId,
      attributes: { email: ['sam@example.test'], groups: ['Bulwark Admins', 'Field East'] },
      ...overrides,
    };
  }
  async function post(samlResponse: string, relayState: string) {
    return s.app.inject({
      method: 'POST',
      url: '/auth/saml/okta/acs',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ SAMLResponse: samlResponse, RelayState: relayState }).toString(),
    });
  }
  async function complete(device: TestDevice, location: string) {
    const code = String(new URL(location).searchParams.get('code'));
    return device.send('POST', '/auth/saml/okta/complete', { body: { code, device: device.declaration() } });
  }
  async function signIn(device: TestDevice, assertionFor: (requestId: string) => string) {
    const { requestId, relayState } = await begin(device);
    const acs = await post(
      idp.response(assertionFor(requestId), { inResponseTo: requestId, destination: ACS }),
      relayState,
    );
    if (acs.statusCode !== 303) return { acs, done: undefined };
    return { acs, done: await complete(device, String(acs.headers.location)) };
  }
  async function codesOutstanding() {
    return s.ctx.db
      .selectFrom('sessions')
      .select(s.ctx.db.fn.countAll().as('n'))
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.n));
  }

  it('publishes SP metadata', async () => {
    const res = await s.app.inject({ method: 'GET', url: '/auth/saml/okta/metadata' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/samlmetadata\+xml/);
    expect(res.body).toContain(`entityID="${SP_ENTITY}"`);
    expect(res.body).toContain(`Location="${ACS}"`);
    expect(res.body).toContain('WantAssertionsSigned="true"');
  });

  it('signs in with a signed assertion, mapping attributes to role and team', async () => {
    const device = await TestDevice.create(s);
    const { requestId, xml } = await begin(device);
    expect(xml).toContain(`AssertionConsumerServiceURL="${ACS}"`);
    const relay = TestIdp.parseRequest(
      (await device.send('POST', '/auth/saml/okta/start', { body: { redirectUri: APP_REDIRECT } })).json()
        .redirectUrl,
    );
    const acs = await post(
      idp.response(idp.sign(idp.assertion(spec(relay.requestId))), {
        inResponseTo: relay.requestId,
        destination: ACS,
      }),
      relay.relayState,
    );
    expect(acs.statusCode, acs.body).toBe(303);
    const location = String(acs.headers.location);
    expect(location.startsWith(`${APP_REDIRECT}?code=`)).toBe(true);
    // Another device cannot redeem the code.
    const thief = await TestDevice.create(s);
    expect((await complete(thief, location)).json().code).toBe('saml_code_invalid');
    const res = await complete(device, location);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      tokenType: 'DPoP',
      user: { username: 'sam@example.test', role: 'admin' },
    });
    const me = await device.send('GET', '/me', { accessToken: res.json().accessToken });
    expect(me.json()).toMatchObject({ role: 'admin', deviceId: device.id });
    const teams = await s.ctx.db
      .selectFrom('user_teams')
      .select('team')
      .where('user_id', '=', res.json().user.id)
      .execute();
    expect(teams.map((t) => t.team)).toEqual(['east']);
    // Spent: the same code, and the same response, do not work twice.
    expect((await complete(device, location)).json().code).toBe('saml_code_invalid');
    expect(requestId).not.toBe(relay.requestId);
  });

  const refusals: [string, (requestId: string) => string, string][] = [
    ['an unsigned assertion', (r) => idp.assertion(spec(r)), 'saml_response_invalid'],
    [
      'a wrong audience',
      (r) => idp.sign(idp.assertion(spec(r, { audience: 'https://other-sp.example' }))),
      'saml_response_invalid',
    ],
    [
      'an expired assertion',
      (r) =>
        idp.sign(
          idp.assertion(
            spec(r, {
              issueInstant: new Date(Date.now() - 7_200_000),
              notBefore: new Date(Date.now() - 7_200_000),
              notOnOrAfter: new Date(Date.now() - 3_600_000),
            }),
          ),
        ),
      'saml_response_invalid',
    ],
    [
      'another recipient',
      (r) => idp.sign(idp.assertion(spec(r, { recipient: 'https://evil.example/acs' }))),
      'saml_response_invalid',
    ],
    [
      'an assertion for another request',
      (r) => idp.sign(idp.assertion(spec(`${r}x`))),
      'saml_response_invalid',
    ],
    [
      'another issuer',
      (r) => idp.sign(idp.assertion(spec(r, { issuer: 'https://evil.example/idp' }))),
      'saml_response_invalid',
    ],
    [
      'XSW: an unsigned evil assertion before the signed one',
      (r) =>
        idp.assertion(spec(r, { nameId: 'evil-admin', id: '_evil1' })) + idp.sign(idp.assertion(spec(r))),
      'saml_response_invalid',
    ],
    [
      'XSW: an evil assertion wrapping the signed one',
      (r) => {
        const evil = idp.assertion(spec(r, { nameId: 'evil-admin', id: '_evil2' }));
        return evil.replace('</saml:Assertion>', `${idp.sign(idp.assertion(spec(r)))}</saml:Assertion>`);
      },
      'saml_response_invalid',
    ],
    [
      "XSW: the signed assertion moved into the evil one's Signature Object",
      (r) => {
        const signed = idp.sign(idp.assertion(spec(r, { id: '_orig3' })));
        const signature = /<(ds:)?Signature[\s\S]*<\/(ds:)?Signature>/.exec(signed)?.[0] ?? '';
        const original = signed.replace(signature, '');
        const prefix = signature.startsWith('<ds:') ? 'ds:' : '';
        const wrapped = signature.replace(
          `</${prefix}Signature>`,
          `<${prefix}Object>${original}</${prefix}Object></${prefix}Signature>`,
        );
        const evil = idp.assertion(spec(r, { nameId: 'evil-admin', id: '_orig3' }));
        return evil.replace('</saml:Issuer>', `</saml:Issuer>${wrapped}`);
      },
      'saml_response_invalid',
    ],
    [
      'XSW: an evil assertion with the same ID before the signed one',
      (r) => {
        const signed = idp.sign(idp.assertion(spec(r, { id: '_same4' })));
        return idp.assertion(spec(r, { nameId: 'evil-admin', id: '_same4' })) + signed;
      },
      'saml_response_invalid',
    ],
  ];
  for (const [name, build, code] of refusals) {
    it(`refuses ${name}`, async () => {
      const device = await TestDevice.create(s);
      const before = await codesOutstanding();
      const { acs } = await signIn(device, build);
      expect(acs.statusCode, acs.body).toBe(401);
      expect(acs.json().code).toBe(code);
      expect(acs.headers.location).toBeUndefined();
      expect(await codesOutstanding()).toBe(before);
      const evil = await s.ctx.db
        .selectFrom('users')
        .select('id')
        .where('username_key', '=', 'evil-admin')
        .execute();
      expect(evil).toEqual([]);
    });
  }

  it('refuses a response without InResponseTo', async () => {
    const device = await TestDevice.create(s);
    const { relayState } = await begin(device);
    const acs = await post(
      idp.response(idp.sign(idp.assertion(spec(undefined))), { inResponseTo: undefined, destination: ACS }),
      relayState,
    );
    expect(acs.statusCode).toBe(401);
    expect(acs.json().code).toBe('saml_response_invalid');
  });

  it('accepts an assertion id once, even in answer to a new request', async () => {
    const device = await TestDevice.create(s);
    const first = await signIn(device, (r) => idp.sign(idp.assertion(spec(r, { id: '_replayed-1' }))));
    expect(first.done?.statusCode).toBe(200);
    const second = await signIn(device, (r) => idp.sign(idp.assertion(spec(r, { id: '_replayed-1' }))));
    expect(second.acs.statusCode).toBe(401);
    expect(second.acs.json().code).toBe('saml_assertion_replayed');
  });

  it('provisions no account under a name a local account could not have', async () => {
    const local = await TestDevice.create(s);
    const ok = await signIn(local, (r) =>
      idp.sign(idp.assertion(spec(r, { nameId: 'okta-gina', attributes: { email: ['gina'] } }))),
    );
    expect(ok.done?.statusCode, ok.done?.body).toBe(200);
    const names = [
      // Displayed exactly like "gina" in the console and the event log.
      'gina\u200b',
      '\u202eanig',
      'gi\tna',
      // 300 characters whose NFKC key is 150: fits the key column, not the name column.
      'e\u0301'.repeat(150),
    ];
    for (const [i, name] of names.entries()) {
      const device = await TestDevice.create(s);
      const { acs, done } = await signIn(device, (r) =>
        idp.sign(idp.assertion(spec(r, { nameId: `okta-bad-${i}`, attributes: { email: [name] } }))),
      );
      const res = done ?? acs;
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().code).toBe('federated_account_unknown');
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      const linked = await federationDb(s.ctx.db)
        .selectFrom('federated_accounts')
        .select('user_id')
        .where('subject', '=', `okta-bad-${i}`)
        .execute();
      expect(linked).toEqual([]);
    }
    const users = await s.ctx.db.selectFrom('users').select('username').execute();
    expect(users.filter((u) => u.username.startsWith('gina') || u.username.includes('\u0301'))).toEqual([
      { username: 'gina' },
    ]);
  });

  it('refuses alike on both databases a NameID longer than an account link can hold', async () => {
    const device = await TestDevice.create(s);
    const nameId = `okta-${'x'.repeat(300)}`;
    const { acs, done } = await signIn(device, (r) =>
      idp.sign(idp.assertion(spec(r, { nameId, attributes: { email: ['long.subject@example.test'] } }))),
    );
    const res = done ?? acs;
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json().code).toBe('federated_account_unknown');
    const users = await s.ctx.db
      .selectFrom('users')
      .select('id')
      .where('username_key', '=', 'long.subject@example.test')
      .execute();
    expect(users).toEqual([]);
  });

  it('starts no session for an account disabled while the sign-in was being finished', async () => {
    const first = await TestDevice.create(s);
    const once = await signIn(first, (r) =>
      idp.sign(idp.assertion(spec(r, { nameId: 'okta-ines', attributes: { email: ['ines'] } }))),
    );
    expect(once.done?.statusCode, once.done?.body).toBe(200);
    const userId = String(once.done?.json().user.id);
    // The disable lands after the account was resolved and checked, before the session starts
    // (as an admin's POST /admin/users/:id/disable does it: the flag and the sessions at once).
    const policy = s.ctx.devicePolicy;
    const options = policy.options.bind(policy);
    policy.options = async () => {
      policy.options = options;
      await s.ctx.db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ disabled_at: Date.now() }).where('id', '=', userId).execute();
        await s.ctx.sessions.revoke({ userId }, 'user_disabled', { db: trx });
      });
      return options();
    };
    const device = await TestDevice.create(s);
    const late = await signIn(device, (r) =>
      idp.sign(idp.assertion(spec(r, { nameId: 'okta-ines', attributes: { email: ['ines'] } }))),
    );
    policy.options = options;
    expect([late.done?.statusCode, late.done?.json().code]).toEqual([401, 'account_disabled']);
    await s.ctx.db.updateTable('users').set({ disabled_at: null }).where('id', '=', userId).execute();
    const live = await s.ctx.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .execute();
    expect(live).toEqual([]);
  });

  it('reads a comment-injected NameID whole, never the part before the comment', async () => {
    // The victim signs in once, so that an account keyed by their NameID exists.
    const victim = await TestDevice.create(s);
    const v = await signIn(victim, (r) =>
      idp.sign(idp.assertion(spec(r, { nameId: 'victim@example.test', attributes: {} }))),
    );
    expect(v.done?.statusCode).toBe(200);
    const victimId = v.done?.json().user.id;
    // The attacker owns the IdP account "victim@example.test.evil.example" and inserts a comment
    // after the IdP signed (exclusive C14N drops comments, so the signature still verifies).
    const attacker = await TestDevice.create(s);
    const a = await signIn(attacker, (r) =>
      idp
        .sign(idp.assertion(spec(r, { nameId: 'victim@example.test.evil.example', attributes: {} })))
        .replace('victim@example.test.evil.example', 'victim@example.test<!---->.evil.example'),
    );
    if (a.done !== undefined && a.done.statusCode === 200) {
      expect(a.done.json().user.id).not.toBe(victimId);
      expect(a.done.json().user.username).toBe('victim@example.test.evil.example');
    } else {
      expect(a.acs.statusCode).toBe(401);
    }
  });
});
