// Differentiable building blocks, each with a hand-written gradient (tf.customGrad).
//
// Why by hand: (1) tfjs-core registers no gradients by itself, and its per-kernel gradient files cannot be
// loaded by Node's module loader (extensionless ESM imports), so the CLI could not train through autodiff;
// with every op on the training path carrying its own gradient, no gradient registry is needed on any
// backend. (2) It sidesteps the wasm traps in ../shared/BROWSER.md: wasm has no gradient for `gather`
// (no UnsortedSegmentSum), so the embedding's gradient is a one-hot matmul; autodiff's matmul gradient uses
// `transposeA/B`, which the wasm kernel runs 10–25× slower than a plain matmul of explicitly transposed
// operands; and fewer, larger kernels in the backward pass.
//
// Tensors a gradient needs must go through `save` (the forward pass's intermediates are disposed before
// the backward pass runs).
import type { LayerCache } from './attention';
import { tf } from './tf';
import { gatherRows, layerNormBackward, scatterAddRows } from './wasm-kernels';
import { fusedGelu, fusedLayerNorm, simdMatMul, simdMatMulAvailable } from './wasm-simd-kernels';
import { decodeMlp, decodeStep, embedSum, type DecodeDims, type JoinedCache, type DecodeWeight, fusedWebGPU, geluForward, layerNormBackwardWebGPU, layerNormForward, normProject } from './webgpu-kernels';

type Save = (tensors: tf.Tensor[]) => void;
type GradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
type CustomGradFn = Parameters<typeof tf.customGrad>[0];

function custom(f: (...args: never[]) => { value: tf.Tensor; gradFunc: GradFunc }): (...inputs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad(f as unknown as CustomGradFn);
}

/**
 * aᵀ · g for a [M, K], g [M, N] → [K, N], transposing whichever costs fewer elements: a itself (M·K), or
 * g and the small product (M·N + K·N, as (gᵀ · a)ᵀ). A transpose flag is no way out: the wasm matmul runs
 * 2–3× slower with one than with explicitly transposed operands. For the tied head's weight gradient
 * (g = dlogits [M, V], a = h [M, d]) this moves M·d elements instead of M·V.
 */
function transposedTimes(a: tf.Tensor2D, g: tf.Tensor2D): tf.Tensor2D {
  // On wasm with SIMD, aᵀ is read through the product's strides: no transpose at all. On WebGPU the
  // transposed read is part of the matmul program: one dispatch instead of two or three.
  if (simdMatMulAvailable()) return simdMatMul(a, g, true, false);
  if (fusedWebGPU()) return tf.matMul(a, g, true, false);
  const [M, K] = a.shape;
  const N = g.shape[1];
  if (M * K <= M * N + K * N) return tf.matMul(tf.transpose(a), g);
  return tf.transpose(tf.matMul(tf.transpose(g), a)) as tf.Tensor2D;
}

/** Gradients of a·b with respect to a and b, given dy. */
function matmulGrads(dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor[] {
  const [g, w] = [dy as tf.Tensor2D, b as tf.Tensor2D];
  // bᵀ read in place where the product can (wasm's SIMD kernel, WebGPU's matmul program), else transposed first.
  const da = simdMatMulAvailable() ? simdMatMul(g, w, false, true) : fusedWebGPU() ? tf.matMul(g, w, false, true) : tf.matMul(g, tf.transpose(w));
  return [da, transposedTimes(a as tf.Tensor2D, dy as tf.Tensor2D)];
}

/** a·b: ./wasm-simd-kernels' product on wasm with SIMD, tfjs's matmul elsewhere. */
function times(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return simdMatMulAvailable() ? simdMatMul(a, b) : tf.matMul(a, b);
}

const matmulOp = custom((a: tf.Tensor2D, b: tf.Tensor2D, save: Save) => {
  save([a, b]);
  return { value: times(a, b), gradFunc: (dy, [sa, sb]) => matmulGrads(dy, sa, sb) };
});

/** [M, K] · [K, N]. */
export function matmul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matmulOp(a, b) as tf.Tensor2D;
}

