import { expect, test } from '@playwright/test';
import { SCREENSHOTS, watchErrors } from './lab';

test('an out-of-range value in the URL is refused with a message, and the lab still loads', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/?preset=tiny&batchSize=999');
  const banner = page.getByTestId('url-error');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('batchSize must be an integer from 1 to 64, got "999"');
  await expect(page.getByTestId('step-counter')).toHaveText('0');
  await expect(page.getByTestId('run-state')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  await expect(page.getByTestId('param-batchSize')).toHaveAttribute('data-active-value', '2');
  await page.screenshot({ path: `${SCREENSHOTS}/05-url-error.png` });
  expect(errors).toEqual([]);
});

test('an unknown key and a bad backend are both named', async ({ page }) => {
  await page.goto('/?preset=tiny&bogus=1&backend=quantum');
  const banner = page.getByTestId('url-error');
  await expect(banner).toContainText('unknown config key "bogus"');
  await expect(banner).toContainText('backend must be one of auto, webgpu, webgl, wasm, cpu, got "quantum"');
});
