// Kernels the wasm backend lacks or runs slowly, written over its heap in plain JS (each one a copy or
// an add per element, where the built-in ways pay far more):
// - AzrUnstackBlocks: split [G, R, C] into G tensors [R, C] at memcpy speed. The built-in ways are slow
//   there — Slice/SplitV/Unpack copy their WHOLE input out of the wasm heap on every call (G calls, G full
//   copies), and GatherV2 moves ≈ 40 ns per element — and per-block attention needs thousands of blocks per
//   training step (./attention).
// - AzrGatherRows: rows of a [V, d] table by index (the embedding's forward), one row copy each, where
//   GatherV2 moves element by element.
// - AzrScatterAddRows: the embedding's gradient, dy's rows added into a zero [V, d] table at their ids.
//   Otherwise it is a one-hot matmul, V·N·d multiply-adds (and a [V, N] one-hot) for N·d additions.
// - AzrAdamW: one AdamW update of one small parameter in one pass over its elements, where the same
//   arithmetic as tfjs ops is ≈ 16 kernels per parameter per step (≈ 320 on the tiny model, ≈ 290 for the
//   default model's LayerNorm gains and biases alone), most of it per-kernel overhead.
// - AzrSoftmaxCrossEntropy: the pretraining loss and its gradient with respect to the logits in three
//   passes over [N, V], one exp per element. As tfjs ops it is a log-softmax (max, sub, exp, sum, log,
//   sub), a second exp for the probabilities the backward needs, a one-hot and four more full-width
//   multiplies and sums: ≈ 12 passes and two exps per element, a quarter of the tiny model's training step.
// - AzrLogSoftmax: log-probabilities and probabilities of every row in two passes and one exp per element,
//   where tfjs's logSoftmax is six kernels with an exp, and the probabilities a second exp.
// - AzrLayerNormGrad: LayerNorm's backward (12 kernels as tfjs ops) in one row-by-row pass; at d = 32–128
//   most of those kernels' time is per-kernel overhead. With SIMD the pass is ./wasm-simd's `layerNormGrad`
//   (17.7 → under 6 ms of a default training step's kernels), else the JS loop below. (Training's forward,
//   9 kernels, stays on tfjs: a JS loop measured 1.4–2.8× slower than them. A decode step's forward, with
//   nothing to save for a backward, is one SIMD kernel: ./wasm-simd-kernels fusedLayerNorm.)
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from './tf';
import { at, simdOn } from './wasm-simd-kernels';

const UNSTACK_BLOCKS = 'AzrUnstackBlocks';
const GATHER_ROWS = 'AzrGatherRows';
const SCATTER_ADD_ROWS = 'AzrScatterAddRows';
const ADAMW = 'AzrAdamW';
const SOFTMAX_CROSS_ENTROPY = 'AzrSoftmaxCrossEntropy';
const LAYER_NORM_GRAD = 'AzrLayerNormGrad';
const LOG_SOFTMAX = 'AzrLogSoftmax';

const onWasm = () => tf.getBackend() === 'wasm';

tf.registerKernel({
  kernelName: UNSTACK_BLOCKS,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const wasm = backend as BackendWasm;
    const x = inputs.x as tf.TensorInfo;
    const [G, R, C] = x.shape;
    // Allocate every output first: an allocation may grow the heap, which detaches earlier heap views.
    const outs = Array.from({ length: G }, () => wasm.makeOutput([R, C], x.dtype));
    const src = wasm.typedArrayFromHeap(x);
    outs.forEach((out, g) => wasm.typedArrayFromHeap(out).set(src.subarray(g * R * C, (g + 1) * R * C)));
    return outs;
  },
});

/** Throws before anything is allocated, so a bad index leaks no output. */
function checkIndices(index: tf.TypedArray, rows: number, what: string): void {
  for (const row of index) if (!(row >= 0 && row < rows)) throw new RangeError(`${what}: index ${row} is outside [0, ${rows})`);
}

tf.registerKernel({
  kernelName: GATHER_ROWS,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const wasm = backend as BackendWasm;
    const table = inputs.table as tf.TensorInfo;
    const ids = inputs.ids as tf.TensorInfo;
    const [V, d] = table.shape;
    const N = ids.shape[0];
    checkIndices(wasm.typedArrayFromHeap(ids), V, 'gatherRows');
    const out = wasm.makeOutput([N, d], table.dtype);
    const src = wasm.typedArrayFromHeap(table);
    const index = wasm.typedArrayFromHeap(ids);
    const dst = wasm.typedArrayFromHeap(out);
    for (let n = 0; n < N; n++) dst.set(src.subarray(index[n] * d, index[n] * d + d), n * d);
    return out;
  },
});

