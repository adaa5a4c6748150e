// Backend parity check (Node): the tiny model's forward and backward pass on `cpu` and on the named
// backend, compared; then one training step and a short KV-cache sampling run on that backend.
// Prints one JSON line. Run: npx tsx src/model/parity.ts webgpu   (exit code 0 = parity holds,
// 2 = backend unavailable here). WebGPU without a GPU driver needs the env of swiftShaderEnv().
import { AdamW } from './adamw';
import { GPT, cacheTensors, disposeCache, makeConfig, type KVCache } from './gpt';
import { crossEntropyLoss, packLM } from './loss';
import { initNodeBackend, installNodeWebGPU, releaseNodeWebGPU } from './node-backend';
import { sample, type SampleResult } from './sampler';
import { tf, type BackendName } from './tf';
import { lmStep, policyStep } from './train';
import { countDispatches } from './webgpu-kernels';
import { releaseIdleGpuBuffers } from './webgpu-pool';

export interface ParityReport {
  backend: BackendName;
  adapter?: string;
  /** Largest |difference| of logits, relative to the largest |logit|. */
  logitsDiff: number;
  /** Largest relative gradient difference over all parameters. */
  gradDiff: number;
  lossDiff: number;
  /** The loss a training step on the backend reports (it must equal the cpu loss before the update). */
  stepLossDiff: number;
  /** Whether greedy KV-cache sampling gives the same tokens as on cpu. */
  sampledSame: boolean;
  /** WebGPU only: our fused kernels (./webgpu-kernels) against tfjs's ops on the same backend. */
  fused?: FusedReport;
  /** WebGPU only: the buffer pool after `releaseIdleGpuBuffers` (./webgpu-pool). */
  pool?: PoolReport;
  ok: boolean;
}

export interface PoolReport {
  /** Whether the backend's pool is the one ./webgpu-pool knows (tfjs-backend-webgpu 4.x). */
  tracked: boolean;
  /** GPU bytes allocated by a sampling run repeated after a release: 0 when the release kept the
   * buffers the run before had used. */
  repeatAllocatedBytes: number;
  /** Pooled GPU bytes (allocated, not in use) after a second release with no work since the first: 0
   * when the release destroys every buffer nothing took. */
  idlePooledBytes: number;
  /** Sizes the pool still names with no buffer of that size, in use or free, after those releases: 0 when
   * a release drops a size's keys once its last buffer goes. */
  emptySizes: number;
}

/** Sampling runs of one shape with releases between them: what the pool keeps and what it lets go. */
async function poolCheck(): Promise<PoolReport> {
  const model = new GPT(config, 13);
  const run = () => sample(model, [{ prompt: [2, 5, 7] }, { prompt: [4] }], { maxNewTokens: 6, endToken: -1, temperature: 1, seed: 2 });
  const gpu = () => tf.memory() as tf.MemoryInfo & { numBytesInGPU: number; numBytesAllocatedInGPU: number };
  await run();
  const { tracked } = releaseIdleGpuBuffers();
  await run();
  releaseIdleGpuBuffers();
  const before = gpu().numBytesAllocatedInGPU;
  await run();
  const repeatAllocatedBytes = gpu().numBytesAllocatedInGPU - before;
  releaseIdleGpuBuffers();
  releaseIdleGpuBuffers();
  const idlePooledBytes = gpu().numBytesAllocatedInGPU - gpu().numBytesInGPU;
  const pool = (tf.backend() as unknown as { bufferManager: { freeBuffers: Map<string, unknown[]>; usedBuffers: Map<string, unknown[]> } }).bufferManager;
  const emptySizes = [...pool.freeBuffers].filter(([key, free]) => free.length === 0 && !pool.usedBuffers.get(key)?.length).length;
  model.dispose();
  return { tracked, repeatAllocatedBytes, idlePooledBytes, emptySizes };
}

