/**
 * Security events: the server's event log, newest first, filtered by type, user, device and time and paged
 * by the server's cursor; the verification of its hash chain, and the head hash to copy into a
 * report (whoever holds an earlier copy of the head can prove that the log up to it was not
 * edited). Event details include what devices and users sent: shown as text.
 */
import { useState } from 'preact/hooks';
import { type ChainStatus, query, type SecurityEvent } from '../api.js';
import { Badge, Field, ListState, TableFrame } from '../ui/components.js';
import { useApi } from '../ui/context.js';
import { formatTime } from '../ui/format.js';
import { useLoad } from '../ui/load.js';
import { Pager } from './users.js';

interface EventsPage {
  readonly events: readonly SecurityEvent[];
  readonly nextCursor?: string | null;
}

// The server's event types (docs/identity.md#security-events), offered as suggestions; any text is accepted.
const KNOWN_TYPES = [
  'login_succeeded',
  'login_failed',
  'login_throttled',
  'login_passkey_required',
  'password_changed',
  'password_reset',
  'device_enrolled',
  'device_policy_refused',
  'device_policy_warned',
  'device_revoked',
  'device_revoked_access',
  'device_wipe_confirmed',
  'session_refreshed',
  'refresh_reuse_detected',
  'sessions_revoked',
  'dpop_replay',
  'admin_created',
  'user_created',
  'user_disabled',
  'user_enabled',
  'user_role_changed',
  'user_role_kept',
  'user_teams_changed',
  'policy_changed',
  'signing_key_rotated',
  'passkey_registered',
  'passkey_registration_refused',
  'passkey_deleted',
  'passkeys_reset',
];

interface Filters {
  readonly type: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly since: string;
  readonly until: string;
}

const NO_FILTERS: Filters = { type: '', userId: '', deviceId: '', since: '', until: '' };

