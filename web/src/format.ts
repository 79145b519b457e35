import type { Money } from './api';

/** money formats integer minor units in the currency's own decimals. */
export function money(m: Money | undefined): string {
  if (!m) return '';
  const f = new Intl.NumberFormat('en', { style: 'currency', currency: m.currency });
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(m.amount / 10 ** digits);
}

/**
 * localTime shows the wall-clock time at the airport: the API sends local
 * times with their offset (2026-12-01T18:30:00-05:00), so the digits are
 * the local time whatever the browser's own zone.
 */
export function localTime(iso: string): string {
  const m = /T(\d{2}):(\d{2})/.exec(iso);
  return m ? `${m[1]}:${m[2]}` : iso;
}

/** localDate is the airport-local date of an ISO time, e.g. Tue 1 Dec. */
export function localDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });
}

/** dayOffset is "+1" when arrival is on a later local date than departure. */
export function dayOffset(dep: string, arr: string): string {
  const a = Date.UTC(+arr.slice(0, 4), +arr.slice(5, 7) - 1, +arr.slice(8, 10));
  const d = Date.UTC(+dep.slice(0, 4), +dep.slice(5, 7) - 1, +dep.slice(8, 10));
  const days = Math.round((a - d) / 86_400_000);
  return days > 0 ? `+${days}` : '';
}

export function duration(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `${h}h ${m.toString().padStart(2, '0')}m` : `${m}m`;
}

/** countdown is mm:ss until iso, or "" once it has passed. */
export function countdown(iso: string | undefined, now: number): string {
  if (!iso) return '';
  const left = Math.floor((Date.parse(iso) - now) / 1000);
  if (left <= 0) return '';
  const m = Math.floor(left / 60);
  const s = left % 60;
  return `${m}:${s.toString().padStart(2, '0')}`;
}

export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export const statusLabel: Record<string, string> = {
  PENDING: 'Reserving seats',
  HELD: 'Seats held: awaiting payment',
  PAYMENT_PENDING: 'Payment pending',
  CONFIRMED: 'Confirmed',
  CANCELLING: 'Cancelling',
  CANCELLED: 'Cancelled',
  CHANGING: 'Changing flights',
  EXPIRED: 'Expired',
  FAILED: 'Failed',
  NEEDS_ATTENTION: 'Being checked by our team',
};

/** family shows a fare family (LIGHT, FLEX) as a name (Light, Flex). */
export function family(f: string | undefined): string {
  if (!f) return '';
  return f.charAt(0).toUpperCase() + f.slice(1).toLowerCase();
}

const cabins: Record<string, string> = { F: 'First', J: 'Business', W: 'Premium economy', Y: 'Economy' };

/** cabin names a cabin code (F, J, W, Y). */
export function cabin(c: string | undefined): string {
  return c ? (cabins[c] ?? c) : '';
}