tf.registerKernel({
  kernelName: SCATTER_ADD_ROWS,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const wasm = backend as BackendWasm;
    const dy = inputs.dy as tf.TensorInfo;
    const ids = inputs.ids as tf.TensorInfo;
    const V = (attrs as { rows: number }).rows;
    const [N, d] = dy.shape;
    checkIndices(wasm.typedArrayFromHeap(ids), V, 'scatterAddRows');
    const out = wasm.makeOutput([V, d], 'float32');
    const src = wasm.typedArrayFromHeap(dy);
    const index = wasm.typedArrayFromHeap(ids);
    const dst = wasm.typedArrayFromHeap(out);
    dst.fill(0);
    for (let n = 0; n < N; n++) {
      const o = index[n] * d;
      const s = n * d;
      for (let j = 0; j < d; j++) dst[o + j] += src[s + j];
    }
    return out;
  },
});

/** The scalars of one AdamW update (./adamw): c1, c2 the bias corrections, keep = 1 − lr·decay (or 1). */
export interface AdamWScalars {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  c1: number;
  c2: number;
  keep: number;
  gradScale: number;
}

tf.registerKernel({
  kernelName: ADAMW,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const wasm = backend as BackendWasm;
    const { lr, beta1, beta2, epsilon, c1, c2, keep, gradScale } = attrs as unknown as AdamWScalars;
    const [param, grad, m, v] = [inputs.param, inputs.grad, inputs.m, inputs.v] as tf.TensorInfo[];
    const outs = [param, m, v].map((t) => wasm.makeOutput(t.shape, 'float32'));
    const [p0, g, m0, v0] = [param, grad, m, v].map((t) => wasm.typedArrayFromHeap(t));
    const [p1, m1, v1] = outs.map((t) => wasm.typedArrayFromHeap(t));
    for (let i = 0; i < p0.length; i++) {
      const gi = g[i] * gradScale;
      const mi = beta1 * m0[i] + (1 - beta1) * gi;
      const vi = beta2 * v0[i] + (1 - beta2) * gi * gi;
      m1[i] = mi;
      v1[i] = vi;
      p1[i] = p0[i] * keep - lr * ((mi * c1) / (Math.sqrt(vi * c2) + epsilon));
    }
    return outs;
  },
});

/**
 * Parameters up to this size take the fused kernel. Larger ones stay on tfjs's ops: their SIMD kernels
 * match the JS loop's ≈ 4.5 ns per element, and per-kernel overhead no longer matters at that size.
 */
const FUSED_ADAMW_MAX_ELEMENTS = 32_768;

/**
 * One AdamW update of a small parameter on wasm: [param′, m′, v′]; undefined for a large parameter or on
 * other backends (./adamw then uses tfjs ops). No gradient.
 */
export function adamWUpdate(param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, scalars: AdamWScalars): tf.Tensor[] | undefined {
  if (!onWasm() || param.size > FUSED_ADAMW_MAX_ELEMENTS || [param, grad, m, v].some((t) => t.dtype !== 'float32')) return undefined;
  return tf.engine().runKernel<tf.Tensor[]>(ADAMW, { param, grad, m, v }, { ...scalars }) as tf.Tensor[];
}

/** The G blocks of x [G, R, C], each [R, C]. */
export function unstackBlocks(x: tf.Tensor3D): tf.Tensor2D[] {
  if (onWasm()) return tf.engine().runKernel<tf.Tensor[]>(UNSTACK_BLOCKS, { x }) as tf.Tensor2D[];
  return tf.unstack(x) as tf.Tensor2D[];
}

/** Rows `ids` (int32 [N]) of `table` [V, d] → [N, d]. No gradient: ./ops wraps it. */
export function gatherRows(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  if (onWasm() && table.dtype === 'float32' && ids.dtype === 'int32') {
    return tf.engine().runKernel<tf.Tensor>(GATHER_ROWS, { table, ids }) as tf.Tensor2D;
  }
  return tf.gather(table, ids);
}

