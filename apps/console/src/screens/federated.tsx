/**
 * The provider identities linked to one account, on the user's page: listed, linked (the
 * provider's stable subject, e.g. an OIDC `sub` or an LDAP `entryUUID`) and unlinked through the
 * admin link API (`/admin/users/:userId/federated-accounts`), each change logged by the server.
 */
import { useState } from 'preact/hooks';
import { describeError, type FederatedAccount, type IdentityProvider } from '../api.js';
import { ConfirmActions, Dialog, Field, ListState, Notice, TableFrame } from '../ui/components.js';
import { useApi } from '../ui/context.js';
import { formatTime } from '../ui/format.js';
import { useLoad } from '../ui/load.js';

/** The federated identities of `userId`, with link and unlink. */
export function FederatedIdentities(props: { userId: string; username: string }) {
  const api = useApi();
  const path = `/admin/users/${encodeURIComponent(props.userId)}/federated-accounts`;
  const [load, reload] = useLoad(
    () => api.call<{ federatedAccounts: readonly FederatedAccount[] }>('GET', path),
    [path],
  );
  const [providers] = useLoad(
    () => api.call<{ providers: readonly IdentityProvider[] }>('GET', '/admin/identity-providers'),
    [],
  );
  const [provider, setProvider] = useState<string | undefined>();
  const [subject, setSubject] = useState('');
  const [unlinking, setUnlinking] = useState<FederatedAccount | undefined>();
  const [notice, setNotice] = useState<{ tone: 'ok' | 'error'; text: string } | undefined>();
  const configured = providers.data?.providers ?? [];
  const chosen = provider ?? configured[0]?.id ?? '';

  async function link(e: Event) {
    e.preventDefault();
    setNotice(undefined);
    try {
      await api.call('POST', path, { provider: chosen, subject: subject.trim() });
      setNotice({
        tone: 'ok',
        text: `Linked ${isolate(chosen)} identity ${isolate(subject.trim())} to ${isolate(props.username)}.`,
      });
      setSubject('');
      reload();
    } catch (err) {
      setNotice({ tone: 'error', text: describeError(err) });
    }
  }

  async function unlink(account: FederatedAccount) {
    setUnlinking(undefined);
    setNotice(undefined);
    try {
      await api.call(
        'DELETE',
        `${path}?${new URLSearchParams({ provider: account.provider, subject: account.subject }).toString()}`,
      );
      setNotice({
        tone: 'ok',
        text: `Unlinked ${isolate(account.provider)} identity ${isolate(account.subject)}.`,
      });
      reload();
    } catch (err) {
      setNotice({ tone: 'error', text: describeError(err) });
    }
  }

  return (
    <section class="federated" aria-labelledby="federated-title">
      <h2 id="federated-title">Federated identities</h2>
      <Notice notice={notice} />
      <ListState
        load={load}
        what="federated identities"
        onRetry={reload}
        isEmpty={(d) => d.federatedAccounts.length === 0}
        empty="No identity of a provider is linked to this account."
      >
        {(d) => (
          <TableFrame label="Federated identities table">
            <table>
              <caption class="sr-only">Federated identities of {props.username}</caption>
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col">Issuer</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Linked</th>
                  <th scope="col">Last sign-in</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {d.federatedAccounts.map((a) => (
                  <tr key={`${a.issuer} ${a.subject}`}>
                    <td>{a.provider}</td>
                    <td>
                      <code class="small">{a.issuer}</code>
                    </td>
                    <td>
                      <code>{a.subject}</code>
                    </td>
                    <td>{formatTime(a.createdAt)}</td>
                    <td>{formatTime(a.lastLoginAt)}</td>
                    <td>
                      <button
                        type="button"
                        class="danger"
                        aria-label={`Unlink ${a.provider} identity ${a.subject}`}
                        onClick={() => setUnlinking(a)}
                      >
                        Unlink
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableFrame>
        )}
      </ListState>
      {configured.length === 0 ? (
        providers.state === 'error' ? (
          <p class="notice notice-error" role="alert">
            Could not load the identity providers: {describeError(providers.error)}
          </p>
        ) : null
      ) : (
        <form class="card inline-form" onSubmit={link} aria-label="Link an identity">
          <Field label="Provider">
            {(id) => (
              <select id={id} value={chosen} onChange={(e) => setProvider(e.currentTarget.value)}>
                {configured.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.displayName} ({p.kind})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            label="Subject"
            hint="The provider's stable id of the person (OIDC sub, SAML NameID, LDAP entryUUID)."
          >
            {(id, hint) => (
              <input
                id={id}
                aria-describedby={hint}
                required
                maxLength={255}
                value={subject}
                onInput={(e) => setSubject(e.currentTarget.value)}
              />
            )}
          </Field>
          <button type="submit">Link identity</button>
        </form>
      )}
      <Dialog
        title="Unlink this identity?"
        open={unlinking !== undefined}
        onClose={() => setUnlinking(undefined)}
      >
        <p>
          {`A sign-in with ${unlinking?.provider ?? ''} as ${unlinking?.subject ?? ''} no longer reaches ${props.username}. `}
          Sessions already open are not ended; disable the user or revoke the device for that.
        </p>
        <ConfirmActions
          action="Unlink"
          tone="danger"
          onAction={() => {
            if (unlinking !== undefined) void unlink(unlinking);
          }}
          onCancel={() => setUnlinking(undefined)}
        />
      </Dialog>
    </section>
  );
}

/**
 * A value set inside a sentence of plain text between FIRST STRONG ISOLATE and POP DIRECTIONAL
 * ISOLATE (Unicode bidi, UAX #9): a subject that opens a right-to-left override (which an identity
 * provider may send) turns around only itself, never the words after it.
 */
function isolate(value: string): string {
  return `\u2068${value}\u2069`;
}
