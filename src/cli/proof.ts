// `npm run -s proof -- run [--variants a,b] [--seeds 0,1,2] [--jobs 2] [--out runs/proof] [--steps N]`
// `npm run -s proof -- report [--out runs/proof] [--json]`
// The proof that self-play helps (issue: base model and proof): `run` plays each (variant, seed) from the
// shipped base with the shared recipe (src/proof/variants.ts), saves the checkpoint, and evaluates it on
// the held-out suite with per-task results; the base itself is evaluated once the same way. Runs whose
// eval.jsonl exists are skipped, and one whose self-play finished is only evaluated, so an interrupted
// matrix resumes; a run held by another live driver (its pid in DIR/.running) is skipped too, so two
// drivers can share the matrix, one per core. `report` prints the markdown tables
// (pass@1 per type, spread over seeds, paired bootstrap intervals) and writes OUT/summary.json.
// `--suite indist` does the same on the in-distribution diagnostic suite (eval/indist.jsonl): per-task
// results in DIR/indist.jsonl, OUT/summary-indist.json; a run that has its checkpoint is only evaluated.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ablationMarkdown, buildDynamics, buildReport, dynamicsMarkdown, parsePerTask, reportMarkdown, type Dynamics, type RunResults } from '../proof/report';
import { PROOF_RECIPE, PROOF_VARIANTS, proofVariant, runDirName } from '../proof/variants';
import { SHIPPED_CHECKPOINT_DIR } from '../model/node-checkpoint';
import { failer, parseFlags, type Fail } from './args';

const USAGE = `usage: npm run -s proof -- run|report [options]

  run                 play and evaluate every (variant, seed) not yet evaluated, and the base
  report              print the tables from what is evaluated; write OUT/summary.json
  --variants a,b      variants (default all: ${PROOF_VARIANTS.map((v) => v.name).join(', ')})
  --seeds 0,1,2       seeds (default 0,1,2)
  --jobs N            runs at once (default 2: one per core here)
  --steps N           self-play steps per run (default ${PROOF_RECIPE.steps})
  --out DIR           where runs go (default runs/proof)
  --from DIR          the base checkpoint every run starts from and the 'base' row evaluates
                      (default: the shipped base, public/checkpoints/base)
  --suite NAME        heldout (default: eval/heldout.jsonl, the proof) or indist (eval/indist.jsonl,
                      the diagnostic); each run's per-task results go to DIR/eval.jsonl or DIR/indist.jsonl
  --json              report: print the summary JSON instead of markdown

Every run: selfplay --steps N --seed S --backend ${PROOF_RECIPE.backend} ${PROOF_RECIPE.overrides.map((o) => `--set ${o}`).join(' ')}
plus the variant's own --set switches, then eval --samples ${PROOF_RECIPE.evalSamples} --seed ${PROOF_RECIPE.evalSeed} on ${PROOF_RECIPE.tasks}.
`;

const fail: Fail = failer('proof');
const CLI = (name: string) => join('src', 'cli', `${name}.ts`);

/**
 * With more than one run at a time the runs already keep the cores busy, so each keeps its products on
 * one thread (AZR_WASM_THREADS=1; src/model/product-threads) instead of starting a helper thread.
 */
let childEnv: NodeJS.ProcessEnv = process.env;

function runTsx(script: string, args: string[], stdoutFile: string, stderrFile: string): Promise<void> {
  const out = openSync(stdoutFile, 'w');
  const err = openSync(stderrFile, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', out, err], env: childEnv });
    child.on('error', reject);
    child.on('exit', (code) => {
      closeSync(out);
      closeSync(err);
      if (code === 0) resolve();
      else reject(new Error(`${script} ${args.join(' ')} exited ${code}; see ${stderrFile}`));
    });
  });
}

/** An evaluation suite: its tasks, and the per-task and summary file names a run keeps for it. */
interface Suite {
  tasks: string;
  perTask: string;
  summary: string;
}

function suiteOf(name: string): Suite | undefined {
  if (name === 'heldout') return { tasks: PROOF_RECIPE.tasks, perTask: 'eval', summary: 'summary' };
  if (name === 'indist') return { tasks: 'eval/indist.jsonl', perTask: 'indist', summary: 'summary-indist' };
  return undefined;
}

function evalArgs(checkpoint: string, dir: string, suite: Suite): string[] {
  return ['--checkpoint', checkpoint, '--tasks', suite.tasks, '--samples', String(PROOF_RECIPE.evalSamples),
    '--seed', String(PROOF_RECIPE.evalSeed), '--backend', PROOF_RECIPE.backend, '--per-task', join(dir, `${suite.perTask}.jsonl`)];
}

const LOCK = '.running';

