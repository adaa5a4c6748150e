// `npm run pretrain -- --seed S --out DIR [--steps N] [--batch B] [--model default|tiny] [--backend wasm|cpu|webgpu]
//   [--lr X] [--examples N] …`
// Trains the base model from zero external data: programs from the generator's TRAIN families
// (src/data/families.ts), labelled by the QuickJS executor, laid out in all six prompt layouts of
// src/azr/prompts.ts, next-token cross-entropy on the target tokens only. Prints the loss curve as JSON
// lines on stdout (also written to DIR/train-log.jsonl) and saves the checkpoint to DIR — every
// --save-every steps and at the end — with a manifest: config, tokenizer version, seed, data, steps,
// wall time, backend and final losses. Same seed and backend, same data, batches and loss curve.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CONFIG_SPECS } from '../azr/config';
import { createRng, type Rng } from '../azr/rng';
import { buildPretrainExamples, examplesFromPrograms, PRETRAIN_MIX, type PretrainExample } from '../data/dataset';
import { generatePrograms, validityRate, type Labeller } from '../data/generate';
import { FAMILIES } from '../data/families';
import { AdamW } from '../model/adamw';
import { modelFromCheckpoint, serializeModel, type Checkpoint } from '../model/checkpoint';
import { GPT, makeConfig, type PresetName } from '../model/gpt';
import type { LMExample } from '../model/loss';
import { initBestNodeBackend, releaseNodeWebGPU } from '../model/node-backend';
import { readCheckpointDir, writeCheckpointDir } from '../model/node-checkpoint';
import { encode, TOKENIZER_VERSION, vocabSize } from '../model/tokenizer';
import { lmStep, responseLogProbs } from '../model/train';
import { validateProposals } from '../sandbox/check';
import { createNodeExecutor, nodePoolSize } from '../sandbox/node';
import { backendFlag, failer, parseFlags, type Fail } from './args';

const USAGE = `usage: npm run pretrain -- --seed S --out DIR [options]

  --seed S            seeds data, weights and batches (default 0)
  --out DIR           checkpoint folder (manifest.json, weights.bin) and train-log.jsonl
  --steps N           optimiser steps (default 2000)
  --batch B           sequences per step (default 32)
  --model NAME        tiny | default | small | medium (default: default)
  --from DIR          continue training this checkpoint (its model size; fresh optimiser and schedule;
                      use another --seed than its own for new programs); default: random initialisation
  --backend NAME      cpu | wasm | webgpu (default: the fastest available, reason on stderr)
  --engine NAME       tfjs (default) | torch: the same steps (initial weights, batches, schedule, AdamW,
                      clipping) taken by bench/torch_gpt.py in PyTorch ($AZR_PYTHON, default
                      /usr/bin/python3), for a GPU; the data, the final losses and the checkpoint stay
                      ours (the trained weights are loaded back and evaluated here; no intermediate saves)
  --device NAME       with --engine torch: cpu (default) | cuda
  --lr X              peak learning rate (default 1e-3): linear warm-up, then cosine decay to 10 %
  --warmup N          warm-up steps (default: 5 % of the steps, at most 200)
  --weight-decay X    AdamW decoupled weight decay (default 0.01)
  --examples N        training examples to generate (default 40000), from N/4 labelled programs
  --val-examples N    validation examples per set (default 256)
  --eval-every N      validation losses every N steps (default 200)
  --save-every N      intermediate checkpoint every N steps (default 500)
  --log-every N       one loss line every N steps (default 10)

stdout, one JSON line each:
  {"event":"data", …}  the generated data: programs, examples per layout, validity rate, seconds
  {"step","loss","lr","gradNorm","tokensPerSecond","elapsedS"}  mean loss over the last --log-every steps
  {"step","valLoss","heldoutLoss","elapsedS"}  target-token loss on unseen programs of the train families
      (valLoss) and on programs of the held-out families (heldoutLoss; not the eval suite's programs)
  {"event":"saved", "step", "dir"}  a checkpoint was written
`;

const fail: Fail = failer('pretrain');

interface Encoded { promptIds: number[]; targetIds: number[] }

