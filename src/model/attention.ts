// Causal multi-head self-attention over the fused projection qkv [B·T, 3d], with a hand-written gradient.
//
// Three layouts of the same arithmetic. On wasm with WebAssembly SIMD, `fused`: one kernel for a layer's
// whole attention and one for its backward (./wasm-simd-kernels), where the others take about ten kernels
// per (sequence, head) block. Without SIMD, `grouped`: the wasm backend's batched matmul runs at ≈ 1–2 GFLOP/s while its
// 2-D matmul reaches ≈ 10–20 GFLOP/s on attention-sized blocks (measured here: [128×32]·[32×128] blocks,
// 192 of them, 110 ms batched vs 10 ms as separate 2-D matmuls), so on wasm every (sequence, head) block
// is its own 2-D matmul, its operands split out (./wasm-kernels) of [B·H, ·, ·] tensors laid out (and
// transposed once, as a whole) so that no block needs a transpose or a transpose flag. Backends with a real batched matmul
// (WebGPU, WebGL, cpu) run one batched matmul over all B·H blocks instead. The parity tests compare them.
import { tf } from './tf';
import { fusedAttendCached, fusedAttentionAvailable, fusedAttentionBackward, fusedAttentionForward } from './wasm-simd-kernels';
import { unstackBlocks } from './wasm-kernels';
import { decodeAttention } from './webgpu-kernels';

type Save = (tensors: tf.Tensor[]) => void;
type GradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/** Shapes of one attention call: B sequences of T positions, H heads of width hd = d / H. */
interface Dims {
  B: number;
  T: number;
  H: number;
  d: number;
  hd: number;
  scale: number;
}

function dims(qkv: tf.Tensor2D, B: number, H: number): Dims {
  const d = qkv.shape[1] / 3;
  const hd = d / H;
  return { B, T: qkv.shape[0] / B, H, d, hd, scale: 1 / Math.sqrt(hd) };
}

/**
 * q (scaled), k and v of every head, each [B·H, T, hd], from qkv [B·T, 3d]. Transposes of rank ≤ 4 and a
 * split along the first axis: a column `split` of qkv would copy all of qkv once per part on wasm, and
 * wasm's rank-5 transpose is ~10× slower per element than its rank-4 one.
 */
function headsOf(qkv: tf.Tensor2D, { B, T, H, hd, scale }: Dims): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
  const heads = tf.transpose(tf.reshape(qkv, [B, T, 3 * H, hd]), [0, 2, 1, 3]); // [B, 3H, T, hd]
  const parts = tf.transpose(tf.reshape(heads, [B, 3, H * T * hd]), [1, 0, 2]); // [3, B, H·T·hd]
  const [q, k, v] = unstackBlocks(parts as tf.Tensor3D).map((x) => tf.reshape(x, [B * H, T, hd]) as tf.Tensor3D);
  return [tf.mul(q, scale), k, v];
}

/** Inverse of `headsOf` for gradients: dq, dk, dv [B·H, T, hd] → dqkv [B·T, 3d]. */
function qkvOf(dq: tf.Tensor3D, dk: tf.Tensor3D, dv: tf.Tensor3D, { B, T, H, d, hd }: Dims): tf.Tensor2D {
  const parts = tf.reshape(tf.concat([dq, dk, dv], 0), [3, B, H * T * hd]);
  const heads = tf.reshape(tf.transpose(parts, [1, 0, 2]), [B, 3 * H, T, hd]);
  return tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [B * T, 3 * d]);
}

/** [B·T, d] → [B·H, T, hd] */
function toHeads(x: tf.Tensor2D, { B, T, H, hd }: Dims): tf.Tensor3D {
  return tf.reshape(tf.transpose(tf.reshape(x, [B, T, H, hd]), [0, 2, 1, 3]), [B * H, T, hd]);
}

/** [B·H, T, hd] → [B·T, d] */
function fromHeads(x: tf.Tensor3D, { B, T, H, d, hd }: Dims): tf.Tensor2D {
  return tf.reshape(tf.transpose(tf.reshape(x, [B, H, T, hd]), [0, 2, 1, 3]), [B * T, d]);
}

function swap(x: tf.Tensor3D): tf.Tensor3D {
  return tf.transpose(x, [0, 2, 1]);
}

/** Softmax backward: dS = P ⊙ (dP − Σ_j dP ⊙ P). */
function softmaxGrad(p: tf.Tensor, dp: tf.Tensor): tf.Tensor {
  return tf.mul(p, tf.sub(dp, tf.sum(tf.mul(dp, p), -1, true)));
}

