// The proof's runs: full AZR from the base and the paper's ablations, each as config overrides on one
// shared recipe, so a variant differs from full AZR by exactly its switch (AZR.md "Ablations").

export interface ProofVariant {
  name: string;
  label: string;
  /** Overrides on top of PROOF_RECIPE.overrides. */
  overrides: string[];
  /** The paper's AZR-Base-7B code/math average for this setting, where it reports one (AZR.md). */
  paper?: number;
  /** Extra selfplay flags beyond `--set` overrides. */
  flags?: string[];
}

export const PROOF_RECIPE = {
  steps: 60,
  backend: 'wasm',
  /** Shared by every variant: the RL learning rate and the reference code's −0.5 for trivial/impossible tasks. */
  overrides: ['learningRate=1e-4', 'extremeSolveRate=reference'],
  evalSamples: 4,
  evalSeed: 0,
  tasks: 'eval/heldout.jsonl',
} as const;

export const PROOF_VARIANTS: readonly ProofVariant[] = [
  { name: 'full', label: 'full AZR', overrides: [], paper: 46.8 },
  { name: 'solver-only', label: 'solver only (proposer frozen)', overrides: ['solverOnly=true'], paper: 45.4 },
  // Ours, not the paper's: the proposer also earns λ = 0.5 × its programs' operation novelty.
  { name: 'full-novelty', label: 'full AZR + novelty bonus λ = 0.5 (ours)', overrides: ['noveltyBonus=0.5'] },
  // Control, not a paper ablation: the update's loss is a token-level mean over all trained trajectories,
  // and proposer responses are ≈ 3/4 of the tokens, so with the proposer out of the update the solver's
  // gradient is ≈ 4× larger at the same learning rate. This run matches the solver's effective step.
  { name: 'solver-only-matched', label: 'solver only, learning rate ÷ 4 (matched solver step)', overrides: ['solverOnly=true', 'learningRate=2.5e-5'] },
  { name: 'deduction-only', label: 'deduction only', overrides: ['abduction=false', 'induction=false'], paper: 43.3 },
  { name: 'no-induction', label: 'without induction', overrides: ['induction=false'], paper: 43.8 },
  { name: 'k0', label: 'no references (K = 0)', overrides: ['references=0'], paper: 43.8 },
  { name: 'global-baseline', label: 'one global baseline (not TRR++)', overrides: ['baseline=global'] },
  { name: 'unconstrained', label: 'constrained decoding off', overrides: ['constrained=false'] },
  // Diagnostic, not AZR: the solver trains on fresh tasks of the pretraining generator's families instead
  // of the proposer's, with everything else the same. Tells "RL cannot gain at this size" apart from
  // "the proposer's tasks are the wrong curriculum".
  { name: 'generator-tasks', label: 'solver RL on the generator\'s tasks (diagnostic, no proposer)', overrides: [], flags: ['--tasks-from', 'generator'] },
  // Upper bound, not a result: the same on fresh programs of the held-out families (the suite's own
  // programs excluded). What solver RL could gain if self-play proposed the compositions the suite tests.
  { name: 'generator-heldout-tasks', label: 'solver RL on held-out-family tasks (upper bound, no proposer)', overrides: [], flags: ['--tasks-from', 'generator-heldout'] },
  // Ours: full AZR whose proposer is shown fresh generator programs as its references instead of the
  // buffers' (its own earlier tasks), so the curriculum cannot drift through what it is shown.
  // Ours: full AZR whose learnability counts only the solve rate above guessing (rewards.ts), against the
  // collapse the runs above show — proposer and solver co-adapting on tasks whose answer is the solver's
  // favourite constant.
  { name: 'full-guess', label: 'full AZR, learnability above guessing (ours)', overrides: ['guessCorrection=proposer'] },
  // Ours: the same on the solver's side too — a right answer that also solves the batch's other tasks
  // (a favourite constant) earns less.
  { name: 'full-guess-both', label: 'full AZR, guessing discounted for both roles (ours)', overrides: ['guessCorrection=both'] },
  // Ours: full AZR that also trains the solver on the n learnability rollouts of every new task, each
  // credited against the task's other answers (leave-one-out): 4× the solver's data, and a task every
  // answer passes teaches nothing; then the same with guessing discounted for both roles.
  { name: 'full-rollouts', label: 'full AZR, trained on the rollouts too (ours)', overrides: ['trainRollouts=true'] },
  { name: 'full-rollouts-guess', label: 'full AZR, rollouts trained and guessing discounted (ours)', overrides: ['trainRollouts=true', 'guessCorrection=both'] },
  // Ours: the two that held the policy nearest the base together — the KL penalty to the base (β = 0.2)
  // and guessing discounted for both roles.
  { name: 'full-kl-guess', label: 'full AZR, KL β = 0.2 and guessing discounted (ours)', overrides: ['klCoef=0.2', 'guessCorrection=both'] },
  // Ours: against the solver's collapse onto one favourite answer, a tenfold entropy bonus (0.01 instead
  // of 0.001) with guessing discounted for both roles, instead of holding the policy near the base by KL.
  { name: 'full-entropy-guess', label: 'full AZR, entropy bonus 0.01 and guessing discounted (ours)', overrides: ['entropyCoef=0.01', 'guessCorrection=both'] },
  // Ours: the KL hold with the guess discount, and guessable tasks refused at validation (output 0, -1,
  // [] or "", or induction outputs of fewer than 3 values), so the answer prior earns nothing anywhere.
  { name: 'full-kl-guess-refuse', label: 'full AZR, KL β = 0.2, guessing discounted, guessable tasks refused (ours)', overrides: ['klCoef=0.2', 'guessCorrection=both', 'rejectGuessable=true'] },
  { name: 'full-generator-refs', label: 'full AZR, references from the generator (ours)', overrides: [], flags: ['--references-from', 'generator'] },
];

export function proofVariant(name: string): ProofVariant | undefined {
  return PROOF_VARIANTS.find((v) => v.name === name);
}

/** Folder of one run under the proof's output folder. */
export function runDirName(variant: string, seed: number): string {
  return `${variant}-s${seed}`;
}
