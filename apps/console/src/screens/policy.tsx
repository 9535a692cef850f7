/**
 * Device policy: what a rooted or jailbroken device, an emulator, a missing screen lock or an
 * old app version gets (allow, warn, refuse), and the settings every device applies (lock
 * timeout, failed-unlock limit, offline grace). A change takes effect on each device at its next
 * token refresh, and the server logs it.
 */
import { useEffect, useState } from 'preact/hooks';
import { type Action, describeError, type Policy } from '../api.js';
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

const SETTINGS = [
  [
    'lockTimeoutSeconds',
    'Lock timeout (seconds)',
    'The app locks after this long in the background or idle.',
  ],
  ['failedUnlockLimit', 'Failed unlock limit', 'Wrong passcodes before the device wipes itself.'],
  [
    'offlineGraceSeconds',
    'Offline grace (seconds)',
    'Time without contact after which the device wipes itself.',
  ],
] as const;

/** The device policy form. */
export function PolicyScreen() {
  const api = useApi();
  const [load, reload] = useLoad(() => api.call<PolicyAnswer>('GET', '/admin/policy'), []);
  const [draft, setDraft] = useState<Policy | undefined>();
  const [notice, setNotice] = useState<{ tone: 'ok' | 'error'; text: string } | undefined>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (load.state === 'ok') setDraft(load.data.policy);
  }, [load]);

  async function save(event: Event) {
    event.preventDefault();
    if (draft === undefined) return;
    setBusy(true);
    setNotice(undefined);
    try {
      const min = draft.minAppVersion?.trim() ?? '';
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
                {SETTINGS.map(([key, label, hint]) => (
                  <Field
                    key={key}
                    label={label}
                    hint={`${hint} Now: ${formatDuration(draft.settings[key])}.`}
                  >
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
              <Notice notice={notice} />
              <div class="actions">
                <button type="submit" class="primary" disabled={busy}>
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
