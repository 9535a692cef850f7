/**
 * My account: the admin's passkeys (WebAuthn through @simplewebauthn/browser) — register one,
 * list, remove. Where the server requires a passkey for admin
 * sign-in, the passkey registered here is the second factor.
 */
import { startRegistration } from '@simplewebauthn/browser';
import { useState } from 'preact/hooks';
import { type Connection, describeError, type Passkey } from '../api.js';
import { Field, ListState, Notice } from '../ui/components.js';
import { useApi } from '../ui/context.js';
import { formatTime } from '../ui/format.js';
import { useLoad } from '../ui/load.js';

/** The account screen. */
export function AccountScreen(props: { connection: Connection }) {
  const api = useApi();
  const [load, reload] = useLoad(
    () => api.call<{ passkeys: readonly Passkey[] }>('GET', '/auth/passkeys'),
    [],
  );
  const [name, setName] = useState('');
  const [notice, setNotice] = useState<{ tone: 'ok' | 'error'; text: string } | undefined>();
  const [busy, setBusy] = useState(false);

  async function register(event: Event) {
    event.preventDefault();
    setBusy(true);
    setNotice(undefined);
    try {
      const { options } = await api.call<{ options: Parameters<typeof startRegistration>[0]['optionsJSON'] }>(
        'POST',
        '/auth/passkeys/registration-options',
      );
      const response = await startRegistration({ optionsJSON: options });
      await api.call('POST', '/auth/passkeys', {
        response,
        ...(name.trim() === '' ? {} : { name: name.trim() }),
      });
      setName('');
      setNotice({ tone: 'ok', text: 'Passkey registered.' });
      reload();
    } catch (err) {
      setNotice({ tone: 'error', text: `The passkey was not registered: ${describeError(err)}` });
    } finally {
      setBusy(false);
    }
  }

  async function remove(passkey: Passkey) {
    setNotice(undefined);
    try {
      await api.call('DELETE', `/auth/passkeys/${encodeURIComponent(passkey.id)}`);
      setNotice({ tone: 'ok', text: 'Passkey removed.' });
      reload();
    } catch (err) {
      setNotice({ tone: 'error', text: describeError(err) });
    }
  }

  return (
    <section aria-labelledby="account-title">
      <h1 id="account-title">My account</h1>
      <p class="lead">
        Signed in as <strong>{api.me.username}</strong> from this browser, enrolled as device{' '}
        <code>{props.connection.deviceId}</code>.
      </p>
      <div class="card">
        <h2>Passkeys</h2>
        <Notice notice={notice} />
        <ListState
          load={load}
          what="passkeys"
          onRetry={reload}
          isEmpty={(d) => d.passkeys.length === 0}
          empty="No passkey yet."
        >
          {(d) => (
            <ul class="passkeys">
              {d.passkeys.map((p) => (
                <li key={p.id}>
                  <span class="passkey-name">{p.name ?? 'Passkey'}</span>{' '}
                  <span class="small">
                    added {formatTime(p.createdAt)}, last used {formatTime(p.lastUsedAt)}
                  </span>{' '}
                  <button
                    type="button"
                    aria-label={`Remove passkey ${p.name ?? p.id}`}
                    onClick={() => remove(p)}
                  >
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )}
        </ListState>
        <form onSubmit={register} class="inline-form">
          <Field label="Name of the new passkey" hint="Optional, e.g. the laptop it lives on.">
            {(id, hint) => (
              <input
                id={id}
                aria-describedby={hint}
                maxLength={100}
                value={name}
                onInput={(e) => setName(e.currentTarget.value)}
              />
            )}
          </Field>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Waiting for the authenticator…' : 'Register a passkey'}
          </button>
        </form>
      </div>
    </section>
  );
}
