/**
 * Server signing keys: the active key that signs access tokens and device policies, the retired
 * ones that still verify what they signed, and rotation.
 */
import { useState } from 'preact/hooks';
import { describeError, type SigningKey } from '../api.js';
import { Badge, ConfirmActions, Dialog, ListState, Notice, TableFrame } from '../ui/components.js';
import { useApi } from '../ui/context.js';
import { formatTime } from '../ui/format.js';
import { useLoad } from '../ui/load.js';

/** The signing keys. */
export function KeysScreen() {
  const api = useApi();
  const [load, reload] = useLoad(() => api.call<{ keys: readonly SigningKey[] }>('GET', '/admin/keys'), []);
  const [confirming, setConfirming] = useState(false);
  const [notice, setNotice] = useState<{ tone: 'ok' | 'error'; text: string } | undefined>();

  async function rotate() {
    setConfirming(false);
    setNotice(undefined);
    try {
      const answer = await api.call<{ kid?: string }>('POST', '/admin/keys/rotate');
      setNotice({ tone: 'ok', text: `Rotated. The new key ${answer.kid ?? ''} signs from now on.` });
      reload();
    } catch (err) {
      setNotice({ tone: 'error', text: describeError(err) });
    }
  }

  return (
    <section aria-labelledby="keys-title">
      <div class="title-row">
        <h1 id="keys-title">Signing keys</h1>
        <button type="button" class="primary" onClick={() => setConfirming(true)}>
          Rotate key
        </button>
      </div>
      <p class="lead">
        The active key signs access tokens and device policies. Retired keys keep verifying until what they
        signed has expired.
      </p>
      <Notice notice={notice} />
      <ListState load={load} what="signing keys" onRetry={reload} isEmpty={(d) => d.keys.length === 0}>
        {(d) => (
          <TableFrame label="Signing keys table">
            <table>
              <caption class="sr-only">Signing keys</caption>
              <thead>
                <tr>
                  <th scope="col">Key id</th>
                  <th scope="col">Algorithm</th>
                  <th scope="col">State</th>
                  <th scope="col">Created</th>
                  <th scope="col">Retired</th>
                </tr>
              </thead>
              <tbody>
                {d.keys.map((k) => (
                  <tr key={k.kid} data-kid={k.kid}>
                    <td>
                      <code>{k.kid}</code>
                    </td>
                    <td>{k.alg}</td>
                    <td>
                      {k.status === 'active' ? (
                        <Badge tone="good">active</Badge>
                      ) : (
                        <Badge tone="neutral">retired</Badge>
                      )}
                    </td>
                    <td>{formatTime(k.createdAt)}</td>
                    <td>{formatTime(k.retiredAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableFrame>
        )}
      </ListState>
      <Dialog title="Rotate the signing key?" open={confirming} onClose={() => setConfirming(false)}>
        <p>A new key signs from now on; the current one is retired and keeps verifying what it signed.</p>
        <ConfirmActions
          action="Rotate"
          tone="primary"
          onAction={rotate}
          onCancel={() => setConfirming(false)}
        />
      </Dialog>
    </section>
  );
}
