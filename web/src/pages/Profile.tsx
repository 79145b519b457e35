import { useEffect, useState, type FormEvent } from 'react';
import type { Profile as ProfileView } from '../api';
import { ErrorMessage, Spinner, useClient } from '../ui';
import { YourData } from './YourData';

const channelNames: Record<string, string> = { email: 'Email', sms: 'SMS', push: 'Push notifications' };

/** Profile edits the customer's name and preferences and verifies their mobile number. */
export function Profile() {
  const client = useClient();
  const [profile, setProfile] = useState<ProfileView | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    client
      .request<ProfileView>('GET', '/api/v1/users/me')
      .then((p) => live && setProfile(p))
      .catch((err) => live && setLoadError(err));
    return () => {
      live = false;
    };
  }, [client]);

  if (!profile) return loadError ? <ErrorMessage error={loadError} /> : <Spinner label="Loading your profile…" />;
  return (
    <>
      <Details profile={profile} onProfile={setProfile} />
      <Mobile profile={profile} onProfile={setProfile} />
      <YourData />
    </>
  );
}

function Details({ profile, onProfile }: { profile: ProfileView; onProfile: (p: ProfileView) => void }) {
  const client = useClient();
  const [givenName, setGivenName] = useState(profile.givenName);
  const [familyName, setFamilyName] = useState(profile.familyName);
  const [seat, setSeat] = useState(profile.preferences.seat);
  const [meal, setMeal] = useState(profile.preferences.meal);
  const [language, setLanguage] = useState(profile.preferences.language || 'en');
  const [channels, setChannels] = useState<string[]>(profile.preferences.channels ?? []);
  const [marketing, setMarketing] = useState(!(profile.preferences.optOuts ?? []).includes('marketing'));
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<unknown>(null);

  function toggle(ch: string, on: boolean) {
    setChannels((cs) => (on ? [...cs.filter((c) => c !== ch), ch] : cs.filter((c) => c !== ch)));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setSaved(false);
    setError(null);
    const optOuts = (profile.preferences.optOuts ?? []).filter((o) => o !== 'marketing');
    if (!marketing) optOuts.push('marketing');
    try {
      const p = await client.request<ProfileView>('PATCH', '/api/v1/users/me', {
        givenName: givenName.trim(),
        familyName: familyName.trim(),
        preferences: { seat, meal: meal.trim().toUpperCase(), language, channels, optOuts },
      });
      onProfile(p);
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="panel" onSubmit={submit} aria-labelledby="profile-title">
      <h1 id="profile-title">Profile</h1>
      <p className="muted">{profile.email}</p>
      <div className="grid">
        <div className="field">
          <label htmlFor="profile-given">Given name</label>
          <input id="profile-given" autoComplete="given-name" maxLength={60} value={givenName} onChange={(e) => setGivenName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="profile-family">Family name</label>
          <input id="profile-family" autoComplete="family-name" maxLength={60} value={familyName} onChange={(e) => setFamilyName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="profile-seat">Seat preference</label>
          <select id="profile-seat" value={seat} onChange={(e) => setSeat(e.target.value)}>
            <option value="">No preference</option>
            <option value="window">Window</option>
            <option value="aisle">Aisle</option>
            <option value="middle">Middle</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="profile-meal">Special meal code</label>
          <input id="profile-meal" maxLength={4} pattern="[A-Za-z]{4}" title="An IATA meal code such as VGML" placeholder="VGML" value={meal} onChange={(e) => setMeal(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="profile-language">Language</label>
          <select id="profile-language" value={language} onChange={(e) => setLanguage(e.target.value)}>
            <option value="en">English</option>
            <option value="de">Deutsch</option>
          </select>
        </div>
      </div>
      <fieldset>
        <legend>Booking updates by</legend>
        {Object.entries(channelNames).map(([ch, name]) => (
          <div key={ch} className="check">
            <input id={`channel-${ch}`} type="checkbox" checked={channels.includes(ch)} onChange={(e) => toggle(ch, e.target.checked)} />
            <label htmlFor={`channel-${ch}`}>{name}</label>
          </div>
        ))}
        <div className="check">
          <input id="marketing" type="checkbox" checked={marketing} onChange={(e) => setMarketing(e.target.checked)} />
          <label htmlFor="marketing">Offers and news</label>
        </div>
      </fieldset>
      <ErrorMessage error={error} />
      {saved && (
        <p className="alert success" role="status">
          Saved.
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Saving…' : 'Save profile'}
      </button>
    </form>
  );
}

function Mobile({ profile, onProfile }: { profile: ProfileView; onProfile: (p: ProfileView) => void }) {
  const client = useClient();
  const [phone, setPhone] = useState(profile.phone);
  const [sent, setSent] = useState(false);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function request(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await client.request('POST', '/api/v1/users/me/mobile/verify/request', { phone: phone.trim() });
      setSent(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function confirm(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onProfile(await client.request<ProfileView>('POST', '/api/v1/users/me/mobile/verify/confirm', { code: code.trim() }));
      setSent(false);
      setCode('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="mobile-title">
      <h2 id="mobile-title">Mobile number</h2>
      {profile.phone && (
        <p data-testid="phone-status" className={profile.phoneVerified ? 'alert success' : 'muted'}>
          {profile.phone}: {profile.phoneVerified ? 'verified' : 'not verified'}
        </p>
      )}
      {!sent ? (
        <form onSubmit={request}>
          <div className="field">
            <label htmlFor="mobile-phone">Mobile phone</label>
            <input id="mobile-phone" type="tel" autoComplete="tel" required pattern="\+[1-9][0-9]{6,14}" title="International format, e.g. +447700900123" value={phone} onChange={(e) => setPhone(e.target.value)} />
          </div>
          <ErrorMessage error={error} />
          <button type="submit" disabled={busy}>
            Send a code by SMS
          </button>
        </form>
      ) : (
        <form onSubmit={confirm}>
          <div className="field">
            <label htmlFor="mobile-code">Code from the SMS</label>
            <input id="mobile-code" inputMode="numeric" autoComplete="one-time-code" required pattern="[0-9]{6}" title="The 6-digit code" value={code} onChange={(e) => setCode(e.target.value)} />
          </div>
          <ErrorMessage error={error} />
          <button type="submit" className="primary" disabled={busy}>
            Verify
          </button>
        </form>
      )}
    </section>
  );
}
