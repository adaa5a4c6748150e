import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { StepMetrics } from '../../azr/metrics';
import { useLabContext } from '../context';
import type { ChartSpec } from './specs';

const HEIGHT = 130;

/**
 * Line width in CSS pixels. One, not more: where the canvas is rasterised in software (no GPU, as on this
 * project's test machines) Skia strokes a 1-device-pixel line on its hairline path, while any wider line
 * is stroked as a polygon. With 14 charts of 800 steps redrawn at once that frame's raster took 41 ms at
 * 1.6 px and 10 ms at 1 px (2 px: 38, 1.25 px: 43), and its cost hardly grows with the steps drawn
 * (100 → 1,300 steps: 6 → 11 ms), where at 1.6 px it grew from 18 to 46 ms: the tiny preset's long tasks
 * that grew minute by minute (bench/RESULTS.md, pass 14).
 */
const LINE_WIDTH = 1;

type Columns = [number[], ...(number | null)[][]];

/**
 * Chart redraws share animation frames: each frame draws queued charts until about 8 ms are spent and
 * leaves the rest to the next frame, so a step that updates every chart at once does not become one
 * long task on the main thread (a dozen uPlot redraws plus their paint).
 */
const FRAME_BUDGET_MS = 8;
/**
 * A draw that returns true was a chart's first with data (uPlot adds its cursor points and lays out its
 * axes then): the frame ends after one, so the charts' first draws after a step are spread one per frame.
 */
type Draw = () => boolean;
const queued = new Set<Draw>();
let frameRequested = false;

function drawSoon(draw: Draw): void {
  queued.add(draw);
  if (frameRequested) return;
  frameRequested = true;
  // Not in the frame the step lands: that one lays out and paints the feed's and panels' new rows.
  requestAnimationFrame(() => requestAnimationFrame(drawQueued));
}

function drawQueued(): void {
  frameRequested = false;
  const start = performance.now();
  for (const draw of queued) {
    queued.delete(draw);
    const first = draw();
    if (first || performance.now() - start > FRAME_BUDGET_MS) break;
  }
  if (queued.size > 0 && !frameRequested) {
    frameRequested = true;
    requestAnimationFrame(drawQueued);
  }
}


/**
 * uPlot's drawing code, run once on a detached chart with data while the page is idle: the first chart to
 * draw data otherwise pays V8's first compile of those paths (≈ 25 ms here) in a frame after a step lands.
 */
let warmed = false;
function warmUpDrawing(opts: uPlot.Options): void {
  if (warmed) return;
  warmed = true;
  const idle = (globalThis as { requestIdleCallback?: (f: () => void) => void }).requestIdleCallback ?? ((f: () => void) => setTimeout(f, 200));
  idle(() => {
    const host = document.createElement('div');
    const data: Columns = [[1, 2, 3], ...opts.series.slice(1).map(() => [0.1, 0.5, 0.3])];
    new uPlot({ ...opts, width: 300, hooks: {} }, data, host).destroy();
  });
}

/**
 * One live uPlot chart. It never re-renders through React: it subscribes to the store's metrics version
 * (zustand's transient subscribe), appends only the new steps to its columns, and redraws at most once
 * per animation frame, sharing frames with the other charts (drawSoon). `data-points` on the figure is the
 * number of steps drawn.
 */
