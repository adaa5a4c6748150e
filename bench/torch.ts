// PyTorch section: writes a checkpoint in our format (random weights, large enough that the logits are
// far from uniform), computes on each CPU backend the logits, the loss, the gradient norm and the loss
// after one AdamW step of a fixed batch, then runs bench/torch_gpt.py (Debian's /usr/bin/python3) on the
// same checkpoint to compare them and to time PyTorch's training step on CPU.
// `--opt configs=tiny,default` picks the configurations; `--opt backends=wasm,cpu` the backends checked;
// `--opt cuda=1` also times PyTorch's step on the GPU (bench/gpu.sh), as `<config>.cuda`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdamW } from '../src/model/adamw';
import { CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, modelFromCheckpoint, WEIGHTS_FILE, type WeightEntry } from '../src/model/checkpoint';
import { parameterShapes, type GPTConfig } from '../src/model/gpt';
import { crossEntropyLoss, packLM } from '../src/model/loss';
import { readCheckpointDir, writeCheckpointDir } from '../src/model/node-checkpoint';
import { initNodeBackend } from '../src/model/node-backend';
import { Rng } from '../src/model/rng';
import { tf, type BackendName } from '../src/model/tf';
import { TOKENIZER_VERSION } from '../src/model/tokenizer';
import { lmStep } from '../src/model/train';
import { benchConfig, LEARNING_RATE, TRAIN_B, TRAIN_T, WEIGHT_DECAY, type BenchConfigName } from './configs';
import { log, round, runSection } from './harness';
import { trainStepFlops } from './lib';

/** Debian's python3 with python3-torch; `AZR_PYTHON` names another (bench/gpu.sh: the GPU machine's). */
const PYTHON = process.env.AZR_PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'torch_gpt.py');
interface Bench {
  msPerStep: number;
  cpuMsPerStep: number;
  tokensPerSec: number;
}

const cpuCount = availableParallelism();

