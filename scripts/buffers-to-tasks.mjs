// node scripts/buffers-to-tasks.mjs OUT.jsonl PER_TYPE MIN_STEP BUFFERS.jsonl [BUFFERS.jsonl …]
//
// The self-play tasks of runs' dumped buffers (`selfplay --dump-buffers`), from step MIN_STEP on,
// deduplicated, as an evaluation suite in the `eval` CLI's format: up to PER_TYPE tasks per type, drawn
// with a fixed seed. Evaluating a model on other seeds' tasks shows what self-play taught its solver on
// the kind of task self-play makes, apart from the generator's suites (README, "From the stronger small base").
import { readFileSync, writeFileSync } from 'node:fs';

const [out, perType, minStep, ...files] = process.argv.slice(2);
if (!out || !files.length) throw new Error('usage: node scripts/buffers-to-tasks.mjs OUT.jsonl PER_TYPE MIN_STEP BUFFERS.jsonl …');
const pool = { deduction: [], abduction: [], induction: [] };
const seen = new Set();
for (const file of files) {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line);
    if (entry.source !== 'self-play' || entry.step < Number(minStep)) continue;
    const t = entry.task;
    let task;
    if (entry.type === 'deduction') task = { type: 'deduction', program: t.program, input: t.input };
    else if (entry.type === 'abduction') task = { type: 'abduction', program: t.program, output: t.output };
    else if ((t.shown ?? t.pairs.length / 2) * 2 === t.pairs.length) task = { type: 'induction', pairs: t.pairs, message: t.message ?? '' };
    else continue; // the eval CLI shows the first half of the pairs: skip tasks split otherwise
    const key = JSON.stringify(task);
    if (seen.has(key)) continue;
    seen.add(key);
    pool[entry.type].push(task);
  }
}
// A seeded shuffle (mulberry32), so the same buffers give the same suite.
let state = 0x9e3779b9;
const random = () => {
  state = (state + 0x6d2b79f5) | 0;
  let x = Math.imul(state ^ (state >>> 15), 1 | state);
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
};
const lines = [];
for (const [type, tasks] of Object.entries(pool)) {
  for (let i = tasks.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [tasks[i], tasks[j]] = [tasks[j], tasks[i]];
  }
  tasks.slice(0, Number(perType)).forEach((task, i) => lines.push(JSON.stringify({ id: `${type}-${String(i).padStart(3, '0')}`, ...task })));
  console.error(`${type}: ${tasks.length} distinct, ${Math.min(tasks.length, Number(perType))} taken`);
}
writeFileSync(out, lines.join('\n') + '\n');
