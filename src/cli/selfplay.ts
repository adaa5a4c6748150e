// `npm run -s selfplay -- --steps N [--seed S] [--backend cpu|wasm|webgpu] [--preset default|tiny|paper]
//   [--set key=value ...] [--save DIR] [--from DIR | --scratch] [--dump-buffers FILE] [--tasks-from generator|generator-heldout]
//   [--references-from generator]`
// Runs Absolute Zero self-play headless and prints one JSON metrics line per step on stdout; the
// backend, why it was chosen, and where the model came from go to stderr.

import { readFileSync, writeFileSync } from 'node:fs';
import { applyOverrides, CONFIG_KEYS, TASK_TYPES, CONFIG_SPECS, describeRange, presetConfig, PRESETS, type PresetName } from '../azr/config';
import { SelfPlay, type TaskWriter } from '../azr/selfplay';
import { heldOutFeatures } from '../data/features';
import { buildEvalSuite, EVAL_SEED, toJsonl } from '../data/eval-suite';
import type { Split } from '../data/families';
import type { Labeller } from '../data/generate';
import { generatorTasks } from '../data/generator-tasks';
import { encode } from '../model/tokenizer';
import { createRng } from '../azr/rng';
import { validateProposals } from '../sandbox/check';
import { createNodeExecutor, nodePoolSize } from '../sandbox/node';
import { loadPolicyModel, saveModel } from '../model/node-checkpoint';
import { initBestNodeBackend, releaseNodeWebGPU } from '../model/node-backend';
import { ModelPolicy } from '../model/policy';
import { backendFlag, failer, parseFlags, type Fail } from './args';

const USAGE = `usage: npm run -s selfplay -- --steps N [options]

  --steps N            self-play steps to run (the seeding phase comes first)
  --seed S             seed of the run (default 0); same seed and backend, same metrics
  --backend NAME       cpu | wasm | webgpu (default: the fastest available, chosen and explained on stderr)
  --preset NAME        ${Object.keys(PRESETS).join(' | ')} (default: default)
  --set key=value      override one hyperparameter; repeatable
  --from DIR           start from this checkpoint (default: the shipped base, public/checkpoints/base)
  --scratch            start from a randomly initialised model instead
  --save DIR           save the trained checkpoint here at the end
  --dump-buffers FILE  write the final task buffers as JSON Lines ({type, source, step, task, attempts,
                       solved, heldOutFeatures}: which held-out-family compositions a program contains)
  --tasks-from generator
                       a diagnostic, not AZR: each step's tasks come from the pretraining generator
                       (train families, labelled by the executor) instead of the proposer, and only the
                       solver is trained (no seeding, no learnability rollouts)
  --tasks-from generator-heldout
                       the same diagnostic on fresh programs of the HELD-OUT families (never the held-out
                       suite's own programs, which are rebuilt from its seed and excluded): an upper bound
                       on what solver RL could gain if self-play proposed those compositions, not a result
  --references-from generator
                       ours, not the paper's: the proposer's K references (and the program an induction
                       proposal is for) come fresh from the pretraining generator each time instead of
                       the task buffers; the proposer still writes and is rewarded for every task

Output: one JSON line per step with step, buffers, groups (propose.deduction … solve.induction, each with
rewardMean, advantageMean, advantageStd, count, accuracy, …), invalid, loss, entropy, gradNorm,
tokensPerSecond, stepMs and phases (ms for propose, validate, solve, check, reward, update).

Hyperparameters (--set):
${CONFIG_KEYS.map((k) => `  ${k.padEnd(18)} ${describeRange(CONFIG_SPECS[k])} (default ${CONFIG_SPECS[k].default})`).join('\n')}
`;

const fail: Fail = failer('selfplay');

/**
 * Every program the committed held-out suite's builder drew, rebuilt from its seed; fails unless the
 * rebuilt suite is the committed file, so the exclusion is the real suite's.
 */
async function heldOutSuitePrograms(label: Labeller): Promise<Set<string>> {
  const seen = new Set<string>();
  const tasks = await buildEvalSuite(createRng(EVAL_SEED), { label, encode, seen });
  const committed = readFileSync(new URL('../../eval/heldout.jsonl', import.meta.url), 'utf8');
  if (toJsonl(tasks) !== committed) fail('the held-out suite rebuilt from its seed differs from eval/heldout.jsonl; cannot exclude its programs');
  return seen;
}

