import { afterAll, describe, expect, it } from 'vitest';
import { createNodeExecutor } from '../sandbox/node';
import { presetConfig, type AzrConfig } from './config';
import type { Generation, GenerationRequest, Policy, PolicyTrajectory, UpdateStats } from './policy';
import { SelfPlay } from './selfplay';

/**
 * A test double for the model: answers each request with a scripted text, so the loop's bookkeeping
 * (validation, rewards, buffers, advantages) can be checked against known outcomes with the real executor.
 */
class ScriptedPolicy implements Policy {
  readonly contextLength = 4096;
  updates: PolicyTrajectory[][] = [];
  constructor(private readonly script: (r: GenerationRequest, i: number) => string) {}
  encode(text: string): number[] { return Array.from(text, (c) => c.charCodeAt(0)); }
  async generate(requests: readonly GenerationRequest[]): Promise<Generation[]> {
    return requests.map((r, i) => {
      const text = this.script(r, i);
      const ids = this.encode(text);
      return { text, promptIds: this.encode(r.prompt), responseIds: ids, logProbs: ids.map(() => -1) };
    });
  }
  async update(trajectories: readonly PolicyTrajectory[]): Promise<UpdateStats> {
    this.updates.push([...trajectories]);
    return { loss: 0, entropy: 0, gradNorm: 0, clipFraction: 0, tokens: 0, klToReference: 0 };
  }
}

const executor = createNodeExecutor();
afterAll(() => executor.dispose());

const DOUBLE = 'function f(a) {\n  return a * 2;\n}';
const config = (over: Partial<AzrConfig> = {}): AzrConfig => ({ ...presetConfig('tiny'), batchSize: 2, rollouts: 2, seedFactor: 1, inductionInputs: 2, ...over });

/**
 * A proposer that alternates a program returning 0 and one returning its input + 5, and a solver that
 * writes 0 to everything: it "solves" every zero task by its favourite answer.
 */
function zeroGuesser(inductionInputs?: string): ScriptedPolicy {
  let proposals = 0;
  return new ScriptedPolicy((r) => {
    if (r.kind === 'induction' && inductionInputs) return `${inductionInputs}<message>m<eos>`;
    if (r.kind !== 'triplet') return '0<eos>';
    proposals++;
    return `function f(a) {\n  return ${proposals % 2 === 1 ? '0' : 'a + 5'};\n}<input>${proposals}<eos>`;
  });
}

