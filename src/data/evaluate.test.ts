import { describe, expect, it } from 'vitest';
import { summarize, type TaskResult } from './evaluate';

const result = (id: string, type: TaskResult['type'], greedyAnswer: string, greedy: boolean, correct: number): TaskResult =>
  ({ id, type, greedy, correct, samples: 4, greedyAnswer });

describe('summarize', () => {
  it('gives pass@1 over samples, greedy accuracy, and how concentrated the greedy answers are', () => {
    const summary = summarize([
      result('d1', 'deduction', '0<eos>', true, 4),
      result('d2', 'deduction', '0<eos>', false, 1),
      result('d3', 'deduction', '0<eos>', false, 0),
      result('d4', 'deduction', '[1,2]<eos>', true, 3),
      result('a1', 'abduction', "'x'<eos>", false, 0),
      result('a2', 'abduction', '[]<eos>', false, 2),
    ]);
    expect(summary.tasks).toBe(6);
    expect(summary.deduction).toEqual({ count: 4, pass1: 0.5, greedy: 0.5, greedyModeShare: 0.75 });
    expect(summary.abduction).toEqual({ count: 2, pass1: 0.25, greedy: 0, greedyModeShare: 0.5 });
    expect(summary.induction).toEqual({ count: 0, pass1: 0, greedy: 0, greedyModeShare: 0 });
  });
});
