import { expect, test } from '@playwright/test';
import { baseURL, bookThroughAPI, expectLabelled, shot, totp, travelDate, Watch } from './helpers';

// An agent signs in with password and TOTP, finds a customer's booking by
// the passenger's family name and rebooks the passenger onto another flight
// with a recorded reason.

test('a staff member signs in with TOTP, finds a booking and rebooks the passenger', async ({ page, request }) => {
  const password = process.env.SKYFLY_E2E_AGENT_PASSWORD;
  const secret = process.env.SKYFLY_E2E_AGENT_TOTP;
  expect(password && secret, 'the skyfly dev banner printed the demo agent').toBeTruthy();
  const pnr = await bookThroughAPI(request, 'alan@example.com', 'Turing', 'JFK', 'LHR', travelDate(12));

  const watch = new Watch(page);
  await page.goto(baseURL() + '/staff');
  await expect(page.getByRole('heading', { name: 'Staff sign-in' })).toBeVisible();
  await page.getByLabel('Work email').fill('agent@skyfly.dev');
  await page.getByLabel('Password').fill(password!);
  await expectLabelled(page);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByLabel('Authenticator code')).toBeFocused();
  await page.getByLabel('Authenticator code').fill(totp(secret!));
  await page.getByRole('button', { name: 'Sign in' }).click();

  // Look the booking up by the passenger's family name, any case.
  await expect(page.getByRole('heading', { name: 'Find a booking' })).toBeVisible();
  await expectLabelled(page);
  await page.getByLabel('Passenger family name').fill('turing');
  await page.getByRole('button', { name: 'Search bookings' }).click();
  await page.getByRole('link', { name: new RegExp(pnr) }).click();
  await expect(page.getByRole('heading', { name: `Booking ${pnr}` })).toBeVisible();
  await expect(page.getByTestId('booking-status')).toHaveText('Confirmed');
  // The booking's workflows are one click away in the Temporal UI.
  const ui = page.getByRole('link', { name: /in the Temporal UI/ });
  await expect(ui).toHaveAttribute('href', new RegExp(`/namespaces/default/workflows\\?query=SkyflyPNR.*${pnr}`));
  await expect(ui).toHaveAttribute('target', '_blank');
  const before = (await page.locator('.segments .flightno').first().textContent()) ?? '';

  // Rebook onto a flight the next day, with the reason recorded.
  await page.getByLabel(/New date/).fill(travelDate(13));
  await page.getByLabel('Reason (recorded)').first().fill('Customer asked to travel a day later');
  await expectLabelled(page);
  await page.getByRole('button', { name: 'Find flights' }).click();
  await page.getByRole('button', { name: /^Quote a change to/ }).first().click();
  await expect(page.getByTestId('change-quote')).toContainText('Fare difference');
  await page.getByRole('button', { name: 'Confirm the change' }).click();
  await expect(page.getByTestId('booking-status')).toHaveText('Confirmed', { timeout: 60_000 });
  await expect(page.locator('.segments')).toContainText(new RegExp(`${travelDate(13).slice(8, 10).replace(/^0/, '')} `));
  await expect(page.locator('.history-table')).toContainText('Customer asked to travel a day later');
  expect(before).toMatch(/^SF\d+$/);
  await shot(page, 'staff-booking', { fullPage: true });

  watch.check();
});
