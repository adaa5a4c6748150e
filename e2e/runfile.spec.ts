import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { openLab, pause, SCREENSHOTS, waitForStep, watchErrors } from './lab';

test('a run exported as JSON can be imported and viewed', async ({ page }, testInfo) => {
  const errors = watchErrors(page);
  await openLab(page);
  await page.getByTestId('start').click();
  await waitForStep(page, 2);
  await pause(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
  const file = testInfo.outputPath('run.json');
  await download.saveAs(file);
  const run = JSON.parse(await readFile(file, 'utf8'));
  expect(run).toMatchObject({ format: 'azr-lab-run', version: 1, config: { modelSize: 'tiny' } });
  expect(run.metrics.length).toBeGreaterThanOrEqual(2);
  expect(run.tasks.length).toBeGreaterThan(0);

  await page.reload();
  await expect(page.getByTestId('run-state')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  await page.getByTestId('import-file').setInputFiles(file);
  await expect(page.getByTestId('viewing')).toBeVisible();
  await expect(page.getByTestId('step-counter')).toHaveText(String(run.metrics.at(-1).step));
  await expect(page.getByTestId('chart-reward')).toHaveAttribute('data-points', String(run.metrics.length));
  await expect(page.getByTestId('task-row').first()).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/09-imported.png` });

  await page.getByTestId('import-file').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"azr-lab-run","version":1,"config":{"batchSize":999},"metrics":[],"tasks":[]}') });
  await expect(page.getByTestId('error')).toContainText('batchSize must be an integer from 1 to 64');
  expect(errors).toEqual([]);
});
