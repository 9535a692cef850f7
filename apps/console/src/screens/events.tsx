/**
 * Security events: the audit log, newest first, filtered by type, user, device and time and paged
 * by the server's cursor; the verification of its hash chain, and the head hash to copy into a
 * report (whoever holds an earlier copy of the head can prove that the log up to it was not
 * edited). Event details include what devices and users sent: shown as text.
 */
import { useState } from 'preact/hooks';
import { type ChainStatus, query, type SecurityEvent } from '../api.js';
import { Badge, Field, ListState } from '../ui/components.js';
import { useApi } from '../ui/context.js';
import { formatTime } from '../ui/format.js';
import { useLoad } from '../ui/load.js';
import { Pager } from './users.js';

interface EventsPage {
  readonly events: readonly SecurityEvent[];
  readonly nextCursor?: string | null;
}

const KNOWN_TYPES = [
  'login_failed',
  'login_succeeded',
  'login_throttled',
  'device_enrolled',
  'device_policy_refused',
  'device_policy_warned',
  'device_revoked',
  'device_wipe_confirmed',
  'dpop_replay',
  'refresh_token_reused',
  'password_changed',
  'user_created',
  'user_disabled',
  'user_enabled',
  'user_teams_changed',
  'policy_changed',
  'signing_key_rotated',
];

/** `datetime-local` value (taken as UTC) to ISO. */
function toIso(local: string): string | undefined {
  if (local === '') return undefined;
  const date = new Date(`${local}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The security event log. */
export function EventsScreen() {
  const api = useApi();
  const [type, setType] = useState('');
  const [userId, setUserId] = useState('');
  const [deviceId, setDeviceId] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [limit, setLimit] = useState('50');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const [load, reload] = useLoad(
    () =>
      api.call<EventsPage>(
        'GET',
        `/admin/events${query({
          type: type.trim(),
          userId: userId.trim(),
          deviceId: deviceId.trim(),
          since: toIso(since),
          until: toIso(until),
          limit,
          cursor,
        })}`,
      ),
    [type, userId, deviceId, since, until, limit, cursor],
  );
  const set =
    (setter: (v: string) => void) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) => {
      setCursors([]);
      setter(e.currentTarget.value);
    };
  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">Security events</h1>
      <Chain />
      <form class="filters" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
        <Field label="Type">
          {(id) => <input id={id} list="event-types" value={type} onChange={set(setType)} />}
        </Field>
        <datalist id="event-types">
          {KNOWN_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <Field label="User id">{(id) => <input id={id} value={userId} onChange={set(setUserId)} />}</Field>
        <Field label="Device id">
          {(id) => <input id={id} value={deviceId} onChange={set(setDeviceId)} />}
        </Field>
        <Field label="Since (UTC)">
          {(id) => <input id={id} type="datetime-local" step={1} value={since} onChange={set(setSince)} />}
        </Field>
        <Field label="Until (UTC)">
          {(id) => <input id={id} type="datetime-local" step={1} value={until} onChange={set(setUntil)} />}
        </Field>
        <Field label="Per page">
          {(id) => (
            <select id={id} value={limit} onChange={set(setLimit)}>
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
            <div class="table-wrap">
              <table class="events">
                <caption class="sr-only">Security events, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Time</th>
                    <th scope="col">Type</th>
                    <th scope="col">User</th>
                    <th scope="col">Device</th>
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
                        <code>{e.type}</code>
                      </td>
                      <td>
                        <code class="small">{e.userId ?? e.actorUserId ?? '—'}</code>
                      </td>
                      <td>
                        <code class="small">{e.deviceId ?? e.actorDeviceId ?? '—'}</code>
                      </td>
                      <td>{e.ip ?? '—'}</td>
                      <td>
                        <code class="details">{JSON.stringify(e.details ?? e.data ?? {})}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
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

function Chain() {
  const api = useApi();
  const [load, reload] = useLoad(() => api.call<ChainStatus>('GET', '/admin/events/verify'), []);
  const [copied, setCopied] = useState(false);
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
                : `The chain breaks at event #${c.brokenAtSeq ?? '?'}: the log was edited or damaged.`}
            </p>
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
          </>
        )}
      </ListState>
    </section>
  );
}
