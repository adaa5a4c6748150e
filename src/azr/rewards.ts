// Rewards of Absolute Zero (AZR.md "Rewards"): the solver's correctness, the proposer's learnability,
// and the format-aware composite that both roles are trained on.

/** How the composite reward scores a valid proposal whose solve rate is 0 or 1. */
export type ExtremeSolveRateReward = 'paper' | 'reference';

/**
 * Learnability of a proposed task from its estimated solve rate `s` (paper eq. 4):
 * `1 − s` when `0 < s < 1`, else 0 — tasks always or never solved teach nothing.
 */
export function learnabilityReward(solved: number, rollouts: number): number {
  if (!Number.isInteger(rollouts) || rollouts <= 0) throw new RangeError(`rollouts must be a positive integer, got ${rollouts}`);
  if (!Number.isInteger(solved) || solved < 0 || solved > rollouts) throw new RangeError(`solved must be an integer in [0, ${rollouts}], got ${solved}`);
  if (solved === 0 || solved === rollouts) return 0;
  return 1 - solved / rollouts;
}

/** Outcome of one solver answer, as the executor judged it. */
export type SolveOutcome = 'correct' | 'wrong' | 'malformed';

/** Composite solver reward: 1 if right, −0.5 if well-formed but wrong, −1 if malformed. */
export function solverReward(outcome: SolveOutcome): number {
  switch (outcome) {
    case 'correct': return 1;
    case 'wrong': return -0.5;
    case 'malformed': return -1;
  }
}

/** Outcome of one proposal: malformed or invalid (rejected by the executor), or valid with a solve count. */
export type ProposeOutcome =
  | { kind: 'malformed' }
  | { kind: 'invalid' }
  | { kind: 'valid'; solved: number; rollouts: number };

/**
 * Composite proposer reward: −1 for a malformed response or an invalid proposal; a valid one earns its
 * learnability, except that a solve rate of exactly 0 or 1 earns 0 (the paper) or −0.5 (the reference code).
 */
export function proposerReward(outcome: ProposeOutcome, extreme: ExtremeSolveRateReward = 'paper'): number {
  if (outcome.kind !== 'valid') return -1;
  const { solved, rollouts } = outcome;
  const r = learnabilityReward(solved, rollouts);
  if ((solved === 0 || solved === rollouts) && extreme === 'reference') return -0.5;
  return r;
}

/**
 * The composite proposer reward plus the novelty bonus (an extension, not in the paper): a valid
 * proposal earns `bonus × novelty` on top, novelty in [0, 1] (see operationNovelty in program.ts).
 */
export function proposerRewardWithNovelty(outcome: ProposeOutcome, extreme: ExtremeSolveRateReward, bonus: number, novelty: number): number {
  const r = proposerReward(outcome, extreme);
  return outcome.kind === 'valid' ? r + bonus * novelty : r;
}
