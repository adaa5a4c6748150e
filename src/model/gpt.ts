// A GPT-style decoder in the spirit of nanoGPT's model.py: config at the top, one readable forward pass.
// Pre-norm blocks, causal self-attention, learned positions, GELU MLP, no biases in the linear layers
// (nanoGPT notes they are slightly better and faster without; fewer kernels also matters on wasm).
//
// The output head is TIED to the token embedding (logits = h · wteᵀ), as in GPT-2/nanoGPT: with a
// vocabulary of a few hundred tokens the saving is small (≈ 6 % of the default model), but it gives every
// token's embedding a gradient at every position — rare tokens would otherwise learn their input and
// output vectors separately from few examples — and one fewer matrix to keep, save and move.
//
// Everything is laid out for the wasm backend's fast paths (../shared/BROWSER.md): activations stay 2-D
// [B·T, d] (logits too: [B·T, V]), q/k/v come from one fused projection through `split` (never
// `unstack`), attention runs as 2-D blocks on wasm (./attention), and every op on the training path has a
// hand-written gradient made of plain matmuls (./ops) — which also means no tfjs gradient registry is
// needed, so the same code trains in Node and in the browser.
import { tf } from './tf';
import { attendWithCache, cacheOf, selfAttention, type LayerCache } from './attention';
import { add, addPositions, dropout, embed, embedAt, fusedDecodeStep, gelu, layerNorm, layerNormMatmul, layerNormMatmulTransposed, matmul, matmulAdd, matmulTransposed, mlpResidual, selectRows } from './ops';
import { Rng } from './rng';
import { isJoinedCache, type JoinedCache, releaseDecodePacks, splitJoinedCache } from './webgpu-kernels';

export interface GPTConfig {
  vocabSize: number;
  /** Longest sequence (prompt + response) the learned position table covers. */
  contextLength: number;
  nLayer: number;
  nHead: number;
  dModel: number;
  /** Width of the MLP's hidden layer (4·dModel in GPT-2). */
  dFF: number;
  /**
   * Dropout on the embeddings and the residual branches, in pretraining steps only. The policy-gradient
   * step never uses it: its ratio compares against log-probs sampled without dropout.
   */
  dropout: number;
}

export type PresetName = 'tiny' | 'default' | 'small' | 'medium';

/**
 * Parameters with the 404-token vocabulary of tokenizer v1: `tiny` 46 k (unit tests, e2e); `default`
 * 0.91 M, sized so one self-play step stays well under a minute on this machine's wasm backend; `small`
 * 5.0 M and `medium` 25.9 M for WebGPU on a real GPU.
 */
export const PRESETS: Readonly<Record<PresetName, Omit<GPTConfig, 'vocabSize'>>> = {
  tiny: { contextLength: 256, nLayer: 2, nHead: 2, dModel: 32, dFF: 128, dropout: 0 },
  default: { contextLength: 512, nLayer: 4, nHead: 4, dModel: 128, dFF: 512, dropout: 0 },
  small: { contextLength: 512, nLayer: 6, nHead: 8, dModel: 256, dFF: 1024, dropout: 0 },
  medium: { contextLength: 1024, nLayer: 8, nHead: 8, dModel: 512, dFF: 2048, dropout: 0 },
};

export function makeConfig(preset: PresetName, vocabSize: number, overrides: Partial<GPTConfig> = {}): GPTConfig {
  const config = { ...PRESETS[preset], vocabSize, ...overrides };
  validateConfig(config);
  return config;
}

