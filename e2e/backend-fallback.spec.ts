// Launched without --enable-unsafe-webgpu, Chromium has no WebGPU adapter: the badge names the fallback and why.
import { expect, test } from '@playwright/test';
import { openLab, watchErrors } from './lab';

test.describe('without WebGPU', () => {
  test('the badge names the fallback and why', async ({ page }) => {
    const errors = watchErrors(page);
    await openLab(page);
    const badge = page.getByTestId('backend-badge');
    await expect(badge).toHaveAttribute('data-backend', 'wasm');
    await expect(badge).toContainText(/WebGPU unavailable/);
    expect(errors).toEqual([]);
  });
});
