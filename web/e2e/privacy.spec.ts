import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { baseURL, bookThroughAPI, expectLabelled, signIn, travelDate, Watch } from './helpers';

// A customer's data-protection rights in the app (ACCEPTANCE G1, G2): export
// everything SkyFly stores about them and download it once; ask for their
// account to be erased and withdraw during the cooling-off period; a trip
// not yet flown blocks the erasure and is named.

// The profile page asks whether an erasure is pending; for a customer who
// never asked, the API answers 404.
const noErasureYet = '404 GET /api/v1/users/me/erasure';

test('a customer exports their data, downloads it once, asks for erasure and withdraws', async ({ page }) => {
  const watch = new Watch(page);
  const email = 'grace.privacy@example.com';
  await page.goto(baseURL() + '/profile');
  await signIn(page, email);
  await expect(page.getByRole('heading', { name: 'Your data' })).toBeVisible();
  await expectLabelled(page);

  await page.getByRole('button', { name: 'Export my data' }).click();
  await expect(page.getByTestId('export-status')).toContainText('Your data is ready.', { timeout: 60_000 });
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download my data' }).click();
  const file = await downloading;
  expect(file.suggestedFilename()).toMatch(/^skyfly-export-.+\.json$/);
  const doc = JSON.parse(await readFile(await file.path(), 'utf8'));
  expect(doc.schema).toBe('skyfly.export.v1');
  expect(doc.auth.user.email).toBe(email);
  expect(doc.customer.profile).toBeTruthy();
  await expect(page.getByTestId('export-status')).toContainText('Downloaded');
  await expect(page.getByRole('button', { name: 'Download my data' })).toHaveCount(0);

  const erase = page.getByRole('button', { name: 'Erase my account' });
  await expect(erase).toBeDisabled();
  await page.getByLabel('I understand that my account and its data will be erased').check();
  await erase.click();
  await expect(page.getByTestId('erasure-status')).toContainText('Your account will be erased on');

  // A reload shows the pending request from the API.
  await page.reload();
  await expect(page.getByTestId('erasure-status')).toContainText('Your account will be erased on');
  await page.getByRole('button', { name: 'Withdraw the erasure request' }).click();
  await expect(page.getByTestId('erasure-status')).toContainText('You withdrew your erasure request');
  await expect(page.getByRole('button', { name: 'Erase my account' })).toBeVisible();

  watch.check([noErasureYet]);
});

test('a trip not yet flown blocks the erasure and is named', async ({ page, request }) => {
  const watch = new Watch(page);
  const email = 'ken.privacy@example.com';
  const pnr = await bookThroughAPI(request, email, 'Thompson', 'JFK', 'LHR', travelDate(15));
  await page.goto(baseURL() + '/profile');
  await signIn(page, email);
  await page.getByLabel('I understand that my account and its data will be erased').check();
  await page.getByRole('button', { name: 'Erase my account' }).click();
  await expect(page.getByRole('alert')).toContainText(/bookings in flight block erasure/i);
  await expect(page.getByTestId('erasure-blocked')).toContainText(`Booking ${pnr} (confirmed)`);
  await expect(page.getByTestId('erasure-status')).toHaveCount(0);

  watch.check([noErasureYet, '409 POST /api/v1/users/me/erasure']);
});
