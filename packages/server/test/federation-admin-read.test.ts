/**
 * What the console reads of federation, on both dialects: `GET /admin/identity-providers` shows
 * each configured provider (kind, addresses, JIT, mappings) and never a secret, to admins only;
 * `GET /admin/apps` carries each app's redirect URIs beside its assignment.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from './lib/databases.js';
import { PASSWORD, startTestServer, TestDevice, type TestServer } from './lib/harness.js';
import { TestIdp } from './lib/saml-idp.js';

const CLIENT_SECRET = 'oidc-client-secret-that-must-never-be-shown';
const BIND_PASSWORD = 'ldap-bind-password-that-must-never-be-shown';
const idp = new TestIdp();

describeEachDialect('admin reads of federation', (dialect) => {
  let s: TestServer;
  beforeEach(async () => {
    s = await startTestServer(dialect, {
      federation: {
        providers: [
          {
            kind: 'oidc',
            id: 'entra',
            displayName: 'Microsoft Entra ID',
            issuer: 'https://login.example.test/tenant/v2.0',
            clientId: 'bulwark-client',
            clientSecret: CLIENT_SECRET,
            redirectUris: ['com.example.field:/oauth2redirect'],
            jit: true,
            mappings: [{ claim: 'groups', equals: 'Field', team: 'field' }],
          },
          {
            kind: 'saml',
            id: 'okta',
            entityId: 'https://bulwark.example.test/saml',
            acsUrl: 'https://bulwark.example.test/auth/saml/okta/acs',
            idpSsoUrl: idp.ssoUrl,
            idpEntityId: idp.entityId,
            idpCert: idp.publicKeyPem,
            redirectUris: ['https://field.example.test/sso'],
          },
          {
            kind: 'ldap',
            id: 'corp',
            url: 'ldaps://dc.example.test:636',
            bindDn: 'cn=reader,dc=example,dc=test',
            bindPassword: BIND_PASSWORD,
            userBaseDn: 'ou=people,dc=example,dc=test',
            mappings: [{ claim: 'groups', equals: 'cn=admins,dc=example,dc=test', role: 'admin' }],
          },
        ],
        apps: [
          {
            id: 'field',
            name: 'Field',
            redirectUris: ['https://field.example.test/sso'],
            collections: [],
            assignedTo: { teams: ['east'] },
          },
        ],
      },
    });
  });
  afterEach(async () => {
    await s?.close();
  });

  async function signedIn(role: 'admin' | 'user') {
    await s.user(role === 'admin' ? 'root' : 'eve', PASSWORD, role);
    const device = await TestDevice.create(s);
    const session = await device.login(role === 'admin' ? 'root' : 'eve', PASSWORD);
    return { device, token: session.accessToken };
  }

  it('lists every provider with its settings and no secret', async () => {
    const { device, token } = await signedIn('admin');
    const res = await device.send('GET', '/admin/identity-providers', { accessToken: token });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).not.toContain(CLIENT_SECRET);
    expect(res.body).not.toContain(BIND_PASSWORD);
    expect(res.body).not.toContain('BEGIN PUBLIC KEY');
    const { providers } = res.json() as { providers: Record<string, unknown>[] };
    expect(providers.map((p) => [p.id, p.kind])).toEqual([
      ['entra', 'oidc'],
      ['okta', 'saml'],
      ['corp', 'ldap'],
    ]);
    expect(providers[0]).toMatchObject({
      displayName: 'Microsoft Entra ID',
      issuer: 'https://login.example.test/tenant/v2.0',
      clientId: 'bulwark-client',
      confidentialClient: true,
      jit: true,
      mappings: [{ claim: 'groups', equals: 'Field', team: 'field' }],
    });
    expect(providers[1]).toMatchObject({ issuer: idp.entityId, idpCertificates: 1, jit: false });
    expect(providers[2]).toMatchObject({
      url: 'ldaps://dc.example.test:636',
      issuer: 'ldap:corp',
      startTls: false,
      mappings: [{ claim: 'groups', equals: 'cn=admins,dc=example,dc=test', role: 'admin' }],
    });
    expect(Object.keys(providers[2] ?? {})).not.toContain('bindPassword');
    expect(Object.keys(providers[0] ?? {})).not.toContain('clientSecret');
  });

  it('is refused to a non-admin and without a session', async () => {
    const { device, token } = await signedIn('user');
    const res = await device.send('GET', '/admin/identity-providers', { accessToken: token });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('forbidden');
    expect(res.body).not.toContain(CLIENT_SECRET);
    const anonymous = await s.app.inject({ method: 'GET', url: '/admin/identity-providers' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.body).not.toContain(BIND_PASSWORD);
  });

  it('GET /admin/apps carries the redirect URIs and the assignment', async () => {
    const { device, token } = await signedIn('admin');
    const res = await device.send('GET', '/admin/apps', { accessToken: token });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().apps).toEqual([
      {
        id: 'field',
        name: 'Field',
        collections: [],
        redirectUris: ['https://field.example.test/sso'],
        assignedTo: { roles: [], teams: ['east'], source: 'config' },
      },
    ]);
  });
});
