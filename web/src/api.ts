// A small client of SkyFly's API on the same origin (the gateway serves both
// the app and /api). Errors are RFC 9457 problems; ApiError carries one.

export interface Money {
  amount: number;
  currency: string;
}

export interface Segment {
  flightId: string;
  flightNumber: string;
  origin: string;
  destination: string;
  departureTime: string;
  arrivalTime: string;
  departureTimeUtc?: string;
  arrivalTimeUtc?: string;
  aircraft?: string;
  international?: boolean;
}

export interface FareConditions {
  refundable: boolean;
  changeable: boolean;
  changePenalty: Money;
  refundPenalty: Money;
  checkedBags: number;
}

export interface FareOption {
  fareId: string;
  cabin: string;
  bookingClass: string;
  family: string;
  price: Money;
  seatsLeft: number;
  conditions: FareConditions;
}

export interface Itinerary {
  id: string;
  segments: Segment[];
  durationMinutes: number;
  stops: number;
  fares: FareOption[];
}

export interface SearchResult {
  itineraries: Itinerary[];
  nextCursor?: string;
}

export interface PriceLine {
  code: string;
  description: string;
  amount: Money;
}

export interface Quote {
  quoteId: string;
  itineraryId?: string;
  fareId?: string;
  family?: string;
  cabin?: string;
  passengers?: { adults: number; children?: number; infants?: number };
  segments?: Segment[];
  total: Money;
  breakdown: PriceLine[];
  conditions: FareConditions;
  expiresAt: string;
}

export interface Passport {
  type: 'PASSPORT';
  number: string;
  issuingCountry: string;
  nationality: string;
  expiryDate: string;
}

export interface Passenger {
  id?: string;
  type: 'ADT' | 'CHD' | 'INF';
  title?: string;
  givenName: string;
  familyName: string;
  dateOfBirth: string;
  gender: 'M' | 'F' | 'X';
  document?: Passport;
}

export interface Contact {
  email: string;
  phone: string;
}

export interface Ticket {
  number: string;
  passengerId: string;
  status: string;
  issuedAt: string;
}

export interface BookingPayment {
  paymentId: string;
  status?: string;
  paid: Money;
  refunded: Money;
}

export interface HistoryEntry {
  at: string;
  from?: string;
  to: string;
  event: string;
  actor?: string;
  reason?: string;
}

export interface Booking {
  bookingId: string;
  pnr: string;
  customerId?: string;
  status: string;
  holdExpiresAt?: string;
  nextAction?: { type: string; url: string };
  passengers: Passenger[];
  contact?: Contact;
  itinerary: {
    segments: Segment[];
    fare?: { fareId: string; family?: string; cabin: string; refundable?: boolean; changeable?: boolean };
  };
  total: Money;
  payments: BookingPayment[];
  tickets: Ticket[];
  history: HistoryEntry[];
  createdAt?: string;
}

export interface ChangeQuote {
  quoteId: string;
  newFlightIds: string[];
  newFareId: string;
  newTotal: Money;
  fareDifference: Money;
  penalty: Money;
  penaltyWaived?: boolean;
  due: Money;
  expiresAt: string;
}

export interface Profile {
  userId: string;
  email: string;
  givenName: string;
  familyName: string;
  phone: string;
  phoneVerified: boolean;
  preferences: { seat: string; meal: string; language: string; channels: string[]; optOuts: string[] };
}

export interface CancellationQuote {
  quoteId: string;
  refund: Money;
  penalty: Money;
  penaltyWaived?: boolean;
  refundTo?: string;
  expiresAt: string;
}

export interface DisruptionProgress {
  status: 'RUNNING' | 'COMPLETED';
  found?: number;
  started?: number;
  notConfirmed?: number;
  rebooked?: number;
  needsAttention?: number;
  unaffected?: number;
  skipped?: number;
  resolved?: number;
  failed?: number;
  runs?: number;
  attention?: string[];
  failedIds?: string[];
}

