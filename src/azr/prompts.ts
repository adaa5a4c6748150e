// The six prompt layouts (propose × 3, solve × 3), written once: pretraining, self-play and evaluation
// all build their sequences here. A prompt is text with special tokens (`<name>`) that the tokenizer
// maps to single ids; the model's response follows it and ends with `<eos>`.
//
//   propose deduction  <bos><propose><deduction>{<ref><program>P<input>I<output>O}×K<program>  →  P<input>I<eos>
//   propose abduction  <bos><propose><abduction>{<ref><program>P<input>I<output>O}×K<program>  →  P<input>I<eos>
//   propose induction  <bos><propose><induction><program>P<input>                           →  I1<sep>I2…<sep>IN<message>M<eos>
//   solve deduction    <bos><solve><deduction><program>P<input>I<output>                    →  O<eos>
//   solve abduction    <bos><solve><abduction><program>P<output>O<input>                    →  I<eos>
//   solve induction    <bos><solve><induction><message>M{<input>I<output>O}×shown<program>   →  P<eos>
//
// P is a program (`function f(…) { … }`), I an argument list as written between a call's parentheses,
// O a value literal (canonical JSON), M a short lowercase message. References that would overflow the
// context are dropped, newest kept, so the response always has its full length budget.

import type { InductionTask, IoPair, Triplet } from './buffers';
import type { TaskType } from './config';

export type Encode = (text: string) => number[];

/** What a response must look like: the grammar that constrains it and the parser that reads it. */
export type ResponseKind = 'triplet' | 'induction' | 'value' | 'args' | 'program';

export const RESPONSE_KIND: Record<'propose' | 'solve', Record<TaskType, ResponseKind>> = {
  propose: { deduction: 'triplet', abduction: 'triplet', induction: 'induction' },
  solve: { deduction: 'value', abduction: 'args', induction: 'program' },
};

function reference(t: Triplet): string {
  return `<ref><program>${t.program}<input>${t.input}<output>${t.output}`;
}

/** Proposer prompt for deduction or abduction, with as many of `refs` as fit in `budget` tokens. */
export function proposeTripletPrompt(type: 'deduction' | 'abduction', refs: readonly Triplet[], encode: Encode, budget: number): { text: string; ids: number[]; refsUsed: number } {
  const head = `<bos><propose><${type}>`;
  const tail = '<program>';
  let kept = refs.slice();
  for (;;) {
    const text = head + kept.map(reference).join('') + tail;
    const ids = encode(text);
    if (ids.length <= budget || kept.length === 0) return { text, ids, refsUsed: kept.length };
    kept = kept.slice(1);
  }
}

export function proposeInductionPrompt(program: string): string {
  return `<bos><propose><induction><program>${program}<input>`;
}

export function solveDeductionPrompt(t: Triplet): string {
  return `<bos><solve><deduction><program>${t.program}<input>${t.input}<output>`;
}

export function solveAbductionPrompt(t: Triplet): string {
  return `<bos><solve><abduction><program>${t.program}<output>${t.output}<input>`;
}

export function solveInductionPrompt(message: string, shown: readonly IoPair[]): string {
  return `<bos><solve><induction><message>${message}${shown.map((p) => `<input>${p.input}<output>${p.output}`).join('')}<program>`;
}

export function solvePrompt(type: TaskType, task: Triplet | InductionTask): string {
  switch (type) {
    case 'deduction': return solveDeductionPrompt(task as Triplet);
    case 'abduction': return solveAbductionPrompt(task as Triplet);
    case 'induction': {
      const t = task as InductionTask;
      return solveInductionPrompt(t.message, t.pairs.slice(0, t.shown));
    }
  }
}

/** The expected response text (with its end token) for a task, as pretraining teaches it. */
export function solveTarget(type: TaskType, task: Triplet | InductionTask): string {
  switch (type) {
    case 'deduction': return `${(task as Triplet).output}<eos>`;
    case 'abduction': return `${(task as Triplet).input}<eos>`;
    case 'induction': return `${(task as InductionTask).program}<eos>`;
  }
}

export function proposeTripletTarget(t: Triplet): string {
  return `${t.program}<input>${t.input}<eos>`;
}

export function proposeInductionTarget(inputs: readonly string[], message: string): string {
  return `${inputs.join('<sep>')}<message>${message}<eos>`;
}

// ---- Reading responses -----------------------------------------------------------------------------

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

function stripEnd(text: string): Parsed<string> {
  const end = text.indexOf('<eos>');
  if (end < 0) return { ok: false, reason: 'no end token (length cap reached)' };
  if (end !== text.length - 5) return { ok: false, reason: 'text after the end token' };
  return { ok: true, value: text.slice(0, end) };
}

// The special tokens as the tokenizer renders them; none of these names is in the program vocabulary.
const SPECIAL = /<(pad|bos|eos|sep|ref|program|input|output|message|pairs|answer|propose|solve|deduction|abduction|induction)>/;

/** A proposed deduction/abduction task: `P<input>I<eos>`. */
export function parseTripletProposal(response: string): Parsed<{ program: string; input: string }> {
  const body = stripEnd(response);
  if (!body.ok) return body;
  const parts = body.value.split('<input>');
  if (parts.length !== 2) return { ok: false, reason: 'expected one <input> separator' };
  const [program, input] = parts;
  if (SPECIAL.test(program) || SPECIAL.test(input)) return { ok: false, reason: 'stray special token' };
  if (!program.trim() || !input.trim()) return { ok: false, reason: 'empty program or input' };
  return { ok: true, value: { program, input } };
}

/** A proposed induction input set: `I1<sep>…<sep>IN<message>M<eos>`, exactly `n` inputs. */
export function parseInductionProposal(response: string, n: number): Parsed<{ inputs: string[]; message: string }> {
  const body = stripEnd(response);
  if (!body.ok) return body;
  const parts = body.value.split('<message>');
  if (parts.length !== 2) return { ok: false, reason: 'expected one <message> separator' };
  const inputs = parts[0].split('<sep>');
  const message = parts[1];
  if (inputs.length !== n) return { ok: false, reason: `expected ${n} inputs, got ${inputs.length}` };
  if (inputs.some((i) => !i.trim() || SPECIAL.test(i)) || SPECIAL.test(message)) return { ok: false, reason: 'empty input or stray special token' };
  return { ok: true, value: { inputs, message: message.trim() } };
}

/** A solver answer: a value (deduction), an argument list (abduction) or a program (induction). */
export function parseAnswer(response: string): Parsed<string> {
  const body = stripEnd(response);
  if (!body.ok) return body;
  if (SPECIAL.test(body.value)) return { ok: false, reason: 'stray special token' };
  if (!body.value.trim()) return { ok: false, reason: 'empty answer' };
  return { ok: true, value: body.value };
}
