// Every hand-written gradient (ops, attention, loss heads) against tfjs autodiff of the same function
// written with plain ops. The gradient registry is loaded here only, as the reference — after ./tf, so
// that the tfjs engine (a global) is the one our code creates.
import { tf } from './tf';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attendWithCache, selfAttention, type AttentionLayout } from './attention';
import { MASKED } from './gpt';
import { crossEntropyFromLogits, packLM, packPolicy, policyLossFromLogits, type PackedBatch, type PolicyLossOptions } from './loss';
import { initNodeBackend } from './node-backend';
import { add, addPositions, embed, gelu, layerNorm, layerNormMatmul, layerNormMatmulTransposed, matmul, matmulAdd, matmulTransposed, mlpResidual, selectRows } from './ops';
import { Rng } from './rng';

beforeAll(async () => {
  await initNodeBackend('cpu');
});

const rng = new Rng(42);
const randn = (shape: number[], scale = 1) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * scale), shape);

async function expectClose(a: tf.Tensor, b: tf.Tensor, tol = 1e-4): Promise<void> {
  expect(a.shape).toEqual(b.shape);
  const [x, y] = [await a.data(), await b.data()];
  const scale = Math.max(1, ...Array.from(y, Math.abs));
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  expect(worst / scale).toBeLessThan(tol);
}

/** Forward values and input gradients of Σ w ⊙ f(x…) agree between the custom op and the reference. */
async function checkOp(custom: (...xs: tf.Tensor[]) => tf.Tensor, reference: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], tol = 1e-4) {
  const out = reference(...inputs);
  const w = randn(out.shape);
  await expectClose(custom(...inputs), out, tol);
  const gc = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(custom(...xs), w)))(inputs);
  const gr = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(reference(...xs), w)))(inputs);
  for (let i = 0; i < inputs.length; i++) await expectClose(gc[i], gr[i], tol);
}

/** Our policy loss on logits, its metrics disposed. */
function ourPolicyLoss(batch: PackedBatch, scale: number, opts: PolicyLossOptions): (z: tf.Tensor) => tf.Tensor {
  return (z) => {
    const { loss, stats } = policyLossFromLogits(z as tf.Tensor2D, batch, scale, opts);
    tf.dispose(Object.values(stats));
    return loss;
  };
}

/**
 * The TRR++ token loss written with plain ops for autodiff: sampling distribution (temperature, mask
 * bias), clipped surrogate, entropy bonus and, with klCoef, the k3 penalty to the reference log-probs.
 */
function referencePolicyLoss(batch: PackedBatch, V: number, scale: number, opts: PolicyLossOptions): (z: tf.Tensor) => tf.Tensor {
  const eps = opts.clipEps ?? 0.2;
  return (z) => {
    let zz = tf.div(z, opts.temperature ?? 1);
    if (batch.maskBias) zz = tf.add(zz, tf.tensor2d(batch.maskBias, [batch.targets.length, V]));
    const logpAll = tf.logSoftmax(zz);
    const logp = tf.sum(tf.mul(logpAll, tf.oneHot(tf.tensor1d(batch.targets, 'int32'), V)), -1);
    const ratio = tf.exp(tf.sub(logp, tf.tensor1d(batch.oldLogProbs!)));
    const adv = tf.tensor1d(batch.advantages!);
    const pg = tf.maximum(tf.mul(tf.neg(adv), ratio), tf.mul(tf.neg(adv), tf.clipByValue(ratio, 1 - eps, 1 + eps)));
    const ent = tf.neg(tf.sum(tf.mul(tf.exp(logpAll), logpAll), -1));
    let tokens = tf.sub(pg, tf.mul(ent, opts.entropyCoef ?? 0.001));
    if (opts.klCoef) {
      const d = tf.sub(tf.tensor1d(batch.refLogProbs!), logp);
      tokens = tf.add(tokens, tf.mul(tf.sub(tf.sub(tf.exp(d), d), 1), opts.klCoef));
    }
    return tf.mul(tf.sum(tf.mul(tokens, tf.tensor1d(batch.weights))), scale);
  };
}

