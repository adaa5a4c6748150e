// Kernels on the wasm backend whose products run in ./wasm-simd's SIMD `mm`, instantiated on tfjs-wasm's own
// memory: the kernels multiply tensors where they lie on its heap, and write their outputs in place.
//
// AzrMatMul: op(a)·op(b) (+ c), op = identity or transpose. tfjs-wasm's matmul wants its operands
// explicitly transposed (a transpose flag runs 2–3× slower, ./ops), so every weight gradient aᵀ·dy paid
// a Transpose kernel of the activations, and at the tiny model's shapes its XNNPACK matmul reaches
// 10–12 GFLOP/s on them (32×1024 · 1024×128, 1024×32 · 32×404) where `mm` reaches 28–36 with aᵀ read
// through its strides. A transposed b (a weight, small) is transposed into scratch; c, when given, is the
// residual, copied into the output and added to in the product's own accumulation.
//
// Causal self-attention on the wasm backend as two kernels, forward and backward, where tfjs's ops take
// about ten kernels per (sequence, head) block: on the tiny model that was ≈ 640 of a training step's
// ≈ 1,030 kernels, most of their time the engine's per-kernel bookkeeping. Each kernel makes every block's
// products with the SIMD `mm` (strided, so the heads are read straight out of qkv [B·T, 3d] and written
// straight into [B·T, d] and [B·T, 3d]: no transposes, splits or concats) and the softmax and its backward
// in JS.
//
// - AzrAttention: qkv [B·T, 3d], bias [1 or B, 1, T, T] → y [B·T, d], p [B·H, T, T] (the softmax, kept
//   for the backward). Sequence b uses bias block b mod (its first dimension).
// - AzrAttentionGrad: dy [B·T, d], qkv, p → dqkv [B·T, 3d].
// q is scaled by 1/√hd inside: S = (q·kᵀ)/√hd + bias, P = softmax(S), y = P·v; dS = P ⊙ (dP − Σ dP ⊙ P).
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from './tf';
import { productThreads } from './product-threads';
import { SimdMatmul } from './wasm-simd';

const MATMUL = 'AzrMatMul';
const ATTENTION = 'AzrAttention';
const ATTENTION_GRAD = 'AzrAttentionGrad';
const ATTEND_CACHED = 'AzrAttendCached';

/** What tfjs-wasm's Emscripten module has and its typings leave out. */
interface EmscriptenHeap {
  HEAPF32: Float32Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  /** The plain build's exports, its memory among them. */
  asm?: { memory?: WebAssembly.Memory };
  /** The threaded build's imported (shared) memory. */
  wasmMemory?: WebAssembly.Memory;
}

function heapOf(wasm: BackendWasm): EmscriptenHeap {
  return wasm.wasm as unknown as EmscriptenHeap;
}

const products = new WeakMap<WebAssembly.Memory, SimdMatmul | undefined>();
/**
 * The SIMD product on this backend's heap, made once per heap: the memory the plain build exports, or the
 * one the threaded build imports. undefined without WebAssembly SIMD or without a reachable memory.
 */
function productOn(wasm: BackendWasm): SimdMatmul | undefined {
  const heap = heapOf(wasm);
  const memory = heap.asm?.memory ?? heap.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory)) return undefined;
  if (!products.has(memory)) products.set(memory, SimdMatmul.create(memory));
  return products.get(memory);
}

/** The SIMD module on this wasm backend's heap (./wasm-kernels' kernels use its row functions); undefined without SIMD. */
export const simdOn = productOn;

/** Where a tensor's data starts on the heap, in floats (./wasm-kernels uses it too). */
export function at(wasm: BackendWasm, t: tf.TensorInfo): number {
  return (wasm.dataIdMap.get(t.dataId) as { memoryOffset: number }).memoryOffset / 4;
}

/**
 * Runs `work` with scratch blocks of these many floats on the heap (float offsets), freed after. The
 * heap's float view is read inside `work`, after every allocation (one may grow the heap and detach it).
 */
function withScratch<R>(wasm: BackendWasm, sizes: number[], work: (...offsets: number[]) => R): R {
  const pointers = sizes.map((n) => heapOf(wasm)._malloc(Math.max(1, n) * 4));
  try {
    return work(...pointers.map((p) => p / 4));
  } finally {
    for (const p of pointers) heapOf(wasm)._free(p);
  }
}

