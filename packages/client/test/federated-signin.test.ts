/**
 * The SDK's federated sign-ins against the real server on loopback: `signInWithSaml` with the
 * test identity provider, `signInWithOidc` with a real oidc-provider, `signInWithLdap` with a
 * private slapd, each through a redirect handler standing in for the system browser, and each
 * ending in a working DPoP session (an authenticated call succeeds).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestOp, type TestOp } from '../../server/test/lib/oidc-op.js';
import { TestIdp } from '../../server/test/lib/saml-idp.js';
import { slapdAvailable, startSlapd, type TestSlapd } from '../../server/test/lib/slapd.js';
import {
  DeviceKey,
  MemorySessionStore,
  type RedirectHandler,
  signInWithLdap,
  signInWithOidc,
  signInWithSaml,
  Transport,
} from '../src/index.js';
import { posture, type RealServer, startRealServer } from './lib/real-server.js';

const LDAP = slapdAvailable();
const SP_ENTITY = 'https://bulwark.example.test/saml';
const SAML_REDIRECT = 'com.example.bulwark:/saml-done';
const idp = new TestIdp();
let server: RealServer;
let op: TestOp;
let slapd: TestSlapd | undefined;
/** The public ACS URL (as behind a reverse proxy); the test posts to the server's own address. */
const ACS = 'https://bulwark.example.test/auth/saml/okta/acs';

beforeAll(async () => {
  op = await startTestOp();
  op.accounts.set('u-7', { sub: 'u-7', preferred_username: 'nora', groups: [] });
  if (LDAP) {
    slapd = await startSlapd();
    await slapd.add([
      {
        dn: 'cn=svc,ou=services,dc=example,dc=test',
        attributes: { objectClass: ['person'], cn: 'svc', sn: 'svc', userPassword: 'svc-secret' },
      },
      {
        dn: 'uid=lena,ou=people,dc=example,dc=test',
        attributes: {
          objectClass: ['inetOrgPerson'],
          uid: 'lena',
          cn: 'lena',
          sn: 'lena',
          userPassword: 'lena-password-1',
        },
      },
    ]);
  }
  const providers = [
    {
      kind: 'saml' as const,
      id: 'okta',
      entityId: SP_ENTITY,
      acsUrl: ACS,
      idpSsoUrl: idp.ssoUrl,
      idpEntityId: idp.entityId,
      idpCert: idp.publicKeyPem,
      redirectUris: [SAML_REDIRECT],
      jit: true,
    },
    {
      kind: 'oidc' as const,
      id: 'op',
      issuer: op.issuer,
      clientId: op.clientId,
      redirectUris: [op.redirectUri],
      allowHttpLoopback: true,
      jit: true,
    },
    ...(slapd === undefined
      ? []
      : [
          {
            kind: 'ldap' as const,
            id: 'corp',
            url: slapd.ldapsUrl,
            tls: { ca: slapd.caPem },
            bindDn: 'cn=svc,ou=services,dc=example,dc=test',
            bindPassword: 'svc-secret',
            userBaseDn: 'ou=people,dc=example,dc=test',
            jit: true,
          },
        ]),
  ];
  server = await startRealServer(undefined, undefined, { federation: { providers } });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await op?.stop();
  await slapd?.stop();
});

async function newTransport() {
  return new Transport({
    baseUrl: server.url,
    devMode: true,
    deviceKey: await DeviceKey.generate(),
    sessions: new MemorySessionStore(),
    posture,
  });
}

describe('federated sign-in from the SDK', () => {
  it('signs in with SAML through the redirect handler', async () => {
    const transport = await newTransport();
    const redirect: RedirectHandler = {
      async open(url) {
        const { requestId, relayState } = TestIdp.parseRequest(url);
        const assertion = idp.sign(
          idp.assertion({
            nameId: 'sdk-saml-user',
            audience: SP_ENTITY,
            recipient: ACS,
            inResponseTo: requestId,
          }),
        );
        const res = await fetch(`${server.url}/auth/saml/okta/acs`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            SAMLResponse: idp.response(assertion, { inResponseTo: requestId, destination: ACS }),
            RelayState: relayState,
          }),
        });
        expect(res.status).toBe(303);
        return String(res.headers.get('location'));
      },
    };
    const { user } = await signInWithSaml(transport, {
      provider: 'okta',
      deviceId: randomUUID(),
      redirectUri: SAML_REDIRECT,
      redirect,
    });
    expect(user.username).toBe('sdk-saml-user');
    expect(await transport.request('GET', '/me')).toMatchObject({ username: 'sdk-saml-user' });
  });

  it('refuses with invalid_argument when the browser comes back without a code (closed, or not a URL)', async () => {
    for (const back of [`${SAML_REDIRECT}?error=cancelled`, 'not a url']) {
      const transport = await newTransport();
      await expect(
        signInWithSaml(transport, {
          provider: 'okta',
          deviceId: randomUUID(),
          redirectUri: SAML_REDIRECT,
          redirect: { open: async () => back },
        }),
      ).rejects.toMatchObject({ name: 'InvalidArgumentError', code: 'invalid_argument' });
    }
  });

  it('signs in with OIDC through the redirect handler', async () => {
    const transport = await newTransport();
    const { user } = await signInWithOidc(transport, {
      provider: 'op',
      deviceId: randomUUID(),
      redirectUri: op.redirectUri,
      redirect: { open: (url) => op.authorize(url, 'u-7') },
    });
    expect(user.username).toBe('nora');
    expect(await transport.request('GET', '/me')).toMatchObject({ username: 'nora' });
  });

  it.runIf(LDAP)('signs in with LDAP', async () => {
    const transport = await newTransport();
    const { user } = await signInWithLdap(transport, {
      provider: 'corp',
      deviceId: randomUUID(),
      username: 'lena',
      password: 'lena-password-1',
    });
    expect(user.username).toBe('lena');
    expect(await transport.request('GET', '/me')).toMatchObject({ username: 'lena' });
  });
});
