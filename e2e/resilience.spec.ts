// A dead sandbox or a dead trainer never ends the run: each is replaced, and the page says so.
import { expect, test, type Page } from '@playwright/test';
import { openLab, SCREENSHOTS, stepCount, waitForStep } from './lab';

interface LabWindow { azrLab: { client: { killSandbox(): Promise<boolean>; crashTrainer(): void } } }

const killSandbox = (page: Page) => page.evaluate(() => (window as unknown as LabWindow).azrLab.client.killSandbox());

test('killing the sandbox worker mid-run does not stop the run', async ({ page }) => {
  await openLab(page);
  await page.getByTestId('start').click();
  await waitForStep(page, 1);
  expect(await killSandbox(page)).toBe(true);
  const incidents = page.getByTestId('incidents');
  await expect(incidents.locator('[data-kind="sandbox-restarted"]')).toBeVisible({ timeout: 60_000 });
  const after = await stepCount(page);
  await waitForStep(page, after + 2);
  await expect(page.getByTestId('run-state')).not.toHaveAttribute('data-state', 'failed');
  await page.screenshot({ path: `${SCREENSHOTS}/07-sandbox-killed.png` });
});

test('a trainer worker that dies is restarted from its checkpoint, and the page says so', async ({ page }) => {
  await openLab(page);
  await page.getByTestId('start').click();
  await expect(page.getByText(/checkpoint: step \d+/)).toBeVisible({ timeout: 180_000 });
  const before = await stepCount(page);
  await page.evaluate(() => (window as unknown as LabWindow).azrLab.client.crashTrainer());
  const incident = page.getByTestId('incidents').locator('[data-kind="trainer-restarted"]');
  await expect(incident).toBeVisible({ timeout: 60_000 });
  await expect(incident).toContainText(/restarted from its checkpoint of step \d+/);
  await waitForStep(page, before + 1);
  await page.screenshot({ path: `${SCREENSHOTS}/08-trainer-restarted.png` });
});