/** Registers a wasm kernel that makes its products with the SIMD `mm` on the backend's heap. */
function registerSimdKernel<Attrs>(kernelName: string, run: (wasm: BackendWasm, mm: SimdMatmul, inputs: tf.NamedTensorInfoMap, attrs: Attrs) => tf.TensorInfo | tf.TensorInfo[]): void {
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => run(backend as BackendWasm, productOn(backend as BackendWasm) as SimdMatmul, inputs, attrs as unknown as Attrs),
  });
}

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

registerSimdKernel<MatMulAttrs>(MATMUL, (wasm, mm, inputs, { transposeA, transposeB }) => {
  const a = inputs.a as tf.TensorInfo;
  const b = inputs.b as tf.TensorInfo;
  const c = inputs.c as tf.TensorInfo | undefined;
  const [M, K] = transposeA ? [a.shape[1], a.shape[0]] : a.shape;
  const N = transposeB ? b.shape[0] : b.shape[1];
  const out = wasm.makeOutput([M, N], 'float32');
  // a·bᵀ with few rows (the tied head in a decode step: 32 × 128 · (404 × 128)ᵀ) moves fewer floats as
  // (b·aᵀ)ᵀ: a and the product are transposed instead of b (M·K + M·N floats instead of N·K).
  if (transposeB && !transposeA && !c && M * K + M * N < N * K) {
    withScratch(wasm, [M * K, N * M], (aT, cT) => {
      const heap = heapOf(wasm).HEAPF32;
      const [A, B, C] = [at(wasm, a), at(wasm, b), at(wasm, out)];
      for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) heap[aT + k * M + m] = heap[A + m * K + k];
      mm.mm(B, K, 1, aT, M, cT, M, N, K, M);
      for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) heap[C + m * N + n] = heap[cT + n * M + m];
    });
    return out;
  }
  withScratch(wasm, [transposeB ? K * N : 0], (bT) => {
    const heap = heapOf(wasm).HEAPF32;
    const [A, C] = [at(wasm, a), at(wasm, out)];
    let B = at(wasm, b);
    if (transposeB) {
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) heap[bT + k * N + n] = heap[B + n * K + k];
      B = bT;
    }
    if (c) heap.copyWithin(C, at(wasm, c), at(wasm, c) + M * N);
    const [sAm, sAk] = transposeA ? [1, M] : [K, 1];
    // A big product takes the second core where a helper thread is attached (./product-threads).
    const threads = productThreads();
    if (threads) threads.mm(heap, mm, A, sAm, sAk, B, N, C, N, M, K, N, c !== undefined);
    else mm.mm(A, sAm, sAk, B, N, C, N, M, K, N, c !== undefined);
  });
  return out;
});

/** Whether the wasm backend's products fuse each multiply-add (relaxed SIMD); undefined off wasm or without SIMD. */
export function simdMatMulFused(): boolean | undefined {
  return tf.getBackend() === 'wasm' ? productOn(tf.backend() as BackendWasm)?.fused : undefined;
}

/** Whether `simdMatMul` runs here: the wasm backend with WebAssembly SIMD. */
export function simdMatMulAvailable(): boolean {
  return tf.getBackend() === 'wasm' && productOn(tf.backend() as BackendWasm) !== undefined;
}

/**
 * op(a)·op(b), plus c [M, N] when given; float32, wasm only (check `simdMatMulAvailable`). No gradient:
 * ./ops calls it inside its hand-written ones.
 */
export function simdMatMul(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false, c?: tf.Tensor2D): tf.Tensor2D {
  const inputs: tf.NamedTensorMap = c ? { a, b, c } : { a, b };
  return tf.engine().runKernel<tf.Tensor>(MATMUL, inputs, { transposeA, transposeB }) as tf.Tensor2D;
}

interface AttentionAttrs {
  B: number;
  H: number;
}

function shapeOf(qkv: tf.TensorInfo, { B, H }: AttentionAttrs) {
  const [rows, width] = qkv.shape;
  const d = width / 3;
  const hd = d / H;
  return { T: rows / B, d, hd, scale: 1 / Math.sqrt(hd) };
}

/** Bias at or below this is a masked position (−1e9): its probability is exactly 0, so it is skipped. */
const MASK_LIMIT = -1e8;
/** Rows of a block taken together by the causal kernels: one product per chunk, over the columns any of its rows needs. */
const ROW_CHUNK = 16;

