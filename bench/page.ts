// Page section: builds the app with Vite (into a temporary folder, so dist/ is left alone), serves it with
// `vite preview`, opens it in headless Debian Chromium, presses Start and measures, on the page's own
// clock: when the run shows activity (state `seeding`, then the seeding progress bar), when the first
// chart point appears, and the main thread's long tasks (PerformanceObserver 'longtask') during the
// first `windowMs` of the run. `--opt query=?preset=tiny&from=scratch` picks the set-up (default: the
// default config as a user gets it). `--opt trace=1` adds what the long tasks were made of (a Chromium
// trace: script, layout, paint), `--opt profile=1` the main thread's JS self time by function (unminified).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromium } from '@playwright/test';
import { baseChromiumArgs } from '../playwright.config';
import { log, round, runSection } from './harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Vite's own entry, run with this Node, so the server is our direct child and stops when we kill it. */
const VITE = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
const PORT = 4179;

interface Marks {
  start?: number;
  busy?: number;
  seedingBar?: number;
  firstPoint?: number;
  longTasks: { start: number; duration: number }[];
}

// Scripts for the page as text: tsx would wrap named functions in a helper the page does not have.
const OBSERVE_LONG_TASKS = `
  window.__bench = { longTasks: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });`;

/** Presses Start, then once per animation frame marks what a person would see, on the page's clock. */
const START_AND_MARK = `(() => {
  const b = window.__bench;
  const tick = () => {
    const now = performance.now();
    const state = document.querySelector('[data-testid="run-state"]')?.getAttribute('data-state');
    if (b.busy === undefined && state && state !== 'ready') b.busy = now;
    if (b.seedingBar === undefined && document.querySelector('[data-testid="seeding"]')) b.seedingBar = now;
    const points = Number(document.querySelector('[data-testid="chart-reward"]')?.getAttribute('data-points') ?? 0);
    if (b.firstPoint === undefined && points > 0) b.firstPoint = now;
    if (b.firstPoint === undefined) requestAnimationFrame(tick);
  };
  b.start = performance.now();
  document.querySelector('[data-testid="start"]').click();
  requestAnimationFrame(tick);
})()`;

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: { functionName?: string; url?: string } };
}
interface Trace { traceEvents: TraceEvent[] }

/**
 * The renderer main thread's tasks over 50 ms, and the time of the events inside them by name (nested
 * events overlap, so the rows do not add up): is a long task script, layout or paint?
 */
function breakdown(trace: Trace): { tasksMs: number[]; insideMs: Record<string, number> } {
  const main = trace.traceEvents.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const onMain = trace.traceEvents.filter((e) => main && e.ph === 'X' && e.dur !== undefined && e.pid === main.pid && e.tid === main.tid);
  const tasks = onMain.filter((e) => e.name === 'RunTask' && e.dur! > 50_000);
  const inside = new Map<string, number>();
  for (const e of onMain) {
    if (e.name === 'RunTask' || !tasks.some((t) => e.ts >= t.ts && e.ts < t.ts + t.dur!)) continue;
    const fn = e.args?.data?.functionName;
    const key = e.name === 'FunctionCall' && fn ? `FunctionCall ${fn}` : e.name;
    inside.set(key, (inside.get(key) ?? 0) + e.dur! / 1000);
  }
  const top = [...inside].filter(([, ms]) => ms >= 1).sort((a, b) => b[1] - a[1]).slice(0, 12);
  return { tasksMs: tasks.map((t) => round(t.dur! / 1000)), insideMs: Object.fromEntries(top.map(([k, ms]) => [k, round(ms)])) };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Self time by function (name, file and line), the 20 largest, ms; idle and the profiler's own left out. */
function topFunctions(profile: CpuProfile): { fn: string; ms: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  (profile.samples ?? []).forEach((id, i) => {
    const f = byId.get(id);
    if (!f || f.functionName === '(idle)' || f.functionName === '(program)') return;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas?.[i] ?? 0) / 1000);
  });
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([fn, ms]) => ({ fn, ms: round(ms) }));
}

