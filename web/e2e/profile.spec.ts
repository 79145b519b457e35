import { expect, test } from '@playwright/test';
import { baseURL, expectLabelled, signIn, Watch } from './helpers';

// A customer edits their profile and notification preferences and verifies
// their mobile number with the code the SMS brings (read here from the
// development outbox, where `skyfly dev` delivers SMS).

test('a customer saves the profile and preferences and verifies the mobile number', async ({ page, request }) => {
  const watch = new Watch(page);
  const phone = '+447700900777';
  await page.goto(baseURL() + '/profile');
  await signIn(page, 'mary@example.com');
  await expect(page.getByRole('heading', { name: 'Profile' })).toBeVisible();
  await expectLabelled(page);

  await page.getByLabel('Given name').fill('Mary');
  await page.getByLabel('Family name').fill('Jackson');
  await page.getByLabel('Seat preference').selectOption('aisle');
  await page.getByLabel('Special meal code').fill('VGML');
  await page.getByRole('group', { name: 'Booking updates by' }).getByLabel('SMS').check();
  await page.getByLabel('Offers and news').uncheck();
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();

  // The saved values come back from the API on a fresh load.
  await page.reload();
  await expect(page.getByLabel('Given name')).toHaveValue('Mary');
  await expect(page.getByLabel('Seat preference')).toHaveValue('aisle');
  await expect(page.getByLabel('Special meal code')).toHaveValue('VGML');
  await expect(page.getByRole('group', { name: 'Booking updates by' }).getByLabel('SMS')).toBeChecked();
  await expect(page.getByLabel('Offers and news')).not.toBeChecked();

  // Mobile verification.
  await page.getByLabel('Mobile phone').fill(phone);
  await page.getByRole('button', { name: 'Send a code by SMS' }).click();
  await expect(page.getByLabel('Code from the SMS')).toBeVisible();
  let code = '';
  await expect
    .poll(async () => {
      const r = await request.get(`${baseURL()}/api/v1/dev/outbox?to=${encodeURIComponent(phone)}&channel=sms`);
      const msgs = (await r.json()).messages as { text: string }[];
      code = /\b(\d{6})\b/.exec(msgs[0]?.text ?? '')?.[1] ?? '';
      return code;
    })
    .toMatch(/^\d{6}$/);
  await page.getByLabel('Code from the SMS').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByTestId('phone-status')).toHaveText(`${phone}: verified`);

  // The profile asks whether an erasure is pending: 404 when none was asked for.
  watch.check(['404 GET /api/v1/users/me/erasure']);
});