describe('SelfPlay', () => {
  it('gives −1 to a proposal the executor rejects, keeps it out of the buffer, and counts its reason', async () => {
    let proposals = 0;
    const policy = new ScriptedPolicy((r) => {
      if (r.kind === 'triplet') {
        proposals++;
        // Seeding: one valid program. Then one valid and one infinite loop per batch.
        return proposals % 2 === 1 ? `${DOUBLE}<input>${proposals}<eos>` : 'function f(a) {\n  while (true) {}\n}<input>1<eos>';
      }
      if (r.kind === 'induction') return '1<sep>2<message>doubles<eos>';
      if (r.kind === 'value') return '2<eos>';
      if (r.kind === 'args') return '1<eos>';
      return `${DOUBLE}<eos>`;
    });
    const run = new SelfPlay(policy, executor, config({ abduction: false }));
    const record = await run.runStep();
    const deduction = record.proposals.filter((p) => p.type === 'deduction');
    const looping = deduction.find((p) => p.text.includes('while'));
    expect(looping?.verdict).toBe('timeout');
    expect(looping?.reward).toBe(-1);
    expect(looping?.taskId).toBeUndefined();
    expect(record.metrics.invalid.timeout).toBeGreaterThanOrEqual(1);
    for (const t of run.buffers.deduction.all()) expect(t.task.program).not.toContain('while');
    expect(record.metrics.groups['propose.deduction'].rewardMin).toBe(-1);
  });

  it('scores malformed responses −1, wrong answers −0.5 and right ones 1', async () => {
    const policy = new ScriptedPolicy((r, i) => {
      if (r.kind === 'triplet') return `${DOUBLE}<input>${i + 3}<eos>`;
      if (r.kind === 'induction') return '1<sep>2<message>doubles<eos>';
      // Any two consecutive requests get one wrong and one malformed answer (rollouts and the solver's
      // batch share one call, so the solver's indices follow the rollouts').
      if (r.kind === 'value') return i % 2 === 0 ? '"nope"<eos>' : i % 4 === 1 ? '1) || (1<eos>' : 'no end token';
      if (r.kind === 'args') return '5<eos>';
      return `${DOUBLE}<eos>`;
    });
    const run = new SelfPlay(policy, executor, config({ abduction: false, induction: false }));
    const record = await run.runStep();
    const rewards = new Set(record.solves.map((s) => s.reward));
    for (const r of rewards) expect([-1, -0.5, 1]).toContain(r);
    expect(record.solves.some((s) => s.outcome === 'malformed' && s.reward === -1)).toBe(true);
    expect(record.solves.some((s) => s.outcome === 'wrong' && s.reward === -0.5)).toBe(true);
  });

  it('rewards learnability: a task solved by some rollouts but not all earns 1 − s', async () => {
    let value = 0;
    // Every deduction answer alternates right/wrong, so each proposal's two rollouts split 1/2.
    const policy = new ScriptedPolicy((r) => {
      if (r.kind === 'triplet') return `function f(a) {\n  return 7;\n}<input>1<eos>`;
      if (r.kind === 'value') return (value++ % 2 === 0 ? '7' : '8') + '<eos>';
      return '1<eos>';
    });
    const run = new SelfPlay(policy, executor, config({ abduction: false, induction: false, dropDuplicates: false }));
    const record = await run.runStep();
    const valid = record.proposals.filter((p) => p.verdict === 'valid');
    expect(valid.length).toBe(2);
    for (const p of valid) {
      expect(p.solved).toBe(1);
      expect(p.reward).toBeCloseTo(0.5);
    }
    expect(record.metrics.groups['propose.deduction'].accuracy).toBeCloseTo(0.5);
  });

  it('novelty bonus: a valid proposal earns λ × the rarity of its operations among earlier tasks', async () => {
    const rewardsWith = async (noveltyBonus: number) => {
      let value = 0;
      let n = 0;
      const policy = new ScriptedPolicy((r) => {
        if (r.kind === 'triplet') return `function f(a) {\n  return a % 7;\n}<input>${n++}<eos>`;
        if (r.kind === 'value') return `${value++ % 2 === 0 ? 'true' : '9'}<eos>`; // never right: solve rate 0
        return '1<eos>';
      });
      const run = new SelfPlay(policy, executor, config({ abduction: false, induction: false, noveltyBonus }));
      await run.seed();
      // Earlier deduction tasks: the identity seed (no operations) and the seeding tasks, all using '%'.
      const earlier = run.buffers.deduction.all().length;
      const record = await run.runStep();
      return { earlier, record };
    };
    const without = await rewardsWith(0);
    const withBonus = await rewardsWith(1);
    const expected = 1 - (without.earlier - 1) / without.earlier;
    expect(without.record.metrics.operationNovelty).toBeCloseTo(expected, 12);
    const valid0 = without.record.proposals.filter((p) => p.verdict === 'valid');
    const valid1 = withBonus.record.proposals.filter((p) => p.verdict === 'valid');
    expect(valid0.length).toBeGreaterThan(0);
    for (const p of valid0) expect(p.reward).toBe(0); // solve rate 0: the paper's 0
    for (const p of valid1) expect(p.reward).toBeCloseTo(expected, 12);
  });

  it('seeds the buffers from the identity triplet before the first update and builds induction tasks', async () => {
    let n = 0;
    const policy = new ScriptedPolicy((r) => {
      if (r.kind === 'triplet') return `function f(a) {\n  return a + ${n++};\n}<input>1<eos>`;
      if (r.kind === 'induction') return '1<sep>2<message>adds<eos>';
      return '1<eos>';
    });
    const progress: number[] = [];
    const run = new SelfPlay(policy, executor, config({ batchSize: 2, seedFactor: 2 }), { onSeedingProgress: (p) => progress.push(p.valid) });
    await run.seed();
    expect(run.buffers.deduction.all()[0].source).toBe('seed');
    expect(run.buffers.deduction.size).toBe(4);
    expect(run.buffers.abduction.size).toBe(4);
    expect(run.buffers.induction.size).toBe(4);
    const ind = run.buffers.induction.all()[0].task;
    expect(ind.pairs).toHaveLength(2);
    expect(ind.shown).toBe(1);
    expect(progress.length).toBeGreaterThan(0);
    expect(policy.updates).toHaveLength(0);
  });

  it('leaves the proposer out of the update when it is frozen (solver-only ablation)', async () => {
    const policy = new ScriptedPolicy((r) => (r.kind === 'triplet' ? `${DOUBLE}<input>2<eos>` : r.kind === 'value' ? '4<eos>' : '2<eos>'));
    const run = new SelfPlay(policy, executor, config({ solverOnly: true, abduction: false, induction: false }));
    const record = await run.runStep();
    expect(policy.updates).toHaveLength(1);
    expect(policy.updates[0]).toHaveLength(record.solves.length);
    expect(record.metrics.trainedTrajectories).toBe(record.solves.length);
  });

  it('generator diagnostic: trains the solver on the writer\'s tasks only — no proposals, no seeding, no rollouts', async () => {
    const requests: GenerationRequest[] = [];
    const policy = new ScriptedPolicy((r) => { requests.push(r); return r.kind === 'value' ? '6<eos>' : r.kind === 'args' ? '3<eos>' : `${DOUBLE}<eos>`; });
    const written: string[] = [];
    const run = new SelfPlay(policy, executor, config(), {
      tasksFrom: async (type, count) => Array.from({ length: count }, (_, i) => {
        written.push(type);
        return type === 'induction'
          ? { program: DOUBLE, pairs: [{ input: '1', output: '2' }, { input: String(i + 3), output: String(2 * i + 6) }], shown: 1, message: 'doubles' }
          : { program: DOUBLE, input: String(i + 3), output: String(2 * i + 6) };
      }),
    });
    const record = await run.runStep();
    expect(written).toEqual(['deduction', 'deduction', 'abduction', 'abduction', 'induction', 'induction']);
    expect(requests.every((r) => r.kind === 'value' || r.kind === 'args' || r.kind === 'program')).toBe(true);
    expect(record.proposals).toHaveLength(0);
    expect(record.solves).toHaveLength(6);
    for (const t of ['deduction', 'abduction', 'induction'] as const) {
      expect(run.buffers[t].all().map((e) => e.source)).toEqual(['generator', 'generator']);
    }
    // Every trained trajectory is a solver answer. The scripted answers (6; 3; the doubling program) solve
    // the first deduction and abduction task and both induction tasks, and the executor says so.
    expect(policy.updates[0]).toHaveLength(6);
    expect(record.solves.filter((s) => s.outcome === 'correct').map((s) => s.type).sort()).toEqual(['abduction', 'deduction', 'induction', 'induction']);
    expect(record.metrics.groups['propose.deduction'].count).toBe(0);
    expect(record.metrics.groups['solve.deduction'].accuracy).toBe(0.5);
  });

  it('generator references: every proposal is shown fresh writer programs, not the buffers\' tasks', async () => {
    const requests: GenerationRequest[] = [];
    const policy = new ScriptedPolicy((r) => {
      requests.push(r);
      if (r.kind === 'triplet') return `${DOUBLE}<input>2<eos>`;
      if (r.kind === 'induction') return '1<sep>2<message>doubles<eos>';
      return r.kind === 'value' ? '4<eos>' : r.kind === 'args' ? '2<eos>' : `${DOUBLE}<eos>`;
    });
    let n = 0;
    const run = new SelfPlay(policy, executor, config({ references: 2 }), {
      referencesFrom: async (_type, count) => Array.from({ length: count }, () => {
        n++;
        return { program: `function f(a) {\n  return a + ${n};\n}`, input: '1', output: String(1 + n) };
      }),
    });
    await run.runStep();
    const proposing = requests.filter((r) => r.kind === 'triplet' || r.kind === 'induction');
    expect(proposing.length).toBeGreaterThan(0);
    for (const r of proposing) {
      // No buffered task (the identity seed, the doubling program) is ever shown as a reference.
      expect(r.prompt).not.toContain('return a;');
      expect(r.prompt).not.toContain('a * 2');
      expect(r.prompt).toMatch(/return a \+ \d+;/);
      if (r.kind === 'triplet') expect(r.prompt.split('<ref>')).toHaveLength(3);
    }
    // Fresh each time: as many writer programs as references shown (2 per triplet proposal, 1 per induction).
    const triplets = proposing.filter((r) => r.kind === 'triplet').length;
    expect(n).toBe(2 * triplets + proposing.length - triplets);
  });

  it('measures each task\'s guess rate from answers written for the other tasks, and with the correction stops paying for guessable tasks', async () => {
    // Two proposals per batch (zeroGuesser): the other task's answers (0, 0) solve the zero task too, q = 1.
    const run = (guessCorrection: 'off' | 'proposer') =>
      new SelfPlay(zeroGuesser(), executor, config({ abduction: false, induction: false, extremeSolveRate: 'reference', guessCorrection })).runStep();
    for (const corrected of ['off', 'proposer'] as const) {
      const record = await run(corrected);
      const valid = record.proposals.filter((p) => p.verdict === 'valid');
      const z = valid.find((p) => p.text.includes('return 0;'))!;
      const p = valid.find((q) => q.text.includes('a + 5'))!;
      expect(z.solved).toBe(2);
      expect(z.guessRate).toBe(1);
      expect(p.solved).toBe(0);
      expect(p.guessRate).toBe(0);
      // Always solved: −0.5 either way; the metric shows the mean guess rate.
      expect(z.reward).toBe(-0.5);
      expect(record.metrics.groups['propose.deduction'].guessRate).toBeCloseTo(0.5);
    }
  });

  it('with the correction, a task solved half the time by guessing earns the extreme reward instead of learnability', async () => {
    // Every proposal returns 7; the solver alternates 7 and 8, so each task is solved 1 of 2 times and the
    // other task's answers (one 7, one 8) solve it half the time too: s = q = 0.5, nothing above chance.
    const rewards = async (guessCorrection: 'off' | 'proposer') => {
      let value = 0;
      const policy = new ScriptedPolicy((r) => {
        if (r.kind === 'triplet') return `function f(a) {\n  return 7;\n}<input>1<eos>`;
        return (value++ % 2 === 0 ? '7' : '8') + '<eos>';
      });
      const selfPlay = new SelfPlay(policy, executor, config({ abduction: false, induction: false, dropDuplicates: false, extremeSolveRate: 'reference', guessCorrection }));
      const record = await selfPlay.runStep();
      return record.proposals.filter((p) => p.verdict === 'valid').map((p) => [p.guessRate, p.reward]);
    };
    expect(await rewards('off')).toEqual([[0.5, 0.5], [0.5, 0.5]]);
    expect(await rewards('proposer')).toEqual([[0.5, -0.5], [0.5, -0.5]]);
  });

  it('with guessing discounted for both roles, a right answer that solves the batch\'s other tasks too earns less', async () => {
    // zeroGuesser, four tasks per batch: its right answers (0) also solve the batch's other zero task.
    const solves = async (guessCorrection: 'off' | 'both') =>
      (await new SelfPlay(zeroGuesser(), executor, config({ abduction: false, induction: false, batchSize: 4, guessCorrection })).runStep()).solves;
    const plain = await solves('off');
    const discounted = await solves('both');
    expect(plain.map((s) => s.outcome)).toEqual(discounted.map((s) => s.outcome));
    for (const [i, s] of discounted.entries()) {
      if (s.outcome === 'correct') {
        expect(plain[i].reward).toBe(1);
        // Of the three other tasks of the batch, one more returns 0: the answer solves a third of them.
        expect(s.reward).toBeCloseTo(2 / 3, 12);
      } else {
        expect(s.reward).toBe(plain[i].reward);
      }
    }
    expect(discounted.some((s) => s.outcome === 'correct')).toBe(true);
  });

  it('rejectGuessable: refuses a task a constant guess solves, as invalid, and keeps it out of every buffer', async () => {
    // Induction inputs 1, 1, 2, 2: whichever program the buffer hands out (a + 5 or the identity seed),
    // its outputs take two values.
    const run = async (rejectGuessable: boolean) => {
      const selfPlay = new SelfPlay(zeroGuesser('1<sep>1<sep>2<sep>2'), executor, config({ batchSize: 4, inductionInputs: 4, rejectGuessable }));
      return { selfPlay, record: await selfPlay.runStep() };
    };
    const { selfPlay, record } = await run(true);
    const deduction = record.proposals.filter((p) => p.type === 'deduction');
    const zero = deduction.filter((p) => p.text.includes('return 0;'));
    expect(zero.length).toBeGreaterThan(0);
    for (const p of zero) {
      expect(p.verdict).toBe('guessable');
      expect(p.reward).toBe(-1);
      expect(p.taskId).toBeUndefined();
      expect(p.message).toContain('constant guess');
    }
    for (const p of deduction.filter((q) => q.text.includes('a + 5'))) expect(p.verdict).toBe('valid');
    expect(record.metrics.invalid.guessable).toBeGreaterThanOrEqual(zero.length);
    for (const type of ['deduction', 'abduction'] as const) {
      for (const t of selfPlay.buffers[type].all()) expect(t.task.output).not.toBe('0');
    }
    const inductions = record.proposals.filter((q) => q.type === 'induction');
    expect(inductions.length).toBe(4);
    for (const p of inductions) {
      expect(p.verdict).toBe('guessable');
      expect(p.message).toBe('its outputs take 2 values, fewer than 3');
    }
    expect(selfPlay.buffers.induction.size).toBe(0);
    // Off, the paper: the same zero tasks are valid and enter the buffers.
    const off = await run(false);
    expect(off.record.proposals.filter((p) => p.text.includes('return 0;')).every((p) => p.verdict === 'valid')).toBe(true);
    expect(off.record.proposals.filter((p) => p.type === 'induction').every((p) => p.verdict === 'valid')).toBe(true);
    expect(off.selfPlay.buffers.deduction.all().some((t) => t.task.output === '0')).toBe(true);
  });

  it('measures the share of new tasks with a held-out composition (filter→reduce), which the suite tests', async () => {
    // Deduction only; every second proposal chains filter into reduce, the others double their input.
    const SUM_BIG = 'function f(a) {\n  return a.filter((x) => x > 1).reduce((s, x) => s + x, 0);\n}';
    let proposals = 0;
    const policy = new ScriptedPolicy((r) => {
      if (r.kind !== 'triplet') return '0<eos>';
      proposals++;
      return proposals % 2 === 1 ? `${DOUBLE}<input>${proposals}<eos>` : `${SUM_BIG}<input>[${proposals}, 1, 3]<eos>`;
    });
    const selfPlay = new SelfPlay(policy, executor, config({ batchSize: 4, abduction: false, induction: false }));
    const { metrics, proposals: made } = await selfPlay.runStep();
    const valid = made.filter((p) => p.verdict === 'valid');
    expect(valid.length).toBe(4);
    const chained = valid.filter((p) => p.text.includes('.reduce(')).length;
    expect(chained).toBe(2);
    expect(metrics.heldOutCompositions).toBeCloseTo(chained / valid.length, 10);
  });

  it('trainRollouts: each task\'s rollouts are trained on too, credited against the task\'s other answers', async () => {
    // Every proposal returns 7; the solver alternates 7 and 8, so each task's two rollouts are one right
    // (+1 − (−0.5) = 1.5) and one wrong (−1.5).
    const run = async (trainRollouts: boolean) => {
      let value = 0;
      const policy = new ScriptedPolicy((r) => {
        if (r.kind === 'triplet') return `function f(a) {\n  return 7;\n}<input>1<eos>`;
        return (value++ % 2 === 0 ? '7' : '8') + '<eos>';
      });
      const record = await new SelfPlay(policy, executor, config({ abduction: false, induction: false, dropDuplicates: false, trainRollouts })).runStep();
      return { record, update: policy.updates[0] };
    };
    const plain = await run(false);
    const trained = await run(true);
    const rollouts = 2 * 2; // two valid proposals × two rollouts
    expect(trained.update).toHaveLength(plain.update.length + rollouts);
    expect(trained.record.metrics.trainedTrajectories).toBe(plain.record.metrics.trainedTrajectories + rollouts);
    expect(trained.update.slice(-rollouts).map((t) => t.advantage).sort()).toEqual([-1.5, -1.5, 1.5, 1.5]);
  });
});
