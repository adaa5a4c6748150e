// Where the build ships a base checkpoint (public/checkpoints/base/), the lab starts from it and says so.
import { existsSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { openLab, watchErrors } from './lab';

test('the lab starts from the shipped base checkpoint, and "from scratch" stays a choice', async ({ page }) => {
  test.skip(!existsSync('public/checkpoints/base/manifest.json'), 'this build ships no base checkpoint');
  const errors = watchErrors(page);
  await openLab(page, '?preset=tiny');
  await expect(page.getByTestId('start-from')).toHaveValue('base');
  await expect(page.getByText('from the base checkpoint')).toBeVisible();
  await page.getByTestId('start-from').selectOption('scratch');
  await expect(page.getByText('· from scratch')).toBeVisible({ timeout: 60_000 });
  await expect(page).toHaveURL(/from=scratch/);
  expect(errors).toEqual([]);
});
