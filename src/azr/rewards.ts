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

/**
 * Learnability above guessing (ours, not the paper's): the solve rate `s` of a task corrected for the
 * rate `q` at which answers written for *other* tasks of the step would also solve it, as chance-corrected
 * agreement is (Cohen's κ): `s' = (s − q) / (1 − q)`, clipped to [0, 1]. A solver that answers `0` to
 * everything "solves" every task whose output is 0; without the correction such tasks earn the proposer
 * learnability, it writes more of them, the solver's guess pays more, and the pair co-adapts into a
 * collapse that teaches nothing (README, The proof). With `q = 0` this is `s`.
 */
export function solveRateAboveGuessing(solved: number, rollouts: number, guessRate: number): number {
  if (!(guessRate >= 0 && guessRate <= 1)) throw new RangeError(`guessRate must be in [0, 1], got ${guessRate}`);
  const s = solved / rollouts;
  if (guessRate >= 1) return 0;
  return Math.min(1, Math.max(0, (s - guessRate) / (1 - guessRate)));
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
  | { kind: 'valid'; solved: number; rollouts: number; guessRate?: number };

/**
 * The solver's composite reward with guessing discounted (ours): a right answer earns 1 − g, where g is
 * the share of the batch's other tasks of its type that the same answer also solves — `0` written for a
 * task whose output is 0 earns little when half the batch's outputs are 0. Wrong and malformed as usual.
 */
export function solverRewardAboveGuessing(outcome: SolveOutcome, guessRate: number): number {
  if (!(guessRate >= 0 && guessRate <= 1)) throw new RangeError(`guessRate must be in [0, 1], got ${guessRate}`);
  return outcome === 'correct' ? 1 - guessRate : solverReward(outcome);
}

/**
 * Composite proposer reward: −1 for a malformed response or an invalid proposal; a valid one earns its
 * learnability, except that a solve rate of exactly 0 or 1 earns 0 (the paper) or −0.5 (the reference code).
 */
export function proposerReward(outcome: ProposeOutcome, extreme: ExtremeSolveRateReward = 'paper'): number {
  if (outcome.kind !== 'valid') return -1;
  const { solved, rollouts, guessRate } = outcome;
  if (guessRate !== undefined) {
    // Learnability of the solve rate above guessing: 1 − s' inside (0, 1), the extreme reward at 0 or 1.
    learnabilityReward(solved, rollouts); // validates the counts
    const s = solveRateAboveGuessing(solved, rollouts, guessRate);
    if (s <= 0 || s >= 1) return extreme === 'reference' ? -0.5 : 0;
    return 1 - s;
  }
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
