import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { Booking, CancellationQuote, ChangeQuote, Itinerary, SearchResult } from '../api';
import { cabin, countdown, family, isoDate, localDate, localTime, money, statusLabel } from '../format';
import { navigate } from '../router';
import { ErrorMessage, Link, Spinner, useClient, useNow, useSession } from '../ui';
import { isSupervisor } from '../api';
import { SegmentsView } from './Search';

// The staff app: password + TOTP sign-in, booking lookup (PNR, passenger,
// flight, status; the NEEDS_ATTENTION queue), and a booking's detail with its
// history, cancel and change with a recorded reason, and retry/resolve.

const statuses = ['', 'CONFIRMED', 'HELD', 'PAYMENT_PENDING', 'CANCELLED', 'CHANGING', 'EXPIRED', 'FAILED', 'NEEDS_ATTENTION'];
const moving = new Set(['PENDING', 'PAYMENT_PENDING', 'CANCELLING', 'CHANGING']);

export function StaffSignIn({ next }: { next: string }) {
  const client = useClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const codeRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (challenge) codeRef.current?.focus();
  }, [challenge]);

  async function submitPassword(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setChallenge(await client.staffLogin(email.trim(), password));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function submitCode(e: FormEvent) {
    e.preventDefault();
    if (!challenge) return;
    setBusy(true);
    setError(null);
    try {
      await client.staffVerify(challenge, code.trim());
      navigate(next.startsWith('/staff') ? next : '/staff', { replace: true });
    } catch (err) {
      setError(err);
      setCode('');
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel narrow" aria-labelledby="staff-signin-title">
      <h1 id="staff-signin-title">Staff sign-in</h1>
      {!challenge ? (
        <form onSubmit={submitPassword}>
          <div className="field">
            <label htmlFor="staff-email">Work email</label>
            <input id="staff-email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="staff-password">Password</label>
            <input id="staff-password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          </div>
          <ErrorMessage error={error} />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Checking…' : 'Continue'}
          </button>
        </form>
      ) : (
        <form onSubmit={submitCode}>
          <div className="field">
            <label htmlFor="staff-totp">Authenticator code</label>
            <input
              id="staff-totp"
              ref={codeRef}
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              title="The 6-digit code of your authenticator app"
              required
              aria-describedby="staff-totp-hint"
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
            <small id="staff-totp-hint" className="muted">
              The 6-digit code your authenticator app shows for SkyFly.
            </small>
          </div>
          <ErrorMessage error={error} />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Verifying…' : 'Sign in'}
          </button>
        </form>
      )}
    </section>
  );
}

/** StaffLookup finds bookings; the query lives in the URL so results can be reloaded and shared. */
export function StaffLookup({ query }: { query: URLSearchParams }) {
  const client = useClient();
  const [pnr, setPnr] = useState(query.get('pnr') ?? '');
  const [passenger, setPassenger] = useState(query.get('passenger') ?? '');
  const [flightId, setFlightId] = useState(query.get('flightId') ?? '');
  const [status, setStatus] = useState(query.get('status') ?? '');
  const [bookings, setBookings] = useState<Booking[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const key = query.toString();

  useEffect(() => {
    if (!key) {
      setBookings(null);
      return;
    }
    let live = true;
    setError(null);
    setBookings(null);
    client
      .request<{ bookings: Booking[] }>('GET', `/api/v1/staff/bookings?${key}`)
      .then((r) => live && setBookings(r.bookings))
      .catch((err) => live && setError(err));
    return () => {
      live = false;
    };
  }, [client, key]);

  function submit(e: FormEvent) {
    e.preventDefault();
    const q = new URLSearchParams();
    if (pnr.trim()) q.set('pnr', pnr.trim().toUpperCase());
    if (passenger.trim()) q.set('passenger', passenger.trim());
    if (flightId.trim()) q.set('flightId', flightId.trim().toUpperCase());
    if (status) q.set('status', status);
    navigate(`/staff?${q}`);
  }

  return (
    <>
      <section className="panel" aria-labelledby="lookup-title">
        <h1 id="lookup-title">Find a booking</h1>
        <form onSubmit={submit}>
          <div className="grid">
            <div className="field">
              <label htmlFor="lookup-pnr">PNR</label>
              <input id="lookup-pnr" maxLength={6} autoComplete="off" value={pnr} onChange={(e) => setPnr(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="lookup-passenger">Passenger family name</label>
              <input id="lookup-passenger" autoComplete="off" value={passenger} onChange={(e) => setPassenger(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="lookup-flight">Dated flight</label>
              <input id="lookup-flight" autoComplete="off" placeholder="SF200-20261212" value={flightId} onChange={(e) => setFlightId(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="lookup-status">Status</label>
              <select id="lookup-status" value={status} onChange={(e) => setStatus(e.target.value)}>
                {statuses.map((s) => (
                  <option key={s} value={s}>
                    {s ? (statusLabel[s] ?? s) : 'Any'}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <div className="actions">
            <button type="submit" className="primary">
              Search bookings
            </button>
            <Link className="button" href="/staff?status=NEEDS_ATTENTION">
              Needs-attention queue
            </Link>
            <Link className="button" href="/staff/disruption">
              Flight disruption
            </Link>
          </div>
        </form>
      </section>
      <ErrorMessage error={error} />
      {key && !bookings && !error && <Spinner label="Looking up bookings…" />}
      {bookings && (
        <section className="panel" aria-labelledby="lookup-results">
          <h2 id="lookup-results">
            {bookings.length} {bookings.length === 1 ? 'booking' : 'bookings'}
          </h2>
          <ul className="trips">
            {bookings.map((b) => {
              const s = b.itinerary.segments;
              return (
                <li key={b.bookingId} className="card">
                  <Link href={`/staff/bookings/${encodeURIComponent(b.bookingId)}`} className="trip-link">
                    <span className="pnr">{b.pnr}</span>
                    <span>
                      {s[0]?.origin} → {s[s.length - 1]?.destination} · {b.passengers.map((p) => p.familyName).join(', ')}
                    </span>
                    <span className="muted">{s[0] ? `${s[0].flightNumber} ${localDate(s[0].departureTime)}` : ''}</span>
                    <span className={`status status-${b.status.toLowerCase()}`}>{statusLabel[b.status] ?? b.status}</span>
                    <span className="price">{money(b.total)}</span>
                  </Link>
                </li>
              );
            })}
          </ul>
        </section>
      )}
    </>
  );
}

/** StaffBooking is one booking for an agent: everything about it and what they may do. */
export function StaffBooking({ bookingId }: { bookingId: string }) {
  const client = useClient();
  const [booking, setBooking] = useState<Booking | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setBooking(await client.request<Booking>('GET', `/api/v1/bookings/${encodeURIComponent(bookingId)}`));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [client, bookingId]);

  useEffect(() => {
    void load();
  }, [load]);

  const status = booking?.status;
  useEffect(() => {
    if (!status || !moving.has(status)) return;
    const t = window.setInterval(() => void load(), 1000);
    return () => window.clearInterval(t);
  }, [status, load]);

  if (!booking) return error ? <ErrorMessage error={error} /> : <Spinner label="Loading the booking…" />;
  const b = booking;
  return (
    <>
      <section className="panel" aria-labelledby="sb-title">
        <p>
          <Link href="/staff">← Find a booking</Link>
        </p>
        <h1 id="sb-title">
          Booking <span className="pnr">{b.pnr}</span>
        </h1>
        <p className={`status status-${b.status.toLowerCase()}`} role="status" aria-live="polite" data-testid="booking-status">
          {statusLabel[b.status] ?? b.status}
        </p>
        <SegmentsView segments={b.itinerary.segments} />
        <dl className="summary">
          <div>
            <dt>Passengers</dt>
            <dd>{b.passengers.map((p) => `${p.title ?? ''} ${p.givenName} ${p.familyName}`.trim()).join(', ')}</dd>
          </div>
          <div>
            <dt>Contact</dt>
            <dd>
              {b.contact?.email}
              <br />
              {b.contact?.phone}
            </dd>
          </div>
          <div>
            <dt>Fare</dt>
            <dd>
              {family(b.itinerary.fare?.family)} · {cabin(b.itinerary.fare?.cabin)} ({b.itinerary.fare?.fareId})
            </dd>
          </div>
          <div>
            <dt>Total</dt>
            <dd className="price">{money(b.total)}</dd>
          </div>
          <div>
            <dt>Payments</dt>
            <dd>
              {b.payments.map((p) => (
                <span key={p.paymentId}>
                  {money(p.paid)} paid{p.refunded.amount ? `, ${money(p.refunded)} refunded` : ''}{p.status ? ` (${p.status.toLowerCase()})` : ''}
                  <br />
                </span>
              ))}
            </dd>
          </div>
          <div>
            <dt>Temporal workflow</dt>
            <dd>
              {temporalUI() ? (
                <a href={`${temporalUI()}/workflows?query=${encodeURIComponent(`SkyflyPNR = "${b.pnr}"`)}`} target="_blank" rel="noopener noreferrer">
                  <code>booking/{b.bookingId}</code> and its other workflows in the Temporal UI
                </a>
              ) : (
                <code>booking/{b.bookingId}</code>
              )}
              <br />
              <small className="muted">In the Temporal UI: SkyflyPNR = "{b.pnr}"</small>
            </dd>
          </div>
        </dl>
        {b.tickets.length > 0 && (
          <p>
            E-tickets:{' '}
            {b.tickets.map((t) => (
              <span key={t.number} className="ticket">
                <code>{t.number}</code> <span className="muted">{t.status.toLowerCase()}</span>
              </span>
            ))}
          </p>
        )}
      </section>
      {b.status === 'CONFIRMED' && <ChangeFlights booking={b} onBooking={setBooking} />}
      {b.status === 'CONFIRMED' && <StaffCancel booking={b} onBooking={setBooking} />}
      {b.status === 'NEEDS_ATTENTION' && <StaffResolve booking={b} onDone={load} />}
      <section className="panel" aria-labelledby="sb-history">
        <h2 id="sb-history">History</h2>
        <table className="history-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">By</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {b.history.map((h, i) => (
              <tr key={h.at + i}>
                <td>
                  <time dateTime={h.at}>{new Date(h.at).toLocaleString()}</time>
                </td>
                <td>{h.event.replace(/_/g, ' ')}</td>
                <td>{h.from ? `${h.from} → ${h.to}` : h.to}</td>
                <td>{h.actor}</td>
                <td>{h.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

/**
 * ChangeFlights finds other flights on a new date and changes the booking
 * with the change quote. Staff record a reason (and a supervisor may waive
 * the fee); a customer pays what is due with the sandbox Visa.
 */
export function ChangeFlights({ booking, onBooking, staff = true }: { booking: Booking; onBooking: (b: Booking) => void; staff?: boolean }) {
  const client = useClient();
  const now = useNow();
  const segs = booking.itinerary.segments;
  const origin = segs[0].origin;
  const destination = segs[segs.length - 1].destination;
  const [date, setDate] = useState(segs[0].departureTime.slice(0, 10));
  const [reason, setReason] = useState('');
  const supervisor = staff && isSupervisor(useSession());
  const [waive, setWaive] = useState(false);
  const [options, setOptions] = useState<Itinerary[] | null>(null);
  const [quote, setQuote] = useState<ChangeQuote | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fareId = booking.itinerary.fare?.fareId ?? '';
  const path = `/api/v1/bookings/${encodeURIComponent(booking.bookingId)}/change`;

  async function search(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setQuote(null);
    try {
      const q = new URLSearchParams({ origin, destination, date, adults: String(booking.passengers.length), sort: 'departure' });
      const r = await client.request<SearchResult>('GET', `/api/v1/flights/search?${q}`);
      const current = segs.map((s) => s.flightId).join(',');
      setOptions(r.itineraries.filter((it) => it.segments.map((s) => s.flightId).join(',') !== current && it.fares.some((f) => f.fareId === fareId)));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function pick(it: Itinerary) {
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { flightIds: it.segments.map((s) => s.flightId), fareId };
      if (staff) body.reason = reason.trim();
      if (waive) body.waivePenalty = true;
      setQuote(await client.request<ChangeQuote>('POST', path, body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function accept() {
    if (!quote) return;
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { quoteId: quote.quoteId };
      if (staff) body.reason = reason.trim();
      if (quote.due.amount > 0) body.payment = { provider: 'sandbox', token: 'tok_visa' };
      onBooking(await client.request<Booking>('POST', path, body));
      setQuote(null);
      setOptions(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const left = countdown(quote?.expiresAt, now);
  return (
    <section className="panel" aria-labelledby="change-title">
      <h2 id="change-title">Change flights</h2>
      <form onSubmit={search}>
        <div className="grid">
          <div className="field">
            <label htmlFor="change-date">
              New date ({origin} → {destination})
            </label>
            <input id="change-date" type="date" required min={isoDate(new Date())} value={date} onChange={(e) => setDate(e.target.value)} />
          </div>
          {staff && (
            <div className="field">
              <label htmlFor="change-reason">Reason (recorded)</label>
              <input id="change-reason" required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
            </div>
          )}
        </div>
        {supervisor && (
          <div className="check">
            <input id="change-waive" type="checkbox" checked={waive} onChange={(e) => setWaive(e.target.checked)} />
            <label htmlFor="change-waive">Waive the change fee (supervisor)</label>
          </div>
        )}
        <button type="submit" disabled={busy}>
          Find flights
        </button>
      </form>
      {options && options.length === 0 && <p className="alert info">No other flight with this fare on that date.</p>}
      {options && options.length > 0 && !quote && (
        <ul className="change-options">
          {options.slice(0, 8).map((it) => (
            <li key={it.id}>
              <span>
                {it.segments.map((s) => `${s.flightNumber} ${localTime(s.departureTime)} ${s.origin}→${s.destination}`).join(' · ')}
              </span>
              <button type="button" onClick={() => pick(it)} disabled={busy || (staff && !reason.trim())} aria-label={`Quote a change to ${it.segments.map((s) => s.flightNumber).join(' and ')}`}>
                Quote change
              </button>
            </li>
          ))}
        </ul>
      )}
      {quote && (
        <>
          <dl className="summary" data-testid="change-quote">
            <div>
              <dt>New flights</dt>
              <dd>{quote.newFlightIds.join(', ')}</dd>
            </div>
            <div>
              <dt>Fare difference</dt>
              <dd>{money(quote.fareDifference)}</dd>
            </div>
            <div>
              <dt>Change fee</dt>
              <dd>
                {money(quote.penalty)}
                {quote.penaltyWaived ? ' (waived)' : ''}
              </dd>
            </div>
            <div>
              <dt>{quote.due.amount >= 0 ? 'Due from the customer' : 'Back to the customer'}</dt>
              <dd className="price">{money({ ...quote.due, amount: Math.abs(quote.due.amount) })}</dd>
            </div>
          </dl>
          <p className="muted">{left ? `Quote valid for ${left}.` : 'This quote has expired.'}</p>
          {!staff && quote.due.amount > 0 && <p className="muted">The amount due is charged to the sandbox Visa ending 4242.</p>}
          <div className="actions">
            <button type="button" className="primary" onClick={accept} disabled={busy || !left}>
              Confirm the change
            </button>
            <button type="button" onClick={() => setQuote(null)} disabled={busy}>
              Discard
            </button>
          </div>
        </>
      )}
      <ErrorMessage error={error} />
    </section>
  );
}

function StaffCancel({ booking, onBooking }: { booking: Booking; onBooking: (b: Booking) => void }) {
  const client = useClient();
  const supervisor = isSupervisor(useSession());
  const [reason, setReason] = useState('');
  const [waive, setWaive] = useState(false);
  const [quote, setQuote] = useState<CancellationQuote | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const path = `/api/v1/bookings/${encodeURIComponent(booking.bookingId)}/cancel`;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (!quote) setQuote(await client.request<CancellationQuote>('POST', path, waive ? { reason: reason.trim(), waivePenalty: true } : { reason: reason.trim() }));
      else onBooking(await client.request<Booking>('POST', path, { quoteId: quote.quoteId, reason: reason.trim() }));
    } catch (err) {
      setError(err);
      setQuote(null);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="panel" onSubmit={submit} aria-labelledby="staff-cancel-title">
      <h2 id="staff-cancel-title">Cancel for the customer</h2>
      <div className="field">
        <label htmlFor="cancel-reason">Reason (recorded)</label>
        <input id="cancel-reason" required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
      </div>
      {supervisor && (
        <div className="check">
          <input id="cancel-waive" type="checkbox" checked={waive} disabled={!!quote} onChange={(e) => setWaive(e.target.checked)} />
          <label htmlFor="cancel-waive">Waive the cancellation fee (supervisor)</label>
        </div>
      )}
      {quote && (
        <p className="alert info" data-testid="staff-cancel-quote">
          Refund {money(quote.refund)}, fee {money(quote.penalty)}
          {quote.penaltyWaived ? ' (waived)' : ''}.
        </p>
      )}
      <ErrorMessage error={error} />
      <button type="submit" className={quote ? 'danger' : ''} disabled={busy}>
        {quote ? `Cancel and refund ${money(quote.refund)}` : 'Quote the cancellation'}
      </button>
    </form>
  );
}

function StaffResolve({ booking, onDone }: { booking: Booking; onDone: () => Promise<void> }) {
  const client = useClient();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState('');
  const [error, setError] = useState<unknown>(null);

  async function act(action: 'retry' | 'resolve') {
    setBusy(true);
    setError(null);
    try {
      await client.request('POST', `/api/v1/bookings/${encodeURIComponent(booking.bookingId)}/resolve`, { action, reason: reason.trim() });
      setDone(action === 'retry' ? 'The failed step is being retried.' : 'Marked as resolved by hand.');
      await onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="resolve-title">
      <h2 id="resolve-title">Needs attention</h2>
      <p>A compensation kept failing; retry it, or resolve once fixed by hand (docs/OPERATIONS.md).</p>
      <div className="field">
        <label htmlFor="resolve-reason">Reason (recorded)</label>
        <input id="resolve-reason" required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
      </div>
      <div className="actions">
        <button type="button" onClick={() => act('retry')} disabled={busy || !reason.trim()}>
          Retry
        </button>
        <button type="button" onClick={() => act('resolve')} disabled={busy || !reason.trim()}>
          Resolve
        </button>
      </div>
      {done && <p role="status">{done}</p>}
      <ErrorMessage error={error} />
    </section>
  );
}

/** temporalUI is the Temporal Web UI's namespace URL the gateway puts in index.html (absent: no link). */
function temporalUI(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="skyfly-temporal-ui"]')?.content ?? '';
}
