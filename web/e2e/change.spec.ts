import { expect, test } from '@playwright/test';
import { baseURL, bookThroughAPIFull, expectLabelled, signIn, travelDate, Watch } from './helpers';

// A customer changes flights on their own trip with the change quote (any
// amount due is paid with the sandbox Visa).

test('a customer changes flights with the change quote', async ({ page, request }) => {
  const booked = await bookThroughAPIFull(request, 'linus@example.com', 'Torvalds', 'JFK', 'CDG', travelDate(19));

  const watch = new Watch(page);
  await page.goto(`${baseURL()}/trips/${booked.bookingId}`);
  await signIn(page, 'linus@example.com');
  await expect(page.getByRole('heading', { name: new RegExp(booked.pnr) })).toBeVisible();
  await expect(page.getByTestId('booking-status')).toHaveText('Confirmed');

  await page.getByLabel(/New date/).fill(travelDate(20));
  await expectLabelled(page);
  await page.getByRole('button', { name: 'Find flights' }).click();
  await page.getByRole('button', { name: /^Quote a change to/ }).first().click();
  await expect(page.getByTestId('change-quote')).toContainText('Fare difference');
  await page.getByRole('button', { name: 'Confirm the change' }).click();
  await expect(page.getByTestId('booking-status')).toHaveText('Confirmed', { timeout: 60_000 });
  await expect(page.locator('.segments')).toContainText(new RegExp(`${travelDate(20).slice(8, 10).replace(/^0/, '')} `));
  await expect(page.locator('.segments')).not.toContainText(new RegExp(`\\b${travelDate(19).slice(8, 10).replace(/^0/, '')} `));
  watch.check();
});
