// Self-play section: the seeding phase, then full self-play steps (propose, validate, solve, check,
// reward, update) with the real sandbox worker, on one backend and one preset of src/azr/config.ts
// (`--opt backend=wasm --opt preset=default --opt steps=1`). The model is the shipped base checkpoint
// when there is one and the preset's model size is `default`, else fresh weights (`--opt from=scratch`
// forces that); the result says which. `--opt hostProfile=1` profiles the host in the last step.
import { presetConfig, type PresetName } from '../src/azr/config';
import { SelfPlay } from '../src/azr/selfplay';
import { initNodeBackend, installNodeWebGPU } from '../src/model/node-backend';
import { loadPolicyModel } from '../src/model/node-checkpoint';
import { microBatchGroups } from '../src/model/train';
import { countDispatches } from '../src/model/webgpu-kernels';
import { gpuBytesHeld } from '../src/model/webgpu-pool';
import { ModelPolicy } from '../src/model/policy';
import { tf, type BackendName } from '../src/model/tf';
import { createNodeExecutor, nodePoolSize } from '../src/sandbox/node';
import { log, round, runSection } from './harness';
import { profileHost, type HostProfile } from './host-profile';

await runSection(async ({ opts }) => {
  const backend = (opts.backend ?? 'wasm') as BackendName;
  const preset = (opts.preset ?? 'default') as PresetName;
  const steps = Number(opts.steps ?? 1);
  if (backend === 'webgpu') await installNodeWebGPU();
  await initNodeBackend(backend);
  const config = presetConfig(preset);
  const { model, source } = await loadPolicyModel({ scratch: opts.from === 'scratch', modelSize: config.modelSize, seed: config.seed });
  // The sandbox pool the CLI and the lab use on this machine (one worker per core beyond the trainer's, at
  // most 4): with one worker, a GPU machine's check phase waited on a single core.
  const sandboxWorkers = nodePoolSize();
  const executor = createNodeExecutor({ workers: sandboxWorkers });
  const policy = new ModelPolicy(model, { learningRate: config.learningRate, weightDecay: config.weightDecay });
  // What the update trains on: every trajectory's whole sequence (prompt and response) goes through the
  // model, in padded micro-batches, though only response tokens carry loss.
  let update = { trajectories: 0, positions: 0, paddedPositions: 0, microBatches: 0, responseTokens: 0 };
  const innerUpdate = policy.update.bind(policy);
  policy.update = (trajectories, options) => {
    const used = trajectories.filter((t) => t.generation.responseIds.length > 0).map((t) => t.generation);
    const lengths = used.map((g) => g.promptIds.length + g.responseIds.length - 1);
    const groups = microBatchGroups(model, lengths);
    update = {
      trajectories: used.length,
      positions: lengths.reduce((a, b) => a + b, 0),
      paddedPositions: groups.reduce((n, group) => n + group.length * Math.max(...group.map((i) => lengths[i])), 0),
      microBatches: groups.length,
      responseTokens: used.reduce((n, g) => n + g.responseIds.length, 0),
    };
    return innerUpdate(trajectories, options);
  };
  // On WebGPU, the GPU work of each policy call of a step: the programs dispatched and the reads back to
  // the CPU (each a round trip the host waits for). On a real GPU a phase costs about these, not its
  // FLOPs (RESULTS "Real GPU"), so they are the figures to cut, and they can be counted on SwiftShader.
  let gpuWork: Record<string, { dispatches: number; reads: number; calls: number }> = {};
  let generateCalls = 0;
  if (backend === 'webgpu') {
    const counted = <A extends unknown[], R>(label: () => string, f: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
      const proto = Object.getPrototypeOf(tf.backend()) as { read: (...a: unknown[]) => Promise<unknown> };
      const read = proto.read;
      let reads = 0;
      proto.read = function (this: unknown, ...a: unknown[]) { reads++; return read.apply(this, a); };
      let result: R | undefined;
      try {
        const dispatches = await countDispatches(async () => { result = await f(...args); });
        const entry = (gpuWork[label()] ??= { dispatches: 0, reads: 0, calls: 0 });
        entry.dispatches += dispatches;
        entry.reads += reads;
        entry.calls++;
      } finally {
        proto.read = read;
      }
      return result as R;
    };
    // A step's first generate call proposes, its second solves (with the learnability rollouts).
    policy.generate = counted(() => (generateCalls++ % 2 === 0 ? 'propose' : 'solve'), policy.generate.bind(policy));
    policy.update = counted(() => 'update', policy.update.bind(policy));
  }
  const run = new SelfPlay(policy, executor, config);
  try {
    log(`${backend} ${preset}: seeding (${source})`);
    const seedStart = performance.now();
    const seeding = await run.seed();
    const seedMs = performance.now() - seedStart;
    const records = [];
    let hostProfile: HostProfile | undefined;
    for (let i = 0; i < steps; i++) {
      log(`${backend} ${preset}: step ${i + 1} of ${steps}`);
      // `--opt hostProfile=1`: where the host's time goes in the last step (bench/host-profile.ts).
      gpuWork = {};
      generateCalls = 0;
      let stepResult: Awaited<ReturnType<typeof run.runStep>> | undefined;
      const once = async () => { stepResult = await run.runStep(); };
      if (opts.hostProfile === '1' && i === steps - 1) hostProfile = await profileHost(once, 40);
      else await once();
      const { metrics: m } = stepResult!;
      const phases = Object.fromEntries(Object.entries(m.phases).map(([k, v]) => [k, round(v)]));
      const slowest = Object.entries(m.phases).sort((a, b) => b[1] - a[1])[0][0];
      records.push({
        ms: round(m.stepMs), phases, slowestPhase: slowest, tokensGenerated: m.tokensGenerated,
        tokensPerSecond: round(m.tokensPerSecond), trainedTrajectories: m.trainedTrajectories,
        validProposals: Object.values(m.proposals).reduce((n, p) => n + p.valid, 0),
        proposals: Object.values(m.proposals).reduce((n, p) => n + p.total, 0),
        update: { ...update, positionsPerSec: Math.round(update.paddedPositions / (m.phases.update / 1000)) },
        // WebGPU: the programs and read-backs by phase, and the GPU memory the backend holds after the step
        // (its buffer pool included, which src/model/webgpu-pool keeps to about one step's working set).
        ...(backend === 'webgpu' ? { gpuWork, gpuAllocatedBytes: gpuBytesHeld() } : {}),
      });
    }
    const last = records[records.length - 1];
    return {
      backend, preset, modelSize: config.modelSize, model: source, parameters: model.parameterCount(),
      seedMs: round(seedMs), seeding, sandboxWorkers, ...last, steps: records, tensors: tf.memory().numTensors, hostProfile,
    };
  } finally {
    await executor.dispose();
  }
});
