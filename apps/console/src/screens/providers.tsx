/**
 * The identity providers the server signs in with (OIDC, SAML, LDAP / Active Directory), read-only:
 * they are configuration. Shows what an admin checks when a federated sign-in fails or lands on
 * the wrong role — kind, issuer or directory URL, JIT provisioning, the mapping rules — and never a
 * secret (the server's answer carries none).
 */
import type { IdentityProvider } from '../api.js';
import { Badge, ListState, TableFrame } from '../ui/components.js';
import { useApi } from '../ui/context.js';
import { useLoad } from '../ui/load.js';

const KIND_NAMES = { oidc: 'OpenID Connect', saml: 'SAML 2.0', ldap: 'LDAP / Active Directory' } as const;

/** The configured identity providers. */
export function ProvidersScreen() {
  const api = useApi();
  const [load, reload] = useLoad(
    () => api.call<{ providers: readonly IdentityProvider[] }>('GET', '/admin/identity-providers'),
    [],
  );
  return (
    <section aria-labelledby="providers-title">
      <div class="title-row">
        <h1 id="providers-title">Identity providers</h1>
      </div>
      <p class="lead">
        The providers users sign in with besides local passwords. They are set in the server's configuration
        and shown here read-only; secrets (client secrets, bind passwords) are never shown.
      </p>
      <ListState
        load={load}
        what="identity providers"
        onRetry={reload}
        isEmpty={(d) => d.providers.length === 0}
        empty="No identity providers are configured: users sign in with local passwords only."
      >
        {(d) => d.providers.map((p) => <Provider key={p.id} provider={p} />)}
      </ListState>
    </section>
  );
}

function Provider(props: { provider: IdentityProvider }) {
  const p = props.provider;
  const titleId = `provider-${p.id}`;
  return (
    <section class="card provider" aria-labelledby={titleId} data-provider={p.id}>
      <div class="title-row">
        <h2 id={titleId}>{p.displayName}</h2>
        <Badge tone="neutral">{KIND_NAMES[p.kind]}</Badge>
      </div>
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{p.id}</code>
        </dd>
        {p.kind === 'ldap' ? (
          <>
            <dt>Directory URL</dt>
            <dd>
              <code>{p.url}</code>
              {p.startTls === true ? ' (StartTLS)' : ''}
            </dd>
            <dt>Users under</dt>
            <dd>
              <code>{p.userBaseDn}</code> by <code>{p.usernameAttribute}</code>
            </dd>
          </>
        ) : null}
        <dt>{p.kind === 'saml' ? 'IdP entity id' : 'Issuer'}</dt>
        <dd>
          <code>{p.issuer}</code>
        </dd>
        {p.kind === 'oidc' ? (
          <>
            <dt>Client id</dt>
            <dd>
              <code>{p.clientId}</code> (
              {p.confidentialClient === true ? 'confidential client' : 'public client, PKCE only'})
            </dd>
            <dt>Scopes</dt>
            <dd>{(p.scopes ?? []).join(' ')}</dd>
          </>
        ) : null}
        {p.kind === 'saml' ? (
          <>
            <dt>SP entity id</dt>
            <dd>
              <code>{p.entityId}</code>
            </dd>
            <dt>ACS URL</dt>
            <dd>
              <code>{p.acsUrl}</code>
            </dd>
            <dt>IdP sign-in URL</dt>
            <dd>
              <code>{p.idpSsoUrl}</code>
            </dd>
            <dt>IdP certificates</dt>
            <dd>{p.idpCertificates}</dd>
          </>
        ) : null}
        {p.redirectUris === undefined ? null : (
          <>
            <dt>Redirect URIs</dt>
            <dd>
              <ul class="plain">
                {p.redirectUris.map((uri) => (
                  <li key={uri}>
                    <code class="small">{uri}</code>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
        <dt>JIT provisioning</dt>
        <dd>
          {p.jit ? <Badge tone="warn">on</Badge> : <Badge tone="neutral">off</Badge>}{' '}
          {p.jit
            ? `unknown identities get an account (default role ${p.defaultRole})`
            : 'an admin creates and links accounts'}
        </dd>
      </dl>
      <h3>Mappings</h3>
      {p.mappings.length === 0 ? (
        <p class="state state-empty">No mappings: roles and teams are managed in Bulwark.</p>
      ) : (
        <TableFrame label={`Mappings of ${p.displayName}`}>
          <table>
            <caption class="sr-only">Mappings of {p.displayName}</caption>
            <thead>
              <tr>
                <th scope="col">
                  {p.kind === 'oidc' ? 'Claim' : p.kind === 'saml' ? 'Attribute' : 'Attribute or groups'}
                </th>
                <th scope="col">Equals</th>
                <th scope="col">Role</th>
                <th scope="col">Team</th>
              </tr>
            </thead>
            <tbody>
              {p.mappings.map((m) => (
                <tr key={`${m.claim}=${m.equals}=${m.role ?? ''}=${m.team ?? ''}`}>
                  <td>
                    <code>{m.claim}</code>
                  </td>
                  <td>
                    <code>{m.equals}</code>
                  </td>
                  <td>{m.role ?? '—'}</td>
                  <td>{m.team ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
    </section>
  );
}
