// Model section, on one backend (`--opt backend=cpu|wasm|webgpu`): training tokens/s (forward, backward,
// AdamW) and sampling tokens/s with the KV cache, per configuration (`--opt configs=tiny,default`);
// with `--opt nocache=1` also sampling by recomputing the whole prefix per token (the KV cache's speed-up).
// `--opt profile=1` adds one profiled training step: kernel time by kernel name. `--opt hostProfile=1`
// adds where the host's time goes in a warm decode and a training step (bench/host-profile.ts).
// WebGPU in Node needs the environment of swiftShaderEnv() on a machine without a GPU driver. On wasm with a
// product helper thread (two cores), each configuration's training is also timed with it switched off.
import { initNodeBackend, installNodeWebGPU } from '../src/model/node-backend';
import { sample } from '../src/model/sampler';
import { tf, type BackendName } from '../src/model/tf';
import { lmStep } from '../src/model/train';
import { productThreads } from '../src/model/product-threads';
import { simdMatMulFused } from '../src/model/wasm-simd-kernels';
import { SAMPLE_NEW, type BenchConfigName } from './configs';
import { log, processCpuMs, round, runSection } from './harness';
import { profileHost } from './host-profile';
import { measureModel, measureProductThreads, measureSubject, productGflops } from './model-measure';

/**
 * Where one training step's time goes, by kernel name (tf.profile's kernel times; wasm and cpu time each
 * kernel synchronously, so these are real).
 */
async function kernelProfile(step: () => Promise<unknown>): Promise<Record<string, unknown>> {
  let done: Promise<unknown> = Promise.resolve();
  const profile = await tf.profile(() => { done = step(); });
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
  return {
    kernelMs: round(total),
    matmulMs: round([...byKernel].filter(([k]) => k.startsWith('BatchMatMul') || k === 'AzrMatMul').reduce((n, [, e]) => n + e.ms, 0)),
    kernels: profile.kernels.length,
    top: [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10).map(([kernel, e]) => ({ kernel, ms: round(e.ms, 3), calls: e.calls, share: round(e.ms / total, 2) })),
  };
}

await runSection(async ({ quick, opts }) => {
  const backend = (opts.backend ?? 'wasm') as BackendName;
  const configs = (opts.configs ?? 'tiny').split(',') as BenchConfigName[];
  const adapter = backend === 'webgpu' ? await installNodeWebGPU() : undefined;
  await initNodeBackend(backend);
  // On wasm: whether the SIMD product fuses each multiply-add (relaxed SIMD; AZR_WASM_FMA=0 turns it off),
  // and the product alone, fused beside unfused, in this run.
  const out: Record<string, unknown> = { backend, adapter, fusedMultiplyAdd: simdMatMulFused(), productHelper: productThreads()?.ready ?? false };
  if (backend === 'wasm') out.product = productGflops();
  for (const name of configs) {
    const subject = measureSubject(name);
    const { model, optimizer, examples, prompts } = subject;
    // wasm is fast enough for 5 timed steps everywhere; the slow backends get 2, the quick mode's cpu too.
    const slow = backend !== 'wasm';
    const trainRuns = Number(opts.trainRuns ?? (slow ? 2 : 5));
    out[name] = await measureModel(name, subject, {
      trainRuns,
      sampleRuns: name === 'ref04m' ? 0 : slow || (quick && name !== 'tiny') ? 1 : 3,
      noCache: opts.nocache === '1',
      dispatches: backend === 'webgpu' && name !== 'ref04m',
      cpuClock: processCpuMs,
      log,
    }, async (result) => {
      if (opts.profile === '1') result.profile = await kernelProfile(() => lmStep(model, optimizer, examples));
      if (name !== 'ref04m') await measureProductThreads(subject, trainRuns, result);
    });
    if (opts.hostProfile === '1' && name !== 'ref04m') {
      // Whose work a warm decode and a training step are on the host (bench/host-profile.ts).
      (out[name] as Record<string, unknown>).hostProfile = {
        sample: await profileHost(() => sample(model, prompts, { maxNewTokens: SAMPLE_NEW, endToken: -1, seed: 3 })),
        trainStep: await profileHost(() => lmStep(model, optimizer, examples)),
      };
    }
    subject.dispose();
  }
  out.tensorsLeft = tf.memory().numTensors;
  return out;
});

