import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'azr-pretrain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pretrain(out: string) {
  const r = spawnSync('npx', ['tsx', 'src/cli/pretrain.ts', '--seed', '3', '--out', out, '--steps', '4', '--batch', '4', '--model', 'tiny',
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
});
