// Pretraining sequences for all six prompt layouts of src/azr/prompts.ts, built from labelled train
// programs. Each example is a prompt and a target; the trainer puts the loss on the target's tokens
// only, so the model learns to respond in every layout, and — through the solve layouts — some
// semantics of the subset.
//
// Mix (PRETRAIN_MIX; shares of the examples):
//   solve.deduction 25 %   solve.abduction 20 %   solve.induction 20 %
//   propose.deduction 12.5 %   propose.abduction 12.5 %   propose.induction 10 %
// Solving gets most of the data because the base model's solve rates decide whether self-play has a
// learnability signal; proposing needs mostly the formats, which are shared between the two triplet
// proposers (same target format, different references).
//
// Programs: half the examples come from a uniformly drawn program, half from a program of a family
// drawn by the family's weight, so families with few distinct programs (the small loops) keep a share.
//
// Details that follow self-play: proposer references are K triplets (K uniform in 0…maxReferences)
// from OTHER programs, dropped oldest-first to fit the context (proposeTripletPrompt); induction sets
// have N pairs (N uniform in the range), the first ceil(N/2) shown with the message; every target fits
// its response cap and is accepted token by token by its grammar constraint, so the base model learns
// only what constrained decoding can produce. An example whose prompt and target overflow the context is
// skipped (counted).
import type { InductionTask, Triplet } from '../azr/buffers';
import type { GroupKey } from '../azr/config';
import { functionArity } from '../azr/program';
import {
  proposeInductionPrompt, proposeInductionTarget, proposeTripletPrompt, proposeTripletTarget, solvePrompt, solveTarget,
} from '../azr/prompts';
import type { Rng } from '../azr/rng';
import type { ConstraintKind } from '../model/grammar';
import { acceptedBy } from './constraints';
import { generatePrograms, MESSAGE_TOKENS, type Encode, type GenerateStats, type Labeller, type LabelledProgram } from './generate';
import { FAMILIES } from './families';
import { chance, int, pick, shuffled, weighted } from './rand';

/** One sequence: the loss goes on `target` only. `program` is the labelled program it was built from. */
export interface PretrainExample { layout: GroupKey; family: string; program: string; prompt: string; target: string }

export const PRETRAIN_MIX: Readonly<Record<GroupKey, number>> = {
  'solve.deduction': 0.25, 'solve.abduction': 0.2, 'solve.induction': 0.2,
  'propose.deduction': 0.125, 'propose.abduction': 0.125, 'propose.induction': 0.1,
};

export interface ExampleOptions {
  encode: Encode;
  /** Longest prompt + target, in tokens (the model's context length). */
  contextLength: number;
  /** Response caps, as in self-play's config: programs (with their input) and answers. Defaults 96, 40. */
  maxProgramTokens?: number;
  maxAnswerTokens?: number;
  /** Proposer references: K uniform in 0…maxReferences (default 6, the paper's K). */
  maxReferences?: number;
  /** Induction pairs N, uniform in this range (default [4, 10]). */
  inductionPairs?: readonly [number, number];
  /** Check every target against its grammar constraint (default true). */
  checkGrammar?: boolean;
  mix?: Readonly<Record<GroupKey, number>>;
}

export interface ExampleStats {
  built: Record<GroupKey, number>;
  /** Examples drawn but not kept: over the context, over a response cap, refused by the grammar. */
  overContext: number;
  overCap: number;
  refusedByGrammar: number;
  /** The first few grammar refusals, to read. */
  refusals: string[];
}

/** The constraint options self-play uses for a response of this kind. */
function grammarOk(kind: ConstraintKind, target: string, cap: number, stats: ExampleStats, arity?: number, pairs?: number): boolean {
  const r = acceptedBy(kind, target, cap, { arity, pairs, messageTokens: kind === 'induction' ? MESSAGE_TOKENS : undefined });
  if (r.ok) return true;
  stats.refusedByGrammar++;
  if (stats.refusals.length < 5) stats.refusals.push(`${kind}: ${r.reason} in ${JSON.stringify(target)}`);
  return false;
}

function triplet(rng: Rng, p: LabelledProgram): Triplet {
  const pair = pick(rng, p.pairs);
  return { program: p.program, input: pair.input, output: pair.output };
}

