/**
 * Devices: every device or one user's, with platform, app version, posture, policy findings,
 * attestation verdict (on demand), last contact and state; revoke with a reason, then watch the state turn to wipe-confirmed when
 * the device reports its wipe. Every string here was reported by a device and may be hostile:
 * it is rendered as text, never as markup or a link target.
 */
import { useEffect, useState } from 'preact/hooks';
import { type Device, describeError, errorCode, type Finding, query, REVOCATION_REASONS } from '../api.js';
import { Badge, Dialog, Field, FormEnd, ListState, Notice, TableFrame } from '../ui/components.js';
import { useApi } from '../ui/context.js';
import { deviceKind, deviceLabel, enrolledDay, formatTime } from '../ui/format.js';
import { useLoad } from '../ui/load.js';
import { Pager } from './users.js';

interface DevicesPage {
  readonly devices: readonly Device[];
  readonly nextCursor?: string | null;
}

// While a revoked device has not confirmed its wipe, the list looks again this often.
const WATCH_MS = 2000;

/** All devices. */
export function DevicesScreen() {
  const api = useApi();
  const [status, setStatus] = useState('');
  const [q, setQ] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const [load, reload] = useLoad(
    () => api.call<DevicesPage>('GET', `/admin/devices${query({ status, q, limit: 50, cursor })}`),
    [status, q, cursor],
  );
  useWatch(load.data?.devices, reload);
  return (
    <section aria-labelledby="devices-title">
      <h1 id="devices-title">Devices</h1>
      <form class="filters" aria-label="Filter devices" onSubmit={(e) => e.preventDefault()}>
        <Field label="Search (user, device, platform)">
          {(id) => (
            <input
              id={id}
              type="search"
              value={q}
              onInput={(e) => {
                setCursors([]);
                setQ(e.currentTarget.value);
              }}
            />
          )}
        </Field>
        <Field label="State">
          {(id) => (
            <select
              id={id}
              value={status}
              onChange={(e) => {
                setCursors([]);
                setStatus(e.currentTarget.value);
              }}
            >
              <option value="">Any</option>
              <option value="active">active</option>
              <option value="blocked">blocked</option>
              <option value="revoked">revoked</option>
              <option value="wipe_confirmed">wipe confirmed</option>
            </select>
          )}
        </Field>
      </form>
      <ListState
        load={load}
        what="devices"
        onRetry={reload}
        isEmpty={(d) => d.devices.length === 0}
        empty="No device matches these filters."
      >
        {(d) => (
          <>
            <DeviceTable devices={d.devices} onChanged={reload} showUser />
            <Pager
              hasPrevious={cursors.length > 0}
              next={d.nextCursor ?? undefined}
              onPrevious={() => setCursors(cursors.slice(0, -1))}
              onNext={(c) => setCursors([...cursors, c])}
            />
          </>
        )}
      </ListState>
    </section>
  );
}

/** Reloads while a listed device is revoked but has not confirmed its wipe yet. */
function useWatch(devices: readonly Device[] | undefined, reload: () => void) {
  const waiting = devices?.some((d) => d.status === 'revoked') === true;
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(reload, WATCH_MS);
    return () => clearInterval(timer);
  }, [waiting, reload]);
}

function stateBadge(status: Device['status']) {
  const tone =
    status === 'active' ? 'good' : status === 'blocked' ? 'warn' : status === 'revoked' ? 'bad' : 'neutral';
  return <Badge tone={tone}>{status === 'wipe_confirmed' ? 'wipe confirmed' : status}</Badge>;
}

function findingsOf(device: Device): readonly Finding[] {
  return device.lastDecision?.findings ?? device.policyFindings ?? [];
}

function Posture(props: { device: Device }) {
  const p = props.device.posture;
  return (
    <ul class="plain">
      <li>{p.rooted ? 'rooted/jailbroken' : 'not rooted'}</li>
      <li>{p.screenLock ? 'screen lock' : 'no screen lock'}</li>
      {p.emulator ? <li>emulator</li> : null}
    </ul>
  );
}

/** A device's attestation verdict (docs/attestation.md), as `GET /admin/devices/:id/attestation` gives it. */
interface IntegrityVerdict {
  readonly kind: string;
  readonly status: string;
  readonly class: string;
  readonly failure?: string;
  readonly environment?: string;
  readonly checkedAt: string;
}

// Fetched when asked, one device at a time: the list itself stays one request.
function Integrity(props: { device: Device }) {
  const api = useApi();
  const [state, setState] = useState<{ verdict?: IntegrityVerdict; text?: string } | undefined>();
  async function check() {
    try {
      const verdict = await api.call<IntegrityVerdict>(
        'GET',
        `/admin/devices/${encodeURIComponent(props.device.id)}/attestation`,
      );
      setState({ verdict });
    } catch (err) {
      setState({ text: errorCode(err) === 'attestation_not_found' ? 'no attestation' : describeError(err) });
    }
  }
  if (state === undefined) {
    return (
      <button type="button" aria-label={`Show attestation of ${deviceLabel(props.device)}`} onClick={check}>
        Show
      </button>
    );
  }
  const v = state.verdict;
  if (v === undefined) return <span class="small integrity">{state.text}</span>;
  const tone = v.class === 'verified' ? 'good' : v.class === 'failed' ? 'bad' : 'warn';
  return (
    <span class="integrity">
      <Badge tone={tone}>{v.class}</Badge> <span class="small">{v.kind}</span>
      {v.environment === undefined ? null : <span class="small"> {v.environment}</span>}
      {v.failure === undefined ? null : <span class="small"> {v.failure}</span>}
      <span class="small"> {formatTime(v.checkedAt)}</span>
    </span>
  );
}