function batched(qkv: tf.Tensor2D, bias: tf.Tensor4D, D: Dims, save: Save): { value: tf.Tensor; gradFunc: GradFunc } {
  const { B, T, H, scale } = D;
  const [q3, k3, v3] = headsOf(qkv, D);
  // Transposed operands are read by the matmul itself (its transpose flags): on WebGPU a transpose is a
  // dispatch of its own, and a step costs about its dispatch count on a real GPU.
  const scores = tf.add(tf.reshape(tf.matMul(q3, k3, false, true), [B, H, T, T]), bias);
  const p = tf.reshape(tf.softmax(scores), [B * H, T, T]) as tf.Tensor3D;
  save([q3, k3, v3, p]);
  return {
    value: fromHeads(tf.matMul(p, v3), D),
    gradFunc: (dy, [sq, sk, sv, sp]) => {
      const dY = toHeads(dy as tf.Tensor2D, D);
      const dS = softmaxGrad(sp, tf.matMul(dY, sv as tf.Tensor3D, false, true)) as tf.Tensor3D;
      const dQ = tf.mul(tf.matMul(dS, sk as tf.Tensor3D), scale) as tf.Tensor3D;
      const dK = tf.matMul(dS, sq as tf.Tensor3D, true, false) as tf.Tensor3D;
      const dV = tf.matMul(sp as tf.Tensor3D, dY, true, false) as tf.Tensor3D;
      return [qkvOf(dQ, dK, dV, D)];
    },
  };
}

/** Stacks G blocks [R, C] into [G, R, C]. */
function stack(parts: tf.Tensor2D[]): tf.Tensor3D {
  const [R, C] = parts[0].shape;
  return tf.reshape(tf.concat(parts, 0), [parts.length, R, C]);
}

function grouped(qkv: tf.Tensor2D, bias: tf.Tensor4D, D: Dims, save: Save): { value: tf.Tensor; gradFunc: GradFunc } {
  const { B, T, H, scale } = D;
  const G = B * H;
  const [q3, k3, v3] = headsOf(qkv, D);
  const kT3 = swap(k3);
  const [qb, kTb, vb] = [q3, kT3, v3].map(unstackBlocks);
  const biasBlocks = unstackBlocks(tf.reshape(bias, [bias.shape[0], T, T]));
  const probs = qb.map((qg, g) => tf.softmax(tf.add(tf.matMul(qg, kTb[g]), biasBlocks[Math.floor(g / H) % biasBlocks.length])) as tf.Tensor2D);
  const p3 = stack(probs);
  const y3 = stack(probs.map((p, g) => tf.matMul(p, vb[g])));
  save([q3, kT3, v3, p3, y3]);
  return {
    value: fromHeads(y3, D),
    gradFunc: (dy, [sq, skT, sv, sp, sy]) => {
      const dY3 = toHeads(dy as tf.Tensor2D, D);
      // Softmax backward: dS = P ⊙ (dP − D), where D = rowsum(dP ⊙ P) = rowsum(dY ⊙ Y), one op for all blocks.
      const rowDots = tf.sum(tf.mul(dY3, sy), -1, true) as tf.Tensor3D;
      const [dYb, dYTb, vTb, kb, qTb, pb, db] = [
        dY3, swap(dY3), swap(sv as tf.Tensor3D), swap(skT as tf.Tensor3D), swap(sq as tf.Tensor3D), sp as tf.Tensor3D, rowDots,
      ].map(unstackBlocks);
      const dQ: tf.Tensor2D[] = [];
      const dKT: tf.Tensor2D[] = [];
      const dVT: tf.Tensor2D[] = [];
      for (let g = 0; g < G; g++) {
        dVT.push(tf.matMul(dYTb[g], pb[g]));
        const dS = tf.mul(pb[g], tf.sub(tf.matMul(dYb[g], vTb[g]), db[g]));
        dQ.push(tf.matMul(dS, kb[g]));
        dKT.push(tf.matMul(qTb[g], dS));
      }
      return [qkvOf(tf.mul(stack(dQ), scale) as tf.Tensor3D, swap(stack(dKT)), swap(stack(dVT)), D)];
    },
  };
}

/** Two fused kernels on wasm (./wasm-simd-kernels): the whole attention of a layer, forward or backward. */
function fused(qkv: tf.Tensor2D, bias: tf.Tensor4D, D: Dims, save: Save): { value: tf.Tensor; gradFunc: GradFunc } {
  const [y, p] = fusedAttentionForward(qkv, bias, D.B, D.H);
  save([qkv, p]);
  return {
    value: y,
    gradFunc: (dy, [sqkv, sp]) => [fusedAttentionBackward(dy as tf.Tensor2D, sqkv as tf.Tensor2D, sp as tf.Tensor3D, D.B, D.H)],
  };
}