/**
 * For each row of a [rows, cols] bias (at biasArr[at…]), the first and last column it attends to. A row
 * that attends to none keeps all of them: its softmax is then over masked scores, as with tfjs's ops.
 */
function rowExtents(biasArr: tf.TypedArray, at: number, rows: number, cols: number): { lo: Int32Array; hi: Int32Array } {
  const lo = new Int32Array(rows);
  const hi = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let first = -1;
    let last = -1;
    for (let j = 0; j < cols; j++) {
      if (biasArr[at + i * cols + j] > MASK_LIMIT) {
        if (first < 0) first = j;
        last = j;
      }
    }
    [lo[i], hi[i]] = first < 0 ? [0, cols - 1] : [first, last];
  }
  return { lo, hi };
}

/** The same from a block of probabilities [rows, cols] at mem[at…]: the first and last nonzero column of each row. */
function nonzeroExtents(mem: Float32Array, at: number, rows: number, cols: number): { lo: Int32Array; hi: Int32Array } {
  const lo = new Int32Array(rows);
  const hi = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const row = at + i * cols;
    let first = 0;
    while (first < cols - 1 && mem[row + first] === 0) first++;
    let last = cols - 1;
    while (last > first && mem[row + last] === 0) last--;
    lo[i] = first;
    hi[i] = last;
  }
  return { lo, hi };
}

/** The union of rows i0 … i1 − 1's column ranges: [first, last]. */
function chunkColumns(lo: Int32Array, hi: Int32Array, i0: number, i1: number): [number, number] {
  let first = Infinity;
  let last = -1;
  for (let i = i0; i < i1; i++) {
    first = Math.min(first, lo[i]);
    last = Math.max(last, hi[i]);
  }
  return [first, last];
}

/** For each column, the first and last row whose range [lo, hi] covers it (last < first: none does). */
function columnExtents(lo: Int32Array, hi: Int32Array, rows: number, cols: number): { lo: Int32Array; hi: Int32Array } {
  const first = new Int32Array(cols).fill(rows);
  const last = new Int32Array(cols).fill(-1);
  for (let i = 0; i < rows; i++) {
    for (let j = lo[i]; j <= hi[i]; j++) {
      if (first[j] > i) first[j] = i;
      last[j] = i;
    }
  }
  return { lo: first, hi: last };
}

/**
 * Softmax of one row of raw scores at heap[row…] over columns lo … hi (scores·scale + bias), 0 elsewhere;
 * the skipped columns are masked, where the full softmax gives exactly 0 too. The row's arithmetic is in
 * ./wasm-simd's `softmax` (four lanes at a time, e^x as a polynomial there).
 */
function softmaxRange(mm: SimdMatmul, heap: Float32Array, row: number, biasRow: number, lo: number, hi: number, cols: number, scale: number): void {
  mm.softmax(row + lo, biasRow + lo, hi - lo + 1, scale);
  heap.fill(0, row, row + lo);
  heap.fill(0, row + hi + 1, row + cols);
}

// Both kernels skip what the mask makes zero: rows go in chunks of ROW_CHUNK, each chunk's products only
// over the columns its rows attend to (about half of a causal block), and the backward's key-side products
// only over the rows that attend to each chunk of keys. The skipped terms are exact zeros, so the sums are
// the same as over whole blocks.
registerSimdKernel<AttentionAttrs>(ATTENTION, (wasm, mm, inputs, { B, H }) => {
  const [qkv, bias] = [inputs.qkv, inputs.bias] as tf.TensorInfo[];
  const { T, d, hd, scale } = shapeOf(qkv, { B, H });
  const G = B * H;
  const TT = T * T;
  const biasBlocks = bias.shape[0];
  const yOut = wasm.makeOutput([B * T, d], 'float32');
  const pOut = wasm.makeOutput([G, T, T], 'float32');
  // Scratch: kᵀ of one block [hd, T].
  withScratch(wasm, [hd * T], (KT) => {
    const heap = heapOf(wasm).HEAPF32;
    const [X, Y, P, BIAS] = [at(wasm, qkv), at(wasm, yOut), at(wasm, pOut), at(wasm, bias)];
    const extents = Array.from({ length: Math.min(biasBlocks, B) }, (_, blk) => rowExtents(heap, BIAS + blk * TT, T, T));
    for (let b = 0; b < B; b++) {
      const base = X + b * T * 3 * d;
      const biasBase = BIAS + (b % biasBlocks) * TT;
      const { lo, hi } = extents[b % biasBlocks];
      for (let h = 0; h < H; h++) {
        const g = b * H + h;
        const q = base + h * hd;
        const k = base + d + h * hd;
        const v = base + 2 * d + h * hd;
        mm.transpose(KT, k, T, hd, 3 * d);
        const pg = P + g * TT;
        for (let i0 = 0; i0 < T; i0 += ROW_CHUNK) {
          const i1 = Math.min(T, i0 + ROW_CHUNK);
          const [c0, c1] = chunkColumns(lo, hi, i0, i1);
          mm.mm(q + i0 * 3 * d, 3 * d, 1, KT + c0, T, pg + i0 * T + c0, T, i1 - i0, hd, c1 - c0 + 1);
          for (let i = i0; i < i1; i++) softmaxRange(mm, heap, pg + i * T, biasBase + i * T, lo[i], hi[i], T, scale);
          mm.mm(pg + i0 * T + c0, T, 1, v + c0 * 3 * d, 3 * d, Y + (b * T + i0) * d + h * hd, d, i1 - i0, c1 - c0 + 1, hd);
        }
      }
    }
  });
  return [yOut, pOut];
});

