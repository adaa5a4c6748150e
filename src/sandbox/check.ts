/**
 * Batched validation and answer checking, shared by the CLI and the self-play core. Answers are data:
 * parsed here by the strict literal parser (never evaluated), compared by canonical text against
 * outputs that the sandbox computed and serialised. Each call makes one `runBatch` round trip.
 */
import { canonical, parseArgList, parseLiteral } from './literal';
import type { Executor, RunRequest, Verdict, VerdictReason } from './types';

export type CheckRequest =
  /** `answer` is a literal: the predicted output of `f(...input)`. */
  | { type: 'deduction'; program: string; input: string; answer: string }
  /** `answer` is an argument list; correct when `f(...answer)` equals `output` (any input that works). */
  | { type: 'abduction'; program: string; output: string; answer: string }
  /** `answer` is a program; correct when it is valid and maps every pair's input to its output. */
  | { type: 'induction'; pairs: { input: string; output: string }[]; answer: string };

export type CheckReason = 'wrong-answer' | 'answer-syntax' | VerdictReason;

export interface CheckResult {
  correct: boolean;
  /** Why not: a wrong answer, an answer that is not a literal, or the executor's reason for the run that failed. */
  reason?: CheckReason;
  message?: string;
}

/** Validates proposed (program, input) pairs: one verdict each, in order. */
export function validateProposals(executor: Executor, items: RunRequest[]): Promise<Verdict[]> {
  return executor.runBatch(items.map(({ program, input }) => ({ program, input })));
}

/** What one check needs from the batch: the runs it added, and how to judge their verdicts. */
type Plan = CheckResult | { first: number; expected: string[] };

export async function checkAnswers(executor: Executor, items: CheckRequest[]): Promise<CheckResult[]> {
  const runs: RunRequest[] = [];
  const plans = items.map((item) => plan(item, runs));
  // A run is a pure function of (program, input) — validation rejects programs whose two runs disagree —
  // so each distinct pair runs once: every answer to one deduction task is judged against one run of
  // its program, and a solver that repeats a favourite answer costs one run per task it tries it on.
  const distinct = new Map<string, number>();
  const unique: RunRequest[] = [];
  const slot = runs.map((r) => {
    const key = `${r.program}\u0000${r.input}`;
    let at = distinct.get(key);
    if (at === undefined) {
      at = unique.push(r) - 1;
      distinct.set(key, at);
    }
    return at;
  });
  const uniqueVerdicts = unique.length > 0 ? await executor.runBatch(unique) : [];
  const verdicts = slot.map((at) => uniqueVerdicts[at]);
  return plans.map((p) => ('correct' in p ? p : judge(verdicts.slice(p.first, p.first + p.expected.length), p.expected)));
}

function plan(item: CheckRequest, runs: RunRequest[]): Plan {
  const add = (requests: RunRequest[], expected: string[]): Plan => {
    const first = runs.length;
    runs.push(...requests);
    return { first, expected };
  };
  if (typeof item?.answer !== 'string') return answerSyntax('the answer must be a string');
  switch (item.type) {
    case 'deduction': {
      const answer = parseLiteral(item.answer);
      if (!answer.ok) return answerSyntax(`the answer is not a literal: ${answer.message}`);
      return add([{ program: item.program, input: item.input }], [canonical(answer.value)]);
    }
    case 'abduction': {
      const output = parseLiteral(item.output);
      if (!output.ok) return badTask(`the task's output is not a literal: ${output.message}`);
      const answer = parseArgList(item.answer);
      if (!answer.ok) return answerSyntax(`the answer is not a list of literals: ${answer.message}`);
      return add([{ program: item.program, input: item.answer }], [canonical(output.value)]);
    }
    case 'induction': {
      if (!Array.isArray(item.pairs) || item.pairs.length === 0) return badTask('an induction task needs at least one pair');
      const expected: string[] = [];
      for (const [i, pair] of item.pairs.entries()) {
        const input = parseArgList(pair?.input);
        if (!input.ok) return badTask(`pair ${i}'s input is not a list of literals: ${input.message}`);
        const output = parseLiteral(pair.output);
        if (!output.ok) return badTask(`pair ${i}'s output is not a literal: ${output.message}`);
        expected.push(canonical(output.value));
      }
      return add(
        item.pairs.map((pair) => ({ program: item.answer, input: pair.input })),
        expected,
      );
    }
    default:
      return badTask(`unknown task type ${JSON.stringify((item as { type?: unknown })?.type)}`);
  }
}

function judge(verdicts: Verdict[], expected: string[]): CheckResult {
  for (const [i, verdict] of verdicts.entries()) {
    if (!verdict.ok) return { correct: false, reason: verdict.reason, message: verdict.message };
    if (verdict.output !== expected[i]) {
      const which = expected.length > 1 ? ` on pair ${i}` : '';
      return { correct: false, reason: 'wrong-answer', message: `got ${clip(verdict.output)}${which}, expected ${clip(expected[i])}` };
    }
  }
  return { correct: true };
}

function answerSyntax(message: string): CheckResult {
  return { correct: false, reason: 'answer-syntax', message };
}

/** The task itself (not the answer) is malformed: its literals are what the executor calls `syntax`. */
function badTask(message: string): CheckResult {
  return { correct: false, reason: 'syntax', message };
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