export interface FusedReport {
  /** Sampling at temperature 1 with the same seed draws the same tokens with the fused kernels and without. */
  sameTokens: boolean;
  /** Largest difference of those tokens' log-probs. */
  logProbDiff: number;
  /** The same over responses long enough for the fused decode's cache to grow its room twice (past 32 and
   * 64 keys), of three lengths, so the finished rows are dropped from the cache on the way. */
  long: { sameTokens: boolean; logProbDiff: number; keys: number };
  /** GPU programs dispatched by one KV-cache decode step's forward pass, fused and not (the whole fused step
   * is one per block plus two: ./webgpu-kernels decodeStep). */
  decodeDispatches: { fused: number; unfused: number };
  /** The same decode step of the default model's shape (4 heads of 32, 4 blocks): dispatches, fused and not,
   * and the largest logit difference between them, relative to the largest logit; and that difference
   * where the step before was fused and this one is not (the joined cache split back into layers). */
  defaultDecode: { fused: number; unfused: number; logitsDiff: number; splitDiff: number };
  /** Largest weight difference, relative to the largest weight, after three training steps (fused
   * LayerNorm, GELU and AdamW, the gradients through them) against the same steps with tfjs's ops. */
  trainedWeightsDiff: number;
  /** Largest weight difference after three AdamW updates from the same gradients, fused and not. */
  adamWDiff: number;
  /** Live tensors after each of three rounds of training, sampling and a policy step with the fused
   * kernels: every tensor they make is owned, so the count stays flat. */
  tensorsByRound: number[];
}

async function tensorsByRound(): Promise<number[]> {
  const m = new GPT(config, 13);
  const optimizer = new AdamW(m.params, { learningRate: 1e-3 });
  const counts: number[] = [];
  for (let round = 0; round < 3; round++) {
    await lmStep(m, optimizer, examples);
    const drawn = await sample(m, [{ prompt: [2, 5] }, { prompt: [4] }], { maxNewTokens: 3, endToken: -1, seed: round });
    await policyStep(m, optimizer, drawn.map((r, k) => ({ promptIds: k ? [4] : [2, 5], responseIds: r.tokens, oldLogProbs: r.logProbs, advantage: k ? 1 : -1 })));
    counts.push(tf.memory().numTensors);
  }
  optimizer.dispose();
  m.dispose();
  return counts;
}

/** Three AdamW updates (decay, clipping scale) of a matrix and a vector from fixed gradients → the weights. */
async function adamWUpdates(): Promise<Float32Array[]> {
  const params = new Map([['w', tf.variable(tf.randomNormal([50, 70], 0, 1, 'float32', 1))], ['b', tf.variable(tf.randomNormal([70], 0, 1, 'float32', 2))]]);
  const optimizer = new AdamW(params, { learningRate: 1e-2, weightDecay: 0.1 });
  for (let i = 0; i < 3; i++) {
    const grads = new Map([['w', tf.randomNormal([50, 70], 0, 1, 'float32', 10 + i)], ['b', tf.randomNormal([70], 0, 1e-3, 'float32', 20 + i)]]);
    optimizer.apply(grads, 0.7);
    tf.dispose([...grads.values()]);
  }
  const weights = await Promise.all([...params.values()].map(async (p) => await p.data() as Float32Array));
  optimizer.dispose();
  tf.dispose([...params.values()]);
  return weights;
}

const V = 40;
const config = makeConfig('tiny', V, { contextLength: 32 });
const examples = [{ ids: [2, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 3] }, { ids: [4, 8, 15, 16, 23, 4, 2] }];

async function forwardBackward(backend: BackendName) {
  if (backend === 'cpu') await initNodeBackend('cpu');
  else await initNodeBackend(backend);
  const model = new GPT(config, 5);
  const batch = packLM(examples, V);
  const tokens = batch.weights.reduce((a, b) => a + b, 0);
  const { value, grads } = tf.variableGrads(() => crossEntropyLoss(model, batch, 1 / tokens, false), model.variables());
  const logits = tf.tidy(() => model.forward(tf.tensor2d(batch.inputs, [batch.B, batch.T], 'int32')).logits);
  const sampled = (await sample(model, [{ prompt: [2, 5] }, { prompt: [4, 8, 15] }], { maxNewTokens: 5, endToken: -1, greedy: true })).map((r) => r.tokens);
  const out = {
    model,
    sampled,
    loss: (await value.data())[0],
    logits: await logits.data(),
    grads: new Map(await Promise.all(Object.entries(grads).map(async ([k, g]) => [k.split('/')[1], await g.data()] as const))),
  };
  tf.dispose([value, logits, ...Object.values(grads)]);
  return out;
}

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  let scale = 1e-3;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / scale;
}

/** Runs `f` with the fused WebGPU kernels switched on or off (./webgpu-kernels `fusedWebGPU`). */
async function withFused<T>(on: boolean, f: () => Promise<T>): Promise<T> {
  const before = process.env.AZR_WEBGPU_FUSED;
  process.env.AZR_WEBGPU_FUSED = on ? '1' : '0';
  try {
    return await f();
  } finally {
    if (before === undefined) delete process.env.AZR_WEBGPU_FUSED;
    else process.env.AZR_WEBGPU_FUSED = before;
  }
}

