// Pure helpers of the benchmark: statistics, the model's FLOP count, the targets and the table.
// No I/O here, so each piece has a unit test (./lib.test.ts).

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Least-squares slope of ys over xs (default 0, 1, 2…): how much a quantity grows per step. Null with
 * fewer than two points or when every x is the same.
 */
export function slope(ys: readonly number[], xs: readonly number[] = ys.map((_, i) => i)): number | null {
  if (ys.length !== xs.length) throw new RangeError(`slope: ${ys.length} values for ${xs.length} positions`);
  const n = ys.length;
  if (n < 2) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx === 0 ? null : sxy / sxx;
}

/** The transformer's shape as the FLOP count needs it (a subset of src/model/gpt.ts's GPTConfig). */
export interface ModelShape {
  vocabSize: number;
  nLayer: number;
  dModel: number;
  dFF: number;
}

/**
 * Multiply-add FLOPs (2 per multiply-add) of one token's forward pass at sequence length T: the
 * q/k/v, output and MLP projections, the tied output head, and attention's two T×d products per layer
 * over the whole T×T score matrix (what the kernels compute; the causal mask discards half).
 * Embedding lookups, norms and elementwise work are left out, as in the usual 6·N·tokens estimate.
 */
export function forwardFlopsPerToken(m: ModelShape, T: number): number {
  const { vocabSize: V, nLayer: L, dModel: d, dFF: f } = m;
  const projections = d * 3 * d + d * d + 2 * d * f;
  return 2 * L * projections + 2 * V * d + L * 2 * 2 * T * d;
}

/** A training step's FLOPs: forward plus a backward pass of twice its cost, for B sequences of T tokens. */
export function trainStepFlops(m: ModelShape, B: number, T: number): number {
  return 3 * forwardFlopsPerToken(m, T) * B * T;
}

/** One figure checked against a target of the performance table (../shared/DESIGN.md). */
export interface TargetCheck {
  name: string;
  target: string;
  value: number | null;
  /** Null when the figure was not measured in this run. */
  holds: boolean | null;
}

function check(name: string, target: string, value: number | null | undefined, ok: (v: number) => boolean): TargetCheck {
  const v = typeof value === 'number' && Number.isFinite(value) ? value : null;
  return { name, target, value: v, holds: v === null ? null : ok(v) };
}

/** What `targets` reads from a bench result (every field optional: sections may fail or be skipped). */
export interface TargetInputs {
  executor?: { msPerExec?: number; vsNodeVm?: number; vsPythonSubprocess?: number; stopMs?: number; budgetMs?: number };
  torch?: { maxLogitDiff?: number; bestTfjsVsTorch?: number };
  model?: { kvCacheSpeedup?: number };
  memory?: { tensorSlopePerStep?: number; wasmHeapGrowthUnexplainedAfterWarmupBytes?: number };
  page?: { seedingBarMs?: number | null; longTasks?: { maxMs?: number } };
}

/** The targets, each with the measured value and whether it holds. */
export function targets(r: TargetInputs): TargetCheck[] {
  const e = r.executor ?? {};
  const stopOverBudget = e.stopMs !== undefined && e.budgetMs ? e.stopMs / e.budgetMs : null;
  return [
    check('executor.msPerExec', '≤ 0.25 ms', e.msPerExec, (v) => v <= 0.25),
    check('executor.vsNodeVm', '≥ 1.7×', e.vsNodeVm, (v) => v >= 1.7),
    check('executor.vsPythonSubprocess', '≥ 300×', e.vsPythonSubprocess, (v) => v >= 300),
    check('executor.stopMs / budgetMs', '≤ 2×', stopOverBudget, (v) => v <= 2),
    check('torch.maxLogitDiff', '< 1e-3', r.torch?.maxLogitDiff, (v) => v < 1e-3),
    check('best tfjs CPU / torch tokens/s', '≥ 0.2×', r.torch?.bestTfjsVsTorch, (v) => v >= 0.2),
    check('model.kvCacheSpeedup', '≥ 5×', r.model?.kvCacheSpeedup, (v) => v >= 5),
    // "Flat": less than one tensor gained per 20 steps.
    check('memory.tensorSlopePerStep', '≈ 0 (|slope| < 0.05)', r.memory?.tensorSlopePerStep, (v) => Math.abs(v) < 0.05),
    // The wasm heap never shrinks and grows in jumps (memory.grow), so a slope misleads: flat means that
    // after the warm-up it grew only at steps whose peak tensor bytes set a new record (a longer batch
    // than any before moving the high-water mark), never otherwise (bench/memory.ts).
    check('memory.wasmHeapGrowthUnexplainedAfterWarmupBytes', '0 (grows only at a new peak working set)', r.memory?.wasmHeapGrowthUnexplainedAfterWarmupBytes, (v) => v === 0),
    check('page.seedingBarMs', '≤ 2,000 ms after Start', r.page?.seedingBarMs, (v) => v <= 2000),
    check('page.longTasks.maxMs', '≤ 50 ms while training', r.page?.longTasks?.maxMs, (v) => v <= 50),
  ];
}

/** A number for a table cell: 3 significant digits, thousands separated, '–' for nothing. */
export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 10 ** digits) return Math.round(v).toLocaleString('en');
  if (abs < 1e-3) return v.toExponential(1);
  return Number(v.toPrecision(digits)).toLocaleString('en', { maximumFractionDigits: 6 });
}

/** A plain-text table with a header row; columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export interface Timing {
  /** Median wall time of one call, ms. */
  ms: number;
  /** CPU time of this process per call, ms, where the environment can tell (Node); else undefined. */
  cpuMs?: number;
  runs: number;
}

/** CPU time used so far by this process, ms (Node: `process.cpuUsage`). */
export type CpuClock = () => number;

/** Times `f` `runs` times after `warmup` untimed calls: the median wall time and the mean CPU time. */
export async function timeRuns(runs: number, f: () => unknown, warmup = 1, cpuClock?: CpuClock): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await f();
  const walls: number[] = [];
  const cpu0 = cpuClock?.();
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await f();
    walls.push(performance.now() - start);
  }
  return { ms: median(walls), cpuMs: cpu0 === undefined ? undefined : (cpuClock!() - cpu0) / runs, runs };
}

/** Rounds to `digits` significant digits, for JSON that people read. */
export function round(v: number, digits = 4): number {
  return Number.isFinite(v) ? Number(v.toPrecision(digits)) : v;
}
