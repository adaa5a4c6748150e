// Batched autoregressive sampling with a KV cache.
//
// Prompts of different lengths are LEFT-padded to a common length; each row's positions start at 0 at
// its first real token and an attention bias hides its padding, so a row's logits equal those of the
// same sequence run alone. After one prefill pass, every live row decodes one token per step against the
// cached keys and values. Finished rows are dropped from the cache once at least half the rows have
// finished (finished rows still in the cache are fed a dummy token and ignored).
//
// Tokens are drawn on the CPU from the last position's logits, read back each step: the rows × vocabulary
// floats are small, a read-back is needed every step anyway (the grammar constraint must see each token
// before masking the next one), and one JS generator makes the draws reproducible on every backend.
import type { LayerCache } from './attention';
import type { DecodeConstraint } from './constraint';
import { GPT, MASKED, cacheTensors, disposeCache, type KVCache } from './gpt';
import { microBatchCost, microBatches, microBatchScale } from './loss';
import { Rng } from './rng';
import { tf } from './tf';
import { gatherRows } from './wasm-kernels';
import { isJoinedCache } from './webgpu-kernels';

export interface SampleRequest {
  /** Prompt token ids (at least one). */
  prompt: number[];
  /** Grammar constraint for this response; it is advanced with every sampled token. */
  constraint?: DecodeConstraint;
  /** This response's length cap, in place of `SampleOptions.maxNewTokens`. */
  maxNewTokens?: number;
  /** This response's temperature, in place of `SampleOptions.temperature`. */
  temperature?: number;
}

export interface SampleOptions {
  /**
   * Length cap on each response (further capped by the model's context length), unless its request has
   * its own. Requests of different caps and temperatures share one call, so a phase of self-play decodes
   * as one batch: its sequential decode steps are the longest cap's, not the sum over caps.
   */
  maxNewTokens: number;
  /** A response ends after this token (which is included in it). */
  endToken: number;
  /** Logits are divided by it before sampling, unless its request has its own; default 1. */
  temperature?: number;
  /** Keep only the k most likely allowed tokens; 0 (default) keeps all. */
  topK?: number;
  /** Take the most likely allowed token instead of sampling. */
  greedy?: boolean;
  /** Seed of the generator that draws the tokens; same seed, same samples on one backend. Default 0. */
  seed?: number;
  /** Decode against cached keys and values (default) or recompute the whole prefix at every step. */
  kvCache?: boolean;
  /** Padded prompt positions per prefill pass (rows are prefilled in chunks): bounds memory. Default 8192 (16,384 on WebGPU). */
  maxPrefillTokens?: number;
}

export interface SampleResult {
  /** Response token ids, the end token included when one was sampled. */
  tokens: number[];
  /**
   * Log-probability of each token under the distribution it was drawn from: logits / temperature,
   * restricted to the allowed set (`masks`) and renormalised. The loss recomputes exactly this.
   */
  logProbs: number[];
  /**
   * The allowed set at each step (1 = allowed): the constraint's mask, narrowed by top-k. Present when a
   * constraint or top-k was in force, so the loss can re-apply it; absent means every token was allowed.
   */
  masks?: Uint8Array[];
  /** 'end': end token sampled or constraint done; 'length': the length cap was reached. */
  stop: 'end' | 'length';
}

interface Row {
  request: number;
  pad: number;
  cap: number;
  temperature: number;
  done: boolean;
  result: SampleResult;
  mask: Uint8Array | null;
}