const matmulTransposedOp = custom((a: tf.Tensor2D, b: tf.Tensor2D, save: Save) => {
  save([a, b]);
  return {
    // On WebGPU the transposed read is part of the matmul program (one dispatch, not two); on wasm with
    // SIMD one kernel (./wasm-simd-kernels) transposes whichever side moves fewer floats.
    value: fusedWebGPU() ? tf.matMul(a, b, false, true) : simdMatMulAvailable() ? simdMatMul(a, b, false, true) : tf.matMul(a, tf.transpose(b)),
    gradFunc: (dy, [sa, sb]) => [
      times(dy as tf.Tensor2D, sb as tf.Tensor2D),
      transposedTimes(dy as tf.Tensor2D, sa as tf.Tensor2D),
    ],
  };
});

/** [M, K] · [N, K]ᵀ (the tied output head: hidden states times the embedding table). */
export function matmulTransposed(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matmulTransposedOp(a, b) as tf.Tensor2D;
}

const matmulAddOp = custom((a: tf.Tensor2D, b: tf.Tensor2D, c: tf.Tensor2D, save: Save) => {
  save([a, b]);
  return {
    // tfjs's fused matmul adds its "bias" (any shape that broadcasts to the output) in the matmul's own
    // write: one dispatch instead of two. The SIMD product on wasm starts its accumulators from c.
    value: fusedWebGPU() ? tf.fused.matMul({ a, b, bias: c }) : simdMatMul(a, b, false, false, c),
    gradFunc: (dy, [sa, sb]) => [...matmulGrads(dy, sa, sb), tf.clone(dy)],
  };
});

/**
 * c + a·b, the residual connection after a projection: one kernel on WebGPU and on wasm with SIMD,
 * elsewhere the same ops as `add(c, matmul(a, b))` (tfjs-wasm's fused matmul takes only a per-column bias).
 */
export function matmulAdd(a: tf.Tensor2D, b: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D {
  if (fusedWebGPU() || simdMatMulAvailable()) return matmulAddOp(a, b, c) as tf.Tensor2D;
  return add(c, matmul(a, b));
}

const addOp = custom((a: tf.Tensor, b: tf.Tensor) => ({
  value: tf.add(a, b),
  gradFunc: (dy) => [tf.clone(dy), tf.clone(dy)],
}));

/** Residual addition of same-shaped tensors. */
export function add<T extends tf.Tensor>(a: T, b: T): T {
  return addOp(a, b) as T;
}

/**
 * One-hot rows as float32. Cast from int32: the wasm OneHot kernel asked for float32 writes the integer
 * bit pattern (1 reads as 1.4e-45).
 */
export function oneHot(ids: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(ids, depth), 'float32') as tf.Tensor2D;
}

/**
 * Rows `ids` of `table` ([V, d] → [N, d]): a row gather forward and, backward, dy's rows added up per id
 * (./wasm-kernels: row copies and adds on wasm, a one-hot matmul elsewhere).
 */
export function embed(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const op = custom((t: tf.Tensor2D, save: Save) => {
    save([ids]);
    return {
      value: gatherRows(t, ids),
      gradFunc: (dy, [savedIds]) => [scatterAddRows(dy as tf.Tensor2D, savedIds as tf.Tensor1D, t.shape[0])],
    };
  });
  return op(table) as tf.Tensor2D;
}

/**
 * Rows `rows` of x ([N, d] → [M, d], rows distinct): a gather forward and, backward, a scatter of dy into
 * zeros [N, d]. The policy loss uses it to put only response positions through the output head.
 */
export function selectRows(x: tf.Tensor2D, rows: Int32Array): tf.Tensor2D {
  const N = x.shape[0];
  const op = custom((xs: tf.Tensor2D) => ({
    value: gatherRows(xs, tf.tensor1d(rows, 'int32')),
    gradFunc: (dy) => [scatterAddRows(dy as tf.Tensor2D, tf.tensor1d(rows, 'int32'), N)],
  }));
  return op(x) as tf.Tensor2D;
}

