// From family sketches to labelled programs: render each sketch, draw distinct small inputs, run them
// through the executor (the caller passes `validateProposals` over a real executor), and keep only the
// pairs whose input and output are short plain values. A program is kept when enough of its inputs run.
import type { IoPair } from '../azr/buffers';
import type { Rng } from '../azr/rng';
import { renderFunction } from './code';
import { acceptedBy } from './constraints';
import { familiesOf, type Family, type Split } from './families';
import { weighted } from './rand';
import { drawArgs } from './values';

/** What the executor says about one run: `validateProposals`'s verdict, as far as we read it. */
export type RunVerdict = { ok: true; output: string } | { ok: false; reason: string; message?: string };
export type Labeller = (runs: { program: string; input: string }[]) => Promise<RunVerdict[]>;
export type Encode = (text: string) => number[];

export interface LabelledProgram {
  family: string;
  split: Split;
  program: string;
  message: string;
  /** Distinct inputs with their executor-computed (canonical) outputs, in drawing order. */
  pairs: IoPair[];
}

export interface GenerateOptions {
  split: Split;
  label: Labeller;
  encode: Encode;
  /** Restrict to these families (default: every family of the split, by weight). */
  families?: readonly Family[];
  /** Distinct inputs drawn per program (default 10). */
  inputsPerProgram?: number;
  /** Fewest valid pairs a program needs to be kept (default 4, enough for an induction task). */
  minPairs?: number;
  /** Token caps: a program (default 80), an input or an output (default 40). */
  maxProgramTokens?: number;
  maxValueTokens?: number;
  /** Programs labelled per executor batch (default 32). */
  batchPrograms?: number;
  /** Program texts to skip (e.g. already generated); new ones are added to it. */
  seen?: Set<string>;
  /**
   * Keep only inputs and outputs that constrained decoding can write (the `args` and `value`
   * grammars), e.g. no string literal longer than the grammar allows (default true).
   */
  checkGrammar?: boolean;
  /** Called after each labelled batch with the number of programs kept so far. */
  onProgress?: (programs: number) => void;
}

export interface GenerateStats {
  /** Sketches drawn, and why some never reached the executor. */
  sketches: number;
  duplicatePrograms: number;
  longPrograms: number;
  /** Executor runs, valid runs, and invalid runs by reason. */
  runs: number;
  valid: number;
  invalid: Record<string, number>;
  /** Valid runs dropped: an output over the token cap; an input or output the grammars refuse. */
  longOutputs: number;
  refusedByGrammar: number;
  /** Programs dropped: too few valid pairs, or the same output for every input. */
  fewPairs: number;
  constant: number;
  kept: number;
}

export function emptyStats(): GenerateStats {
  return { sketches: 0, duplicatePrograms: 0, longPrograms: 0, runs: 0, valid: 0, invalid: {}, longOutputs: 0, refusedByGrammar: 0, fewPairs: 0, constant: 0, kept: 0 };
}

/** Share of executor runs that were valid. */
export function validityRate(s: GenerateStats): number {
  return s.runs === 0 ? 0 : s.valid / s.runs;
}

interface Candidate { family: Family; program: string; message: string; arity: number; inputs: string[] }

/** Draws one sketch and its distinct inputs; undefined when the program is a duplicate or too long. */
function drawCandidate(rng: Rng, family: Family, o: Required<Pick<GenerateOptions, 'encode' | 'inputsPerProgram' | 'maxProgramTokens' | 'maxValueTokens'>>, seen: Set<string>, stats: GenerateStats): Candidate | undefined {
  stats.sketches++;
  const sketch = family.make(rng);
  const program = renderFunction(sketch.params.map((p) => p.name), sketch.body);
  if (seen.has(program)) { stats.duplicatePrograms++; return undefined; }
  if (o.encode(program).length > o.maxProgramTokens) { stats.longPrograms++; return undefined; }
  seen.add(program);
  const inputs = new Set<string>();
  for (let tries = 0; tries < 4 * o.inputsPerProgram && inputs.size < o.inputsPerProgram; tries++) {
    const input = drawArgs(rng, sketch.params);
    if (o.encode(input).length <= o.maxValueTokens) inputs.add(input);
  }
  return { family, program, message: fitMessage(sketch.message, o.encode), arity: sketch.params.length, inputs: [...inputs] };
}

/** Most tokens in an induction message: the message grammar's default cap (src/model/grammar). */
export const MESSAGE_TOKENS = 16;

/** Drops words from the end of a message until it fits the message grammar's token cap. */
export function fitMessage(message: string, encode: Encode, maxTokens = MESSAGE_TOKENS): string {
  const words = message.split(' ');
  while (words.length > 1 && encode(words.join(' ')).length > maxTokens) words.pop();
  return words.join(' ');
}

/** Generates `count` labelled programs of one split. Deterministic for a seed and executor. */
export async function generatePrograms(rng: Rng, count: number, options: GenerateOptions): Promise<{ programs: LabelledProgram[]; stats: GenerateStats }> {
  const o = {
    inputsPerProgram: 10, minPairs: 4, maxProgramTokens: 80, maxValueTokens: 40, batchPrograms: 32, checkGrammar: true,
    ...options,
  };
  const families = o.families ?? familiesOf(o.split);
  const seen = o.seen ?? new Set<string>();
  const stats = emptyStats();
  const programs: LabelledProgram[] = [];
  let stale = 0;
  while (programs.length < count) {
    const batch: Candidate[] = [];
    while (batch.length < Math.min(o.batchPrograms, count - programs.length)) {
      const family = weighted(rng, families.map((f) => [f, f.weight] as const));
      const c = drawCandidate(rng, family, o, seen, stats);
      if (c) batch.push(c);
      else if (++stale > 1000 * (count + 10)) throw new Error('generator: too many duplicate or long programs');
    }
    const runs = batch.flatMap((c) => c.inputs.map((input) => ({ program: c.program, input })));
    const verdicts = await o.label(runs);
    let k = 0;
    for (const c of batch) {
      const pairs: IoPair[] = [];
      for (const input of c.inputs) {
        const v = verdicts[k++];
        stats.runs++;
        if (!v.ok) { stats.invalid[v.reason] = (stats.invalid[v.reason] ?? 0) + 1; continue; }
        stats.valid++;
        if (o.encode(v.output).length > o.maxValueTokens) { stats.longOutputs++; continue; }
        const cap = o.maxValueTokens + 1;
        if (o.checkGrammar && !(acceptedBy('value', `${v.output}<eos>`, cap).ok && acceptedBy('args', `${input}<eos>`, cap, { arity: c.arity }).ok)) { stats.refusedByGrammar++; continue; }
        pairs.push({ input, output: v.output });
      }
      if (pairs.length < o.minPairs) { stats.fewPairs++; continue; }
      if (pairs.every((p) => p.output === pairs[0].output)) { stats.constant++; continue; }
      stats.kept++;
      programs.push({ family: c.family.name, split: c.family.split, program: c.program, message: c.message, pairs });
      if (programs.length >= count) break;
    }
    o.onProgress?.(programs.length);
  }
  return { programs, stats };
}
