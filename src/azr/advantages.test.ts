import { describe, expect, it } from 'vitest';
import { leaveOneOutAdvantages, taskRelativeAdvantages, type RewardedTrajectory } from './advantages';

const t = (group: RewardedTrajectory['group'], reward: number, responseTokens = 1): RewardedTrajectory => ({ group, reward, responseTokens });

describe('taskRelativeAdvantages (TRR++)', () => {
  it('normalises each (role × task type) group by its own mean and std', () => {
    // solve.deduction rewards 1, −0.5, 1, −0.5: mean 0.25, std 0.75 → ±1.
    // propose.abduction rewards 0.75, 0.25: mean 0.5, std 0.25 → ±1.
    const batch = [
      t('solve.deduction', 1), t('solve.deduction', -0.5), t('solve.deduction', 1), t('solve.deduction', -0.5),
      t('propose.abduction', 0.75), t('propose.abduction', 0.25),
    ];
    const { advantages, groups } = taskRelativeAdvantages(batch, { baseline: 'per-group', normalisation: 'per-sample' });
    const expected = [1, -1, 1, -1, 1, -1];
    advantages.forEach((a, i) => expect(a).toBeCloseTo(expected[i], 5));
    expect(groups['solve.deduction']).toEqual({ mean: 0.25, std: 0.75, count: 4 });
    expect(groups['propose.abduction']?.mean).toBeCloseTo(0.5);
    expect(groups['propose.abduction']?.std).toBeCloseTo(0.25);
  });

  it('gives zero advantage to a group whose rewards are all equal', () => {
    const { advantages } = taskRelativeAdvantages([t('propose.induction', 0), t('propose.induction', 0), t('solve.induction', 1)],
      { baseline: 'per-group', normalisation: 'per-sample' });
    expect(advantages).toEqual([0, 0, 0]);
  });

  it('uses one baseline for every group in the global ablation', () => {
    // rewards 1, −1 (solve) and 3, −3 (propose): mean 0, std sqrt((1+1+9+9)/4) = sqrt(5).
    const batch = [t('solve.deduction', 1), t('solve.deduction', -1), t('propose.deduction', 3), t('propose.deduction', -3)];
    const { advantages, groups } = taskRelativeAdvantages(batch, { baseline: 'global', normalisation: 'per-sample' });
    const s = Math.sqrt(5);
    [1 / s, -1 / s, 3 / s, -3 / s].forEach((e, i) => expect(advantages[i]).toBeCloseTo(e, 5));
    expect(groups['solve.deduction']).toBe(groups['propose.deduction']);
  });

  it('weights trajectories by response length under per-token statistics', () => {
    // One 3-token trajectory with reward 1 and one 1-token with reward −1: token mean (3 − 1)/4 = 0.5,
    // token variance (3·0.25 + 1·2.25)/4 = 0.75.
    const batch = [t('solve.abduction', 1, 3), t('solve.abduction', -1, 1)];
    const { advantages, groups } = taskRelativeAdvantages(batch, { baseline: 'per-group', normalisation: 'per-token' });
    const std = Math.sqrt(0.75);
    expect(groups['solve.abduction']?.mean).toBeCloseTo(0.5);
    expect(advantages[0]).toBeCloseTo(0.5 / std, 5);
    expect(advantages[1]).toBeCloseTo(-1.5 / std, 5);
  });
});

describe('leaveOneOutAdvantages (RLOO, extension)', () => {
  it('credits an answer against the other answers to the same task; all alike teaches nothing', () => {
    const a = leaveOneOutAdvantages([1, -0.5, -0.5, -0.5]);
    expect(a[0]).toBeCloseTo(1.5);
    expect(a[1]).toBeCloseTo(-0.5 - (1 - 1) / 3);
    expect(a.reduce((x, y) => x + y, 0)).toBeCloseTo(0, 12);
    expect(leaveOneOutAdvantages([1, 1, 1, 1])).toEqual([0, 0, 0, 0]);
    expect(leaveOneOutAdvantages([-0.5, -0.5])).toEqual([0, 0]);
    expect(leaveOneOutAdvantages([1])).toEqual([0]);
  });
});
