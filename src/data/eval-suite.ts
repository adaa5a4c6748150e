// The held-out evaluation suite: tasks from the HELD-OUT families only (families.ts), in the `check`
// format without answers, spread evenly over the families within each task type. Every program is
// used once in the whole suite. Induction tasks carry all their pairs; as in self-play, the first half
// (splitInductionPairs) is shown with the message and the second half is held out for checking; their
// outputs take at least three values. Deduction and abduction tasks take a pair whose output is not
// empty-ish (0, -1, [], "") when the program has one, so a constant guess scores little.
import type { IoPair } from '../azr/buffers';
import { TASK_TYPES, type TaskType } from '../azr/config';
import { guessableInduction, guessableOutput } from '../azr/guessable';
import { functionArity } from '../azr/program';
import { solvePrompt } from '../azr/prompts';
import type { Rng } from '../azr/rng';
import { acceptedBy } from './constraints';
import { familiesOf, type Split } from './families';
import { generatePrograms, type Encode, type Labeller, type LabelledProgram } from './generate';
import { pick } from './rand';

export type EvalTask =
  | { id: string; type: 'deduction'; program: string; input: string }
  | { id: string; type: 'abduction'; program: string; output: string }
  | { id: string; type: 'induction'; pairs: IoPair[]; message: string };

export interface SuiteOptions {
  label: Labeller;
  encode: Encode;
  /** Tasks per task type (default 120: 11 held-out families, 10–11 tasks each). */
  perType?: number;
  /** Pairs per induction task (default 8: 4 shown, 4 held out). */
  inductionPairs?: number;
  /** Every solve prompt plus its response cap fits this context (default 512, the default model's). */
  contextLength?: number;
  /** Response caps, as self-play's defaults: programs 96 tokens, answers 40. */
  maxProgramTokens?: number;
  maxAnswerTokens?: number;
  /**
   * Which families the programs come from: 'heldout' (default) for the held-out suite; 'train' for an
   * in-distribution diagnostic suite — fresh programs of the families pretraining draws from, which shows
   * whether a change helps where the model was trained even when it does not transfer.
   */
  split?: Split;
  /** Filled with every program text the builder drew (a superset of the suite's programs). */
  seen?: Set<string>;
}

/** The seed the committed held-out suite (eval/heldout.jsonl) was generated with. */
export const EVAL_SEED = 20250601;

/** The family a suite task came from (its id is `type-family-nn`). */
export function familyOfTask(id: string): string {
  return id.split('-').slice(1, -1).join('-');
}

/** One of a program's pairs for a deduction or abduction task: one whose output is not empty-ish if it has one. */
export function tellingPair(rng: Rng, pairs: readonly IoPair[]): IoPair {
  const telling = pairs.filter((q) => !guessableOutput(q.output));
  return pick(rng, telling.length > 0 ? telling : pairs);
}

function taskFrom(rng: Rng, type: TaskType, p: LabelledProgram, id: string, inductionPairs: number): EvalTask {
  if (type === 'induction') return { id, type, pairs: p.pairs.slice(0, inductionPairs), message: p.message };
  const pair = tellingPair(rng, p.pairs);
  return type === 'deduction' ? { id, type, program: p.program, input: pair.input } : { id, type, program: p.program, output: pair.output };
}

/** Whether a task's prompt and response fit the context, and an induction task's pairs are informative. */
function fits(type: TaskType, p: LabelledProgram, task: EvalTask, o: Required<Omit<SuiteOptions, 'label' | 'seen'>>): boolean {
  const tokens = (s: string) => o.encode(s).length;
  if (task.type === 'induction') {
    // Enough variety in the outputs that the pairs say something about the function.
    if (guessableInduction(task.pairs)) return false;
    const shown = Math.ceil(task.pairs.length / 2);
    const prompt = solvePrompt('induction', { program: p.program, pairs: task.pairs, shown, message: task.message });
    return tokens(prompt) + o.maxProgramTokens <= o.contextLength && acceptedBy('program', `${p.program}<eos>`, o.maxProgramTokens).ok;
  }
  const pair = p.pairs.find((q) => (task.type === 'deduction' ? q.input === task.input : q.output === task.output));
  if (!pair) return false;
  const prompt = solvePrompt(type, { program: p.program, input: pair.input, output: pair.output });
  return tokens(prompt) + o.maxAnswerTokens <= o.contextLength;
}

/** Builds the suite. Deterministic for a seed and executor. */
export async function buildEvalSuite(rng: Rng, options: SuiteOptions): Promise<EvalTask[]> {
  const o = { perType: 120, inductionPairs: 8, contextLength: 512, maxProgramTokens: 96, maxAnswerTokens: 40, split: 'heldout' as Split, ...options };
  const families = familiesOf(o.split);
  const seen = options.seen ?? new Set<string>();
  const tasks: EvalTask[] = [];
  for (const type of TASK_TYPES) {
    // A family that cannot make a task of this type (a train family of boolean outputs has no induction
    // task with three distinct outputs) hands its share to the next one; no held-out family needs to.
    let carried = 0;
    for (let f = 0; f < families.length; f++) {
      const need = Math.floor(o.perType / families.length) + (f < o.perType % families.length ? 1 : 0) + carried;
      const family = families[f];
      const frng = rng.fork(`${type}/${family.name}`);
      let made = 0;
      try {
        while (made < need) {
          const { programs } = await generatePrograms(frng, need - made, {
            split: o.split, families: [family], label: o.label, encode: o.encode, seen,
            minPairs: type === 'induction' ? o.inductionPairs : 4, inputsPerProgram: type === 'induction' ? 12 : 10,
          });
          for (const p of programs) {
            const id = `${type}-${family.name}-${String(made + 1).padStart(2, '0')}`;
            const task = taskFrom(frng, type, p, id, o.inductionPairs);
            if (!fits(type, p, task, o) || functionArity(p.program) === undefined) continue;
            tasks.push(task);
            made++;
          }
        }
      } catch (error) {
        if (f === families.length - 1) throw error;
      }
      carried = need - made;
    }
  }
  return tasks;
}

/** One JSON object per line, keys in the `check` format's order. */
export function toJsonl(tasks: readonly EvalTask[]): string {
  return tasks.map((t) => JSON.stringify(t)).join('\n') + '\n';
}

/** Reads a suite file's text; throws with the line number on a malformed task. */
export function parseSuite(text: string): EvalTask[] {
  const tasks: EvalTask[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let t: Record<string, unknown>;
    try { t = JSON.parse(line) as Record<string, unknown>; } catch { throw new Error(`line ${i + 1}: not JSON`); }
    const str = (k: string) => typeof t[k] === 'string';
    const ok = str('id') && (
      (t.type === 'deduction' && str('program') && str('input'))
      || (t.type === 'abduction' && str('program') && str('output'))
      || (t.type === 'induction' && Array.isArray(t.pairs) && t.pairs.length >= 2
        && (t.pairs as unknown[]).every((p) => typeof (p as IoPair)?.input === 'string' && typeof (p as IoPair)?.output === 'string')
        && (t.message === undefined || str('message'))));
    if (!ok) throw new Error(`line ${i + 1}: not a deduction, abduction or induction task in the check format`);
    tasks.push(t as unknown as EvalTask);
  });
  return tasks;
}