async function waitForServer(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`vite preview did not answer at ${url}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

await runSection(async ({ opts }) => {
  if (!existsSync(CHROMIUM)) return { skipped: `no Chromium at ${CHROMIUM} (apt-get install -y chromium)` };
  const query = opts.query ?? '';
  const windowMs = Number(opts.windowMs ?? 30_000);
  const firstPointTimeoutMs = Number(opts.timeoutMs ?? 300_000);
  const outDir = mkdtempSync(join(tmpdir(), 'azr-bench-page-'));
  let server: ChildProcess | undefined;
  try {
    log('page: vite build');
    const buildStart = performance.now();
    const build = spawnSync(process.execPath, [VITE, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error', ...(opts.profile === '1' ? ['--minify', 'false'] : [])], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (build.status !== 0) throw new Error(`vite build failed (${build.status})`);
    const buildMs = performance.now() - buildStart;
    server = spawn(process.execPath, [VITE, 'preview', '--outDir', outDir, '--port', String(PORT), '--strictPort'], { stdio: 'ignore' });
    const base = `http://127.0.0.1:${PORT}`;
    await waitForServer(base, 60_000);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...baseChromiumArgs, '--enable-unsafe-webgpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.addInitScript({ content: OBSERVE_LONG_TASKS });
      log(`page: opening ${base}/${query}`);
      const loadStart = performance.now();
      await page.goto(`${base}/${query}`);
      await page.getByTestId('run-state').and(page.locator('[data-state="ready"]')).waitFor({ timeout: 120_000 });
      const readyMs = performance.now() - loadStart;
      const badge = await page.getByTestId('backend-badge').textContent();
      // `--opt profile=1`: a CPU profile of the page's main thread over the window, by function (self time),
      // to see what the long tasks are made of.
      const cdp = opts.profile === '1' ? await page.context().newCDPSession(page) : undefined;
      if (cdp) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
        await cdp.send('Profiler.start');
      }
      // `--opt trace=1`: a Chromium trace over the window; what the main thread's long tasks spent their time on.
      if (opts.trace === '1') await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
      await page.evaluate(START_AND_MARK);
      log(`page: Start pressed; watching long tasks for ${windowMs / 1000} s and the first chart point for up to ${firstPointTimeoutMs / 1000} s`);
      await page.waitForTimeout(windowMs);
      const longTaskBreakdown = opts.trace === '1' ? breakdown(JSON.parse((await browser.stopTracing()).toString()) as Trace) : undefined;
      const domNodes = await page.evaluate(() => document.getElementsByTagName('*').length);
      const profile = cdp ? topFunctions((await cdp.send('Profiler.stop')).profile) : undefined;
      const inWindow = await page.evaluate((ms) => {
        const b = (window as unknown as { __bench: Marks }).__bench;
        return b.longTasks.filter((t) => t.start >= b.start! && t.start < b.start! + ms);
      }, windowMs);
      await page.waitForFunction(() => (window as unknown as { __bench: Marks }).__bench.firstPoint !== undefined, null, { timeout: Math.max(1, firstPointTimeoutMs - windowMs), polling: 500 }).catch(() => undefined);
      const marks = await page.evaluate(() => (window as unknown as { __bench: Marks }).__bench);
      const since = (t: number | undefined) => (t === undefined ? null : round(t - marks.start!));
      const durations = inWindow.map((t) => t.duration);
      return {
        query: query || '(default config)',
        backend: badge?.trim(),
        buildMs: round(buildMs),
        readyMs: round(readyMs),
        busyMs: since(marks.busy),
        seedingBarMs: since(marks.seedingBar),
        firstPointMs: since(marks.firstPoint),
        firstPointTimeoutMs: marks.firstPoint === undefined ? firstPointTimeoutMs : undefined,
        longTasks: {
          windowMs,
          count: durations.length,
          maxMs: durations.length ? round(Math.max(...durations)) : 0,
          totalMs: round(durations.reduce((a, b) => a + b, 0)),
          over100ms: durations.filter((d) => d > 100).length,
          // When each came, after Start: against firstPointMs, a task at the first step's arrival is the
          // first render of the step's charts, feed and buffers.
          atMs: inWindow.map((t) => round(t.start - marks.start!)),
        },
        pageErrors: errors,
        domNodes,
        longTaskBreakdown,
        profile,
      };
    } finally {
      await browser.close();
    }
  } finally {
    if (server?.pid) server.kill();
    rmSync(outDir, { recursive: true, force: true });
  }
});
