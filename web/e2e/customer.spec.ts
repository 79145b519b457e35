import { expect, test } from '@playwright/test';
import { baseURL, expectLabelled, fillPassenger, searchAndPick, shot, signIn, travelDate, Watch } from './helpers';

// A customer's whole trip through the web app against a real `skyfly dev`:
// sign in through the development OIDC provider, search, quote, passengers,
// pay with the sandbox, follow the saga to CONFIRMED, cancel with the refund
// quote and see the refund land.

test('a customer books, pays, sees the booking confirmed, then cancels and sees the refund', async ({ page }) => {
  const watch = new Watch(page);

  const flex = await searchAndPick(page, 'JFK', 'LHR', travelDate(9), /^Select Flex fare/);
  await expect(page.getByRole('heading', { name: /itinerar/ })).toBeVisible();
  await shot(page, 'search-results');
  await flex.click();

  // The quote with its price guarantee; booking needs a signed-in customer.
  await expect(page.getByRole('heading', { name: 'Your trip' })).toBeVisible();
  await expect(page.getByText(/Price guaranteed for \d+:\d\d/)).toBeVisible();
  const total = (await page.getByTestId('quote-total').textContent()) ?? '';
  expect(total).toMatch(/\d/);
  await page.getByRole('link', { name: 'Sign in to continue' }).click();
  await expectLabelled(page);
  await signIn(page, 'ada@example.com');

  // Back on the fare: passengers and contact.
  await expect(page.getByRole('heading', { name: 'Passengers' })).toBeVisible();
  await fillPassenger(page, 0, 'Ada', 'Lovelace');
  await expect(page.getByLabel('Email')).toHaveValue('ada@example.com');
  await page.getByLabel('Mobile phone').fill('+447700900123');
  expect(await expectLabelled(page)).toBeGreaterThan(8);
  await page.getByRole('button', { name: 'Hold seats and continue to payment' }).click();

  // Held: pay with the sandbox's approved Visa.
  await expect(page.getByTestId('booking-status')).toHaveText(/Seats held/);
  const pnr = (await page.locator('h1 .pnr').textContent()) ?? '';
  expect(pnr).toMatch(/^[A-Z0-9]{6}$/);
  await expectLabelled(page);
  await page.getByLabel('Card (sandbox test cards)').selectOption('tok_visa');
  await page.getByRole('button', { name: `Pay ${total}` }).click();

  await expect(page.getByTestId('booking-status')).toHaveText('Confirmed');
  await expect(page.getByTestId('ticket-number').first()).toHaveText(/^\d{13}$/);
  await shot(page, 'booking-confirmed', { fullPage: true });

  // Cancel: the refund quote first, then the cancellation; a Flex fare refunds in full.
  await page.getByRole('button', { name: 'Cancel booking…' }).click();
  const quote = page.getByTestId('cancel-quote');
  await expect(quote).toContainText('Refund');
  await expect(quote).toContainText(total);
  await shot(page, 'cancel-quote');
  await page.getByRole('button', { name: `Cancel and refund ${total}` }).click();
  await expect(page.getByTestId('booking-status')).toHaveText('Cancelled', { timeout: 60_000 });
  await expect(page.getByTestId('refund')).toHaveText(`Refunded ${total} to your card.`);
  expect(watch.eventStreams, 'the cancellation was followed on the event stream').toBeGreaterThan(0);

  // My trips lists it, cancelled.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My trips' }).click();
  const row = page.getByRole('link', { name: new RegExp(pnr) });
  await expect(row).toContainText('Cancelled');

  watch.check();
});