/** Every layout's attention and its gradient against autodiff of the plain ops: B sequences of T, H heads, width d. */
async function checkAttention(layouts: readonly AttentionLayout[], B: number, T: number, H: number, d: number): Promise<void> {
  const hd = d / H;
  const reference = (bias: tf.Tensor4D) => (qkv: tf.Tensor) => {
    const [q, k, v] = tf.split(qkv, 3, 1);
    const heads = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [B, T, H, hd]), [0, 2, 1, 3]);
    const s = tf.add(tf.div(tf.matMul(heads(q), heads(k), false, true), Math.sqrt(hd)), bias);
    return tf.reshape(tf.transpose(tf.matMul(tf.softmax(s), heads(v)), [0, 2, 1, 3]), [B * T, d]);
  };
  const causal = new Float32Array(T * T).map((_, i) => (i % T > Math.floor(i / T) ? MASKED : 0));
  const padded = new Float32Array(B * T * T).map((_, i) => {
    const [b, r, c] = [Math.floor(i / (T * T)), Math.floor(i / T) % T, i % T];
    return c > r || c < b * 2 ? MASKED : 0; // row b has 2·b left pads
  });
  for (const bias of [tf.tensor4d(causal, [1, 1, T, T]), tf.tensor4d(padded, [B, 1, T, T])]) {
    for (const layout of layouts) {
      await checkOp((qkv) => selfAttention(qkv as tf.Tensor2D, B, H, bias, layout), reference(bias), [randn([B * T, 3 * d])]);
    }
  }
}

describe('hand-written gradients match autodiff', () => {
  it('matmul, matmulTransposed, add', async () => {
    await checkOp((a, b) => matmul(a as tf.Tensor2D, b as tf.Tensor2D), (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), [randn([5, 7]), randn([7, 3])]);
    await checkOp((a, b) => matmulTransposed(a as tf.Tensor2D, b as tf.Tensor2D), (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true), [randn([5, 7]), randn([4, 7])]);
    await checkOp((a, b) => add(a, b), (a, b) => tf.add(a, b), [randn([3, 4]), randn([3, 4])]);
  });

  it('embedding and positions', async () => {
    const ids = tf.tensor1d([3, 1, 3, 0, 5, 5], 'int32');
    await checkOp((t) => embed(t as tf.Tensor2D, ids), (t) => tf.gather(t, ids), [randn([6, 4])]);
    await checkOp((x, p) => addPositions(x as tf.Tensor2D, p as tf.Tensor2D, 2, 3),
      (x, p) => tf.reshape(tf.add(tf.reshape(x, [2, 3, 4]), tf.slice(p, [0, 0], [3, 4])), [6, 4]), [randn([6, 4]), randn([8, 4])]);
  });

  it('selectRows: gather forward, scatter backward', async () => {
    const rows = Int32Array.from([4, 0, 2]);
    await checkOp((x) => selectRows(x as tf.Tensor2D, rows), (x) => tf.gather(x, tf.tensor1d(rows, 'int32')), [randn([6, 3])]);
  });

  it('layerNorm and gelu', async () => {
    await checkLayerNorm();
    await checkOp((x) => gelu(x), (x) => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))), [randn([4, 5], 2)]);
  });

  it('attention, batched and grouped layouts, causal and padded masks', async () => {
    await checkAttention(['batched', 'grouped'], 2, 5, 2, 8);
  });

  it('cross-entropy head', checkCrossEntropyHead);

  it('policy-gradient head with the KL penalty to a reference (k3 estimator)', checkPolicyHeadWithKl);

  it('policy-gradient head: clipped ratio, entropy, temperature, masks', checkPolicyHeadWithMasks);
});

