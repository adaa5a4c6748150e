// The model section's measurement of one configuration, shared by Node (./model.ts) and the browser
// (./browser/model-worker.ts): training tokens/s (forward, backward, AdamW) and sampling tokens/s with the
// KV cache, optionally without it, and on WebGPU the GPU programs per training and decode step. Plain
// TypeScript over src/model, no Node and no DOM: the caller has made its backend active and supplies the
// CPU clock when its environment has one.
import { AdamW } from '../src/model/adamw';
import { GPT } from '../src/model/gpt';
import { Rng } from '../src/model/rng';
import { sample } from '../src/model/sampler';
import { tf } from '../src/model/tf';
import { lmStep } from '../src/model/train';
import { productThreads } from '../src/model/product-threads';
import { SimdMatmul } from '../src/model/wasm-simd';
import { countDispatches } from '../src/model/webgpu-kernels';
import {
  benchConfig, LEARNING_RATE, SAMPLE_B, SAMPLE_NEW, SAMPLE_PROMPT, TRAIN_B, TRAIN_T, WEIGHT_DECAY, type BenchConfigName,
} from './configs';
import { round, timeRuns, trainStepFlops, type CpuClock } from './lib';

/**
 * GFLOP/s of ./wasm-simd's product on its own memory, unfused and fused (where the engine has relaxed SIMD),
 * on the default model's projection shapes over a 480-row batch: x·W (480 × 128 · 128 × 384) and the weight
 * gradient xᵀ·dy (128 × 480 · 480 × 512, Aᵀ through strides); the best of five timings of ≈ 0.2 GFLOP each.
 */
