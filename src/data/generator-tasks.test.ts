import { afterAll, describe, expect, it } from 'vitest';
import type { InductionTask, Triplet } from '../azr/buffers';
import { createRng } from '../azr/rng';
import { encode } from '../model/tokenizer';
import { validateProposals } from '../sandbox/check';
import { createNodeExecutor } from '../sandbox/node';
import { heldOutFeatures } from './features';
import { generatorTasks } from './generator-tasks';

const executor = createNodeExecutor();
afterAll(() => executor.dispose());
const options = { label: (runs: { program: string; input: string }[]) => validateProposals(executor, runs), encode, inductionInputs: 6, contextLength: 512, maxProgramTokens: 96, maxAnswerTokens: 40 };

describe('generator tasks (the solver-RL diagnostic)', () => {
  it('writes fresh executor-labelled tasks of each type, in self-play\'s shapes, deterministically', async () => {
    const write = generatorTasks(createRng(3), options);
    const triplets = (await write('deduction', 6)) as Triplet[];
    const induction = (await write('induction', 4)) as InductionTask[];
    expect(triplets).toHaveLength(6);
    expect(induction).toHaveLength(4);
    // The outputs are the executor's: running each program on its input gives the labelled output.
    const verdicts = await validateProposals(executor, triplets.map((t) => ({ program: t.program, input: t.input })));
    verdicts.forEach((v, i) => expect(v).toEqual({ ok: true, output: triplets[i].output }));
    for (const t of induction) {
      expect(t.pairs).toHaveLength(6);
      expect(t.shown).toBe(3);
      expect(new Set(t.pairs.map((p) => p.output)).size).toBeGreaterThanOrEqual(2);
    }
    // No program repeats across calls, and the same seed writes the same tasks.
    const programs = [...triplets, ...induction].map((t) => t.program);
    expect(new Set(programs).size).toBe(programs.length);
    const again = generatorTasks(createRng(3), options);
    expect(await again('deduction', 6)).toEqual(triplets);
  });

  it('draws from the train families by default, the held-out ones only when asked', async () => {
    // Every held-out program has a held-out composition and no train program has one (features.test).
    const train = (await generatorTasks(createRng(4), options)('abduction', 12)) as Triplet[];
    expect(train.every((t) => heldOutFeatures(t.program).size === 0)).toBe(true);
    const heldout = (await generatorTasks(createRng(4), { ...options, split: 'heldout' })('abduction', 12)) as Triplet[];
    expect(heldout.every((t) => heldOutFeatures(t.program).size > 0)).toBe(true);
  });

  it('never writes an excluded program (the held-out suite\'s, for the upper-bound diagnostic)', async () => {
    const first = (await generatorTasks(createRng(5), { ...options, split: 'heldout' })('deduction', 10)) as Triplet[];
    const exclude = new Set(first.slice(0, 5).map((t) => t.program));
    const again = (await generatorTasks(createRng(5), { ...options, split: 'heldout', exclude })('deduction', 10)) as Triplet[];
    expect(again).toHaveLength(10);
    expect(again.some((t) => exclude.has(t.program))).toBe(false);
    // Ignoring the exclusion would write `first` again (same seed, deterministic), so this check has teeth.
  });
});
