// Page section: builds the app with Vite (into a temporary folder, so dist/ is left alone), serves it with
// `vite preview`, opens it in headless Debian Chromium, presses Start and measures, on the page's own
// clock: when the run shows activity (state `seeding`, then the seeding progress bar), when the first
// chart point appears, and the main thread's long tasks (PerformanceObserver 'longtask') during the
// first `windowMs` of the run. `--opt query=?preset=tiny&from=scratch` picks the set-up (default: the
// default config as a user gets it). `--opt trace=1` adds what the long tasks were made of (a Chromium
// trace: script, layout, paint), `--opt profile=1` the main thread's JS self time by function (unminified),
// `--opt mutations=1` the DOM mutations in each long task's frame, by panel, `--opt frames=1` what was on
// screen frame by frame around each long task.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * `--opt mutations=1`: every DOM mutation, on the page's clock, with the panel it is in (the nearest
 * element with a data-testid, or its class): what the page changed in the frame of a long task.
 */
const OBSERVE_MUTATIONS = `
  window.__mutations = [];
  const panelOf = (node) => {
    const el = node.nodeType === 1 ? node : node.parentElement;
    const p = el && el.closest('[data-testid]');
    return p ? p.getAttribute('data-testid') : (el && el.className) || '?';
  };
  addEventListener('DOMContentLoaded', () => new MutationObserver((records) => {
    const t = performance.now();
    for (const r of records) {
      const added = [...r.addedNodes].reduce((n, x) => n + 1 + (x.nodeType === 1 ? x.getElementsByTagName('*').length : 0), 0);
      window.__mutations.push({ t, panel: panelOf(r.target), type: r.type, added, removed: r.removedNodes.length });
    }
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true }));`;

/**
 * `--opt frames=1`: once per animation frame, what is on screen: the step counter, feed items, the reward
 * chart's points, buffer table rows. Which frame of a landing step a long task belongs to.
 */
const OBSERVE_FRAMES = `
  window.__frames = [];
  const frame = (t) => {
    const n = (sel) => document.querySelectorAll(sel).length;
    const chart = document.querySelector('[data-testid="chart-reward"]');
    window.__frames.push({
      t, step: (document.querySelector('[data-testid="step-counter"]') || {}).textContent || '',
      feed: n('.feed-item'), points: Number(chart ? chart.getAttribute('data-points') : 0), rows: n('.task-table tbody tr'),
    });
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);`;

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
function breakdown(trace: Trace): { tasksMs: number[]; insideMs: Record<string, number>; layouts: LayoutRecord[]; invalidations: Record<string, number> } {
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
  // Each layout inside a long task: how much of the layout tree it had to redo.
  const within = (e: TraceEvent, before = 0) => tasks.some((t) => e.ts >= t.ts - before && e.ts < t.ts + t.dur!);
  const layouts = onMain.filter((e) => e.name === 'Layout' && within(e)).map((e) => {
    const begin = (e.args as { beginData?: { dirtyObjects?: number; totalObjects?: number; partialLayout?: boolean } } | undefined)?.beginData;
    return { ms: round(e.dur! / 1000), dirtyObjects: begin?.dirtyObjects ?? -1, totalObjects: begin?.totalObjects ?? -1, partial: begin?.partialLayout ?? null };
  });
  // What invalidated layout from 10 ms before each long task to its end: reason and node, counted.
  const invalidations = new Map<string, number>();
  for (const e of trace.traceEvents) {
    if (e.name !== 'LayoutInvalidationTracking' || !main || e.pid !== main.pid || !within(e, 10_000)) continue;
    const data = (e.args as { data?: { reason?: string; nodeName?: string } } | undefined)?.data;
    const key = `${data?.reason ?? '?'}: ${data?.nodeName ?? '?'}`;
    invalidations.set(key, (invalidations.get(key) ?? 0) + 1);
  }
  return {
    tasksMs: tasks.map((t) => round(t.dur! / 1000)),
    insideMs: Object.fromEntries(top.map(([k, ms]) => [k, round(ms)])),
    layouts,
    invalidations: Object.fromEntries([...invalidations].sort((a, b) => b[1] - a[1]).slice(0, 15)),
  };
}