export function productGflops(): Record<string, number | boolean> {
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

export interface MeasureOptions {
  /** Timed training steps (after one warm-up). */
  trainRuns: number;
  /** Timed sampling runs of SAMPLE_B × SAMPLE_NEW tokens (after one warm-up); 0 skips sampling. */
  sampleRuns: number;
  /** Also sample by recomputing the whole prefix for every token: the KV cache's speed-up. */
  noCache?: boolean;
  /** WebGPU: count the GPU programs of a training step and of one decode step. */
  dispatches?: boolean;
  cpuClock?: CpuClock;
  /** Progress lines. */
  log?: (message: string) => void;
}

/** A model of the configuration with its optimiser and the bench's fixed random batches. */
export interface MeasureSubject {
  model: GPT;
  optimizer: AdamW;
  examples: { ids: number[] }[];
  prompts: { prompt: number[] }[];
  dispose(): void;
}

export function measureSubject(name: BenchConfigName): MeasureSubject {
  const config = benchConfig(name);
  const model = new GPT(config, 1);
  const optimizer = new AdamW(model.params, { learningRate: LEARNING_RATE, weightDecay: WEIGHT_DECAY });
  const rng = new Rng(2);
  const ids = (n: number) => Array.from({ length: n }, () => Math.floor(rng.next() * config.vocabSize));
  const examples = Array.from({ length: TRAIN_B }, () => ({ ids: ids(TRAIN_T + 1) }));
  const prompts = Array.from({ length: SAMPLE_B }, () => ({ prompt: ids(SAMPLE_PROMPT) }));
  return { model, optimizer, examples, prompts, dispose: () => { optimizer.dispose(); model.dispose(); } };
}

export type MeasureResult = Record<string, unknown>;

/**
 * Training and sampling speed of `subject` on the active backend. `extra` runs after the training timing,
 * before sampling (Node adds its kernel profile there).
 */
export async function measureModel(name: BenchConfigName, subject: MeasureSubject, options: MeasureOptions, extra?: (result: MeasureResult) => Promise<void>): Promise<MeasureResult> {
  const { model, optimizer, examples, prompts } = subject;
  const backend = tf.getBackend();
  const config = benchConfig(name);
  options.log?.(`${backend} ${name}: ${options.trainRuns} training steps of ${TRAIN_B} × ${TRAIN_T} tokens`);
  const train = await timeRuns(options.trainRuns, () => lmStep(model, optimizer, examples), 1, options.cpuClock);
  const flops = trainStepFlops(config, TRAIN_B, TRAIN_T);
  const result: MeasureResult = {
    parameters: model.parameterCount(),
    trainTokensPerSec: Math.round((TRAIN_B * TRAIN_T) / (train.ms / 1000)),
    msPerTrainStep: round(train.ms),
    ...(train.cpuMs === undefined ? {} : { cpuMsPerTrainStep: round(train.cpuMs) }),
    trainGflops: round(flops / (train.ms / 1000) / 1e9, 3),
    trainGflopsPerStep: round(flops / 1e9, 3),
  };
  await extra?.(result);
  if (options.sampleRuns > 0) {
    // Each mode's last draw is kept: with the same seed, the KV-cache path (on WebGPU one chain of fused
    // kernels a step) and recomputing the prefix should draw the same tokens.
    const drawn: Record<string, number[][]> = {};
    const timeSample = (kvCache: boolean) => timeRuns(options.sampleRuns, async () => {
      drawn[String(kvCache)] = (await sample(model, prompts, { maxNewTokens: SAMPLE_NEW, endToken: -1, seed: 3, kvCache })).map((r) => r.tokens);
    }, 1, options.cpuClock);
    options.log?.(`${backend} ${name}: sampling ${SAMPLE_B} × ${SAMPLE_NEW} tokens after ${SAMPLE_PROMPT}-token prompts, KV cache`);
    const cached = await timeSample(true);
    result.sampleTokensPerSec = Math.round((SAMPLE_B * SAMPLE_NEW) / (cached.ms / 1000));
    result.msPerSampledToken = round(cached.ms / SAMPLE_NEW);
    if (options.noCache) {
      options.log?.(`${backend} ${name}: the same, recomputing the prefix for every token`);
      const full = await timeSample(false);
      result.sampleNoCacheTokensPerSec = Math.round((SAMPLE_B * SAMPLE_NEW) / (full.ms / 1000));
      result.kvCacheSpeedup = round(full.ms / cached.ms, 3);
      // A figure, not a check: a near tie between two tokens may break differently in float32.
      const [a, b] = [drawn.true.flat(), drawn.false.flat()];
      result.kvCacheSameTokens = round(a.filter((t, i) => t === b[i]).length / a.length, 4);
    }
  }
  if (options.dispatches) {
    // On a real GPU a step costs about its dispatch count (bench/RESULTS.md "Real GPU"): count them.
    const decode = (n: number) => countDispatches(() => sample(model, prompts, { maxNewTokens: n, endToken: -1, seed: 3 }));
    const trainStep = await countDispatches(() => lmStep(model, optimizer, examples));
    // A first call after the weights change packs them for the fused decode step (./webgpu-kernels
    // decodeStep), once per update: warm up, so the difference counts one step alone.
    await decode(2);
    result.dispatches = { trainStep, decodeStep: (await decode(SAMPLE_NEW)) - (await decode(SAMPLE_NEW - 1)) };
  }
  return result;
}

/**
 * With a product helper attached (src/model/product-threads): how many products a training step splits,
 * and, where it splits any, the step with the helper and without it, alternating, three times each, the
 * best of each kept (later runs are faster, the JIT, so one after the other would favour the second).
 */
export async function measureProductThreads(subject: MeasureSubject, trainRuns: number, result: MeasureResult): Promise<void> {
  const threads = productThreads();
  if (!threads?.ready) return;
  const { model, optimizer, examples } = subject;
  const splits = threads.splits;
  await lmStep(model, optimizer, examples);
  result.productSplitsPerTrainStep = threads.splits - splits;
  if (threads.splits === splits) return;
  const best = { one: Infinity, two: Infinity };
  for (let r = 0; r < 3; r++) {
    for (const mode of ['two', 'one'] as const) {
      threads.enabled = mode === 'two';
      best[mode] = Math.min(best[mode], (await timeRuns(trainRuns, () => lmStep(model, optimizer, examples), 0)).ms);
    }
  }
  threads.enabled = true;
  result.twoThreadTrainTokensPerSec = Math.round((TRAIN_B * TRAIN_T) / (best.two / 1000));
  result.oneThreadTrainTokensPerSec = Math.round((TRAIN_B * TRAIN_T) / (best.one / 1000));
  result.productThreadsSpeedup = round(best.one / best.two, 3);
}
