import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'azr-pretrain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pretrain(out: string, extra: string[] = ['--seed', '3', '--model', 'tiny'], env: Record<string, string> = {}) {
  const r = spawnSync('npx', ['tsx', 'src/cli/pretrain.ts', ...extra, '--out', out, '--steps', '4', '--batch', '4',
    '--backend', 'wasm', '--examples', '80', '--val-examples', '8', '--eval-every', '2', '--save-every', '2', '--log-every', '1'],
  { encoding: 'utf8', env: { ...process.env, ...env } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The log without its timing fields. */
const untimed = (lines: Record<string, unknown>[]) => lines.map(({ elapsedS: _e, tokensPerSecond: _t, seconds: _s, ...rest }) => rest);

const PYTHON = process.env.AZR_PYTHON ?? '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

describe('npm run pretrain', () => {
  // PyTorch is the reference of `npm run bench` and optional here (README: how to install it): without
  // it this test is skipped, saying so.
  it('--engine torch takes the same steps as ours: the same loss curve (its gradient summed over length groups), and its weights evaluate the same here', (ctx) => {
    if (!hasTorch) {
      console.warn(`pretrain --engine torch skipped: ${PYTHON} has no torch`);
      ctx.skip();
    }
    const ours = pretrain(join(dir, 'ours'), ['--seed', '5', '--model', 'tiny']);
    // 64 padded positions per group: every example is its own group, the hardest case for the sum.
    const torch = pretrain(join(dir, 'torch'), ['--seed', '5', '--model', 'tiny', '--engine', 'torch'], { AZR_TORCH_GROUP_TOKENS: '64' });
    const losses = (lines: Record<string, unknown>[]) => lines.filter((l) => typeof l.loss === 'number').map((l) => [l.step, l.loss as number] as const);
    const [a, b] = [losses(ours), losses(torch)];
    expect(b.map(([step]) => step)).toEqual([1, 2, 3, 4]);
    a.forEach(([, loss], i) => expect(Math.abs(loss - b[i][1])).toBeLessThan(1e-3));
    const check = torch.find((l) => l.event === 'engine-check')!;
    expect(Math.abs((check.torchValLoss as number) - (check.valLoss as number))).toBeLessThan(1e-3);
    const finalVal = (lines: Record<string, unknown>[]) => lines.filter((l) => typeof l.valLoss === 'number' && l.step === 4).at(-1)!.valLoss as number;
    expect(Math.abs(finalVal(ours) - finalVal(torch))).toBeLessThan(1e-3);
    const manifest = JSON.parse(readFileSync(join(dir, 'torch', 'manifest.json'), 'utf8'));
    expect(manifest.meta.backend).toBe('torch cpu');
    // PyTorch's weights are saved every --save-every steps too, so a run stopped early leaves a checkpoint.
    expect(torch.filter((l) => l.event === 'saved').map((l) => l.step)).toEqual([2, 4]);
  });

  it('trains reproducibly, logs the loss curve and leaves a checkpoint with its manifest', () => {
    const a = pretrain(join(dir, 'a'));
    const b = pretrain(join(dir, 'b'));
    expect(untimed(a)).toEqual(untimed(b).map((l) => (l.event === 'saved' ? { ...l, dir: join(dir, 'a') } : l)));
    expect(a[0].event).toBe('data');
    expect(a.filter((l) => typeof l.loss === 'number').map((l) => l.step)).toEqual([1, 2, 3, 4]);
    expect(a.filter((l) => typeof l.valLoss === 'number').map((l) => l.step)).toEqual([0, 2, 4]);
    expect(a.filter((l) => l.event === 'saved').map((l) => l.step)).toEqual([2, 4]);
    const manifest = JSON.parse(readFileSync(join(dir, 'a', 'manifest.json'), 'utf8'));
    expect(manifest.tokenizerVersion).toBeDefined();
    expect(manifest.config.nLayer).toBeGreaterThan(0);
    expect(manifest.meta).toMatchObject({ kind: 'pretrain', seed: 3, step: 4, steps: 4, backend: 'wasm', data: { examples: 80 } });
    for (const key of ['wallTimeS', 'finalLoss', 'valLoss', 'heldoutLoss']) expect(typeof manifest.meta[key]).toBe('number');
    expect(existsSync(join(dir, 'a', 'weights.bin'))).toBe(true);
    expect(readFileSync(join(dir, 'a', 'train-log.jsonl'), 'utf8').trim().split('\n')).toHaveLength(a.length);
  });

  it('--from continues a checkpoint: its weights at step 0, its lineage in the manifest', () => {
    const first = pretrain(join(dir, 'c'));
    const firstVal = first.filter((l) => typeof l.valLoss === 'number').at(-1)!.valLoss as number;
    const cont = pretrain(join(dir, 'd'), ['--seed', '3', '--from', join(dir, 'c')]);
    // Same seed, same validation set: step 0 of the continuation scores what the first run ended with.
    expect(cont.find((l) => l.step === 0 && typeof l.valLoss === 'number')!.valLoss).toBeCloseTo(firstVal, 4);
    const manifest = JSON.parse(readFileSync(join(dir, 'd', 'manifest.json'), 'utf8'));
    expect(manifest.meta.from).toMatchObject({ dir: join(dir, 'c'), meta: { kind: 'pretrain', seed: 3, steps: 4 } });
    expect(manifest.config).toEqual(JSON.parse(readFileSync(join(dir, 'c', 'manifest.json'), 'utf8')).config);
    const mismatch = spawnSync('npx', ['tsx', 'src/cli/pretrain.ts', '--out', join(dir, 'e'), '--from', join(dir, 'c'), '--model', 'default'], { encoding: 'utf8' });
    expect(mismatch.status).toBe(2);
    expect(mismatch.stderr).toMatch(/--model default does not match the model of/);
  });
});