export function validateConfig(c: GPTConfig): void {
  for (const key of ['vocabSize', 'contextLength', 'nLayer', 'nHead', 'dModel', 'dFF'] as const) {
    if (!Number.isInteger(c[key]) || c[key] <= 0) throw new RangeError(`GPTConfig.${key} must be a positive integer, got ${c[key]}`);
  }
  if (c.dModel % c.nHead !== 0) throw new RangeError(`GPTConfig.dModel (${c.dModel}) must be divisible by nHead (${c.nHead})`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new RangeError(`GPTConfig.dropout must be in [0, 1), got ${c.dropout}`);
}

/** Every parameter's stable name and shape, in a fixed order (the checkpoint's order too). */
export function parameterShapes(c: GPTConfig): Array<[string, number[]]> {
  const { vocabSize: V, contextLength: T, dModel: d, dFF: f } = c;
  const shapes: Array<[string, number[]]> = [['wte', [V, d]], ['wpe', [T, d]]];
  for (let i = 0; i < c.nLayer; i++) {
    shapes.push(
      [`h.${i}.ln1.g`, [d]], [`h.${i}.ln1.b`, [d]],
      [`h.${i}.attn.wqkv`, [d, 3 * d]], [`h.${i}.attn.wo`, [d, d]],
      [`h.${i}.ln2.g`, [d]], [`h.${i}.ln2.b`, [d]],
      [`h.${i}.mlp.w1`, [d, f]], [`h.${i}.mlp.w2`, [f, d]],
    );
  }
  shapes.push(['lnf.g', [d]], ['lnf.b', [d]]);
  return shapes;
}

export function parameterCount(c: GPTConfig): number {
  return parameterShapes(c).reduce((n, [, shape]) => n + shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * The keys and values of the positions seen so far: per layer (see ./attention), or after a fused WebGPU
 * decode step every layer's in one tensor (./webgpu-kernels JoinedCache).
 */
export type KVCache = LayerCache[] | JoinedCache;

export interface ForwardOptions {
  /** Position of each token [B, T] (int32); default 0…T−1 in every row. */
  positions?: tf.Tensor2D;
  /**
   * Additive attention bias [1 or B, 1, T, Tk] (0 = attend, −1e9 = masked); default causal. Required with
   * `past` or `positions` (the sampler's left padding).
   */
  attnBias?: tf.Tensor4D;
  /** Keys and values of earlier positions: the new tokens attend to them and then to themselves. */
  past?: KVCache;
  /** Also return this call's keys and values (appended to `past`). */
  returnCache?: boolean;
  /** Logits of each sequence's last position only ([B, V]); inference only. */
  lastOnly?: boolean;
  /**
   * Logits of these flattened positions only (row b·T + t, distinct): [rows.length, V]. The policy loss
   * needs only response positions, so the head and the loss skip the prompts.
   */
  rows?: Int32Array;
  /** Applies dropout (pretraining only). */
  train?: boolean;
}

export interface ForwardResult {
  /** [B·T, V] (row b·T + t is sequence b, position t), [B, V] with `lastOnly`, [rows, V] with `rows`. */
  logits: tf.Tensor2D;
  cache?: KVCache;
}

export const MASKED = -1e9;

/**
 * The causal masks of the last few lengths, most recent last. A self-play update's passes have lengths of
 * their own, so over a run nearly every length up to the context length comes by: keeping them all held
 * Σ 4T² bytes, ≈ 180 MB of JS heap for the default model's 512 (bench/RESULTS.md pass 16), for a mask
 * that takes well under a millisecond to fill.
 */
const causalBiasCache = new Map<number, Float32Array>();
const CAUSAL_BIASES_KEPT = 4;
export function causalBias(T: number): tf.Tensor4D {
  let bias = causalBiasCache.get(T);
  if (bias) causalBiasCache.delete(T);
  else {
    bias = new Float32Array(T * T);
    for (let i = 0; i < T; i++) bias.fill(MASKED, i * T + i + 1, (i + 1) * T);
    if (causalBiasCache.size >= CAUSAL_BIASES_KEPT) causalBiasCache.delete(causalBiasCache.keys().next().value!);
  }
  causalBiasCache.set(T, bias);
  return tf.tensor4d(bias, [1, 1, T, T]);
}

/** The lengths whose causal masks are kept, least recent first. */
export function causalBiasLengths(): number[] {
  return [...causalBiasCache.keys()];
}

let nextInstance = 0;

export class GPT {
  readonly config: GPTConfig;
  /** The weights by stable name (see `parameterShapes`). tfjs variable names carry an instance prefix. */
  readonly params: ReadonlyMap<string, tf.Variable>;
  private readonly instance = nextInstance++;
  private dropoutSeed = 0;

  /** Weights drawn from a seeded JS generator, so a seed gives the same model on every backend. */
  constructor(config: GPTConfig, seed = 0) {
    validateConfig(config);
    this.config = { ...config };
    const rng = new Rng(seed);
    const residualStd = 0.02 / Math.sqrt(2 * config.nLayer); // nanoGPT's scaled init of residual projections
    const params = new Map<string, tf.Variable>();
    for (const [name, shape] of parameterShapes(config)) {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(size);
      if (name.endsWith('.g')) values.fill(1);
      else if (!name.endsWith('.b')) {
        const std = name.endsWith('attn.wo') || name.endsWith('mlp.w2') ? residualStd : 0.02;
        for (let i = 0; i < size; i++) values[i] = rng.normal() * std;
      }
      params.set(name, tf.tidy(() => tf.variable(tf.tensor(values, shape), true, `gpt${this.instance}/${name}`)));
    }
    this.params = params;
  }

  param(name: string): tf.Variable {
    const p = this.params.get(name);
    if (!p) throw new Error(`no parameter named ${name}`);
    return p;
  }

  variables(): tf.Variable[] {
    return [...this.params.values()];
  }

  parameterCount(): number {
    return parameterCount(this.config);
  }

  /**
   * Call inside `tf.tidy` (or dispose the result's tensors). `ids`: [B, T] int32. Every op on the training
   * path carries its own gradient (./ops, ./attention).
   */
  forward(ids: tf.Tensor2D, o: ForwardOptions = {}): ForwardResult {
    const { nHead: H, dModel: d, contextLength } = this.config;
    const [B, T] = ids.shape;
    const p = (name: string) => this.param(name) as tf.Tensor as tf.Tensor2D;
    const p1 = (name: string) => this.param(name) as tf.Tensor as tf.Tensor1D;
    const rate = o.train ? this.config.dropout : 0;
    const drop = (x: tf.Tensor2D) => dropout(x, rate, this.dropoutSeed++);

    // A decode step (one new position per row, never trained through) may gather both embeddings in one
    // kernel, fuse each LayerNorm into the projection that follows it and run each MLP as one kernel
    // (./ops embedAt, layerNormMatmul, mlpResidual, layerNormMatmulTransposed).
    const decoding = o.past !== undefined && rate === 0;
    // With positions given (sampling): each row's tokens and positions, flat.
    const flat = o.positions ? [tf.reshape(ids, [B * T]) as tf.Tensor1D, tf.reshape(o.positions, [B * T]) as tf.Tensor1D] : undefined;
    if (decoding && T === 1 && flat && o.attnBias && !o.rows) {
      // On WebGPU the whole step is one chain of fused kernels, 3 dispatches a block.
      const step = fusedDecodeStep((name) => this.param(name), { nLayer: this.config.nLayer, nHead: H, maxKeys: contextLength },
        flat[0], flat[1], o.attnBias, o.past!);
      if (step) return { logits: step.logits, cache: o.returnCache ? step.cache : undefined };
    }
    // A joined cache on a step the fused chain declined (the kernels switched off mid-sampling): per layer.
    const past = o.past && isJoinedCache(o.past) ? splitJoinedCache(o.past, this.config.nLayer, H, d) : o.past;
    let x: tf.Tensor2D;
    if (flat) {
      const [tokens, positions] = flat;
      x = decoding ? embedAt(p('wte'), tokens, p('wpe'), positions) : add(embed(p('wte'), tokens), embed(p('wpe'), positions));
    } else {
      if (T > contextLength) throw new RangeError(`sequence length ${T} exceeds contextLength ${contextLength}`);
      x = addPositions(embed(p('wte'), tf.reshape(ids, [B * T])), p('wpe'), B, T);
    }
    x = drop(x);
    if ((o.past || o.positions) && !o.attnBias) throw new Error('forward: attnBias is required with past or positions');
    const bias = o.attnBias ?? causalBias(T);
    const cache: LayerCache[] = [];

    for (let l = 0; l < this.config.nLayer; l++) {
      const qkv = decoding
        ? layerNormMatmul(x, p1(`h.${l}.ln1.g`), p1(`h.${l}.ln1.b`), p(`h.${l}.attn.wqkv`))
        : matmul(layerNorm(x, p1(`h.${l}.ln1.g`), p1(`h.${l}.ln1.b`)), p(`h.${l}.attn.wqkv`));
      let y: tf.Tensor2D;
      if (past) {
        const r = attendWithCache(qkv, B, H, bias, past[l], contextLength);
        y = r.y;
        cache.push(r.cache);
      } else {
        y = selfAttention(qkv, B, H, bias);
        if (o.returnCache) cache.push(cacheOf(qkv, B, H));
      }
      // Without dropout the residual add rides in the projection's matmul (one dispatch on WebGPU).
      x = rate === 0 ? matmulAdd(y, p(`h.${l}.attn.wo`), x) : add(x, drop(matmul(y, p(`h.${l}.attn.wo`))));
      if (decoding) {
        x = mlpResidual(x, p1(`h.${l}.ln2.g`), p1(`h.${l}.ln2.b`), p(`h.${l}.mlp.w1`), p(`h.${l}.mlp.w2`));
        continue;
      }
      const h = layerNorm(x, p1(`h.${l}.ln2.g`), p1(`h.${l}.ln2.b`));
      const hidden = gelu(matmul(h, p(`h.${l}.mlp.w1`)));
      x = rate === 0 ? matmulAdd(hidden, p(`h.${l}.mlp.w2`), x) : add(x, drop(matmul(hidden, p(`h.${l}.mlp.w2`))));
    }

    // A decode step has one position per row: the last is the only one, and the final LayerNorm rides in
    // the logits' projection.
    if (decoding && T === 1 && !o.rows) {
      return { logits: layerNormMatmulTransposed(x, p1('lnf.g'), p1('lnf.b'), p('wte')), cache: o.returnCache ? cache : undefined };
    }
    x = layerNorm(x, p1('lnf.g'), p1('lnf.b'));
    if (o.lastOnly) x = tf.reshape(tf.slice(tf.reshape(x, [B, T, d]), [0, T - 1, 0], [B, 1, d]), [B, d]);
    else if (o.rows) x = selectRows(x, o.rows);
    return { logits: matmulTransposed(x, p('wte')), cache: o.returnCache ? cache : undefined };
  }

  dispose(): void {
    releaseDecodePacks(this.param('wte'));
    for (const v of this.params.values()) v.dispose();
  }
}

/** The tensors a cache holds. */
export function cacheTensors(cache: KVCache | undefined): tf.Tensor[] {
  if (!cache) return [];
  return isJoinedCache(cache) ? [cache.kv] : cache.flatMap((layer) => [layer.kT, layer.v]);
}

export function disposeCache(cache: KVCache | undefined): void {
  tf.dispose(cacheTensors(cache));
}
