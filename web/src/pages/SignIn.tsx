import { useState, type FormEvent } from 'react';
import { navigate } from '../router';
import { ErrorMessage, useClient } from '../ui';

/**
 * SignIn signs a customer in. In development (`skyfly dev`) the built-in
 * OpenID provider signs any email in; the browser follows its redirects.
 */
export function SignIn({ next }: { next: string }) {
  const client = useClient();
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await client.signInDev(email.trim());
      navigate(next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel narrow" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      <p className="muted">Sign in with your Google account email. In the development build any address works.</p>
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="signin-email">Email</label>
          <input id="signin-email" name="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <ErrorMessage error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Continue'}
        </button>
      </form>
    </section>
  );
}