/** Whether this backend runs attention as per-block 2-D matmuls (see the top of this file). */
export function groupedAttention(): boolean {
  return tf.getBackend() === 'wasm';
}

export type AttentionLayout = 'fused' | 'grouped' | 'batched';

/** The fastest layout here: the fused kernels on wasm with SIMD, else per-block or batched matmuls. */
function defaultLayout(qkv: tf.Tensor2D, bias: tf.Tensor4D): AttentionLayout {
  if (fusedAttentionAvailable(qkv, bias)) return 'fused';
  return groupedAttention() ? 'grouped' : 'batched';
}

/**
 * Self-attention of B sequences over themselves: qkv [B·T, 3d] → [B·T, d]. `bias` [1 or B, 1, T, T] is
 * added to the scores (0 = attend, −1e9 = masked: causal, plus left padding in the sampler's prefill).
 */
export function selfAttention(qkv: tf.Tensor2D, B: number, H: number, bias: tf.Tensor4D, layout: AttentionLayout = defaultLayout(qkv, bias)): tf.Tensor2D {
  const D = dims(qkv, B, H);
  const impl = { fused, grouped, batched }[layout];
  const op = tf.customGrad(((x: tf.Tensor2D, save: Save) => impl(x, bias, D, save)) as unknown as CustomGradFn);
  return op(qkv) as tf.Tensor2D;
}

/** Keys and values of one layer in the sampler's cache: kT [B·H, hd, Tk], v [B·H, Tk, hd] (on wasm and WebGPU Tk may include room, see attendWithCache). */
export interface LayerCache {
  kT: tf.Tensor3D;
  v: tf.Tensor3D;
}

/** This call's keys and values in cache layout (after a prefill). */
export function cacheOf(qkv: tf.Tensor2D, B: number, H: number): LayerCache {
  const [, k, v] = headsOf(qkv, dims(qkv, B, H));
  return { kT: swap(k), v };
}

/**
 * Attention of T new positions per sequence over `past` and themselves (inference only, no gradient);
 * returns the output [B·T, d] and the extended cache. `bias` [B, 1, T, Tk] masks padding and the future;
 * its Tk says how many keys there are, past ones first. On wasm a cache may have room beyond its keys
 * (kT [B·H, hd, C], v [B·H, C, hd], C ≥ Tk − T), and the extension is written into that room: extend a
 * cache once (as the sampler does, step after step), since extending the same `past` twice would write
 * the second call's keys over the first result's. On WebGPU this path's decode step makes a new cache
 * tensor with room (./webgpu-kernels cacheColumns), so that its buffer has the size of the step before's;
 * the whole-step kernels (./webgpu-kernels decodeStep) keep one joined cache instead.
 */
export function attendWithCache(qkv: tf.Tensor2D, B: number, H: number, bias: tf.Tensor4D, past: LayerCache, maxKeys: number): { y: tf.Tensor2D; cache: LayerCache } {
  const D = dims(qkv, B, H);
  // One new position per row on WebGPU: three fused dispatches (./webgpu-kernels) instead of twelve.
  const fused = D.T === 1 ? decodeAttention(qkv, H, bias, past.kT, past.v, maxKeys) : null;
  if (fused) return { y: fused.y, cache: { kT: fused.kT, v: fused.v } };
  // On wasm with SIMD, one kernel (./wasm-simd-kernels) for any number of new positions.
  if (fusedAttentionAvailable(qkv, bias)) {
    const r = fusedAttendCached(qkv, bias, past.kT, past.v, B, H);
    return { y: r.y, cache: { kT: r.kT, v: r.v } };
  }
  const [q, k, v] = headsOf(qkv, D);
  // A cache grown on wasm or WebGPU may have room past its keys; only the keys held count here.
  const held = bias.shape[3] - D.T;
  const pastKT = past.kT.shape[2] > held ? tf.slice(past.kT, [0, 0, 0], [-1, -1, held]) : past.kT;
  const pastV = past.v.shape[1] > held ? tf.slice(past.v, [0, 0, 0], [-1, held, -1]) : past.v;
  const kT = tf.concat([pastKT, swap(k)], 2);
  const v3 = tf.concat([pastV, v], 1);
  const Tk = kT.shape[2];
  const scores = tf.add(tf.reshape(tf.matMul(q, kT), [B, D.H, D.T, Tk]), bias);
  const p = tf.reshape(tf.softmax(scores), [B * D.H, D.T, Tk]) as tf.Tensor3D;
  return { y: fromHeads(tf.matMul(p, v3), D), cache: { kT, v: v3 } };
}
