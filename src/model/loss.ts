// Losses on padded batches: (a) next-token cross-entropy on marked positions (pretraining) and (b) the
// token-level clipped policy-gradient loss of TRR++ (../shared/AZR.md), with an entropy bonus.
//
// Sequences are right-padded into one [B, T] batch; position t predicts token t+1. A weight per
// position selects the tokens that count (marked targets; response tokens only for the policy loss).
import { GPT, MASKED, type GPTConfig } from './gpt';
import { oneHot } from './ops';
import { tf } from './tf';
import { logSoftmaxWithProbs, softmaxCrossEntropy } from './wasm-kernels';

/** One pretraining sequence. `targetMask[i]` (i ≥ 1) = 1 when token i is to be predicted; default all. */
export interface LMExample {
  ids: number[];
  targetMask?: ArrayLike<number>;
}

/** One sampled response with what the policy loss needs. */
export interface Trajectory {
  promptIds: number[];
  responseIds: number[];
  /** Log-probs of the response tokens when sampled (`SampleResult.logProbs`). */
  oldLogProbs: number[];
  /** Allowed sets the tokens were drawn from (`SampleResult.masks`), when constrained or top-k. */
  masks?: Uint8Array[];
  advantage: number;
  /** Log-probs of the response tokens under the reference (starting) model, for the KL penalty. */
  refLogProbs?: number[];
}

export interface PolicyLossOptions {
  /** PPO clip range ε; default 0.2. */
  clipEps?: number;
  /** Entropy bonus coefficient; default 0.001. */
  entropyCoef?: number;
  /** Temperature the responses were sampled at; default 1. */
  temperature?: number;
  /** β of the KL penalty to the reference model (needs the batch's refLogProbs); default 0, none. */
  klCoef?: number;
}

/**
 * A right-padded batch, flattened to B·T positions. Without `rows` (pretraining), the per-position
 * arrays cover all B·T positions; with `rows` (the policy loss), they cover only the positions listed
 * there — the response tokens' — in that order, and only those go through the output head.
 */
export interface PackedBatch {
  B: number;
  T: number;
  /** [B·T] input ids. */
  inputs: Int32Array;
  /** Flattened positions (b·T + t) the loss reads; absent means all B·T. */
  rows?: Int32Array;
  targets: Int32Array;
  /** 1 where the target counts, else 0. */
  weights: Float32Array;
  oldLogProbs?: Float32Array;
  advantages?: Float32Array;
  /** Per loss position, the reference model's log-prob of the target (when every trajectory had them). */
  refLogProbs?: Float32Array;
  /** [positions·V] additive bias: 0 on allowed tokens, −1e9 elsewhere; absent when nothing was masked. */
  maskBias?: Float32Array;
}

function checkIds(ids: number[], V: number, what: string): void {
  for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= V) throw new RangeError(`${what}: token id ${id} is outside the vocabulary (size ${V})`);
}

export function packLM(examples: LMExample[], V: number): PackedBatch {
  const T = Math.max(...examples.map((e) => e.ids.length)) - 1;
  if (T < 1) throw new RangeError('every LM example needs at least two tokens');
  const B = examples.length;
  const batch: PackedBatch = { B, T, inputs: new Int32Array(B * T), targets: new Int32Array(B * T), weights: new Float32Array(B * T) };
  examples.forEach((e, b) => {
    checkIds(e.ids, V, `LM example ${b}`);
    for (let t = 0; t + 1 < e.ids.length; t++) {
      batch.inputs[b * T + t] = e.ids[t];
      batch.targets[b * T + t] = e.ids[t + 1];
      batch.weights[b * T + t] = e.targetMask ? (e.targetMask[t + 1] ? 1 : 0) : 1;
    }
  });
  return batch;
}

