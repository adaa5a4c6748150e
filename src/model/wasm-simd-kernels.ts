// Kernels on the wasm backend whose products run in ./wasm-simd's SIMD `mm`, in a memory of its own that
// each kernel copies its inputs into and its outputs out of.
//
// AzrMatMul: op(a)·op(b) (+ c), op = identity or transpose. tfjs-wasm's matmul wants its operands
// explicitly transposed (a transpose flag runs 2–3× slower, ./ops), so every weight gradient aᵀ·dy paid
// a Transpose kernel of the activations, and at the tiny model's shapes its XNNPACK matmul reaches
// 10–12 GFLOP/s on them (32×1024 · 1024×128, 1024×32 · 32×404) where `mm` reaches 28–36 with aᵀ read
// through its strides. A transposed b (a weight, small) is transposed in the copy; c, when given, is the
// residual added in the product's own accumulation.
//
// Causal self-attention on the wasm backend as two kernels, forward and backward, where tfjs's ops take
// about ten kernels per (sequence, head) block: on the tiny model that was ≈ 640 of a training step's
// ≈ 1,030 kernels, most of their time the engine's per-kernel bookkeeping. Each kernel copies its inputs
// into the memory of ./wasm-simd, makes every block's products there with the SIMD `mm` (strided, so
// the heads are read straight out of qkv [B·T, 3d] and written straight into [B·T, d] and [B·T, 3d]:
// no transposes, splits or concats), does the softmax and its backward in JS, and copies the results out.
//
// - AzrAttention: qkv [B·T, 3d], bias [1 or B, 1, T, T] → y [B·T, d], p [B·H, T, T] (the softmax, kept
//   for the backward). Sequence b uses bias block b mod (its first dimension).
// - AzrAttentionGrad: dy [B·T, d], qkv, p → dqkv [B·T, 3d].
// q is scaled by 1/√hd inside: S = (q·kᵀ)/√hd + bias, P = softmax(S), y = P·v; dS = P ⊙ (dP − Σ dP ⊙ P).
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from './tf';
import { expNonPositive } from './wasm-kernels';
import { SimdMatmul } from './wasm-simd';

const MATMUL = 'AzrMatMul';
const ATTENTION = 'AzrAttention';
const ATTENTION_GRAD = 'AzrAttentionGrad';
const ATTEND_CACHED = 'AzrAttendCached';

let simd: SimdMatmul | undefined | null = null;
/** The SIMD product, made on first use; undefined without WebAssembly SIMD. */
function simdMatmul(): SimdMatmul | undefined {
  if (simd === null) simd = SimdMatmul.create();
  return simd;
}

/** Registers a wasm kernel that makes its products with the SIMD `mm`. */
function registerSimdKernel<Attrs>(kernelName: string, run: (wasm: BackendWasm, mm: SimdMatmul, inputs: tf.NamedTensorInfoMap, attrs: Attrs) => tf.TensorInfo | tf.TensorInfo[]): void {
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => run(backend as BackendWasm, simdMatmul() as SimdMatmul, inputs, attrs as unknown as Attrs),
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
  const A = 0;
  const B = A + M * K;
  const C = B + K * N;
  const mem = mm.reserve(C + M * N);
  mem.set(wasm.typedArrayFromHeap(a), A);
  const bArr = wasm.typedArrayFromHeap(b);
  if (transposeB) {
    for (let nn = 0; nn < N; nn++) for (let kk = 0; kk < K; kk++) mem[B + kk * N + nn] = bArr[nn * K + kk];
  } else {
    mem.set(bArr, B);
  }
  if (c) mem.set(wasm.typedArrayFromHeap(c), C);
  mm.mm(A, transposeA ? 1 : K, transposeA ? M : 1, B, N, C, N, M, K, N, c !== undefined);
  wasm.typedArrayFromHeap(out).set(mem.subarray(C, C + M * N));
  return out;
});

