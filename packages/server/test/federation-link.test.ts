/**
 * Linking provider identities to accounts by an admin, on both dialects: without JIT an unlinked
 * identity is refused; once an admin links it, it signs in to that account; unlinked again, it is
 * refused again. Only admins link, and an identity is linked to one account at most.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, startTestServer, TestDevice, type TestServer } from './lib/harness.js';
import { TestIdp } from './lib/saml-idp.js';

const ACS = 'https://bulwark.example.test/auth/saml/corp/acs';
const SP_ENTITY = 'https://bulwark.example.test/saml';
const REDIRECT = 'https://field.example.test/saml-done';
const idp = new TestIdp();

describeEachDialect('linking federated accounts', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, {
      federation: {
        providers: [
          {
            kind: 'saml',
            id: 'corp',
            entityId: SP_ENTITY,
            acsUrl: ACS,
            idpSsoUrl: idp.ssoUrl,
            idpEntityId: idp.entityId,
            idpCert: idp.publicKeyPem,
            redirectUris: [REDIRECT],
          },
        ],
      },
    });
    s.clock.ms = Date.now();
  });
  afterAll(async () => {
    await s?.close();
  });

  async function samlSignIn(device: TestDevice, nameId: string) {
    const started = await device.send('POST', '/auth/saml/corp/start', { body: { redirectUri: REDIRECT } });
    const { requestId, relayState } = TestIdp.parseRequest(started.json().redirectUrl);
    const assertion = idp.sign(
      idp.assertion({ nameId, audience: SP_ENTITY, recipient: ACS, inResponseTo: requestId }),
    );
    const acs = await s.app.inject({
      method: 'POST',
      url: '/auth/saml/corp/acs',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        SAMLResponse: idp.response(assertion, { inResponseTo: requestId, destination: ACS }),
        RelayState: relayState,
      }).toString(),
    });
    const code = String(new URL(String(acs.headers.location)).searchParams.get('code'));
    return device.send('POST', '/auth/saml/corp/complete', { body: { code, device: device.declaration() } });
  }

  it('refuses an unlinked identity, signs in once an admin links it, and refuses it once unlinked', async () => {
    const aliceId = await s.user('alice', PASSWORD);
    await s.user('root', PASSWORD, 'admin');
    const adminDevice = await TestDevice.create(s);
    const admin = await adminDevice.login('root', PASSWORD);
    const phone = await TestDevice.create(s);

    const before = await samlSignIn(phone, 'corp-0042');
    expect(before.statusCode).toBe(403);
    expect(before.json().code).toBe('federated_account_unknown');

    const link = { provider: 'corp', subject: 'corp-0042' };
    const byUser = await phone.send('POST', `/admin/users/${aliceId}/federated-accounts`, { body: link });
    expect(byUser.statusCode).toBe(401);
    const linked = await adminDevice.call(admin, 'POST', `/admin/users/${aliceId}/federated-accounts`, link);
    expect(linked.statusCode, linked.body).toBe(201);
    const twice = await adminDevice.call(
      admin,
      'POST',
      `/admin/users/${admin.userId}/federated-accounts`,
      link,
    );
    expect(twice.json().code).toBe('federated_account_linked');
    const list = await adminDevice.call(admin, 'GET', `/admin/users/${aliceId}/federated-accounts`);
    expect(list.json().federatedAccounts).toMatchObject([
      { provider: 'corp', issuer: idp.entityId, subject: 'corp-0042' },
    ]);

    const after = await samlSignIn(phone, 'corp-0042');
    expect(after.statusCode, after.body).toBe(200);
    expect(after.json().user).toMatchObject({ id: aliceId, username: 'alice' });
    // Her password still works; the federated sign-in did not touch it.
    expect((await (await TestDevice.create(s)).loginRaw('alice', PASSWORD)).statusCode).toBe(200);

    const unlinked = await adminDevice.call(
      admin,
      'DELETE',
      `/admin/users/${aliceId}/federated-accounts?provider=corp&subject=corp-0042`,
    );
    expect(unlinked.statusCode).toBe(204);
    const again = await samlSignIn(await TestDevice.create(s), 'corp-0042');
    expect(again.json().code).toBe('federated_account_unknown');
    const events = (await s.ctx.events.list()).map((e) => e.type);
    expect(events).toEqual(
      expect.arrayContaining(['federated_account_linked', 'federated_account_unlinked']),
    );
  });
});
