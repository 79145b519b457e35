import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function baseURL(): string {
  const u = process.env.SKYFLY_E2E_URL;
  if (!u) throw new Error('SKYFLY_E2E_URL is not set: global setup did not start skyfly dev');
  return u;
}

const screenshots = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');

/** shot saves a screenshot of the whole page into docs/screenshots/. */
export async function shot(page: Page, name: string, opts: { fullPage?: boolean } = {}) {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: opts.fullPage ?? false, animations: 'disabled' });
}

/**
 * Watch records what a page must not do: console errors, uncaught
 * exceptions, failed requests and error answers. A test lists the error
 * answers it expects (a declined card is a 402).
 */
export class Watch {
  readonly consoleErrors: string[] = [];
  readonly pageErrors: string[] = [];
  readonly failedRequests: string[] = [];
  readonly errorResponses: string[] = [];
  streamsClosed = 0;
  /** eventStreams counts the booking event streams (SSE) the page opened. */
  eventStreams = 0;

  constructor(page: Page) {
    page.on('console', (m) => {
      if (m.type() === 'error') this.consoleErrors.push(`${m.text()} @ ${m.location().url}`);
    });
    page.on('request', (r) => {
      if (/\/api\/v1\/bookings\/[^/]+\/events$/.test(new URL(r.url()).pathname)) this.eventStreams++;
    });
    page.on('pageerror', (e) => this.pageErrors.push(e.message));
    page.on('requestfailed', (r) => {
      // The app closes a booking's event stream itself once the booking
      // stops moving; that abort is not a failure.
      if (r.failure()?.errorText === 'net::ERR_ABORTED' && /\/api\/v1\/bookings\/[^/]+\/events$/.test(new URL(r.url()).pathname)) {
        this.streamsClosed++;
        return;
      }
      // Chromium cancels a tab's favicon fetch when the page navigates or
      // the tab closes (seen once in 3 runs on the 3-D Secure tab): the
      // browser's own abort, not an answer of ours.
      if (r.failure()?.errorText === 'net::ERR_ABORTED' && /^\/favicon\.(svg|ico)$/.test(new URL(r.url()).pathname)) {
        return;
      }
      this.failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) this.errorResponses.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
    });
  }

  /** check asserts a clean page; expected lists "STATUS METHOD path-prefix" answers allowed. */
  check(expected: string[] = []) {
    const unexpected = this.errorResponses.filter((r) => !expected.some((e) => r.startsWith(e)));
    expect(unexpected, 'no failed API or asset answers').toEqual([]);
    expect(this.failedRequests, 'no failed requests').toEqual([]);
    expect(this.pageErrors, 'no uncaught exceptions').toEqual([]);
    // Chromium logs an expected error answer as "Failed to load resource: ... status of 402".
    const consoleErrors = this.consoleErrors.filter(
      (m) => !expected.some((e) => m.includes(`status of ${e.split(' ')[0]}`)),
    );
    expect(consoleErrors, 'no console errors').toEqual([]);
  }
}

/** expectLabelled asserts every visible form control has an accessible label. */
export async function expectLabelled(page: Page) {
  const unlabelled = await page.evaluate(() => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('input, select, textarea'))) {
      if (el instanceof HTMLInputElement && el.type === 'hidden') continue;
      const labels = (el as HTMLInputElement).labels;
      const named =
        (labels && Array.from(labels).some((l) => l.textContent?.trim())) ||
        el.getAttribute('aria-label')?.trim() ||
        el.getAttribute('aria-labelledby');
      if (!named) out.push(el.outerHTML.slice(0, 120));
    }
    return out;
  });
  expect(unlabelled, 'every form field has a label').toEqual([]);
  const count = await page.locator('input, select, textarea').count();
  return count;
}

/** travelDate is an ISO date days from today (UTC). */
export function travelDate(days: number): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * signIn signs a customer in from the app's sign-in page: the browser follows
 * the redirects to the development OIDC provider, signs in there with an
 * email, and comes back to the app's callback page.
 */
export async function signIn(page: Page, email: string) {
  await page.getByRole('button', { name: 'Sign in with Google' }).click();
  await expect(page.getByRole('heading', { name: 'SkyFly development identity provider' })).toBeVisible();
  await expectLabelled(page);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
}

/** searchAndPick searches a route on a date and picks a fare family of the first itinerary. */
export async function searchAndPick(page: Page, from: string, to: string, date: string, family: RegExp) {
  await page.goto(baseURL() + '/');
  await expect(page.getByRole('heading', { name: 'Where to?' })).toBeVisible();
  await page.getByLabel('From').fill(from);
  await page.getByLabel('To', { exact: true }).fill(to);
  await page.getByLabel('Departure date').fill(date);
  await expectLabelled(page);
  await page.getByRole('button', { name: 'Search flights' }).click();
  const first = page.getByRole('listitem').filter({ has: page.getByRole('group', { name: 'Fares' }) }).first();
  await expect(first).toBeVisible();
  return first.getByRole('button', { name: family });
}

