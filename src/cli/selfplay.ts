// `npm run -s selfplay -- --steps N [--seed S] [--backend cpu|wasm|webgpu] [--preset default|tiny|paper]
//   [--set key=value ...] [--save DIR] [--from DIR | --scratch] [--dump-buffers FILE]`
// Runs Absolute Zero self-play headless and prints one JSON metrics line per step on stdout; the
// backend, why it was chosen, and where the model came from go to stderr.

import { writeFileSync } from 'node:fs';
import { applyOverrides, CONFIG_KEYS, TASK_TYPES, CONFIG_SPECS, describeRange, presetConfig, PRESETS, type PresetName } from '../azr/config';
import { SelfPlay } from '../azr/selfplay';
import { heldOutFeatures } from '../data/features';
import { createNodeExecutor } from '../sandbox/node';
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

Output: one JSON line per step with step, buffers, groups (propose.deduction … solve.induction, each with
rewardMean, advantageMean, advantageStd, count, accuracy, …), invalid, loss, entropy, gradNorm,
tokensPerSecond, stepMs and phases (ms for propose, validate, solve, check, reward, update).

Hyperparameters (--set):
${CONFIG_KEYS.map((k) => `  ${k.padEnd(18)} ${describeRange(CONFIG_SPECS[k])} (default ${CONFIG_SPECS[k].default})`).join('\n')}
`;

const fail: Fail = failer('selfplay');

async function main(): Promise<void> {
  const args = parseFlags({
    steps: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' }, preset: { type: 'string' },
    set: { type: 'string', multiple: true }, from: { type: 'string' }, scratch: { type: 'boolean' }, save: { type: 'string' },
    'dump-buffers': { type: 'string' },
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

  const choice = await initBestNodeBackend(backendArg);
  process.stderr.write(`backend: ${choice.reason}\n`);
  const { model, source } = await loadPolicyModel({ from: args.from, scratch: args.scratch ?? false, modelSize: config.modelSize, seed: config.seed });
  process.stderr.write(`model: ${source}\n`);

  const executor = createNodeExecutor();
  const policy = new ModelPolicy(model, { learningRate: config.learningRate, weightDecay: config.weightDecay });
  const run = new SelfPlay(policy, executor, config, {
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
      await saveModel(model, args.save, { source, selfPlaySteps: run.step, config });
      process.stderr.write(`saved: ${args.save}\n`);
    }
  } finally {
    await executor.dispose();
    releaseNodeWebGPU();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`selfplay: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
