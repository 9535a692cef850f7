/**
 * Entry of the Bulwark demo, an offline field app for site inspections: the screens (sign in,
 * passcode, list, inspection, lock overlay, wiped) over the device of device.ts, and the service
 * worker's registration through the page's one Trusted Types policy.
 */
import './app.css';
import type { Conflict, OfflineGraceStatus, Rejection, WipeReason } from '@bulwark/client';
import { WebAuthnPrfKeystore } from '@bulwark/client';
import { render } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Device, type Inspection, type SyncOutcome } from './device.js';
import { registerServiceWorker } from './service-worker.js';

type Screen = 'loading' | 'signin' | 'passcode' | 'locked' | 'list' | 'detail' | 'wiped' | 'failed';

interface Notice {
  readonly key: string;
  readonly kind: 'rejected' | 'conflict';
  readonly title: string;
  readonly text: string;
  readonly retry?: Inspection;
}

/**
 * The passcode fields' `autocomplete`. Chromium's password manager offers to save every password
 * field of a submitted form as the site's password, the vault's passcode included, which would then
 * sit in the browser's own store (beside the keys it protects, out of the wipe's reach) and be
 * filled in for whoever sits at the browser; it leaves fields marked as one-time codes alone.
 */
const PASSCODE_AUTOCOMPLETE = 'one-time-code';
/**
 * The user name's: no form history, which Chromium keeps in a database of its own that no wipe of
 * the app's data reaches. (Its password manager still offers to save the sign-in password, the
 * person's choice.)
 */
const USER_NAME_AUTOCOMPLETE = 'off';
/**
 * The other fields of the inspection that hold what a person types or picks: Chromium writes the
 * state of a page's form fields to its session files (for restoring tabs), where it outlives the
 * wipe, except for fields with autocomplete off. (The resident phone has it too.)
 */
const FORM_STATE_OFF = 'off';

const STATUS_LABEL = { scheduled: 'Scheduled', in_progress: 'In progress', done: 'Done' } as const;

function errorText(err: unknown): string {
  const e = err as { code?: string; attemptsLeft?: number; message?: string };
  switch (e.code) {
    case 'wrong_passcode':
      return `Wrong passcode. ${e.attemptsLeft ?? 0} attempts left before this device erases its data.`;
    case 'vault_wiped':
      return 'Too many wrong passcodes: the data on this device was erased.';
    case 'biometric_unavailable':
      return 'This passkey cannot unlock this device. Use your passcode.';
    case 'keystore_unsupported':
      return 'This browser or passkey does not support the PRF extension; the passcode still works.';
    case 'invalid_credentials':
      return 'Wrong user name or password.';
    case 'network_error':
      return 'The server cannot be reached. Check your connection and try again.';
    case 'kdf_unavailable':
      return 'This browser cannot run the passcode key derivation.';
    default:
      return e.message ?? 'Something went wrong.';
  }
}

/**
 * The header's word on sync. A refused edit leaves the outbox, so "All changes synced" alone
 * claimed the refused one too, while it is only on this device.
 */
function syncSummary(waiting: number, refused: number): string {
  const sent = waiting === 0 ? 'All changes sent' : `${waiting} change${waiting === 1 ? '' : 's'} waiting`;
  if (refused === 0) return waiting === 0 ? 'All changes synced' : sent;
  return `${sent}; ${refused} refused, not synced`;
}

/**
 * The warning before the offline grace period's wipe: whole hours, rounded down (never more time
 * than there is), then minutes in the last hour. Undefined when there is nothing to warn of.
 */
function graceWarningText(status: OfflineGraceStatus | undefined): string | undefined {
  if (status === undefined || !status.warning || status.remainingMs === undefined) return undefined;
  const hours = Math.floor(status.remainingMs / 3_600_000);
  const minutes = Math.max(1, Math.ceil(status.remainingMs / 60_000));
  const left =
    hours >= 2 ? `${hours} hours` : hours === 1 ? '1 hour' : `${minutes} minute${minutes === 1 ? '' : 's'}`;
  return `This device will erase its data in ${left} unless it connects to the server.`;
}