/** `datetime-local` value (taken as UTC) to ISO. */
function toIso(local: string): string | undefined {
  if (local === '') return undefined;
  const date = new Date(`${local}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The security event log. */
export function EventsScreen() {
  const api = useApi();
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const [limit, setLimit] = useState('50');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const [load, reload] = useLoad(
    () =>
      api.call<EventsPage>(
        'GET',
        `/admin/events${query({
          type: applied.type.trim(),
          userId: applied.userId.trim(),
          deviceId: applied.deviceId.trim(),
          since: toIso(applied.since),
          until: toIso(applied.until),
          limit,
          cursor,
        })}`,
      ),
    [applied, limit, cursor],
  );
  const input = (key: keyof Filters) => (e: { currentTarget: HTMLInputElement }) =>
    setDraft({ ...draft, [key]: e.currentTarget.value });
  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">Security events</h1>
      <Chain />
      <form
        class="filters"
        aria-label="Filter events"
        onSubmit={(e) => {
          e.preventDefault();
          setCursors([]);
          setApplied(draft);
        }}
      >
        <Field label="Type">
          {(id) => <input id={id} list="event-types" value={draft.type} onInput={input('type')} />}
        </Field>
        <datalist id="event-types">
          {KNOWN_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <Field label="User id">
          {(id) => <input id={id} value={draft.userId} onInput={input('userId')} />}
        </Field>
        <Field label="Device id">
          {(id) => <input id={id} value={draft.deviceId} onInput={input('deviceId')} />}
        </Field>
        <Field label="Since (UTC)">
          {(id) => (
            <input id={id} type="datetime-local" step={1} value={draft.since} onInput={input('since')} />
          )}
        </Field>
        <Field label="Until (UTC)">
          {(id) => (
            <input id={id} type="datetime-local" step={1} value={draft.until} onInput={input('until')} />
          )}
        </Field>
        <div class="filter-buttons">
          <button type="submit" class="primary">
            Apply filters
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(NO_FILTERS);
              setCursors([]);
              setApplied(NO_FILTERS);
            }}
          >
            Clear
          </button>
        </div>
        <Field label="Per page">
          {(id) => (
            <select
              id={id}
              value={limit}
              onChange={(e) => {
                setCursors([]);
                setLimit(e.currentTarget.value);
              }}
            >
              <option value="25">25</option>
              <option value="50">50</option>
              <option value="100">100</option>
            </select>
          )}
        </Field>
      </form>
      <ListState
        load={load}
        what="events"
        onRetry={reload}
        isEmpty={(d) => d.events.length === 0}
        empty="No event matches these filters."
      >
        {(d) => (
          <>
            <TableFrame label="Events table">
              <table class="events">
                <caption class="sr-only">Security events, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Time</th>
                    <th scope="col">Type</th>
                    <th scope="col">User</th>
                    <th scope="col">Device</th>
                    <th scope="col">Subject</th>
                    <th scope="col">IP</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  {d.events.map((e) => (
                    <tr key={e.seq} data-seq={e.seq}>
                      <td>{e.seq}</td>
                      <td>{formatTime(e.at)}</td>
                      <td>
                        <code class="type">{e.type}</code>
                      </td>
                      <td>
                        <code class="small">{e.userId ?? e.actorUserId ?? '—'}</code>
                      </td>
                      <td>
                        <code class="small">{e.deviceId ?? e.actorDeviceId ?? '—'}</code>
                      </td>
                      <td>
                        <code class="small">{e.subject ?? '—'}</code>
                      </td>
                      <td>{e.ip ?? '—'}</td>
                      <td>
                        <Details details={e.details ?? e.data ?? {}} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableFrame>
            <Pager
              hasPrevious={cursors.length > 0}
              next={d.nextCursor ?? undefined}
              previousLabel="Newer events"
              nextLabel="Older events"
              onPrevious={() => setCursors(cursors.slice(0, -1))}
              onNext={(c) => setCursors([...cursors, c])}
            />
          </>
        )}
      </ListState>
    </section>
  );
}

/** An event's details as `key value` lines; strings as they are, anything else as JSON. */
function Details(props: { details: Record<string, unknown> }) {
  const entries = Object.entries(props.details);
  if (entries.length === 0) return <span>—</span>;
  return (
    <ul class="kv">
      {entries.map(([key, value]) => (
        <li key={key}>
          <span class="key">{key}</span> {typeof value === 'string' ? value : JSON.stringify(value)}
        </li>
      ))}
    </ul>
  );
}

const HASH = /^[0-9a-f]{64}$/;

function Chain() {
  const api = useApi();
  // A head hash recorded elsewhere earlier: without one, a log whose newest events were cut and
  // whose head was set to match still verifies (docs/identity.md#security-events).
  const [anchorText, setAnchorText] = useState('');
  const [anchor, setAnchor] = useState('');
  const [load, reload] = useLoad(
    () => api.call<ChainStatus>('GET', `/admin/events/verify${anchor === '' ? '' : `?anchor=${anchor}`}`),
    [anchor],
  );
  const [copied, setCopied] = useState(false);
  const anchorInvalid = anchorText.trim() !== '' && !HASH.test(anchorText.trim().toLowerCase());
  return (
    <section class="card chain" aria-labelledby="chain-title">
      <h2 id="chain-title">Hash chain</h2>
      <ListState load={load} what="chain verification" onRetry={reload} isEmpty={() => false}>
        {(c) => (
          <>
            <p>
              {c.ok ? <Badge tone="good">verified</Badge> : <Badge tone="bad">broken</Badge>}{' '}
              {c.ok
                ? `All ${c.count} events link up to the head.`
                : (c.problems ?? []).every((p) => p.reason === 'anchor_missing')
                  ? `All ${c.count} events link up to the head, but the recorded head hash is not one of them: the newest events were cut, or the log rewritten, after it was recorded.`
                  : `The chain breaks at event #${c.brokenAtSeq ?? '?'}: the log was edited or damaged.`}
            </p>
            {anchor !== '' && c.ok ? (
              <p>The recorded head hash is in the log: every event up to it is as it was.</p>
            ) : null}
            <dl class="facts">
              <dt>Head event</dt>
              <dd>{c.headSeq ?? '—'}</dd>
              <dt>Head hash</dt>
              <dd class="hash-row">
                <code class="hash" id="head-hash">
                  {c.headHash ?? '—'}
                </code>
                {c.headHash ? (
                  <button
                    type="button"
                    onClick={() =>
                      navigator.clipboard.writeText(c.headHash ?? '').then(
                        () => setCopied(true),
                        () => setCopied(false),
                      )
                    }
                  >
                    {copied ? 'Copied' : 'Copy head hash'}
                  </button>
                ) : null}
              </dd>
            </dl>
            <button type="button" onClick={reload}>
              Verify again
            </button>
            <form
              class="anchor"
              onSubmit={(event) => {
                event.preventDefault();
                const text = anchorText.trim().toLowerCase();
                if (text === '' || HASH.test(text)) setAnchor(text);
              }}
            >
              <Field
                label="Recorded head hash (optional)"
                hint="A head hash copied earlier and kept elsewhere: the log must still hold it."
              >
                {(id, hint) => (
                  <input
                    id={id}
                    aria-describedby={hint}
                    aria-invalid={anchorInvalid}
                    spellcheck={false}
                    autocomplete="off"
                    value={anchorText}
                    onInput={(e) => setAnchorText(e.currentTarget.value)}
                  />
                )}
              </Field>
              {anchorInvalid ? (
                <p class="notice notice-error" role="alert">
                  A head hash is 64 hexadecimal digits.
                </p>
              ) : null}
              <button type="submit">Check against it</button>
            </form>
          </>
        )}
      </ListState>
    </section>
  );
}