interface LayoutRecord { ms: number; dirtyObjects: number; totalObjects: number; partial: boolean | null }

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
    // A server left on the port by an earlier run that died would answer too, with its own build: every
    // figure would be that build's. The page served must be the one just built.
    if ((await (await fetch(base)).text()) !== readFileSync(join(outDir, 'index.html'), 'utf8')) {
      throw new Error(`another server answers on port ${PORT} (an earlier bench/page.ts left behind?): stop it first`);
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...baseChromiumArgs, '--enable-unsafe-webgpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.addInitScript({ content: OBSERVE_LONG_TASKS });
      if (opts.mutations === '1') await page.addInitScript({ content: OBSERVE_MUTATIONS });
      if (opts.frames === '1') await page.addInitScript({ content: OBSERVE_FRAMES });
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
      // trace=2 adds what invalidated layout (Chromium's invalidation tracking, which itself slows DOM work).
      if (opts.trace === '1' || opts.trace === '2') {
        await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', ...(opts.trace === '2' ? ['disabled-by-default-devtools.timeline.invalidationTracking'] : [])] });
      }
      await page.evaluate(START_AND_MARK);
      log(`page: Start pressed; watching long tasks for ${windowMs / 1000} s and the first chart point for up to ${firstPointTimeoutMs / 1000} s`);
      await page.waitForTimeout(windowMs);
      const traceText = opts.trace === '1' || opts.trace === '2' ? (await browser.stopTracing()).toString() : undefined;
      // `--opt traceFile=PATH` keeps the whole trace (for chrome://tracing or a closer look at the paints).
      if (traceText !== undefined && opts.traceFile) writeFileSync(opts.traceFile, traceText);
      const longTaskBreakdown = traceText !== undefined ? breakdown(JSON.parse(traceText) as Trace) : undefined;
      const domNodes = await page.evaluate(() => document.getElementsByTagName('*').length);
      // Steps landed in the window: how often the page had a step to show (the tiny preset lands several a second).
      const stepsInWindow = Number(await page.getByTestId('step-counter').textContent()) || 0;
      const profile = cdp ? topFunctions((await cdp.send('Profiler.stop')).profile) : undefined;
      const inWindow = await page.evaluate((ms) => {
        const b = (window as unknown as { __bench: Marks }).__bench;
        return b.longTasks.filter((t) => t.start >= b.start! && t.start < b.start! + ms);
      }, windowMs);
      await page.waitForFunction(() => (window as unknown as { __bench: Marks }).__bench.firstPoint !== undefined, null, { timeout: Math.max(1, firstPointTimeoutMs - windowMs), polling: 500 }).catch(() => undefined);
      const marks = await page.evaluate(() => (window as unknown as { __bench: Marks }).__bench);
      // The mutations in each long task's frame (from 20 ms before it starts to its end), by panel.
      // The frames from 100 ms before each long task to 100 ms after it ends (--opt frames=1).
      const frames = opts.frames === '1' ? await page.evaluate((tasks) => {
        type F = { t: number; step: string; feed: number; points: number; rows: number };
        const all = (window as unknown as { __frames: F[] }).__frames;
        return tasks.map((task) => ({ start: task.start, duration: task.duration, frames: all.filter((f) => f.t > task.start - 100 && f.t < task.start + task.duration + 100) }));
      }, inWindow) : undefined;
      const mutations = opts.mutations === '1' ? await page.evaluate((tasks) => {
        type M = { t: number; panel: string; type: string; added: number; removed: number };
        const all = (window as unknown as { __mutations: M[] }).__mutations;
        return tasks.map((task) => {
          const by: Record<string, { records: number; addedNodes: number; removed: number; text: number; attributes: number }> = {};
          for (const m of all) {
            if (m.t < task.start - 20 || m.t > task.start + task.duration) continue;
            const e = (by[m.panel] ??= { records: 0, addedNodes: 0, removed: 0, text: 0, attributes: 0 });
            e.records++;
            e.addedNodes += m.added;
            e.removed += m.removed;
            if (m.type === 'characterData') e.text++;
            if (m.type === 'attributes') e.attributes++;
          }
          return { start: task.start, duration: task.duration, byPanel: by };
        });
      }, inWindow) : undefined;
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
        stepsInWindow,
        longTaskBreakdown,
        profile,
        mutations,
        frames,
      };
    } finally {
      await browser.close();
    }
  } finally {
    if (server?.pid) server.kill();
    rmSync(outDir, { recursive: true, force: true });
  }
});
