/**
 * Device policy: what a rooted or jailbroken device, an emulator, a missing screen lock or an
 * old app version gets (allow, warn, refuse), and the settings every device applies (lock
 * timeout, failed-unlock limit, offline grace). A change takes effect on each device at its next
 * token refresh, and the server logs it.
 */
import { useEffect, useState } from 'preact/hooks';
import { type Action, CONSOLE_VERSION, describeError, type Policy } from '../api.js';
import { Field, ListState, Notice } from '../ui/components.js';
import { useApi } from '../ui/context.js';
import { formatDuration, formatTime } from '../ui/format.js';
import { useLoad } from '../ui/load.js';

interface PolicyAnswer {
  readonly policy: Policy;
  readonly updatedAt?: string | null;
  readonly updatedBy?: string | null;
}

const RULES = [
  ['rooted', 'Rooted or jailbroken device'],
  ['emulator', 'Emulator or simulator'],
  ['screenLockMissing', 'No screen lock'],
  ['appVersionTooOld', 'App older than the minimum version'],
] as const;

// How each setting reads back under its field: two are durations in seconds, one is a count (of
// wrong passcodes, which a duration's "10 s" would misstate).
const SETTINGS = [
  [
    'lockTimeoutSeconds',
    'Lock timeout (seconds)',
    'The app locks after this long in the background or idle.',
    formatDuration,
  ],
  [
    'failedUnlockLimit',
    'Failed unlock limit',
    'Wrong passcodes before the device wipes itself.',
    formatAttempts,
  ],
  [
    'offlineGraceSeconds',
    'Offline grace (seconds)',
    'Time without contact after which the device wipes itself.',
    formatDuration,
  ],
] as const;

function formatAttempts(count: number): string {
  return count === 1 ? '1 wrong passcode' : `${count} wrong passcodes`;
}

/** Compares dotted versions numerically, as the server does (`2.10` > `2.9`). */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The device policy form. */
export function PolicyScreen() {
  const api = useApi();
  const [load, reload] = useLoad(() => api.call<PolicyAnswer>('GET', '/admin/policy'), []);
  const [draft, setDraft] = useState<Policy | undefined>();
  const [notice, setNotice] = useState<{ tone: 'ok' | 'error'; text: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const [lockOutAccepted, setLockOutAccepted] = useState(false);
  // The console is a device under this policy too: a minimum version above its own locks it out.
  const min = draft?.minAppVersion?.trim() ?? '';
  const locksOutConsole =
    draft !== undefined &&
    draft.appVersionTooOld === 'refuse' &&
    min !== '' &&
    compareVersions(CONSOLE_VERSION, min) < 0;
  useEffect(() => {
    if (load.state === 'ok') setDraft(load.data.policy);
  }, [load]);

  async function save(event: Event) {
    event.preventDefault();
    if (draft === undefined) return;
    setBusy(true);
    setNotice(undefined);
    try {
      const { minAppVersion: _drop, ...rest } = draft;
      await api.call('PUT', '/admin/policy', {
        policy: { ...rest, ...(min === '' ? {} : { minAppVersion: min }) },
      });
      setNotice({ tone: 'ok', text: 'Policy saved. Each device applies it at its next refresh.' });
      reload();
    } catch (err) {
      setNotice({ tone: 'error', text: describeError(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="policy-title">
      <h1 id="policy-title">Device policy</h1>
      <p class="lead">
        Devices report their posture at sign-in and at every token refresh; changes here apply to each device
        at its next refresh. A device can lie about its posture: this raises the bar for honest apps, it does
        not prove anything.
      </p>
      <ListState load={load} what="device policy" onRetry={reload} isEmpty={() => false}>
        {(d) =>
          draft === undefined ? null : (
            <form class="policy" onSubmit={save}>
              <p class="small">
                Last changed {formatTime(d.updatedAt)}
                {d.updatedBy ? ` by ${d.updatedBy}` : ''}
              </p>
              <fieldset class="card">
                <legend>What a device gets</legend>
                {RULES.map(([key, label]) => (
                  <Field key={key} label={label}>
                    {(id) => (
                      <select
                        id={id}
                        name={key}
                        value={draft[key]}
                        onChange={(e) => setDraft({ ...draft, [key]: e.currentTarget.value as Action })}
                      >
                        <option value="allow">allow</option>
                        <option value="warn">warn</option>
                        <option value="refuse">refuse</option>
                      </select>
                    )}
                  </Field>
                ))}
                <Field label="Minimum app version" hint="Dotted numbers, e.g. 2.4.0; empty for none.">
                  {(id, hint) => (
                    <input
                      id={id}
                      name="minAppVersion"
                      aria-describedby={hint}
                      pattern="[0-9]+(\.[0-9]+)*"
                      value={draft.minAppVersion ?? ''}
                      onInput={(e) => setDraft({ ...draft, minAppVersion: e.currentTarget.value })}
                    />
                  )}
                </Field>
              </fieldset>
              <fieldset class="card">
                <legend>Settings every device applies</legend>
                {SETTINGS.map(([key, label, hint, format]) => (
                  <Field key={key} label={label} hint={`${hint} Now: ${format(draft.settings[key])}.`}>
                    {(id, hintId) => (
                      <input
                        id={id}
                        name={key}
                        type="number"
                        min={0}
                        step={1}
                        required
                        aria-describedby={hintId}
                        value={draft.settings[key]}
                        onInput={(e) =>
                          setDraft({
                            ...draft,
                            settings: { ...draft.settings, [key]: e.currentTarget.valueAsNumber },
                          })
                        }
                      />
                    )}
                  </Field>
                ))}
              </fieldset>
              {locksOutConsole ? (
                <div class="secret" role="alert">
                  <p>
                    This console is itself a device under this policy, with app version {CONSOLE_VERSION}:
                    with a minimum of {min} it is refused at its next refresh, and so is every admin's
                    console.
                  </p>
                  <label class="check">
                    <input
                      type="checkbox"
                      checked={lockOutAccepted}
                      onChange={(e) => setLockOutAccepted(e.currentTarget.checked)}
                    />{' '}
                    Save anyway
                  </label>
                </div>
              ) : null}
              <Notice notice={notice} />
              <div class="actions">
                <button
                  type="submit"
                  class="primary"
                  disabled={busy || (locksOutConsole && !lockOutAccepted)}
                >
                  {busy ? 'Saving…' : 'Save policy'}
                </button>
                <button type="button" onClick={() => setDraft(d.policy)}>
                  Discard changes
                </button>
              </div>
            </form>
          )
        }
      </ListState>
    </section>
  );
}
