// Tasks written by the pretraining generator instead of the proposer: a diagnostic for the proof
// (README, "Solver RL on the generator's tasks"). With it, self-play's solver trains on fresh programs of
// the families its base was pretrained on, labelled by the executor, so a run tells "RL on a 0.9 M model
// cannot gain here" apart from "the proposer's tasks are the wrong curriculum". The proposer is not used.
import { splitInductionPairs, type InductionTask, type Triplet } from '../azr/buffers';
import type { TaskType } from '../azr/config';
import { functionArity } from '../azr/program';
import { solvePrompt } from '../azr/prompts';
import type { Rng } from '../azr/rng';
import type { TaskWriter } from '../azr/selfplay';
import { acceptedBy } from './constraints';
import { tellingPair } from './eval-suite';
import type { Split } from './families';
import { generatePrograms, type Encode, type Labeller, type LabelledProgram } from './generate';

export interface GeneratorTaskOptions {
  label: Labeller;
  encode: Encode;
  /** Which families the programs come from (default 'train', the pretraining families). */
  split?: Split;
  /** Program texts never to write (e.g. the held-out suite's, when `split` is 'heldout'). */
  exclude?: ReadonlySet<string>;
  /** Pairs of an induction task, as self-play's `inductionInputs`: the first half shown, the rest held out. */
  inductionInputs: number;
  contextLength: number;
  maxProgramTokens: number;
  maxAnswerTokens: number;
}

/** One task from a labelled program, or undefined when its prompt or answer would not fit. */
export function taskFromProgram(rng: Rng, type: TaskType, p: LabelledProgram, o: GeneratorTaskOptions): Triplet | InductionTask | undefined {
  if (functionArity(p.program) === undefined) return undefined;
  const fitsWith = (prompt: string, cap: number) => o.encode(prompt).length + cap <= o.contextLength;
  if (type === 'induction') {
    const pairs = p.pairs.slice(0, o.inductionInputs);
    if (pairs.length < o.inductionInputs || new Set(pairs.map((q) => q.output)).size < 2) return undefined;
    const task: InductionTask = { program: p.program, pairs, shown: splitInductionPairs(pairs).shown.length, message: p.message };
    if (!fitsWith(solvePrompt('induction', task), o.maxProgramTokens)) return undefined;
    return acceptedBy('program', `${p.program}<eos>`, o.maxProgramTokens).ok ? task : undefined;
  }
  const pair = tellingPair(rng, p.pairs);
  const task: Triplet = { program: p.program, input: pair.input, output: pair.output };
  return fitsWith(solvePrompt(type, task), o.maxAnswerTokens) ? task : undefined;
}

/** A task writer over the generator's families; deterministic for an rng and executor. */
export function generatorTasks(rng: Rng, options: GeneratorTaskOptions): TaskWriter {
  const seen = new Set<string>(options.exclude);
  return async (type, count) => {
    const tasks: (Triplet | InductionTask)[] = [];
    for (let tries = 0; tasks.length < count; tries++) {
      if (tries > 20) throw new Error(`generator tasks: could not write ${count} ${type} tasks that fit`);
      const { programs } = await generatePrograms(rng, count - tasks.length, {
        split: options.split ?? 'train', label: options.label, encode: options.encode, seen,
        minPairs: type === 'induction' ? options.inductionInputs : 4, inputsPerProgram: type === 'induction' ? 12 : 10,
      });
      for (const p of programs) {
        const task = taskFromProgram(rng, type, p, options);
        if (task && tasks.length < count) tasks.push(task);
      }
    }
    return tasks;
  };
}