/**
 * Σ over n with ids[n] = v of dy[n], for every v < rows → [rows, d]: the gradient of `gatherRows` with
 * respect to its table. No gradient of its own.
 */
export function scatterAddRows(dy: tf.Tensor2D, ids: tf.Tensor1D, rows: number): tf.Tensor2D {
  if (onWasm() && dy.dtype === 'float32' && ids.dtype === 'int32') {
    return tf.engine().runKernel<tf.Tensor>(SCATTER_ADD_ROWS, { dy, ids }, { rows }) as tf.Tensor2D;
  }
  // [rows, N] one-hot built the right way round (no transpose of an [N, rows] one), times dy.
  const hits = tf.cast(tf.equal(tf.reshape(tf.range(0, rows, 1, 'int32'), [rows, 1]), tf.reshape(ids, [1, -1])), 'float32');
  return tf.matMul(hits as tf.Tensor2D, dy);
}


const LOG2E = 1.4426950408889634;
const LN2 = 0.6931471805599453;
/** 2^k for k in [−150, 149], indexed by k + 150 (k ≥ −150 for x ≥ −104). */
const POW2 = Float64Array.from({ length: 300 }, (_, i) => 2 ** (i - 150));

/**
 * e^x for x ≤ 0 to float32 precision (relative error < 1e-8 before rounding to float32), ≈ 2.5× faster
 * than Math.exp in V8: x = k·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor series to r⁷ (the next term
 * is < 6e-9 of it), times 2^k from a table. Below −104, where float32's e^x underflows, exactly 0, so a
 * masked logit (−1e9) gets probability 0 as with tfjs's exp.
 */
export function expNonPositive(x: number): number {
  if (x < -104) return 0;
  const k = (x * LOG2E + 150.5) | 0;
  const r = x - (k - 150) * LN2;
  const series = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040)))))));
  return series * POW2[k];
}

function rowMax(z: tf.TypedArray, row: number, V: number): number {
  let max = -Infinity;
  for (let i = row; i < row + V; i++) if (z[i] > max) max = z[i];
  return max;
}

/** out[i] = e^(z[i] − max) over one row; returns their sum. */
function expShiftedRow(z: tf.TypedArray, out: tf.TypedArray, row: number, V: number, max: number): number {
  let sum = 0;
  for (let i = row; i < row + V; i++) {
    const e = expNonPositive(z[i] - max);
    out[i] = e;
    sum += e;
  }
  return sum;
}

tf.registerKernel({
  kernelName: SOFTMAX_CROSS_ENTROPY,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const wasm = backend as BackendWasm;
    const { scale } = attrs as { scale: number };
    const [logits, targets, weights] = [inputs.logits, inputs.targets, inputs.weights] as tf.TensorInfo[];
    const [N, V] = logits.shape;
    checkIndices(wasm.typedArrayFromHeap(targets), V, 'softmaxCrossEntropy');
    const lossOut = wasm.makeOutput([], 'float32');
    const gradOut = wasm.makeOutput([N, V], 'float32');
    const z = wasm.typedArrayFromHeap(logits);
    const target = wasm.typedArrayFromHeap(targets);
    const weight = wasm.typedArrayFromHeap(weights);
    const grad = wasm.typedArrayFromHeap(gradOut);
    let loss = 0;
    for (let n = 0; n < N; n++) {
      const row = n * V;
      const w = weight[n] * scale;
      if (w === 0) {
        grad.fill(0, row, row + V);
        continue;
      }
      const max = rowMax(z, row, V);
      const sum = expShiftedRow(z, grad, row, V, max);
      // −w·log p(target) = w·(log Σ e^(z − max) − (z_target − max)); d/dz = w·(softmax − one-hot).
      const t = row + target[n];
      loss += w * (Math.log(sum) - (z[t] - max));
      const ws = w / sum;
      for (let i = row; i < row + V; i++) grad[i] *= ws;
      grad[t] -= w;
    }
    wasm.typedArrayFromHeap(lossOut)[0] = loss;
    return [lossOut, gradOut];
  },
});

