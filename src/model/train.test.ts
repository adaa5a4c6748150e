// The optimiser step: AdamW's arithmetic, clipping and its report, refusal of a non-finite gradient,
// micro-batching that does not change the result, and the policy-gradient loss's direction.
import { describe, expect, it } from 'vitest';
import { AdamW } from './adamw';
import { GPT, makeConfig, PRESETS } from './gpt';
import { microBatchCaps, microBatches, packPolicy, policyLoss, type PackedBatch, type Trajectory } from './loss';
import { initNodeBackend } from './node-backend';
import { Rng } from './rng';
import { sample } from './sampler';
import { tf } from './tf';
import { NonFiniteGradientError, lmStep, policyStep, responseLogProbs } from './train';

const V = 30;
const END = 1;
const config = makeConfig('tiny', V, { contextLength: 32 });

async function sampledTrajectories(model: GPT, advantage: (i: number) => number, temperature = 1): Promise<Trajectory[]> {
  const prompts = [[2, 3], [4, 5, 6], [7], [8, 9, 10, 11]];
  const results = await sample(model, prompts.map((prompt) => ({ prompt })), { maxNewTokens: 8, endToken: END, temperature, seed: 3 });
  return results.map((r, i) => ({ promptIds: prompts[i], responseIds: r.tokens, oldLogProbs: r.logProbs, masks: r.masks, advantage: advantage(i) }));
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

async function weights(model: GPT): Promise<Float32Array[]> {
  return Promise.all(model.variables().map(async (v) => await v.data() as Float32Array));
}

describe('training step', () => {
  it('AdamW: first step is lr·sign(g) plus decoupled decay, decay skips gains', async () => {
    await initNodeBackend('cpu');
    const w = tf.variable(tf.tensor2d([[1, -2], [3, 0.5]]));
    const g = tf.variable(tf.tensor1d([1, 1]));
    const opt = new AdamW(new Map<string, tf.Variable>([['w', w], ['g', g]]), { learningRate: 0.1, weightDecay: 0.5 });
    opt.apply(new Map<string, tf.Tensor>([['w', tf.tensor2d([[0.3, -4], [0, 2]])], ['g', tf.tensor1d([-1, 5])]]));
    const expectedW = [[1, -2], [3, 0.5]].flat().map((p, i) => p * (1 - 0.1 * 0.5) - 0.1 * Math.sign([0.3, -4, 0, 2][i]));
    Array.from(await w.data()).forEach((v, i) => expect(v).toBeCloseTo(expectedW[i], 5));
    Array.from(await g.data()).forEach((v, i) => expect(v).toBeCloseTo([1.1, 0.9][i], 5));
    expect(opt.step).toBe(1);
    opt.dispose();
    tf.dispose([w, g]);
  });

  it('AdamW on wasm (one fused kernel per parameter) takes the same steps as the tfjs-op path on cpu', async () => {
    const run = async (backend: 'cpu' | 'wasm') => {
      await initNodeBackend(backend);
      const w = tf.variable(tf.tensor2d([[1, -2, 0.25], [3, 0.5, -0.75]]));
      const b = tf.variable(tf.tensor1d([0.1, -0.2, 0.3]));
      const opt = new AdamW(new Map<string, tf.Variable>([['w', w], ['b', b]]), { learningRate: 0.05, weightDecay: 0.1 });
      for (let t = 0; t < 5; t++) {
        const grads = new Map<string, tf.Tensor>([
          ['w', tf.tensor2d([[0.3, -4, t], [0, 2, -t / 3]])],
          ['b', tf.tensor1d([-1, 5 - t, 0.01])],
        ]);
        opt.apply(grads, t % 2 === 0 ? 1 : 0.4);
        tf.dispose([...grads.values()]);
      }
      const out = [...(await w.data()), ...(await b.data())];
      opt.dispose();
      tf.dispose([w, b]);
      return out;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    wasm.forEach((v, i) => expect(Math.abs(v - cpu[i])).toBeLessThan(1e-6));
    expect(Math.abs(cpu[0] - 1)).toBeGreaterThan(0.1); // the steps really moved the weights
  });

  it('policy gradient with positive advantage raises the sampled responses\' log-probs, negative lowers them', async () => {
    await initNodeBackend('wasm');
    for (const sign of [1, -1]) {
      const model = new GPT(config, 21);
      const optimizer = new AdamW(model.params, { learningRate: 3e-3 });
      const trajectories = await sampledTrajectories(model, () => sign, 0.9);
      const before = await responseLogProbs(model, trajectories, 0.9);
      // Before any update the loss sees exactly the sampler's distribution: ratio 1, nothing clipped.
      trajectories.forEach((t, i) => before[i].forEach((lp, j) => expect(lp).toBeCloseTo(t.oldLogProbs[j], 4)));
      const result = await policyStep(model, optimizer, trajectories, { temperature: 0.9 });
      expect(result.clipFraction).toBe(0);
      expect(Math.abs(result.approxKl)).toBeLessThan(1e-5);
      expect(result.entropy).toBeGreaterThan(0);
      expect(result.pgLoss).toBeCloseTo(-sign, 4); // −A·ratio with ratio 1
      expect(result.tokens).toBe(sum(trajectories.map((t) => t.responseIds.length)));
      const after = await responseLogProbs(model, trajectories, 0.9);
      trajectories.forEach((_, i) => expect(Math.sign(sum(after[i]) - sum(before[i]))).toBe(sign));
      optimizer.dispose();
      model.dispose();
    }
  });

  it('micro-batching does not change loss, gradient norm or update', async () => {
    await initNodeBackend('wasm');
    const results = [];
    for (const maxTokensPerMicroBatch of [8192, 10]) {
      const model = new GPT(config, 22);
      const optimizer = new AdamW(model.params, { learningRate: 1e-3 });
      const trajectories = await sampledTrajectories(model, (i) => i - 1.5);
      const r = await policyStep(model, optimizer, trajectories, { maxTokensPerMicroBatch });
      results.push({ r, w: await weights(model) });
      optimizer.dispose();
      model.dispose();
    }
    const [one, many] = results;
    expect(one.r.microBatches).toBe(1);
    expect(many.r.microBatches).toBeGreaterThan(1);
    expect(many.r.loss).toBeCloseTo(one.r.loss, 5);
    expect(many.r.gradNorm).toBeCloseTo(one.r.gradNorm, 5);
    one.w.forEach((w, i) => w.forEach((x, j) => expect(Math.abs(x - many.w[i][j])).toBeLessThan(1e-5)));
  });

  it('micro-batches: the split of least padded positions + groupCost per pass, within the caps', () => {
    const padded = (lengths: number[], groups: number[][]) => groups.reduce((n, g) => n + g.length * Math.max(...g.map((i) => lengths[i])), 0);
    const cost = (lengths: number[], groups: number[][], groupCost: number) => padded(lengths, groups) + groupCost * groups.length;
    const fits = (lengths: number[], g: number[], maxTokens: number, maxScores: number) => {
      const w = Math.max(...g.map((i) => lengths[i]));
      return g.length === 1 || (g.length * w <= maxTokens && g.length * w * w <= maxScores);
    };
    // Every partition of a small set, to check the dynamic programme against brute force.
    const partitions = (items: number[]): number[][][] => {
      if (items.length === 0) return [[]];
      const [first, ...rest] = items;
      return partitions(rest).flatMap((p) => [[[first], ...p], ...p.map((_, k) => p.map((g, j) => (j === k ? [first, ...g] : g)))]);
    };
    const rng = new Rng(11);
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + Math.floor(rng.next() * 7);
      const lengths = Array.from({ length: n }, () => 8 + Math.floor(rng.next() * 120));
      const maxTokens = 64 + Math.floor(rng.next() * 400);
      const maxScores = maxTokens * (16 + Math.floor(rng.next() * 200));
      const groupCost = [0, 5, 40, 1e6][trial % 4];
      const groups = microBatches(lengths, maxTokens, maxScores, groupCost);
      expect(groups.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
      for (const g of groups) expect(fits(lengths, g, maxTokens, maxScores)).toBe(true);
      const best = Math.min(...partitions(lengths.map((_, i) => i)).filter((p) => p.every((g) => fits(lengths, g, maxTokens, maxScores)))
        .map((p) => cost(lengths, p, groupCost)));
      expect(cost(lengths, groups, groupCost)).toBe(best);
    }
    // Lengths 100, 99, 98, 60, 59, 58: taken as one pass of 6 × 100 they pad 126 positions; the two runs
    // of near lengths pad 6. At a cost of 40 a pass, two passes win; at 1e6, one.
    const lengths = [60, 100, 58, 99, 59, 98];
    expect(microBatches(lengths, 8192, 8192 * 128, 40).map((g) => g.sort((a, b) => a - b))).toEqual([[1, 3, 5], [0, 2, 4]]);
    expect(microBatches(lengths, 8192, 8192 * 128)).toHaveLength(1);
    // The default split takes the fewest passes, like filling each pass to its cap in length order.
    expect(microBatches(lengths, 300)).toHaveLength(2);
  });

  it('micro-batches of a wider, deeper model keep about as many attention scores as the default model\'s', () => {
    const lengths = Array.from({ length: 96 }, (_, i) => 150 + ((i * 37) % 330));
    const peak = (preset: 'tiny' | 'default' | 'small' | 'medium') => {
      const c = PRESETS[preset];
      const caps = microBatchCaps(c, 8192);
      const groups = microBatches(lengths, caps.maxTokens, caps.maxScores);
      expect(groups.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
      // Score entries a pass keeps for backward, over all heads and layers; and padded positions × width.
      const scores = Math.max(...groups.map((g) => g.length * Math.max(...g.map((i) => lengths[i])) ** 2)) * c.nHead * c.nLayer;
      const activations = Math.max(...groups.map((g) => g.length * Math.max(...g.map((i) => lengths[i])))) * c.dModel;
      return { scores, activations, groups: groups.length };
    };
    // Models no larger than the default are split exactly as before.
    expect(microBatchCaps(PRESETS.default, 8192)).toEqual({ maxTokens: 8192, maxScores: 8192 * 128 });
    expect(microBatchCaps(PRESETS.tiny, 8192)).toEqual({ maxTokens: 8192, maxScores: 8192 * 128 });
    // What a default pass may keep: 8192 positions of width 128; 8192 · 128 scores per head, 16 heads × layers.
    const d = PRESETS.default;
    for (const preset of ['small', 'medium'] as const) {
      const p = peak(preset);
      expect(p.scores, preset).toBeLessThanOrEqual(8192 * 128 * d.nHead * d.nLayer);
      expect(p.activations, preset).toBeLessThanOrEqual(8192 * d.dModel);
      expect(p.groups, preset).toBeGreaterThan(peak('default').groups);
    }
  });

  it('the head over response rows only gives the loss and gradients of the head over every position', async () => {
    await initNodeBackend('wasm');
    const model = new GPT(config, 23);
    const trajectories = await sampledTrajectories(model, (i) => 0.7 - i * 0.4, 0.8);
    const rowsBatch = packPolicy(trajectories, V);
    // The same batch spread over all B·T positions, zero weight off the response (the layout before rows).
    const { B, T } = rowsBatch;
    const rows = rowsBatch.rows!;
    const spread = <A extends Float32Array | Int32Array>(a: A, make: (n: number) => A, width = 1): A => {
      const out = make(B * T * width);
      rows.forEach((r, k) => out.set(a.subarray(k * width, (k + 1) * width), r * width));
      return out;
    };
    const allBatch: PackedBatch = {
      B, T, inputs: rowsBatch.inputs,
      targets: spread(rowsBatch.targets, (n) => new Int32Array(n)),
      weights: spread(rowsBatch.weights, (n) => new Float32Array(n)),
      oldLogProbs: spread(rowsBatch.oldLogProbs!, (n) => new Float32Array(n)),
      advantages: spread(rowsBatch.advantages!, (n) => new Float32Array(n)),
      maskBias: rowsBatch.maskBias && spread(rowsBatch.maskBias, (n) => new Float32Array(n), V),
    };
    expect(rows.length).toBeLessThan(B * T);
    const run = (batch: PackedBatch) => tf.variableGrads(() => {
      const { loss, stats } = policyLoss(model, batch, 0.1, { temperature: 0.8, entropyCoef: 0.01 });
      tf.dispose(Object.values(stats));
      return loss;
    }, model.variables());
    const a = run(rowsBatch);
    const b = run(allBatch);
    expect(a.value.dataSync()[0]).toBeCloseTo(b.value.dataSync()[0], 6);
    for (const name of Object.keys(a.grads)) {
      const [x, y] = [a.grads[name].dataSync(), b.grads[name].dataSync()];
      x.forEach((v, i) => expect(Math.abs(v - y[i])).toBeLessThan(1e-6));
    }
    tf.dispose([a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads)]);
    model.dispose();
  });

  it('reports the pre-clip gradient norm and whether it clipped', async () => {
    await initNodeBackend('wasm');
    const model = new GPT(config, 23);
    const optimizer = new AdamW(model.params, { learningRate: 1e-3 });
    const examples = [{ ids: [2, 3, 4, 5, 6] }, { ids: [7, 8, 9] }];
    const loose = await lmStep(model, optimizer, examples, { maxGradNorm: 1e6 });
    expect(loose.clipped).toBe(false);
    const tight = await lmStep(model, optimizer, examples, { maxGradNorm: 1e-6 });
    expect(tight.clipped).toBe(true);
    expect(tight.gradNorm).toBeGreaterThan(1e-3);
    optimizer.dispose();
    model.dispose();
  });

  it('refuses a non-finite gradient and leaves the weights alone', async () => {
    await initNodeBackend('wasm');
    const model = new GPT(config, 24);
    const optimizer = new AdamW(model.params, { learningRate: 1e-3 });
    const ln = model.param('h.0.ln1.g');
    ln.assign(tf.fill(ln.shape, NaN));
    const before = await weights(model);
    const numTensors = tf.memory().numTensors;
    await expect(lmStep(model, optimizer, [{ ids: [2, 3, 4, 5] }])).rejects.toThrow(NonFiniteGradientError);
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(optimizer.step).toBe(0);
    const after = await weights(model);
    after.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(before[i])));
    optimizer.dispose();
    model.dispose();
  });
});
