import { describe, expect, it } from 'vitest';
import { mean, pairedBootstrap, quantileSorted, sampleStd } from './stats';

describe('stats', () => {
  it('mean, sample std and quantiles match hand-worked values', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(sampleStd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3);
    expect(sampleStd([3])).toBe(0);
    expect(quantileSorted([0, 10, 20, 30, 40], 0.5)).toBe(20);
    expect(quantileSorted([0, 10], 0.25)).toBe(2.5);
  });

  it('a consistent improvement gives an interval above zero', () => {
    const before = Array.from({ length: 200 }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const after = before.map((b, i) => (i % 3 === 0 ? 1 : b));
    const r = pairedBootstrap(before, after, { reps: 2000, seed: 1 });
    expect(r.diff).toBeCloseTo(mean(after) - mean(before), 12);
    expect(r.lo).toBeGreaterThan(0);
    expect(r.hi).toBeGreaterThan(r.lo);
    expect(r.excludesZero).toBe(true);
  });

  it('noise in both directions gives an interval that straddles zero', () => {
    const before = Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const after = before.map((b, i) => (i % 5 === 0 ? 1 - b : b)); // 24 flips, 12 each way
    const r = pairedBootstrap(before, after, { reps: 2000, seed: 2 });
    expect(r.diff).toBeCloseTo(0, 12);
    expect(r.lo).toBeLessThan(0);
    expect(r.hi).toBeGreaterThan(0);
    expect(r.excludesZero).toBe(false);
  });

  it('pairing matters: a shared per-task offset does not widen the interval', () => {
    const before = Array.from({ length: 100 }, (_, i) => (i * 37) % 100 / 100);
    const after = before.map((b) => b + 0.05);
    const r = pairedBootstrap(before, after, { reps: 500 });
    expect(r.lo).toBeCloseTo(0.05, 10);
    expect(r.hi).toBeCloseTo(0.05, 10);
  });

  it('is reproducible for a seed and refuses unpaired samples', () => {
    const a = [0, 1, 0, 1, 1, 0, 0, 1];
    const b = [1, 1, 0, 1, 1, 1, 0, 1];
    expect(pairedBootstrap(a, b, { seed: 5, reps: 300 })).toEqual(pairedBootstrap(a, b, { seed: 5, reps: 300 }));
    expect(() => pairedBootstrap([1], [1, 2])).toThrow(/length/);
    expect(() => pairedBootstrap([], [])).toThrow(/no tasks/);
  });
});
