// Statistics for comparing two models on the same held-out tasks: per-type pass@1 means, the spread
// over seeds, and a paired bootstrap interval over tasks (resample tasks with replacement, keep each
// task's pair of scores together, take percentiles of the mean difference).

import { createRng } from '../azr/rng';

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n − 1); 0 for a single value. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** Linear-interpolated quantile of an ascending-sorted array, q in [0, 1]. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export interface PairedInterval {
  /** mean(after − before) over the tasks. */
  diff: number;
  lo: number;
  hi: number;
  /** Tasks compared. */
  n: number;
  /** lo > 0 or hi < 0: the interval excludes zero. */
  excludesZero: boolean;
}

/**
 * Paired bootstrap interval of mean(after[i] − before[i]): `reps` resamples of the n tasks with
 * replacement (seeded), the (1 − confidence)/2 and (1 + confidence)/2 percentiles of the resampled means.
 */
export function pairedBootstrap(
  before: readonly number[], after: readonly number[],
  { reps = 10_000, confidence = 0.95, seed = 0 }: { reps?: number; confidence?: number; seed?: number } = {},
): PairedInterval {
  if (before.length !== after.length) throw new RangeError(`paired samples differ in length: ${before.length} vs ${after.length}`);
  const n = before.length;
  if (n === 0) throw new RangeError('no tasks to compare');
  const d = before.map((b, i) => after[i] - b);
  const rng = createRng(seed);
  const means = new Float64Array(reps);
  for (let r = 0; r < reps; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[rng.int(n)];
    means[r] = s / n;
  }
  means.sort();
  const sorted = Array.from(means);
  const lo = quantileSorted(sorted, (1 - confidence) / 2);
  const hi = quantileSorted(sorted, (1 + confidence) / 2);
  return { diff: mean(d), lo, hi, n, excludesZero: lo > 0 || hi < 0 };
}