export async function sample(model: GPT, requests: SampleRequest[], options: SampleOptions): Promise<SampleResult[]> {
  const { vocabSize: V, contextLength } = model.config;
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  const useCache = options.kvCache ?? true;
  const checkTemperature = (t: number) => { if (!(t > 0)) throw new RangeError(`temperature must be > 0, got ${t}`); };
  const checkCap = (n: number) => { if (!Number.isInteger(n) || n < 1) throw new RangeError(`maxNewTokens must be a positive integer, got ${n}`); };
  checkTemperature(temperature);
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`topK must be a non-negative integer, got ${topK}`);
  checkCap(options.maxNewTokens);
  if (requests.length === 0) return [];
  const rng = new Rng(options.seed ?? 0);
  const recordMasks = topK > 0 && topK < V;
  const promptLength = Math.max(...requests.map((r) => r.prompt.length));

  const rows: Row[] = requests.map((r, i) => {
    if (r.prompt.length === 0) throw new RangeError(`request ${i}: the prompt is empty`);
    if (r.prompt.length >= contextLength) throw new RangeError(`request ${i}: prompt of ${r.prompt.length} tokens leaves no room in contextLength ${contextLength}`);
    for (const id of r.prompt) if (!Number.isInteger(id) || id < 0 || id >= V) throw new RangeError(`request ${i}: token id ${id} is outside the vocabulary (size ${V})`);
    if (r.maxNewTokens !== undefined) checkCap(r.maxNewTokens);
    if (r.temperature !== undefined) checkTemperature(r.temperature);
    return {
      request: i,
      pad: promptLength - r.prompt.length,
      cap: Math.min(r.maxNewTokens ?? options.maxNewTokens, contextLength - r.prompt.length),
      temperature: r.temperature ?? temperature,
      done: false,
      result: { tokens: [], logProbs: [], masks: r.constraint || recordMasks ? [] : undefined, stop: 'length' },
      mask: r.constraint ? new Uint8Array(V) : null,
    };
  });

  // Left-padded token ids of the live rows so far; the no-cache path re-reads all of them every step.
  let live = rows;
  let ids = live.map((row) => [...new Array<number>(row.pad).fill(0), ...requests[row.request].prompt]);
  const picker = new Picker(V, topK, options.greedy ?? false, rng);
  let cache: KVCache | undefined;
  // WebGPU takes larger passes (`microBatchScale`): a default propose phase's prompts then prefill in one
  // pass, with no caches to pad, join and reorder.
  const prefillTokens = options.maxPrefillTokens ?? 8192 * microBatchScale(tf.getBackend());
  let logits = prefill(model, live, ids, useCache, prefillTokens);
  try {
    for (let step = 0; ; step++) {
      cache = logits.cache;
      const values = await logits.logits.data() as Float32Array;
      logits.logits.dispose();
      for (let r = 0; r < live.length; r++) {
        const row = live[r];
        if (row.done) continue;
        const constraint = requests[row.request].constraint;
        if (constraint && row.mask) {
          row.mask.fill(0);
          constraint.allowed(row.mask);
        }
        const { token, logProb, allowed } = picker.pick(values, r * V, row.temperature, row.mask, row.request);
        row.result.tokens.push(token);
        row.result.logProbs.push(logProb);
        row.result.masks?.push(allowed);
        constraint?.advance(token);
        ids[r].push(token);
        if (token === options.endToken || constraint?.done) {
          row.done = true;
          row.result.stop = 'end';
        } else if (row.result.tokens.length >= row.cap) {
          row.done = true;
        }
      }
      const remaining = live.filter((row) => !row.done).length;
      if (remaining === 0) break;
      // Dropping finished rows from the cache costs one copy of the rows kept (a block copy per row on
      // wasm); every later step then skips the finished rows' projections and attention. Measured on the
      // default model's self-play, it pays once an eighth of the rows are finished and a few steps may remain.
      const dead = live.length - remaining;
      const stepsLeft = Math.max(...live.map((row) => (row.done ? 0 : row.cap - row.result.tokens.length)));
      if (!useCache || (8 * dead >= live.length && stepsLeft >= 4)) {
        const keep = live.flatMap((row, r) => (row.done ? [] : [r]));
        if (cache) {
          const compacted = compactCache(cache, keep, model.config.nHead);
          disposeCache(cache);
          cache = compacted;
        }
        live = keep.map((r) => live[r]);
        ids = keep.map((r) => ids[r]);
      }
      logits = cache ? runModel(model, live, ids, cache, true, promptLength + step + 1) : prefill(model, live, ids, false, prefillTokens);
      disposeCache(cache);
      cache = undefined;
    }
  } finally {
    disposeCache(cache);
    if (!logits.logits.isDisposed) {
      logits.logits.dispose();
      disposeCache(logits.cache);
    }
  }
  return rows.map((row) => row.result);
}

interface ModelStep {
  logits: tf.Tensor2D;
  cache?: KVCache;
}

/**
 * The whole padded prefix of every row, in chunks of rows (bounding the memory of the attention
 * matrices, as training's micro-batches do); the chunks' logits and caches are joined. With a cache, the
 * chunks are groups of rows of similar prompt length (`microBatches`: least padded positions + a cost per
 * pass), each padded only to its own longest prompt; a group's cache is then left-padded with zeros to
 * the common length (columns every later step's bias masks, since they lie in the row's padding) and the
 * rows are put back in their order, so the logits and every later step are those of one padded pass.
 */
