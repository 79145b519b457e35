import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api';
import { navigate } from '../router';
import { ErrorMessage, Link, Spinner, useClient } from '../ui';

const nextKey = 'skyfly.signin.next';

function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

/**
 * SignIn sends the browser to the identity provider (Google in production,
 * the development provider of `skyfly dev`, which signs any email in). It
 * comes back to /auth/callback.
 */
export function SignIn({ next }: { next: string }) {
  const client = useClient();
  function go() {
    sessionStorage.setItem(nextKey, safeNext(next));
    window.location.assign(client.signInURL());
  }
  return (
    <section className="panel narrow" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      <p className="muted">Sign in to book and to see your trips. You will come back here afterwards.</p>
      <button type="button" className="primary" onClick={go}>
        Sign in with Google
      </button>
    </section>
  );
}

/** SignInCallback redeems the provider's answer and returns where sign-in started. */
export function SignInCallback({ query }: { query: URLSearchParams }) {
  const client = useClient();
  const [error, setError] = useState<unknown>(null);
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const providerError = query.get('error');
    if (providerError) {
      setError(new ApiError({ status: 401, detail: `the identity provider answered ${query.get('error_description') || providerError}` }));
      return;
    }
    client
      .completeSignIn(query.get('code') ?? '', query.get('state') ?? '')
      .then(() => {
        const next = safeNext(sessionStorage.getItem(nextKey));
        sessionStorage.removeItem(nextKey);
        navigate(next, { replace: true });
      })
      .catch(setError);
  }, [client, query]);

  if (!error) return <Spinner label="Signing you in…" />;
  return (
    <section className="panel narrow" aria-labelledby="signin-failed">
      <h1 id="signin-failed">Sign-in did not complete</h1>
      <ErrorMessage error={error} />
      <p>
        <Link href="/signin">Try again</Link>
      </p>
    </section>
  );
}
