import { describe, expect, it } from 'vitest';
import { fmt, forwardFlopsPerToken, median, round, slope, table, targets, timeRuns, trainStepFlops } from './lib';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('timeRuns', () => {
  it('calls f after its warm-up calls, and charges the CPU clock only to the timed runs', async () => {
    let calls = 0;
    let cpu = 0;
    const t = await timeRuns(4, () => { calls++; cpu += 10; }, 2, () => cpu);
    expect(calls).toBe(6);
    expect(t.runs).toBe(4);
    expect(t.cpuMs).toBe(10);
    expect(t.ms).toBeGreaterThanOrEqual(0);
  });

  it('leaves the CPU time undefined without a clock (a browser)', async () => {
    expect((await timeRuns(1, () => undefined)).cpuMs).toBeUndefined();
  });
});

describe('round', () => {
  it('keeps significant digits and leaves non-finite values alone', () => {
    expect(round(1234.5678)).toBe(1235);
    expect(round(0.000123456, 3)).toBe(0.000123);
    expect(round(Infinity)).toBe(Infinity);
  });
});

describe('slope', () => {
  it('is the least-squares slope per step', () => {
    expect(slope([5, 5, 5, 5])).toBe(0);
    expect(slope([1, 3, 5, 7])).toBeCloseTo(2);
    expect(slope([0, 10, 0, 10])).toBeCloseTo(2);
    expect(slope([2, 4], [10, 20])).toBeCloseTo(0.2);
  });

  it('is null without two distinct positions', () => {
    expect(slope([1])).toBeNull();
    expect(slope([1, 2], [3, 3])).toBeNull();
    expect(() => slope([1, 2], [1])).toThrow(RangeError);
  });
});

describe('FLOP count', () => {
  it('counts projections, the tied head and attention per token, and 3× for training', () => {
    const m = { vocabSize: 10, nLayer: 1, dModel: 4, dFF: 16 };
    // 2·(4·12 + 4·4 + 2·4·16) + 2·10·4 + 2·2·8·4
    expect(forwardFlopsPerToken(m, 8)).toBe(2 * (48 + 16 + 128) + 80 + 128);
    expect(trainStepFlops(m, 2, 8)).toBe(3 * forwardFlopsPerToken(m, 8) * 16);
  });
});

describe('targets', () => {
  it('says whether each holds, and null for what was not measured', () => {
    const t = targets({
      executor: { msPerExec: 0.2, vsNodeVm: 1.5, vsPythonSubprocess: 400, stopMs: 30, budgetMs: 20 },
      model: { kvCacheSpeedup: 6 },
      memory: { tensorSlopePerStep: 0, wasmHeapGrowthUnexplainedAfterWarmupBytes: 65536 },
      page: { seedingBarMs: null, longTasks: { maxMs: 40 } },
    });
    const by = Object.fromEntries(t.map((c) => [c.name, c.holds]));
    expect(by['executor.msPerExec']).toBe(true);
    expect(by['executor.vsNodeVm']).toBe(false);
    expect(by['executor.vsPythonSubprocess']).toBe(true);
    expect(by['executor.stopMs / budgetMs']).toBe(true);
    expect(by['torch.maxLogitDiff']).toBeNull();
    expect(by['model.kvCacheSpeedup']).toBe(true);
    expect(by['memory.tensorSlopePerStep']).toBe(true);
    expect(by['memory.wasmHeapGrowthUnexplainedAfterWarmupBytes']).toBe(false);
    expect(by['page.seedingBarMs']).toBeNull();
    expect(by['page.longTasks.maxMs']).toBe(true);
  });
});

describe('formatting', () => {
  it('prints numbers with 3 significant digits and aligns a table', () => {
    expect(fmt(1234.5)).toBe('1,235');
    expect(fmt(0.2346)).toBe('0.235');
    expect(fmt(null)).toBe('–');
    expect(fmt(2e-5)).toBe('2.0e-5');
    expect(table(['a', 'bb'], [['ccc', 'd']])).toBe('a    bb\n---  --\nccc  d');
  });
});
