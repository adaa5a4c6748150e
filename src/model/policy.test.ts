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
