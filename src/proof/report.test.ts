import { describe, expect, it } from 'vitest';
import { ablationMarkdown, buildDynamics, buildReport, dynamicsMarkdown, parsePerTask, reportMarkdown, type PerTaskResult, type RunResults } from './report';

function suite(perType: number, score: (type: string, i: number) => number): PerTaskResult[] {
  const out: PerTaskResult[] = [];
  for (const type of ['deduction', 'abduction', 'induction'] as const) {
    for (let i = 0; i < perType; i++) out.push({ id: `${type}-${i}`, type, correct: score(type, i), samples: 4 });
  }
  return out;
}

describe('proof report', () => {
  const base: RunResults = { variant: 'base', seed: 0, results: suite(40, () => 0) };
  // Two seeds of a run that solves every 4th abduction task 4/4 (seed 0) or 2/4 (seed 1), nothing else.
  const full: RunResults[] = [0, 1].map((seed) => ({
    variant: 'full', seed, results: suite(40, (t, i) => (t === 'abduction' && i % 4 === 0 ? (seed === 0 ? 4 : 2) : 0)),
  }));

  it('computes pass@1 per type, its spread over seeds, and paired intervals against the base', () => {
    const r = buildReport([base, ...full], [['full', 'base']], { reps: 2000 });
    expect(r.tasks).toBe(120);
    const abd = r.variants.full.pass1.abduction;
    expect(abd.perSeed).toEqual([0.25, 0.125]);
    expect(abd.mean).toBeCloseTo(0.1875, 12);
    expect(abd.std).toBeCloseTo(Math.SQRT1_2 * 0.125, 12);
    expect(r.variants.full.pass1.average.mean).toBeCloseTo(0.1875 / 3, 12);
    const c = r.comparisons[0];
    expect(c.intervals.abduction.diff).toBeCloseTo(0.1875, 12);
    expect(c.intervals.abduction.lo).toBeGreaterThan(0);
    expect(c.intervals.deduction.diff).toBe(0);
    expect(c.intervals.deduction.excludesZero).toBe(false);
    const md = reportMarkdown(r, { full: 'full AZR' });
    expect(md).toContain('| full AZR | 0, 1 | 0.0 ± 0.0 (0.0, 0.0) | 18.8 ± 8.8 (25.0, 12.5)');
    expect(md).toMatch(/full AZR − base \| \+0\.0 \[\+0\.0, \+0\.0\] \| \+18\.8 \[\+\d+\.\d, \+\d+\.\d\] ✓/);
    // The table beside the paper's: a row per ablation that ran, and nothing at all when none did.
    expect(ablationMarkdown(r, [{ name: 'full', label: 'full AZR', paper: 46.8 }])).toContain('| full AZR | 0, 1 | 6.3 ± 2.9 (8.3, 4.2) | — | 46.8 | — |');
    expect(ablationMarkdown(r, [{ name: 'k0', label: 'no references (K = 0)', paper: 43.8 }])).toBe('');
  });

  it('refuses results that do not cover the base tasks, and malformed lines', () => {
    const short: RunResults = { variant: 'full', seed: 0, results: suite(39, () => 1) };
    expect(() => buildReport([base, short], [['full', 'base']])).toThrow(/missing/);
    expect(() => parsePerTask('{"id":"a","type":"deduction","correct":1}\n')).toThrow(/line 1/);
    expect(parsePerTask('{"id":"a","type":"induction","correct":1,"samples":4,"greedy":true}\n\n')).toHaveLength(1);
  });

  it('dynamics: first and last window means of in-run metrics, averaged over seeds', () => {
    const line = (step: number, acc: number) => JSON.stringify({
      step, entropy: 1 - step / 100, programComplexity: 0.5, ...(step >= 3 ? { heldOutCompositions: step / 10 } : {}),
      groups: { 'solve.deduction': { accuracy: acc, count: 8 }, 'solve.abduction': { accuracy: 0, count: 0 }, 'propose.deduction': { accuracy: 0.2, count: 8 } },
      proposals: { deduction: { total: 8, valid: step <= 2 ? 4 : 8 }, abduction: { total: 0, valid: 0 } },
    });
    const seedA = [1, 2, 3, 4].map((s) => line(s, s <= 2 ? 0.1 : 0.5)).join('\n');
    const seedB = [1, 2, 3, 4].map((s) => line(s, s <= 2 ? 0.3 : 0.7)).join('\n');
    const d = buildDynamics([seedA, seedB], 2);
    expect(d.rows['solver accuracy, deduction'][0]).toBeCloseTo(0.2, 12);
    expect(d.rows['solver accuracy, deduction'][1]).toBeCloseTo(0.6, 12);
    expect(d.rows['solver accuracy, abduction'].every(Number.isNaN)).toBe(true); // no tasks: no number
    expect(d.rows['valid proposals (share)']).toEqual([0.5, 1]);
    expect(d.rows.entropy[0]).toBeCloseTo(0.985, 12);
    // A metric the first steps lack (as in runs saved before it existed) is — there, a mean where present.
    expect(Number.isNaN(d.rows['held-out compositions (share of new tasks)'][0])).toBe(true);
    expect(d.rows['held-out compositions (share of new tasks)'][1]).toBeCloseTo(0.35, 12);
    const md = dynamicsMarkdown({ full: d }, { full: 'full AZR' });
    expect(md).toContain('| in-run mean, first 2 → last 2 steps | full AZR |');
    expect(md).toContain('| solver accuracy, deduction | 0.20 → 0.60 |');
    expect(md).toContain('| solver accuracy, abduction | — → — |');
  });
});