/** Runs bench/torch_gpt.py and returns its JSON. */
function python(args: string[], env: Record<string, string> = {}): Record<string, unknown> {
  const r = spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`torch_gpt.py failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

/** The fixed batch of the correctness check: 4 sequences of 64 + 1 tokens. */
const CHECK_B = 4;
const CHECK_T = 64;

/** Writes a checkpoint whose weights are drawn with std 0.2 (LayerNorm gains 1 ± 0.1, biases ± 0.1). */
async function writeRandomCheckpoint(dir: string, config: GPTConfig): Promise<void> {
  const rng = new Rng(7);
  const shapes = parameterShapes(config);
  const total = shapes.reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
  const data = new Float32Array(total);
  const weights: WeightEntry[] = [];
  let offset = 0;
  for (const [name, shape] of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    for (let i = 0; i < size; i++) {
      const n = rng.normal();
      data[offset + i] = name.endsWith('.g') ? 1 + 0.1 * n : name.endsWith('.b') ? 0.1 * n : 0.2 * n;
    }
    weights.push({ name, shape, offset });
    offset += size;
  }
  await writeCheckpointDir(dir, {
    manifest: {
      format: CHECKPOINT_FORMAT, formatVersion: CHECKPOINT_FORMAT_VERSION, tokenizerVersion: TOKENIZER_VERSION,
      config, weightsFile: WEIGHTS_FILE, weights, meta: { source: 'bench/torch.ts random weights' },
    },
    weights: data.buffer,
  });
}

/** Our side of the check on the active backend: logits [B·T, V], loss, gradient norm, loss after one step. */
async function ours(ckpt: string, ids: number[][]) {
  const model = modelFromCheckpoint(await readCheckpointDir(ckpt), TOKENIZER_VERSION);
  const optimizer = new AdamW(model.params, { learningRate: LEARNING_RATE, weightDecay: WEIGHT_DECAY });
  try {
    const inputs = ids.map((row) => row.slice(0, -1));
    const logitsT = tf.tidy(() => model.forward(tf.tensor2d(inputs, [ids.length, CHECK_T], 'int32')).logits);
    const logits = await logitsT.data() as Float32Array;
    logitsT.dispose();
    const examples = ids.map((row) => ({ ids: row }));
    const step = await lmStep(model, optimizer, examples);
    const batch = packLM(examples, model.config.vocabSize);
    const lossT = tf.tidy(() => crossEntropyLoss(model, batch, 1 / (batch.B * batch.T), false));
    const lossAfterStep = (await lossT.data())[0];
    lossT.dispose();
    return { logits, loss: step.loss, gradNorm: step.gradNorm, lossAfterStep };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

await runSection(async ({ quick, opts }) => {
  const names = (opts.configs ?? 'tiny').split(',') as BenchConfigName[];
  const backends = (opts.backends ?? 'wasm,cpu').split(',') as BackendName[];
  const steps = Number(opts.steps ?? (quick ? 10 : 20));
  const out: Record<string, unknown> = {};
  const root = mkdtempSync(join(tmpdir(), 'azr-bench-torch-'));
  try {
    for (const name of names) {
      const config = benchConfig(name);
      const ckpt = join(root, name, 'ckpt');
      await writeRandomCheckpoint(ckpt, config);
      const rng = new Rng(11);
      const ids = Array.from({ length: CHECK_B }, () => Array.from({ length: CHECK_T + 1 }, () => Math.floor(rng.next() * config.vocabSize)));
      const perBackend: Record<string, unknown> = {};
      for (const backend of backends) {
        await initNodeBackend(backend);
        log(`torch check ${name}: our ${backend} side`);
        const o = await ours(ckpt, ids);
        const dir = join(root, name, backend);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'ids.json'), JSON.stringify(ids));
        writeFileSync(join(dir, 'logits.bin'), new Uint8Array(o.logits.buffer, o.logits.byteOffset, o.logits.byteLength));
        writeFileSync(join(dir, 'ours.json'), JSON.stringify({ loss: o.loss, gradNorm: o.gradNorm, lossAfterStep: o.lossAfterStep }));
        log(`torch check ${name}: PyTorch vs ${backend}`);
        perBackend[backend] = python(['--ckpt', ckpt, '--check', dir]).check;
      }
      // PyTorch's training step, timed with one thread and with every core (OpenMP and OpenBLAS alike):
      // on a shared machine more threads can be slower (a busy core stalls every barrier), and the
      // reference is whichever a user would pick, the faster.
      const timings = [1, cpuCount].map((threads) => {
        log(`torch bench ${name}: ${steps} PyTorch training steps, ${threads} thread(s)`);
        const env: Record<string, string> = threads === 1 ? { OPENBLAS_NUM_THREADS: '1' } : {};
        return python(['--ckpt', ckpt, '--bench-steps', String(steps), '--batch', String(TRAIN_B), '--seq', String(TRAIN_T), '--threads', String(threads)], env);
      });
      const fastest = timings.reduce((a, b) => ((a.bench as Bench).msPerStep <= (b.bench as Bench).msPerStep ? a : b));
      const bench = fastest.bench as Bench;
      const flops = trainStepFlops(config, TRAIN_B, TRAIN_T);
      const first = perBackend[backends[0]] as Record<string, number>;
      out[name] = {
        maxLogitDiff: Math.max(...Object.values(perBackend).map((c) => (c as Record<string, number>).maxLogitDiff)),
        lossDiff: Math.max(...Object.values(perBackend).map((c) => (c as Record<string, number>).lossDiff)),
        lossAfterStepDiff: Math.max(...Object.values(perBackend).map((c) => (c as Record<string, number>).lossAfterStepDiff)),
        maxAbsLogit: round(first.maxAbsLogit),
        loss: round(first.loss, 6),
        checks: perBackend,
        trainTokensPerSec: Math.round(bench.tokensPerSec),
        msPerTrainStep: round(bench.msPerStep),
        cpuMsPerTrainStep: round(bench.cpuMsPerStep),
        trainGflops: round(flops / (bench.msPerStep / 1000) / 1e9, 3),
        threads: fastest.threads,
        msPerTrainStepByThreads: Object.fromEntries(timings.map((t) => [String(t.threads), round((t.bench as Bench).msPerStep)])),
        torchVersion: fastest.torch,
        blas: fastest.blas,
      };
      if (opts.cuda === '1') {
        log(`torch bench ${name}: ${steps} PyTorch training steps on the GPU`);
        const gpu = python(['--ckpt', ckpt, '--bench-steps', String(steps), '--batch', String(TRAIN_B), '--seq', String(TRAIN_T), '--device', 'cuda']).bench as Bench & { device: string };
        (out[name] as Record<string, unknown>).cuda = {
          device: gpu.device, trainTokensPerSec: Math.round(gpu.tokensPerSec), msPerTrainStep: round(gpu.msPerStep),
          trainGflops: round(flops / (gpu.msPerStep / 1000) / 1e9, 3),
        };
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return out;
});
