// Turns per-task eval results (eval --per-task) of the base and of each (variant, seed) run into the
// proof's numbers: pass@1 per task type, its mean and spread over seeds, and paired bootstrap
// intervals over tasks against the base and against other variants.

import { mean, pairedBootstrap, sampleStd, type PairedInterval } from './stats';

export const TASK_TYPES = ['deduction', 'abduction', 'induction'] as const;
export type TaskTypeName = (typeof TASK_TYPES)[number];
export type Scope = TaskTypeName | 'average';
export const SCOPES: readonly Scope[] = [...TASK_TYPES, 'average'];

/** One line of `eval --per-task`. */
export interface PerTaskResult {
  id: string;
  type: TaskTypeName;
  correct: number;
  samples: number;
}

export function parsePerTask(text: string): PerTaskResult[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((line, i) => {
    const r = JSON.parse(line) as Partial<PerTaskResult>;
    if (typeof r.id !== 'string' || !TASK_TYPES.includes(r.type as TaskTypeName) || typeof r.correct !== 'number' || typeof r.samples !== 'number' || r.samples <= 0) {
      throw new Error(`line ${i + 1}: not a per-task result: ${line.slice(0, 80)}`);
    }
    return r as PerTaskResult;
  });
}

/** Per-task pass@1 (correct / samples) keyed by id. */
function scores(results: readonly PerTaskResult[]): Map<string, { type: TaskTypeName; score: number }> {
  return new Map(results.map((r) => [r.id, { type: r.type, score: r.correct / r.samples }]));
}

/**
 * The tasks of a scope, in a fixed order, with their scores under `model` averaged over its seeds.
 * 'average' is every task (the suite has the same count per type, so its mean is the mean of the types).
 */
function taskScores(ids: readonly string[], seeds: readonly Map<string, { type: TaskTypeName; score: number }>[]): number[] {
  return ids.map((id) => mean(seeds.map((s) => {
    const e = s.get(id);
    if (!e) throw new Error(`task ${id} missing from a run's results`);
    return e.score;
  })));
}

export interface VariantSummary {
  seeds: number[];
  /** pass@1 per scope: mean over seeds, sample std over seeds, and each seed's value. */
  pass1: Record<Scope, { mean: number; std: number; perSeed: number[] }>;
}

export interface Comparison {
  after: string;
  before: string;
  /** Paired bootstrap over tasks of the seed-averaged per-task pass@1. */
  intervals: Record<Scope, PairedInterval>;
}

export interface ProofReport {
  tasks: number;
  variants: Record<string, VariantSummary>;
  comparisons: Comparison[];
}

export interface RunResults {
  /** 'base' for the starting checkpoint. */
  variant: string;
  seed: number;
  results: PerTaskResult[];
}

export function buildReport(runs: readonly RunResults[], pairs: readonly [after: string, before: string][], { reps = 10_000, seed = 0 } = {}): ProofReport {
  const base = runs.find((r) => r.variant === 'base');
  if (!base) throw new Error('no base results');
  const ids = base.results.map((r) => r.id);
  const typeOf = new Map(base.results.map((r) => [r.id, r.type]));
  const scopeIds = (s: Scope) => (s === 'average' ? ids : ids.filter((id) => typeOf.get(id) === s));

  const byVariant = new Map<string, RunResults[]>();
  for (const r of runs) byVariant.set(r.variant, [...(byVariant.get(r.variant) ?? []), r]);

  const variants: Record<string, VariantSummary> = {};
  for (const [name, list] of byVariant) {
    const sorted = [...list].sort((a, b) => a.seed - b.seed);
    const maps = sorted.map((r) => scores(r.results));
    const pass1 = {} as VariantSummary['pass1'];
    for (const s of SCOPES) {
      const perSeed = maps.map((m) => mean(taskScores(scopeIds(s), [m])));
      pass1[s] = { mean: mean(perSeed), std: sampleStd(perSeed), perSeed };
    }
    variants[name] = { seeds: sorted.map((r) => r.seed), pass1 };
  }

  const comparisons: Comparison[] = [];
  for (const [after, before] of pairs) {
    const a = byVariant.get(after);
    const b = byVariant.get(before);
    if (!a || !b) continue;
    const am = a.map((r) => scores(r.results));
    const bm = b.map((r) => scores(r.results));
    const intervals = {} as Comparison['intervals'];
    for (const s of SCOPES) {
      const sid = scopeIds(s);
      intervals[s] = pairedBootstrap(taskScores(sid, bm), taskScores(sid, am), { reps, seed });
    }
    comparisons.push({ after, before, intervals });
  }
  return { tasks: ids.length, variants, comparisons };
}