export function packPolicy(trajectories: Trajectory[], V: number): PackedBatch {
  const B = trajectories.length;
  const T = Math.max(...trajectories.map((tr) => tr.promptIds.length + tr.responseIds.length)) - 1;
  const M = trajectories.reduce((n, tr) => n + tr.responseIds.length, 0);
  const anyMasks = trajectories.some((tr) => tr.masks);
  const withRef = trajectories.every((tr) => tr.refLogProbs);
  const batch: PackedBatch = {
    B, T,
    inputs: new Int32Array(B * T), rows: new Int32Array(M), targets: new Int32Array(M), weights: new Float32Array(M).fill(1),
    oldLogProbs: new Float32Array(M), advantages: new Float32Array(M),
    maskBias: anyMasks ? new Float32Array(M * V) : undefined,
    refLogProbs: withRef ? new Float32Array(M) : undefined,
  };
  let k = 0;
  trajectories.forEach((tr, b) => {
    const P = tr.promptIds.length;
    const R = tr.responseIds.length;
    if (P === 0) throw new RangeError(`trajectory ${b}: the prompt is empty`);
    if (tr.oldLogProbs.length !== R) throw new RangeError(`trajectory ${b}: ${tr.oldLogProbs.length} old log-probs for ${R} response tokens`);
    if (tr.refLogProbs && tr.refLogProbs.length !== R) throw new RangeError(`trajectory ${b}: ${tr.refLogProbs.length} reference log-probs for ${R} response tokens`);
    if (tr.masks && tr.masks.length !== R) throw new RangeError(`trajectory ${b}: ${tr.masks.length} masks for ${R} response tokens`);
    if (!Number.isFinite(tr.advantage)) throw new RangeError(`trajectory ${b}: advantage ${tr.advantage} is not finite`);
    checkIds(tr.promptIds, V, `trajectory ${b} prompt`);
    checkIds(tr.responseIds, V, `trajectory ${b} response`);
    const ids = [...tr.promptIds, ...tr.responseIds];
    for (let t = 0; t + 1 < ids.length; t++) batch.inputs[b * T + t] = ids[t];
    for (let j = 0; j < R; j++, k++) {
      // Position P − 1 + j predicts response token j.
      batch.rows![k] = b * T + P - 1 + j;
      batch.targets[k] = tr.responseIds[j];
      batch.oldLogProbs![k] = tr.oldLogProbs[j];
      batch.advantages![k] = tr.advantage;
      if (batch.refLogProbs) batch.refLogProbs[k] = tr.refLogProbs![j];
      const mask = tr.masks?.[j];
      if (mask) {
        if (!mask[tr.responseIds[j]]) throw new RangeError(`trajectory ${b}: response token ${j} (id ${tr.responseIds[j]}) is not in its mask`);
        const bias = batch.maskBias!;
        for (let i = 0; i < V; i++) if (!mask[i]) bias[k * V + i] = MASKED;
      }
    }
  });
  return batch;
}

/** A cost per pass so large that the split takes the fewest passes the caps allow. */
export const FEWEST_PASSES = 1e6;

/**
 * Splits sequences into micro-batches of at most `maxTokens` padded positions each. Returns index groups.
 * Attention keeps B·H·T² scores per layer for the backward pass, so long sequences also get fewer rows:
 * at most `maxScores` score entries per head (default `maxTokens · 128`: 8192 positions of 128 tokens, or
 * 2048 of 512). Beyond that the wasm heap runs out ("xnn_create_fully_connected … status 6") on the
 * default model; `microBatchCaps` scales both caps down for wider and deeper models.
 *
 * Within the caps the split minimises padded positions + `groupCost` × micro-batches, where `groupCost`
 * is what one more pass costs, in positions (its kernels' fixed cost; `MICRO_BATCH_COST`). The best split
 * takes runs of the sequences sorted by length (a group's cost is its rows × its longest), so a dynamic
 * programme over that order finds it. A very large `groupCost` (the default) gives the fewest passes the
 * caps allow, and among those the least padding.
 */
export function microBatches(lengths: number[], maxTokens: number, maxScores = maxTokens * 128, groupCost = FEWEST_PASSES): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const n = order.length;
  // best[j]: least cost of the sequences order[j..]; end[j]: where the group that starts at j ends.
  const best = new Float64Array(n + 1);
  const end = new Int32Array(n + 1);
  for (let j = n - 1; j >= 0; j--) {
    const width = lengths[order[j]];
    best[j] = Infinity;
    for (let k = j + 1; k <= n; k++) {
      const rows = k - j;
      if (rows > 1 && (rows * width > maxTokens || rows * width * width > maxScores)) break;
      const cost = rows * width + groupCost + best[k];
      // Ties go to the longer group: fewer passes for the same padding.
      if (cost <= best[j]) { best[j] = cost; end[j] = k; }
    }
  }
  const groups: number[][] = [];
  for (let j = 0; j < n; j = end[j]) groups.push(order.slice(j, end[j]));
  return groups;
}

