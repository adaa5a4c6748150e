// Model section, on one backend (`--opt backend=cpu|wasm|webgpu`): training tokens/s (forward, backward,
// AdamW) and sampling tokens/s with the KV cache, per configuration (`--opt configs=tiny,default`);
// with `--opt nocache=1` also sampling by recomputing the whole prefix per token (the KV cache's speed-up).
// `--opt profile=1` adds one profiled training step: kernel time by kernel name. `--opt hostProfile=1`
// adds where the host's time goes in a warm decode and a training step (bench/host-profile.ts).
// WebGPU in Node needs the environment of swiftShaderEnv() on a machine without a GPU driver.
import { AdamW } from '../src/model/adamw';
import { GPT } from '../src/model/gpt';
import { initNodeBackend, installNodeWebGPU } from '../src/model/node-backend';
import { Rng } from '../src/model/rng';
import { sample } from '../src/model/sampler';
import { tf, type BackendName } from '../src/model/tf';
import { lmStep } from '../src/model/train';
import { SimdMatmul } from '../src/model/wasm-simd';
import { simdMatMulFused } from '../src/model/wasm-simd-kernels';
import { countDispatches } from '../src/model/webgpu-kernels';
import { profileHost } from './host-profile';
import {
  benchConfig, LEARNING_RATE, SAMPLE_B, SAMPLE_NEW, SAMPLE_PROMPT, TRAIN_B, TRAIN_T, WEIGHT_DECAY, type BenchConfigName,
} from './configs';
import { log, round, runSection, timeIt } from './harness';
import { trainStepFlops } from './lib';

/**
 * GFLOP/s of ./wasm-simd's product on its own memory, unfused and fused (where the engine has relaxed SIMD),
 * on the default model's projection shapes over a 480-row batch: x·W (480 × 128 · 128 × 384) and the weight
 * gradient xᵀ·dy (128 × 480 · 480 × 512, Aᵀ through strides); the best of five timings of ≈ 0.2 GFLOP each.
 */
function productGflops(): Record<string, number | boolean> {
  const shapes: [number, number, number, boolean][] = [[480, 128, 384, false], [128, 480, 512, true]];
  const measure = (fused: boolean): number | undefined => {
    const simd = SimdMatmul.create(undefined, { fused });
    if (!simd || simd.fused !== fused) return undefined;
    const v = simd.reserve(3 << 20);
    for (let i = 0; i < v.length; i += 97) v[i] = Math.sin(i);
    let flops = 0;
    let ms = 0;
    for (const [M, K, N, transposeA] of shapes) {
      const run = () => simd.mm(0, transposeA ? 1 : K, transposeA ? M : 1, 1 << 20, N, 2 << 20, N, M, K, N);
      const reps = Math.max(1, Math.round(2e8 / (2 * M * K * N)));
      for (let i = 0; i < reps; i++) run();
      let best = Infinity;
      for (let t = 0; t < 5; t++) {
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) run();
        best = Math.min(best, (performance.now() - t0) / reps);
      }
      flops += 2 * M * K * N;
      ms += best;
    }
    return flops / ms / 1e6;
  };
  const unfused = measure(false) ?? 0;
  const fused = measure(true);
  return fused === undefined
    ? { unfusedGflops: round(unfused, 3), fusedAvailable: false }
    : { unfusedGflops: round(unfused, 3), fusedGflops: round(fused, 3), fusedSpeedup: round(fused / unfused, 3), fusedAvailable: true };
}

