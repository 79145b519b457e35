import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { Booking, Passenger, Quote } from '../api';
import { cabin, countdown, family, isoDate, money } from '../format';
import { navigate } from '../router';
import { ErrorMessage, Link, Spinner, useClient, useNow, useSession } from '../ui';
import { SegmentsView } from './Search';

interface PassengerForm {
  title: string;
  givenName: string;
  familyName: string;
  dateOfBirth: string;
  gender: string;
  number: string;
  issuingCountry: string;
  nationality: string;
  expiryDate: string;
}

const emptyPassenger: PassengerForm = {
  title: 'MS',
  givenName: '',
  familyName: '',
  dateOfBirth: '',
  gender: '',
  number: '',
  issuingCountry: '',
  nationality: '',
  expiryDate: '',
};

/** Book prices the chosen fare (a guaranteed quote), takes the passengers and holds the seats. */
export function Book({ query }: { query: URLSearchParams }) {
  const client = useClient();
  const session = useSession();
  const now = useNow();
  const itineraryId = query.get('itineraryId') ?? '';
  const fareId = query.get('fareId') ?? '';
  const adults = Math.max(1, Math.min(9, Number(query.get('adults') ?? '1') || 1));
  const [quote, setQuote] = useState<Quote | null>(null);
  const [quoteError, setQuoteError] = useState<unknown>(null);
  const [passengers, setPassengers] = useState<PassengerForm[]>(() => Array.from({ length: adults }, () => ({ ...emptyPassenger })));
  const [email, setEmail] = useState(session?.email ?? '');
  const [phone, setPhone] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const reserveKey = useRef(crypto.randomUUID());

  useEffect(() => {
    let live = true;
    client
      .request<Quote>('POST', '/api/v1/pricing/quote', { itineraryId, fareId, passengers: { adults } }, { auth: false })
      .then((q) => live && setQuote(q))
      .catch((err) => live && setQuoteError(err));
    return () => {
      live = false;
    };
  }, [client, itineraryId, fareId, adults]);

  useEffect(() => {
    if (session && !email) setEmail(session.email);
  }, [session, email]);

  const international = quote?.segments?.some((s) => s.international) ?? true;
  const left = countdown(quote?.expiresAt, now);

  function update(i: number, patch: Partial<PassengerForm>) {
    setPassengers((ps) => ps.map((p, j) => (j === i ? { ...p, ...patch } : p)));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!quote) return;
    setBusy(true);
    setError(null);
    const body = {
      quoteId: quote.quoteId,
      passengers: passengers.map((p): Passenger => {
        const out: Passenger = {
          type: 'ADT',
          title: p.title,
          givenName: p.givenName.trim(),
          familyName: p.familyName.trim(),
          dateOfBirth: p.dateOfBirth,
          gender: p.gender as Passenger['gender'],
        };
        if (international || p.number) {
          out.document = {
            type: 'PASSPORT',
            number: p.number.trim().toUpperCase(),
            issuingCountry: p.issuingCountry.trim().toUpperCase(),
            nationality: p.nationality.trim().toUpperCase(),
            expiryDate: p.expiryDate,
          };
        }
        return out;
      }),
      contact: { email: email.trim(), phone: phone.trim() },
    };
    try {
      const b = await client.request<Booking>('POST', '/api/v1/bookings/reserve', body, { idempotencyKey: reserveKey.current });
      navigate(`/trips/${encodeURIComponent(b.bookingId)}`);
    } catch (err) {
      setError(err);
      reserveKey.current = crypto.randomUUID();
    } finally {
      setBusy(false);
    }
  }

  if (quoteError) {
    return (
      <section className="panel">
        <h1>This fare is no longer available</h1>
        <ErrorMessage error={quoteError} />
        <p>
          <Link href="/">Search again</Link>
        </p>
      </section>
    );
  }
  if (!quote) return <Spinner label="Pricing your fare…" />;

  const here = `/book?${query}`;
  return (
    <>
      <section className="panel" aria-labelledby="quote-title">
        <h1 id="quote-title">Your trip</h1>
        {quote.segments && <SegmentsView segments={quote.segments} />}
        <dl className="summary">
          <div>
            <dt>Fare</dt>
            <dd>
              {family(quote.family)} · {cabin(quote.cabin)}
            </dd>
          </div>
          <div>
            <dt>Total for {adults === 1 ? '1 adult' : `${adults} adults`}</dt>
            <dd className="price" data-testid="quote-total">
              {money(quote.total)}
            </dd>
          </div>
          <div>
            <dt>Conditions</dt>
            <dd>
              {quote.conditions.refundable ? `Refundable (fee ${money(quote.conditions.refundPenalty)})` : 'Non-refundable'} ·{' '}
              {quote.conditions.changeable ? `changes ${money(quote.conditions.changePenalty)}` : 'no changes'} · {quote.conditions.checkedBags} checked bag
              {quote.conditions.checkedBags === 1 ? '' : 's'}
            </dd>
          </div>
        </dl>
        <details>
          <summary>Price breakdown</summary>
          <ul className="breakdown">
            {quote.breakdown.map((l, i) => (
              <li key={l.code + i}>
                <span>{l.description}</span> <span>{money(l.amount)}</span>
              </li>
            ))}
          </ul>
        </details>
        <p className={left ? 'alert info' : 'alert error'} role="status" aria-live="off">
          {left ? `Price guaranteed for ${left}` : 'The price guarantee has ended; continue to get a new price.'}
        </p>
      </section>

      {!session ? (
        <section className="panel">
          <h2>Sign in to book</h2>
          <p>
            <Link className="button primary" href={`/signin?${new URLSearchParams({ next: here })}`}>
              Sign in to continue
            </Link>
          </p>
        </section>
      ) : (
        <form className="panel" onSubmit={submit} aria-labelledby="pax-title" noValidate={false}>
          <h2 id="pax-title">Passengers</h2>
          {passengers.map((p, i) => (
            <fieldset key={i} className="passenger">
              <legend>Adult {i + 1}</legend>
              <div className="grid">
                <div className="field small">
                  <label htmlFor={`p${i}-title`}>Title</label>
                  <select id={`p${i}-title`} value={p.title} onChange={(e) => update(i, { title: e.target.value })}>
                    {['MR', 'MRS', 'MS', 'MISS', 'DR'].map((t) => (
                      <option key={t} value={t}>
                        {t.charAt(0) + t.slice(1).toLowerCase()}
                      </option>
                    ))}
                  </select>
                </div>
                <div className="field">
                  <label htmlFor={`p${i}-given`}>Given name</label>
                  <input id={`p${i}-given`} autoComplete="given-name" required maxLength={60} value={p.givenName} onChange={(e) => update(i, { givenName: e.target.value })} />
                </div>
                <div className="field">
                  <label htmlFor={`p${i}-family`}>Family name</label>
                  <input id={`p${i}-family`} autoComplete="family-name" required maxLength={60} value={p.familyName} onChange={(e) => update(i, { familyName: e.target.value })} />
                </div>
                <div className="field">
                  <label htmlFor={`p${i}-dob`}>Date of birth</label>
                  <input id={`p${i}-dob`} type="date" autoComplete="bday" required max={isoDate(new Date())} value={p.dateOfBirth} onChange={(e) => update(i, { dateOfBirth: e.target.value })} />
                </div>
                <div className="field small">
                  <label htmlFor={`p${i}-gender`}>Gender</label>
                  <select id={`p${i}-gender`} required value={p.gender} onChange={(e) => update(i, { gender: e.target.value })}>
                    <option value="">Choose…</option>
                    <option value="F">Female</option>
                    <option value="M">Male</option>
                    <option value="X">Unspecified</option>
                  </select>
                </div>
              </div>
              {international && (
                <div className="grid">
                  <div className="field">
                    <label htmlFor={`p${i}-passport`}>Passport number</label>
                    <input id={`p${i}-passport`} required pattern="[A-Za-z0-9]{5,20}" title="5 to 20 letters and digits" value={p.number} onChange={(e) => update(i, { number: e.target.value })} />
                  </div>
                  <div className="field small">
                    <label htmlFor={`p${i}-issuer`}>Issuing country</label>
                    <input id={`p${i}-issuer`} required pattern="[A-Za-z]{2}" title="Two-letter country code, e.g. GB" placeholder="GB" value={p.issuingCountry} onChange={(e) => update(i, { issuingCountry: e.target.value })} />
                  </div>
                  <div className="field small">
                    <label htmlFor={`p${i}-nationality`}>Nationality</label>
                    <input id={`p${i}-nationality`} required pattern="[A-Za-z]{2}" title="Two-letter country code, e.g. GB" placeholder="GB" value={p.nationality} onChange={(e) => update(i, { nationality: e.target.value })} />
                  </div>
                  <div className="field">
                    <label htmlFor={`p${i}-expiry`}>Passport expiry date</label>
                    <input id={`p${i}-expiry`} type="date" required min={isoDate(new Date())} value={p.expiryDate} onChange={(e) => update(i, { expiryDate: e.target.value })} />
                  </div>
                </div>
              )}
            </fieldset>
          ))}
          <fieldset>
            <legend>Contact</legend>
            <div className="grid">
              <div className="field">
                <label htmlFor="contact-email">Email</label>
                <input id="contact-email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
              </div>
              <div className="field">
                <label htmlFor="contact-phone">Mobile phone</label>
                <input
                  id="contact-phone"
                  type="tel"
                  autoComplete="tel"
                  required
                  pattern="\+[1-9][0-9]{6,14}"
                  title="International format, e.g. +447700900123"
                  placeholder="+447700900123"
                  aria-describedby="contact-phone-hint"
                  value={phone}
                  onChange={(e) => setPhone(e.target.value)}
                />
                <small id="contact-phone-hint" className="muted">
                  International format with country code
                </small>
              </div>
            </div>
          </fieldset>
          <ErrorMessage error={error} />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Holding your seats…' : 'Hold seats and continue to payment'}
          </button>
        </form>
      )}
    </>
  );
}
