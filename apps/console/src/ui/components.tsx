/**
 * The console's few components, written here rather than taken from a component library
 * (docs/console.md says why): the loading, error and empty states of a list, a labelled field,
 * a modal dialog on the native `<dialog>` element, the buttons of a question, the error and buttons that end a form, a
 * status badge and a notice. Everything
 * renders text nodes only; nothing here takes markup.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';
import { describeError } from '../api.js';
import type { Load } from './load.js';

/**
 * Shows a list's loading, error and empty states, or the list itself.
 *
 * @example
 * ```tsx
 * <ListState load={users} what="users" isEmpty={(d) => d.users.length === 0} onRetry={reload}>
 *   {(d) => <UserTable users={d.users} />}
 * </ListState>
 * ```
 */
export function ListState<T>(props: {
  load: Load<T>;
  what: string;
  isEmpty: (data: T) => boolean;
  onRetry: () => void;
  empty?: ComponentChildren;
  children: (data: T) => ComponentChildren;
}) {
  const { load } = props;
  if (load.state === 'error') {
    return (
      <div class="state state-error" role="alert">
        <p>
          Could not load the {props.what}: {describeError(load.error)}
        </p>
        <button type="button" onClick={props.onRetry}>
          Try again
        </button>
      </div>
    );
  }
  if (load.data === undefined) {
    return (
      <p class="state state-loading" role="status">
        Loading {props.what}…
      </p>
    );
  }
  return (
    <div aria-busy={load.state === 'loading'}>
      {load.state === 'loading' ? (
        <p class="state-refreshing" role="status">
          Refreshing…
        </p>
      ) : null}
      {props.isEmpty(load.data) ? (
        <p class="state state-empty">{props.empty ?? `No ${props.what}.`}</p>
      ) : (
        props.children(load.data)
      )}
    </div>
  );
}

/**
 * A label above its control, with an optional hint tied to the control by aria-describedby.
 *
 * @example
 * ```tsx
 * <Field label="Username">{(id) => <input id={id} />}</Field>
 * ```
 */
export function Field(props: {
  label: string;
  hint?: string;
  children: (id: string, describedBy: string | undefined) => ComponentChildren;
}) {
  const id = useId();
  const hintId = props.hint === undefined ? undefined : `${id}-hint`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.children(id, hintId)}
      {props.hint === undefined ? null : (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

/**
 * A modal dialog (the native `<dialog>`, so focus is trapped and Escape closes it).
 *
 * @example
 * ```tsx
 * <Dialog title="Revoke device" open={open} onClose={() => setOpen(false)}>…</Dialog>
 * ```
 */
export function Dialog(props: {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  // Closes this component made itself (its owner set `open` false): their `close` event, queued
  // as a task, is not the person leaving. Passed on, a Cancel pressed with Enter and the button
  // that opens the dialog pressed again at once saw the first close's event arrive after the
  // second opening and shut it.
  const ownCloses = useRef(0);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) {
      ownCloses.current += 1;
      dialog.close();
    }
  }, [props.open]);
  const closed = () => {
    if (ownCloses.current > 0) ownCloses.current -= 1;
    else props.onClose();
  };
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={closed} onCancel={props.onClose}>
      {props.open ? (
        <>
          <h2 id={titleId}>{props.title}</h2>
          {props.children}
        </>
      ) : null}
    </dialog>
  );
}

/**
 * The buttons of a question without fields (disable this user? unlink? rotate?): the action, then
 * Cancel, which takes the focus as the dialog opens. WAI-ARIA's dialog pattern puts the initial
 * focus on the least destructive control: a stray Enter or Space then closes the question instead
 * of disabling an account. (A dialog with fields, like revoking a device, starts in its first
 * field, which is just as safe.)
 *
 * @example
 * ```tsx
 * <ConfirmActions action="Disable" tone="danger" onAction={disable} onCancel={close} />
 * ```
 */
export function ConfirmActions(props: {
  action: string;
  tone: 'primary' | 'danger';
  onAction: () => void;
  onCancel: () => void;
}) {
  return (
    <div class="actions">
      <button type="button" class={props.tone} onClick={props.onAction}>
        {props.action}
      </button>
      {/* `autofocus` is what showModal() reads to choose where the focus starts. */}
      <button type="button" autofocus onClick={props.onCancel}>
        Cancel
      </button>
    </div>
  );
}

/**
 * The end of a form: its error, if any, announced as an alert, then the submit button (disabled
 * and relabelled while the request runs) and the button that leaves the form.
 *
 * @example
 * ```tsx
 * <FormEnd error={error} busy={busy} submit="Create user" busyText="Creating…" leave="Cancel" onLeave={close} />
 * ```
 */
export function FormEnd(props: {
  error: string | undefined;
  busy: boolean;
  submit: string;
  busyText: string;
  tone?: 'primary' | 'danger';
  leave: string;
  onLeave: () => void;
}) {
  return (
    <>
      {props.error === undefined ? null : (
        <p class="notice notice-error" role="alert">
          {props.error}
        </p>
      )}
      <div class="actions">
        <button type="submit" class={props.tone ?? 'primary'} disabled={props.busy}>
          {props.busy ? props.busyText : props.submit}
        </button>
        <button type="button" onClick={props.onLeave}>
          {props.leave}
        </button>
      </div>
    </>
  );
}

/**
 * A status as a badge whose colour follows its meaning; the word itself is always shown.
 *
 * @example
 * ```tsx
 * <Badge tone="bad">revoked</Badge>
 * ```
 */
export function Badge(props: { tone: 'good' | 'warn' | 'bad' | 'neutral'; children: ComponentChildren }) {
  return <span class={`badge badge-${props.tone}`}>{props.children}</span>;
}

/**
 * A message after an action: success or failure, announced to screen readers.
 *
 * @example
 * ```tsx
 * <Notice notice={{ tone: 'ok', text: 'Saved.' }} />
 * ```
 */
export function Notice(props: { notice: { tone: 'ok' | 'error'; text: string } | undefined }) {
  const notice = props.notice;
  if (notice === undefined) return null;
  return (
    <p class={`notice notice-${notice.tone}`} role={notice.tone === 'error' ? 'alert' : 'status'}>
      {notice.text}
    </p>
  );
}

/**
 * The frame of a wide table: it scrolls sideways on a narrow screen, and it can take the focus so
 * that keyboard users can scroll it too (axe: scrollable-region-focusable).
 *
 * @example
 * ```tsx
 * <TableFrame label="Users table"><table>…</table></TableFrame>
 * ```
 */
export function TableFrame(props: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable to be scrolled from the keyboard.
    <section class="table-wrap" tabIndex={0} aria-label={props.label}>
      {props.children}
    </section>
  );
}
