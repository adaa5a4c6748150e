// Speed of the model on one backend: ms per training step and sampling tokens/s with and without the
// KV cache. Run: npx tsx src/model/measure.ts [--backend wasm|cpu|webgpu] [--preset default]
//   [--batch 16] [--len 64] [--vocab <tokenizer's>] [--layers N] [--steps 5] [--profile]
//   [--sample-batch 16] [--prompt-len 8] [--train-only]
// (webgpu without a GPU driver: prefix LD_LIBRARY_PATH=/usr/lib/chromium
//  VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)
import { parseArgs } from 'node:util';
import { AdamW } from './adamw';
import { GPT, makeConfig, type PresetName } from './gpt';
import { initNodeBackend, releaseNodeWebGPU } from './node-backend';
import { Rng } from './rng';
import { sample } from './sampler';
import { tf, type BackendName } from './tf';
import { vocabSize } from './tokenizer';
import { lmStep, policyStep } from './train';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    preset: { type: 'string', default: 'default' },
    batch: { type: 'string', default: '16' },
    len: { type: 'string', default: '64' },
    vocab: { type: 'string', default: String(vocabSize) },
    steps: { type: 'string', default: '5' },
    'sample-batch': { type: 'string', default: '16' },
    'prompt-len': { type: 'string', default: '8' },
    layers: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'train-only': { type: 'boolean', default: false },
  },
});
const backend = args.backend as BackendName;
const B = Number(args.batch);
const L = Number(args.len);
const steps = Number(args.steps);

await initNodeBackend(backend);
const config = makeConfig(args.preset as PresetName, Number(args.vocab), args.layers ? { nLayer: Number(args.layers) } : {});
const model = new GPT(config, 1);
const optimizer = new AdamW(model.params, { learningRate: 1e-3 });
const rng = new Rng(2);
const randomIds = (n: number) => Array.from({ length: n }, () => Math.floor(rng.next() * config.vocabSize));
const examples = Array.from({ length: B }, () => ({ ids: randomIds(L + 1) }));
console.log(`backend ${backend}, preset ${args.preset} (${model.parameterCount().toLocaleString('en')} parameters), batch ${B} × ${L} tokens`);

/**
 * Mean wall time per call after one warm-up call (kernels, shaders, memory). Also prints this process's
 * CPU time per call: on a shared machine the wall time includes waiting for a core, the CPU time does not
 * (the wasm and cpu backends compute on one thread).
 */
async function timeIt(label: string, n: number, f: () => Promise<unknown>): Promise<number> {
  await f();
  const start = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) await f();
  const ms = (performance.now() - start) / n;
  const { user, system } = process.cpuUsage(cpu);
  console.log(`${label}: ${ms.toFixed(1)} ms (CPU ${((user + system) / 1000 / n).toFixed(1)} ms)`);
  return ms;
}

const lmMs = await timeIt('LM train step (forward + backward + AdamW)', steps, () => lmStep(model, optimizer, examples));
console.log(`  = ${Math.round((B * L) / (lmMs / 1000)).toLocaleString('en')} tokens/s`);
const trajectories = examples.map((e) => ({
  promptIds: e.ids.slice(0, 16), responseIds: e.ids.slice(16), oldLogProbs: e.ids.slice(16).map(() => -5.7), advantage: rng.next() - 0.5,
}));
await timeIt('policy train step', steps, () => policyStep(model, optimizer, trajectories));

if (args.profile) {
  let done: Promise<unknown> = Promise.resolve();
  const profile = await tf.profile(() => { done = lmStep(model, optimizer, examples); });
  await done;
  const byKernel = new Map<string, [number, number]>();
  for (const k of profile.kernels) {
    const [ms, n] = byKernel.get(k.name) ?? [0, 0];
    byKernel.set(k.name, [ms + (k.kernelTimeMs as number), n + 1]);
  }
  console.log('kernel time by name (ms, calls):', [...byKernel].sort((a, b) => b[1][0] - a[1][0]).slice(0, 20).map(([n, [t, c]]) => `${n} ${t.toFixed(1)} (${c})`).join(', '));
}

if (args['train-only']) {
  optimizer.dispose();
  model.dispose();
  releaseNodeWebGPU();
  process.exit(0);
}

const SB = Number(args['sample-batch']);
const PL = Number(args['prompt-len']);
const prompts = Array.from({ length: SB }, () => ({ prompt: randomIds(PL) }));
for (const kvCache of [true, false]) {
  const ms = await timeIt(`sample ${SB} prompts of ${PL} tokens + ${L} new tokens, ${kvCache ? 'KV cache' : 'full recompute'}`, Math.max(1, Math.floor(steps / 2)), () =>
    sample(model, prompts, { maxNewTokens: L, endToken: -1, seed: 3, kvCache }));
  console.log(`  = ${Math.round((SB * L) / (ms / 1000)).toLocaleString('en')} new tokens/s`);
}

// What one decode step reads back: the last position's logits (sampled on the CPU), against only the
// tokens (had they been sampled on the device).
const logits = tf.randomNormal([SB, config.vocabSize]);
await timeIt(`read back logits [${SB}, ${config.vocabSize}]`, 20, async () => {
  const copy = tf.clone(logits);
  await copy.data();
  copy.dispose();
});
await timeIt(`read back argmax tokens [${SB}]`, 20, async () => {
  const tokens = tf.argMax(logits, 1);
  await tokens.data();
  tokens.dispose();
});
logits.dispose();
console.log(`tensors alive (weights + AdamW moments): ${tf.memory().numTensors}`);
optimizer.dispose();
model.dispose();
releaseNodeWebGPU();