export interface Disruption {
  disruptionId: string;
  workflowId: string;
  flightId: string;
  seq: number;
  kind: 'CANCELLED' | 'RETIMED';
  newDeparture?: string;
  newArrival?: string;
  reason: string;
  actor: string;
  createdAt: string;
  progress?: DisruptionProgress;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  requestId?: string;
  errors?: { field: string; reason: string }[];
  declineCode?: string;
}

/** ApiError is a failed API call, with the problem the API answered. */
export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title || `request failed with status ${problem.status}`);
    this.problem = problem;
  }
}

/** staffRoles may use the staff app. */
export const staffRoles = ['agent', 'supervisor', 'admin'];

export function isStaff(s: Session | null): boolean {
  return !!s && s.roles.some((r) => staffRoles.includes(r));
}

/** isSupervisor may disrupt flights and waive fees. */
export function isSupervisor(s: Session | null): boolean {
  return !!s && s.roles.some((r) => r === 'supervisor' || r === 'admin');
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
  email: string;
  roles: string[];
}

interface TokenResponse {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: { id: string; email: string; roles: string[] };
}

const sessionKey = 'skyfly.session';

function toSession(t: TokenResponse): Session {
  return {
    accessToken: t.accessToken,
    refreshToken: t.refreshToken,
    expiresAt: Date.now() + t.expiresIn * 1000,
    email: t.user.email,
    roles: t.user.roles,
  };
}

/** Client calls the API, keeping the session in sessionStorage (per tab). */
export class Client {
  private session: Session | null;
  private readonly listeners = new Set<(s: Session | null) => void>();

  constructor() {
    this.session = null;
    const raw = sessionStorage.getItem(sessionKey);
    if (raw) {
      try {
        this.session = JSON.parse(raw) as Session;
      } catch {
        sessionStorage.removeItem(sessionKey);
      }
    }
  }

  current(): Session | null {
    return this.session;
  }