/** The warning of {@link graceWarningText}, as an alert; nothing when there is none. */
function GraceWarning(props: { status: OfflineGraceStatus | undefined }) {
  const text = graceWarningText(props.status);
  if (text === undefined) return null;
  return (
    <p class="grace-warning" role="alert">
      {text}
    </p>
  );
}

/**
 * When the last sync was: the time alone on the day it happened, with the date on any later day
 * (a bare "14:03" read the next morning looks like today's).
 */
function syncedWhen(at: number, now: number): string {
  const when = new Date(at);
  const time = when.toLocaleTimeString('en-GB');
  if (when.toDateString() === new Date(now).toDateString()) return `at ${time}`;
  const sameYear = when.getFullYear() === new Date(now).getFullYear();
  const date = when.toLocaleDateString('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    ...(sameYear ? {} : { year: 'numeric' }),
  });
  return `on ${date} at ${time}`;
}

/** The line under the header: what the last sync did, with its time. */
function syncStatusText(
  message: string,
  syncedAt: number | undefined,
  offline: boolean,
  now: number,
): string {
  if (offline) {
    const last = syncedAt === undefined ? '' : ` Last synced ${syncedWhen(syncedAt, now)}.`;
    return `Offline: your changes are kept on this device.${last}`;
  }
  if (message !== '') return message;
  return syncedAt === undefined ? '' : `Synced ${syncedWhen(syncedAt, now)}.`;
}

function rejectionNotice(r: Rejection, site: string): Notice {
  const reasons = r.issues.map((i) => i.message ?? i.code).join('; ');
  // A refusal by the rules is not the edit's fault: no correction gets it through, so "correct it
  // and save again" would leave the inspector trying forever. Say who may change it instead.
  const text =
    r.code === 'forbidden'
      ? 'You may not change this inspection: only the inspector it is assigned to, a supervisor of its team or an administrator can (forbidden). Your edit is kept on this device but will not be synced; ask one of them to make the change.'
      : `The server refused your change (${r.code})${reasons ? `: ${reasons}` : ''}. Your edit is still on this device; correct it and save again.`;
  return { key: r.mutationId, kind: 'rejected', title: `Change refused: ${site}`, text };
}

const FIELD_LABEL: Record<string, string> = {
  status: 'status',
  residentPhone: 'resident phone',
  findings: 'findings',
  photos: 'photos',
};

/**
 * A conflict, explained. `changed` names the fields the user edited (known when the edit was
 * made in this session); re-applying writes only those over the server's version.
 */
function conflictNotice(c: Conflict, site: string, changed: readonly string[] | undefined): Notice {
  const fields =
    changed === undefined
      ? 'your change'
      : `your change (${changed.map((f) => FIELD_LABEL[f] ?? f).join(', ')})`;
  const notice: Notice = {
    key: c.mutationId,
    kind: 'conflict',
    title: `Conflict: ${site}`,
    text: `Someone changed this inspection on the server (now version ${c.serverVersion}) while you were editing it offline. The server's version was kept and ${fields} was not applied.`,
  };
  if (c.attempted === undefined) return notice;
  const attempted = c.attempted as unknown as Record<string, unknown>;
  const patch =
    changed === undefined
      ? attempted
      : Object.fromEntries(changed.filter((f) => f in attempted).map((f) => [f, attempted[f]]));
  return { ...notice, retry: { ...(patch as unknown as Inspection), id: c.id } };
}

/** The top-level fields whose values differ between two versions of an inspection. */
function changedFields(before: Inspection, after: Inspection): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter(
    (k) =>
      JSON.stringify((before as unknown as Record<string, unknown>)[k]) !==
      JSON.stringify((after as unknown as Record<string, unknown>)[k]),
  );
}

