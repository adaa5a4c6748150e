import { test, expect } from '@playwright/test';

test('the lab page loads without console errors', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'AZR Lab' })).toBeVisible();
  expect(errors).toEqual([]);
});
