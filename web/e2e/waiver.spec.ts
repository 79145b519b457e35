import { expect, test } from '@playwright/test';
import { baseURL, bookThroughAPIFull, expectLabelled, staffSignIn, travelDate, Watch } from './helpers';

// A supervisor waives the cancellation fee: the quote refunds everything
// paid and says the fee is waived, and the cancellation records the reason.

test('a supervisor cancels a booking with the fee waived', async ({ page, request }) => {
  const booked = await bookThroughAPIFull(request, 'ada@example.com', 'Lovelace', 'LHR', 'JFK', travelDate(18));
  const b = await (await request.get(`${baseURL()}/api/v1/bookings/${booked.bookingId}`, { headers: { Authorization: `Bearer ${booked.token}` } })).json();

  const watch = new Watch(page);
  await page.goto(`${baseURL()}/staff/bookings/${booked.bookingId}`);
  await staffSignIn(page, 'supervisor');
  await expect(page.getByRole('heading', { name: `Booking ${booked.pnr}` })).toBeVisible();
  await expect(page.getByTestId('booking-status')).toHaveText('Confirmed');
  await expect(page.getByLabel('Waive the change fee (supervisor)')).toBeVisible();

  const cancel = page.getByRole('form', { name: 'Cancel for the customer' });
  await cancel.getByLabel('Reason (recorded)').fill('Goodwill: bereavement');
  await cancel.getByLabel('Waive the cancellation fee (supervisor)').check();
  await expectLabelled(page);
  await cancel.getByRole('button', { name: 'Quote the cancellation' }).click();
  const quote = page.getByTestId('staff-cancel-quote');
  await expect(quote).toContainText('(waived)');
  const total = new Intl.NumberFormat('en', { style: 'currency', currency: b.total.currency }).format(b.total.amount / 100);
  await expect(quote).toContainText(`Refund ${total}`);
  await cancel.getByRole('button', { name: /^Cancel and refund/ }).click();
  await expect(page.getByTestId('booking-status')).toHaveText('Cancelled', { timeout: 60_000 });
  await expect(page.locator('.history-table')).toContainText('Goodwill: bereavement');
  watch.check();
});
