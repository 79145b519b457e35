import { useEffect, useState, type FormEvent } from 'react';
import type { Itinerary, SearchResult } from '../api';
import { airports } from '../airports';
import { cabin, dayOffset, duration, family, isoDate, localDate, localTime, money } from '../format';
import { navigate } from '../router';
import { ErrorMessage, Spinner, useClient } from '../ui';

function defaultDate(): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 7);
  return isoDate(d);
}

/** Search is the home page: the search form and, once searched, the results. */
export function Search({ query }: { query: URLSearchParams }) {
  const client = useClient();
  const [origin, setOrigin] = useState(query.get('origin') ?? '');
  const [destination, setDestination] = useState(query.get('destination') ?? '');
  const [date, setDate] = useState(query.get('date') ?? defaultDate());
  const [adults, setAdults] = useState(query.get('adults') ?? '1');
  const [result, setResult] = useState<SearchResult | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const searched = query.get('origin') && query.get('destination') && query.get('date');
  const key = query.toString();

  useEffect(() => {
    if (!searched) {
      setResult(null);
      return;
    }
    let live = true;
    setLoading(true);
    setError(null);
    const q = new URLSearchParams({
      origin: query.get('origin')!,
      destination: query.get('destination')!,
      date: query.get('date')!,
      adults: query.get('adults') ?? '1',
      sort: 'price',
    });
    client
      .request<SearchResult>('GET', `/api/v1/flights/search?${q}`, undefined, { auth: false })
      .then((r) => live && setResult(r))
      .catch((err) => live && (setError(err), setResult(null)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  function submit(e: FormEvent) {
    e.preventDefault();
    const q = new URLSearchParams({ origin: origin.trim().toUpperCase(), destination: destination.trim().toUpperCase(), date, adults });
    navigate(`/?${q}`);
  }

  function swap() {
    setOrigin(destination);
    setDestination(origin);
  }

  return (
    <>
      <section className="panel search" aria-labelledby="search-title">
        <h1 id="search-title">Where to?</h1>
        <form onSubmit={submit} className="search-form">
          <datalist id="airports">
            {airports.map((a) => (
              <option key={a.code} value={a.code}>
                {a.city} · {a.name}
              </option>
            ))}
          </datalist>
          <div className="field">
            <label htmlFor="origin">From</label>
            <input id="origin" name="origin" list="airports" required pattern="[A-Za-z]{3}" title="A three-letter airport code, e.g. JFK" autoComplete="off" placeholder="JFK" value={origin} onChange={(e) => setOrigin(e.target.value)} />
          </div>
          <button type="button" className="swap" onClick={swap} aria-label="Swap origin and destination">
            ⇄
          </button>
          <div className="field">
            <label htmlFor="destination">To</label>
            <input id="destination" name="destination" list="airports" required pattern="[A-Za-z]{3}" title="A three-letter airport code, e.g. LHR" autoComplete="off" placeholder="LHR" value={destination} onChange={(e) => setDestination(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="date">Departure date</label>
            <input id="date" name="date" type="date" required min={isoDate(new Date())} value={date} onChange={(e) => setDate(e.target.value)} />
          </div>
          <div className="field small">
            <label htmlFor="adults">Adults</label>
            <select id="adults" name="adults" value={adults} onChange={(e) => setAdults(e.target.value)}>
              {[1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="primary">
            Search flights
          </button>
        </form>
      </section>
      {loading && <Spinner label="Searching flights…" />}
      <ErrorMessage error={error} />
      {result && !loading && <Results result={result} adults={query.get('adults') ?? '1'} />}
    </>
  );
}

function Results({ result, adults }: { result: SearchResult; adults: string }) {
  if (result.itineraries.length === 0) {
    return (
      <p className="alert info" role="status">
        No flights on this date. Try another day.
      </p>
    );
  }
  return (
    <section aria-labelledby="results-title">
      <h2 id="results-title">
        {result.itineraries.length} {result.itineraries.length === 1 ? 'itinerary' : 'itineraries'}
      </h2>
      <ol className="results">
        {result.itineraries.map((it) => (
          <ItineraryCard key={it.id} it={it} adults={adults} />
        ))}
      </ol>
    </section>
  );
}

export function SegmentsView({ segments }: { segments: Itinerary['segments'] }) {
  return (
    <ul className="segments">
      {segments.map((s, i) => (
        <li key={s.flightId + i}>
          <span className="flightno">{s.flightNumber}</span>
          <span className="leg">
            <strong>{localTime(s.departureTime)}</strong> {s.origin}
            <span aria-hidden="true"> → </span>
            <span className="sr-only"> to </span>
            <strong>
              {localTime(s.arrivalTime)}
              {dayOffset(s.departureTime, s.arrivalTime) && <sup>{dayOffset(s.departureTime, s.arrivalTime)}</sup>}
            </strong>{' '}
            {s.destination}
          </span>
          <span className="muted">{localDate(s.departureTime)} · local times</span>
        </li>
      ))}
    </ul>
  );
}

function ItineraryCard({ it, adults }: { it: Itinerary; adults: string }) {
  const first = it.segments[0];
  const last = it.segments[it.segments.length - 1];
  const via = it.segments.slice(0, -1).map((s) => s.destination);
  return (
    <li className="card itinerary" aria-label={`${first.origin} to ${last.destination}, ${it.stops === 0 ? 'direct' : `via ${via.join(', ')}`}`}>
      <div className="itinerary-head">
        <SegmentsView segments={it.segments} />
        <p className="meta">
          <span>{duration(it.durationMinutes)}</span>
          <span>{it.stops === 0 ? 'Direct' : `${it.stops} stop via ${via.join(', ')}`}</span>
        </p>
      </div>
      <div className="fares" role="group" aria-label="Fares">
        {it.fares.map((f) => (
          <button
            key={f.fareId}
            type="button"
            className="fare"
            onClick={() => navigate(`/book?${new URLSearchParams({ itineraryId: it.id, fareId: f.fareId, adults })}`)}
            aria-label={`Select ${family(f.family)} fare, ${money(f.price)}, ${f.seatsLeft} seats left`}
          >
            <span className="family">{family(f.family)}</span>
            <span className="price">{money(f.price)}</span>
            <span className="muted">
              {cabin(f.cabin)} · {f.conditions.refundable ? 'refundable' : 'non-refundable'}
              {f.seatsLeft <= 3 ? ` · ${f.seatsLeft} left` : ''}
            </span>
          </button>
        ))}
      </div>
    </li>
  );
}
