import { describe, expect, it } from 'vitest';
import { learnabilityReward, proposerReward, proposerRewardWithNovelty, solveRateAboveGuessing, solverReward, solverRewardAboveGuessing } from './rewards';

describe('learnabilityReward', () => {
  it('is zero for tasks never or always solved', () => {
    expect(learnabilityReward(0, 4)).toBe(0);
    expect(learnabilityReward(4, 4)).toBe(0);
    expect(learnabilityReward(0, 8)).toBe(0);
    expect(learnabilityReward(8, 8)).toBe(0);
  });
  it('is one minus the solve rate in between', () => {
    expect(learnabilityReward(1, 4)).toBeCloseTo(0.75);
    expect(learnabilityReward(3, 4)).toBeCloseTo(0.25);
    expect(learnabilityReward(1, 8)).toBeCloseTo(7 / 8);
    expect(learnabilityReward(7, 8)).toBeCloseTo(1 / 8);
  });
  it('refuses impossible counts', () => {
    expect(() => learnabilityReward(5, 4)).toThrow(RangeError);
    expect(() => learnabilityReward(-1, 4)).toThrow(RangeError);
    expect(() => learnabilityReward(0, 0)).toThrow(RangeError);
  });
});

describe('composite rewards', () => {
  it('scores the solver in {−1, −0.5, 1}', () => {
    expect(solverReward('correct')).toBe(1);
    expect(solverReward('wrong')).toBe(-0.5);
    expect(solverReward('malformed')).toBe(-1);
  });
  it('gives −1 to malformed and invalid proposals', () => {
    expect(proposerReward({ kind: 'malformed' })).toBe(-1);
    expect(proposerReward({ kind: 'invalid' })).toBe(-1);
  });
  it('gives a valid proposal its learnability, 0 at the extremes by default (paper)', () => {
    expect(proposerReward({ kind: 'valid', solved: 2, rollouts: 4 })).toBeCloseTo(0.5);
    expect(proposerReward({ kind: 'valid', solved: 0, rollouts: 4 })).toBe(0);
    expect(proposerReward({ kind: 'valid', solved: 4, rollouts: 4 })).toBe(0);
  });
  it('gives −0.5 at the extremes with the reference code option', () => {
    expect(proposerReward({ kind: 'valid', solved: 0, rollouts: 4 }, 'reference')).toBe(-0.5);
    expect(proposerReward({ kind: 'valid', solved: 4, rollouts: 4 }, 'reference')).toBe(-0.5);
    expect(proposerReward({ kind: 'valid', solved: 1, rollouts: 4 }, 'reference')).toBeCloseTo(0.75);
  });
});

describe('novelty bonus (extension)', () => {
  it('adds bonus × novelty to valid proposals only, on top of either extreme-rate rule', () => {
    const learnable = { kind: 'valid', solved: 1, rollouts: 4 } as const;
    const trivial = { kind: 'valid', solved: 4, rollouts: 4 } as const;
    expect(proposerRewardWithNovelty(learnable, 'paper', 0.5, 0.8)).toBeCloseTo(0.75 + 0.4, 12);
    expect(proposerRewardWithNovelty(trivial, 'reference', 0.5, 0.8)).toBeCloseTo(-0.5 + 0.4, 12);
    expect(proposerRewardWithNovelty(trivial, 'paper', 0, 1)).toBe(0);
    expect(proposerRewardWithNovelty({ kind: 'invalid' }, 'paper', 2, 1)).toBe(-1);
    expect(proposerRewardWithNovelty({ kind: 'malformed' }, 'paper', 2, 1)).toBe(-1);
  });
});

describe('learnability above guessing (extension)', () => {
  it('corrects the solve rate for the guess rate as chance-corrected agreement, clipped to [0, 1]', () => {
    expect(solveRateAboveGuessing(2, 4, 0)).toBe(0.5);
    expect(solveRateAboveGuessing(3, 4, 0.5)).toBeCloseTo(0.5);
    expect(solveRateAboveGuessing(1, 4, 0.5)).toBe(0); // below chance: not solved at all
    expect(solveRateAboveGuessing(4, 4, 0.5)).toBe(1);
    expect(solveRateAboveGuessing(4, 4, 1)).toBe(0);
    expect(() => solveRateAboveGuessing(1, 4, 1.5)).toThrow(RangeError);
  });
  it('gives a task solved only as often as guessing the extreme reward, and the paper\'s reward when q = 0', () => {
    expect(proposerReward({ kind: 'valid', solved: 2, rollouts: 4, guessRate: 0.5 }, 'reference')).toBe(-0.5);
    expect(proposerReward({ kind: 'valid', solved: 2, rollouts: 4, guessRate: 0.5 }, 'paper')).toBe(0);
    expect(proposerReward({ kind: 'valid', solved: 3, rollouts: 4, guessRate: 0.5 }, 'reference')).toBeCloseTo(0.5);
    for (const solved of [0, 1, 2, 3, 4]) {
      for (const extreme of ['paper', 'reference'] as const) {
        expect(proposerReward({ kind: 'valid', solved, rollouts: 4, guessRate: 0 }, extreme)).toBeCloseTo(proposerReward({ kind: 'valid', solved, rollouts: 4 }, extreme), 12);
      }
    }
    expect(() => proposerReward({ kind: 'valid', solved: 5, rollouts: 4, guessRate: 0 })).toThrow(RangeError);
  });
});

describe('solver reward with guessing discounted (extension)', () => {
  it('pays a right answer 1 − its guess rate and leaves wrong and malformed answers alone', () => {
    expect(solverRewardAboveGuessing('correct', 0)).toBe(1);
    expect(solverRewardAboveGuessing('correct', 0.75)).toBeCloseTo(0.25);
    expect(solverRewardAboveGuessing('wrong', 0.75)).toBe(-0.5);
    expect(solverRewardAboveGuessing('malformed', 0.5)).toBe(-1);
    expect(() => solverRewardAboveGuessing('correct', -0.1)).toThrow(RangeError);
  });
});
