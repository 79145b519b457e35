import { isStaff } from './api';
import { Book } from './pages/Book';
import { Profile } from './pages/Profile';
import { Search } from './pages/Search';
import { SignIn, SignInCallback } from './pages/SignIn';
import { StaffDisruption } from './pages/Disruption';
import { StaffBooking, StaffLookup, StaffSignIn } from './pages/Staff';
import { Trip } from './pages/Trip';
import { Trips } from './pages/Trips';
import { navigate, useLocation } from './router';
import { Link, useClient, useSession } from './ui';

export function App() {
  const loc = useLocation();
  const session = useSession();
  const client = useClient();

  let page;
  const trip = /^\/trips\/([^/]+)$/.exec(loc.path);
  const staffBooking = /^\/staff\/bookings\/([^/]+)$/.exec(loc.path);
  const needsSession = loc.path === '/trips' || loc.path === '/profile' || trip;
  const staffArea = loc.path === '/staff' || loc.path.startsWith('/staff/');
  if (staffArea && !isStaff(session)) {
    page = <StaffSignIn next={loc.path === '/staff/signin' ? '/staff' : loc.path + window.location.search} />;
  } else if (loc.path === '/staff' || loc.path === '/staff/signin') {
    page = <StaffLookup key={loc.query.toString()} query={loc.query} />;
  } else if (loc.path === '/staff/disruption') {
    page = <StaffDisruption key={loc.query.toString()} query={loc.query} />;
  } else if (staffBooking) {
    page = <StaffBooking key={staffBooking[1]} bookingId={decodeURIComponent(staffBooking[1])} />;
  } else if (needsSession && !session) {
    page = <SignIn next={loc.path + window.location.search} />;
  } else if (loc.path === '/') {
    page = <Search query={loc.query} />;
  } else if (loc.path === '/auth/callback') {
    page = <SignInCallback query={loc.query} />;
  } else if (loc.path === '/signin') {
    page = <SignIn next={loc.query.get('next') ?? '/'} />;
  } else if (loc.path === '/book') {
    page = <Book key={loc.query.toString()} query={loc.query} />;
  } else if (loc.path === '/profile') {
    page = <Profile />;
  } else if (loc.path === '/trips') {
    page = <Trips />;
  } else if (trip) {
    page = <Trip key={trip[1]} bookingId={decodeURIComponent(trip[1])} />;
  } else {
    page = (
      <section className="panel">
        <h1>Page not found</h1>
        <p>
          <Link href="/">Search flights</Link>
        </p>
      </section>
    );
  }

  async function signOut() {
    await client.signOut();
    navigate('/');
  }

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link href="/" className="brand">
          <svg viewBox="0 0 64 64" width="28" height="28" aria-hidden="true" focusable="false">
            <rect width="64" height="64" rx="14" fill="#fff" />
            <path d="M10 36l44-14-8 10 8 10-44-6z" fill="#0b5cad" />
          </svg>{' '}
          SkyFly
        </Link>
        <nav aria-label="Main">
          <Link href="/">Search</Link>
          <Link href="/trips">My trips</Link>
          {isStaff(session) && <Link href="/staff">Staff</Link>}
          {isStaff(session) && <Link href="/staff/disruption">Disruptions</Link>}
          {session ? (
            <>
              <Link href="/profile" className="who">
                {session.email}
              </Link>
              <button type="button" className="link" onClick={signOut}>
                Sign out
              </button>
            </>
          ) : (
            <Link href={`/signin?${new URLSearchParams({ next: loc.path === '/signin' ? (loc.query.get('next') ?? '/') : loc.path + window.location.search })}`}>Sign in</Link>
          )}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
      <footer className="foot">
        <p className="muted">SkyFly · times are local at each airport</p>
      </footer>
    </>
  );
}
