import { useEffect, useState } from 'react';
import type { Booking } from '../api';
import { localDate, localTime, money, statusLabel } from '../format';
import { ErrorMessage, Link, Spinner, useClient } from '../ui';

/** Trips lists the customer's bookings, newest first. */
export function Trips() {
  const client = useClient();
  const [bookings, setBookings] = useState<Booking[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    client
      .request<{ bookings: Booking[] }>('GET', '/api/v1/bookings')
      .then((r) => live && setBookings(r.bookings))
      .catch((err) => live && setError(err));
    return () => {
      live = false;
    };
  }, [client]);

  return (
    <section className="panel" aria-labelledby="trips-title">
      <h1 id="trips-title">My trips</h1>
      <ErrorMessage error={error} />
      {!bookings && !error && <Spinner label="Loading your trips…" />}
      {bookings && bookings.length === 0 && (
        <p>
          No trips yet. <Link href="/">Find a flight</Link>
        </p>
      )}
      {bookings && bookings.length > 0 && (
        <ul className="trips">
          {bookings.map((b) => {
            const s = b.itinerary.segments;
            const first = s[0];
            const last = s[s.length - 1];
            return (
              <li key={b.bookingId} className="card">
                <Link href={`/trips/${encodeURIComponent(b.bookingId)}`} className="trip-link">
                  <span className="pnr">{b.pnr}</span>
                  <span>
                    {first?.origin} → {last?.destination}
                  </span>
                  <span className="muted">{first ? `${localDate(first.departureTime)} ${localTime(first.departureTime)}` : ''}</span>
                  <span className={`status status-${b.status.toLowerCase()}`}>{statusLabel[b.status] ?? b.status}</span>
                  <span className="price">{money(b.total)}</span>
                </Link>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
