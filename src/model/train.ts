// One optimiser step over many sequences: padded micro-batches (bounded memory) whose gradients add up
// to the gradient of the whole batch's token-level mean, global gradient-norm clipping, AdamW.
// Callers pass plain arrays and get plain numbers back.
import { AdamW } from './adamw';
import { GPT } from './gpt';
import {
  crossEntropyLoss, microBatchCaps, microBatchCost, microBatches, microBatchScale, packLM, packPolicy, policyLoss, targetLogProbs,
  type LMExample, type PackedBatch, type PolicyLossOptions, type Trajectory,
} from './loss';
import { tf } from './tf';
import { sumOfSquares } from './webgpu-kernels';

export interface StepOptions {
  /** Global gradient-norm clip; default 1.0. */
  maxGradNorm?: number;
  /** Padded positions per forward/backward pass (memory bound); default 8192. */
  maxTokensPerMicroBatch?: number;
}

export interface StepResult {
  /** The minimised objective: token-level mean. */
  loss: number;
  /** Global gradient L2 norm before clipping. */
  gradNorm: number;
  /** Whether clipping scaled the gradient down. */
  clipped: boolean;
  /** Tokens that counted (targets or response tokens). */
  tokens: number;
  microBatches: number;
}

export interface PolicyStepResult extends StepResult {
  /** Token-mean clipped surrogate loss (without the entropy bonus). */
  pgLoss: number;
  /** Token-mean entropy of the sampling distribution. */
  entropy: number;
  /** Share of response tokens where the clipped branch was the active one. */
  clipFraction: number;
  /** Token-mean of log(old/new): how far the policy had moved from the sampler's. */
  approxKl: number;
  /** Token-mean k3 estimate of KL(policy ‖ reference); 0 when the trajectories carried no reference log-probs. */
  refKl: number;
}

export class NonFiniteGradientError extends Error {
  constructor(readonly gradNorm: number, readonly loss: number) {
    super(`gradient norm is ${gradNorm} (loss ${loss}): update refused, weights unchanged`);
    this.name = 'NonFiniteGradientError';
  }
}

/**
 * Micro-batches of these sequence lengths for this model on the current backend (`microBatchCaps`: default
 * 8192 positions, times the backend's `microBatchScale`).
 */
export function microBatchGroups(model: GPT, lengths: number[], maxTokens = 8192): number[][] {
  const backend = tf.getBackend();
  const caps = microBatchCaps(model.config, maxTokens * microBatchScale(backend));
  return microBatches(lengths, caps.maxTokens, caps.maxScores, microBatchCost(backend));
}

/** Next-token cross-entropy on marked targets, one AdamW step. */
export async function lmStep(model: GPT, optimizer: AdamW, examples: LMExample[], options: StepOptions = {}): Promise<StepResult> {
  const V = model.config.vocabSize;
  const groups = microBatchGroups(model, examples.map((e) => e.ids.length - 1), options.maxTokensPerMicroBatch);
  const batches = groups.map((g) => packLM(g.map((i) => examples[i]), V));
  const tokens = sumWeights(batches);
  if (tokens === 0) throw new RangeError('lmStep: no target is marked');
  const { loss, gradNorm, clipped } = await accumulateAndStep(model, optimizer, batches, options, (batch) => ({
    loss: crossEntropyLoss(model, batch, 1 / tokens),
    stats: [],
  }));
  return { loss, gradNorm, clipped, tokens, microBatches: batches.length };
}

/** The TRR++ token-level clipped policy-gradient loss with entropy bonus, one AdamW step. */
export async function policyStep(
  model: GPT, optimizer: AdamW, trajectories: Trajectory[], options: PolicyLossOptions & StepOptions = {},
): Promise<PolicyStepResult> {
  const V = model.config.vocabSize;
  const lengths = trajectories.map((tr) => tr.promptIds.length + tr.responseIds.length - 1);
  const groups = microBatchGroups(model, lengths, options.maxTokensPerMicroBatch);
  const batches = groups.map((g) => packPolicy(g.map((i) => trajectories[i]), V));
  const tokens = sumWeights(batches);
  if (tokens === 0) throw new RangeError('policyStep: no response tokens');
  const { sums, ...step } = await accumulateAndStep(model, optimizer, batches, options, (batch) => {
    const { loss, stats } = policyLoss(model, batch, 1 / tokens, options);
    return { loss, stats: [stats.pg, stats.entropy, stats.clipped, stats.approxKl, stats.refKl] };
  });
  return {
    ...step,
    tokens,
    microBatches: batches.length,
    pgLoss: sums[0] / tokens,
    entropy: sums[1] / tokens,
    clipFraction: sums[2] / tokens,
    approxKl: sums[3] / tokens,
    refKl: sums[4] / tokens,
  };
}

