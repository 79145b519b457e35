import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, type Booking, type CancellationQuote, type Money } from '../api';
import { cabin, countdown, family, money, statusLabel } from '../format';
import { ErrorMessage, Link, Spinner, useClient, useNow } from '../ui';
import { SegmentsView } from './Search';
import { ChangeFlights } from './Staff';

/** States the saga moves through on its own: the page polls while in one. */
const moving = new Set(['PENDING', 'PAYMENT_PENDING', 'CANCELLING', 'CHANGING']);

const sandboxCards = [
  { token: 'tok_visa', label: 'Visa ending 4242 (approved)' },
  { token: 'tok_mastercard', label: 'Mastercard ending 4444 (approved)' },
  { token: 'tok_threeDSecureRequired', label: 'Visa ending 3184 (3-D Secure bank check)' },
  { token: 'tok_chargeDeclined', label: 'Visa ending 0002 (declined)' },
  { token: 'tok_insufficientFunds', label: 'Visa ending 9995 (insufficient funds)' },
];

function refunded(b: Booking): Money | undefined {
  const total = b.payments.reduce((n, p) => n + (p.refunded?.amount ?? 0), 0);
  const currency = b.payments[0]?.refunded?.currency ?? b.total.currency;
  return b.payments.length ? { amount: total, currency } : undefined;
}

/** Trip shows one booking: pay while held, follow it live, cancel with a refund quote. */
export function Trip({ bookingId }: { bookingId: string }) {
  const client = useClient();
  const now = useNow();
  const [booking, setBooking] = useState<Booking | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      const b = await client.request<Booking>('GET', `/api/v1/bookings/${encodeURIComponent(bookingId)}`);
      // Only the confirm answer carries the 3-D Secure step (nextAction);
      // keep it while the payment is still pending.
      setBooking((prev) => (prev?.nextAction && !b.nextAction && b.status === 'PAYMENT_PENDING' ? { ...b, nextAction: prev.nextAction } : b));
      setLoadError(null);
    } catch (err) {
      setLoadError(err);
    }
  }, [client, bookingId]);

  useEffect(() => {
    void load();
  }, [load]);

  // Follow the saga while it moves: the booking's event stream (SSE) says
  // when something changed and the page reads the booking again; if the
  // stream cannot be used, poll.
  const status = booking?.status;
  // A hold whose time is up is about to expire: follow it too, so the page
  // shows the seats going back on sale without a reload.
  const holdOver = status === 'HELD' && !!booking?.holdExpiresAt && Date.parse(booking.holdExpiresAt) <= now;
  const isMoving = (!!status && moving.has(status)) || holdOver;
  useEffect(() => {
    if (!isMoving) return;
    const abort = new AbortController();
    let poll = 0;
    client
      .streamBookingEvents(bookingId, () => void load(), abort.signal)
      .then(() => void load())
      .catch(() => {
        if (abort.signal.aborted) return;
        poll = window.setInterval(() => void load(), 1000);
      });
    // The stream may have missed a change made before it opened.
    void load();
    return () => {
      abort.abort();
      window.clearInterval(poll);
    };
  }, [isMoving, client, bookingId, load]);

  if (loadError && !booking) {
    return (
      <section className="panel">
        <h1>Booking</h1>
        <ErrorMessage error={loadError} />
        <p>
          <Link href="/trips">Back to my trips</Link>
        </p>
      </section>
    );
  }
  if (!booking) return <Spinner label="Loading your booking…" />;

  const b = booking;
  const holdLeft = countdown(b.holdExpiresAt, now);
  return (
    <>
      <section className="panel" aria-labelledby="trip-title">
        <p>
          <Link href="/trips">← My trips</Link>
        </p>
        <h1 id="trip-title">
          Booking <span className="pnr">{b.pnr}</span>
        </h1>
        <p className={`status status-${b.status.toLowerCase()}`} role="status" aria-live="polite" data-testid="booking-status">
          {statusLabel[b.status] ?? b.status}
        </p>
        <SegmentsView segments={b.itinerary.segments} />
        <dl className="summary">
          <div>
            <dt>Passengers</dt>
            <dd>{b.passengers.map((p) => `${p.givenName} ${p.familyName}`).join(', ')}</dd>
          </div>
          <div>
            <dt>Total</dt>
            <dd className="price">{money(b.total)}</dd>
          </div>
          {b.itinerary.fare && (
            <div>
              <dt>Fare</dt>
              <dd>
                {family(b.itinerary.fare.family)} · {cabin(b.itinerary.fare.cabin)}
              </dd>
            </div>
          )}
        </dl>
        {b.tickets.length > 0 && (
          <>
            <h2>E-tickets</h2>
            <ul className="tickets">
              {b.tickets.map((t) => {
                const p = b.passengers.find((x) => x.id === t.passengerId);
                return (
                  <li key={t.number}>
                    <code data-testid="ticket-number">{t.number}</code> {p ? `${p.givenName} ${p.familyName}` : ''} <span className="muted">{t.status.toLowerCase()}</span>
                  </li>
                );
              })}
            </ul>
          </>
        )}
        {b.status === 'CANCELLED' && refunded(b) && (
          <p className="alert success" data-testid="refund">
            Refunded {money(refunded(b))} to your card.
          </p>
        )}
        {b.status === 'EXPIRED' && <p className="alert info">The hold expired before payment; the seats went back on sale.</p>}
        {b.status === 'NEEDS_ATTENTION' && <p className="alert info">Something needs a manual check. Our team has been told and will contact you.</p>}
      </section>

      {b.status === 'HELD' && <Pay booking={b} holdLeft={holdLeft} onBooking={setBooking} />}
      {b.status === 'PAYMENT_PENDING' && (
        <section className="panel" aria-labelledby="verify-title">
          <h2 id="verify-title">Verify your payment</h2>
          {b.nextAction?.url ? (
            <>
              <p>Your bank asks you to confirm this payment. It opens in a new tab; this page updates by itself when you are done.</p>
              <p>
                <a className="button primary" href={b.nextAction.url} target="_blank" rel="noopener">
                  Verify with your bank
                </a>
              </p>
            </>
          ) : (
            <Spinner label="Waiting for the payment provider…" />
          )}
          {holdLeft && <p className="muted">Seats held for {holdLeft}.</p>}
        </section>
      )}
      {b.status === 'CONFIRMED' && b.itinerary.fare?.changeable !== false && <ChangeFlights booking={b} onBooking={setBooking} staff={false} />}
      {b.status === 'CONFIRMED' && <Cancel booking={b} onBooking={setBooking} />}
      {b.status === 'CHANGING' && <Spinner label="Changing your flights…" />}
      {b.status === 'CANCELLING' && <Spinner label="Cancelling and refunding…" />}

      {b.history.length > 0 && (
        <section className="panel" aria-labelledby="history-title">
          <h2 id="history-title">History</h2>
          <ol className="history">
            {b.history.map((h, i) => (
              <li key={h.at + i}>
                <time dateTime={h.at}>{new Date(h.at).toLocaleString()}</time> {h.event.replace(/_/g, ' ')}
              </li>
            ))}
          </ol>
        </section>
      )}
    </>
  );
}