function SignIn(props: { onDone: (username: string, password: string) => Promise<void> }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <main class="card narrow">
      <h1>Site inspections</h1>
      <p class="muted">Sign in to download the inspections you may see onto this device.</p>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const data = new FormData(event.currentTarget);
          setBusy(true);
          setError('');
          try {
            await props.onDone(String(data.get('username')), String(data.get('password')));
          } catch (err) {
            setError(errorText(err));
            setBusy(false);
          }
        }}
      >
        <label for="username">User name</label>
        <input id="username" name="username" autocomplete={USER_NAME_AUTOCOMPLETE} required />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

/**
 * Puts the focus in a screen's first field as the screen is drawn: the passcode screens replace
 * the whole page, and the focus fell to the page's start, a Tab away from where typing goes.
 */
function useFocusFirst<T extends HTMLElement>() {
  const field = useRef<T>(null);
  useLayoutEffect(() => field.current?.focus(), []);
  return field;
}

function ChoosePasscode(props: { onDone: (passcode: string) => Promise<void> }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const first = useFocusFirst<HTMLInputElement>();
  return (
    <main class="card narrow">
      <h1>Choose a passcode</h1>
      <p class="muted">
        The passcode encrypts the inspections on this device. It never leaves the device and cannot be
        recovered: forgetting it means signing in again and downloading the data again.
      </p>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const data = new FormData(event.currentTarget);
          const passcode = String(data.get('passcode'));
          if (passcode !== String(data.get('confirm'))) {
            setError('The two passcodes differ.');
            return;
          }
          setBusy(true);
          setError('');
          try {
            await props.onDone(passcode);
          } catch (err) {
            setError(errorText(err));
            setBusy(false);
          }
        }}
      >
        <label for="passcode">Passcode (at least 6 characters)</label>
        <input
          ref={first}
          id="passcode"
          name="passcode"
          type="password"
          minLength={6}
          autocomplete={PASSCODE_AUTOCOMPLETE}
          required
        />
        <label for="confirm">Passcode again</label>
        <input
          id="confirm"
          name="confirm"
          type="password"
          minLength={6}
          autocomplete={PASSCODE_AUTOCOMPLETE}
          required
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Encrypting…' : 'Set passcode'}
        </button>
      </form>
    </main>
  );
}