export function Chart({ spec }: { spec: ChartSpec }) {
  const { store } = useLabContext();
  const figure = useRef<HTMLElement>(null);
  const host = useRef<HTMLDivElement>(null);
  const readout = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = figure.current;
    const target = host.current;
    const values = readout.current;
    if (!el || !target || !values) return;
    const hasY2 = spec.series.some((s) => s.axis === 'y2');
    const axis: uPlot.Axis = { stroke: '#64748b', grid: { stroke: '#eef1f5' }, ticks: { stroke: '#e2e8f0' }, size: 40, font: '11px system-ui' };
    const opts: uPlot.Options = {
      width: Math.max(200, target.clientWidth),
      height: HEIGHT,
      legend: { show: false },
      cursor: { points: { size: 6 } },
      hooks: { setCursor: [(u) => showValues(values, spec, columns, u.cursor.idx)] },
      scales: { x: { time: false }, y: spec.range ? { range: spec.range } : {}, ...(hasY2 ? { y2: {} } : {}) },
      axes: [
        // Steps are whole numbers: no tick between two of them.
        { ...axis, size: 28, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] },
        axis,
        ...(hasY2 ? [{ ...axis, scale: 'y2', side: 1, grid: { show: false } }] : []),
      ],
      series: [
        { label: 'step' },
        ...spec.series.map((s) => ({
          label: s.label, stroke: s.color, width: LINE_WIDTH, dash: s.dash, scale: s.axis ?? 'y', spanGaps: false,
          points: { size: 4 },
        })),
      ],
    };
    const columns: Columns = [[], ...spec.series.map(() => [])];
    const plot = new uPlot(opts, columns, target);
    warmUpDrawing(opts);
    let drawnVersion = -1;
    let live = true;
    const drawn: Drawn = { last: null };

    const draw = (): boolean => {
      if (!live) return false;
      const s = store.getState();
      if (s.metricsVersion === drawnVersion) return false;
      drawnVersion = s.metricsVersion;
      const first = columns[0].length === 0;
      sync(columns, drawn, s.metrics, spec);
      // batch: uPlot redraws now, not in a microtask after drawQueued's loop, so the frame budget sees
      // the redraw's real cost (without it every queued chart drew in the same task).
      plot.batch(() => plot.setData(columns));
      el.dataset.points = String(columns[0].length);
      showValues(values, spec, columns, null);
      return first && columns[0].length > 0;
    };
    draw();
    const unsubscribe = store.subscribe((s, prev) => {
      if (s.metricsVersion !== prev.metricsVersion) drawSoon(draw);
    });
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, target.clientWidth), height: HEIGHT }));
    resize.observe(target);
    return () => {
      unsubscribe();
      live = false;
      queued.delete(draw);
      resize.disconnect();
      plot.destroy();
    };
  }, [spec, store]);

  return (
    <figure className="chart" ref={figure} data-testid={`chart-${spec.id}`} data-points="0">
      <figcaption>
        <strong>{spec.title}</strong>
        <span className="caption">{spec.caption}</span>
      </figcaption>
      <div className="plot" ref={host} />
      <div className="readout" ref={readout} />
    </figure>
  );
}

interface Drawn { last: StepMetrics | null }

/**
 * Appends the steps the columns lack. The last record drawn must still sit where it was; if not, the
 * history was rewound (a new run, a resumed one replacing steps) and the columns are rebuilt.
 */
function sync(columns: Columns, drawn: Drawn, metrics: readonly StepMetrics[], spec: ChartSpec): void {
  const xs = columns[0];
  const n = xs.length;
  const intact = n === 0 || (n <= metrics.length && metrics[n - 1] === drawn.last);
  if (!intact) for (const c of columns) c.length = 0;
  for (let i = xs.length; i < metrics.length; i++) {
    const m = metrics[i];
    xs.push(m.step);
    spec.series.forEach((s, j) => {
      const v = s.value(m);
      (columns[j + 1] as (number | null)[]).push(v == null || !Number.isFinite(v) ? null : v);
    });
  }
  drawn.last = metrics.at(-1) ?? null;
}

/** One line under the plot: the hovered step's values, or the latest step's, each in its series' colour. */
function showValues(el: HTMLElement, spec: ChartSpec, columns: Columns, idx: number | null | undefined): void {
  const xs = columns[0];
  const i = idx ?? xs.length - 1;
  if (i < 0 || i >= xs.length) { el.textContent = 'no steps yet'; return; }
  const step = document.createElement('span');
  step.className = 'readout-step';
  step.textContent = `${idx == null ? 'latest' : 'step'} ${xs[i]}`;
  const parts = spec.series.map((s, j) => {
    const v = columns[j + 1][i];
    const part = document.createElement('span');
    part.style.color = s.color;
    part.title = s.label;
    part.textContent = `${s.dash ? '◌' : '●'} ${spec.series.length > 1 && !s.typed ? `${s.label} ` : ''}${v == null ? '–' : fmt(v)}`;
    return part;
  });
  el.replaceChildren(step, ...parts);
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(3);
}
