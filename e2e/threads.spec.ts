// The page is cross-origin isolated (vite.config.ts), so shared memory is there for the trainer's
// product helper (src/model/product-threads), which it starts where a core is left for the page (3 or
// more); the default model trains either way.
import { expect, test } from '@playwright/test';
import { openLab, waitForStep, watchErrors } from './lab';

test('the page is isolated; with a core to spare the products take two threads; the default model trains', async ({ page }) => {
  const errors = watchErrors(page);
  await openLab(page, '');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const badge = page.getByTestId('backend-badge');
  await expect(badge).toHaveAttribute('data-backend', 'wasm');
  if (cores >= 3) await expect(badge).toContainText('products on 2 threads');
  else await expect(badge).not.toContainText('threads');
  // With the helper, a default step's update splits its big products; the run goes on as before.
  await page.getByTestId('start').click();
  await waitForStep(page, 1, 120_000);
  expect(errors).toEqual([]);
});
