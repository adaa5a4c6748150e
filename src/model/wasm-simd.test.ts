import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { enableRelaxedSimd } from './node-backend';
import { relaxedSimdAvailable, setFusedMultiplyAdd, SimdMatmul, simdModuleBytes, type KernelOptions } from './wasm-simd';

type Mm = (a: number, sAm: number, sAk: number, b: number, ldb: number, c: number, ldc: number, M: number, K: number, N: number, acc: number) => void;

/** Runs one product in a fresh memory and returns its largest error against a float64 reference, and whether it wrote outside C. */
function checkProduct(mm: Mm, memory: WebAssembly.Memory, M: number, K: number, N: number, transposeA: boolean, accumulate: boolean) {
  // Padded leading dimensions and odd offsets, so strides and unaligned addresses are exercised too.
  const lda = transposeA ? M + 3 : K + 2;
  const ldb = N + 5;
  const ldc = N + 1;
  const a = 7;
  const b = a + (transposeA ? K : M) * lda + 3;
  const c = b + K * ldb + 9;
  const end = c + M * ldc + 10;
  const v = new Float32Array(memory.buffer);
  for (let i = 0; i < end; i++) v[i] = Math.sin(i * 1.37);
  const before = v.slice(0, end);
  const [sAm, sAk] = transposeA ? [1, lda] : [lda, 1];
  mm(a * 4, sAm, sAk, b * 4, ldb, c * 4, ldc, M, K, N, accumulate ? 1 : 0);
  let maxErr = 0;
  let strayWrites = 0;
  for (let i = 0; i < end; i++) {
    const inC = i >= c && i < c + M * ldc && (i - c) % ldc < N;
    if (!inC && v[i] !== before[i]) strayWrites++;
  }
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let ref = accumulate ? before[c + m * ldc + n] : 0;
      for (let k = 0; k < K; k++) ref += before[a + m * sAm + k * sAk] * before[b + k * ldb + n];
      maxErr = Math.max(maxErr, Math.abs(ref - v[c + m * ldc + n]) / (1 + Math.abs(ref)));
    }
  }
  return { maxErr, strayWrites };
}

const SHAPES = [[1, 1, 1], [2, 16, 16], [5, 7, 23], [64, 16, 64], [64, 64, 16], [17, 33, 35], [3, 0, 5], [0, 4, 4], [33, 9, 404]];