/**
 * A KV-cache decode step as the sampler runs it, the second after a prefill of 6 positions (so its past is
 * what a decode step leaves: with the fused kernels, the joined cache): its dispatches and logits. `second`
 * switches the fused kernels for that step alone (default: as for the first), so a joined cache meets the
 * per-op path.
 */
async function decodeOnce(model: GPT, second?: boolean): Promise<{ dispatches: number; logits: Float32Array }> {
  const B = 3;
  const P = 6;
  const V = model.config.vocabSize;
  // Row 1 masks its first two positions (left padding).
  const bias = (keys: number) => tf.tensor4d(Array.from({ length: B * keys }, (_, i) => (i >= keys && i < keys + 2 ? -1e9 : 0)), [B, 1, 1, keys]);
  const forward = (ids: tf.Tensor2D, o: Parameters<GPT['forward']>[1]) => {
    let out: { logits: tf.Tensor2D; cache?: KVCache } | undefined;
    tf.tidy(() => {
      const r = model.forward(ids, { ...o, returnCache: true, lastOnly: true });
      [r.logits, ...cacheTensors(r.cache)].forEach((t) => tf.keep(t));
      out = r;
    });
    return out!;
  };
  const prefillIds = tf.tensor2d(Array.from({ length: B * P }, (_, i) => (i * 7 + 3) % V), [B, P], 'int32');
  const prefill = forward(prefillIds, {});
  const steps = [[4, 9, 11], [7, 2, 5]].map((ids, s) => ({
    ids: tf.tensor2d(ids, [B, 1], 'int32'), positions: tf.tensor2d([P + s, P - 2 + s, P + s], [B, 1], 'int32'), bias: bias(P + 1 + s),
  }));
  const first = forward(steps[0].ids, { positions: steps[0].positions, attnBias: steps[0].bias, past: prefill.cache });
  // The step's inputs exist before the count starts, so it counts the forward pass alone.
  let last: { logits: tf.Tensor2D; cache?: KVCache } | undefined;
  const count = () => countDispatches(async () => {
    last = forward(steps[1].ids, { positions: steps[1].positions, attnBias: steps[1].bias, past: first.cache });
  });
  const dispatches = second === undefined ? await count() : await withFused(second, count);
  const values = await last!.logits.data() as Float32Array;
  tf.dispose([prefillIds, ...steps.flatMap((s) => [s.ids, s.positions, s.bias]), first.logits, prefill.logits, last!.logits]);
  [prefill, first, last!].forEach((r) => disposeCache(r.cache));
  return { dispatches, logits: values };
}

async function defaultDecode(): Promise<FusedReport['defaultDecode']> {
  const model = new GPT(makeConfig('default', V, { contextLength: 64 }), 21);
  // The first fused step packs each block's weights (a few concatenations, once per set of weights).
  await withFused(true, () => decodeOnce(model));
  const [fused, ops, split] = [await withFused(true, () => decodeOnce(model)), await withFused(false, () => decodeOnce(model)), await withFused(true, () => decodeOnce(model, false))];
  model.dispose();
  return { fused: fused.dispatches, unfused: ops.dispatches, logitsDiff: relDiff(fused.logits, ops.logits), splitDiff: relDiff(split.logits, fused.logits) };
}

/** Whether two sampling runs drew the same tokens, and the largest difference of their log-probs. */
function compareSamples(a: SampleResult[], b: SampleResult[]): { sameTokens: boolean; logProbDiff: number } {
  let logProbDiff = 0;
  a.forEach((r, i) => r.logProbs.forEach((lp, j) => { logProbDiff = Math.max(logProbDiff, Math.abs(lp - (b[i].logProbs[j] ?? Infinity))); }));
  return { sameTokens: JSON.stringify(a.map((r) => r.tokens)) === JSON.stringify(b.map((r) => r.tokens)), logProbDiff };
}

