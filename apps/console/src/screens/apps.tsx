/**
 * Registered apps (SSO and the app catalog): each app's id, name, redirect URIs and collections,
 * and who may use it — the roles and teams it is assigned to, edited here through
 * `PUT /admin/apps/:appId/assignments` (the server logs each change as `app_assignments_changed`).
 * Apps themselves are registered in the server's configuration, not here.
 */
import { useState } from 'preact/hooks';
import { type AppAssignment, describeError, type RegisteredApp } from '../api.js';
import { Badge, Dialog, Field, FormEnd, ListState, Notice, TableFrame } from '../ui/components.js';
import { useApi } from '../ui/context.js';
import { useLoad } from '../ui/load.js';
import { parseTeams } from './users.js';

const ROLES = ['admin', 'user'] as const;

/** Who may use an app, in words. */
export function describeAssignment(a: Pick<AppAssignment, 'roles' | 'teams'>): string {
  const roles = a.roles.length === 0 ? 'no role' : `roles ${a.roles.join(', ')}`;
  const teams = a.teams.length === 0 ? 'no team' : `teams ${a.teams.join(', ')}`;
  return `${roles}; ${teams}`;
}

/** The registered apps and their assignments. */
export function AppsScreen() {
  const api = useApi();
  const [load, reload] = useLoad(
    () => api.call<{ apps: readonly RegisteredApp[] }>('GET', '/admin/apps'),
    [],
  );
  const [editing, setEditing] = useState<RegisteredApp | undefined>();
  const [notice, setNotice] = useState<{ tone: 'ok' | 'error'; text: string } | undefined>();

  return (
    <section aria-labelledby="apps-title">
      <div class="title-row">
        <h1 id="apps-title">Apps</h1>
      </div>
      <p class="lead">
        The apps registered on this server for single sign-on and the app catalog. A user may use an app when
        their role or one of their teams is assigned to it. Apps are registered in the server's configuration;
        who may use them is set here.
      </p>
      <Notice notice={notice} />
      <ListState
        load={load}
        what="apps"
        onRetry={reload}
        isEmpty={(d) => d.apps.length === 0}
        empty="No apps are registered. Register them in the server's configuration (federation.apps)."
      >
        {(d) => (
          <TableFrame label="Apps table">
            <table>
              <caption class="sr-only">Registered apps</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Id</th>
                  <th scope="col">Redirect URIs</th>
                  <th scope="col">Collections</th>
                  <th scope="col">Roles</th>
                  <th scope="col">Teams</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {d.apps.map((app) => (
                  <tr key={app.id} data-app={app.id}>
                    <td>{app.name}</td>
                    <td>
                      <code>{app.id}</code>
                    </td>
                    <td>
                      <ul class="plain">
                        {(app.redirectUris ?? []).map((uri) => (
                          <li key={uri}>
                            <code class="small">{uri}</code>
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td>{app.collections.length === 0 ? 'none' : app.collections.join(', ')}</td>
                    <td>{app.assignedTo.roles.length === 0 ? 'none' : app.assignedTo.roles.join(', ')}</td>
                    <td>
                      {app.assignedTo.teams.length === 0 ? 'none' : app.assignedTo.teams.join(', ')}{' '}
                      <Badge tone="neutral">
                        {app.assignedTo.source === 'admin' ? 'set by an admin' : 'from configuration'}
                      </Badge>
                    </td>
                    <td>
                      <button
                        type="button"
                        aria-label={`Edit assignment of ${app.name}`}
                        onClick={() => {
                          setNotice(undefined);
                          setEditing(app);
                        }}
                      >
                        Edit assignment
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableFrame>
        )}
      </ListState>
      <Dialog
        title={editing === undefined ? 'Assignment' : `Who may use ${editing.name}`}
        open={editing !== undefined}
        onClose={() => setEditing(undefined)}
      >
        {editing === undefined ? null : (
          <AssignmentForm
            key={editing.id}
            app={editing}
            onCancel={() => setEditing(undefined)}
            onSaved={(saved) => {
              setEditing(undefined);
              setNotice({
                tone: 'ok',
                text: `Saved: ${saved.name} is now for ${describeAssignment(saved.assignedTo)}. The change is logged in the security events (app_assignments_changed).`,
              });
              reload();
            }}
          />
        )}
      </Dialog>
    </section>
  );
}

function AssignmentForm(props: {
  app: RegisteredApp;
  onCancel: () => void;
  onSaved: (app: RegisteredApp) => void;
}) {
  const api = useApi();
  const [roles, setRoles] = useState<readonly string[]>(props.app.assignedTo.roles);
  const [teams, setTeams] = useState(props.app.assignedTo.teams.join(', '));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const after = { roles: ROLES.filter((r) => roles.includes(r)), teams: parseTeams(teams) };

  async function save(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      props.onSaved(
        await api.call<RegisteredApp>(
          'PUT',
          `/admin/apps/${encodeURIComponent(props.app.id)}/assignments`,
          after,
        ),
      );
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={save}>
      <fieldset>
        <legend>Roles</legend>
        {ROLES.map((role) => (
          <label key={role} class="check">
            <input
              type="checkbox"
              checked={roles.includes(role)}
              onChange={(e) =>
                setRoles((now) => (e.currentTarget.checked ? [...now, role] : now.filter((r) => r !== role)))
              }
            />{' '}
            {role}
          </label>
        ))}
      </fieldset>
      <Field label="Teams" hint="Comma-separated team names.">
        {(id, hint) => (
          <input
            id={id}
            aria-describedby={hint}
            value={teams}
            onInput={(e) => setTeams(e.currentTarget.value)}
          />
        )}
      </Field>
      <dl class="facts">
        <dt>Now</dt>
        <dd>{describeAssignment(props.app.assignedTo)}</dd>
        <dt>After saving</dt>
        <dd>{describeAssignment(after)}</dd>
      </dl>
      <p class="hint">
        Users who lose the app no longer see it in their catalog, and its SSO hand-offs are refused to them.
      </p>
      <FormEnd
        error={error}
        busy={busy}
        submit="Save assignment"
        busyText="Saving…"
        leave="Cancel"
        onLeave={props.onCancel}
      />
    </form>
  );
}