/**
 * Log-prob of every response token under the current model, on the same distribution as the policy loss
 * (temperature, masks). For checks (the first policy step's ratio is 1) and diagnostics.
 */
export async function responseLogProbs(
  model: GPT, trajectories: Array<Pick<Trajectory, 'promptIds' | 'responseIds' | 'masks'>>, temperature = 1, maxTokensPerMicroBatch = 8192,
): Promise<number[][]> {
  const V = model.config.vocabSize;
  const full: Trajectory[] = trajectories.map((tr) => ({ ...tr, oldLogProbs: tr.responseIds.map(() => 0), advantage: 0 }));
  const out: number[][] = new Array(full.length);
  for (const group of microBatchGroups(model, full.map((tr) => tr.promptIds.length + tr.responseIds.length - 1), maxTokensPerMicroBatch)) {
    const batch = packPolicy(group.map((i) => full[i]), V);
    const logp = tf.tidy(() => targetLogProbs(model, batch, temperature));
    const values = await logp.data();
    logp.dispose();
    let k = 0; // the batch lists response positions trajectory by trajectory
    for (const i of group) {
      out[i] = Array.from(values.subarray(k, k + full[i].responseIds.length));
      k += full[i].responseIds.length;
    }
  }
  return out;
}

function sumWeights(batches: PackedBatch[]): number {
  let n = 0;
  for (const b of batches) for (const w of b.weights) n += w;
  return n;
}

/**
 * Sum of many tensors by pairwise adds: `addN` (and a wide `concat`) of dozens of inputs exceeds WebGPU's
 * limit of storage buffers per shader stage (8 on some adapters).
 */
function sumAll(xs: tf.Tensor[]): tf.Tensor {
  let level = xs;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? tf.add(level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0];
}

interface MicroLoss {
  /** This micro-batch's share of the whole batch's loss. */
  loss: tf.Scalar;
  /** Sums for the metrics (kept tensors; disposed here). */
  stats: tf.Scalar[];
}

async function accumulateAndStep(
  model: GPT, optimizer: AdamW, batches: PackedBatch[], options: StepOptions, lossOf: (batch: PackedBatch) => MicroLoss,
): Promise<{ loss: number; gradNorm: number; clipped: boolean; sums: number[] }> {
  const maxGradNorm = options.maxGradNorm ?? 1;
  const vars = model.variables();
  const names = new Map([...model.params].map(([name, v]) => [v.name, name]));
  const grads = new Map<string, tf.Tensor>();
  const kept: tf.Tensor[] = [];
  try {
    for (const batch of batches) {
      const { value, grads: g } = tf.variableGrads(() => {
        const { loss, stats } = lossOf(batch);
        kept.push(tf.keep(tf.reshape(loss, [])), ...stats);
        return loss;
      }, vars);
      value.dispose();
      for (const [varName, grad] of Object.entries(g)) {
        const name = names.get(varName)!;
        const prev = grads.get(name);
        if (prev) {
          grads.set(name, tf.add(prev, grad));
          prev.dispose();
          grad.dispose();
        } else grads.set(name, grad);
      }
    }
    const perBatch = kept.length / batches.length;
    // One read-back for the gradient norm and every metric.
    const summary = tf.tidy(() => {
      const sq = sumOfSquares([...grads.values()]) ?? sumAll([...grads.values()].map((g) => tf.sum(tf.square(g))));
      const sums = Array.from({ length: perBatch }, (_, i) => sumAll(kept.filter((_, j) => j % perBatch === i)));
      return tf.stack([tf.sqrt(sq), ...sums]);
    });
    const values = await summary.data();
    summary.dispose();
    const gradNorm = values[0];
    const loss = values[1];
    if (!Number.isFinite(gradNorm)) throw new NonFiniteGradientError(gradNorm, loss);
    const scale = gradNorm > maxGradNorm ? maxGradNorm / (gradNorm + 1e-6) : 1;
    optimizer.apply(grads, scale);
    return { loss, gradNorm, clipped: scale < 1, sums: Array.from(values.subarray(2)) };
  } finally {
    for (const g of grads.values()) g.dispose();
    for (const t of kept) t.dispose();
  }
}