const pct = (x: number) => (x * 100).toFixed(1);
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${pct(Math.abs(x))}`;

function cell(v: VariantSummary, s: Scope): string {
  const p = v.pass1[s];
  return v.seeds.length > 1 ? `${pct(p.mean)} ± ${pct(p.std)} (${p.perSeed.map(pct).join(', ')})` : pct(p.mean);
}

function intervalCell(i: PairedInterval): string {
  return `${signed(i.diff)} [${signed(i.lo)}, ${signed(i.hi)}]${i.excludesZero ? (i.lo > 0 ? ' ✓' : ' ✗') : ''}`;
}

/**
 * Markdown tables: pass@1 in percent per variant (mean ± std over seeds, then each seed), and each
 * comparison's mean difference with its 95 % paired bootstrap interval in percentage points
 * (✓ above zero, ✗ below zero, nothing when it straddles zero).
 */
export function reportMarkdown(report: ProofReport, labels: Readonly<Record<string, string>> = {}): string {
  const label = (n: string) => labels[n] ?? n;
  const lines: string[] = [];
  lines.push('| model | seeds | deduction | abduction | induction | average |', '|---|---|---|---|---|---|');
  for (const [name, v] of Object.entries(report.variants)) {
    lines.push(`| ${label(name)} | ${name === 'base' ? '—' : v.seeds.join(', ')} | ${SCOPES.map((s) => cell(v, s)).join(' | ')} |`);
  }
  if (report.comparisons.length > 0) {
    lines.push('', '| difference (pp), 95 % paired bootstrap over tasks | deduction | abduction | induction | average |', '|---|---|---|---|---|');
    for (const c of report.comparisons) {
      lines.push(`| ${label(c.after)} − ${label(c.before)} | ${SCOPES.map((s) => intervalCell(c.intervals[s])).join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/** One line of `selfplay` stdout, the fields the dynamics table reads. */
interface StepLine {
  step: number;
  groups: Record<string, { accuracy: number; count: number; guessRate?: number }>;
  proposals: Record<string, { total: number; valid: number }>;
  entropy: number;
  programComplexity?: number;
  answerDiversity?: number;
  heldOutCompositions?: number;
}

export interface Dynamics {
  /** Steps averaged at each end: the first `window` and the last `window`. */
  window: number;
  /** [first window, last window] means, averaged over the variant's seeds. */
  rows: Record<string, [number, number]>;
}

const DYNAMICS_ROWS: readonly [string, (s: StepLine) => number | undefined][] = [
  ...TASK_TYPES.map((t) => [`solver accuracy, ${t}`, (s: StepLine) => (s.groups[`solve.${t}`]?.count ? s.groups[`solve.${t}`].accuracy : undefined)] as [string, (s: StepLine) => number | undefined]),
  ...TASK_TYPES.map((t) => [`proposer learnability, ${t}`, (s: StepLine) => (s.groups[`propose.${t}`]?.count ? s.groups[`propose.${t}`].accuracy : undefined)] as [string, (s: StepLine) => number | undefined]),
  ['valid proposals (share)', (s) => {
    const ps = Object.values(s.proposals);
    const total = ps.reduce((n, p) => n + p.total, 0);
    return total > 0 ? ps.reduce((n, p) => n + p.valid, 0) / total : undefined;
  }],
  ['program complexity', (s) => s.programComplexity],
  // The collapse to guessable tasks: distinct outputs among a step's new tasks fall, and answers written
  // for other tasks solve a task more often (runs saved before the guess rate existed show —).
  ['answer diversity', (s) => s.answerDiversity],
  ...(['deduction', 'abduction'] as const).map((t) => [`guess rate, ${t}`, (s: StepLine) => (s.groups[`propose.${t}`]?.count ? s.groups[`propose.${t}`].guessRate : undefined)] as [string, (s: StepLine) => number | undefined]),
  // Whether self-play explores the compositions the held-out suite tests (runs saved before the metric show —).
  ['held-out compositions (share of new tasks)', (s) => s.heldOutCompositions],
  ['entropy', (s) => s.entropy],
];

/** In-run metrics at the start and the end of each run (from its steps.jsonl), averaged over seeds. */
export function buildDynamics(stepFiles: readonly string[], window = 10): Dynamics {
  const rows: Record<string, [number, number]> = {};
  const runs = stepFiles.map((text) => text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as StepLine));
  for (const [name, read] of DYNAMICS_ROWS) {
    const ends = runs.filter((r) => r.length > 0).map((r) => {
      const avg = (part: StepLine[]) => mean(part.map(read).filter((x): x is number => typeof x === 'number' && Number.isFinite(x)));
      return [avg(r.slice(0, window)), avg(r.slice(-window))];
    });
    rows[name] = [mean(ends.map((e) => e[0]).filter((x) => !Number.isNaN(x))), mean(ends.map((e) => e[1]).filter((x) => !Number.isNaN(x)))];
  }
  return { window, rows };
}

