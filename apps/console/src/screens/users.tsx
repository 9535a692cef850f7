/**
 * Users: the list with search and filters, creating an account (the server may draw a one-time
 * password, shown once), and one user's page: disable or enable, reset the password, role,
 * teams, and their devices. Usernames are whatever was typed at creation: shown as text only.
 */
import { useState } from 'preact/hooks';
import { describeError, query, type User } from '../api.js';
import {
  Badge,
  ConfirmActions,
  Dialog,
  Field,
  FormEnd,
  ListState,
  Notice,
  TableFrame,
} from '../ui/components.js';
import { useApi } from '../ui/context.js';
import { formatTime } from '../ui/format.js';
import { useLoad } from '../ui/load.js';
import { DeviceTable } from './devices.js';
import { FederatedIdentities } from './federated.js';

interface UsersPage {
  readonly users: readonly User[];
  readonly nextCursor?: string | null;
}

/** The list of users. */
export function UsersScreen() {
  const api = useApi();
  const [q, setQ] = useState('');
  const [role, setRole] = useState('');
  const [disabled, setDisabled] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const [creating, setCreating] = useState(false);
  const [list, reload] = useLoad(
    () => api.call<UsersPage>('GET', `/admin/users${query({ q, role, disabled, limit: 50, cursor })}`),
    [q, role, disabled, cursor],
  );
  const filter = (set: (v: string) => void) => (value: string) => {
    setCursors([]);
    set(value);
  };

  return (
    <section aria-labelledby="users-title">
      <div class="title-row">
        <h1 id="users-title">Users</h1>
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          New user
        </button>
      </div>
      <form class="filters" aria-label="Filter users" onSubmit={(e) => e.preventDefault()}>
        <Field label="Search by name">
          {(id) => (
            <input id={id} type="search" value={q} onInput={(e) => filter(setQ)(e.currentTarget.value)} />
          )}
        </Field>
        <Field label="Role">
          {(id) => (
            <select id={id} value={role} onChange={(e) => filter(setRole)(e.currentTarget.value)}>
              <option value="">Any</option>
              <option value="admin">admin</option>
              <option value="user">user</option>
            </select>
          )}
        </Field>
        <Field label="State">
          {(id) => (
            <select id={id} value={disabled} onChange={(e) => filter(setDisabled)(e.currentTarget.value)}>
              <option value="">Any</option>
              <option value="false">Active</option>
              <option value="true">Disabled</option>
            </select>
          )}
        </Field>
      </form>
      <ListState
        load={list}
        what="users"
        onRetry={reload}
        isEmpty={(d) => d.users.length === 0}
        empty="No user matches these filters."
      >
        {(d) => (
          <>
            <TableFrame label="Users table">
              <table>
                <caption class="sr-only">Users</caption>
                <thead>
                  <tr>
                    <th scope="col">Username</th>
                    <th scope="col">Role</th>
                    <th scope="col">State</th>
                    <th scope="col">Teams</th>
                    <th scope="col">Devices</th>
                    <th scope="col">Last seen</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {d.users.map((u) => (
                    <tr key={u.id} data-user-id={u.id}>
                      <td>
                        <a href={`#/users/${encodeURIComponent(u.id)}`} class="username">
                          {u.username}
                        </a>
                      </td>
                      <td>{u.role}</td>
                      <td>
                        <UserState user={u} />
                      </td>
                      <td>{(u.teams ?? []).join(', ') || '—'}</td>
                      <td>{u.deviceCount ?? '—'}</td>
                      <td>{formatTime(u.lastSeenAt)}</td>
                      <td>{formatTime(u.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableFrame>
            <Pager
              hasPrevious={cursors.length > 0}
              next={d.nextCursor ?? undefined}
              onPrevious={() => setCursors(cursors.slice(0, -1))}
              onNext={(c) => setCursors([...cursors, c])}
            />
          </>
        )}
      </ListState>
      <CreateUser
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={() => {
          setCursors([]);
          reload();
        }}
      />
    </section>
  );
}

/**
 * Previous and next buttons over cursor pages.
 *
 * @example
 * ```tsx
 * <Pager hasPrevious={false} next={page.nextCursor} onPrevious={back} onNext={forward} />
 * ```
 */
export function Pager(props: {
  hasPrevious: boolean;
  next: string | undefined;
  onPrevious: () => void;
  onNext: (cursor: string) => void;
  previousLabel?: string;
  nextLabel?: string;
}) {
  if (!props.hasPrevious && props.next === undefined) return null;
  const next = props.next;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={!props.hasPrevious} onClick={props.onPrevious}>
        {props.previousLabel ?? 'Previous page'}
      </button>
      <button
        type="button"
        disabled={next === undefined}
        onClick={() => next !== undefined && props.onNext(next)}
      >
        {props.nextLabel ?? 'Next page'}
      </button>
    </nav>
  );
}

function UserState(props: { user: User }) {
  if (props.user.disabled) return <Badge tone="bad">disabled</Badge>;
  if (props.user.mustChangePassword === true) return <Badge tone="warn">must change password</Badge>;
  return <Badge tone="good">active</Badge>;
}

/** Team names from a comma-separated text, trimmed, without repeats. */
export function parseTeams(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

/** The one-time password, shown once with a copy button. */
function OneTimePassword(props: { username: string; password: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="secret" role="status">
      <p>
        One-time password for <strong>{props.username}</strong> (shown only now; they must change it at first
        sign-in):
      </p>
      <code class="otp">{props.password}</code>
      <button
        type="button"
        onClick={() =>
          navigator.clipboard.writeText(props.password).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {copied ? 'Copied' : 'Copy password'}
      </button>
    </div>
  );
}

function CreateUser(props: { open: boolean; onClose: () => void; onCreated: () => void }) {
  const api = useApi();
  const [username, setUsername] = useState('');
  const [role, setRole] = useState('user');
  const [teams, setTeams] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [created, setCreated] = useState<{ username: string; oneTimePassword?: string } | undefined>();
  const [busy, setBusy] = useState(false);

  function close() {
    setUsername('');
    setRole('user');
    setTeams('');
    setPassword('');
    setError(undefined);
    setCreated(undefined);
    props.onClose();
  }

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const list = parseTeams(teams);
      const answer = await api.call<{ user?: User; oneTimePassword?: string } & Partial<User>>(
        'POST',
        '/admin/users',
        {
          username,
          role,
          ...(password === '' ? {} : { password }),
          ...(list.length === 0 ? {} : { teams: list }),
        },
      );
      const user = answer.user ?? (answer as User);
      setCreated({
        username: user.username,
        ...(answer.oneTimePassword === undefined ? {} : { oneTimePassword: answer.oneTimePassword }),
      });
      props.onCreated();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title="New user" open={props.open} onClose={close}>
      {created !== undefined ? (
        <>
          <p role="status">
            Created <strong>{created.username}</strong>.
          </p>
          {created.oneTimePassword === undefined ? null : (
            <OneTimePassword username={created.username} password={created.oneTimePassword} />
          )}
          <div class="actions">
            <button type="button" class="primary" onClick={close}>
              Done
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={submit}>
          <Field label="Username">
            {(id) => (
              <input
                id={id}
                required
                maxLength={200}
                value={username}
                onInput={(e) => setUsername(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label="Role">
            {(id) => (
              <select id={id} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
                <option value="user">user</option>
                <option value="admin">admin</option>
              </select>
            )}
          </Field>
          <Field label="Teams" hint="Comma-separated team names; may be empty.">
            {(id, hint) => (
              <input
                id={id}
                aria-describedby={hint}
                value={teams}
                onInput={(e) => setTeams(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label="Password" hint="Leave empty and the server draws a one-time password.">
            {(id, hint) => (
              <input
                id={id}
                type="password"
                autocomplete="new-password"
                aria-describedby={hint}
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            )}
          </Field>
          <FormEnd
            error={error}
            busy={busy}
            submit="Create user"
            busyText="Creating…"
            leave="Cancel"
            onLeave={close}
          />
        </form>
      )}
    </Dialog>
  );
}

/** One user: state, password reset, role, teams, devices. */
export function UserScreen(props: { userId: string }) {
  const api = useApi();
  const path = `/admin/users/${encodeURIComponent(props.userId)}`;
  const [load, reload] = useLoad(() => api.call<{ user: User }>('GET', path), [path]);
  const [notice, setNotice] = useState<{ tone: 'ok' | 'error'; text: string } | undefined>();
  const [otp, setOtp] = useState<string | undefined>();
  const [confirm, setConfirm] = useState<'disable' | 'reset' | undefined>();
  const [role, setRole] = useState<string | undefined>();
  const [teams, setTeams] = useState<string | undefined>();
  const [changes, setChanges] = useState(0);

  async function act(what: string, run: () => Promise<unknown>) {
    setNotice(undefined);
    try {
      await run();
      setNotice({ tone: 'ok', text: what });
      reload();
      setChanges((c) => c + 1);
    } catch (err) {
      setNotice({ tone: 'error', text: describeError(err) });
    }
  }

  return (
    <section aria-labelledby="user-title">
      <p class="crumbs">
        <a href="#/users">← All users</a>
      </p>
      <ListState load={load} what="user" onRetry={reload} isEmpty={() => false}>
        {({ user }) => (
          <>
            <div class="title-row">
              <h1 id="user-title" class="username">
                {user.username}
              </h1>
              <UserState user={user} />
            </div>
            <dl class="facts">
              <dt>Id</dt>
              <dd>
                <code>{user.id}</code>
              </dd>
              <dt>Created</dt>
              <dd>{formatTime(user.createdAt)}</dd>
              <dt>Last seen</dt>
              <dd>{formatTime(user.lastSeenAt)}</dd>
            </dl>
            <Notice notice={notice} />
            {otp === undefined ? null : <OneTimePassword username={user.username} password={otp} />}
            <div class="panels">
              <div class="card">
                <h2>Access</h2>
                <div class="actions">
                  {user.disabled ? (
                    <button
                      type="button"
                      onClick={() => act('Enabled.', () => api.call('POST', `${path}/enable`))}
                    >
                      Enable user
                    </button>
                  ) : (
                    <button type="button" class="danger" onClick={() => setConfirm('disable')}>
                      Disable user
                    </button>
                  )}
                  <button type="button" onClick={() => setConfirm('reset')}>
                    Reset password
                  </button>
                </div>
              </div>
              <form
                class="card"
                onSubmit={(e) => {
                  e.preventDefault();
                  void act('Role saved.', () => api.call('PUT', `${path}/role`, { role: role ?? user.role }));
                }}
              >
                <h2>Role</h2>
                <Field label="Role">
                  {(id) => (
                    <select
                      id={id}
                      value={role ?? user.role}
                      onChange={(e) => setRole(e.currentTarget.value)}
                    >
                      <option value="user">user</option>
                      <option value="admin">admin</option>
                    </select>
                  )}
                </Field>
                <button type="submit">Save role</button>
              </form>
              <form
                class="card"
                onSubmit={(e) => {
                  e.preventDefault();
                  void act('Teams saved.', () =>
                    api.call('PUT', `${path}/teams`, {
                      teams: parseTeams(teams ?? (user.teams ?? []).join(', ')),
                    }),
                  );
                }}
              >
                <h2>Teams</h2>
                <Field label="Teams" hint="Comma-separated team names.">
                  {(id, hint) => (
                    <input
                      id={id}
                      aria-describedby={hint}
                      value={teams ?? (user.teams ?? []).join(', ')}
                      onInput={(e) => setTeams(e.currentTarget.value)}
                    />
                  )}
                </Field>
                <button type="submit">Save teams</button>
              </form>
            </div>
            <h2>Devices</h2>
            <UserDevices userId={user.id} changes={changes} />
            <FederatedIdentities userId={user.id} username={user.username} />
            <Dialog
              title={confirm === 'disable' ? 'Disable this user?' : 'Reset the password?'}
              open={confirm !== undefined}
              onClose={() => setConfirm(undefined)}
            >
              <p>
                {confirm === 'disable'
                  ? 'Every session of this user ends at once and sign-in is refused until the user is enabled again. Their devices are not wiped: the data each one holds stays on it. To erase it, revoke the device (below).'
                  : 'The current password stops working. The server draws a one-time password that the user must change at next sign-in.'}
              </p>
              <ConfirmActions
                action={confirm === 'disable' ? 'Disable' : 'Reset password'}
                tone="danger"
                onCancel={() => setConfirm(undefined)}
                onAction={() => {
                  const what = confirm;
                  setConfirm(undefined);
                  if (what === 'disable') void act('Disabled.', () => api.call('POST', `${path}/disable`));
                  else
                    void act('Password reset.', async () => {
                      const answer = await api.call<{ oneTimePassword: string }>(
                        'POST',
                        `${path}/reset-password`,
                      );
                      setOtp(answer.oneTimePassword);
                    });
                }}
              />
            </Dialog>
          </>
        )}
      </ListState>
    </section>
  );
}

function UserDevices(props: { userId: string; changes: number }) {
  const api = useApi();
  const path = `/admin/users/${encodeURIComponent(props.userId)}/devices`;
  const [load, reload] = useLoad(() => api.call<{ devices: [] }>('GET', path), [path, props.changes]);
  return (
    <ListState load={load} what="devices" onRetry={reload} isEmpty={(d) => d.devices.length === 0}>
      {(d) => <DeviceTable devices={d.devices} onChanged={reload} showUser={false} />}
    </ListState>
  );
}
