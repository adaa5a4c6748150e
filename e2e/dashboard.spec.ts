// The lab as a newcomer meets it: Start, watch, move a slider, pause, open a task.
import { expect, test, type Page } from '@playwright/test';
import { openLab, pause, SCREENSHOTS, stepCount, waitForStep, watchErrors } from './lab';

test.describe.configure({ mode: 'serial' });

let page: Page;
let errors: string[];

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  errors = watchErrors(page);
  await openLab(page);
});

test.afterAll(async () => { await page.close(); });

test('the page loads with a backend badge, idle charts and no console errors', async () => {
  await expect(page.getByTestId('backend-badge')).not.toHaveText(/choosing/);
  await expect(page.getByTestId('step-counter')).toHaveText('0');
  await expect(page.getByTestId('chart-reward')).toHaveAttribute('data-points', '0');
  await page.screenshot({ path: `${SCREENSHOTS}/01-ready.png` });
  expect(errors).toEqual([]);
});

test('Start shows seeding, then the step counter rises and every chart gains points', async () => {
  await page.getByTestId('start').click();
  await expect(page.getByTestId('seeding').or(page.getByTestId('feed').getByText('Proposed tasks'))).toBeVisible({ timeout: 60_000 });
  await waitForStep(page, 5);
  const charts = page.locator('figure.chart[data-testid^="chart-"]');
  const ids = await charts.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
  expect(ids.length).toBeGreaterThanOrEqual(12);
  for (const id of ids.filter((i) => i !== 'chart-invalid')) {
    await expect.poll(async () => Number(await page.getByTestId(id!).getAttribute('data-points')), { message: `${id} has points` }).toBeGreaterThan(0);
  }
  await page.screenshot({ path: `${SCREENSHOTS}/02-running.png` });
  await page.screenshot({ path: `${SCREENSHOTS}/03-running-full.png`, fullPage: true });
  expect(errors).toEqual([]);
});

test('a slider change reaches the trainer, which reports the new config', async () => {
  const param = page.getByTestId('param-temperature');
  await page.getByTestId('group-decoding').locator('summary').click();
  await expect(param).toHaveAttribute('data-active-value', '1');
  await page.getByTestId('input-temperature').focus();
  await page.keyboard.press('ArrowLeft');
  await expect(param).toHaveAttribute('data-active-value', '0.99');
  await expect(page).toHaveURL(/temperature=0\.99/);
  const batch = page.getByTestId('param-references');
  await page.getByTestId('input-references').focus();
  await page.keyboard.press('ArrowRight');
  await expect(batch).toHaveAttribute('data-active-value', '2');
});

test('Pause stops the counter', async () => {
  await pause(page);
  const stopped = await stepCount(page);
  await expect(page.getByTestId('start')).toBeEnabled();
  // A round trip through the trainer: a speed change is answered before any step could have started.
  await page.getByTestId('speed').selectOption('1000');
  await page.getByTestId('step').click();
  await expect(page.getByTestId('step-counter')).toHaveText(String(stopped + 1), { timeout: 120_000 });
  await expect(page.getByTestId('run-state')).toHaveAttribute('data-state', 'paused', { timeout: 120_000 });
  expect(await stepCount(page)).toBe(stopped + 1);
});

test('the inspector opens a task from the buffers', async () => {
  const rows = page.getByTestId('task-row');
  await expect(rows.first()).toBeVisible();
  await rows.first().click();
  const inspector = page.getByTestId('inspector');
  await expect(inspector).toBeVisible();
  await expect(inspector.getByRole('heading', { name: 'Program' })).toBeVisible();
  await expect(inspector.getByRole('heading', { name: 'Solve history' })).toBeVisible();
  await page.screenshot({ path: `${SCREENSHOTS}/04-inspector.png` });
  await page.getByTestId('inspector-close').click();
  await expect(inspector).toBeHidden();
});

test('the buffers table mounts only the rows in view, and scrolls down to the oldest task', async () => {
  // More deduction tasks than the table mounts: train on until there are.
  const count = async () => Number(await page.locator('.tab.active .count').textContent());
  if (await count() <= 40) {
    await page.getByTestId('start').click();
    await expect.poll(count, { timeout: 120_000 }).toBeGreaterThan(40);
    await pause(page);
  }
  const total = await count();
  const rows = page.getByTestId('task-row');
  await expect(rows.first()).toBeVisible();
  // 380 px of 26 px rows, and 8 more either side: never more than 31 rows in the DOM, however many tasks.
  expect(await rows.count()).toBeLessThanOrEqual(31);
  expect(total).toBeGreaterThan(40);
  await page.getByTestId('table-scroll').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  // The oldest deduction task is the seed (or one the seeding phase added): the table reaches it.
  await expect(rows.last().locator('td').nth(1)).toHaveText(/^seed/);
  // A search with no hit unmounts the scroll view; cleared, the table shows its newest rows again, in view.
  await page.getByTestId('buffer-search').fill('no task has this text');
  await expect(rows).toHaveCount(0);
  await page.getByTestId('buffer-search').fill('');
  await page.getByTestId('table-scroll').scrollIntoViewIfNeeded();
  await expect(rows.first()).toBeInViewport();
  await expect(rows.first().locator('td').first()).toHaveText(String(Math.max(...(await rows.locator('td:first-child').allTextContents()).map(Number))));
});

test('the buffer search filters the table', async () => {
  await page.getByTestId('buffer-search').fill('no task has this text');
  await expect(page.getByTestId('task-row')).toHaveCount(0);
  await page.getByTestId('buffer-search').fill('');
  await expect(page.getByTestId('task-row').first()).toBeVisible();
  expect(errors).toEqual([]);
});