/**
 * What one more forward and backward pass costs on a backend, in padded positions: its kernels' fixed
 * cost over the cost of a position. Measured with `lmStep` on 32 × 128 (`default`) and 32 × 64 (`tiny`)
 * tokens split into 1 to 32 passes (this machine, one core): wasm 14 ms a pass against 0.54 ms a
 * position (default; 27 positions) and 3.8 against 0.049 (tiny; 77); cpu 15 against 2.1 (tiny; 7).
 * Self-play's sequences are longer than 128, so a position costs more there. On a GPU a pass is
 * hundreds of dispatches and padding is nearly free, so there (and on any backend not listed) the
 * split takes the fewest passes the caps allow. The sampler's prefill splits its prompts the same way.
 */
export const MICRO_BATCH_COST: Readonly<Record<string, number>> = { wasm: 32, cpu: 8 };

/**
 * How much larger than the caps (`microBatchCaps`, set by tfjs-wasm's heap) a pass may be on a backend.
 * On WebGPU a pass is ≈ 380 dispatches (default model) and the GPU has memory to spare: 2× takes a default
 * self-play update from 3 passes to 2 (four steps' lengths, RESULTS pass 13), while a pass's attention
 * scores stay at most 2 M entries per head (32 MB a layer for 4 heads), well inside WebGPU's guaranteed
 * 128 MB per binding.
 */
export const MICRO_BATCH_SCALE: Readonly<Record<string, number>> = { webgpu: 2 };

/** `MICRO_BATCH_SCALE` of a backend (1 where it is not listed). */
export function microBatchScale(backend: string): number {
  return MICRO_BATCH_SCALE[backend] ?? 1;
}

/** `MICRO_BATCH_COST` of a backend, or the fewest passes where it is not listed. */
export function microBatchCost(backend: string): number {
  return MICRO_BATCH_COST[backend] ?? FEWEST_PASSES;
}

/**
 * The micro-batch caps for a model, from the padded positions a pass of the default model may take
 * (`maxTokens`): positions shrink with the width beyond the default's 128 (activations, the MLP's 4×
 * hidden layer), and score entries per head with the heads × layers beyond the default's 16, so that
 * a pass of any model keeps about as much as a default one. (`small` at 8192 × 128 scores per head
 * grew tfjs-wasm's heap to its 4 GB limit in one self-play update: "memory access out of bounds".)
 * Models no larger than the default keep the caps as given, so their steps are unchanged.
 */
export function microBatchCaps(config: Pick<GPTConfig, 'dModel' | 'nHead' | 'nLayer'>, maxTokens: number): { maxTokens: number; maxScores: number } {
  return {
    maxTokens: Math.max(1, Math.floor(maxTokens * Math.min(1, 128 / config.dModel))),
    maxScores: Math.max(1, Math.floor(maxTokens * 128 * Math.min(1, 16 / (config.nHead * config.nLayer)))),
  };
}

type Save = (tensors: tf.Tensor[]) => void;
type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/**
 * Log-probabilities of every token [B·T, V] under the distribution the tokens were drawn from:
 * logits / temperature, restricted to the recorded allowed sets (mask bias) when there are any.
 */
function samplingLogProbs(logits: tf.Tensor2D, batch: PackedBatch, temperature: number): tf.Tensor2D {
  return tf.logSoftmax(samplingLogits(logits, batch, temperature)) as tf.Tensor2D;
}

function samplingLogits(logits: tf.Tensor2D, batch: PackedBatch, temperature: number): tf.Tensor2D {
  let z: tf.Tensor2D = temperature === 1 ? logits : tf.div(logits, temperature);
  if (batch.maskBias) z = tf.add(z, tf.tensor2d(batch.maskBias, logits.shape));
  return z;
}

/** [log-probs, probs] of `samplingLogProbs`: one kernel on wasm (./wasm-kernels), else log-softmax and exp. */
function samplingDistribution(logits: tf.Tensor2D, batch: PackedBatch, temperature: number): [tf.Tensor2D, tf.Tensor2D] {
  const z = samplingLogits(logits, batch, temperature);
  const fused = logSoftmaxWithProbs(z);
  if (fused) return fused;
  const logp = tf.logSoftmax(z) as tf.Tensor2D;
  return [logp, tf.exp(logp)];
}

function targetsOneHot(batch: PackedBatch, V: number): tf.Tensor2D {
  return oneHot(tf.tensor1d(batch.targets, 'int32'), V);
}

/**
 * Log-probs of the targets, one per loss position ([B·T], or [rows] for a policy batch), under the policy
 * loss's distribution (inference). Call inside a tidy.
 */