async function fusedAgainstOps(): Promise<FusedReport> {
  const model = new GPT(config, 9);
  const requests = [{ prompt: [2, 5, 7, 9] }, { prompt: [4, 8] }, { prompt: [6, 10, 12] }];
  const run = () => sample(model, requests, { maxNewTokens: 10, endToken: -1, temperature: 1, seed: 4 });
  const { sameTokens, logProbDiff } = compareSamples(await withFused(true, run), await withFused(false, run));
  const longModel = new GPT(makeConfig('tiny', V, { contextLength: 96 }), 10);
  const longRequests = [{ prompt: [2, 5, 7, 9], maxNewTokens: 75 }, { prompt: [4, 8], maxNewTokens: 30 }, { prompt: [6, 10, 12], maxNewTokens: 50 }];
  const longRun = () => sample(longModel, longRequests, { maxNewTokens: 75, endToken: -1, temperature: 1, seed: 6 });
  const long = { ...compareSamples(await withFused(true, longRun), await withFused(false, longRun)), keys: 4 + 75 };
  longModel.dispose();
  const report = {
    sameTokens,
    logProbDiff,
    long,
    decodeDispatches: { fused: (await withFused(true, () => decodeOnce(model))).dispatches, unfused: (await withFused(false, () => decodeOnce(model))).dispatches },
    defaultDecode: await defaultDecode(),
    trainedWeightsDiff: 0,
    adamWDiff: 0,
    tensorsByRound: await withFused(true, tensorsByRound),
  };
  const [adamFused, adamOps] = [await withFused(true, adamWUpdates), await withFused(false, adamWUpdates)];
  adamFused.forEach((w, i) => { report.adamWDiff = Math.max(report.adamWDiff, relDiff(w, adamOps[i])); });
  model.dispose();
  // One after the other: the switch is process-wide.
  const trained: Map<string, ArrayLike<number>>[] = [];
  for (const on of [true, false]) trained.push(await withFused(on, async () => {
    const m = new GPT(config, 12);
    const optimizer = new AdamW(m.params, { learningRate: 1e-2, weightDecay: 0.1 });
    for (let i = 0; i < 3; i++) await lmStep(m, optimizer, examples, { maxGradNorm: 0.5 });
    const weights = new Map(await Promise.all([...m.params].map(async ([name, p]) => [name, await p.data()] as const)));
    optimizer.dispose();
    m.dispose();
    return weights;
  }));
  for (const [name, w] of trained[0]) report.trainedWeightsDiff = Math.max(report.trainedWeightsDiff, relDiff(w, trained[1].get(name)!));
  return report;
}

export async function checkParity(backend: BackendName): Promise<ParityReport> {
  const ref = await forwardBackward('cpu');
  ref.model.dispose();
  const got = await forwardBackward(backend);
  let gradDiff = 0;
  for (const [name, g] of ref.grads) gradDiff = Math.max(gradDiff, relDiff(got.grads.get(name)!, g));
  const optimizer = new AdamW(got.model.params, { learningRate: 1e-3 });
  const step = await lmStep(got.model, optimizer, examples);
  optimizer.dispose();
  got.model.dispose();
  const report = {
    backend,
    logitsDiff: relDiff(got.logits, ref.logits),
    gradDiff,
    lossDiff: Math.abs(got.loss - ref.loss),
    stepLossDiff: Math.abs(step.loss - ref.loss),
    sampledSame: JSON.stringify(got.sampled) === JSON.stringify(ref.sampled),
    fused: backend === 'webgpu' ? await fusedAgainstOps() : undefined,
    pool: backend === 'webgpu' ? await poolCheck() : undefined,
  };
  const poolOk = !report.pool || (report.pool.tracked && report.pool.repeatAllocatedBytes === 0 && report.pool.idlePooledBytes === 0 && report.pool.emptySizes === 0);
  const fusedOk = !report.fused || (report.fused.sameTokens && report.fused.logProbDiff < 1e-4
    && report.fused.long.sameTokens && report.fused.long.logProbDiff < 1e-4 && report.fused.decodeDispatches.fused === config.nLayer + 2
    && report.fused.defaultDecode.fused === 4 + 2 && report.fused.defaultDecode.logitsDiff < 1e-4 && report.fused.defaultDecode.splitDiff < 1e-4 && report.fused.trainedWeightsDiff < 1e-3 && report.fused.adamWDiff < 1e-6
    && report.fused.tensorsByRound.every((n) => n === report.fused!.tensorsByRound[0]));
  return {
    ...report,
    ok: report.logitsDiff < 1e-3 && report.gradDiff < 1e-2 && report.lossDiff < 1e-4 && report.stepLossDiff < 1e-4 && report.sampledSame && fusedOk && poolOk,
  };
}

const backend = process.argv[2] as BackendName | undefined;
if (backend) {
  let adapter: string | undefined;
  if (backend === 'webgpu') {
    const probe = await installNodeWebGPU();
    if (!probe.available) {
      console.log(JSON.stringify({ backend, unavailable: probe.error ?? 'no adapter' }));
      releaseNodeWebGPU();
      process.exit(2);
    }
    adapter = [probe.vendor, probe.architecture, probe.description].filter(Boolean).join(' ');
  }
  const report = await checkParity(backend);
  console.log(JSON.stringify({ ...report, adapter }));
  releaseNodeWebGPU();
  process.exit(report.ok ? 0 : 1);
}
