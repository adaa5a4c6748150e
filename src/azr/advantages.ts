// Task-Relative REINFORCE++ (AZR.md, paper eq. 8): each trajectory's advantage is its reward
// normalised by the mean and std of its own (role × task type) group, because reward scales differ
// sharply between proposing and solving and between task types.
//
//   A = (r − mean_group) / (std_group + ε)
//
// Statistics are per sample by default (each trajectory counts once, as the paper writes it), or per
// token (each response token counts once, as the reference code whitens; long answers weigh more).
// `baseline: 'global'` is the ablation: one mean and std over all six groups.

import type { GroupKey } from './config';

export interface RewardedTrajectory {
  group: GroupKey;
  reward: number;
  /** Number of response tokens; the weight of this trajectory under per-token statistics. */
  responseTokens: number;
}

export interface GroupStats { mean: number; std: number; count: number }

export interface AdvantageOptions {
  baseline: 'per-group' | 'global';
  normalisation: 'per-sample' | 'per-token';
  epsilon?: number;
}

export interface AdvantageResult {
  advantages: number[];
  /** The baseline each trajectory was normalised by, keyed by group (with `global`, every group maps to the same stats). */
  groups: Partial<Record<GroupKey, GroupStats>>;
}

export const ADVANTAGE_EPSILON = 1e-6;

/** Weighted mean and population standard deviation. */
function stats(rewards: number[], weights: number[]): GroupStats {
  let total = 0;
  let sum = 0;
  for (let i = 0; i < rewards.length; i++) { total += weights[i]; sum += weights[i] * rewards[i]; }
  if (total === 0) return { mean: 0, std: 0, count: rewards.length };
  const mean = sum / total;
  let sq = 0;
  for (let i = 0; i < rewards.length; i++) sq += weights[i] * (rewards[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / total), count: rewards.length };
}

export function taskRelativeAdvantages(batch: readonly RewardedTrajectory[], options: AdvantageOptions): AdvantageResult {
  const eps = options.epsilon ?? ADVANTAGE_EPSILON;
  const weight = (t: RewardedTrajectory) => (options.normalisation === 'per-token' ? Math.max(1, t.responseTokens) : 1);
  const members = new Map<GroupKey | 'global', number[]>();
  batch.forEach((t, i) => {
    const key = options.baseline === 'global' ? 'global' : t.group;
    const list = members.get(key) ?? [];
    list.push(i);
    members.set(key, list);
  });
  const advantages = new Array<number>(batch.length).fill(0);
  const groups: Partial<Record<GroupKey, GroupStats>> = {};
  for (const [key, idx] of members) {
    const s = stats(idx.map((i) => batch[i].reward), idx.map((i) => weight(batch[i])));
    for (const i of idx) advantages[i] = (batch[i].reward - s.mean) / (s.std + eps);
    if (key === 'global') {
      for (const t of batch) groups[t.group] = s;
    } else {
      groups[key] = s;
    }
  }
  return { advantages, groups };
}

/**
 * Leave-one-out advantages of n answers to one task (RLOO; ours, not AZR's): each answer's reward minus
 * the mean reward of the task's other answers. The task's difficulty cancels out — an answer is credited
 * only for doing better than the other answers to the *same* prompt — so a task every answer passes (or
 * fails) teaches nothing. Fewer than two answers: all zero.
 */
export function leaveOneOutAdvantages(rewards: readonly number[]): number[] {
  const n = rewards.length;
  if (n < 2) return rewards.map(() => 0);
  const sum = rewards.reduce((a, b) => a + b, 0);
  return rewards.map((r) => r - (sum - r) / (n - 1));
}
