import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'azr-proof-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A per-task file: 30 tasks per type, `solved(type, i)` of 4 samples correct. */
function writeRun(name: string, solved: (type: string, i: number) => number, file = 'eval.jsonl'): void {
  mkdirSync(join(dir, name), { recursive: true });
  const lines: string[] = [];
  for (const type of ['deduction', 'abduction', 'induction']) {
    for (let i = 0; i < 30; i++) lines.push(JSON.stringify({ id: `${type}-${i}`, type, greedy: false, correct: solved(type, i), samples: 4 }));
  }
  writeFileSync(join(dir, name, file), `${lines.join('\n')}\n`);
}

const proof = (...args: string[]) => spawnSync('npx', ['tsx', 'src/cli/proof.ts', ...args], { encoding: 'utf8' });

describe('npm run -s proof', () => {
  it('report: tables from per-task results, with intervals against the base and solver-only', () => {
    writeRun('base', () => 0);
    for (const seed of [0, 1, 2]) {
      writeRun(`full-s${seed}`, (t, i) => (t === 'abduction' && i % 3 === seed ? 4 : 0));
      writeRun(`solver-only-s${seed}`, () => 0);
    }
    writeRun('k0-s0', () => 1);
    mkdirSync(join(dir, 'half-done-s0')); // no eval.jsonl: skipped
    const r = proof('report', '--out', dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('| full AZR | 0, 1, 2 | 0.0 ± 0.0 (0.0, 0.0, 0.0) | 33.3 ± 0.0 (33.3, 33.3, 33.3)');
    expect(r.stdout).toContain('| no references (K = 0) | 0 | 25.0 | 25.0 | 25.0 | 25.0 |');
    expect(r.stdout).toMatch(/\| full AZR − base \| \+0\.0 \[\+0\.0, \+0\.0\] \| \+33\.3 \[\+\d+\.\d, \+\d+\.\d\] ✓ \|/);
    expect(r.stdout).toMatch(/\| full AZR − solver only \(proposer frozen\) \|/);
    expect(r.stdout).toMatch(/\| no references \(K = 0\) − full AZR \|/);
    expect(r.stdout).toContain('| setting | seeds | ours: held-out average pass@1 |');
    expect(r.stdout).toMatch(/\| no references \(K = 0\) \| 0 \| 25\.0 \| \+13\.9 \[.*\] ✓ \| 43\.8 \| −3\.0 \|/);
    // solver-only is compared as full − solver-only; the ablation table shows it the other way round.
    expect(r.stdout).toMatch(/\| solver only \(proposer frozen\) \| 0, 1, 2 \| 0\.0 ± 0\.0 \(0\.0, 0\.0, 0\.0\) \| −11\.1 \[−\d+\.\d, −\d+\.\d\] ✗ \| 45\.4 \| −1\.4 \|/);
    expect(r.stdout).toContain('| full AZR | 0, 1, 2 | 11.1 ± 0.0 (11.1, 11.1, 11.1) | — | 46.8 | — |');
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { tasks: number; variants: Record<string, unknown> };
    expect(summary.tasks).toBe(90);
    expect(Object.keys(summary.variants)).toEqual(['base', 'full', 'solver-only', 'k0']);
  });

  it('report --suite indist: the diagnostic suite from every run’s indist.jsonl, beside the held-out one', () => {
    writeRun('base', () => 2, 'indist.jsonl');
    writeRun('full-s0', () => 1, 'indist.jsonl');
    const r = proof('report', '--out', dir, '--suite', 'indist');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('| full AZR | 0 | 25.0 | 25.0 | 25.0 | 25.0 |');
    expect(r.stdout).toMatch(/\| full AZR − base \| −25\.0 \[/);
    const summary = JSON.parse(readFileSync(join(dir, 'summary-indist.json'), 'utf8')) as { variants: Record<string, unknown> };
    expect(Object.keys(summary.variants)).toEqual(['base', 'full']);
    expect(proof('report', '--out', dir, '--suite', 'nope').stderr).toMatch(/--suite must be heldout or indist/);
  });

  it('refuses an unknown command or variant with a one-line reason', () => {
    const bad = proof('train', '--out', dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^proof: expected run or report, got train/);
    const unknown = proof('run', '--variants', 'full,nope', '--out', join(dir, 'never'));
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown variant nope; known: full, solver-only/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});