async function main(): Promise<void> {
  const args = parseFlags({
    steps: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' }, preset: { type: 'string' },
    set: { type: 'string', multiple: true }, from: { type: 'string' }, scratch: { type: 'boolean' }, save: { type: 'string' },
    'dump-buffers': { type: 'string' }, 'tasks-from': { type: 'string' }, 'references-from': { type: 'string' },
  }, USAGE, fail);
  if (!args) return;
  const steps = Number(args.steps ?? NaN);
  if (!Number.isInteger(steps) || steps < 0) fail('--steps must be a non-negative integer');
  const preset = (args.preset ?? 'default') as PresetName;
  if (!(preset in PRESETS)) fail(`--preset must be one of ${Object.keys(PRESETS).join(', ')}`);
  const overrides = [...(args.set ?? [])];
  if (args.seed !== undefined) overrides.push(`seed=${args.seed}`);
  const configured = applyOverrides(presetConfig(preset), overrides);
  if (!configured.ok) fail(configured.message);
  const config = configured.config;
  const backendArg = backendFlag(args.backend, fail);
  if (args.from && args.scratch) fail('--from and --scratch exclude each other');
  const tasksFrom = args['tasks-from'] ?? 'proposer';
  if (tasksFrom !== 'proposer' && tasksFrom !== 'generator' && tasksFrom !== 'generator-heldout') fail(`--tasks-from must be proposer, generator or generator-heldout, got ${tasksFrom}`);
  const referencesFrom = args['references-from'] ?? 'buffers';
  if (referencesFrom !== 'buffers' && referencesFrom !== 'generator') fail(`--references-from must be buffers or generator, got ${referencesFrom}`);

  const choice = await initBestNodeBackend(backendArg);
  process.stderr.write(`backend: ${choice.reason}\n`);
  const { model, source } = await loadPolicyModel({ from: args.from, scratch: args.scratch ?? false, modelSize: config.modelSize, seed: config.seed });
  process.stderr.write(`model: ${source}\n`);

  const executor = createNodeExecutor({ workers: nodePoolSize() });
  const policy = new ModelPolicy(model, { learningRate: config.learningRate, weightDecay: config.weightDecay });
  const label: Labeller = (runs) => validateProposals(executor, runs);
  const generator = (name: string, split: Split = 'train', exclude?: ReadonlySet<string>) => generatorTasks(createRng(config.seed).fork(name), {
    label, encode: (text) => policy.encode(text), inductionInputs: config.inductionInputs, split, exclude,
    contextLength: policy.contextLength, maxProgramTokens: config.maxProgramTokens, maxAnswerTokens: config.maxAnswerTokens,
  });
  let writer: TaskWriter | undefined;
  if (tasksFrom === 'generator') {
    writer = generator('generator-tasks');
    process.stderr.write('tasks: from the pretraining generator (train families); proposer unused, solver only\n');
  } else if (tasksFrom === 'generator-heldout') {
    const suitePrograms = await heldOutSuitePrograms(label);
    writer = generator('generator-heldout-tasks', 'heldout', suitePrograms);
    process.stderr.write(`tasks: from the generator's HELD-OUT families, ${suitePrograms.size} suite programs excluded (an upper-bound diagnostic); proposer unused, solver only\n`);
  }
  const references = referencesFrom === 'generator' ? generator('generator-references') : undefined;
  if (references) process.stderr.write('references: from the pretraining generator (train families), fresh for every proposal\n');
  const run = new SelfPlay(policy, executor, config, {
    tasksFrom: writer, referencesFrom: references,
    onSeedingProgress: (p) => process.stderr.write(`seeding: ${p.valid}/${p.target} triplets, ${p.induction}/${p.inductionTarget} induction tasks (${p.attempts} proposals)\n`),
  });
  try {
    for (let i = 0; i < steps; i++) {
      const record = await run.runStep();
      process.stdout.write(`${JSON.stringify(record.metrics)}\n`);
    }
    if (args['dump-buffers']) {
      const lines = TASK_TYPES.flatMap((type) => run.buffers[type].all().map((t) => JSON.stringify({
        type, source: t.source, step: t.step, task: t.task, attempts: t.attempts, solved: t.solved,
        heldOutFeatures: [...heldOutFeatures(t.task.program)],
      })));
      writeFileSync(args['dump-buffers'], lines.length > 0 ? `${lines.join('\n')}\n` : '');
    }
    if (args.save) {
      await saveModel(model, args.save, { source, selfPlaySteps: run.step, config, ...(writer ? { tasksFrom } : {}), ...(references ? { referencesFrom: 'generator' } : {}) });
      process.stderr.write(`saved: ${args.save}\n`);
    }
  } finally {
    await executor.dispose();
    releaseNodeWebGPU();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`selfplay: ${e instanceof Error ? (process.env.AZR_STACK ? e.stack : e.message) : String(e)}\n`);
  process.exit(1);
});
