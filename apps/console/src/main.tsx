/**
 * Entry of the Bulwark console: opens this browser's device (key, install id, session), decides
 * what to show (sign-in, the forced password change, the refusal of a non-admin, the console)
 * and routes between the screens by the URL's hash.
 */
import './console.css';
import { render } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useMemo, useState } from 'preact/hooks';
import { type Connection, classify, connect, type Me, type SessionEnd } from './api.js';
import { AccountScreen } from './screens/account.js';
import { AppsScreen } from './screens/apps.js';
import { DevicesScreen } from './screens/devices.js';
import { EventsScreen } from './screens/events.js';
import { KeysScreen } from './screens/keys.js';
import { PolicyScreen } from './screens/policy.js';
import { ProvidersScreen } from './screens/providers.js';
import { UserScreen, UsersScreen } from './screens/users.js';
import { ChangePassword, NotAdmin, SignIn } from './signin.js';
import { ApiContext, type ConsoleApi } from './ui/context.js';

type View =
  | { readonly kind: 'starting' }
  | { readonly kind: 'broken'; readonly message: string }
  | { readonly kind: 'signin'; readonly ended?: SessionEnd }
  | { readonly kind: 'password'; readonly me: Me }
  | { readonly kind: 'not-admin'; readonly me: Me }
  | { readonly kind: 'console'; readonly me: Me };

const SCREENS = [
  ['users', 'Users'],
  ['devices', 'Devices'],
  ['events', 'Security events'],
  ['policy', 'Device policy'],
  ['keys', 'Signing keys'],
  ['apps', 'Apps'],
  ['providers', 'Identity providers'],
  ['account', 'My account'],
] as const;

/**
 * One part of the address as the screen gets it. The address may come from a link someone else
 * wrote: a part that is not valid percent-encoding (`%E0%A4%A`) made `decodeURIComponent` throw
 * while rendering, and the console went blank. Such a part is kept as written; the screen's
 * request then says the id is not valid.
 */
function routePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function currentRoute(): string[] {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(routePart);
  return parts.length === 0 ? ['users'] : parts;
}

function App() {
  const [connection, setConnection] = useState<Connection | undefined>();
  const [view, setView] = useState<View>({ kind: 'starting' });

  // The revocation outranks the rest: once the SDK has wiped this device's session, the console's
  // other requests fail as if the session had ended (not_signed_in), before or after the
  // revocation itself is reported; the sign-in screen keeps saying the browser was revoked.
  // Any other report that comes while the sign-in screen shows is a late answer to a request of
  // the console that is gone, and changes nothing.
  const ended = useCallback(
    (why: SessionEnd) =>
      setView((current) =>
        current.kind === 'signin' && why !== 'device_revoked' ? current : { kind: 'signin', ended: why },
      ),
    [],
  );

  const enter = useCallback(async (c: Connection) => {
    const me = await c.transport.request<Me>('GET', '/me');
    if (me.mustChangePassword) setView({ kind: 'password', me });
    else if (me.role !== 'admin') setView({ kind: 'not-admin', me });
    else setView({ kind: 'console', me });
  }, []);

  useEffect(() => {
    // The connection makes a new device for the next sign-in after each revocation.
    connect(() => ended('device_revoked')).then(
      async (c) => {
        setConnection(c);
        await enter(c).catch((err: unknown) => {
          const kind = classify(err);
          setView({
            kind: 'signin',
            ...(kind === 'device_revoked' ? { ended: 'device_revoked' as const } : {}),
          });
        });
      },
      (err: unknown) =>
        setView({
          kind: 'broken',
          message: `This browser cannot hold a device key for the console (${err instanceof Error ? err.message : String(err)}).`,
        }),
    );
  }, [enter, ended]);

  const signOut = useCallback(async () => {
    await connection?.transport.logout().catch(() => undefined);
    setView({ kind: 'signin', ended: 'signed_out' });
  }, [connection]);

  if (view.kind === 'starting') {
    return (
      <main id="main" class="signin">
        <h1>Bulwark console</h1>
        <p role="status">Starting…</p>
      </main>
    );
  }
  if (view.kind === 'broken' || connection === undefined) {
    return (
      <main id="main" class="signin">
        <h1>Bulwark console</h1>
        <p role="alert" class="notice notice-error">
          {view.kind === 'broken' ? view.message : 'Starting…'}
        </p>
      </main>
    );
  }
  if (view.kind === 'signin') {
    return (
      <SignIn
        connection={connection}
        ended={view.ended}
        onSignedIn={() => enter(connection).catch(() => setView({ kind: 'signin', ended: 'session_ended' }))}
      />
    );
  }
  if (view.kind === 'password') {
    return (
      <ChangePassword
        connection={connection}
        username={view.me.username}
        forced
        onDone={() => enter(connection).catch(() => setView({ kind: 'signin', ended: 'session_ended' }))}
        onSignOut={signOut}
      />
    );
  }
  if (view.kind === 'not-admin') return <NotAdmin username={view.me.username} onSignOut={signOut} />;
  return <Console connection={connection} me={view.me} onEnded={ended} onSignOut={signOut} />;
}

function Console(props: {
  connection: Connection;
  me: Me;
  onEnded: (why: SessionEnd) => void;
  onSignOut: () => void;
}) {
  const [route, setRoute] = useState(currentRoute);
  // A layout effect, and the hash read again once listening: a hash changed between the first
  // render and the listener (a link followed just after sign-in) would otherwise be missed,
  // leaving one screen shown under another's address.
  useLayoutEffect(() => {
    const onHash = () => {
      setRoute(currentRoute());
      document.getElementById('main')?.focus();
    };
    addEventListener('hashchange', onHash);
    setRoute((shown) => {
      const now = currentRoute();
      return now.join('/') === shown.join('/') ? shown : now;
    });
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const { connection, me, onEnded } = props;
  const api = useMemo<ConsoleApi>(
    () => ({
      me,
      async call<T>(method: string, path: string, body?: unknown): Promise<T> {
        try {
          return await connection.transport.request<T>(method, path, body);
        } catch (err) {
          const kind = classify(err);
          if (kind === 'session_ended' || kind === 'device_revoked') onEnded(kind);
          throw err;
        }
      },
    }),
    [connection, me, onEnded],
  );
  const [screen = 'users', id] = route;
  return (
    <ApiContext.Provider value={api}>
      <button type="button" class="skip" onClick={skipToMain}>
        Skip to content
      </button>
      <header class="topbar">
        <p class="brand">Bulwark console</p>
        <nav aria-label="Console">
          <ul>
            {SCREENS.map(([key, label]) => (
              <li key={key}>
                <a href={`#/${key}`} aria-current={screen === key ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            Signed in as <strong>{me.username}</strong>
          </span>
          <button type="button" onClick={props.onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {screen === 'users' && id !== undefined ? (
          <UserScreen userId={id} />
        ) : screen === 'users' ? (
          <UsersScreen />
        ) : screen === 'devices' ? (
          <DevicesScreen />
        ) : screen === 'events' ? (
          <EventsScreen />
        ) : screen === 'policy' ? (
          <PolicyScreen />
        ) : screen === 'keys' ? (
          <KeysScreen />
        ) : screen === 'apps' ? (
          <AppsScreen />
        ) : screen === 'providers' ? (
          <ProvidersScreen />
        ) : screen === 'account' ? (
          <AccountScreen connection={connection} />
        ) : (
          <>
            <h1>Not found</h1>
            <p>There is no such screen.</p>
          </>
        )}
      </main>
    </ApiContext.Provider>
  );
}

function skipToMain() {
  document.getElementById('main')?.focus();
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