function prefill(model: GPT, live: Row[], ids: number[][], useCache: boolean, maxTokens: number): ModelStep {
  const L = ids[0].length;
  if (useCache) {
    // Rows with the same prompt (a solve phase's n samples of each task) share one pass: the distinct
    // prompts are prefilled, then their logits and caches copied to every row that has them. The rows'
    // draws stay their own; the same prompt has the same padding, so each row's logits are what its own
    // pass would give.
    const distinct = new Map<string, number>();
    const source = ids.map((row, r) => {
      const key = row.join(',');
      if (!distinct.has(key)) distinct.set(key, r);
      return distinct.get(key)!;
    });
    if (distinct.size < live.length) {
      const firsts = [...distinct.values()];
      const slot = new Map(firsts.map((r, i) => [r, i]));
      const index = source.map((r) => slot.get(r)!);
      const part = prefill(model, firsts.map((r) => live[r]), firsts.map((r) => ids[r]), true, maxTokens);
      const logits = tf.tidy(() => gatherRows(part.logits, tf.tensor1d(index, 'int32')));
      const cache = compactCache(part.cache!, index, model.config.nHead);
      part.logits.dispose();
      disposeCache(part.cache);
      return { logits, cache };
    }
    const groups = microBatches(live.map((row) => L - row.pad), maxTokens, Infinity, microBatchCost(tf.getBackend()));
    if (groups.length === 1) return runModel(model, live, ids, undefined, true);
    const parts = groups.map((group) => {
      const width = Math.max(...group.map((r) => L - live[r].pad));
      const shift = L - width;
      const part = runModel(model, group.map((r) => ({ ...live[r], pad: live[r].pad - shift })), group.map((r) => ids[r].slice(shift)), undefined, true);
      if (shift === 0) return part;
      const cache = pairs(tf.tidy(() => layersOf(part.cache).flatMap((c) => [
        tf.pad(c.kT, [[0, 0], [0, 0], [shift, 0]]), tf.pad(c.v, [[0, 0], [shift, 0], [0, 0]]),
      ])));
      disposeCache(part.cache);
      return { logits: part.logits, cache };
    });
    // Row r of the batch is row `order.indexOf(r)` of the groups joined.
    const order = groups.flat();
    const back = new Array<number>(order.length);
    order.forEach((r, i) => { back[r] = i; });
    const joined = joinParts(parts, true);
    const logits = tf.tidy(() => gatherRows(joined.logits, tf.tensor1d(back, 'int32')));
    const cache = compactCache(joined.cache!, back, model.config.nHead);
    joined.logits.dispose();
    disposeCache(joined.cache);
    return { logits: logits as tf.Tensor2D, cache };
  }
  const rowsPerChunk = Math.max(1, Math.floor(maxTokens / L));
  if (live.length <= rowsPerChunk) return runModel(model, live, ids, undefined, false);
  const parts: ModelStep[] = [];
  for (let i = 0; i < live.length; i += rowsPerChunk) {
    parts.push(runModel(model, live.slice(i, i + rowsPerChunk), ids.slice(i, i + rowsPerChunk), undefined, false));
  }
  return joinParts(parts, false);
}

/** The parts' logits and (with a cache) caches concatenated by row; the parts are disposed. */
function joinParts(parts: ModelStep[], useCache: boolean): ModelStep {
  const joined: ModelStep = {
    logits: tf.concat(parts.map((p) => p.logits), 0),
    cache: useCache ? layersOf(parts[0].cache).map((_, l) => ({
      kT: tf.concat(parts.map((p) => layersOf(p.cache)[l].kT), 0),
      v: tf.concat(parts.map((p) => layersOf(p.cache)[l].v), 0),
    })) : undefined,
  };
  for (const p of parts) {
    p.logits.dispose();
    disposeCache(p.cache);
  }
  return joined;
}

/**
 * Prefill (no cache yet, or no-cache mode: the whole padded prefix) or one decode step (the last token of
 * each row against `cache`). Returns the last position's logits [rows, V] and, with a cache, the new cache.
 */
function runModel(model: GPT, live: Row[], ids: number[][], cache: KVCache | undefined, useCache: boolean, length = ids[0].length): ModelStep {
  const B = live.length;
  const ctx = model.config.contextLength;
  const T = cache ? 1 : length;
  const start = length - T;
  const tokens = new Int32Array(B * T);
  const positions = new Int32Array(B * T);
  const bias = new Float32Array(B * T * length);
  for (let b = 0; b < B; b++) {
    const pad = live[b].pad;
    for (let t = 0; t < T; t++) {
      const abs = start + t;
      tokens[b * T + t] = ids[b][abs] ?? 0; // finished rows still in the cache are fed a dummy token
      positions[b * T + t] = Math.min(Math.max(abs - pad, 0), ctx - 1);
      const base = (b * T + t) * length;
      for (let j = 0; j < length; j++) if (j < pad || j > abs) bias[base + j] = MASKED;
    }
  }
  let step: ModelStep | undefined;
  tf.tidy(() => {
    const r = model.forward(tf.tensor2d(tokens, [B, T], 'int32'), {
      positions: tf.tensor2d(positions, [B, T], 'int32'),
      attnBias: tf.tensor4d(bias, [B, 1, T, length]),
      past: cache,
      returnCache: useCache,
      lastOnly: true,
    });
    [r.logits, ...cacheTensors(r.cache)].forEach((t) => tf.keep(t));
    step = { logits: r.logits, cache: r.cache };
  });
  return step!;
}