/** Whether a live process other than this one holds the run's folder. */
function heldByOther(dir: string): boolean {
  const file = join(dir, LOCK);
  if (!existsSync(file)) return false;
  const pid = Number(readFileSync(file, 'utf8'));
  if (!Number.isInteger(pid) || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A run whose self-play finished (all steps logged, checkpoint saved) needs only its evaluation. */
function playedAlready(dir: string, steps: number): boolean {
  if (!existsSync(join(dir, 'ckpt', 'manifest.json')) || !existsSync(join(dir, 'steps.jsonl'))) return false;
  return readFileSync(join(dir, 'steps.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '').length === steps;
}

async function runMatrix(out: string, variants: string[], seeds: number[], jobs: number, steps: number, from: string, suite: Suite): Promise<void> {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'recipe.json'), `${JSON.stringify({ ...PROOF_RECIPE, from, steps }, null, 1)}\n`);
  type Job = { name: string; work: () => Promise<void> };
  const queue: Job[] = [];
  const baseDir = join(out, 'base');
  const evaluated = (dir: string) => existsSync(join(dir, `${suite.perTask}.jsonl`));
  const evaluate = (checkpoint: string, dir: string) =>
    runTsx(CLI('eval'), evalArgs(checkpoint, dir, suite), join(dir, `${suite.perTask}.json`), join(dir, `${suite.perTask}.err`));
  if (!evaluated(baseDir)) {
    queue.push({ name: 'base', work: async () => {
      mkdirSync(baseDir, { recursive: true });
      await evaluate(from, baseDir);
    } });
  }
  // The proof's pair (full AZR, solver-only) for every seed first, then the ablations seed-major, so
  // an interrupted matrix has the headline comparison complete and every ablation's seed 0 early.
  const proofFirst = (name: string) => (['full', 'solver-only', 'full-novelty'].includes(name) ? 0 : 1);
  const order: [string, number][] = [];
  for (const tier of [0, 1]) for (const seed of seeds) for (const name of variants) if (proofFirst(name) === tier) order.push([name, seed]);
  for (const [name, seed] of order) {
    {
      const v = proofVariant(name);
      if (!v) fail(`unknown variant ${name}`);
      const dir = join(out, runDirName(name, seed));
      if (evaluated(dir)) continue;
      queue.push({ name: runDirName(name, seed), work: async () => {
        mkdirSync(dir, { recursive: true });
        const sets = [...PROOF_RECIPE.overrides, ...v.overrides].flatMap((o) => ['--set', o]);
        if (!playedAlready(dir, steps)) {
          await runTsx(CLI('selfplay'), ['--steps', String(steps), '--seed', String(seed), '--backend', PROOF_RECIPE.backend, ...sets, '--from', from, '--save', join(dir, 'ckpt'), '--dump-buffers', join(dir, 'buffers.jsonl'), ...(v.flags ?? [])],
            join(dir, 'steps.jsonl'), join(dir, 'selfplay.err'));
        }
        await evaluate(join(dir, 'ckpt'), dir);
      } });
    }
  }
  process.stderr.write(`proof: ${queue.length} runs to do, ${jobs} at a time\n`);
  if (jobs > 1) childEnv = { ...process.env, AZR_WASM_THREADS: process.env.AZR_WASM_THREADS ?? '1' };
  let failed = 0;
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      // Another driver may share the folder: skip what it finished or holds.
      if (evaluated(join(out, job.name)) || heldByOther(join(out, job.name))) continue;
      mkdirSync(join(out, job.name), { recursive: true });
      writeFileSync(join(out, job.name, LOCK), String(process.pid));
      const t0 = Date.now();
      process.stderr.write(`proof: start ${job.name}\n`);
      try {
        await job.work();
        process.stderr.write(`proof: done ${job.name} in ${((Date.now() - t0) / 60_000).toFixed(1)} min\n`);
      } catch (e) {
        failed++;
        process.stderr.write(`proof: FAILED ${job.name}: ${(e as Error).message}\n`);
      } finally {
        rmSync(join(out, job.name, LOCK), { force: true });
      }
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  if (failed > 0) process.exit(1);
}

function loadRuns(out: string, suite: Suite): RunResults[] {
  const runs: RunResults[] = [];
  for (const entry of readdirSync(out, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const file = join(out, entry.name, `${suite.perTask}.jsonl`);
    if (!existsSync(file)) continue;
    const m = /^(.+)-s(\d+)$/.exec(entry.name);
    const variant = entry.name === 'base' ? 'base' : m?.[1];
    if (!variant) continue;
    runs.push({ variant, seed: entry.name === 'base' ? 0 : Number(m?.[2]), results: parsePerTask(readFileSync(file, 'utf8')) });
  }
  return runs;
}

function report(out: string, json: boolean, suite: Suite): void {
  const runs = loadRuns(out, suite);
  const present = new Set(runs.map((r) => r.variant));
  const order = ['base', ...PROOF_VARIANTS.map((v) => v.name)].filter((n) => present.has(n));
  runs.sort((a, b) => order.indexOf(a.variant) - order.indexOf(b.variant) || a.seed - b.seed);
  const pairs: [string, string][] = [['full', 'base'], ['solver-only', 'base'], ['full', 'solver-only'], ['solver-only-matched', 'base'], ['full', 'solver-only-matched'],
    ['full-novelty', 'base'], ['full-novelty', 'full'], ['full-novelty', 'solver-only'],
    // The generator diagnostics: the solver on the generator's tasks against the base and against the
    // solver on the (frozen) proposer's tasks; the proposer with generator references against full AZR.
    ['generator-tasks', 'base'], ['generator-tasks', 'solver-only'], ['full-generator-refs', 'base'], ['full-generator-refs', 'generator-tasks'], ['full-guess', 'base'], ['full-guess', 'full'], ['full-guess-both', 'base'], ['full-guess-both', 'full'],
    ['full-rollouts', 'base'], ['full-rollouts', 'full'], ['full-rollouts-guess', 'base'], ['full-rollouts-guess', 'full'], ['full-kl-guess', 'base'], ['full-kl-guess', 'full'],
    ['full-entropy-guess', 'base'], ['full-entropy-guess', 'full'], ['full-entropy-guess', 'full-kl-guess'],
    ['full-kl-guess-refuse', 'base'], ['full-kl-guess-refuse', 'full-kl-guess'],
    ['generator-heldout-tasks', 'base'], ['generator-heldout-tasks', 'generator-tasks']];
  const ours = ['full', 'solver-only', 'solver-only-matched', 'full-novelty', 'generator-tasks', 'full-guess', 'full-guess-both', 'full-rollouts', 'full-rollouts-guess', 'full-kl-guess', 'full-entropy-guess', 'full-kl-guess-refuse', 'generator-heldout-tasks'];
  for (const v of PROOF_VARIANTS) if (!ours.includes(v.name)) pairs.push([v.name, 'full']);
  const summary = buildReport(runs, pairs.filter(([a, b]) => present.has(a) && present.has(b)));
  const dynamics: Record<string, Dynamics> = {};
  for (const variant of order.filter((n) => n !== 'base')) {
    const files = runs.filter((r) => r.variant === variant).map((r) => join(out, runDirName(variant, r.seed), 'steps.jsonl')).filter((f) => existsSync(f));
    if (files.length > 0) dynamics[variant] = buildDynamics(files.map((f) => readFileSync(f, 'utf8')));
  }
  writeFileSync(join(out, `${suite.summary}.json`), `${JSON.stringify({ ...summary, dynamics }, null, 1)}\n`);
  const labels = Object.fromEntries([['base', 'base'], ...PROOF_VARIANTS.map((v) => [v.name, v.label])]);
  // The table beside the paper's is the held-out suite's; the diagnostic suite prints only its own tables.
  const ablations = suite.perTask === 'eval' ? ablationMarkdown(summary, PROOF_VARIANTS.filter((v) => ![...ours, 'full-generator-refs'].filter((n) => n !== 'full' && n !== 'solver-only').includes(v.name))) : '';
  process.stdout.write(json
    ? `${JSON.stringify({ ...summary, dynamics })}\n`
    : `${reportMarkdown(summary, labels)}\n\n${dynamicsMarkdown(dynamics, labels)}\n\n${ablations}\n`);
}

async function main(): Promise<void> {
  const command = process.argv[2]?.startsWith('-') ? undefined : process.argv.splice(2, 1)[0];
  const args = parseFlags({
    variants: { type: 'string' }, seeds: { type: 'string' }, jobs: { type: 'string' }, steps: { type: 'string' },
    out: { type: 'string' }, json: { type: 'boolean' }, from: { type: 'string' }, suite: { type: 'string' },
  }, USAGE, fail);
  if (!args) return;
  const out = args.out ?? join('runs', 'proof');
  const suite = suiteOf(args.suite ?? 'heldout');
  if (!suite) return fail(`--suite must be heldout or indist, got ${args.suite}`);
  if (command === 'report') return report(out, args.json ?? false, suite);
  if (command !== 'run') fail(`expected run or report, got ${command ?? 'nothing'}\n\n${USAGE}`);
  const ints = (v: string | undefined, name: string, fallback: number[]) => {
    if (v === undefined) return fallback;
    const xs = v.split(',').map(Number);
    if (xs.some((x) => !Number.isInteger(x) || x < 0)) fail(`--${name} must be comma-separated non-negative integers, got ${v}`);
    return xs;
  };
  const variants = args.variants?.split(',') ?? PROOF_VARIANTS.map((v) => v.name);
  for (const v of variants) if (!proofVariant(v)) fail(`unknown variant ${v}; known: ${PROOF_VARIANTS.map((x) => x.name).join(', ')}`);
  const [jobs] = ints(args.jobs, 'jobs', [2]);
  const [steps] = ints(args.steps, 'steps', [PROOF_RECIPE.steps]);
  if (jobs < 1) fail('--jobs must be ≥ 1');
  await runMatrix(out, variants, ints(args.seeds, 'seeds', [0, 1, 2]), jobs, steps, args.from ?? SHIPPED_CHECKPOINT_DIR, suite);
}

main().catch((e: unknown) => {
  process.stderr.write(`proof: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