/** fillPassenger fills adult i's name, birth date, gender and passport. */
export async function fillPassenger(page: Page, i: number, given: string, family: string) {
  const p = page.getByRole('group', { name: `Adult ${i + 1}` });
  await p.getByLabel('Given name').fill(given);
  await p.getByLabel('Family name').fill(family);
  await p.getByLabel('Date of birth').fill('1990-12-10');
  await p.getByLabel('Gender').selectOption('F');
  await p.getByLabel('Passport number').fill('P9988776');
  await p.getByLabel('Issuing country').fill('GB');
  await p.getByLabel('Nationality').fill('GB');
  await p.getByLabel('Passport expiry date').fill(travelDate(5 * 365));
}

/** totp is the current RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret. */
export function totp(secret: string, now = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 30_000)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return (n % 1_000_000).toString().padStart(6, '0');
}

/**
 * bookThroughAPI makes a confirmed booking for a customer straight through
 * the API (the dev provider's login_hint signs them in), for tests about
 * what staff do with it. It returns the PNR.
 */
export async function bookThroughAPI(request: APIRequestContext, email: string, family: string, from: string, to: string, date: string): Promise<string> {
  return (await bookThroughAPIFull(request, email, family, from, to, date)).pnr;
}

/** BookedThroughAPI is what bookThroughAPIFull made: the booking and its first flight. */
export interface BookedThroughAPI {
  pnr: string;
  bookingId: string;
  flightId: string;
  flightNumber: string;
  /** token is the customer's access token. */
  token: string;
}

/** bookThroughAPIFull is bookThroughAPI answering the booking id and its (first) flight too. */
export async function bookThroughAPIFull(request: APIRequestContext, email: string, family: string, from: string, to: string, date: string): Promise<BookedThroughAPI> {
  const base = baseURL();
  const login = await request.get(`${base}/api/v1/auth/public/google/start?login_hint=${encodeURIComponent(email)}`);
  expect(login.status()).toBe(200);
  const token = (await login.json()).accessToken as string;
  const auth = { Authorization: `Bearer ${token}` };
  const search = await (await request.get(`${base}/api/v1/flights/search?origin=${from}&destination=${to}&date=${date}&adults=1&maxStops=0`)).json();
  const it = search.itineraries[0];
  const fare = it.fares.find((f: { family: string }) => f.family === 'FLEX');
  const quote = await request.post(`${base}/api/v1/pricing/quote`, { data: { itineraryId: it.id, fareId: fare.fareId, passengers: { adults: 1 } } });
  expect(quote.status()).toBe(201);
  const reserve = await request.post(`${base}/api/v1/bookings/reserve`, {
    headers: { ...auth, 'Idempotency-Key': crypto.randomUUID() },
    data: {
      quoteId: (await quote.json()).quoteId,
      passengers: [{ type: 'ADT', title: 'MR', givenName: 'Alan', familyName: family, dateOfBirth: '1982-06-23', gender: 'M',
        document: { type: 'PASSPORT', number: 'P1234567', issuingCountry: 'GB', nationality: 'GB', expiryDate: travelDate(5 * 365) } }],
      contact: { email, phone: '+447700900456' },
    },
  });
  expect(reserve.status()).toBe(201);
  const b = await reserve.json();
  const confirm = await request.post(`${base}/api/v1/bookings/${b.bookingId}/confirm`, {
    headers: { ...auth, 'Idempotency-Key': crypto.randomUUID() },
    data: { payment: { provider: 'sandbox', token: 'tok_visa' } },
  });
  expect(confirm.status()).toBe(200);
  expect((await confirm.json()).status).toBe('CONFIRMED');
  return { pnr: b.pnr as string, bookingId: b.bookingId as string, flightId: it.segments[0].flightId as string, flightNumber: it.segments[0].flightNumber as string, token };
}

/**
 * staffSignIn signs the demo agent or supervisor in on the staff sign-in
 * page with the password and TOTP secret the skyfly dev banner printed.
 */
export async function staffSignIn(page: Page, who: 'agent' | 'supervisor') {
  const password = process.env[`SKYFLY_E2E_${who.toUpperCase()}_PASSWORD`];
  const secret = process.env[`SKYFLY_E2E_${who.toUpperCase()}_TOTP`];
  expect(password && secret, `the skyfly dev banner printed the demo ${who}`).toBeTruthy();
  await expect(page.getByRole('heading', { name: 'Staff sign-in' })).toBeVisible();
  await page.getByLabel('Work email').fill(`${who}@skyfly.dev`);
  await page.getByLabel('Password').fill(password!);
  await expectLabelled(page);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByLabel('Authenticator code')).toBeFocused();
  // The server refuses a code used before (replay): a second sign-in of the
  // same account within one 30 s step waits for the next code.
  const last = usedSteps.get(secret!) ?? -1;
  const wait = (last + 1) * 30_000 - Date.now();
  if (wait > 0) await page.waitForTimeout(wait + 250);
  const now = Date.now();
  usedSteps.set(secret!, Math.floor(now / 30_000));
  await page.getByLabel('Authenticator code').fill(totp(secret!, now));
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** usedSteps is the last TOTP step each secret signed in with (this worker). */
const usedSteps = new Map<string, number>();
