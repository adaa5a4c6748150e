// With --enable-unsafe-webgpu Chromium offers a software adapter (SwiftShader): the badge says wasm and why,
// and WebGPU stays selectable. (The fallback without the flag: backend-fallback.spec.ts.)
import { expect, test } from '@playwright/test';
import { baseChromiumArgs } from '../playwright.config';
import { openLab, SCREENSHOTS, TINY, waitForStep, watchErrors } from './lab';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

test.use({ launchOptions: { executablePath, args: [...baseChromiumArgs, '--enable-unsafe-webgpu'] } });

test('the badge picks wasm because the WebGPU adapter is software', async ({ page }) => {
  const errors = watchErrors(page);
  await openLab(page);
  const badge = page.getByTestId('backend-badge');
  await expect(badge).toHaveAttribute('data-backend', 'wasm');
  await expect(badge).toContainText(/WebGPU adapter is software \(SwiftShader\)/);
  expect(errors).toEqual([]);
});

// SwiftShader compiles a shader for every new tensor shape, so this run is as small as a run gets: one
// deduction proposal per step and no seeding rounds (the identity seed already fills a buffer of one).
const SMALLEST = `${TINY}&batchSize=1&abduction=false&induction=false`;

test('choosing WebGPU explicitly runs steps on it', async ({ page }) => {
  const errors = watchErrors(page);
  await openLab(page, SMALLEST);
  await page.getByTestId('backend-select').selectOption('webgpu');
  const badge = page.getByTestId('backend-badge');
  await expect(badge).toHaveAttribute('data-backend', 'webgpu', { timeout: 60_000 });
  await expect(page.getByTestId('run-state')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  await expect(page).toHaveURL(/backend=webgpu/);
  await page.getByTestId('start').click();
  await waitForStep(page, 1, 240_000);
  await expect(badge).toHaveAttribute('data-backend', 'webgpu');
  await page.screenshot({ path: `${SCREENSHOTS}/06-webgpu.png` });
  expect(errors).toEqual([]);
});