/** Markdown: one row per metric, a column pair (first → last window) per variant. */
export function dynamicsMarkdown(byVariant: Readonly<Record<string, Dynamics>>, labels: Readonly<Record<string, string>> = {}): string {
  const names = Object.keys(byVariant);
  if (names.length === 0) return '';
  const window = byVariant[names[0]].window;
  const fmt = (x: number) => (Number.isNaN(x) ? '—' : x.toFixed(2));
  const lines = [
    `| in-run mean, first ${window} → last ${window} steps | ${names.map((n) => labels[n] ?? n).join(' | ')} |`,
    `|---|${names.map(() => '---').join('|')}|`,
  ];
  for (const [row] of DYNAMICS_ROWS) {
    lines.push(`| ${row} | ${names.map((n) => { const [a, b] = byVariant[n].rows[row]; return `${fmt(a)} → ${fmt(b)}`; }).join(' | ')} |`);
  }
  return lines.join('\n');
}

export interface AblationRow {
  name: string;
  label: string;
  /** The paper's AZR-Base-7B code/math average, where it reports one. */
  paper?: number;
}

/**
 * The ablation table beside the paper's: our held-out average pass@1 (mean over seeds) and its
 * difference from full AZR with the paired interval, the paper's average and its difference from the
 * paper's full AZR. Rows without runs are left out.
 */
export function ablationMarkdown(report: ProofReport, rows: readonly AblationRow[], reference = 'full'): string {
  const full = rows.find((r) => r.name === reference);
  const lines = [
    '| setting | seeds | ours: held-out average pass@1 | ours: − full AZR (pp) | paper: code/math average | paper: − full AZR |',
    '|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const v = report.variants[row.name];
    if (!v) continue;
    const c = report.comparisons.find((x) => x.after === row.name && x.before === reference);
    const reversed = report.comparisons.find((x) => x.after === reference && x.before === row.name);
    const flip = (i: PairedInterval): PairedInterval => ({ ...i, diff: -i.diff, lo: -i.hi, hi: -i.lo });
    const interval = c ? c.intervals.average : reversed ? flip(reversed.intervals.average) : undefined;
    const ours = row.name === reference ? '—' : interval ? intervalCell(interval) : 'not compared';
    const paper = row.paper === undefined ? 'not reported' : row.paper.toFixed(1);
    const paperDiff = row.paper === undefined || full?.paper === undefined || row.name === reference ? '—' : `${row.paper - full.paper >= 0 ? '+' : '−'}${Math.abs(row.paper - full.paper).toFixed(1)}`;
    lines.push(`| ${row.label} | ${v.seeds.join(', ')} | ${cell(v, 'average')} | ${ours} | ${paper} | ${paperDiff} |`);
  }
  // No run of any ablation row (e.g. a matrix of diagnostics only): no table, not a header alone.
  return lines.length > 2 ? lines.join('\n') : '';
}
