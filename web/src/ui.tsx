import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { Client, describe, fieldErrors, type Session } from './api';
import { onLinkClick } from './router';

export const ClientContext = createContext<Client | null>(null);

export function useClient(): Client {
  const c = useContext(ClientContext);
  if (!c) throw new Error('no API client');
  return c;
}

export function useSession(): Session | null {
  const client = useClient();
  const [s, setS] = useState(client.current());
  useEffect(() => client.subscribe(setS), [client]);
  return s;
}

/** useNow ticks every second (for countdowns). */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, []);
  return now;
}

export function Link(props: { href: string; children: ReactNode; className?: string }) {
  return (
    <a href={props.href} className={props.className} onClick={onLinkClick}>
      {props.children}
    </a>
  );
}

/** ErrorMessage shows an API problem's detail (and its field errors). */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const fields = fieldErrors(error);
  return (
    <div className="alert error" role="alert">
      <p>{describe(error)}</p>
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={f.field + f.reason}>
              <code>{f.field}</code> {f.reason}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Spinner({ label }: { label: string }) {
  return (
    <p className="spinner" role="status" aria-live="polite">
      <span className="dot" aria-hidden="true" /> {label}
    </p>
  );
}