registerSimdKernel<AttentionAttrs>(ATTENTION_GRAD, (wasm, mm, inputs, { B, H }) => {
  const [dy, qkv, p] = [inputs.dy, inputs.qkv, inputs.p] as tf.TensorInfo[];
  const { T, d, hd, scale } = shapeOf(qkv, { B, H });
  const TT = T * T;
  const out = wasm.makeOutput([B * T, 3 * d], 'float32');
  // Scratch: vᵀ of one block [hd, T], dS of one block [T, T].
  withScratch(wasm, [hd * T, TT], (VT, DS) => {
    const heap = heapOf(wasm).HEAPF32;
    const [X, DY, P, DX] = [at(wasm, qkv), at(wasm, dy), at(wasm, p), at(wasm, out)];
    for (let b = 0; b < B; b++) {
      const base = b * T * 3 * d;
      for (let h = 0; h < H; h++) {
        const g = b * H + h;
        const q = X + base + h * hd;
        const k = X + base + d + h * hd;
        const v = X + base + 2 * d + h * hd;
        const dyg = DY + b * T * d + h * hd;
        const pg = P + g * TT;
        // Where P is nonzero: the forward's mask, read back from P itself.
        const { lo, hi } = nonzeroExtents(heap, pg, T, T);
        mm.transpose(VT, v, T, hd, 3 * d);
        for (let i0 = 0; i0 < T; i0 += ROW_CHUNK) {
          const i1 = Math.min(T, i0 + ROW_CHUNK);
          const [c0, c1] = chunkColumns(lo, hi, i0, i1);
          mm.mm(dyg + i0 * d, d, 1, VT + c0, T, DS + i0 * T + c0, T, i1 - i0, hd, c1 - c0 + 1); // dP = dy·vᵀ
          for (let i = i0; i < i1; i++) {
            const row = DS + i * T;
            // dS = P·(dP − Σ dP·P) over the row's columns; the 1/√hd of S = q·kᵀ/√hd goes into dS once, for
            // both dq and dk.
            mm.softmaxGrad(row + lo[i], pg + i * T + lo[i], hi[i] - lo[i] + 1, scale);
            heap.fill(0, row, row + lo[i]);
            heap.fill(0, row + hi[i] + 1, row + T);
          }
          mm.mm(DS + i0 * T + c0, T, 1, k + c0 * 3 * d, 3 * d, DX + base + i0 * 3 * d + h * hd, 3 * d, i1 - i0, c1 - c0 + 1, hd); // dq = dS·k
        }
        const cols = columnExtents(lo, hi, T, T);
        for (let j0 = 0; j0 < T; j0 += ROW_CHUNK) {
          const j1 = Math.min(T, j0 + ROW_CHUNK);
          const [r0, r1] = chunkColumns(cols.lo, cols.hi, j0, j1);
          const rows = Math.max(0, r1 - r0 + 1);
          const from = Math.min(r0, T - 1);
          mm.mm(DS + from * T + j0, 1, T, q + from * 3 * d, 3 * d, DX + base + j0 * 3 * d + d + h * hd, 3 * d, j1 - j0, rows, hd); // dk = dSᵀ·q
          mm.mm(pg + from * T + j0, 1, T, dyg + from * d, d, DX + base + j0 * 3 * d + 2 * d + h * hd, 3 * d, j1 - j0, rows, hd); // dv = Pᵀ·dy
        }
      }
    }
  });
  return out;
});