describe('wasm SIMD product (assembled in ./wasm-simd)', () => {
  it('computes op(A)·B (+ C) for every tile and tail, with strides, writing nothing outside C', () => {
    // The shipped plan, plus one-row-only and four-row tiles: each path of the generator once.
    for (const plan of [undefined, [[1, [4, 1]]], [[4, [2, 1]], [1, [1]]]] as ([number, number[]][] | undefined)[]) {
      const bytes = simdModuleBytes(plan);
      expect(WebAssembly.validate(bytes)).toBe(true);
      const memory = new WebAssembly.Memory({ initial: 4 });
      const mm = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.mm as Mm;
      for (const [M, K, N] of SHAPES) {
        for (const transposeA of [false, true]) {
          for (const accumulate of [false, true]) {
            const { maxErr, strayWrites } = checkProduct(mm, memory, M, K, N, transposeA, accumulate);
            expect(maxErr, `${M}×${K}×${N} transposeA=${transposeA} acc=${accumulate}`).toBeLessThan(1e-5);
            expect(strayWrites).toBe(0);
          }
        }
      }
    }
  });

  it('computes the same products with the fused multiply-add and with k unrolled', () => {
    enableRelaxedSimd(); // Node 20 compiles relaxed SIMD only behind V8's flag
    expect(relaxedSimdAvailable()).toBe(true);
    const kernels: KernelOptions[] = [{ unroll: 1, fma: true }, { unroll: 2, fma: false }, { unroll: 4, fma: true }];
    for (const kernel of kernels) {
      const bytes = simdModuleBytes(undefined, false, kernel);
      expect(WebAssembly.validate(bytes)).toBe(true);
      const memory = new WebAssembly.Memory({ initial: 4 });
      const mm = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.mm as Mm;
      for (const [M, K, N] of SHAPES) {
        for (const transposeA of [false, true]) {
          const { maxErr, strayWrites } = checkProduct(mm, memory, M, K, N, transposeA, true);
          expect(maxErr, `${JSON.stringify(kernel)} ${M}×${K}×${N} transposeA=${transposeA}`).toBeLessThan(1e-5);
          expect(strayWrites).toBe(0);
        }
      }
    }
  });

  it('fuses the multiply-add where the engine has relaxed SIMD, unless told not to', () => {
    enableRelaxedSimd();
    expect(SimdMatmul.create()!.fused).toBe(true);
    expect(SimdMatmul.create(undefined, { fused: false })!.fused).toBe(false);
    setFusedMultiplyAdd(false);
    try {
      expect(SimdMatmul.create()!.fused).toBe(false);
    } finally {
      setFusedMultiplyAdd(true);
    }
    // A product whose rounding tells the two apart: (1 + 2⁻¹²)² − 1 in float32 keeps the 2⁻²⁴ term only when fused.
    const e = 2 ** -12;
    const results = [true, false].map((fused) => {
      const simd = SimdMatmul.create(undefined, { fused })!;
      const v = simd.reserve(64);
      v.set([-1, 1 + e], 0); // A [1, 2]: k = 0 sets the sum to −1, k = 1 adds (1 + 2⁻¹²)² to it
      for (let n = 0; n < 16; n++) v[16 + n] = 1; // B row 0: 16 columns, one vector tile
      for (let n = 0; n < 16; n++) v[32 + n] = 1 + e; // B row 1
      simd.mm(0, 2, 1, 16, 16, 48, 16, 1, 2, 16);
      return v[48];
    });
    expect(results[1]).toBe(Math.fround(2 * e));
    // V8 emits a fused instruction where the CPU has one (x86's FMA3 flag, every arm64), else the two.
    const cpuFma = process.arch === 'arm64' || / fma /.test(readFileSync('/proc/cpuinfo', 'utf8').replace(/\n/g, ' '));
    expect(results[0]).toBe(cpuFma ? Math.fround(2 * e + e * e) : Math.fround(2 * e));
  });

  it('softmax and its gradient over a row, four lanes at a time and a tail, masked scores exactly 0', () => {
    const simd = SimdMatmul.create()!;
    const v = simd.reserve(4000);
    const [row, bias, dp] = [7, 1001, 2003]; // odd offsets: unaligned addresses
    const scale = 0.37;
    for (const n of [1, 3, 4, 5, 8, 13, 64, 301]) {
      const scores = Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 1.7) * 9));
      const masked = Array.from({ length: n }, (_, i) => n > 1 && i % 5 === 3);
      scores.forEach((x, i) => { v[row + i] = x; v[bias + i] = masked[i] ? -1e9 : Math.fround(0.01 * i); });
      simd.softmax(row, bias, n, scale);
      const z = scores.map((x, i) => x * scale + (masked[i] ? -1e9 : Math.fround(0.01 * i)));
      const max = Math.max(...z);
      const sum = z.reduce((a, x) => a + Math.exp(x - max), 0);
      const p = Array.from({ length: n }, (_, i) => v[row + i]);
      for (let i = 0; i < n; i++) {
        if (masked[i]) expect(p[i]).toBe(0);
        else expect(Math.abs(p[i] - Math.exp(z[i] - max) / sum)).toBeLessThan(1e-6 * (Math.exp(z[i] - max) / sum) + 1e-12);
      }
      const grad = Array.from({ length: n }, (_, i) => Math.fround(Math.cos(i * 0.9)));
      grad.forEach((x, i) => { v[dp + i] = x; });
      simd.softmaxGrad(dp, row, n, scale);
      const dot = grad.reduce((a, x, i) => a + x * p[i], 0);
      for (let i = 0; i < n; i++) expect(Math.abs(v[dp + i] - scale * p[i] * (grad[i] - dot))).toBeLessThan(1e-6);
    }
    // e^x at the ends of its range: e^0 = 1 exactly, and below float32's range exactly 0.
    v.set([0, -200], row);
    v.set([0, 0], bias);
    simd.softmax(row, bias, 2, 1);
    expect([v[row], v[row + 1]]).toEqual([1, 0]);
  });

  it('GELU never overflows: x·σ(1.702x) at large |x| is x or 0', () => {
    const simd = SimdMatmul.create()!;
    const v = simd.reserve(64);
    const xs = [-200, -60, -5, -0.5, 0, 0.5, 5, 60, 200];
    v.set(xs, 0);
    simd.gelu(0, 16, xs.length, 1.702);
    xs.forEach((x, i) => expect(Math.abs(v[16 + i] - x / (1 + Math.exp(-1.702 * x)))).toBeLessThan(1e-6 * Math.max(1, Math.abs(x))));
    expect(v[16]).toBe(-0);
    expect(v[16 + 8]).toBe(200);
  });

  it('transposes a block out of strided rows', () => {
    const simd = SimdMatmul.create()!;
    const v = simd.reserve(2000);
    for (let i = 0; i < 2000; i++) v[i] = i;
    const before = v.slice();
    simd.transpose(1000, 5, 7, 3, 11); // 7 rows of 3 floats, 11 apart, into [3, 7]
    for (let i = 1000; i < 2000; i++) {
      const [c, j] = [Math.floor((i - 1000) / 7), (i - 1000) % 7];
      expect(v[i]).toBe(c < 3 ? before[5 + j * 11 + c] : before[i]);
    }
  });

  it('copies rows between strides, the last few floats of each row one at a time', () => {
    const simd = SimdMatmul.create()!;
    const v = simd.reserve(4000);
    for (let i = 0; i < 4000; i++) v[i] = i;
    const before = v.slice();
    simd.copy(2000, 11, 3, 9, 5, 7); // 5 rows of 7: src row stride 9, dst row stride 11
    for (let i = 2000; i < 4000; i++) {
      const [r, c] = [Math.floor((i - 2000) / 11), (i - 2000) % 11];
      expect(v[i]).toBe(r < 5 && c < 7 ? 3 + r * 9 + c : before[i]);
    }
    expect(Array.from(v.subarray(0, 2000))).toEqual(Array.from(before.subarray(0, 2000)));
  });

  it('refuses tile plans it has no registers for', () => {
    expect(() => simdModuleBytes([[5, [1]]])).toThrow(RangeError);
    expect(() => simdModuleBytes([[4, [4]]])).toThrow(RangeError);
  });

  it('runs on the memory of another module, shared (as in a threaded build) or not', () => {
    for (const shared of [false, true]) {
      const memory = new WebAssembly.Memory({ initial: 2, maximum: 64, shared });
      const simd = SimdMatmul.create(memory);
      expect(simd).toBeDefined();
      const heap = new Float32Array(memory.buffer);
      heap.set([1, 2, 3, 4], 100); // A [2, 2]
      heap.set([5, 6, 7, 8], 200); // B [2, 2]
      simd!.mm(100, 2, 1, 200, 2, 300, 2, 2, 2, 2);
      expect(Array.from(heap.subarray(300, 304))).toEqual([19, 22, 43, 50]);
    }
  });

  it('grows its memory on demand and keeps working', () => {
    const simd = SimdMatmul.create();
    expect(simd).toBeDefined();
    const M = 300, K = 200, N = 260; // ≈ 1 MB of operands: past the first 16 pages
    const view = simd!.reserve(M * K + K * N + M * N);
    for (let i = 0; i < M * K + K * N; i++) view[i] = (i % 7) - 3;
    simd!.mm(0, K, 1, M * K, N, M * K + K * N, N, M, K, N);
    const out = simd!.reserve(0);
    let ref = 0;
    for (let k = 0; k < K; k++) ref += view[(M - 1) * K + k] * view[M * K + k * N + (N - 1)];
    expect(out[M * K + K * N + M * N - 1]).toBe(ref);
  });
});
