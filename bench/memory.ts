// Memory section: many self-play steps of the tiny preset from scratch on wasm (`--opt steps=200`; on
// WebGPU with `--opt backend=webgpu`, which adds the GPU memory the backend holds),
// after each one a full GC (run with node --expose-gc) and a reading of the live tensor count, tfjs's
// bytes, the wasm heap, the JS heap and the size of the task buffers' contents (their JSON). Slopes are
// fitted after a warm-up, so one-time allocations (kernels, the first buffers) do not count.
//
// The wasm heap never shrinks: its size is the high-water mark of the tensors' working set, and a
// self-play step's working set depends on its shapes (how long this step's prompts and responses are).
// So each step also records its peak tensor bytes (tf.profile), and a heap growth at a step whose peak
// beats every earlier step's is the high-water mark moving, not a leak; growth at any other step is
// reported as unexplained.
import { presetConfig } from '../src/azr/config';
import { SelfPlay } from '../src/azr/selfplay';
import { initNodeBackend } from '../src/model/node-backend';
import { loadPolicyModel } from '../src/model/node-checkpoint';
import { ModelPolicy } from '../src/model/policy';
import { tf, type BackendName } from '../src/model/tf';
import { gpuBytesHeld } from '../src/model/webgpu-pool';
import { createNodeExecutor } from '../src/sandbox/node';
import { log, round, runSection } from './harness';
import { slope } from './lib';

interface Sample {
  tensors: number;
  tfBytes: number;
  wasmHeap: number;
  jsHeap: number;
  bufferBytes: number;
  ms: number;
  /** The step's peak tensor bytes (tf.profile). */
  peakBytes: number;
  /** WebGPU: GPU bytes the backend holds (tensors and its buffer pool: numBytesAllocatedInGPU), else 0. */
  gpuAllocated: number;
}

await runSection(async ({ quick, opts }) => {
  const backend = (opts.backend ?? 'wasm') as BackendName;
  const steps = Number(opts.steps ?? (quick ? 20 : 200));
  // `--opt profile=0` runs the steps without tf.profile: no peak bytes (so no wasm-heap attribution), but
  // nothing of the profiler's own in the JS heap (on WebGPU it keeps a timer per program).
  const profiled = opts.profile !== '0';
  const gc = (globalThis as { gc?: () => void }).gc;
  await initNodeBackend(backend);
  const config = presetConfig('tiny');
  const { model } = await loadPolicyModel({ scratch: true, modelSize: config.modelSize, seed: config.seed });
  const executor = createNodeExecutor();
  const policy = new ModelPolicy(model, { learningRate: config.learningRate, weightDecay: config.weightDecay });
  const run = new SelfPlay(policy, executor, config);
  const wasmHeap = () => (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.byteLength ?? 0;
  const bufferBytes = () => Object.values(run.buffers).reduce((n, b) => n + JSON.stringify(b.all()).length, 0);
  const samples: Sample[] = [];
  try {
    log(`memory: ${steps} tiny steps on ${backend}${gc ? '' : ' (no --expose-gc: JS heap readings are noisy)'}`);
    for (let i = 0; i < steps; i++) {
      let result: Awaited<ReturnType<SelfPlay['runStep']>> | undefined;
      let peakBytes = 0;
      if (profiled) {
        const profile = await tf.profile(async () => {
          result = await run.runStep();
          return [];
        });
        peakBytes = profile.peakBytes;
      } else {
        result = await run.runStep();
      }
      const { metrics } = result!;
      gc?.();
      samples.push({
        tensors: tf.memory().numTensors, tfBytes: tf.memory().numBytes, wasmHeap: wasmHeap(),
        jsHeap: process.memoryUsage().heapUsed, bufferBytes: bufferBytes(), ms: metrics.stepMs, peakBytes,
        gpuAllocated: gpuBytesHeld() ?? 0,
      });
      if ((i + 1) % 50 === 0) log(`memory: ${i + 1} steps, ${samples[i].tensors} tensors`);
    }
  } finally {
    await executor.dispose();
  }
  const warm = Math.max(2, Math.floor(steps / 10));
  const growths = samples.flatMap((x, i) => {
    if (i === 0 || x.wasmHeap <= samples[i - 1].wasmHeap) return [];
    const newPeak = samples.slice(0, i).every((earlier) => x.peakBytes > earlier.peakBytes);
    return [{ step: i + 1, bytes: x.wasmHeap - samples[i - 1].wasmHeap, newPeak }];
  });
  const after = samples.slice(warm);
  const fit = (key: keyof Sample) => {
    const s = slope(after.map((x) => x[key]));
    return s === null ? null : round(s);
  };
  const jsHeapSlope = fit('jsHeap');
  // The same over the run's second half: V8's compiled code and the like settle, the buffers do not.
  const lastHalf = slope(samples.slice(Math.floor(steps / 2)).map((x) => x.jsHeap));
  const bufferSlope = fit('bufferBytes');
  const first = samples[warm];
  const last = samples[samples.length - 1];
  return {
    backend, steps, warmupSteps: warm, exposeGc: Boolean(gc),
    tensorSlopePerStep: fit('tensors'),
    tensors: { afterWarmup: first.tensors, last: last.tensors, max: Math.max(...after.map((x) => x.tensors)) },
    tfBytesSlopePerStep: fit('tfBytes'),
    wasmHeapSlopeBytesPerStep: fit('wasmHeap'),
    wasmHeapBytes: { afterWarmup: first.wasmHeap, last: last.wasmHeap },
    wasmHeapGrowthAfterWarmupBytes: last.wasmHeap - first.wasmHeap,
    jsHeapSlopeBytesPerStep: jsHeapSlope,
    jsHeapBytes: { afterWarmup: first.jsHeap, last: last.jsHeap },
    jsHeapSlopeLastHalfBytesPerStep: lastHalf === null ? null : round(lastHalf),
    bufferBytesSlopePerStep: bufferSlope,
    bufferBytes: { afterWarmup: first.bufferBytes, last: last.bufferBytes },
    jsHeapOverBufferGrowth: jsHeapSlope !== null && bufferSlope ? round(jsHeapSlope / bufferSlope, 3) : null,
    // Each time the wasm heap grew: after which step (1-based), by how many bytes, and whether that step's
    // peak tensor bytes beat every earlier step's (the high-water mark moving).
    wasmHeapGrowth: growths.map(({ step, bytes, newPeak }) => [step, bytes, newPeak]),
    wasmHeapGrowthUnexplainedAfterWarmupBytes: growths.filter((g) => g.step > warm && !g.newPeak).reduce((n, g) => n + g.bytes, 0),
    peakTensorBytes: { max: Math.max(...samples.map((x) => x.peakBytes)) },
    // WebGPU (`--opt backend=webgpu`): the GPU memory the backend holds, its buffer pool included, which
    // ./src/model/webgpu-pool keeps to about one step's working set.
    ...(backend === 'webgpu' ? {
      gpuAllocatedSlopeBytesPerStep: fit('gpuAllocated'),
      gpuAllocatedBytes: { afterWarmup: first.gpuAllocated, last: last.gpuAllocated, max: Math.max(...samples.map((x) => x.gpuAllocated)) },
    } : {}),
    // Each step runs under tf.profile (for its peak bytes), which slows it: these are not speed figures.
    msPerStepProfiled: { first: round(samples[0].ms), afterWarmup: round(first.ms), last: round(last.ms) },
  };
});