/** Whether the fused kernels can run here: the wasm backend, WebAssembly SIMD, float32 inputs. */
export function fusedAttentionAvailable(qkv: tf.Tensor, bias: tf.Tensor): boolean {
  return qkv.dtype === 'float32' && bias.dtype === 'float32' && simdMatMulAvailable();
}

/** y [B·T, d] and p [B·H, T, T] of the forward (wasm only; check `fusedAttentionAvailable`). */
export function fusedAttentionForward(qkv: tf.Tensor2D, bias: tf.Tensor4D, B: number, H: number): [tf.Tensor2D, tf.Tensor3D] {
  return tf.engine().runKernel<tf.Tensor[]>(ATTENTION, { qkv, bias }, { B, H }) as unknown as [tf.Tensor2D, tf.Tensor3D];
}

/** dqkv [B·T, 3d] from dy [B·T, d] and the forward's qkv and p. */
export function fusedAttentionBackward(dy: tf.Tensor2D, qkv: tf.Tensor2D, p: tf.Tensor3D, B: number, H: number): tf.Tensor2D {
  return tf.engine().runKernel<tf.Tensor>(ATTENTION_GRAD, { dy, qkv, p }, { B, H }) as tf.Tensor2D;
}

/** Columns of room a grown cache gets beyond what it holds (a copy of the whole cache every this many decode steps). */
const CACHE_ROOM = 32;

/**
 * AzrAttendCached: the sampler's attention of T new positions per sequence over the cache and themselves
 * (inference only): qkv [B·T, 3d], bias [1 or B, 1, T, Tk], the cache kT [B·H, hd, C] and v [B·H, C, hd]
 * whose first Tp = Tk − T columns hold the past (C ≥ Tp: a cache may have room) → y [B·T, d] and the cache
 * holding Tk columns. As tfjs ops it is about twelve kernels per layer and decode step, among them wasm's
 * slow batched matmul.
 *
 * The cache has room to grow: where C ≥ Tk, the new keys and values are written into columns Tp … Tk − 1
 * of the same memory and the returned cache is the input's data (columns past a cache's own Tp are never
 * read through it, so the tensor passed in still holds what it held); otherwise the past moves into a
 * cache of Tk + CACHE_ROOM columns. A decode step used to copy the whole cache into a successor one column
 * longer, ≈ 0.5 GB per default self-play step.
 */
registerSimdKernel<AttentionAttrs>(ATTEND_CACHED, (wasm, mm, inputs, { B, H }) => {
  const [qkv, bias, pastKT, pastV] = [inputs.qkv, inputs.bias, inputs.kT, inputs.v] as tf.TensorInfo[];
  const { T, d, hd, scale } = shapeOf(qkv, { B, H });
  const G = B * H;
  const Tk = bias.shape[3];
  const Tp = Tk - T;
  const room = pastKT.shape[2];
  if (Tp < 0 || Tp > room || pastV.shape[1] !== room) throw new RangeError(`AzrAttendCached: bias of ${Tk} keys for ${T} new positions over a cache of ${room} columns`);
  const biasBlocks = bias.shape[0];
  const yOut = wasm.makeOutput([B * T, d], 'float32');
  const inPlace = Tk <= room;
  const C = inPlace ? room : Tk + CACHE_ROOM;
  let kTOut: tf.TensorInfo;
  let vOut: tf.TensorInfo;
  if (inPlace) {
    wasm.incRef(pastKT.dataId);
    wasm.incRef(pastV.dataId);
    kTOut = { dataId: pastKT.dataId, shape: [G, hd, C], dtype: 'float32' };
    vOut = { dataId: pastV.dataId, shape: [G, C, hd], dtype: 'float32' };
  } else {
    kTOut = wasm.makeOutput([G, hd, C], 'float32');
    vOut = wasm.makeOutput([G, C, hd], 'float32');
  }
  // Scratch: one block's scores [T, Tk].
  withScratch(wasm, [T * Tk], (S) => {
    const heap = heapOf(wasm).HEAPF32;
    const [X, BIAS, PKT, PV, Y, KT, V] = [qkv, bias, pastKT, pastV, yOut, kTOut, vOut].map((t) => at(wasm, t));
    if (!inPlace && Tp > 0) {
      // The past keys and values into the larger cache, two calls in all.
      mm.copy(KT, C, PKT, room, G * hd, Tp);
      mm.copy(V, C * hd, PV, room * hd, G, Tp * hd);
    }
    for (let b = 0; b < B; b++) {
      const biasBase = BIAS + (b % biasBlocks) * T * Tk;
      for (let h = 0; h < H; h++) {
        const g = b * H + h;
        const kTg = KT + g * hd * C;
        const vg = V + g * C * hd;
        for (let t = 0; t < T; t++) {
          const k = X + (b * T + t) * 3 * d + d + h * hd;
          for (let c = 0; c < hd; c++) heap[kTg + c * C + Tp + t] = heap[k + c];
          mm.copy(vg + (Tp + t) * hd, hd, k + d, hd, 1, hd);
        }
        mm.mm(X + b * T * 3 * d + h * hd, 3 * d, 1, kTg, C, S, Tk, T, hd, Tk);
        for (let t = 0; t < T; t++) softmaxRange(mm, heap, S + t * Tk, biasBase + t * Tk, 0, Tk - 1, Tk, scale);
        mm.mm(S, Tk, 1, vg, hd, Y + b * T * d + h * hd, d, T, Tk, hd);
      }
    }
  });
  return [yOut, kTOut, vOut];
});