export function targetLogProbs(model: GPT, batch: PackedBatch, temperature = 1): tf.Tensor1D {
  const { logits } = model.forward(tf.tensor2d(batch.inputs, [batch.B, batch.T], 'int32'), { rows: batch.rows });
  return tf.sum(tf.mul(samplingLogProbs(logits, batch, temperature), targetsOneHot(batch, model.config.vocabSize)), -1);
}

/**
 * `scale` × the summed cross-entropy of the marked targets. Its gradient is written out
 * (softmax − one-hot), like every op on the training path. Call inside a gradient function.
 */
export function crossEntropyLoss(model: GPT, batch: PackedBatch, scale: number, train = true): tf.Scalar {
  const { logits } = model.forward(tf.tensor2d(batch.inputs, [batch.B, batch.T], 'int32'), { train });
  return crossEntropyFromLogits(logits, batch, scale);
}

/** The cross-entropy part of `crossEntropyLoss`, on logits [B·T, V]. */
export function crossEntropyFromLogits(logits: tf.Tensor2D, batch: PackedBatch, scale: number): tf.Scalar {
  const V = logits.shape[1];
  const op = tf.customGrad(((z: tf.Tensor2D, save: Save) => {
    // On wasm, one kernel gives the loss and its whole gradient (./wasm-kernels); the backward scales it.
    const targets = tf.tensor1d(batch.targets, 'int32');
    const weights = tf.tensor1d(batch.weights);
    const fused = softmaxCrossEntropy(z, targets, weights, scale);
    if (fused) {
      const [loss, grad] = fused;
      save([grad]);
      return { value: loss, gradFunc: (dy: tf.Tensor, [g]: tf.Tensor[]) => [tf.mul(g, dy)] };
    }
    const logp = tf.logSoftmax(z);
    const onehot = oneHot(targets, V);
    const w = tf.reshape(weights, [-1, 1]);
    save([tf.exp(logp), onehot, w]);
    return {
      value: tf.mul(tf.sum(tf.mul(tf.mul(logp, onehot), w)), -scale),
      gradFunc: (dy: tf.Tensor, [p, oh, sw]: tf.Tensor[]) => [tf.mul(tf.mul(tf.sub(p, oh), sw), tf.mul(dy, scale))],
    };
  }) as unknown as CustomGradFn);
  return op(logits) as tf.Scalar;
}

/** Token-level sums over the response tokens, for the step's metrics. */
export interface PolicyStats {
  pg: tf.Scalar;
  entropy: tf.Scalar;
  clipped: tf.Scalar;
  approxKl: tf.Scalar;
  /** Σ of the k3 estimate of KL(policy ‖ reference) per token; 0 without reference log-probs. */
  refKl: tf.Scalar;
}

/**
 * `scale` × Σ over response tokens of [clipped surrogate − entropyCoef · entropy]: the caller passes
 * scale = 1 / (response tokens in the whole batch), a token-level mean — every token weighs the same,
 * so a long response counts more than a short one (REINFORCE++'s token-level aggregation, as in the
 * reference). Its gradient with respect to the logits is written out below. Call inside a gradient
 * function; the metrics' sums are returned in `stats` (kept tensors: the caller disposes them).
 */
export function policyLoss(model: GPT, batch: PackedBatch, scale: number, options: PolicyLossOptions = {}): { loss: tf.Scalar; stats: PolicyStats } {
  // No dropout: the sampler ran without it, so before any update the ratio is exactly 1. Only response
  // positions (batch.rows) go through the head: prompts carry no loss.
  const { logits } = model.forward(tf.tensor2d(batch.inputs, [batch.B, batch.T], 'int32'), { rows: batch.rows });
  return policyLossFromLogits(logits, batch, scale, options);
}

