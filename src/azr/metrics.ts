// The per-step record of a self-play run: what the CLI prints as one JSON line, what the page charts.
// Names follow AZR.md "Metrics worth plotting".

import type { GroupKey, TaskType } from './config';

export interface GroupMetrics {
  count: number;
  rewardMean: number;
  rewardMin: number;
  rewardMax: number;
  advantageMean: number;
  advantageStd: number;
  /** The TRR++ baseline this group was normalised by. */
  baselineMean: number;
  baselineStd: number;
  /** Solvers: share of answers correct. Proposers: mean learnability of valid proposals. */
  accuracy: number;
  /** Share of well-formed responses. */
  formatScore: number;
  /** Mean response length in tokens. */
  responseLength: number;
  /** Proposers: share of valid proposals whose solve rate was 0 or 1 (zero learnability). */
  zeroStdShare: number;
  /**
   * Proposers: mean guess rate q of valid proposals — the share of answers written for other tasks of
   * the step that would also solve this one. Solvers: mean share of the batch's other tasks that each
   * answer also solves. High means "solves" are guesses (absent in runs saved before it existed).
   */
  guessRate?: number;
}

export type PhaseName = 'propose' | 'validate' | 'solve' | 'check' | 'reward' | 'update';

export interface StepMetrics {
  step: number;
  buffers: Record<TaskType, number>;
  groups: Record<GroupKey, GroupMetrics>;
  /** Invalid proposals by reason (`malformed` for responses that did not parse into a proposal). */
  invalid: Record<string, number>;
  proposals: Record<TaskType, { total: number; valid: number; duplicates: number }>;
  /** Proposed programs: mean length in characters and mean complexity (see programComplexity in program.ts). */
  programChars: number;
  programComplexity: number;
  /** Mean operation novelty of the valid proposals against earlier tasks of their type (see operationNovelty). */
  operationNovelty: number;
  /** Distinct outputs among valid proposals over their count (1 = all different). */
  answerDiversity: number;
  /**
   * Share of the step's new tasks whose program has a composition of the held-out families
   * (src/data/features.ts: filter→reduce, map→join, a ternary in a map callback, …), which pretraining
   * never shows: whether self-play explores what the held-out suite tests. Absent in runs saved before it.
   */
  heldOutCompositions?: number;
  /** Distinct JSON types of the proposals' outputs (number, string, boolean, null, array, object). */
  outputTypes: number;
  loss: number;
  entropy: number;
  /** Token-mean k3 estimate of KL(policy ‖ reference) at the update; 0 while the KL penalty is off (absent in runs saved before it existed). */
  klToReference?: number;
  gradNorm: number;
  clipFraction: number;
  trainedTrajectories: number;
  tokensGenerated: number;
  tokensPerSecond: number;
  stepMs: number;
  phases: Record<PhaseName, number>;
}

/** Fields that depend on the machine's speed, not on the run; everything else replays exactly. */
export const TIMING_FIELDS = ['stepMs', 'tokensPerSecond', 'phases'] as const;

export function emptyGroupMetrics(): GroupMetrics {
  return {
    count: 0, rewardMean: 0, rewardMin: 0, rewardMax: 0, advantageMean: 0, advantageStd: 0, baselineMean: 0,
    baselineStd: 0, accuracy: 0, formatScore: 0, responseLength: 0, zeroStdShare: 0, guessRate: 0,
  };
}

export function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

export function std(xs: readonly number[]): number {
  if (!xs.length) return 0;
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
}

export function jsonType(canonical: string): string {
  const c = canonical[0];
  if (c === '[') return 'array';
  if (c === '{') return 'object';
  if (c === '"') return 'string';
  if (canonical === 'true' || canonical === 'false') return 'boolean';
  if (canonical === 'null') return 'null';
  return 'number';
}
