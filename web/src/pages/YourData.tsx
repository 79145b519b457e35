import { useEffect, useState } from 'react';
import { ApiError } from '../api';
import { localDate, localTime } from '../format';
import { ErrorMessage, useClient } from '../ui';

/** ExportView is the answer of /api/v1/users/me/export(s). */
interface ExportView {
  exportId: string;
  status: 'PENDING' | 'READY' | 'DOWNLOADED' | 'EXPIRED' | 'FAILED';
  createdAt: string;
  expiresAt?: string;
  statusUrl?: string;
  downloadUrl?: string;
}

/** ErasureView is the answer of /api/v1/users/me/erasure. */
interface ErasureView {
  stage: 'COOLING_OFF' | 'WAITING_FOR_BOOKINGS' | 'ERASING' | 'ERASED' | 'CANCELLED' | 'REFUSED';
  requestedAt: string;
  eraseAt?: string;
}

const exportStatus: Record<ExportView['status'], string> = {
  PENDING: 'Collecting your data from every part of SkyFly…',
  READY: 'Your data is ready.',
  DOWNLOADED: 'Downloaded. Each export can be downloaded once; ask for a new one any time.',
  EXPIRED: 'This export has expired; ask for a new one.',
  FAILED: 'This export could not be completed; please ask again.',
};

function when(iso: string | undefined): string {
  return iso ? `${localDate(iso)} ${localTime(iso)} UTC` : '';
}

/** YourData lets customers export everything SkyFly stores about them and ask for their account to be erased. */
export function YourData() {
  return (
    <section className="panel" aria-labelledby="data-title">
      <h2 id="data-title">Your data</h2>
      <Export />
      <Erasure />
    </section>
  );
}

function Export() {
  const client = useClient();
  const [exp, setExp] = useState<ExportView | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  // Poll while the workflow collects the data.
  useEffect(() => {
    if (!exp || exp.status !== 'PENDING' || !exp.statusUrl) return;
    const url = exp.statusUrl;
    const t = setTimeout(() => {
      client
        .request<ExportView>('GET', url)
        .then(setExp)
        .catch(setError);
    }, 1000);
    return () => clearTimeout(t);
  }, [client, exp]);

  async function start() {
    setBusy(true);
    setError(null);
    try {
      setExp(await client.request<ExportView>('POST', '/api/v1/users/me/export'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function download() {
    if (!exp?.downloadUrl) return;
    setBusy(true);
    setError(null);
    try {
      const doc = await client.request<unknown>('GET', exp.downloadUrl);
      const blob = new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `skyfly-export-${exp.exportId}.json`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      URL.revokeObjectURL(a.href);
      if (exp.statusUrl) setExp(await client.request<ExportView>('GET', exp.statusUrl));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div>
      <h3>Export</h3>
      <p className="muted">One file (JSON) with your account, profile, travellers, bookings, payments (card brand and last four digits only) and every message we sent you.</p>
      {exp && (
        <p role="status" aria-live="polite" data-testid="export-status">
          {exportStatus[exp.status]}
          {exp.status === 'READY' && exp.expiresAt && ` Available until ${when(exp.expiresAt)}.`}
        </p>
      )}
      <ErrorMessage error={error} />
      {exp?.status === 'READY' && exp.downloadUrl ? (
        <button type="button" className="primary" onClick={download} disabled={busy}>
          Download my data
        </button>
      ) : (
        <button type="button" onClick={start} disabled={busy || exp?.status === 'PENDING'}>
          Export my data
        </button>
      )}
    </div>
  );
}

function Erasure() {
  const client = useClient();
  const [st, setSt] = useState<ErasureView | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    client
      .request<ErasureView>('GET', '/api/v1/users/me/erasure')
      .then((v) => live && setSt(v))
      .catch((err) => {
        // No erasure was ever requested: nothing to show.
        if (live && !(err instanceof ApiError && err.problem.status === 404)) setError(err);
      });
    return () => {
      live = false;
    };
  }, [client]);

  async function call(method: 'POST' | 'DELETE') {
    setBusy(true);
    setError(null);
    try {
      setSt(await client.request<ErasureView>(method, '/api/v1/users/me/erasure'));
      setConfirm(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const pending = st && (st.stage === 'COOLING_OFF' || st.stage === 'WAITING_FOR_BOOKINGS' || st.stage === 'ERASING');
  return (
    <div>
      <h3>Delete my account</h3>
      {st?.stage === 'COOLING_OFF' && (
        <p className="alert info" role="status" data-testid="erasure-status">
          Your account will be erased on {when(st.eraseAt)}. Until then you can withdraw the request.
        </p>
      )}
      {st?.stage === 'WAITING_FOR_BOOKINGS' && (
        <p className="alert info" role="status" data-testid="erasure-status">
          Your account will be erased once your bookings in progress have ended.
        </p>
      )}
      {st?.stage === 'CANCELLED' && (
        <p className="muted" role="status" data-testid="erasure-status">
          You withdrew your erasure request; your account stays as it is.
        </p>
      )}
      {!pending && (
        <>
          <p className="muted">
            We erase your profile, travellers and sign-in, and remove names, documents and contact details from your bookings. The law requires us to keep tickets and payment amounts, under a pseudonymous id. You can change your mind
            during a cooling-off period, and trips you have not flown yet must be cancelled or flown first.
          </p>
          <div className="check">
            <input id="erasure-confirm" type="checkbox" checked={confirm} onChange={(e) => setConfirm(e.target.checked)} />
            <label htmlFor="erasure-confirm">I understand that my account and its data will be erased</label>
          </div>
        </>
      )}
      <ErrorMessage error={error} />
      {error instanceof ApiError && error.problem.code === 'bookings_in_flight' && (
        <ul data-testid="erasure-blocked">
          {((error.problem as unknown as { bookings?: { pnr: string; status: string }[] }).bookings ?? []).map((b) => (
            <li key={b.pnr}>
              Booking {b.pnr} ({b.status.toLowerCase().replace(/_/g, ' ')})
            </li>
          ))}
        </ul>
      )}
      {st?.stage === 'COOLING_OFF' ? (
        <button type="button" onClick={() => call('DELETE')} disabled={busy}>
          Withdraw the erasure request
        </button>
      ) : (
        !pending && (
          <button type="button" className="danger" onClick={() => call('POST')} disabled={busy || !confirm}>
            Erase my account
          </button>
        )
      )}
    </div>
  );
}