/** The loss part of `policyLoss`, on logits [positions, V] (one row per entry of the batch's per-position arrays). */
export function policyLossFromLogits(logits: tf.Tensor2D, batch: PackedBatch, scale: number, options: PolicyLossOptions = {}): { loss: tf.Scalar; stats: PolicyStats } {
  const eps = options.clipEps ?? 0.2;
  const entropyCoef = options.entropyCoef ?? 0.001;
  const temperature = options.temperature ?? 1;
  const klCoef = options.klCoef ?? 0;
  if (!batch.oldLogProbs || !batch.advantages) throw new Error('policyLoss needs a batch from packPolicy');
  if (klCoef > 0 && !batch.refLogProbs) throw new Error('policyLoss: klCoef > 0 needs reference log-probs on every trajectory');
  const V = logits.shape[1];
  let stats: PolicyStats | undefined;
  const op = tf.customGrad(((logitsIn: tf.Tensor2D, save: Save) => {
    // Log-probs, ratio and entropy are all taken on the distribution the tokens were SAMPLED from:
    // logits / temperature, masked to the allowed set (constraint ∧ top-k) when the sampler recorded one.
    const [logpAll, p] = samplingDistribution(logitsIn, batch, temperature);
    const onehot = targetsOneHot(batch, V);
    const w = tf.tensor1d(batch.weights);
    const adv = tf.tensor1d(batch.advantages!);
    const logp = tf.sum(tf.mul(logpAll, onehot), -1);
    // Clamped so that an extreme log-ratio (or a padding position) cannot overflow to inf · 0 = NaN.
    const rawLogRatio = tf.sub(logp, tf.tensor1d(batch.oldLogProbs!));
    const logRatio = tf.clipByValue(rawLogRatio, -20, 20);
    const ratio = tf.exp(logRatio);
    const unclipped = tf.mul(tf.neg(adv), ratio);
    const clipped = tf.mul(tf.neg(adv), tf.clipByValue(ratio, 1 - eps, 1 + eps));
    const pgTokens = tf.maximum(unclipped, clipped);
    // Masked tokens have p = 0 and log p ≈ −1e9 (finite), so they add exactly 0 here.
    const entropyTokens = tf.neg(tf.sum(tf.mul(p, logpAll), -1));
    // KL penalty to the reference, per token the k3 estimator (Schulman): with d = log p_ref − log p,
    // k3 = e^d − d − 1 ≥ 0, unbiased for KL(policy ‖ ref) under the policy's samples; dk3/dlog p = 1 − e^d.
    // Without reference log-probs (the paper's loss) none of this runs.
    let refKl = tf.scalar(0);
    let dKlDLogp: tf.Tensor | undefined;
    if (batch.refLogProbs) {
      const refDelta = tf.clipByValue(tf.sub(tf.tensor1d(batch.refLogProbs), logp), -20, 20);
      const expDelta = tf.exp(refDelta);
      refKl = tf.sum(tf.mul(tf.sub(tf.sub(expDelta, refDelta), 1), w)) as tf.Scalar;
      dKlDLogp = tf.mul(tf.sub(1, expDelta), w);
    }
    const pg = tf.sum(tf.mul(pgTokens, w)) as tf.Scalar;
    const entropy = tf.sum(tf.mul(entropyTokens, w)) as tf.Scalar;
    stats = {
      pg: tf.keep(pg),
      entropy: tf.keep(entropy),
      clipped: tf.keep(tf.sum(tf.mul(tf.cast(tf.greater(clipped, unclipped), 'float32'), w))),
      approxKl: tf.keep(tf.sum(tf.mul(tf.neg(logRatio), w))),
      refKl: tf.keep(refKl),
    };
    // d pgToken / d log p: −A·ratio where the unclipped branch is the active one (and the clamp is not), else 0.
    const active = tf.logicalAnd(tf.greaterEqual(unclipped, clipped), tf.less(tf.abs(rawLogRatio), 20));
    let dPgDLogp = tf.mul(tf.mul(unclipped, tf.cast(active, 'float32')), w);
    if (klCoef > 0 && dKlDLogp) dPgDLogp = tf.add(dPgDLogp, tf.mul(dKlDLogp, klCoef));
    save([p, logpAll, onehot, tf.reshape(dPgDLogp, [-1, 1]), tf.reshape(entropyTokens, [-1, 1]), tf.reshape(w, [-1, 1])]);
    return {
      value: tf.mul(klCoef > 0 ? tf.add(tf.sub(pg, tf.mul(entropy, entropyCoef)), tf.mul(refKl, klCoef)) : tf.sub(pg, tf.mul(entropy, entropyCoef)), scale),
      // d log p_t / dz = onehot − p;  d H / dz_j = −p_j (log p_j + H).
      gradFunc: (dy: tf.Tensor, [sp, slogp, soh, sg, sh, sw]: tf.Tensor[]) => {
        const dz = tf.add(
          tf.mul(sg, tf.sub(soh, sp)),
          tf.mul(tf.mul(sp, tf.add(slogp, sh)), tf.mul(sw, entropyCoef)),
        );
        return [tf.mul(dz, tf.mul(dy, scale / temperature))];
      },
    };
  }) as unknown as CustomGradFn);
  const loss = op(logits) as tf.Scalar;
  return { loss, stats: stats! };
}