/** The cached attention's y and extended cache (wasm only; check `fusedAttentionAvailable`). */
export function fusedAttendCached(qkv: tf.Tensor2D, bias: tf.Tensor4D, pastKT: tf.Tensor3D, pastV: tf.Tensor3D, B: number, H: number): { y: tf.Tensor2D; kT: tf.Tensor3D; v: tf.Tensor3D } {
  const [y, kT, v] = tf.engine().runKernel<tf.Tensor[]>(ATTEND_CACHED, { qkv, bias, kT: pastKT, v: pastV }, { B, H }) as tf.Tensor[];
  return { y: y as tf.Tensor2D, kT: kT as tf.Tensor3D, v: v as tf.Tensor3D };
}

const LAYER_NORM_ROWS = 'AzrLayerNormRows';
const GELU = 'AzrGelu';

/** AzrLayerNormRows: LayerNorm of every row of x [N, d] with gain and bias [d] (inference: nothing saved). */
registerSimdKernel<{ epsilon: number }>(LAYER_NORM_ROWS, (wasm, mm, inputs, { epsilon }) => {
  const [x, gain, bias] = [inputs.x, inputs.gain, inputs.bias] as tf.TensorInfo[];
  const [N, d] = x.shape;
  const out = wasm.makeOutput([N, d], 'float32');
  mm.layerNorm(at(wasm, x), at(wasm, gain), at(wasm, bias), at(wasm, out), N, d, epsilon);
  return out;
});

/** AzrGelu: x·σ(k·x) elementwise (inference). */
registerSimdKernel<{ k: number }>(GELU, (wasm, mm, inputs, { k }) => {
  const x = inputs.x as tf.TensorInfo;
  const out = wasm.makeOutput(x.shape, 'float32');
  mm.gelu(at(wasm, x), at(wasm, out), x.shape.reduce((a, b) => a * b, 1), k);
  return out;
});

/**
 * Inference only (no gradient): LayerNorm of each row of x [N, d] in one pass of the SIMD module, where
 * tfjs's ops are nine kernels (two means, a subtract, a square, an add, an rsqrt, two multiplies, an add);
 * in a decode step their per-kernel cost, not their arithmetic, is what counts. null off wasm or without SIMD.
 */
export function fusedLayerNorm(x: tf.Tensor2D, gain: tf.Tensor1D, bias: tf.Tensor1D, epsilon: number): tf.Tensor2D | null {
  if (!simdMatMulAvailable() || [x, gain, bias].some((t) => t.dtype !== 'float32')) return null;
  return tf.engine().runKernel<tf.Tensor>(LAYER_NORM_ROWS, { x, gain, bias }, { epsilon }) as tf.Tensor2D;
}

/** Inference only (no gradient): x·σ(k·x) in one kernel instead of three. null off wasm or without SIMD. */
export function fusedGelu(x: tf.Tensor2D, k: number): tf.Tensor2D | null {
  if (!simdMatMulAvailable() || x.dtype !== 'float32') return null;
  return tf.engine().runKernel<tf.Tensor>(GELU, { x }, { k }) as tf.Tensor2D;
}