/**
 * scale · Σₙ wₙ · −log softmax(logitsₙ)[targetₙ] and its gradient with respect to the logits,
 * scale · wₙ · (softmax(logitsₙ) − one-hot(targetₙ)), in one kernel on wasm; undefined on other backends.
 * No gradient of its own: ./loss wraps it.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D, scale: number): [tf.Scalar, tf.Tensor2D] | undefined {
  if (!onWasm() || logits.dtype !== 'float32' || targets.dtype !== 'int32' || weights.dtype !== 'float32') return undefined;
  return tf.engine().runKernel<tf.Tensor[]>(SOFTMAX_CROSS_ENTROPY, { logits, targets, weights }, { scale }) as unknown as [tf.Scalar, tf.Tensor2D];
}

tf.registerKernel({
  kernelName: LAYER_NORM_GRAD,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const wasm = backend as BackendWasm;
    const [dy, xhat, rstd, gain] = [inputs.dy, inputs.xhat, inputs.rstd, inputs.gain] as tf.TensorInfo[];
    const [N, d] = dy.shape;
    const outs = [wasm.makeOutput([N, d], 'float32'), wasm.makeOutput([d], 'float32'), wasm.makeOutput([d], 'float32')];
    const simd = simdOn(wasm);
    if (simd) {
      // Four lanes at a time in the SIMD module, its sums over rows in float32.
      wasm.typedArrayFromHeap(outs[1]).fill(0);
      wasm.typedArrayFromHeap(outs[2]).fill(0);
      const [pdy, pxhat, prstd, pgain, pdx, pdgain, pdbias] = [dy, xhat, rstd, gain, ...outs].map((t) => at(wasm, t));
      simd.layerNormGrad(pdy, pxhat, prstd, pgain, pdx, pdgain, pdbias, N, d);
      return outs;
    }
    const [gy, h, r, g] = [dy, xhat, rstd, gain].map((t) => wasm.typedArrayFromHeap(t));
    const [dx, dgOut, dbOut] = outs.map((t) => wasm.typedArrayFromHeap(t));
    const dg = new Float64Array(d);
    const db = new Float64Array(d);
    for (let n = 0; n < N; n++) {
      const row = n * d;
      // dx̂ = dy·g;  dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)).
      let m1 = 0;
      let m2 = 0;
      for (let j = 0; j < d; j++) {
        const dh = gy[row + j] * g[j];
        m1 += dh;
        m2 += dh * h[row + j];
        dg[j] += gy[row + j] * h[row + j];
        db[j] += gy[row + j];
      }
      m1 /= d;
      m2 /= d;
      for (let j = 0; j < d; j++) dx[row + j] = r[n] * (gy[row + j] * g[j] - m1 - h[row + j] * m2);
    }
    dgOut.set(dg);
    dbOut.set(db);
    return outs;
  },
});

/** LayerNorm's backward on wasm from the forward's x̂ [N, d] and rstd [N, 1]: [dx, dgain, dbias]; undefined elsewhere. */
export function layerNormBackward(dy: tf.Tensor2D, xhat: tf.Tensor2D, rstd: tf.Tensor2D, gain: tf.Tensor1D): [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D] | undefined {
  if (!onWasm() || [dy, xhat, rstd, gain].some((t) => t.dtype !== 'float32')) return undefined;
  return tf.engine().runKernel<tf.Tensor[]>(LAYER_NORM_GRAD, { dy, xhat, rstd, gain }) as unknown as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
}

tf.registerKernel({
  kernelName: LOG_SOFTMAX,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const wasm = backend as BackendWasm;
    const logits = inputs.logits as tf.TensorInfo;
    const [N, V] = logits.shape;
    const outs = [wasm.makeOutput([N, V], 'float32'), wasm.makeOutput([N, V], 'float32')];
    const z = wasm.typedArrayFromHeap(logits);
    const [logp, p] = outs.map((t) => wasm.typedArrayFromHeap(t));
    for (let n = 0; n < N; n++) {
      const row = n * V;
      const max = rowMax(z, row, V);
      const sum = expShiftedRow(z, p, row, V, max);
      const logSum = Math.log(sum);
      const inv = 1 / sum;
      for (let i = row; i < row + V; i++) {
        logp[i] = z[i] - max - logSum;
        p[i] *= inv;
      }
    }
    return outs;
  },
});

/** [log softmax, softmax] of each row of logits [N, V] on wasm; undefined on other backends. No gradient. */
export function logSoftmaxWithProbs(logits: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] | undefined {
  if (!onWasm() || logits.dtype !== 'float32') return undefined;
  return tf.engine().runKernel<tf.Tensor[]>(LOG_SOFTMAX, { logits }) as unknown as [tf.Tensor2D, tf.Tensor2D];
}
