import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GPT, makeConfig } from '../model/gpt';
import { initNodeBackend } from '../model/node-backend';
import { saveModel } from '../model/node-checkpoint';
import { vocabSize } from '../model/tokenizer';

const dir = mkdtempSync(join(tmpdir(), 'azr-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run -s eval', () => {
  it('scores a tiny random checkpoint on three tasks end to end', async () => {
    await initNodeBackend('cpu');
    const model = new GPT(makeConfig('tiny', vocabSize), 1);
    await saveModel(model, join(dir, 'ckpt'));
    model.dispose();
    const tasks = [
      { id: 'd1', type: 'deduction', program: 'function f(a) {\n  return a.filter(x => x > 1).length;\n}', input: '[1, 2, 3]' },
      { id: 'a1', type: 'abduction', program: "function f(a) {\n  return a.split('').reverse().join('').toUpperCase();\n}", output: '"CBA"' },
      { id: 'i1', type: 'induction', pairs: [{ input: '1', output: '2' }, { input: '2', output: '3' }, { input: '5', output: '6' }, { input: '0', output: '1' }], message: 'plus one' },
    ];
    writeFileSync(join(dir, 'tasks.jsonl'), tasks.map((t) => JSON.stringify(t)).join('\n') + '\n');
    const r = spawnSync('npx', ['tsx', 'src/cli/eval.ts', '--checkpoint', join(dir, 'ckpt'), '--tasks', join(dir, 'tasks.jsonl'),
      '--samples', '2', '--backend', 'cpu', '--per-task', join(dir, 'per-task.jsonl')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0]);
    expect(summary.tasks).toBe(3);
    for (const type of ['deduction', 'abduction', 'induction']) {
      expect(summary[type].count).toBe(1);
      for (const key of ['pass1', 'greedy']) expect(summary[type][key]).toBeGreaterThanOrEqual(0);
      for (const key of ['pass1', 'greedy']) expect(summary[type][key]).toBeLessThanOrEqual(1);
    }
    const perTask = readFileSync(join(dir, 'per-task.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(perTask.map((t) => t.id)).toEqual(['d1', 'a1', 'i1']);
    for (const t of perTask) expect(t.samples).toBe(2);
  });
});