await runSection(async ({ quick, opts }) => {
  const backend = (opts.backend ?? 'wasm') as BackendName;
  const configs = (opts.configs ?? 'tiny').split(',') as BenchConfigName[];
  const adapter = backend === 'webgpu' ? await installNodeWebGPU() : undefined;
  await initNodeBackend(backend);
  // On wasm: whether the SIMD product fuses each multiply-add (relaxed SIMD; AZR_WASM_FMA=0 turns it off),
  // and the product alone, fused beside unfused, in this run.
  const out: Record<string, unknown> = { backend, adapter, fusedMultiplyAdd: simdMatMulFused() };
  if (backend === 'wasm') out.product = productGflops();
  for (const name of configs) {
    const config = benchConfig(name);
    const model = new GPT(config, 1);
    const optimizer = new AdamW(model.params, { learningRate: LEARNING_RATE, weightDecay: WEIGHT_DECAY });
    const rng = new Rng(2);
    const ids = (n: number) => Array.from({ length: n }, () => Math.floor(rng.next() * config.vocabSize));
    const examples = Array.from({ length: TRAIN_B }, () => ({ ids: ids(TRAIN_T + 1) }));
    // wasm is fast enough for 5 timed steps everywhere; the slow backends get 2, the quick mode's cpu too.
    const slow = backend !== 'wasm';
    const trainRuns = Number(opts.trainRuns ?? (slow ? 2 : 5));
    log(`${backend} ${name}: ${trainRuns} training steps of ${TRAIN_B} × ${TRAIN_T} tokens`);
    const train = await timeIt(trainRuns, () => lmStep(model, optimizer, examples));
    const flops = trainStepFlops(config, TRAIN_B, TRAIN_T);
    const result: Record<string, unknown> = {
      parameters: model.parameterCount(),
      trainTokensPerSec: Math.round((TRAIN_B * TRAIN_T) / (train.ms / 1000)),
      msPerTrainStep: round(train.ms),
      cpuMsPerTrainStep: round(train.cpuMs),
      trainGflops: round(flops / (train.ms / 1000) / 1e9, 3),
      trainGflopsPerStep: round(flops / 1e9, 3),
    };
    if (opts.profile === '1') {
      // Where one training step's time goes, by kernel name (tf.profile's kernel times; wasm and cpu
      // time each kernel synchronously, so these are real).
      let done: Promise<unknown> = Promise.resolve();
      const profile = await tf.profile(() => { done = lmStep(model, optimizer, examples); });
      await done;
      const byKernel = new Map<string, { ms: number; calls: number }>();
      for (const k of profile.kernels) {
        // customGrad's 'forward' entries wrap kernels that are listed on their own too.
        if (k.name === 'forward') continue;
        // Matmuls by their operands' shapes: projections, attention blocks and gradients differ 10×.
        const key = k.name === 'BatchMatMul' ? `BatchMatMul ${k.inputShapes.map((sh) => (sh ?? []).join('×')).join(' · ')}` : k.name;
        const e = byKernel.get(key) ?? { ms: 0, calls: 0 };
        e.ms += Number(k.kernelTimeMs) || 0;
        e.calls++;
        byKernel.set(key, e);
      }
      const total = [...byKernel.values()].reduce((n, e) => n + e.ms, 0);
      result.profile = {
        kernelMs: round(total),
        matmulMs: round([...byKernel].filter(([k]) => k.startsWith('BatchMatMul') || k === 'AzrMatMul').reduce((n, [, e]) => n + e.ms, 0)),
        kernels: profile.kernels.length,
        top: [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10).map(([kernel, e]) => ({ kernel, ms: round(e.ms, 3), calls: e.calls, share: round(e.ms / total, 2) })),
      };
    }
    if (name !== 'ref04m') {
      const prompts = Array.from({ length: SAMPLE_B }, () => ({ prompt: ids(SAMPLE_PROMPT) }));
      const sampleRuns = slow || (quick && name !== 'tiny') ? 1 : 3;
      const timeSample = (kvCache: boolean) => timeIt(sampleRuns, () => sample(model, prompts, { maxNewTokens: SAMPLE_NEW, endToken: -1, seed: 3, kvCache }));
      log(`${backend} ${name}: sampling ${SAMPLE_B} × ${SAMPLE_NEW} tokens after ${SAMPLE_PROMPT}-token prompts, KV cache`);
      const cached = await timeSample(true);
      result.sampleTokensPerSec = Math.round((SAMPLE_B * SAMPLE_NEW) / (cached.ms / 1000));
      result.msPerSampledToken = round(cached.ms / SAMPLE_NEW);
      if (opts.nocache === '1') {
        log(`${backend} ${name}: the same, recomputing the prefix for every token`);
        const full = await timeSample(false);
        result.sampleNoCacheTokensPerSec = Math.round((SAMPLE_B * SAMPLE_NEW) / (full.ms / 1000));
        result.kvCacheSpeedup = round(full.ms / cached.ms, 3);
      }
      if (opts.hostProfile === '1') {
        // Whose work a warm decode and a training step are on the host (bench/host-profile.ts).
        result.hostProfile = {
          sample: await profileHost(() => sample(model, prompts, { maxNewTokens: SAMPLE_NEW, endToken: -1, seed: 3 })),
          trainStep: await profileHost(() => lmStep(model, optimizer, examples)),
        };
      }
      if (backend === 'webgpu') {
        // On a real GPU a step costs about its dispatch count (bench/RESULTS.md "Real GPU"): count them.
        const decode = (n: number) => countDispatches(() => sample(model, prompts, { maxNewTokens: n, endToken: -1, seed: 3 }));
        result.dispatches = {
          trainStep: await countDispatches(() => lmStep(model, optimizer, examples)),
          decodeStep: (await decode(SAMPLE_NEW)) - (await decode(SAMPLE_NEW - 1)),
        };
      }
    }
    optimizer.dispose();
    model.dispose();
    out[name] = result;
  }
  out.tensorsLeft = tf.memory().numTensors;
  return out;
});