// The wasm backend runs the loss heads and LayerNorm's backward through its own kernels (./wasm-kernels):
// the same checks against autodiff of the plain-op references, there.
describe('hand-written gradients on wasm (fused kernels)', () => {
  beforeAll(async () => {
    await initNodeBackend('wasm');
  });
  afterAll(async () => {
    await initNodeBackend('cpu');
  });

  it('layerNorm', async () => {
    expect(tf.getBackend()).toBe('wasm');
    await checkLayerNorm();
  });
  it('cross-entropy head', checkCrossEntropyHead);
  it('matmul, matmulTransposed, matmulAdd: the SIMD product, tiles and tails', async () => {
    // 37 × 23 · 23 × 41 leaves an odd row and columns past the 16- and 4-wide tiles; 4 × 32 · (100 × 32)ᵀ
    // takes the few-rows way of a·bᵀ, (b·aᵀ)ᵀ.
    for (const [M, K, N] of [[5, 7, 3], [37, 23, 41], [64, 32, 128], [4, 32, 100]]) {
      await checkOp((a, b) => matmul(a as tf.Tensor2D, b as tf.Tensor2D), (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), [randn([M, K]), randn([K, N])]);
      await checkOp((a, b) => matmulTransposed(a as tf.Tensor2D, b as tf.Tensor2D), (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true), [randn([M, K]), randn([N, K])]);
      await checkOp((a, b, c) => matmulAdd(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D), (a, b, c) => tf.add(c, tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D)), [randn([M, K]), randn([K, N]), randn([M, N])]);
    }
  });
  it('attention: the fused SIMD kernels and per-block matmuls, causal and padded masks', async () => {
    // Widths that fill the kernel's 16- and 4-column tiles, and ones that leave scalar tails.
    await checkAttention(['fused', 'grouped'], 2, 5, 2, 8);
    await checkAttention(['fused'], 3, 20, 2, 64);
    await checkAttention(['fused'], 2, 7, 3, 15);
    // Several row chunks of 16, with left padding: each chunk's products cover only its rows' columns.
    await checkAttention(['fused'], 3, 40, 2, 16);
  });
  it('attention over a KV cache: the fused SIMD kernel against plain ops, one and several new positions', async () => {
    const B = 3, H = 2, d = 12, hd = d / H, Tp = 5;
    for (const T of [1, 3]) {
      const Tk = Tp + T;
      const qkv = randn([B * T, 3 * d]) as tf.Tensor2D;
      const kT = randn([B * H, hd, Tp]) as tf.Tensor3D;
      const v = randn([B * H, Tp, hd]) as tf.Tensor3D;
      // Row b has b left pads; new position t sees keys up to Tp + t.
      const bias = tf.tensor4d(new Float32Array(B * T * Tk).map((_, i) => {
        const [b, t, j] = [Math.floor(i / (T * Tk)), Math.floor(i / Tk) % T, i % Tk];
        return j < b || j > Tp + t ? MASKED : 0;
      }), [B, 1, T, Tk]);
      const got = attendWithCache(qkv, B, H, bias, { kT, v }, 64);
      const [q, k, vNew] = tf.split(qkv, 3, 1).map((x) => tf.transpose(tf.reshape(x, [B, T, H, hd]), [0, 2, 1, 3]));
      const kTAll = tf.concat([kT, tf.reshape(tf.transpose(k, [0, 1, 3, 2]), [B * H, hd, T])], 2);
      const vAll = tf.concat([v, tf.reshape(vNew, [B * H, T, hd])], 1);
      const s = tf.add(tf.div(tf.matMul(q, tf.reshape(kTAll, [B, H, hd, Tk])), Math.sqrt(hd)), bias);
      const y = tf.reshape(tf.transpose(tf.matMul(tf.softmax(s), tf.reshape(vAll, [B, H, Tk, hd])), [0, 2, 1, 3]), [B * T, d]);
      await expectClose(got.y, y, 1e-5);
      // The cache is copied, not computed: exactly the same values, in a cache with room for more columns.
      const G = B * H;
      const room = got.cache.kT.shape[2];
      expect(room).toBeGreaterThan(Tk);
      expect(got.cache.v.shape).toEqual([G, room, hd]);
      const held = (c: { kT: tf.Tensor3D; v: tf.Tensor3D }, n: number) => [tf.slice(c.kT, [0, 0, 0], [G, hd, n]), tf.slice(c.v, [0, 0, 0], [G, n, hd])];
      const [heldKT, heldV] = held(got.cache, Tk);
      expect(Array.from(await heldKT.data())).toEqual(Array.from(await kTAll.data()));
      expect(Array.from(await heldV.data())).toEqual(Array.from(await vAll.data()));

      // The next T positions go into that room, in place: the same data, the tensor passed in unchanged
      // in the columns it holds, and outputs against plain ops over all Tk + T keys.
      const qkv2 = randn([B * T, 3 * d]) as tf.Tensor2D;
      const Tk2 = Tk + T;
      const bias2 = tf.tensor4d(new Float32Array(B * T * Tk2).map((_, i) => {
        const [b, t, j] = [Math.floor(i / (T * Tk2)), Math.floor(i / Tk2) % T, i % Tk2];
        return j < b || j > Tk + t ? MASKED : 0;
      }), [B, 1, T, Tk2]);
      const next = attendWithCache(qkv2, B, H, bias2, got.cache, 64);
      expect(next.cache.kT.dataId).toBe(got.cache.kT.dataId);
      expect(next.cache.kT.shape).toEqual([G, hd, room]);
      const [q2, k2, v2] = tf.split(qkv2, 3, 1).map((x) => tf.transpose(tf.reshape(x, [B, T, H, hd]), [0, 2, 1, 3]));
      const kTAll2 = tf.concat([kTAll, tf.reshape(tf.transpose(k2, [0, 1, 3, 2]), [B * H, hd, T])], 2);
      const vAll2 = tf.concat([vAll, tf.reshape(v2, [B * H, T, hd])], 1);
      const s2 = tf.add(tf.div(tf.matMul(q2, tf.reshape(kTAll2, [B, H, hd, Tk2])), Math.sqrt(hd)), bias2);
      await expectClose(next.y, tf.reshape(tf.transpose(tf.matMul(tf.softmax(s2), tf.reshape(vAll2, [B, H, Tk2, hd])), [0, 2, 1, 3]), [B * T, d]), 1e-5);
      const [nextKT, nextV] = held(next.cache, Tk2);
      expect(Array.from(await nextKT.data())).toEqual(Array.from(await kTAll2.data()));
      expect(Array.from(await nextV.data())).toEqual(Array.from(await vAll2.data()));
      expect(Array.from(await held(got.cache, Tk)[0].data())).toEqual(Array.from(await kTAll.data()));
      // Sharing the data, each tensor is disposed on its own.
      got.cache.kT.dispose();
      got.cache.v.dispose();
      expect(Array.from(await held(next.cache, Tk2)[1].data())).toEqual(Array.from(await vAll2.data()));
    }
  });
  it('a decode step\'s LayerNorm and GELU in one SIMD kernel each, against the ops they replace', async () => {
    // Rows of a decode step; widths with and without a tail of 1–3 floats.
    for (const [N, d, f] of [[5, 32, 128], [3, 13, 30], [1, 128, 512]]) {
      const x = randn([N, d]) as tf.Tensor2D;
      const gain = tf.add(1, tf.mul(0.1, randn([d]))) as tf.Tensor1D;
      const bias = tf.mul(0.1, randn([d])) as tf.Tensor1D;
      const w = randn([d, f]) as tf.Tensor2D;
      const w2 = randn([f, d]) as tf.Tensor2D;
      const wT = randn([f, d]) as tf.Tensor2D;
      const before = tf.memory().numTensors;
      const got = tf.tidy(() => [layerNormMatmul(x, gain, bias, w), layerNormMatmulTransposed(x, gain, bias, wT), mlpResidual(x, gain, bias, w, w2)]);
      expect(tf.memory().numTensors - before).toBe(3);
      const norm = layerNorm(x, gain, bias);
      await expectClose(got[0], tf.matMul(norm, w), 1e-5);
      await expectClose(got[1], tf.matMul(norm, wT, false, true), 1e-5);
      await expectClose(got[2], tf.add(x, tf.matMul(gelu(tf.matMul(norm, w)), w2)), 1e-5);
    }
  });
  it('policy-gradient head with the KL penalty', checkPolicyHeadWithKl);
  it('policy-gradient head: clipped ratio, entropy, temperature, masks', checkPolicyHeadWithMasks);
});

