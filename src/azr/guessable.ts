// Tasks a constant guess solves. A deduction task whose output is 0 is passed by a solver that writes 0
// to everything, and so rewards the answer prior instead of reading the program (README, "Why: the
// solver learns a favourite answer"). The held-out suite avoids such outputs when a program allows
// (eval-suite.ts); with `rejectGuessable` self-play refuses them as proposals too.
import type { IoPair } from './buffers';

/** Outputs a constant guess would often hit (canonical JSON, so `-0` is `0`). */
export const EMPTYISH_OUTPUTS: ReadonlySet<string> = new Set(['0', '-1', '[]', '""']);

/** Fewest distinct outputs an induction task's pairs take for them to say something about the function. */
export const MIN_INDUCTION_OUTPUTS = 3;

/** Why a deduction/abduction triplet with this output is guessable, or undefined if it is not. */
export function guessableOutput(output: string): string | undefined {
  return EMPTYISH_OUTPUTS.has(output) ? `the output ${output} is what a constant guess writes` : undefined;
}

/** Why an induction task with these pairs is guessable, or undefined if it is not. */
export function guessableInduction(pairs: readonly IoPair[]): string | undefined {
  const distinct = new Set(pairs.map((q) => q.output)).size;
  return distinct < MIN_INDUCTION_OUTPUTS
    ? `its outputs take ${distinct} value${distinct === 1 ? '' : 's'}, fewer than ${MIN_INDUCTION_OUTPUTS}`
    : undefined;
}