/** x [B·T, d] plus position rows 0…T−1 of `wpe` [C, d], in every sequence of the batch. */
export function addPositions(x: tf.Tensor2D, wpe: tf.Tensor2D, B: number, T: number): tf.Tensor2D {
  const [C, d] = wpe.shape;
  const op = custom((xs: tf.Tensor2D, table: tf.Tensor2D) => ({
    value: tf.reshape(tf.add(tf.reshape(xs, [B, T, d]), tf.slice(table, [0, 0], [T, d])), [B * T, d]),
    gradFunc: (dy) => [tf.clone(dy), tf.pad(tf.sum(tf.reshape(dy, [B, T, d]), 0), [[0, C - T], [0, 0]])],
  }));
  return op(x, wpe) as tf.Tensor2D;
}

const LAYER_NORM_EPSILON = 1e-5;

/** LayerNorm's normalised input and 1 / std per row, as tfjs ops. */
function normalise(x: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  const mean = tf.mean(x, -1, true);
  const centred = tf.sub(x, mean);
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), LAYER_NORM_EPSILON)) as tf.Tensor2D;
  return [tf.mul(centred, rstd), rstd];
}

const layerNormOp = custom((x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, save: Save) => {
  // On WebGPU the forward is one fused dispatch and the gradient four (./webgpu-kernels), working from x.
  const fusedValue = layerNormForward(x, gain, bias, LAYER_NORM_EPSILON);
  if (fusedValue) {
    save([x, gain]);
    return {
      value: fusedValue,
      gradFunc: (dy, [sx, sgain]) => {
        const fused = layerNormBackwardWebGPU(dy as tf.Tensor2D, sx as tf.Tensor2D, sgain as tf.Tensor1D, LAYER_NORM_EPSILON);
        if (fused) return fused;
        const [xhat, rstd] = normalise(sx as tf.Tensor2D);
        return layerNormGrad(dy, xhat, rstd, sgain as tf.Tensor1D);
      },
    };
  }
  const [xhat, rstd] = normalise(x);
  save([xhat, rstd, gain]);
  return {
    value: tf.add(tf.mul(xhat, gain), bias),
    gradFunc: (dy, [sxhat, srstd, sgain]) => layerNormGrad(dy, sxhat as tf.Tensor2D, srstd as tf.Tensor2D, sgain as tf.Tensor1D),
  };
});

function layerNormGrad(dy: tf.Tensor, xhat: tf.Tensor2D, rstd: tf.Tensor2D, gain: tf.Tensor1D): tf.Tensor[] {
  // On wasm one kernel (./wasm-kernels) instead of twelve. The forward stays on tfjs's ops there: its SIMD
  // kernels beat a JS loop, while the backward's twelve small kernels cost more than one loop.
  const fused = layerNormBackward(dy as tf.Tensor2D, xhat, rstd, gain);
  if (fused) return fused;
  const dxhat = tf.mul(dy, gain);
  const dx = tf.mul(rstd, tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), -1, true))));
  return [dx, tf.sum(tf.mul(dy, xhat), 0), tf.sum(dy, 0)];
}

/** LayerNorm over the last axis of [N, d], with gain and bias. */
export function layerNorm(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D): tf.Tensor2D {
  return layerNormOp(x, gain, bias) as tf.Tensor2D;
}

const GELU_K = 1.702;

/** d/dx x·σ(kx) = σ + k·x·σ·(1 − σ), times dy, with s = σ(kx). */
function geluGrad(dy: tf.Tensor, x: tf.Tensor, s: tf.Tensor): tf.Tensor {
  return tf.mul(dy, tf.add(s, tf.mul(tf.mul(tf.mul(x, s), tf.sub(1, s)), GELU_K)));
}

const geluOp = custom((x: tf.Tensor, save: Save) => {
  // On WebGPU one fused dispatch (./webgpu-kernels); the gradient recomputes σ(kx) from x.
  const fusedValue = geluForward(x, GELU_K);
  if (fusedValue) {
    save([x]);
    return { value: fusedValue, gradFunc: (dy, [sx]) => [geluGrad(dy, sx, tf.sigmoid(tf.mul(sx, GELU_K)))] };
  }
  const s = tf.sigmoid(tf.mul(x, GELU_K));
  save([x, s]);
  return { value: tf.mul(x, s), gradFunc: (dy, [sx, ss]) => [geluGrad(dy, sx, ss)] };
});

