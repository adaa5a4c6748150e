// The model on the cpu and wasm backends: presets, forward + backward parity between backends (and so
// between the batched and the per-block attention layouts), overfitting one batch, flat tensor count.
import { describe, expect, it } from 'vitest';
import { AdamW } from './adamw';
import { GPT, MASKED, PRESETS, causalBias, causalBiasLengths, makeConfig, parameterCount } from './gpt';
import { crossEntropyLoss, packLM } from './loss';
import { initNodeBackend } from './node-backend';
import { Rng } from './rng';
import { sample } from './sampler';
import { tf, type BackendName } from './tf';
import { lmStep, policyStep } from './train';

const V = 40;
const tiny = makeConfig('tiny', V, { contextLength: 32 });

function examples(seed: number, n: number, len: number) {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => ({ ids: Array.from({ length: len - (i % 3) }, () => Math.floor(rng.next() * V)) }));
}

/** Logits and every parameter's gradient of the mean cross-entropy, for a fixed model and batch. */
async function forwardBackward(backend: BackendName) {
  await initNodeBackend(backend);
  const model = new GPT(tiny, 7);
  const batch = packLM(examples(1, 3, 12), V);
  const tokens = batch.weights.reduce((a, b) => a + b, 0);
  const { value, grads } = tf.variableGrads(() => crossEntropyLoss(model, batch, 1 / tokens, false), model.variables());
  const logits = tf.tidy(() => model.forward(tf.tensor2d(batch.inputs, [batch.B, batch.T], 'int32')).logits);
  const out = {
    loss: (await value.data())[0],
    logits: await logits.data(),
    grads: Object.fromEntries(await Promise.all(Object.entries(grads).map(async ([k, g]) => [k.split('/')[1], await g.data()] as const))),
  };
  tf.dispose([value, logits, ...Object.values(grads)]);
  model.dispose();
  return out;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const scale = Math.max(1e-3, ...Array.from(b, Math.abs));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / scale;
}

describe('GPT', () => {
  it('presets have the documented sizes', () => {
    expect(Object.keys(PRESETS)).toEqual(['tiny', 'default', 'small', 'medium']);
    const sizes = Object.fromEntries((Object.keys(PRESETS) as Array<keyof typeof PRESETS>).map((p) => [p, parameterCount(makeConfig(p, 404))]));
    expect(sizes).toEqual({ tiny: 46_016, default: 905_984, small: 4_959_744, medium: 25_914_368 });
    expect(() => makeConfig('tiny', 10, { dModel: 30, nHead: 4 })).toThrow(/divisible/);
  });

  it('keeps the causal masks of the last four lengths only, and each mask hides the future', async () => {
    await initNodeBackend('cpu');
    const model = new GPT(tiny, 3);
    // Forward passes of many lengths, as a run's updates make: the kept masks stay four.
    for (let T = 2; T <= 20; T++) tf.tidy(() => { model.forward(tf.zeros([1, T], 'int32') as tf.Tensor2D); });
    expect(causalBiasLengths()).toEqual([17, 18, 19, 20]);
    tf.tidy(() => { model.forward(tf.zeros([1, 18], 'int32') as tf.Tensor2D); });
    expect(causalBiasLengths()).toEqual([17, 19, 20, 18]);
    const mask = causalBias(3);
    expect(Array.from(await mask.data())).toEqual([0, MASKED, MASKED, 0, 0, MASKED, 0, 0, 0]);
    expect(causalBiasLengths()).toEqual([19, 20, 18, 3]);
    mask.dispose();
    model.dispose();
  });

  it('forward and backward agree between cpu and wasm', async () => {
    const cpu = await forwardBackward('cpu');
    const wasm = await forwardBackward('wasm');
    expect(Number.isFinite(cpu.loss)).toBe(true);
    expect(Math.abs(cpu.loss - Math.log(V))).toBeLessThan(0.2); // an untrained model is near uniform
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-5);
    expect(maxRelDiff(wasm.logits, cpu.logits)).toBeLessThan(1e-4);
    expect(Object.keys(wasm.grads).sort()).toEqual(Object.keys(cpu.grads).sort());
    for (const name of Object.keys(cpu.grads)) {
      expect(cpu.grads[name].some((g) => g !== 0), `${name} has a gradient`).toBe(true);
      expect(maxRelDiff(wasm.grads[name], cpu.grads[name]), name).toBeLessThan(1e-3);
    }
  });

  it('overfits one small batch on wasm', async () => {
    await initNodeBackend('wasm');
    const model = new GPT(tiny, 3);
    const optimizer = new AdamW(model.params, { learningRate: 1e-2, weightDecay: 0 });
    const batch = examples(5, 4, 10);
    let last = Infinity;
    for (let i = 0; i < 120 && last > 0.05; i++) last = (await lmStep(model, optimizer, batch)).loss;
    expect(last).toBeLessThan(0.05);
    optimizer.dispose();
    model.dispose();
  });

  it('keeps the tensor count flat over 50 training steps', async () => {
    await initNodeBackend('wasm');
    const model = new GPT(tiny, 4);
    const optimizer = new AdamW(model.params, { learningRate: 1e-3 });
    const batch = examples(6, 3, 9);
    const trajectories = batch.map((e) => ({
      promptIds: e.ids.slice(0, 3), responseIds: e.ids.slice(3), oldLogProbs: e.ids.slice(3).map(() => -3.7), advantage: 0.5,
    }));
    await lmStep(model, optimizer, batch);
    await policyStep(model, optimizer, trajectories);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 25; i++) {
      await lmStep(model, optimizer, batch);
      await policyStep(model, optimizer, trajectories, { maxTokensPerMicroBatch: 12 });
    }
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    model.dispose();
  });

  it('leaves no tensor behind once model and optimiser are disposed', async () => {
    await initNodeBackend('wasm');
    const before = tf.memory().numTensors;
    const model = new GPT({ ...tiny, dropout: 0.1 }, 8);
    const optimizer = new AdamW(model.params, { learningRate: 1e-3 });
    await lmStep(model, optimizer, examples(7, 2, 8));
    await sample(model, [{ prompt: [1, 2] }, { prompt: [3] }], { maxNewTokens: 20, endToken: 0 });
    optimizer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('applies dropout in pretraining steps only', async () => {
    await initNodeBackend('cpu');
    const model = new GPT({ ...tiny, dropout: 0.5 }, 9);
    const batch = packLM(examples(8, 2, 8), V);
    const loss = (train: boolean) => tf.tidy(() => crossEntropyLoss(model, batch, 1, train).dataSync()[0]);
    expect(loss(false)).toBe(loss(false));
    expect(loss(true)).not.toBe(loss(false));
    model.dispose();
  });
});