async function checkLayerNorm(): Promise<void> {
  const ref = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
  };
  await checkOp((x, g, b) => layerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D), ref, [randn([6, 8], 3), randn([8]), randn([8])]);
}

async function checkCrossEntropyHead(): Promise<void> {
  const batch = packLM([{ ids: [1, 2, 3, 4] }, { ids: [4, 3, 2], targetMask: [0, 0, 1] }], 6);
  const reference = (z: tf.Tensor) => {
    const logp = tf.sum(tf.mul(tf.logSoftmax(z), tf.oneHot(tf.tensor1d(batch.targets, 'int32'), 6)), -1);
    return tf.mul(tf.sum(tf.mul(logp, tf.tensor1d(batch.weights))), -0.25);
  };
  await checkOp((z) => crossEntropyFromLogits(z as tf.Tensor2D, batch, 0.25), reference, [randn([batch.B * batch.T, 6], 2)]);
}

async function checkPolicyHeadWithKl(): Promise<void> {
  const V = 5;
  const batch = packPolicy([
    { promptIds: [1, 2], responseIds: [3, 0, 4], oldLogProbs: [-1.2, -2, -0.7], advantage: 0.8, refLogProbs: [-0.5, -3.1, -1.9] },
    { promptIds: [2], responseIds: [1, 2], oldLogProbs: [-1.5, -1.1], advantage: -0.4, refLogProbs: [-2.2, -0.3] },
  ], V);
  const opts = { clipEps: 0.2, entropyCoef: 0.01, temperature: 1, klCoef: 0.3 };
  await checkOp(ourPolicyLoss(batch, 0.5, opts), referencePolicyLoss(batch, V, 0.5, opts), [randn([batch.targets.length, V], 1.5)]);
  // Without reference log-probs the penalty cannot be computed, and says so.
  const bare = packPolicy([{ promptIds: [1], responseIds: [2], oldLogProbs: [-1], advantage: 1 }], V);
  expect(() => policyLossFromLogits(randn([1, V]) as tf.Tensor2D, bare, 1, opts)).toThrow(/reference log-probs/);
}

async function checkPolicyHeadWithMasks(): Promise<void> {
  const V = 6;
  const masks = [Uint8Array.from([1, 1, 0, 1, 0, 1]), Uint8Array.from([0, 1, 1, 1, 1, 1])];
  const batch = packPolicy([
    // old log-probs far from the current ones, so both clip branches and both advantage signs occur
    { promptIds: [1, 2], responseIds: [3, 5, 1], oldLogProbs: [-3, -0.2, -1.5], advantage: 1.3 },
    { promptIds: [4], responseIds: [1, 2], oldLogProbs: [-0.1, -4], advantage: -0.7, masks },
  ], V);
  const opts = { clipEps: 0.2, entropyCoef: 0.05, temperature: 0.7 };
  expect(batch.targets.length).toBe(5); // one logits row per response token
  expect(Array.from(batch.rows!)).toEqual([1, 2, 3, 4, 5]); // b·T + P − 1 + j, T = 4
  await checkOp(ourPolicyLoss(batch, 0.2, opts), referencePolicyLoss(batch, V, 0.2, opts), [randn([batch.targets.length, V], 2)]);
}