function encodeExamples(examples: readonly PretrainExample[]): Encoded[] {
  return examples.map((e) => ({ promptIds: encode(e.prompt), targetIds: encode(e.target) }));
}

function lmExample(e: Encoded): LMExample {
  const ids = [...e.promptIds, ...e.targetIds];
  const targetMask = new Uint8Array(ids.length);
  targetMask.fill(1, e.promptIds.length);
  return { ids, targetMask };
}

/** Mean cross-entropy of the target tokens (no dropout), in chunks. */
async function meanTargetLoss(model: GPT, set: readonly Encoded[]): Promise<number> {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < set.length; i += 64) {
    const chunk = set.slice(i, i + 64).map((e) => ({ promptIds: e.promptIds, responseIds: e.targetIds }));
    for (const lp of await responseLogProbs(model, chunk)) { for (const v of lp) sum -= v; n += lp.length; }
  }
  return n === 0 ? NaN : sum / n;
}

/** Linear warm-up to `peak`, then cosine decay to 10 % of it at the last step. */
function learningRate(step: number, steps: number, peak: number, warmup: number): number {
  if (step <= warmup) return (peak * step) / Math.max(1, warmup);
  const progress = (step - warmup) / Math.max(1, steps - warmup);
  return peak * (0.1 + 0.45 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}

/** Batches that visit every example once per epoch, in a seeded order. */
function batcher(rng: Rng, n: number, batch: number): () => number[] {
  let order: number[] = [];
  return () => {
    const out: number[] = [];
    while (out.length < batch) {
      if (order.length === 0) {
        order = Array.from({ length: n }, (_, i) => i);
        for (let i = n - 1; i > 0; i--) { const j = rng.int(i + 1); [order[i], order[j]] = [order[j], order[i]]; }
      }
      out.push(order.pop()!);
    }
    return out;
  };
}

function intArg(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got ${value}`);
  return n;
}

function floatArg(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) fail(`--${name} must be a non-negative number, got ${value}`);
  return n;
}

async function main(): Promise<void> {
  const args = parseFlags({
    seed: { type: 'string' }, out: { type: 'string' }, steps: { type: 'string' }, batch: { type: 'string' },
    model: { type: 'string' }, backend: { type: 'string' }, lr: { type: 'string' }, warmup: { type: 'string' },
    'weight-decay': { type: 'string' }, examples: { type: 'string' }, 'val-examples': { type: 'string' },
    'eval-every': { type: 'string' }, 'save-every': { type: 'string' }, 'log-every': { type: 'string' },
    from: { type: 'string' }, engine: { type: 'string' }, device: { type: 'string' },
  }, USAGE, fail);
  if (!args) return;
  if (!args.out) fail(`--out DIR is required\n\n${USAGE}`);
  const out = args.out;
  const seed = intArg(args.seed, 'seed', 0, 0);
  const steps = intArg(args.steps, 'steps', 2000, 0);
  const batch = intArg(args.batch, 'batch', 32);
  const preset = (args.model ?? 'default') as PresetName;
  if (!['tiny', 'default', 'small', 'medium'].includes(preset)) fail('--model must be tiny, default, small or medium');
  const backendArg = backendFlag(args.backend, fail);
  const peakLr = floatArg(args.lr, 'lr', 1e-3);
  const warmup = intArg(args.warmup, 'warmup', Math.min(200, Math.ceil(0.05 * steps)), 0);
  const weightDecay = floatArg(args['weight-decay'], 'weight-decay', 0.01);
  const nExamples = intArg(args.examples, 'examples', 40_000);
  const nVal = intArg(args['val-examples'], 'val-examples', 256);
  const evalEvery = intArg(args['eval-every'], 'eval-every', 200);
  const saveEvery = intArg(args['save-every'], 'save-every', 500);
  const logEvery = intArg(args['log-every'], 'log-every', 10);
  const engine = args.engine ?? 'tfjs';
  if (engine !== 'tfjs' && engine !== 'torch') fail('--engine must be tfjs or torch');
  const device = args.device ?? 'cpu';
  if (args.device !== undefined && engine !== 'torch') fail('--device goes with --engine torch');

  mkdirSync(out, { recursive: true });
  const logFile = join(out, 'train-log.jsonl');
  writeFileSync(logFile, '');
  const emit = (record: Record<string, unknown>) => {
    const line = `${JSON.stringify(record)}\n`;
    process.stdout.write(line);
    appendFileSync(logFile, line);
  };

  const choice = await initBestNodeBackend(backendArg);
  process.stderr.write(`backend: ${choice.reason}\n`);
  const started = performance.now();
  const elapsedS = () => Math.round((performance.now() - started) / 100) / 10;
  const rng = createRng(seed);
  let model: GPT;
  let from: { dir: string; meta?: Record<string, unknown> } | undefined;
  if (args.from) {
    const checkpoint = await readCheckpointDir(args.from);
    if (args.model !== undefined && JSON.stringify(checkpoint.manifest.config) !== JSON.stringify(makeConfig(preset, vocabSize))) {
      fail(`--model ${preset} does not match the model of ${args.from}`);
    }
    model = modelFromCheckpoint(checkpoint, TOKENIZER_VERSION);
    from = { dir: args.from, meta: checkpoint.manifest.meta };
  } else {
    model = new GPT(makeConfig(preset, vocabSize), seed);
  }
  const config = model.config;
  process.stderr.write(`model: ${from ? `from ${from.dir}` : preset}, ${model.parameterCount()} parameters, context ${config.contextLength}\n`);

  const executor = createNodeExecutor({ workers: nodePoolSize() });
  const label: Labeller = (runs) => validateProposals(executor, runs);
  const caps = { maxProgramTokens: CONFIG_SPECS.maxProgramTokens.default, maxAnswerTokens: CONFIG_SPECS.maxAnswerTokens.default };
  const enc = (s: string) => encode(s);
  let data;
  let valSet: Encoded[];
  let heldoutSet: Encoded[];
  try {
    process.stderr.write(`data: generating ${nExamples} examples…\n`);
    data = await buildPretrainExamples(rng.fork('train'), nExamples, {
      label, encode: enc, contextLength: config.contextLength, ...caps,
      onProgress: (n) => { if (n % 1024 < 32) process.stderr.write(`data: ${n} programs labelled (${elapsedS()} s)\n`); },
    });
    // Validation programs: unseen programs of the train families, and programs of the held-out families.
    const seen = new Set(data.programs.map((p) => p.program));
    const valPrograms = await generatePrograms(rng.fork('val'), Math.max(16, nVal >> 2), { split: 'train', label, encode: enc, seen });
    const heldPrograms = await generatePrograms(rng.fork('heldout-val'), Math.max(16, nVal >> 2), { split: 'heldout', label, encode: enc, seen });
    const opts = { encode: enc, contextLength: config.contextLength, ...caps };
    valSet = encodeExamples(examplesFromPrograms(rng.fork('val-examples'), valPrograms.programs, nVal, opts).examples);
    heldoutSet = encodeExamples(examplesFromPrograms(rng.fork('heldout-examples'), heldPrograms.programs, nVal, opts).examples);
  } finally {
    await executor.dispose();
  }
  const train = encodeExamples(data.examples);
  const dataRecord = {
    programs: data.programs.length,
    examples: train.length,
    exampleTokens: train.reduce((n, e) => n + e.promptIds.length + e.targetIds.length, 0),
    targetTokens: train.reduce((n, e) => n + e.targetIds.length, 0),
    perLayout: data.exampleStats.built,
    mix: PRETRAIN_MIX,
    validityRate: Math.round(validityRate(data.generateStats) * 10_000) / 10_000,
    invalid: data.generateStats.invalid,
    skipped: { overContext: data.exampleStats.overContext, overCap: data.exampleStats.overCap, refusedByGrammar: data.exampleStats.refusedByGrammar },
    trainFamilies: FAMILIES.filter((f) => f.split === 'train').map((f) => f.name),
    valExamples: valSet.length,
    heldoutExamples: heldoutSet.length,
    seconds: elapsedS(),
  };
  emit({ event: 'data', ...dataRecord });

  const optimizer = new AdamW(model.params, { learningRate: peakLr, weightDecay });
  const next = batcher(rng.fork('batches'), train.length, batch);
  let lossSum = 0;
  let gradSum = 0;
  let tokens = 0;
  let stepSeconds = 0;
  let lastLoss = NaN;
  let valLoss = NaN;
  let heldoutLoss = NaN;

  const save = async (step: number, trained: GPT = model) => {
    const meta = {
      kind: 'pretrain', seed, preset: from ? (from.meta?.preset ?? 'from checkpoint') : preset, from, step, steps, batch, learningRate: peakLr, warmup, weightDecay,
      schedule: 'linear warm-up, cosine decay to 10 %', backend: engine === 'torch' ? `torch ${torchDevice ?? device}` : choice.name, wallTimeS: elapsedS(),
      finalLoss: lastLoss, valLoss, heldoutLoss, tokenizerVersion: TOKENIZER_VERSION, data: dataRecord,
      command: `npm run pretrain -- ${process.argv.slice(2).join(' ')}`, savedAt: new Date().toISOString(),
    };
    // Written beside, then moved in (manifest last), so a run killed mid-save keeps the previous one.
    const partial = join(out, '.partial');
    await writeCheckpointDir(partial, await serializeModel(trained, TOKENIZER_VERSION, meta));
    for (const file of ['weights.bin', 'manifest.json']) renameSync(join(partial, file), join(out, file));
    rmSync(partial, { recursive: true, force: true });
    emit({ event: 'saved', step, dir: out });
  };
  const validate = async (step: number) => {
    valLoss = await meanTargetLoss(model, valSet);
    heldoutLoss = await meanTargetLoss(model, heldoutSet);
    emit({ step, valLoss: round(valLoss), heldoutLoss: round(heldoutLoss), elapsedS: elapsedS() });
  };

  let torchDevice: string | undefined;
  let torchRun: Awaited<ReturnType<typeof trainWithTorch>> | undefined;
  await validate(0);
  if (engine === 'torch') {
    // PyTorch's losses stand in the snapshots' manifests until our model re-measures the final one.
    const relay = (record: Record<string, unknown>) => {
      if (typeof record.loss === 'number') lastLoss = record.loss;
      if (typeof record.valLoss === 'number') valLoss = record.valLoss;
      if (typeof record.heldoutLoss === 'number') heldoutLoss = record.heldoutLoss;
      emit(record);
    };
    torchRun = await trainWithTorch(model, train, valSet, heldoutSet, {
      steps, lr: (step) => learningRate(step, steps, peakLr, warmup), next, weightDecay, logEvery, evalEvery, saveEvery, device, dir: join(out, '.torch'),
      onSnapshot: async (step, checkpoint) => {
        const snapshot = modelFromCheckpoint(checkpoint, TOKENIZER_VERSION);
        try {
          await save(step, snapshot);
        } finally {
          snapshot.dispose();
        }
      },
    }, relay);
    torchDevice = torchRun.device;
    const trained = await readCheckpointDir(join(out, '.torch', 'trained'));
    model.dispose();
    model = modelFromCheckpoint(trained, TOKENIZER_VERSION);
  }
  for (let step = 1; engine === 'tfjs' && step <= steps; step++) {
    const lr = learningRate(step, steps, peakLr, warmup);
    optimizer.learningRate = lr;
    const examples = next().map((i) => lmExample(train[i]));
    const t0 = performance.now();
    const r = await lmStep(model, optimizer, examples, { maxGradNorm: 1 });
    stepSeconds += (performance.now() - t0) / 1000;
    lossSum += r.loss;
    gradSum += r.gradNorm;
    tokens += examples.reduce((n, e) => n + e.ids.length, 0);
    if (step % logEvery === 0 || step === steps) {
      const k = step % logEvery === 0 ? logEvery : step % logEvery;
      lastLoss = lossSum / k;
      emit({ step, loss: round(lastLoss), lr: Number(lr.toPrecision(3)), gradNorm: round(gradSum / k), tokensPerSecond: Math.round(tokens / stepSeconds), elapsedS: elapsedS() });
      lossSum = 0; gradSum = 0; tokens = 0; stepSeconds = 0;
    }
    if (step % evalEvery === 0 && step !== steps) await validate(step);
    if (step % saveEvery === 0 && step !== steps) await save(step);
  }
  await validate(steps);
  if (torchRun) {
    // The weights PyTorch trained, evaluated by our model: the two losses must agree.
    emit({ event: 'engine-check', torchValLoss: round(torchRun.valLoss), valLoss: round(valLoss), torchHeldoutLoss: round(torchRun.heldoutLoss), heldoutLoss: round(heldoutLoss) });
    rmSync(join(out, '.torch'), { recursive: true, force: true });
  }
  await save(steps);
  optimizer.dispose();
  model.dispose();
  releaseNodeWebGPU();
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

const TORCH_SCRIPT = fileURLToPath(new URL('../../bench/torch_gpt.py', import.meta.url));

interface TorchPlan {
  steps: number;
  lr: (step: number) => number;
  next: () => number[];
  weightDecay: number;
  logEvery: number;
  evalEvery: number;
  saveEvery: number;
  device: string;
  dir: string;
  /** Called with PyTorch's weights every `saveEvery` steps (not at the last step). */
  onSnapshot: (step: number, checkpoint: Checkpoint) => Promise<void>;
}

/**
 * Hands the optimisation to bench/torch_gpt.py --pretrain: writes the initial weights, the examples and
 * the plan (each step's learning rate and batch, drawn here exactly as our engine draws them), relays its
 * JSON lines, and leaves the trained weights in DIR/trained as a checkpoint of ours.
 */
async function trainWithTorch(
  model: GPT, train: readonly Encoded[], val: readonly Encoded[], heldout: readonly Encoded[], plan: TorchPlan,
  emit: (record: Record<string, unknown>) => void,
): Promise<{ valLoss: number; heldoutLoss: number; device: string }> {
  rmSync(plan.dir, { recursive: true, force: true });
  const init = await serializeModel(model, TOKENIZER_VERSION, { kind: 'pretrain-init' });
  await writeCheckpointDir(join(plan.dir, 'init'), init);
  const rows = (set: readonly Encoded[]) => set.map((e) => [e.promptIds.length, ...e.promptIds, ...e.targetIds]);
  writeFileSync(join(plan.dir, 'data.json'), JSON.stringify({ train: rows(train), val: rows(val), heldout: rows(heldout) }));
  const steps = Array.from({ length: plan.steps }, (_, i) => i + 1);
  writeFileSync(join(plan.dir, 'plan.json'), JSON.stringify({
    lr: steps.map(plan.lr), batches: steps.map(() => plan.next()), weightDecay: plan.weightDecay, maxGradNorm: 1,
    logEvery: plan.logEvery, evalEvery: plan.evalEvery, saveEvery: plan.saveEvery,
    // Padded positions per length group (AZR_TORCH_GROUP_TOKENS: a test makes every example its own group).
    maxTokens: Number(process.env.AZR_TORCH_GROUP_TOKENS ?? 8192),
  }));
  const withWeights = (file: string): Checkpoint => {
    const weights = readFileSync(file);
    return { manifest: init.manifest, weights: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) };
  };
  const python = process.env.AZR_PYTHON ?? '/usr/bin/python3';
  const child = spawn(python, [TORCH_SCRIPT, '--pretrain', plan.dir, '--device', plan.device], { stdio: ['ignore', 'pipe', 'inherit'] });
  let done: Record<string, number | string> | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    const record = JSON.parse(line) as Record<string, number | string>;
    if (record.event === 'torch-done') done = record;
    else if (record.event === 'snapshot') await plan.onSnapshot(Number(record.step), withWeights(String(record.file)));
    else emit({ engine: 'torch', ...record });
  }
  const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  if (code !== 0 || !done) throw new Error(`${python} ${TORCH_SCRIPT} --pretrain exited with ${code}${done ? '' : ' before it finished'}`);
  // Our manifest with PyTorch's weights: the same names, shapes and order.
  await writeCheckpointDir(join(plan.dir, 'trained'), withWeights(join(plan.dir, 'weights.bin')));
  return { valLoss: Number(done.valLoss), heldoutLoss: Number(done.heldoutLoss), device: String(done.device) };
}

main().catch((e: unknown) => {
  process.stderr.write(`pretrain: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
