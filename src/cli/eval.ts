// `npm run -s eval -- --checkpoint DIR --tasks FILE [--samples k] [--seed S] [--backend cpu|wasm|webgpu]
//   [--unconstrained] [--per-task FILE]`
// Scores a checkpoint on a task suite (JSON Lines in the `check` format without answers, e.g.
// eval/heldout.jsonl) and prints ONE JSON object:
//   {"tasks": N, "deduction": {"count", "pass1", "greedy"}, "abduction": {…}, "induction": {…}}
// pass1: pass@1 averaged over k samples at temperature 1 (default k = 4); greedy: greedy accuracy.
// Decoding is grammar-constrained unless --unconstrained. --per-task FILE writes one JSON line per task
// ({"id", "type", "greedy", "correct", "samples", "greedyAnswer", "greedyReason"?}) for paired
// comparisons (e.g. a bootstrap over tasks).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseSuite } from '../data/eval-suite';
import { evaluate } from '../data/evaluate';
import { modelFromCheckpoint } from '../model/checkpoint';
import { initBestNodeBackend, releaseNodeWebGPU } from '../model/node-backend';
import { readCheckpointDir } from '../model/node-checkpoint';
import { ModelPolicy } from '../model/policy';
import { TOKENIZER_VERSION } from '../model/tokenizer';
import { createNodeExecutor, nodePoolSize } from '../sandbox/node';
import { backendFlag, failer, parseFlags, type Fail } from './args';

const USAGE = `usage: npm run -s eval -- --checkpoint DIR --tasks FILE [options]

  --checkpoint DIR    model checkpoint folder (manifest.json, weights.bin)
  --tasks FILE        JSON Lines of tasks: {"id","type":"deduction","program","input"},
                      {"id","type":"abduction","program","output"}, {"id","type":"induction","pairs","message"}
  --samples k         sampled answers per task for pass@1, temperature 1 (default 4)
  --seed S            sampling seed (default 0)
  --backend NAME      cpu | wasm | webgpu (default: the fastest available, reason on stderr)
  --unconstrained     sample without the grammar constraints
  --per-task FILE     also write per-task correctness as JSON Lines
  --batch N           tasks per generation call (default 32)
`;

const fail: Fail = failer('eval');

async function main(): Promise<void> {
  const args = parseFlags({
    checkpoint: { type: 'string' }, tasks: { type: 'string' }, samples: { type: 'string' }, seed: { type: 'string' },
    backend: { type: 'string' }, unconstrained: { type: 'boolean' }, 'per-task': { type: 'string' }, batch: { type: 'string' },
  }, USAGE, fail);
  if (!args) return;
  if (!args.checkpoint || !args.tasks) fail(`--checkpoint and --tasks are required\n\n${USAGE}`);
  const int = (v: string | undefined, name: string, fallback: number, min: number) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got ${v}`);
    return n;
  };
  const samples = int(args.samples, 'samples', 4, 1);
  const seed = int(args.seed, 'seed', 0, 0);
  const batch = int(args.batch, 'batch', 32, 1);
  const backendArg = backendFlag(args.backend, fail);

  let tasks;
  try { tasks = parseSuite(readFileSync(args.tasks, 'utf8')); } catch (e) { fail(`${args.tasks}: ${(e as Error).message}`); }
  const choice = await initBestNodeBackend(backendArg);
  process.stderr.write(`backend: ${choice.reason}\n`);
  const model = modelFromCheckpoint(await readCheckpointDir(args.checkpoint), TOKENIZER_VERSION);
  const policy = new ModelPolicy(model, { learningRate: 0, weightDecay: 0 });
  const executor = createNodeExecutor({ workers: nodePoolSize() });
  try {
    const { summary, perTask } = await evaluate(policy, executor, tasks, { samples, seed, batch, constrained: !args.unconstrained });
    if (args['per-task']) writeFileSync(args['per-task'], perTask.map((r) => JSON.stringify(r)).join('\n') + '\n');
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await executor.dispose();
    policy.optimizer.dispose();
    model.dispose();
    releaseNodeWebGPU();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`eval: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