  subscribe(fn: (s: Session | null) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private setSession(s: Session | null) {
    this.session = s;
    if (s) sessionStorage.setItem(sessionKey, JSON.stringify(s));
    else sessionStorage.removeItem(sessionKey);
    this.listeners.forEach((fn) => fn(s));
  }

  /**
   * signInURL is where the browser goes to sign in: the auth service's
   * start endpoint, which sends it on to the identity provider (Google in
   * production, the built-in development provider in `skyfly dev`) and back
   * to the app's /auth/callback page.
   */
  signInURL(): string {
    const redirect = `${window.location.origin}/auth/callback`;
    return `/api/v1/auth/public/google/start?redirectUri=${encodeURIComponent(redirect)}`;
  }

  /** completeSignIn redeems the provider's code and state for a session. */
  async completeSignIn(code: string, state: string): Promise<Session> {
    const q = new URLSearchParams({ code, state });
    const t = await this.request<TokenResponse>('GET', `/api/v1/auth/public/google/callback?${q}`, undefined, { auth: false });
    const s = toSession(t);
    this.setSession(s);
    return s;
  }

  /**
   * staffLogin runs the staff login up to the second factor (email,
   * password, then a TOTP challenge) and returns the challenge to answer.
   */
  async staffLogin(email: string, password: string): Promise<string> {
    const init = await this.request<{ loginId: string }>('POST', '/api/v1/auth/corp/login/init', { email }, { auth: false });
    const v = await this.request<{ mfaToken: string }>('POST', '/api/v1/auth/corp/login/verify', { loginId: init.loginId, password }, { auth: false });
    const ch = await this.request<{ challengeId: string }>('POST', '/api/v1/auth/corp/mfa/challenge', { mfaToken: v.mfaToken, method: 'totp' }, { auth: false });
    return ch.challengeId;
  }

  /** staffVerify answers the TOTP challenge and starts the staff session. */
  async staffVerify(challengeId: string, code: string): Promise<Session> {
    const t = await this.request<TokenResponse>('POST', '/api/v1/auth/corp/mfa/verify', { challengeId, code }, { auth: false });
    const s = toSession(t);
    this.setSession(s);
    return s;
  }

  async signOut(): Promise<void> {
    if (this.session) {
      try {
        await this.request<void>('POST', '/api/v1/auth/logout');
      } catch {
        // The session ends here either way.
      }
    }
    this.setSession(null);
  }

  private async refresh(): Promise<boolean> {
    const s = this.session;
    if (!s) return false;
    try {
      const t = await this.request<TokenResponse>('POST', '/api/v1/auth/token/refresh', { refreshToken: s.refreshToken }, { auth: false, retry: false });
      this.setSession(toSession(t));
      return true;
    } catch {
      this.setSession(null);
      return false;
    }
  }

  /**
   * streamBookingEvents follows GET /api/v1/bookings/{id}/events (Server-Sent
   * Events). EventSource cannot send the bearer token, so this reads the
   * stream with fetch. It calls onEvent with each event's type and resolves
   * when the server ends the stream (after a terminal status); it rejects
   * when the stream cannot be opened or breaks, and on abort.
   */
  async streamBookingEvents(bookingId: string, onEvent: (type: string, id: string) => void, signal: AbortSignal): Promise<void> {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (this.session) headers.Authorization = `Bearer ${this.session.accessToken}`;
    const resp = await fetch(`/api/v1/bookings/${encodeURIComponent(bookingId)}/events`, { headers, signal, credentials: 'same-origin' });
    if (!resp.ok || !resp.body) throw new ApiError({ status: resp.status, title: resp.statusText, detail: 'the live updates are unavailable' });
    const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        let type = '';
        let id = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) type = line.slice(6).trim();
          else if (line.startsWith('id:')) id = line.slice(3).trim();
        }
        if (type) onEvent(type, id);
      }
    }
  }

  /**
   * request sends one API call. POSTs carry a fresh Idempotency-Key unless
   * one is given (a retry of the same user action passes the same key).
   */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    opts: { auth?: boolean; retry?: boolean; idempotencyKey?: string } = {},
  ): Promise<T> {
    const auth = opts.auth ?? true;
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method === 'POST') headers['Idempotency-Key'] = opts.idempotencyKey ?? crypto.randomUUID();
    if (auth && this.session) {
      if (this.session.expiresAt - Date.now() < 30_000 && opts.retry !== false) await this.refresh();
      if (this.session) headers.Authorization = `Bearer ${this.session.accessToken}`;
    }
    let resp: Response;
    try {
      resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
    } catch {
      throw new ApiError({ status: 0, title: 'Network error', detail: 'SkyFly cannot be reached. Check your connection and try again.' });
    }
    if (resp.status === 401 && auth && this.session && opts.retry !== false) {
      if (await this.refresh()) return this.request<T>(method, path, body, { ...opts, retry: false, idempotencyKey: headers['Idempotency-Key'] });
    }
    const text = await resp.text();
    let data: unknown = undefined;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = undefined;
      }
    }
    if (!resp.ok) {
      const p = (data && typeof data === 'object' ? data : {}) as Partial<Problem>;
      throw new ApiError({ ...p, status: resp.status, title: p.title ?? resp.statusText });
    }
    return data as T;
  }
}

/** describe turns an error into the sentence shown to the user. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) {
    const p = err.problem;
    if (p.status === 401) return 'Please sign in again: your session has ended.';
    if (p.code === 'rate_limited') return 'Too many requests right now. Please wait a moment and try again.';
    let msg = p.detail || p.title || `The request failed (${p.status}).`;
    msg = msg.charAt(0).toUpperCase() + msg.slice(1);
    return msg;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/** fieldErrors lists the per-field reasons of a validation problem. */
export function fieldErrors(err: unknown): { field: string; reason: string }[] {
  return err instanceof ApiError ? err.problem.errors ?? [] : [];
}