test('a declined card shows a clear message and the seats stay held for another card', async ({ page }) => {
  const watch = new Watch(page);
  await page.goto(baseURL() + '/signin');
  await signIn(page, 'grace@example.com');
  await expect(page.getByRole('heading', { name: 'Where to?' })).toBeVisible();
  await expect(page.getByText('grace@example.com')).toBeVisible();

  const light = await searchAndPick(page, 'LHR', 'JFK', travelDate(10), /^Select Light fare/);
  await light.click();
  await expect(page.getByRole('heading', { name: 'Passengers' })).toBeVisible();
  await fillPassenger(page, 0, 'Grace', 'Hopper');
  await page.getByLabel('Mobile phone').fill('+12025550123');
  await page.getByRole('button', { name: 'Hold seats and continue to payment' }).click();
  await expect(page.getByTestId('booking-status')).toHaveText(/Seats held/);

  await page.getByLabel('Card (sandbox test cards)').selectOption('tok_chargeDeclined');
  await page.getByRole('button', { name: /^Pay / }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('Your card was declined.');
  await expect(alert).toContainText('Nothing was charged');
  await expect(page.getByTestId('booking-status')).toHaveText(/Seats held/);
  await shot(page, 'payment-declined');

  // Another card pays for the same held seats.
  await page.getByLabel('Card (sandbox test cards)').selectOption('tok_mastercard');
  await page.getByRole('button', { name: /^Pay / }).click();
  await expect(page.getByTestId('booking-status')).toHaveText('Confirmed');
  await expect(page.getByRole('alert')).toHaveCount(0);

  watch.check(['402 POST /api/v1/bookings/']);
});

test('an unpaid hold after a declined card expires and the seats go back on sale', async ({ page }) => {
  const watch = new Watch(page);
  await page.goto(baseURL() + '/signin');
  await signIn(page, 'hedy@example.com');
  const light = await searchAndPick(page, 'FRA', 'JFK', travelDate(14), /^Select Light fare/);
  await light.click();
  await fillPassenger(page, 0, 'Hedy', 'Lamarr');
  await page.getByLabel('Mobile phone').fill('+4915112345678');
  await page.getByRole('button', { name: 'Hold seats and continue to payment' }).click();
  await expect(page.getByTestId('booking-status')).toHaveText(/Seats held/);
  await page.getByLabel('Card (sandbox test cards)').selectOption('tok_insufficientFunds');
  await page.getByRole('button', { name: /^Pay / }).click();
  await expect(page.getByRole('alert')).toContainText('Your card was declined.');

  // skyfly dev runs with 30 s holds here (global setup); nobody pays.
  await expect(page.getByTestId('booking-status')).toHaveText('Expired', { timeout: 90_000 });
  await expect(page.getByText('The hold expired before payment; the seats went back on sale.')).toBeVisible();
  watch.check(['402 POST /api/v1/bookings/']);
});

test('3-D Secure: the customer approves the payment at the bank page and the booking confirms', async ({ page, context }) => {
  const watch = new Watch(page);
  await page.goto(baseURL() + '/signin');
  await signIn(page, 'katherine@example.com');
  const std = await searchAndPick(page, 'JFK', 'CDG', travelDate(11), /^Select Standard fare/);
  await std.click();
  await fillPassenger(page, 0, 'Katherine', 'Johnson');
  await page.getByLabel('Mobile phone').fill('+12025550199');
  await page.getByRole('button', { name: 'Hold seats and continue to payment' }).click();
  await expect(page.getByTestId('booking-status')).toHaveText(/Seats held/);

  await page.getByLabel('Card (sandbox test cards)').selectOption('tok_threeDSecureRequired');
  await page.getByRole('button', { name: /^Pay / }).click();
  await expect(page.getByTestId('booking-status')).toHaveText('Payment pending');
  const [bank] = await Promise.all([context.waitForEvent('page'), page.getByRole('link', { name: 'Verify with your bank' }).click()]);
  await bank.waitForLoadState();
  await expect(bank.getByRole('heading', { name: /verify your payment/i })).toBeVisible();
  await bank.getByRole('button', { name: 'Approve' }).click();
  await expect(bank.getByText('Authentication complete')).toBeVisible();
  await bank.close();

  await expect(page.getByTestId('booking-status')).toHaveText('Confirmed', { timeout: 60_000 });
  await expect(page.getByTestId('ticket-number').first()).toHaveText(/^\d{13}$/);
  expect(watch.eventStreams, 'the page followed the booking on its event stream').toBeGreaterThan(0);
  watch.check();
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('the search works from the keyboard and fits the screen', async ({ page }) => {
    const watch = new Watch(page);
    await page.goto(baseURL() + '/');
    await page.getByLabel('From').focus();
    await page.keyboard.type('JFK');
    await page.keyboard.press('Tab'); // the swap button
    await page.keyboard.press('Tab');
    await expect(page.getByLabel('To', { exact: true })).toBeFocused();
    await page.keyboard.type('LHR');
    await page.keyboard.press('Enter');
    const fare = page.getByRole('group', { name: 'Fares' }).first().getByRole('button').first();
    await expect(fare).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, 'no horizontal scrolling on a phone').toBeLessThanOrEqual(0);
    await expectLabelled(page);
    await shot(page, 'search-phone');
    await fare.focus();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: 'Your trip' })).toBeVisible();
    watch.check();
  });
});
