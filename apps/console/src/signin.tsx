/**
 * Sign-in, the forced change of a one-time password, and the screens shown when the console
 * cannot be used: not an admin, the session ended, this browser's device revoked.
 */
import { useState } from 'preact/hooks';
import { type Connection, describeError, errorCode, type SessionEnd } from './api.js';
import { Field, FormEnd } from './ui/components.js';

/**
 * The sign-in form. A server that requires a passkey as the second factor answers
 * `passkey_required`; the SDK then asks the browser's authenticator and repeats the sign-in.
 */
export function SignIn(props: {
  connection: Connection;
  ended: SessionEnd | undefined;
  onSignedIn: () => void;
}) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await props.connection.signIn(username, password);
      setPassword('');
      props.onSignedIn();
    } catch (err) {
      const code = errorCode(err);
      const name = err instanceof Error ? err.name : '';
      setError(
        name === 'WebAuthnError' || name === 'NotAllowedError' || name === 'AbortError'
          ? 'The passkey was not confirmed: cancelled, timed out, or this device has no passkey for the account. Try again.'
          : code === 'invalid_credentials'
            ? 'The username or password is wrong.'
            : code === 'passkey_required'
              ? 'This account needs its passkey to sign in; the passkey was not confirmed.'
              : describeError(err),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="signin" id="main">
      <h1>Bulwark console</h1>
      <EndedMessage ended={props.ended} />
      <form
        class="card"
        onSubmit={submit}
        aria-describedby={error === undefined ? undefined : 'signin-error'}
      >
        <h2>Sign in</h2>
        <Field label="Username">
          {(id) => (
            <input
              id={id}
              name="username"
              autocomplete="username webauthn"
              required
              value={username}
              onInput={(e) => setUsername(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="Password">
          {(id) => (
            <input
              id={id}
              name="password"
              type="password"
              autocomplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          )}
        </Field>
        {error === undefined ? null : (
          <p class="notice notice-error" id="signin-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function EndedMessage(props: { ended: SessionEnd | undefined }) {
  if (props.ended === undefined || props.ended === 'signed_out') return null;
  return (
    <p class="notice notice-error" role="alert">
      {props.ended === 'device_revoked'
        ? 'This browser was revoked as a device by an administrator: its key was deleted. Sign in again to enrol it anew.'
        : 'Your session has ended. Sign in again.'}
    </p>
  );
}

/** The forced change of a one-time password, before anything else works. */
export function ChangePassword(props: {
  connection: Connection;
  username: string;
  forced: boolean;
  onDone: () => void;
  onSignOut: () => void;
}) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  async function submit(event: Event) {
    event.preventDefault();
    if (next !== repeat) {
      setError('The two new passwords differ.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await props.connection.transport.request('POST', '/auth/password', {
        currentPassword: current,
        newPassword: next,
      });
      props.onDone();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="signin" id="main">
      <h1>Bulwark console</h1>
      <form class="card" onSubmit={submit}>
        <h2>Choose a new password</h2>
        <input type="text" name="username" autocomplete="username" value={props.username} readOnly hidden />
        {props.forced ? (
          <p>
            You signed in as <strong>{props.username}</strong> with a one-time password. Choose your own
            password before you continue.
          </p>
        ) : null}
        <Field label="Current (one-time) password">
          {(id) => (
            <input
              id={id}
              type="password"
              autocomplete="current-password"
              required
              value={current}
              onInput={(e) => setCurrent(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="New password" hint="A long passphrase; the server's password rules apply.">
          {(id, hint) => (
            <input
              id={id}
              type="password"
              autocomplete="new-password"
              required
              aria-describedby={hint}
              value={next}
              onInput={(e) => setNext(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="New password again">
          {(id) => (
            <input
              id={id}
              type="password"
              autocomplete="new-password"
              required
              value={repeat}
              onInput={(e) => setRepeat(e.currentTarget.value)}
            />
          )}
        </Field>
        <FormEnd
          error={error}
          busy={busy}
          submit="Change password"
          busyText="Saving…"
          leave="Sign out"
          onLeave={props.onSignOut}
        />
      </form>
    </main>
  );
}

/** A signed-in account that is not an admin. */
export function NotAdmin(props: { username: string; onSignOut: () => void }) {
  return (
    <main class="signin" id="main">
      <h1>Bulwark console</h1>
      <div class="card" role="alert">
        <h2>Not an administrator</h2>
        <p>
          The account <strong>{props.username}</strong> is not an administrator, so it cannot use the console.
          The server refuses its admin requests (403 forbidden).
        </p>
        <button type="button" class="primary" onClick={props.onSignOut}>
          Sign out
        </button>
      </div>
    </main>
  );
}