/** The privacy overlay: covers everything while locked; the data is not in the page. */
function Locked(props: {
  grace: OfflineGraceStatus | undefined;
  passkey: boolean;
  onPasscode: (passcode: string) => Promise<void>;
  onPasskey: () => Promise<void>;
  onErase: () => Promise<void>;
}) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const first = useFocusFirst<HTMLInputElement>();
  const attempt = async (action: () => Promise<void>) => {
    setBusy(true);
    setError('');
    try {
      await action();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  return (
    <div class="overlay">
      <main class="card narrow" aria-labelledby="locked-title">
        <h1 id="locked-title">Locked</h1>
        <p class="muted">Your inspections are encrypted and hidden until you unlock.</p>
        <GraceWarning status={props.grace} />
        <form
          onSubmit={(event) => {
            event.preventDefault();
            const data = new FormData(event.currentTarget);
            void attempt(() => props.onPasscode(String(data.get('unlock-passcode'))));
          }}
        >
          <label for="unlock-passcode">Passcode</label>
          <input
            ref={first}
            id="unlock-passcode"
            name="unlock-passcode"
            type="password"
            autocomplete={PASSCODE_AUTOCOMPLETE}
            required
          />
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" disabled={busy}>
            Unlock
          </button>
        </form>
        {props.passkey && (
          <button
            type="button"
            class="secondary"
            disabled={busy}
            onClick={() => void attempt(props.onPasskey)}
          >
            Unlock with passkey
          </button>
        )}
        <details class="forgot">
          <summary>Forgot your passcode?</summary>
          <p>
            It cannot be recovered. Erasing this device deletes every inspection, photo and key kept in this
            browser, with any change not synced yet. The inspections on the server stay: sign in again to
            download them and choose a new passcode.
          </p>
          <button type="button" class="danger" disabled={busy} onClick={() => void attempt(props.onErase)}>
            Erase this device
          </button>
        </details>
      </main>
    </div>
  );
}

function Wiped(props: { reason: WipeReason | undefined }) {
  const why =
    props.reason === 'offline_grace_expired'
      ? 'This device stayed out of touch with the server for longer than your organisation allows.'
      : props.reason === 'device_revoked'
        ? 'An administrator revoked this device.'
        : props.reason === 'manual'
          ? 'You erased this device.'
          : 'This device had to be erased.';
  return (
    <main class="card narrow">
      <h1>This device was erased</h1>
      <p role="alert">
        {why} Every inspection, photo and key the demo kept in this browser has been erased.
        {props.reason === 'offline_grace_expired' || props.reason === 'manual'
          ? ' Sign in again when you are online to download your inspections.'
          : ' The server receives a signed confirmation of the erasure, as soon as this browser can reach it.'}
      </p>
      <button type="button" onClick={() => location.reload()}>
        Sign in again
      </button>
    </main>
  );
}

function Notices(props: {
  notices: readonly Notice[];
  onDismiss: (key: string) => void;
  onRetry: (n: Notice) => void;
}) {
  if (props.notices.length === 0) return null;
  return (
    <section class="notices" aria-label="Sync problems">
      {props.notices.map((n) => (
        <div key={n.key} class={`notice ${n.kind}`} role="alert">
          <h2>{n.title}</h2>
          <p>{n.text}</p>
          <div class="row">
            {n.retry && (
              <button type="button" class="secondary" onClick={() => props.onRetry(n)}>
                Apply my change again
              </button>
            )}
            <button type="button" class="secondary" onClick={() => props.onDismiss(n.key)}>
              Dismiss
            </button>
          </div>
        </div>
      ))}
    </section>
  );
}

function List(props: {
  items: readonly Inspection[];
  refused: ReadonlySet<string>;
  /** The inspection just closed: its button takes the focus back, where the keyboard left off. */
  returnTo: string | undefined;
  onOpen: (id: string) => void;
}) {
  const list = useRef<HTMLUListElement>(null);
  // Without this the focus fell to the page's start on "All inspections", and a keyboard user had
  // to tab through the header and every inspection before the one they had been working on.
  // A layout effect: the focus moves as the list is drawn, before anyone can press a key.
  useLayoutEffect(() => {
    if (props.returnTo === undefined) return;
    list.current
      ?.querySelector<HTMLButtonElement>(`button[data-id="${CSS.escape(props.returnTo)}"]`)
      ?.focus();
  }, []);
  if (props.items.length === 0) return <p class="muted">No inspection on this device yet.</p>;
  return (
    <ul class="list" ref={list}>
      {props.items.map((item) => (
        <li key={item.id}>
          <button type="button" class="item" data-id={item.id} onClick={() => props.onOpen(item.id)}>
            <span class="site">{item.site}</span>
            <span class={`badge ${item.status}`}>{STATUS_LABEL[item.status]}</span>
            <span class="when">
              {new Date(item.scheduledAt).toLocaleDateString('en-GB')}
              {props.refused.has(item.id) && (
                <span class="refused"> · refused by the server, not synced</span>
              )}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function Photo(props: { device: Device; inspection: Inspection; photo: Inspection['photos'][number] }) {
  const [url, setUrl] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    let objectUrl: string | undefined;
    void props.device.photo(props.inspection, props.photo.takenAt, props.photo.contentType).then((blob) => {
      if (blob === undefined) return setUrl(null);
      objectUrl = URL.createObjectURL(blob);
      setUrl(objectUrl);
    });
    return () => {
      if (objectUrl !== undefined) URL.revokeObjectURL(objectUrl);
    };
  }, [props.inspection.id, props.photo.takenAt]);
  return (
    <figure class="photo">
      {url ? (
        <img
          src={url}
          alt={`${props.photo.name}, taken ${new Date(props.photo.takenAt).toLocaleString('en-GB')}`}
        />
      ) : (
        <div class="placeholder">{url === null ? 'Kept on another device' : 'Decrypting…'}</div>
      )}
      <figcaption>
        {props.photo.name} · {Math.ceil(props.photo.bytes / 1024)} KB
      </figcaption>
    </figure>
  );
}

function Detail(props: {
  device: Device;
  inspection: Inspection;
  onSave: (next: Inspection) => Promise<void>;
  onBack: () => void;
}) {
  const [draft, setDraft] = useState<Inspection>(props.inspection);
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  // The copy the draft started from: a draft that differs from it holds unsaved typing.
  const base = useRef<Inspection>(props.inspection);
  useEffect(() => heading.current?.focus(), []);
  useEffect(() => {
    // A sync that finishes while the form is open hands in a fresh copy: take it, unless the
    // person has unsaved changes, which a background refresh must never overwrite.
    const switched = props.inspection.id !== base.current.id;
    setDraft((current) => (switched || current === base.current ? props.inspection : current));
    base.current = props.inspection;
  }, [props.inspection]);
  const set = (patch: Partial<Inspection>) => setDraft({ ...draft, ...patch });
  return (
    <main class="card">
      <button type="button" class="link" onClick={props.onBack}>
        ← All inspections
      </button>
      <h1 tabIndex={-1} ref={heading}>
        {draft.site}
      </h1>
      {draft.address && <p class="muted">{draft.address}</p>}
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          setError('');
          try {
            await props.onSave(draft);
            base.current = draft;
            setStatus('Saved on this device, encrypted.');
          } catch (err) {
            setError(errorText(err));
          }
        }}
      >
        <label for="status">Status</label>
        <select
          id="status"
          value={draft.status}
          onChange={(e) => set({ status: e.currentTarget.value as Inspection['status'] })}
        >
          <option value="scheduled">Scheduled</option>
          <option value="in_progress">In progress</option>
          <option value="done">Done</option>
        </select>
        <label for="phone">Resident phone (sensitive: encrypted on this device)</label>
        <input
          id="phone"
          type="tel"
          autocomplete="off"
          value={draft.residentPhone ?? ''}
          onInput={(e) => {
            const value = e.currentTarget.value.trim();
            const { residentPhone: _old, ...rest } = draft;
            setDraft(value === '' ? rest : { ...rest, residentPhone: value });
          }}
        />
        <fieldset>
          <legend>Findings</legend>
          {draft.findings.length === 0 && <p class="muted">No finding yet.</p>}
          <ul class="findings">
            {draft.findings.map((f, i) => (
              <li key={`${i}-${f.note}`}>
                <span class={`badge sev-${f.severity}`}>{f.severity}</span> {f.note}
                <button
                  type="button"
                  class="link"
                  aria-label={`Remove finding ${i + 1}`}
                  onClick={() => set({ findings: draft.findings.filter((_, j) => j !== i) })}
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
          <label for="finding-note">New finding</label>
          <textarea id="finding-note" rows={2} maxLength={2000} autocomplete={FORM_STATE_OFF} />
          <label for="finding-severity">Severity</label>
          <select id="finding-severity">
            <option value="low">Low</option>
            <option value="medium">Medium</option>
            <option value="high">High</option>
          </select>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              const note = document.getElementById('finding-note') as HTMLTextAreaElement;
              const severity = document.getElementById('finding-severity') as HTMLSelectElement;
              if (note.value.trim() === '') return;
              set({
                findings: [
                  ...draft.findings,
                  { note: note.value.trim(), severity: severity.value as 'low' | 'medium' | 'high' },
                ],
              });
              note.value = '';
            }}
          >
            Add finding
          </button>
        </fieldset>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <p class="status" role="status">
          {status}
        </p>
        <button type="submit">Save</button>
      </form>
      <section aria-labelledby="photos-title">
        <h2 id="photos-title">Photos</h2>
        <p class="muted">Stored on this device only, encrypted in chunks.</p>
        <div class="photos">
          {draft.photos.map((p) => (
            <Photo key={p.takenAt} device={props.device} inspection={draft} photo={p} />
          ))}
        </div>
        <label for="photo" class="file">
          Take or pick a photo
        </label>
        <input
          id="photo"
          type="file"
          autocomplete={FORM_STATE_OFF}
          accept="image/jpeg,image/png"
          capture="environment"
          onChange={async (e) => {
            const input = e.currentTarget;
            const file = input.files?.[0];
            if (file === undefined) return;
            try {
              const next = await props.device.addPhoto(draft, file);
              await props.onSave(next);
              setDraft(next);
              setStatus('Photo stored, encrypted.');
            } catch (err) {
              setError(errorText(err));
            }
            input.value = '';
          }}
        />
      </section>
    </main>
  );
}

function PasskeySetup(props: { onEnrol: (passcode: string) => Promise<void>; onClose: () => void }) {
  const [error, setError] = useState('');
  return (
    <form
      class="panel"
      aria-label="Set up passkey unlock"
      onSubmit={async (event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        try {
          await props.onEnrol(String(data.get('enrol-passcode')));
        } catch (err) {
          setError(errorText(err));
        }
      }}
    >
      <label for="enrol-passcode">Your passcode, to set up passkey unlock</label>
      <input
        id="enrol-passcode"
        name="enrol-passcode"
        type="password"
        autocomplete={PASSCODE_AUTOCOMPLETE}
        required
      />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="row">
        <button type="submit">Create passkey</button>
        <button type="button" class="secondary" onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function App(props: { device: Device }) {
  const { device } = props;
  const initial: Screen =
    device.wipedAtStart !== undefined
      ? 'wiped'
      : !device.signedIn
        ? 'signin'
        : device.vault.status === 'uninitialized'
          ? 'passcode'
          : 'locked';
  const [screen, setScreen] = useState<Screen>(initial);
  const [items, setItems] = useState<Inspection[]>([]);
  const [selected, setSelected] = useState<Inspection | undefined>(undefined);
  const [notices, setNotices] = useState<Notice[]>([]);
  const [wipeReason, setWipeReason] = useState<WipeReason | undefined>(
    device.wipedAtStart === 'unknown' ? undefined : device.wipedAtStart,
  );
  /** Inspections whose local edit the server refused: the device keeps it until edited again. */
  const [refused, setRefused] = useState<ReadonlySet<string>>(new Set());
  const [returnTo, setReturnTo] = useState<string | undefined>(undefined);
  const [pending, setPending] = useState(0);
  const [online, setOnline] = useState(navigator.onLine);
  const [syncing, setSyncing] = useState(false);
  /** A sync's failure to show; empty once a sync went through (then `syncedAt` is shown). */
  const [lastSync, setLastSync] = useState('');
  const [syncedAt, setSyncedAt] = useState<number | undefined>(undefined);
  const [syncOffline, setSyncOffline] = useState(false);
  const [now, setNow] = useState(Date.now());
  const [grace, setGrace] = useState<OfflineGraceStatus | undefined>(undefined);
  const [passkeySupported, setPasskeySupported] = useState(false);
  const [enrolling, setEnrolling] = useState(false);
  const [info, setInfo] = useState('');
  const screenRef = useRef(screen);
  screenRef.current = screen;
  const selectedRef = useRef(selected);
  selectedRef.current = selected;
  const retryTimer = useRef<number | undefined>(undefined);
  /** Fields edited in this session per inspection, to re-apply just those after a conflict. */
  const edits = useRef(new Map<string, string[]>());

  const refresh = async () => {
    const list = await device.inspections();
    setItems(list);
    setPending(await device.pending());
    return list;
  };

  const updateGrace = async () => {
    setGrace(await device.graceStatus());
    setNow(Date.now());
  };

  const sync = async () => {
    if (device.vault.status !== 'unlocked') return;
    if (!navigator.onLine) {
      // Known to be offline: no attempt, so that queued edits do not back off before the network returns.
      setOnline(false);
      setSyncOffline(true);
      setNow(Date.now());
      setPending(await device.pending());
      return;
    }
    window.clearTimeout(retryTimer.current);
    setSyncing(true);
    try {
      const outcome: SyncOutcome = await device.syncNow();
      const list = await refresh();
      const site = (id: string) => list.find((i) => i.id === id)?.site ?? 'an inspection';
      const fresh = [
        ...outcome.rejected.map((r) => rejectionNotice(r, site(r.id))),
        ...outcome.conflicts.map((c) => conflictNotice(c, site(c.id), edits.current.get(c.id))),
      ];
      if (fresh.length > 0) setNotices((old) => [...fresh, ...old]);
      if (outcome.rejected.length > 0) {
        setRefused((old) => new Set([...old, ...outcome.rejected.map((r) => r.id)]));
      }
      if (outcome.pending === 0) edits.current.clear();
      setOnline(!outcome.offline && navigator.onLine);
      setSyncOffline(outcome.offline);
      setLastSync('');
      setNow(Date.now());
      if (!outcome.offline) {
        setSyncedAt(Date.now());
        // A sync that went through is a check-in: the offline countdown starts again.
        void updateGrace();
      }
      setPending(outcome.pending);
      if ((outcome.pending > 0 || outcome.offline) && outcome.retryAt !== undefined) {
        retryTimer.current = window.setTimeout(
          () => void sync(),
          Math.max(1000, outcome.retryAt - Date.now()),
        );
      }
      const open = selectedRef.current;
      if (open !== undefined) setSelected(list.find((i) => i.id === open.id));
    } catch (err) {
      if (device.vault.status !== 'unlocked' && screenRef.current === 'wiped') return;
      setSyncOffline(false);
      setLastSync(errorText(err));
    } finally {
      setSyncing(false);
    }
  };

  useEffect(() => {
    void WebAuthnPrfKeystore.isSupported().then(setPasskeySupported);
    const offLock = device.vault.onLock(() => {
      // The privacy overlay: the data leaves the page with the keys.
      setItems([]);
      setSelected(undefined);
      setEnrolling(false);
      if (screenRef.current !== 'wiped') setScreen('locked');
    });
    const offWipe = device.onWiped((result) => {
      setWipeReason(result.reason);
      setItems([]);
      setSelected(undefined);
      setNotices([]);
      setScreen('wiped');
    });
    const goOnline = () => {
      setOnline(true);
      setSyncOffline(false);
      void device.sendPendingReceipt();
      void device.checkIn();
      void sync();
    };
    // A revocation reaches a locked device too: at start, when back online, and every minute.
    // A device out of touch for longer than the server's policy allows wipes itself.
    // The time left before that wipe is shown as a warning once it is near (SDK: status()).
    const watch = () => {
      void device
        .enforceOfflineGrace()
        .then(() => device.checkIn())
        .then(updateGrace);
    };
    watch();
    const checkIns = window.setInterval(watch, 60_000);
    const goOffline = () => setOnline(false);
    window.addEventListener('online', goOnline);
    window.addEventListener('offline', goOffline);
    return () => {
      window.clearInterval(checkIns);
      offLock();
      offWipe();
      window.removeEventListener('online', goOnline);
      window.removeEventListener('offline', goOffline);
    };
  }, []);

  const opened = async () => {
    await device.enforceOfflineGrace();
    void updateGrace();
    if (device.vault.status !== 'unlocked') return;
    await refresh();
    setScreen('list');
    void sync();
  };

  switch (screen) {
    case 'signin':
      return (
        <SignIn
          onDone={async (username, password) => {
            await device.signIn(username, password);
            setScreen(device.vault.status === 'uninitialized' ? 'passcode' : 'locked');
          }}
        />
      );
    case 'passcode':
      return (
        <ChoosePasscode
          onDone={async (passcode) => {
            await device.choosePasscode(passcode);
            await opened();
          }}
        />
      );
    case 'locked':
      return (
        <Locked
          grace={grace}
          passkey={device.vault.hasBiometrics}
          onPasscode={async (passcode) => {
            await device.unlock(passcode);
            await opened();
          }}
          onPasskey={async () => {
            await device.unlockWithPasskey();
            await opened();
          }}
          onErase={() => device.erase()}
        />
      );
    case 'wiped':
      return <Wiped reason={wipeReason} />;
    default:
      break;
  }

  return (
    <div class="shell">
      <header class="bar">
        <span class="brand">Inspections</span>
        <span class={`net ${online ? 'on' : 'off'}`}>{online ? 'Online' : 'Offline'}</span>
        <span class="pending">{syncSummary(pending, refused.size)}</span>
        <button type="button" class="secondary" disabled={syncing} onClick={() => void sync()}>
          {syncing ? 'Syncing…' : 'Sync now'}
        </button>
        <button type="button" class="secondary" onClick={() => device.lock()}>
          Lock
        </button>
      </header>
      <p class="sync-status" role="status">
        {syncStatusText(lastSync, syncedAt, syncOffline || !online, now)}
      </p>
      <GraceWarning status={grace} />
      <Notices
        notices={notices}
        onDismiss={(key) => setNotices(notices.filter((n) => n.key !== key))}
        onRetry={async (n) => {
          setNotices(notices.filter((x) => x.key !== n.key));
          const current = await device.inspection(n.retry?.id ?? '');
          if (n.retry === undefined || current === undefined) return;
          await device.save({ ...current, ...n.retry });
          edits.current.delete(current.id);
          await refresh();
          if (navigator.onLine) void sync();
        }}
      />
      {screen === 'detail' && selected !== undefined ? (
        <Detail
          device={device}
          inspection={selected}
          onBack={() => {
            setReturnTo(selected.id);
            setSelected(undefined);
            setScreen('list');
          }}
          onSave={async (next) => {
            const before = (await device.inspection(next.id)) ?? next;
            const known = edits.current.get(next.id) ?? [];
            edits.current.set(next.id, [...new Set([...known, ...changedFields(before, next)])]);
            await device.save(next);
            setRefused((old) => new Set([...old].filter((id) => id !== next.id)));
            setSelected(next);
            await refresh();
            if (navigator.onLine) void sync();
          }}
        />
      ) : (
        <main class="card">
          <h1>Your inspections</h1>
          {info && (
            <p class="status" role="status">
              {info}
            </p>
          )}
          {passkeySupported && !device.vault.hasBiometrics && !enrolling && (
            <button type="button" class="secondary" onClick={() => setEnrolling(true)}>
              Set up passkey unlock
            </button>
          )}
          {enrolling && (
            <PasskeySetup
              onClose={() => setEnrolling(false)}
              onEnrol={async (passcode) => {
                await device.enrolPasskey(passcode);
                setEnrolling(false);
                setInfo('Passkey unlock is set up: the vault key is now also wrapped by your passkey.');
              }}
            />
          )}
          <List
            items={items}
            refused={refused}
            returnTo={returnTo}
            onOpen={async (id) => {
              setSelected(await device.inspection(id));
              setScreen('detail');
            }}
          />
        </main>
      )}
    </div>
  );
}

function Failed(props: { message: string }) {
  return (
    <main class="card narrow">
      <h1>The app could not start</h1>
      <p role="alert">{props.message}</p>
    </main>
  );
}

const root = document.getElementById('app');
if (root !== null) {
  void registerServiceWorker();
  Device.open().then(
    (device) => render(<App device={device} />, root),
    (err: unknown) => render(<Failed message={errorText(err)} />, root),
  );
}
