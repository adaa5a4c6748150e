// Shared steps of the lab's browser tests.
import { expect, type Page } from '@playwright/test';

/** The tiny model and batch from random weights, so a step is quick even on a software GPU. */
export const TINY = '?preset=tiny&from=scratch';

export const SCREENSHOTS = '.test-results/screenshots';

/** Collects console errors and uncaught page errors; check `errors` at the end of a test. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

export async function openLab(page: Page, query = TINY): Promise<void> {
  await page.goto(`/${query}`);
  await expect(page.getByRole('heading', { name: 'AZR Lab' })).toBeVisible();
  await expect(page.getByTestId('run-state')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
}

export async function stepCount(page: Page): Promise<number> {
  return Number(await page.getByTestId('step-counter').textContent());
}

/** Waits until the step counter reaches `n`. */
export async function waitForStep(page: Page, n: number, timeout = 120_000): Promise<void> {
  await expect.poll(() => stepCount(page), { timeout, message: `step counter to reach ${n}` }).toBeGreaterThanOrEqual(n);
}

export async function pause(page: Page): Promise<void> {
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-state')).toHaveAttribute('data-state', 'paused', { timeout: 120_000 });
}
