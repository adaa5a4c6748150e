// Scoring a policy on an eval suite: for every task, one greedy answer and k sampled answers
// (temperature 1), prompts from src/azr/prompts.ts (solvePrompt), responses parsed as in self-play
// (parseAnswer) and checked by the executor as data (checkAnswers). A response that does not parse
// counts as wrong. pass@1 is the mean over tasks of the share of the k samples that are correct.
import { splitInductionPairs, type InductionTask, type Triplet } from '../azr/buffers';
import { CONFIG_SPECS, TASK_TYPES, type TaskType } from '../azr/config';
import type { GenerationOptions, GenerationRequest, Policy } from '../azr/policy';
import { functionArity } from '../azr/program';
import { parseAnswer, RESPONSE_KIND, solvePrompt } from '../azr/prompts';
import { checkAnswers, type CheckRequest } from '../sandbox/check';
import type { Executor } from '../sandbox/types';
import type { EvalTask } from './eval-suite';

export interface EvaluateOptions {
  /** Sampled answers per task for pass@1 (default 4). */
  samples?: number;
  seed?: number;
  /** Grammar-constrained decoding (default true). */
  constrained?: boolean;
  /** Response caps (defaults: self-play's, 96 for programs and 40 for answers). */
  maxProgramTokens?: number;
  maxAnswerTokens?: number;
  /** Tasks per generation call (default 32). */
  batch?: number;
}

export interface TaskResult {
  id: string;
  type: TaskType;
  greedy: boolean;
  /** Correct sampled answers, out of `samples`. */
  correct: number;
  samples: number;
  greedyAnswer: string;
  /** Why the greedy answer was wrong: a parse failure or the checker's reason. */
  greedyReason?: string;
}

export interface TypeScore {
  count: number;
  pass1: number;
  greedy: number;
  /**
   * Share of the tasks whose greedy answer is the single most common greedy answer of the type: near 1
   * means the model writes one favourite answer (0, [], 'a') whatever the program — a guesser, whose
   * accuracy is that answer's share of the suite, not reasoning.
   */
  greedyModeShare: number;
}
export type EvalSummary = { tasks: number } & Record<TaskType, TypeScore>;

function asTask(t: EvalTask): { type: TaskType; task: Triplet | InductionTask } {
  switch (t.type) {
    case 'deduction': return { type: t.type, task: { program: t.program, input: t.input, output: '' } };
    case 'abduction': return { type: t.type, task: { program: t.program, input: '', output: t.output } };
    case 'induction': return { type: t.type, task: { program: '', pairs: t.pairs, shown: splitInductionPairs(t.pairs).shown.length, message: t.message ?? '' } };
  }
}

function checkRequest(t: EvalTask, answer: string): CheckRequest {
  switch (t.type) {
    case 'deduction': return { type: 'deduction', program: t.program, input: t.input, answer };
    case 'abduction': return { type: 'abduction', program: t.program, output: t.output, answer };
    case 'induction': return { type: 'induction', pairs: splitInductionPairs(t.pairs).heldOut, answer };
  }
}

/** Checks responses; returns per response whether it is correct, and why not. */
async function judge(executor: Executor, tasks: readonly EvalTask[], texts: readonly string[]): Promise<{ correct: boolean; reason?: string }[]> {
  const out: { correct: boolean; reason?: string }[] = texts.map(() => ({ correct: false }));
  const requests: CheckRequest[] = [];
  const index: number[] = [];
  texts.forEach((text, i) => {
    const parsed = parseAnswer(text);
    if (!parsed.ok) { out[i].reason = `malformed: ${parsed.reason}`; return; }
    requests.push(checkRequest(tasks[i], parsed.value));
    index.push(i);
  });
  const results = await checkAnswers(executor, requests);
  results.forEach((r, j) => { out[index[j]] = r.correct ? { correct: true } : { correct: false, reason: r.reason }; });
  return out;
}

export async function evaluate(policy: Policy, executor: Executor, tasks: readonly EvalTask[], options: EvaluateOptions = {}): Promise<{ summary: EvalSummary; perTask: TaskResult[] }> {
  const o = {
    samples: 4, seed: 0, constrained: true, batch: 32,
    maxProgramTokens: CONFIG_SPECS.maxProgramTokens.default, maxAnswerTokens: CONFIG_SPECS.maxAnswerTokens.default, ...options,
  };
  const perTask: TaskResult[] = [];
  for (let start = 0; start < tasks.length; start += o.batch) {
    const chunk = tasks.slice(start, start + o.batch);
    const requests: GenerationRequest[] = chunk.map((t) => {
      const { type, task } = asTask(t);
      const kind = RESPONSE_KIND.solve[type];
      return {
        prompt: solvePrompt(type, task),
        kind,
        maxTokens: kind === 'program' ? o.maxProgramTokens : o.maxAnswerTokens,
        arity: t.type === 'abduction' ? functionArity(t.program) : undefined,
      };
    });
    const base: Omit<GenerationOptions, 'seed'> = { temperature: 1, topK: 0, constrained: o.constrained };
    const chunkSeed = o.seed * 1_000_003 + start;
    const greedy = await policy.generate(requests, { ...base, greedy: true, seed: chunkSeed });
    const greedyJudged = await judge(executor, chunk, greedy.map((g) => g.text));
    const correct = chunk.map(() => 0);
    for (let j = 0; j < o.samples; j++) {
      const sampled = await policy.generate(requests, { ...base, seed: chunkSeed + 7 * (j + 1) });
      (await judge(executor, chunk, sampled.map((g) => g.text))).forEach((r, i) => { if (r.correct) correct[i]++; });
    }
    chunk.forEach((t, i) => perTask.push({
      id: t.id, type: t.type, greedy: greedyJudged[i].correct, correct: correct[i], samples: o.samples,
      greedyAnswer: greedy[i].text, ...(greedyJudged[i].reason ? { greedyReason: greedyJudged[i].reason } : {}),
    }));
  }
  return { summary: summarize(perTask), perTask };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/** How often the most common item occurs. */
function modeCount(items: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return Math.max(0, ...counts.values());
}

export function summarize(perTask: readonly TaskResult[]): EvalSummary {
  const summary = { tasks: perTask.length } as EvalSummary;
  for (const type of TASK_TYPES) {
    const mine = perTask.filter((r) => r.type === type);
    const n = mine.length;
    summary[type] = {
      count: n,
      pass1: n ? round(mine.reduce((s, r) => s + (r.samples ? r.correct / r.samples : 0), 0) / n) : 0,
      greedy: n ? round(mine.filter((r) => r.greedy).length / n) : 0,
      greedyModeShare: n ? round(modeCount(mine.map((r) => r.greedyAnswer)) / n) : 0,
    };
  }
  return summary;
}
