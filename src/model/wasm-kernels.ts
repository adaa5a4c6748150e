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
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from './tf';

const UNSTACK_BLOCKS = 'AzrUnstackBlocks';
const GATHER_ROWS = 'AzrGatherRows';
const SCATTER_ADD_ROWS = 'AzrScatterAddRows';
const ADAMW = 'AzrAdamW';

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

