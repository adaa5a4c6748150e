import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TIMING_FIELDS } from '../azr/metrics';

const run = promisify(execFile);
const CLI = ['tsx', 'src/cli/selfplay.ts'];

async function selfplay(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('npx', [...CLI, ...args], { maxBuffer: 64 << 20 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

function withoutTiming(line: string): unknown {
  const record = JSON.parse(line) as Record<string, unknown>;
  for (const key of TIMING_FIELDS) delete record[key];
  return record;
}

describe('selfplay CLI', () => {
  it('replays a seeded 3-step tiny run line for line, apart from timing fields', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'azr-selfplay-'));
    const args = ['--steps', '3', '--preset', 'tiny', '--scratch', '--backend', 'wasm', '--seed', '5', '--dump-buffers', join(dir, 'buffers.jsonl')];
    const [a, b] = [await selfplay(args), await selfplay(args)];
    expect(a.code).toBe(0);
    expect(a.stderr).toContain('backend: wasm');
    const linesA = a.stdout.trim().split('\n');
    const linesB = b.stdout.trim().split('\n');
    expect(linesA).toHaveLength(3);
    expect(linesA.map(withoutTiming)).toEqual(linesB.map(withoutTiming));
    const first = JSON.parse(linesA[0]);
    expect(first.step).toBe(1);
    expect(Object.keys(first.groups)).toEqual(['propose.deduction', 'propose.abduction', 'propose.induction', 'solve.deduction', 'solve.abduction', 'solve.induction']);
    for (const g of Object.values(first.groups) as Record<string, number>[]) {
      for (const key of ['rewardMean', 'advantageMean', 'advantageStd', 'count', 'accuracy']) expect(typeof g[key]).toBe('number');
    }
    for (const key of ['buffers', 'invalid', 'loss', 'entropy', 'tokensPerSecond', 'stepMs', 'phases']) expect(first).toHaveProperty(key);
    // The dumped buffers are the final buffers, one line per task.
    const last = JSON.parse(linesA[2]) as { buffers: Record<string, number> };
    const dumped = readFileSync(join(dir, 'buffers.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; task: { program: string }; heldOutFeatures: unknown[] });
    for (const type of ['deduction', 'abduction', 'induction']) expect(dumped.filter((t) => t.type === type)).toHaveLength(last.buffers[type]);
    for (const t of dumped) {
      expect(typeof t.task.program).toBe('string');
      expect(Array.isArray(t.heldOutFeatures)).toBe(true);
    }
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  it('refuses an unknown key or an out-of-range value with one line naming it, and a non-zero exit', async () => {
    const unknown = await selfplay(['--steps', '1', '--set', 'bogus=1']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr.trim()).toMatch(/^selfplay: unknown config key "bogus"/);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    const range = await selfplay(['--steps', '1', '--set', 'rollouts=99']);
    expect(range.code).not.toBe(0);
    expect(range.stderr.trim()).toBe('selfplay: rollouts must be an integer from 2 to 16, got "99"');
    const source = await selfplay(['--steps', '1', '--tasks-from', 'internet']);
    expect(source.code).not.toBe(0);
    expect(source.stderr.trim()).toBe('selfplay: --tasks-from must be proposer, generator or generator-heldout, got internet');
  }, 120_000);

  it('the generator diagnostic runs the solver alone on generator tasks, end to end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'azr-selfplay-gen-'));
    const r = await selfplay(['--steps', '2', '--preset', 'tiny', '--scratch', '--backend', 'wasm', '--tasks-from', 'generator', '--dump-buffers', join(dir, 'buffers.jsonl')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('tasks: from the pretraining generator');
    const steps = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { groups: Record<string, { count: number }>; trainedTrajectories: number });
    expect(steps).toHaveLength(2);
    // Tiny preset: B = 2 tasks per type, all solver trajectories, no proposer.
    for (const s of steps) {
      expect(s.trainedTrajectories).toBe(6);
      expect(s.groups['propose.deduction'].count).toBe(0);
      expect(s.groups['solve.induction'].count).toBe(2);
    }
    const dumped = readFileSync(join(dir, 'buffers.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { source: string });
    expect(dumped).toHaveLength(12);
    expect(dumped.every((t) => t.source === 'generator')).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);
});