/** GELU in its sigmoid form `x·σ(1.702x)`: fewer kernels than the tanh form, same shape. */
export function gelu<T extends tf.Tensor>(x: T): T {
  return geluOp(x) as T;
}

/**
 * Inference only (no gradient): token embeddings plus position embeddings, table[ids] + positionTable[
 * positions]. For a decode step on WebGPU one dispatch (./webgpu-kernels embedSum) instead of three.
 */
export function embedAt(table: tf.Tensor2D, ids: tf.Tensor1D, positionTable: tf.Tensor2D, positions: tf.Tensor1D): tf.Tensor2D {
  return embedSum(table, ids, positionTable, positions) ?? add(embed(table, ids), embed(positionTable, positions));
}

/**
 * Inference only (no gradient): LayerNorm(x) @ w. For a decode step's rows on WebGPU one dispatch
 * (./webgpu-kernels normProject) instead of two; on wasm the LayerNorm is one SIMD kernel; elsewhere the two ops.
 */
export function layerNormMatmul(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, w: tf.Tensor2D): tf.Tensor2D {
  return normProject(x, gain, bias, w, LAYER_NORM_EPSILON) ?? matmul(inferenceLayerNorm(x, gain, bias), w);
}

/** LayerNorm without a gradient: one SIMD kernel on wasm (./wasm-simd-kernels fusedLayerNorm), else the op. */
function inferenceLayerNorm(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D): tf.Tensor2D {
  return fusedLayerNorm(x, gain, bias, LAYER_NORM_EPSILON) ?? layerNorm(x, gain, bias);
}

/**
 * Inference only (no gradient): LayerNorm(x) @ wᵀ (w [n, d]: the final LayerNorm and the logits against
 * the tied embedding). For a decode step's rows on WebGPU one dispatch instead of three.
 */
export function layerNormMatmulTransposed(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, w: tf.Tensor2D): tf.Tensor2D {
  return normProject(x, gain, bias, w, LAYER_NORM_EPSILON, true) ?? matmulTransposed(inferenceLayerNorm(x, gain, bias), w);
}

/**
 * Inference only (no gradient): a block's MLP with its residual, x + GELU(LayerNorm(x) @ w1) @ w2. For a
 * decode step's rows on WebGPU one dispatch (./webgpu-kernels decodeMlp) instead of four.
 */
export function mlpResidual(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, w1: tf.Tensor2D, w2: tf.Tensor2D): tf.Tensor2D {
  const decoded = decodeMlp(x, gain, bias, w1, w2, LAYER_NORM_EPSILON, GELU_K);
  if (decoded) return decoded;
  const hidden = matmul(inferenceLayerNorm(x, gain, bias), w1);
  return matmulAdd(fusedGelu(hidden, GELU_K) ?? gelu(hidden), w2, x);
}

/**
 * Inference only (no gradient): a whole decode step of one new position per row on WebGPU, from the
 * embeddings to the logits and the new keys and values into the joined cache, in one dispatch per block
 * plus two (./webgpu-kernels decodeStep), or null where it does not run (then the block-by-block path of
 * ./gpt forward does).
 */
export function fusedDecodeStep(
  weight: DecodeWeight, dims: DecodeDims, ids: tf.Tensor1D, positions: tf.Tensor1D, bias: tf.Tensor4D, past: ReadonlyArray<LayerCache> | JoinedCache,
): ReturnType<typeof decodeStep> {
  return decodeStep(weight, dims, ids, positions, bias, past, LAYER_NORM_EPSILON, GELU_K);
}

/** Inverted dropout with a seeded mask (identity when rate is 0). */
export function dropout(x: tf.Tensor2D, rate: number, seed: number): tf.Tensor2D {
  if (rate === 0) return x;
  const op = custom((xs: tf.Tensor2D, save: Save) => {
    const mask = tf.div(tf.cast(tf.greater(tf.randomUniform(xs.shape, 0, 1, 'float32', seed), rate), 'float32'), 1 - rate);
    save([mask]);
    return { value: tf.mul(xs, mask), gradFunc: (dy, [m]) => [tf.mul(dy, m)] };
  });
  return op(x) as tf.Tensor2D;
}
