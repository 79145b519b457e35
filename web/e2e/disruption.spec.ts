import { expect, test } from '@playwright/test';
import { baseURL, bookThroughAPIFull, expectLabelled, shot, signIn, staffSignIn, travelDate, Watch } from './helpers';

// A supervisor cancels a flight a customer holds a confirmed booking on: the
// staff "Flight disruption" screen shows the rebooking progress until it
// completes with the booking rebooked, and the customer's trip then shows
// the new flight.

test('a supervisor cancels a flight and the passenger is rebooked', async ({ page, request, browser }) => {
  const booked = await bookThroughAPIFull(request, 'grace@example.com', 'Hopper', 'JFK', 'LHR', travelDate(16));

  const watch = new Watch(page);
  await page.goto(baseURL() + '/staff/disruption');
  await staffSignIn(page, 'supervisor');
  await expect(page.getByRole('heading', { name: 'Flight disruption' })).toBeVisible();
  await expectLabelled(page);
  await page.getByLabel('Dated flight').fill(booked.flightId.toLowerCase());
  await page.getByRole('button', { name: 'Show the flight' }).click();
  await expect(page.getByTestId('disruption-none')).toHaveText(`${booked.flightId} operates as scheduled.`);

  // Cancel it, with a reason, through the confirmation step.
  await expect(page.getByRole('heading', { name: `Cancel or retime ${booked.flightId}` })).toBeVisible();
  await page.getByLabel('Disruption', { exact: true }).selectOption('CANCELLED');
  await page.getByLabel('Reason (recorded)').fill('Aircraft technical fault');
  await expectLabelled(page);
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(page.getByRole('alertdialog')).toContainText(`Cancel ${booked.flightId}?`);
  await page.getByRole('button', { name: 'Confirm the cancellation' }).click();

  await expect(page.getByRole('heading', { name: `${booked.flightId}: Cancelled` })).toBeVisible();
  await expect(page.getByTestId('disruption-status')).toHaveText('Completed', { timeout: 60_000 });
  const progress = page.getByTestId('disruption-progress');
  await expect(progress.locator('div').filter({ hasText: 'Bookings on the flight' }).locator('dd')).toHaveText('1');
  await expect(progress.locator('div').filter({ hasText: /^Rebooked/ }).locator('dd')).toHaveText('1');
  await expect(progress.locator('div').filter({ hasText: 'Needs attention' }).locator('dd')).toHaveText('0');
  await expect(page.getByRole('heading', { name: /^Cancel or retime/ })).toHaveCount(0);
  await shot(page, 'staff-disruption', { fullPage: true });

  // A reload shows the same disruption (the flight id is in the URL).
  await page.reload();
  await expect(page.getByTestId('disruption-status')).toHaveText('Completed');
  watch.check(['404 GET /api/v1/staff/flights/']);

  // The booking moved to another flight; the customer's trip shows it.
  const b = await (await request.get(`${baseURL()}/api/v1/bookings/${booked.bookingId}`, { headers: { Authorization: `Bearer ${booked.token}` } })).json();
  expect(b.status).toBe('CONFIRMED');
  const next = b.itinerary.segments[0];
  expect(next.flightId).not.toBe(booked.flightId);

  const ctx = await browser.newContext();
  const customer = await ctx.newPage();
  const cwatch = new Watch(customer);
  await customer.goto(`${baseURL()}/trips/${booked.bookingId}`);
  await signIn(customer, 'grace@example.com');
  await expect(customer.getByRole('heading', { name: new RegExp(booked.pnr) })).toBeVisible();
  await expect(customer.locator('.segments .flightno').first()).toHaveText(next.flightNumber);
  await expect(customer.locator('.segments')).not.toContainText(booked.flightId);
  cwatch.check();
  await ctx.close();
});