/** Builds `count` examples from labelled programs (all six layouts, by the mix). Deterministic. */
export function examplesFromPrograms(rng: Rng, programs: readonly LabelledProgram[], count: number, options: ExampleOptions): { examples: PretrainExample[]; stats: ExampleStats } {
  const o = { maxProgramTokens: 96, maxAnswerTokens: 40, maxReferences: 6, inductionPairs: [4, 10] as const, checkGrammar: true, mix: PRETRAIN_MIX, ...options };
  const stats: ExampleStats = {
    built: { 'propose.deduction': 0, 'propose.abduction': 0, 'propose.induction': 0, 'solve.deduction': 0, 'solve.abduction': 0, 'solve.induction': 0 },
    overContext: 0, overCap: 0, refusedByGrammar: 0, refusals: [],
  };
  if (programs.length < 2) throw new Error('examplesFromPrograms: needs at least two programs');
  const layouts = Object.entries(o.mix) as [GroupKey, number][];
  const byFamily = new Map<string, LabelledProgram[]>();
  for (const p of programs) byFamily.set(p.family, [...(byFamily.get(p.family) ?? []), p]);
  const familyWeights = [...byFamily.keys()].map((name) => [name, FAMILIES.find((f) => f.name === name)?.weight ?? 1] as const);
  // Half the examples from a uniformly drawn program, half from a program of a family drawn by its
  // weight: families whose programs repeat a lot (small loops) keep their share without dominating.
  const drawProgram = (): LabelledProgram => (chance(rng, 0.5) ? pick(rng, programs) : pick(rng, byFamily.get(weighted(rng, familyWeights))!));
  const examples: PretrainExample[] = [];
  const tokens = (s: string) => o.encode(s).length;
  for (let attempts = 0; examples.length < count; attempts++) {
    if (attempts > 20 * count + 100) throw new Error('examplesFromPrograms: too many examples skipped (context too short?)');
    const layout = weighted(rng, layouts);
    const p = drawProgram();
    const arity = functionArity(p.program);
    let prompt: string;
    let target: string;
    let kind: ConstraintKind;
    let cap: number;
    let pairsOpt: number | undefined;
    switch (layout) {
      case 'solve.deduction': case 'solve.abduction': {
        const type = layout === 'solve.deduction' ? 'deduction' : 'abduction';
        const t = triplet(rng, p);
        prompt = solvePrompt(type, t);
        target = solveTarget(type, t);
        kind = type === 'deduction' ? 'value' : 'args';
        cap = o.maxAnswerTokens;
        break;
      }
      case 'solve.induction': {
        const n = Math.min(p.pairs.length, int(rng, o.inductionPairs[0], o.inductionPairs[1]));
        const pairs = shuffled(rng, p.pairs).slice(0, n);
        const task: InductionTask = { program: p.program, pairs, shown: Math.ceil(n / 2), message: p.message };
        prompt = solvePrompt('induction', task);
        target = solveTarget('induction', task);
        kind = 'program';
        cap = o.maxProgramTokens;
        break;
      }
      case 'propose.deduction': case 'propose.abduction': {
        const type = layout === 'propose.deduction' ? 'deduction' : 'abduction';
        const t = triplet(rng, p);
        target = proposeTripletTarget(t);
        const k = int(rng, 0, o.maxReferences);
        const refs: Triplet[] = [];
        for (let tries = 0; refs.length < k && tries < 4 * k; tries++) {
          const other = pick(rng, programs);
          if (other.program !== p.program && !refs.some((r) => r.program === other.program)) refs.push(triplet(rng, other));
        }
        prompt = proposeTripletPrompt(type, refs, o.encode, o.contextLength - tokens(target)).text;
        kind = 'triplet';
        cap = o.maxProgramTokens;
        break;
      }
      case 'propose.induction': {
        const n = Math.min(p.pairs.length, int(rng, o.inductionPairs[0], o.inductionPairs[1]));
        const inputs = shuffled(rng, p.pairs).slice(0, n).map((q) => q.input);
        prompt = proposeInductionPrompt(p.program);
        target = proposeInductionTarget(inputs, p.message);
        kind = 'induction';
        // Self-play's cap for an induction proposal: N answers' worth of tokens.
        cap = n * o.maxAnswerTokens;
        pairsOpt = n;
        break;
      }
    }
    const targetTokens = tokens(target);
    if (targetTokens > cap) { stats.overCap++; continue; }
    if (tokens(prompt) + targetTokens > o.contextLength) { stats.overContext++; continue; }
    if (o.checkGrammar && !grammarOk(kind, target, cap, stats, kind === 'args' || kind === 'induction' ? arity : undefined, pairsOpt)) continue;
    stats.built[layout]++;
    examples.push({ layout, family: p.family, program: p.program, prompt, target });
  }
  return { examples, stats };
}

export interface BuildOptions extends ExampleOptions {
  label: Labeller;
  /** Labelled programs to draw the examples from (default: one per four examples, at least 50). */
  programs?: number;
  onProgress?: (programs: number) => void;
}

/**
 * Generates train-family programs, labels them with the executor, and builds `count` pretraining
 * examples over the six layouts. Seeded: the same seed and executor give the same examples.
 */
export async function buildPretrainExamples(rng: Rng, count: number, options: BuildOptions): Promise<{ examples: PretrainExample[]; programs: LabelledProgram[]; generateStats: GenerateStats; exampleStats: ExampleStats }> {
  const nPrograms = options.programs ?? Math.max(50, Math.ceil(count / 4));
  const { programs, stats: generateStats } = await generatePrograms(rng.fork('programs'), nPrograms, { split: 'train', label: options.label, encode: options.encode, onProgress: options.onProgress });
  const { examples, stats: exampleStats } = examplesFromPrograms(rng.fork('examples'), programs, count, options);
  return { examples, programs, generateStats, exampleStats };
}