/**
 * A table of devices with their revoke action.
 *
 * @example
 * ```tsx
 * <DeviceTable devices={page.devices} onChanged={reload} showUser />
 * ```
 */
export function DeviceTable(props: { devices: readonly Device[]; onChanged: () => void; showUser: boolean }) {
  const [revoking, setRevoking] = useState<Device | undefined>();
  const [notice, setNotice] = useState<{ tone: 'ok' | 'error'; text: string } | undefined>();
  useWatch(props.showUser ? undefined : props.devices, props.onChanged);
  return (
    <>
      <Notice notice={notice} />
      <TableFrame label="Devices table">
        <table>
          <caption class="sr-only">Devices</caption>
          <thead>
            <tr>
              <th scope="col">Device</th>
              {props.showUser ? <th scope="col">User</th> : null}
              <th scope="col">Platform</th>
              <th scope="col">App version</th>
              <th scope="col">Posture</th>
              <th scope="col">Policy</th>
              <th scope="col">Integrity</th>
              <th scope="col">State</th>
              <th scope="col">Last seen</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.devices.map((d) => {
              const findings = findingsOf(d);
              return (
                <tr key={d.id} data-device-id={d.id}>
                  <td>
                    {d.name?.trim() ? (
                      <span class="device-name">{d.name}</span>
                    ) : (
                      // No name reported: what tells the device apart, with its full id below.
                      <>
                        <span class="device-name unnamed">{deviceKind(d)}</span>{' '}
                        <span class="small enrolled">enrolled {enrolledDay(d)}</span>
                      </>
                    )}
                    <code class="small">{d.id}</code>
                  </td>
                  {props.showUser ? (
                    <td>
                      <span class="username">{d.username ?? d.userId}</span>
                    </td>
                  ) : null}
                  <td>
                    <span class="platform">{d.platform}</span>{' '}
                    <span class="small os-version">{d.osVersion}</span>
                  </td>
                  <td>
                    <span class="app-version">{d.appVersion}</span>
                  </td>
                  <td>
                    <Posture device={d} />
                  </td>
                  <td>
                    {findings.length === 0 ? (
                      <span>{d.lastDecision?.decision ?? 'allow'}</span>
                    ) : (
                      <ul class="plain findings">
                        {findings.map((f, i) => (
                          <li key={i}>
                            <Badge tone={f.action === 'refuse' ? 'bad' : 'warn'}>{f.action}</Badge> {f.code}
                            {f.message === undefined ? null : <span class="small"> — {f.message}</span>}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>
                    <Integrity device={d} />
                  </td>
                  <td>
                    {stateBadge(d.status)}
                    {d.revokedReason ? <span class="small"> {d.revokedReason}</span> : null}
                    {d.status === 'revoked' ? <span class="small"> (waiting for the wipe)</span> : null}
                  </td>
                  <td>{formatTime(d.lastSeenAt)}</td>
                  <td>
                    {d.status === 'active' || d.status === 'blocked' ? (
                      <button
                        type="button"
                        class="danger"
                        aria-label={`Revoke device ${deviceLabel(d)}`}
                        onClick={() => setRevoking(d)}
                      >
                        Revoke
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableFrame>
      <RevokeDialog
        device={revoking}
        onClose={() => setRevoking(undefined)}
        onRevoked={(text) => {
          setRevoking(undefined);
          setNotice({ tone: 'ok', text });
          props.onChanged();
        }}
      />
    </>
  );
}

/**
 * The note as the server takes it: one line. The box wraps a long note, but the server refuses
 * control characters (a newline would read as a forged second detail of the event), so line
 * breaks and tabs typed or pasted become spaces.
 */
function oneLine(note: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it replaces.
  return note.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

function RevokeDialog(props: {
  device: Device | undefined;
  onClose: () => void;
  onRevoked: (text: string) => void;
}) {
  const api = useApi();
  const [reason, setReason] = useState<string>('lost');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const device = props.device;

  async function submit(event: Event) {
    event.preventDefault();
    if (device === undefined) return;
    setBusy(true);
    setError(undefined);
    try {
      await api.call('POST', `/admin/devices/${encodeURIComponent(device.id)}/revoke`, {
        reason,
        ...(oneLine(note) === '' ? {} : { note: oneLine(note) }),
      });
      setNote('');
      props.onRevoked(
        'Revoked. The device wipes itself at its next contact and the state turns to wipe confirmed.',
      );
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title="Revoke device" open={device !== undefined} onClose={props.onClose}>
      <form onSubmit={submit}>
        <p>
          Revoke <span class="device-name">{device === undefined ? '' : deviceLabel(device)}</span>
          {device?.username === undefined ? null : (
            <>
              {' '}
              of <span class="username">{device.username}</span>
            </>
          )}
          ? Its sessions end at once; at its next contact it gets <code>device_revoked</code> and wipes its
          keys and data.
        </p>
        <Field label="Reason">
          {(id) => (
            <select id={id} value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
              {REVOCATION_REASONS.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Note (optional)" hint="Kept in the security event, e.g. a ticket number.">
          {(id, hint) => (
            <textarea
              id={id}
              aria-describedby={hint}
              maxLength={500}
              rows={2}
              value={note}
              onInput={(e) => setNote(e.currentTarget.value)}
            />
          )}
        </Field>
        <FormEnd
          error={error}
          busy={busy}
          submit="Revoke device"
          busyText="Revoking…"
          tone="danger"
          leave="Cancel"
          onLeave={props.onClose}
        />
      </form>
    </Dialog>
  );
}
