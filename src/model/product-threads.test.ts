import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enableRelaxedSimd, initNodeBackend, startNodeProductHelper } from './node-backend';
import {
  createProductLink, detachProductHelper, ProductThreads, productThreads, SPLIT_MIN_MACS, SPLIT_MIN_MACS_PER_FLOAT, splitPlan,
} from './product-threads';
import { tf } from './tf';
import { SimdMatmul } from './wasm-simd';
import { simdMatMul } from './wasm-simd-kernels';

/** Fills `n` floats from `at` with values whose products round differently in every order of summation. */
function fill(v: Float32Array, at: number, n: number, seed: number): void {
  for (let i = 0; i < n; i++) v[at + i] = Math.sin((i + 1) * 1.37 + seed) * (1 + (i % 7));
}

describe('a product split across two threads', () => {
  let worker: Worker;
  let threads: ProductThreads;
  let own: SimdMatmul;

  beforeAll(async () => {
    enableRelaxedSimd();
    own = SimdMatmul.create()!;
    const link = createProductLink(own.fused)!;
    expect(link).toBeDefined();
    worker = new Worker(new URL('./product-node-worker.mjs', import.meta.url), { workerData: link });
    threads = new ProductThreads(link);
    const until = Date.now() + 20_000;
    while (!threads.ready && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(threads.ready).toBe(true);
  }, 30_000);

  afterAll(async () => {
    threads.stop();
    await worker.terminate();
  });

  // [M, K, N, A transposed, accumulate, padded C, split?]: projection and weight-gradient shapes, odd row
  // counts, and two products too small to split (which run on the caller alone).
  const CASES: [number, number, number, boolean, boolean, boolean, boolean][] = [
    [480, 128, 384, false, false, false, true],
    [128, 480, 512, true, false, false, true],
    [300, 200, 130, false, true, true, true],
    [257, 301, 300, true, true, false, true],
    [129, 67, 130, false, true, true, false],
    [64, 1024, 32, true, false, false, false],
  ];

  it.each(CASES)('%i × %i · %i (Aᵀ %s, accumulate %s, padded C %s; split %s) is bit for bit the one-thread product', (M, K, N, transposeA, accumulate, padded, split) => {
    const ldc = padded ? N + 3 : N;
    const [sAm, sAk] = transposeA ? [1, M] : [K, 1];
    const a = 5;
    const b = a + M * K + 2;
    const c = b + K * N + 1;
    const v = own.reserve(c + M * ldc + 8);
    fill(v, 0, c + M * ldc + 8, M + K + N);
    const start = v.slice();
    own.mm(a, sAm, sAk, b, N, c, ldc, M, K, N, accumulate);
    const single = own.reserve(0).slice();
    own.reserve(0).set(start);
    const splits = threads.splits;
    expect(threads.mm(own.reserve(0), own, a, sAm, sAk, b, N, c, ldc, M, K, N, accumulate)).toBe(split);
    expect(threads.splits).toBe(splits + (split ? 1 : 0));
    const result = own.reserve(0);
    let differing = 0;
    for (let i = 0; i < single.length; i++) if (!Object.is(single[i], result[i])) differing++;
    expect(differing).toBe(0);
  });

  it('does the helper\'s rows itself when the helper does not answer, and stops splitting', () => {
    const link = createProductLink(own.fused)!;
    link.control[2] = 1; // claims to be ready, but no thread serves it
    const deaf = new ProductThreads(link, 50);
    const [M, K, N] = [256, 256, 256];
    const v = own.reserve(M * K + K * N + M * N);
    fill(v, 0, M * K + K * N, 3);
    own.mm(0, K, 1, M * K, N, M * K + K * N, N, M, K, N);
    const single = own.reserve(0).slice(M * K + K * N, M * K + K * N + M * N);
    own.reserve(0).fill(0, M * K + K * N);
    expect(deaf.mm(own.reserve(0), own, 0, K, 1, M * K, N, M * K + K * N, N, M, K, N)).toBe(false);
    expect(Array.from(own.reserve(0).subarray(M * K + K * N, M * K + K * N + M * N))).toEqual(Array.from(single));
    expect(deaf.ready).toBe(false);
    expect(deaf.splits).toBe(0);
  });
});

describe('the wasm backend with its product helper', () => {
  let helper: Worker | undefined;
  beforeAll(async () => {
    await initNodeBackend('wasm');
    helper = await startNodeProductHelper({ force: true });
  }, 60_000);

  afterAll(() => detachProductHelper());

  it('gives the same matmuls with and without the helper, and splits the big ones', () => {
    const threads = productThreads()!;
    expect(threads.ready).toBe(true);
    const cases: [number, number, number, boolean, boolean][] = [[300, 128, 512, false, false], [128, 300, 384, true, false], [200, 512, 128, false, true], [16, 128, 384, false, false]];
    let splitCases = 0;
    for (const [M, K, N, transposeA, transposeB] of cases) {
      const a = tf.tidy(() => tf.sin(tf.mul(tf.reshape(tf.range(0, M * K), transposeA ? [K, M] : [M, K]), 0.37)) as tf.Tensor2D);
      const b = tf.tidy(() => tf.cos(tf.mul(tf.reshape(tf.range(0, K * N), transposeB ? [N, K] : [K, N]), 0.11)) as tf.Tensor2D);
      const c = tf.tidy(() => tf.sin(tf.reshape(tf.range(0, M * N), [M, N])) as tf.Tensor2D);
      const splits = threads.splits;
      const withHelper = simdMatMul(a, b, transposeA, transposeB, c);
      const plan = splitPlan(0, transposeA ? 1 : K, transposeA ? M : 1, 0, N, 0, N, M, K, N, true);
      expect(threads.splits > splits).toBe(plan.rows * K * N >= SPLIT_MIN_MACS && plan.macsPerCopiedFloat >= SPLIT_MIN_MACS_PER_FLOAT);
      threads.enabled = false;
      const alone = simdMatMul(a, b, transposeA, transposeB, c);
      threads.enabled = true;
      expect(Array.from(withHelper.dataSync())).toEqual(Array.from(alone.dataSync()));
      tf.dispose([a, b, c, withHelper, alone]);
      if (plan.macsPerCopiedFloat >= SPLIT_MIN_MACS_PER_FLOAT && plan.rows * K * N >= SPLIT_MIN_MACS) splitCases++;
    }
    expect(splitCases).toBe(3);
  });

  it('keeps computing, on one thread and without waiting, once the helper thread is gone', async () => {
    const threads = productThreads()!;
    expect(helper).toBeDefined();
    await helper!.terminate();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(threads.ready).toBe(false);
    const a = tf.tidy(() => tf.sin(tf.reshape(tf.range(0, 300 * 128), [300, 128])) as tf.Tensor2D);
    const b = tf.tidy(() => tf.cos(tf.reshape(tf.range(0, 128 * 512), [128, 512])) as tf.Tensor2D);
    const splits = threads.splits;
    // Not split, so not waiting for a helper that will never answer.
    const product = simdMatMul(a, b);
    expect(threads.splits).toBe(splits);
    expect(product.shape).toEqual([300, 512]);
    tf.dispose([a, b, product]);
  });
});
