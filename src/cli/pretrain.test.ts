import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'azr-pretrain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pretrain(out: string, extra: string[] = ['--seed', '3', '--model', 'tiny']) {
  const r = spawnSync('npx', ['tsx', 'src/cli/pretrain.ts', ...extra, '--out', out, '--steps', '4', '--batch', '4',
    '--backend', 'wasm', '--examples', '80', '--val-examples', '8', '--eval-every', '2', '--save-every', '2', '--log-every', '1'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The log without its timing fields. */
const untimed = (lines: Record<string, unknown>[]) => lines.map(({ elapsedS: _e, tokensPerSecond: _t, seconds: _s, ...rest }) => rest);

describe('npm run pretrain', () => {
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