/** A prefill's cache, which is per layer (only a fused WebGPU decode step joins the layers). */
function layersOf(cache: KVCache | undefined): LayerCache[] {
  if (!cache || isJoinedCache(cache)) throw new Error('sampler: a prefill pass returned no per-layer cache');
  return cache;
}

function pairs(flat: tf.Tensor3D[]): KVCache {
  const cache: KVCache = [];
  for (let i = 0; i < flat.length; i += 2) cache.push({ kT: flat[i], v: flat[i + 1] });
  return cache;
}

/**
 * Keeps cache rows `keep` (each row is nHead consecutive entries of the [B·H, …] tensors). Each entry is
 * one contiguous block, so it is a gather of rows of the tensor seen as [B·H, rest]: on wasm one block copy
 * each, where tfjs's GatherV2 moved the same megabytes element by element (≈ 13 ms a tensor, a fifth of a
 * default self-play step on wasm).
 */
function compactCache(cache: KVCache, keep: number[], nHead: number): KVCache {
  // A joined cache (./webgpu-kernels) has one row per sequence: one gather.
  if (isJoinedCache(cache)) return { kv: tf.tidy(() => gatherRows(cache.kv, tf.tensor1d(keep, 'int32'))) };
  return pairs(tf.tidy(() => {
    const index = tf.tensor1d(keep.flatMap((r) => Array.from({ length: nHead }, (_, h) => r * nHead + h)), 'int32');
    const gatherBlocks = (x: tf.Tensor3D) => {
      const [G, r, c] = x.shape;
      return tf.reshape(gatherRows(tf.reshape(x, [G, r * c]), index), [index.size, r, c]) as tf.Tensor3D;
    };
    return cache.flatMap((c) => [gatherBlocks(c.kT), gatherBlocks(c.v)]);
  }));
}

/** Draws one token from one row of logits: temperature, allowed set, top-k, then sample or argmax. */
class Picker {
  private readonly z: Float64Array;
  private readonly sorted: Float64Array;
  /** e^(z − max) of the allowed tokens, made once for the sum and the draw. */
  private readonly e: Float64Array;

  constructor(
    private readonly V: number,
    private readonly topK: number,
    private readonly greedy: boolean,
    private readonly rng: Rng,
  ) {
    this.z = new Float64Array(V);
    this.sorted = new Float64Array(V);
    this.e = new Float64Array(V);
  }

  pick(logits: Float32Array, offset: number, temperature: number, mask: Uint8Array | null, request: number): { token: number; logProb: number; allowed: Uint8Array } {
    const { V, z, e } = this;
    const allowed = new Uint8Array(V);
    let count = 0;
    for (let i = 0; i < V; i++) {
      z[i] = logits[offset + i] / temperature;
      if (!mask || mask[i]) {
        allowed[i] = 1;
        this.sorted[count++] = z[i];
      }
    }
    if (count === 0) throw new Error(`request ${request}: the decode constraint allowed no token`);
    if (this.topK > 0 && this.topK < count) {
      // Ties at the k-th value are all kept.
      const threshold = this.sorted.subarray(0, count).sort().at(count - this.topK) as number;
      for (let i = 0; i < V; i++) if (allowed[i] && z[i] < threshold) allowed[i] = 0;
    }
    let max = -Infinity;
    let argmax = -1;
    for (let i = 0; i < V; i++) if (allowed[i] && z[i] > max) { max = z[i]; argmax = i; }
    let sum = 0;
    for (let i = 0; i < V; i++) {
      if (!allowed[i]) continue;
      e[i] = Math.exp(z[i] - max);
      sum += e[i];
    }
    const logSum = max + Math.log(sum);
    let token = argmax;
    if (!this.greedy) {
      let u = this.rng.next() * sum;
      for (let i = 0; i < V; i++) {
        if (!allowed[i]) continue;
        u -= e[i];
        token = i;
        if (u < 0) break;
      }
    }
    return { token, logProb: z[token] - logSum, allowed };
  }
}
