// `npm run gen-eval [-- --seed S --out FILE --per-type N --split heldout|train]`: writes the held-out
// evaluation suite (eval/heldout.jsonl by default) from the HELD-OUT families, labelled by the QuickJS
// executor. Run once; the file is committed and never used in training. Seeded: the same seed gives the
// same file. `--split train` writes the in-distribution diagnostic suite instead (eval/indist.jsonl).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createRng } from '../azr/rng';
import { encode } from '../model/tokenizer';
import { validateProposals } from '../sandbox/check';
import { createNodeExecutor, nodePoolSize } from '../sandbox/node';
import { buildEvalSuite, EVAL_SEED, familyOfTask, toJsonl } from './eval-suite';

async function main(): Promise<void> {
  const args = parseArgs({ options: { seed: { type: 'string' }, out: { type: 'string' }, 'per-type': { type: 'string' }, split: { type: 'string' } }, strict: true }).values;
  const seed = Number(args.seed ?? EVAL_SEED);
  const perType = Number(args['per-type'] ?? 120);
  const split = args.split ?? 'heldout';
  if (split !== 'heldout' && split !== 'train') throw new Error(`--split must be heldout or train, got ${split}`);
  const out = args.out ?? (split === 'train' ? 'eval/indist.jsonl' : 'eval/heldout.jsonl');
  const executor = createNodeExecutor({ workers: nodePoolSize() });
  const started = performance.now();
  try {
    const tasks = await buildEvalSuite(createRng(seed), { label: (runs) => validateProposals(executor, runs), encode: (s) => encode(s), perType, split });
    writeFileSync(out, toJsonl(tasks));
    const counts: Record<string, number> = {};
    for (const t of tasks) counts[`${t.type} ${familyOfTask(t.id)}`] = (counts[`${t.type} ${familyOfTask(t.id)}`] ?? 0) + 1;
    process.stderr.write(`${JSON.stringify({ out, split, seed, tasks: tasks.length, seconds: Math.round((performance.now() - started) / 100) / 10, counts })}\n`);
  } finally {
    await executor.dispose();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`gen-eval: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
