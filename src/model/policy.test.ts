import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../azr/config';
import { SelfPlay } from '../azr/selfplay';
import { createNodeExecutor } from '../sandbox/node';
import { GPT, makeConfig } from './gpt';
import { initNodeBackend } from './node-backend';
import { ModelPolicy } from './policy';
import { tf } from './tf';
import { decode, encode, vocabSize } from './tokenizer';

const executor = createNodeExecutor();
beforeAll(() => initNodeBackend('wasm'));
afterAll(() => executor.dispose());

describe('ModelPolicy', () => {
  it('samples constrained responses that end with the end token and carry their log-probs and masks', async () => {
    const policy = new ModelPolicy(new GPT(makeConfig('tiny', vocabSize), 1), { learningRate: 1e-3, weightDecay: 0 });
    const gens = await policy.generate([
      { prompt: '<bos><solve><deduction><program>function f(a) {\n  return a;\n}<input>1<output>', kind: 'value', maxTokens: 12 },
      { prompt: '<bos><propose><deduction><program>', kind: 'triplet', maxTokens: 40 },
    ], { temperature: 1, topK: 0, constrained: true, seed: 3 });
    for (const g of gens) {
      expect(g.text.endsWith('<eos>')).toBe(true);
      expect(g.logProbs).toHaveLength(g.responseIds.length);
      expect(g.masks).toHaveLength(g.responseIds.length);
      expect(decode(g.responseIds)).toBe(g.text);
      for (const lp of g.logProbs) expect(lp).toBeLessThanOrEqual(0);
    }
    expect(gens[1].text).toContain('<input>');
    expect(gens[0].promptIds).toEqual(encode('<bos><solve><deduction><program>function f(a) {\n  return a;\n}<input>1<output>'));
  });

  it('the KL penalty holds the policy near the weights it started from', async () => {
    // The same pushes (one response rewarded again and again, advantage 0.25) with and without β: the
    // penalised policy ends measurably closer to its reference, and the first update, taken at the
    // reference, reports 0. (k3's pull on a token's log-prob is at most β, so β must exceed the push.)
    const prompt = '<bos><solve><deduction><program>function f(a) {\n  return a;\n}<input>1<output>';
    const finalKl = async (klCoef: number) => {
      const model = new GPT(makeConfig('tiny', vocabSize), 4);
      const policy = new ModelPolicy(model, { learningRate: 3e-3, weightDecay: 0 });
      const [g] = await policy.generate([{ prompt, kind: 'value', maxTokens: 8 }], { temperature: 1, topK: 0, constrained: true, seed: 1 });
      const options = { learningRate: 3e-3, temperature: 1, clipEpsilon: 0.2, entropyCoef: 0, weightDecay: 0, gradClip: 1, klCoef };
      const kls: number[] = [];
      for (let i = 0; i < 8; i++) {
        // Fresh old log-probs each time, so the clip never stops the push.
        const [again] = await policy.generate([{ prompt, kind: 'value', maxTokens: 8 }], { temperature: 1, topK: 0, constrained: true, seed: 1 });
        const stats = await policy.update([{ generation: { ...g, logProbs: again.responseIds.join() === g.responseIds.join() ? again.logProbs : g.logProbs }, advantage: 0.25 }], options);
        kls.push(stats.klToReference);
      }
      const measured = await policy.update([{ generation: g, advantage: 0 }], { ...options, learningRate: 0, klCoef: 1e-9 });
      policy.dispose();
      model.dispose();
      return { first: kls[0], last: measured.klToReference };
    };
    const free = await finalKl(1e-9);
    const held = await finalKl(1);
    expect(free.first).toBe(0);
    expect(held.first).toBe(0);
    expect(free.last).toBeGreaterThan(0);
    expect(held.last).toBeLessThan(free.last * 0.8);
  }, 120_000);

  it('keeps the tensor count flat over 20 self-play steps of the tiny config', async () => {
    const config = presetConfig('tiny');
    const policy = new ModelPolicy(new GPT(makeConfig('tiny', vocabSize), 0), { learningRate: config.learningRate, weightDecay: config.weightDecay });
    const run = new SelfPlay(policy, executor, config);
    const counts: number[] = [];
    for (let i = 0; i < 20; i++) {
      const record = await run.runStep();
      expect(Number.isFinite(record.metrics.loss)).toBe(true);
      counts.push(tf.memory().numTensors);
    }
    // The first step creates the optimiser's moment slots; from then on nothing may accumulate.
    expect(new Set(counts.slice(1)).size).toBe(1);
  }, 300_000);
});