/** Whether `simdMatMul` runs here: the wasm backend with WebAssembly SIMD. */
export function simdMatMulAvailable(): boolean {
  return tf.getBackend() === 'wasm' && simdMatmul() !== undefined;
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

/**
 * Rows [rows, cols] of raw scores at mem[at…] → softmax(scores·scale + bias rows at biasArr[biasAt…]), in
 * place. A masked score (−1e9) gets exactly 0, as with tfjs's exp.
 */
function softmaxRows(mem: Float32Array, at: number, biasArr: tf.TypedArray, biasAt: number, rows: number, cols: number, scale: number): void {
  for (let i = 0; i < rows; i++) {
    const row = at + i * cols;
    const biasRow = biasAt + i * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) {
      const z = mem[row + j] * scale + biasArr[biasRow + j];
      mem[row + j] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = expNonPositive(mem[row + j] - max);
      mem[row + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < cols; j++) mem[row + j] *= inv;
  }
}

registerSimdKernel<AttentionAttrs>(ATTENTION, (wasm, mm, inputs, { B, H }) => {
  const [qkv, bias] = [inputs.qkv, inputs.bias] as tf.TensorInfo[];
  const { T, d, hd, scale } = shapeOf(qkv, { B, H });
  const G = B * H;
  const TT = T * T;
  const biasBlocks = bias.shape[0];
  const yOut = wasm.makeOutput([B * T, d], 'float32');
  const pOut = wasm.makeOutput([G, T, T], 'float32');
  // Our memory: qkv, kᵀ of one block [hd, T], y, p.
  const X = 0;
  const KT = X + B * T * 3 * d;
  const Y = KT + hd * T;
  const P = Y + B * T * d;
  const mem = mm.reserve(P + G * TT);
  mem.set(wasm.typedArrayFromHeap(qkv), X);
  const biasArr = wasm.typedArrayFromHeap(bias);
  for (let b = 0; b < B; b++) {
    const base = X + b * T * 3 * d;
    const biasBase = (b % biasBlocks) * TT;
    for (let h = 0; h < H; h++) {
      const g = b * H + h;
      const q = base + h * hd;
      const k = base + d + h * hd;
      const v = base + 2 * d + h * hd;
      for (let j = 0; j < T; j++) for (let c = 0; c < hd; c++) mem[KT + c * T + j] = mem[k + j * 3 * d + c];
      const pg = P + g * TT;
      mm.mm(q, 3 * d, 1, KT, T, pg, T, T, hd, T);
      softmaxRows(mem, pg, biasArr, biasBase, T, T, scale);
      mm.mm(pg, T, 1, v, 3 * d, Y + b * T * d + h * hd, d, T, T, hd);
    }
  }
  wasm.typedArrayFromHeap(yOut).set(mem.subarray(Y, Y + B * T * d));
  wasm.typedArrayFromHeap(pOut).set(mem.subarray(P, P + G * TT));
  return [yOut, pOut];
});

registerSimdKernel<AttentionAttrs>(ATTENTION_GRAD, (wasm, mm, inputs, { B, H }) => {
  const [dy, qkv, p] = [inputs.dy, inputs.qkv, inputs.p] as tf.TensorInfo[];
  const { T, d, hd, scale } = shapeOf(qkv, { B, H });
  const G = B * H;
  const TT = T * T;
  const out = wasm.makeOutput([B * T, 3 * d], 'float32');
  // Our memory: qkv, dy, p, vᵀ of one block [hd, T], dS of one block [T, T], dqkv.
  const X = 0;
  const DY = X + B * T * 3 * d;
  const P = DY + B * T * d;
  const VT = P + G * TT;
  const DS = VT + hd * T;
  const DX = DS + TT;
  const mem = mm.reserve(DX + B * T * 3 * d);
  mem.set(wasm.typedArrayFromHeap(qkv), X);
  mem.set(wasm.typedArrayFromHeap(dy), DY);
  mem.set(wasm.typedArrayFromHeap(p), P);
  for (let b = 0; b < B; b++) {
    const base = b * T * 3 * d;
    for (let h = 0; h < H; h++) {
      const g = b * H + h;
      const q = X + base + h * hd;
      const k = X + base + d + h * hd;
      const v = X + base + 2 * d + h * hd;
      const dyg = DY + b * T * d + h * hd;
      const pg = P + g * TT;
      for (let j = 0; j < T; j++) for (let c = 0; c < hd; c++) mem[VT + c * T + j] = mem[v + j * 3 * d + c];
      mm.mm(dyg, d, 1, VT, T, DS, T, T, hd, T); // dP = dy·vᵀ
      for (let i = 0; i < T; i++) {
        const row = i * T;
        let dot = 0;
        for (let j = 0; j < T; j++) dot += mem[DS + row + j] * mem[pg + row + j];
        // The 1/√hd of S = q·kᵀ/√hd goes into dS once, for both dq and dk.
        for (let j = 0; j < T; j++) mem[DS + row + j] = scale * mem[pg + row + j] * (mem[DS + row + j] - dot);
      }
      mm.mm(DS, T, 1, k, 3 * d, DX + base + h * hd, 3 * d, T, T, hd); // dq = dS·k
      mm.mm(DS, 1, T, q, 3 * d, DX + base + d + h * hd, 3 * d, T, T, hd); // dk = dSᵀ·q
      mm.mm(pg, 1, T, dyg, d, DX + base + 2 * d + h * hd, 3 * d, T, T, hd); // dv = Pᵀ·dy
    }
  }
  wasm.typedArrayFromHeap(out).set(mem.subarray(DX, DX + B * T * 3 * d));
  return out;
});

/** Whether the fused kernels can run here: the wasm backend, WebAssembly SIMD, float32 inputs. */
export function fusedAttentionAvailable(qkv: tf.Tensor, bias: tf.Tensor): boolean {
  return tf.getBackend() === 'wasm' && qkv.dtype === 'float32' && bias.dtype === 'float32' && simdMatmul() !== undefined;
}

/** y [B·T, d] and p [B·H, T, T] of the forward (wasm only; check `fusedAttentionAvailable`). */
export function fusedAttentionForward(qkv: tf.Tensor2D, bias: tf.Tensor4D, B: number, H: number): [tf.Tensor2D, tf.Tensor3D] {
  return tf.engine().runKernel<tf.Tensor[]>(ATTENTION, { qkv, bias }, { B, H }) as unknown as [tf.Tensor2D, tf.Tensor3D];
}

/** dqkv [B·T, 3d] from dy [B·T, d] and the forward's qkv and p. */
export function fusedAttentionBackward(dy: tf.Tensor2D, qkv: tf.Tensor2D, p: tf.Tensor3D, B: number, H: number): tf.Tensor2D {
  return tf.engine().runKernel<tf.Tensor>(ATTENTION_GRAD, { dy, qkv, p }, { B, H }) as tf.Tensor2D;
}

/**
 * AzrAttendCached: the sampler's attention of T new positions per sequence over the cache and themselves
 * (inference only): qkv [B·T, 3d], bias [1 or B, 1, T, Tk], the cache kT [B·H, hd, Tp] and v [B·H, Tp, hd]
 * → y [B·T, d] and the cache extended by the new keys and values (Tk = Tp + T). As tfjs ops it is about
 * twelve kernels per layer and decode step, among them wasm's slow batched matmul.
 */
registerSimdKernel<AttentionAttrs>(ATTEND_CACHED, (wasm, mm, inputs, { B, H }) => {
  const [qkv, bias, pastKT, pastV] = [inputs.qkv, inputs.bias, inputs.kT, inputs.v] as tf.TensorInfo[];
  const { T, d, hd, scale } = shapeOf(qkv, { B, H });
  const G = B * H;
  const Tp = pastKT.shape[2];
  const Tk = Tp + T;
  const biasBlocks = bias.shape[0];
  const yOut = wasm.makeOutput([B * T, d], 'float32');
  const kTOut = wasm.makeOutput([G, hd, Tk], 'float32');
  const vOut = wasm.makeOutput([G, Tk, hd], 'float32');
  // Our memory: qkv, the extended kᵀ and v, one block's scores [T, Tk], y.
  const X = 0;
  const KT = X + B * T * 3 * d;
  const V = KT + G * hd * Tk;
  const S = V + G * Tk * hd;
  const Y = S + T * Tk;
  const mem = mm.reserve(Y + B * T * d);
  mem.set(wasm.typedArrayFromHeap(qkv), X);
  const [pkT, pv, biasArr] = [pastKT, pastV, bias].map((t) => wasm.typedArrayFromHeap(t));
  for (let b = 0; b < B; b++) {
    const biasBase = (b % biasBlocks) * T * Tk;
    for (let h = 0; h < H; h++) {
      const g = b * H + h;
      const kTg = KT + g * hd * Tk;
      const vg = V + g * Tk * hd;
      for (let c = 0; c < hd; c++) {
        mem.set(pkT.subarray((g * hd + c) * Tp, (g * hd + c + 1) * Tp), kTg + c * Tk);
        for (let t = 0; t < T; t++) mem[kTg + c * Tk + Tp + t] = mem[X + (b * T + t) * 3 * d + d + h * hd + c];
      }
      mem.set(pv.subarray(g * Tp * hd, (g + 1) * Tp * hd), vg);
      for (let t = 0; t < T; t++) {
        const from = X + (b * T + t) * 3 * d + 2 * d + h * hd;
        mem.copyWithin(vg + (Tp + t) * hd, from, from + hd);
      }
      mm.mm(X + b * T * 3 * d + h * hd, 3 * d, 1, kTg, Tk, S, Tk, T, hd, Tk);
      softmaxRows(mem, S, biasArr, biasBase, T, Tk, scale);
      mm.mm(S, Tk, 1, vg, hd, Y + b * T * d + h * hd, d, T, Tk, hd);
    }
  }
  wasm.typedArrayFromHeap(yOut).set(mem.subarray(Y, Y + B * T * d));
  wasm.typedArrayFromHeap(kTOut).set(mem.subarray(KT, KT + G * hd * Tk));
  wasm.typedArrayFromHeap(vOut).set(mem.subarray(V, V + G * Tk * hd));
  return [yOut, kTOut, vOut];
});

/** The cached attention's y and extended cache (wasm only; check `fusedAttentionAvailable`). */
export function fusedAttendCached(qkv: tf.Tensor2D, bias: tf.Tensor4D, pastKT: tf.Tensor3D, pastV: tf.Tensor3D, B: number, H: number): { y: tf.Tensor2D; kT: tf.Tensor3D; v: tf.Tensor3D } {
  const [y, kT, v] = tf.engine().runKernel<tf.Tensor[]>(ATTEND_CACHED, { qkv, bias, kT: pastKT, v: pastV }, { B, H }) as tf.Tensor[];
  return { y: y as tf.Tensor2D, kT: kT as tf.Tensor3D, v: v as tf.Tensor3D };
}
