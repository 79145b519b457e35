import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError, isSupervisor, type Disruption } from '../api';
import { navigate } from '../router';
import { ErrorMessage, Link, Spinner, useClient, useSession } from '../ui';

// The staff "Flight disruption" screen: any agent looks a dated flight up
// and sees the disruption in force with the rebooking progress (polled while
// the DisruptionWorkflow runs); a supervisor cancels or retimes the flight
// with a recorded reason, after a confirmation step.

const kinds: Record<string, string> = { CANCELLED: 'Cancelled', RETIMED: 'Retimed' };

/** utcInput turns a datetime-local value read as UTC into RFC 3339. */
function utcInput(v: string): string {
  return v ? new Date(`${v}:00Z`).toISOString() : '';
}

function utcLabel(iso?: string): string {
  return iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '';
}

export function StaffDisruption({ query }: { query: URLSearchParams }) {
  const client = useClient();
  const session = useSession();
  const flightId = query.get('flightId') ?? '';
  const [input, setInput] = useState(flightId);
  const [disruption, setDisruption] = useState<Disruption | null>(null);
  const [scheduled, setScheduled] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const path = `/api/v1/staff/flights/${encodeURIComponent(flightId)}/disruption`;

  const load = useCallback(async () => {
    try {
      setDisruption(await client.request<Disruption>('GET', path));
      setScheduled(false);
      setError(null);
    } catch (err) {
      // 404 with a known flight: it operates as scheduled. An unknown
      // flight is a 404 too, with another detail; show that one.
      if (err instanceof ApiError && err.problem.status === 404 && /as scheduled/.test(err.problem.detail ?? '')) {
        setDisruption(null);
        setScheduled(true);
        setError(null);
      } else {
        setError(err);
      }
    } finally {
      setLoaded(true);
    }
  }, [client, path]);

  useEffect(() => {
    if (flightId) void load();
  }, [flightId, load]);

  const running = !!disruption && disruption.progress?.status !== 'COMPLETED';
  useEffect(() => {
    if (!running) return;
    const t = window.setInterval(() => void load(), 1500);
    return () => window.clearInterval(t);
  }, [running, load]);

  function submit(e: FormEvent) {
    e.preventDefault();
    const id = input.trim().toUpperCase();
    if (id) navigate(`/staff/disruption?${new URLSearchParams({ flightId: id })}`);
  }

  const p = disruption?.progress;
  return (
    <>
      <section className="panel" aria-labelledby="disruption-title">
        <p>
          <Link href="/staff">← Find a booking</Link>
        </p>
        <h1 id="disruption-title">Flight disruption</h1>
        <form onSubmit={submit}>
          <div className="grid">
            <div className="field">
              <label htmlFor="disruption-flight">Dated flight</label>
              <input id="disruption-flight" required autoComplete="off" placeholder="SF200-20261212" value={input} onChange={(e) => setInput(e.target.value)} />
            </div>
          </div>
          <button type="submit" className="primary">
            Show the flight
          </button>
        </form>
      </section>
      <ErrorMessage error={error} />
      {flightId && !loaded && !error && <Spinner label="Loading the flight…" />}
      {scheduled && (
        <p className="alert info" role="status" data-testid="disruption-none">
          {flightId} operates as scheduled.
        </p>
      )}
      {disruption && (
        <section className="panel" aria-labelledby="disruption-state">
          <h2 id="disruption-state">
            {disruption.flightId}: {kinds[disruption.kind] ?? disruption.kind}
          </h2>
          <dl className="summary">
            <div>
              <dt>Reason</dt>
              <dd>{disruption.reason}</dd>
            </div>
            {disruption.kind === 'RETIMED' && (
              <div>
                <dt>New times</dt>
                <dd>
                  {utcLabel(disruption.newDeparture)} → {utcLabel(disruption.newArrival)}
                </dd>
              </div>
            )}
            <div>
              <dt>Recorded</dt>
              <dd>
                <time dateTime={disruption.createdAt}>{new Date(disruption.createdAt).toLocaleString()}</time> by {disruption.actor}
              </dd>
            </div>
            <div>
              <dt>Temporal workflow</dt>
              <dd>
                <code>{disruption.workflowId}</code>
              </dd>
            </div>
          </dl>
          <h3>Rebooking progress</h3>
          {!p ? (
            <Spinner label="Waiting for the rebooking workflow…" />
          ) : (
            <>
              <p className={`status status-${p.status === 'COMPLETED' ? 'confirmed' : 'changing'}`} role="status" aria-live="polite" data-testid="disruption-status">
                {p.status === 'COMPLETED' ? 'Completed' : 'Running'}
              </p>
              <dl className="summary" data-testid="disruption-progress">
                {(
                  [
                    ['Bookings on the flight', p.found],
                    ['Rebookings started', p.started],
                    ['Rebooked', p.rebooked],
                    ['Needs attention', p.needsAttention],
                    ['Not confirmed', p.notConfirmed],
                    ['Unaffected', p.unaffected],
                    ['Resolved', p.resolved],
                    ['Failed', p.failed],
                  ] as [string, number | undefined][]
                ).map(([k, v]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd>{v ?? 0}</dd>
                  </div>
                ))}
              </dl>
              {(p.attention?.length ?? 0) > 0 && (
                <>
                  <h3>Waiting for an agent</h3>
                  <ul className="attention">
                    {p.attention!.map((id) => (
                      <li key={id}>
                        <Link href={`/staff/bookings/${encodeURIComponent(id)}`}>{id}</Link>
                      </li>
                    ))}
                  </ul>
                </>
              )}
              {(p.failedIds?.length ?? 0) > 0 && (
                <>
                  <h3>Rebooking failed</h3>
                  <ul className="attention">
                    {p.failedIds!.map((id) => (
                      <li key={id}>
                        <Link href={`/staff/bookings/${encodeURIComponent(id)}`}>{id}</Link>
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </>
          )}
        </section>
      )}
      {flightId && loaded && (scheduled || disruption) && isSupervisor(session) && disruption?.kind !== 'CANCELLED' && (
        <DisruptForm key={flightId} flightId={flightId} path={path} onDisruption={(d) => { setDisruption(d); setScheduled(false); }} />
      )}
      {flightId && loaded && (scheduled || disruption) && !isSupervisor(session) && (
        <p className="muted">Only a supervisor can cancel or retime a flight.</p>
      )}
    </>
  );
}

function DisruptForm({ flightId, path, onDisruption }: { flightId: string; path: string; onDisruption: (d: Disruption) => void }) {
  const client = useClient();
  const [kind, setKind] = useState<'CANCELLED' | 'RETIMED'>('CANCELLED');
  const [reason, setReason] = useState('');
  const [dep, setDep] = useState('');
  const [arr, setArr] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // One key per confirmed request: a retry of the same click is the same disruption.
  const [key, setKey] = useState(() => crypto.randomUUID());

  function review(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setConfirming(true);
  }

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { kind, reason: reason.trim() };
      if (kind === 'RETIMED') {
        body.newDeparture = utcInput(dep);
        body.newArrival = utcInput(arr);
      }
      onDisruption(await client.request<Disruption>('POST', path, body, { idempotencyKey: key }));
      setConfirming(false);
      setReason('');
      setKey(crypto.randomUUID());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="disrupt-title">
      <h2 id="disrupt-title">Cancel or retime {flightId}</h2>
      {!confirming ? (
        <form onSubmit={review}>
          <div className="grid">
            <div className="field">
              <label htmlFor="disrupt-kind">Disruption</label>
              <select id="disrupt-kind" value={kind} onChange={(e) => setKind(e.target.value as 'CANCELLED' | 'RETIMED')}>
                <option value="CANCELLED">Cancel the flight</option>
                <option value="RETIMED">Retime the flight</option>
              </select>
            </div>
            {kind === 'RETIMED' && (
              <>
                <div className="field">
                  <label htmlFor="disrupt-dep">New departure (UTC)</label>
                  <input id="disrupt-dep" type="datetime-local" required value={dep} onChange={(e) => setDep(e.target.value)} />
                </div>
                <div className="field">
                  <label htmlFor="disrupt-arr">New arrival (UTC)</label>
                  <input id="disrupt-arr" type="datetime-local" required value={arr} onChange={(e) => setArr(e.target.value)} />
                </div>
              </>
            )}
            <div className="field">
              <label htmlFor="disrupt-reason">Reason (recorded)</label>
              <input id="disrupt-reason" required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
            </div>
          </div>
          <button type="submit">Review</button>
        </form>
      ) : (
        <div role="alertdialog" aria-labelledby="disrupt-confirm-text" className="alert info">
          <p id="disrupt-confirm-text">
            {kind === 'CANCELLED'
              ? `Cancel ${flightId}? It stops selling at once and every confirmed passenger is rebooked onto the earliest alternative at no cost.`
              : `Retime ${flightId} to depart ${utcLabel(utcInput(dep))} and arrive ${utcLabel(utcInput(arr))}? Passengers whose connection breaks are rebooked.`}
          </p>
          <p>Reason: {reason.trim()}</p>
          <div className="actions">
            <button type="button" className="danger" onClick={confirm} disabled={busy}>
              {busy ? 'Recording…' : kind === 'CANCELLED' ? 'Confirm the cancellation' : 'Confirm the retime'}
            </button>
            <button type="button" onClick={() => setConfirming(false)} disabled={busy}>
              Back
            </button>
          </div>
        </div>
      )}
      <ErrorMessage error={error} />
    </section>
  );
}
