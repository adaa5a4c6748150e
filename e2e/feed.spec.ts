// The live feed keeps a step's frame cheap: the first answers are rendered, the rest on request.
import { expect, test } from '@playwright/test';
import { openLab, pause, TINY, waitForStep, watchErrors } from './lab';

test('the feed shows the first 12 answers of a step, and all of them on request', async ({ page }) => {
  const errors = watchErrors(page);
  // Eight tasks per type: 24 proposals and 24 answers a step, more than the feed renders at first.
  await openLab(page, `${TINY}&batchSize=8`);
  await page.getByTestId('start').click();
  await waitForStep(page, 1);
  await pause(page);
  const feed = page.getByTestId('feed');
  const answers = feed.locator('.feed-list').nth(1).locator('li');
  const showAll = feed.getByRole('button', { name: /^show all \d+ answers$/ });
  await expect(showAll).toBeVisible();
  const total = Number((await showAll.textContent())!.match(/\d+/)![0]);
  expect(total).toBeGreaterThan(12);
  await expect(answers).toHaveCount(12);
  await showAll.click();
  await expect(answers).toHaveCount(total);
  await feed.getByRole('button', { name: 'show the first 12 answers only' }).click();
  await expect(answers).toHaveCount(12);
  expect(errors).toEqual([]);
});