function Pay({ booking, holdLeft, onBooking }: { booking: Booking; holdLeft: string; onBooking: (b: Booking) => void }) {
  const client = useClient();
  const [token, setToken] = useState(sandboxCards[0].token);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const key = useRef(crypto.randomUUID());

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const b = await client.request<Booking>(
        'POST',
        `/api/v1/bookings/${encodeURIComponent(booking.bookingId)}/confirm`,
        { payment: { provider: 'sandbox', token, returnUrl: `${window.location.origin}/trips/${encodeURIComponent(booking.bookingId)}` } },
        { idempotencyKey: key.current },
      );
      onBooking(b);
    } catch (err) {
      setError(err);
    } finally {
      // Another attempt (another card) is another request.
      key.current = crypto.randomUUID();
      setBusy(false);
    }
  }

  const declined = error instanceof ApiError && error.problem.code === 'payment_declined';
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="pay-title">
      <h2 id="pay-title">Pay {money(booking.total)}</h2>
      <p className="muted">{holdLeft ? `Your seats are held for ${holdLeft}.` : 'Your seats are held.'} You are not charged until the payment is approved.</p>
      <div className="field">
        <label htmlFor="card">Card (sandbox test cards)</label>
        <select id="card" name="card" value={token} onChange={(e) => setToken(e.target.value)}>
          {sandboxCards.map((c) => (
            <option key={c.token} value={c.token}>
              {c.label}
            </option>
          ))}
        </select>
      </div>
      {declined ? (
        <div className="alert error" role="alert">
          <p>
            <strong>Your card was declined.</strong> {error.message.charAt(0).toUpperCase() + error.message.slice(1)}
          </p>
          <p>Nothing was charged. Choose another card to try again while your seats are held.</p>
        </div>
      ) : (
        <ErrorMessage error={error} />
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Paying…' : `Pay ${money(booking.total)}`}
      </button>
    </form>
  );
}

function Cancel({ booking, onBooking }: { booking: Booking; onBooking: (b: Booking) => void }) {
  const client = useClient();
  const now = useNow();
  const [quote, setQuote] = useState<CancellationQuote | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const path = `/api/v1/bookings/${encodeURIComponent(booking.bookingId)}/cancel`;

  async function getQuote() {
    setBusy(true);
    setError(null);
    try {
      setQuote(await client.request<CancellationQuote>('POST', path, {}));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function confirm() {
    if (!quote) return;
    setBusy(true);
    setError(null);
    try {
      onBooking(await client.request<Booking>('POST', path, { quoteId: quote.quoteId }));
    } catch (err) {
      setError(err);
      setQuote(null);
    } finally {
      setBusy(false);
    }
  }

  const left = countdown(quote?.expiresAt, now);
  return (
    <section className="panel" aria-labelledby="cancel-title">
      <h2 id="cancel-title">Cancel this booking</h2>
      {!quote ? (
        <button type="button" onClick={getQuote} disabled={busy}>
          {busy ? 'Getting your refund quote…' : 'Cancel booking…'}
        </button>
      ) : (
        <>
          <dl className="summary" data-testid="cancel-quote">
            <div>
              <dt>Refund</dt>
              <dd className="price">{money(quote.refund)}</dd>
            </div>
            <div>
              <dt>Cancellation fee</dt>
              <dd>{money(quote.penalty)}</dd>
            </div>
          </dl>
          <p className="muted">{left ? `This refund quote is valid for ${left}.` : 'This quote has expired; ask for a new one.'}</p>
          <div className="actions">
            <button type="button" className="danger" onClick={confirm} disabled={busy || !left}>
              {busy ? 'Cancelling…' : `Cancel and refund ${money(quote.refund)}`}
            </button>
            <button type="button" onClick={() => setQuote(null)} disabled={busy}>
              Keep my booking
            </button>
          </div>
        </>
      )}
      <ErrorMessage error={error} />
    </section>
  );
}
