// Sampling: the KV cache against full recomputation (logits within 1e-4, greedy tokens equal on an
// overfit model), a hand-made decode constraint, top-k, seeds, length caps, and that the log-probs the
// sampler reports are exactly what the loss recomputes.
import { describe, expect, it } from 'vitest';
import { AdamW } from './adamw';
import type { DecodeConstraint } from './constraint';
import { GPT, MASKED, cacheTensors, disposeCache, makeConfig, type KVCache } from './gpt';
import { microBatches } from './loss';
import { initNodeBackend } from './node-backend';
import { sample } from './sampler';
import { tf, type BackendName } from './tf';
import { lmStep, responseLogProbs } from './train';

const V = 24;
const END = 1;
const config = makeConfig('tiny', V, { contextLength: 40 });

async function lastLogits(model: GPT, ids: number[]): Promise<Float32Array> {
  const t = tf.tidy(() => model.forward(tf.tensor2d(ids, [1, ids.length], 'int32'), { lastOnly: true }).logits);
  const v = await t.data() as Float32Array;
  t.dispose();
  return v;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Left-padded prefill and cached decode steps, compared with each sequence run alone from scratch. */
async function cacheMatchesRecompute(backend: BackendName): Promise<number> {
  await initNodeBackend(backend);
  const model = new GPT(config, 11);
  const prompts = [[2, 3, 4, 5, 6, 7], [8, 9], [10, 11, 12, 13]];
  const next = [[14, 15, 16, 17], [18, 19, 20, 21], [22, 23, 2, 3]];
  const B = prompts.length;
  const P = Math.max(...prompts.map((p) => p.length));
  const pads = prompts.map((p) => P - p.length);
  const bias = (T: number, Tk: number) => tf.tensor4d(Array.from({ length: B * T * Tk }, (_, i) => {
    const [b, r, c] = [Math.floor(i / (T * Tk)), Math.floor(i / Tk) % T, i % Tk];
    return c < pads[b] || c > Tk - T + r ? MASKED : 0;
  }), [B, 1, T, Tk]);
  let worst = 0;
  let cache: KVCache | undefined;
  for (let step = 0; step <= next[0].length; step++) {
    const T = step === 0 ? P : 1;
    const ids = step === 0 ? prompts.flatMap((p, b) => [...new Array<number>(pads[b]).fill(0), ...p]) : next.map((n) => n[step - 1]);
    const positions = step === 0
      ? prompts.flatMap((_, b) => Array.from({ length: P }, (_, t) => Math.max(0, t - pads[b])))
      : prompts.map((p) => p.length + step - 1);
    let logits: tf.Tensor | undefined;
    let extended: KVCache | undefined;
    tf.tidy(() => {
      const r = model.forward(tf.tensor2d(ids, [B, T], 'int32'), {
        positions: tf.tensor2d(positions, [B, T], 'int32'), attnBias: bias(T, P + step), past: cache, returnCache: true, lastOnly: true,
      });
      [r.logits, ...cacheTensors(r.cache)].forEach((t) => tf.keep(t));
      logits = r.logits;
      extended = r.cache;
    });
    disposeCache(cache);
    cache = extended;
    const cached = await logits!.data();
    logits!.dispose();
    for (let b = 0; b < B; b++) {
      const alone = await lastLogits(model, [...prompts[b], ...next[b].slice(0, step)]);
      worst = Math.max(worst, maxDiff(cached.subarray(b * V, (b + 1) * V), alone));
    }
  }
  disposeCache(cache);
  model.dispose();
  return worst;
}

/** Allows only even token ids for `length` tokens, then only END. */
class EvenThenEnd implements DecodeConstraint {
  private n = 0;
  done = false;
  constructor(private readonly length: number) {}
  allowed(mask: Uint8Array): void {
    if (this.n >= this.length) mask[END] = 1;
    else for (let i = 2; i < mask.length; i += 2) mask[i] = 1;
  }
  advance(tokenId: number): void {
    if (this.n >= this.length ? tokenId !== END : tokenId % 2 !== 0 || tokenId === 0) throw new Error(`token ${tokenId} was not allowed`);
    this.n++;
    if (tokenId === END) this.done = true;
  }
}

describe('sampler', () => {
  it('KV-cache logits match full recomputation within 1e-4 (cpu and wasm, left-padded prompts)', async () => {
    expect(await cacheMatchesRecompute('cpu')).toBeLessThan(1e-4);
    expect(await cacheMatchesRecompute('wasm')).toBeLessThan(1e-4);
  });

  it('with and without the cache, the same seed gives the same tokens and log-probs', async () => {
    await initNodeBackend('wasm');
    const model = new GPT(config, 12);
    const requests = [{ prompt: [2, 3, 4] }, { prompt: [5] }, { prompt: [6, 7, 8, 9, 10] }, { prompt: [11, 12] }];
    const opts = { maxNewTokens: 12, endToken: END, temperature: 1.3, seed: 99 };
    const cached = await sample(model, requests, opts);
    const full = await sample(model, requests, { ...opts, kvCache: false });
    expect(cached.map((r) => r.tokens)).toEqual(full.map((r) => r.tokens));
    for (let i = 0; i < requests.length; i++) expect(maxDiff(cached[i].logProbs, full[i].logProbs)).toBeLessThan(1e-4);
    expect(await sample(model, requests, opts)).toEqual(cached);
    const chunked = await sample(model, requests, { ...opts, maxPrefillTokens: 10 }); // 2 rows per prefill pass
    expect(chunked.map((r) => r.tokens)).toEqual(cached.map((r) => r.tokens));
    for (let i = 0; i < requests.length; i++) expect(maxDiff(chunked[i].logProbs, cached[i].logProbs)).toBeLessThan(1e-4);
    const other = await sample(model, requests, { ...opts, seed: 100 });
    expect(other.map((r) => r.tokens)).not.toEqual(cached.map((r) => r.tokens));
    for (const r of cached) {
      expect(r.masks).toBeUndefined();
      expect(r.stop === 'end' ? r.tokens.at(-1) === END : r.tokens.length === 12).toBe(true);
    }
    model.dispose();
  });

  it('prefills each distinct prompt once, and rows that share one still draw their own tokens', async () => {
    await initNodeBackend('wasm');
    const model = new GPT(config, 14);
    // Three tasks, four samples of each, interleaved as a solve phase might order them.
    const prompts = [[2, 3, 4, 5, 6], [7, 8], [9, 10, 11]];
    const requests = Array.from({ length: 12 }, (_, i) => ({ prompt: prompts[i % 3] }));
    const opts = { maxNewTokens: 8, endToken: END, temperature: 1.5, seed: 21 };
    const rowsPerPass: number[] = [];
    const forward = model.forward.bind(model);
    model.forward = (ids, o) => {
      rowsPerPass.push(ids.shape[0]);
      return forward(ids, o);
    };
    const before = tf.memory().numTensors;
    const shared = await sample(model, requests, opts);
    expect(tf.memory().numTensors).toBe(before);
    expect(rowsPerPass[0]).toBe(3); // the prefill: one row per distinct prompt
    expect(rowsPerPass[1]).toBe(12); // the first decode step: every row
    model.forward = forward;
    const full = await sample(model, requests, { ...opts, kvCache: false });
    expect(shared.map((r) => r.tokens)).toEqual(full.map((r) => r.tokens));
    for (let i = 0; i < requests.length; i++) expect(maxDiff(shared[i].logProbs, full[i].logProbs)).toBeLessThan(1e-4);
    // Rows of one prompt are not copies of each other.
    const ofFirst = shared.filter((_, i) => i % 3 === 0).map((r) => r.tokens.join(','));
    expect(new Set(ofFirst).size).toBeGreaterThan(1);
    model.dispose();
  });

  it('prefills prompts of very different lengths in groups of similar length, with the tokens of full recomputation', async () => {
    await initNodeBackend('wasm');
    const model = new GPT(config, 13);
    const prompt = (n: number, from: number) => Array.from({ length: n }, (_, i) => 2 + ((from + i) % (V - 2)));
    // Two long prompts and four short ones: on wasm (a pass costs 32 positions) the short ones are
    // prefilled apart, padded to 3 instead of 22, and their caches left-padded back to 22.
    const requests = [prompt(22, 0), prompt(2, 5), prompt(3, 9), prompt(21, 3), prompt(1, 7), prompt(2, 11)].map((p) => ({ prompt: p }));
    const opts = { maxNewTokens: 10, endToken: END, temperature: 1.2, seed: 7 };
    const before = tf.memory().numTensors;
    const grouped = await sample(model, requests, opts);
    expect(tf.memory().numTensors).toBe(before);
    const full = await sample(model, requests, { ...opts, kvCache: false });
    expect(grouped.map((r) => r.tokens)).toEqual(full.map((r) => r.tokens));
    for (let i = 0; i < requests.length; i++) expect(maxDiff(grouped[i].logProbs, full[i].logProbs)).toBeLessThan(1e-4);
    // The split the prefill took: the two long prompts, then the four short ones.
    const lengths = requests.map((r) => r.prompt.length);
    expect(microBatches(lengths, 8192, Infinity, 32)).toEqual([[0, 3], [2, 1, 5, 4]]);
    model.dispose();
  });

  it('greedy tokens match between cache and recompute on a model overfit to one batch', async () => {
    await initNodeBackend('wasm');
    const model = new GPT(config, 13);
    const optimizer = new AdamW(model.params, { learningRate: 1e-2, weightDecay: 0 });
    const data = [
      { prompt: [2, 3, 4], answer: [10, 12, 14, 16, 18, END] },
      { prompt: [5, 6], answer: [7, 7, 9, 20, END] },
      { prompt: [8, 9, 11, 13, 15], answer: [22, 21, END] },
    ];
    const examples = data.map((d) => ({ ids: [...d.prompt, ...d.answer], targetMask: [...d.prompt.map(() => 0), ...d.answer.map(() => 1)] }));
    let loss = Infinity;
    for (let i = 0; i < 150 && loss > 0.01; i++) loss = (await lmStep(model, optimizer, examples)).loss;
    expect(loss).toBeLessThan(0.01);
    const requests = data.map((d) => ({ prompt: d.prompt }));
    const cached = await sample(model, requests, { maxNewTokens: 10, endToken: END, greedy: true });
    const full = await sample(model, requests, { maxNewTokens: 10, endToken: END, greedy: true, kvCache: false });
    expect(cached.map((r) => r.tokens)).toEqual(data.map((d) => d.answer));
    expect(full.map((r) => r.tokens)).toEqual(data.map((d) => d.answer));
    optimizer.dispose();
    model.dispose();
  });

  it('respects a decode constraint and reports the masks and masked log-probs the loss recomputes', async () => {
    await initNodeBackend('wasm');
    const model = new GPT(config, 14);
    const requests = [0, 1, 2, 3, 4, 5].map((i) => ({ prompt: [2 + i, 3], constraint: new EvenThenEnd(2 + (i % 4)) }));
    const temperature = 0.8;
    const results = await sample(model, requests, { maxNewTokens: 20, endToken: END, temperature, seed: 5 });
    results.forEach((r, i) => {
      expect(r.stop).toBe('end');
      expect(r.tokens.length).toBe(3 + (i % 4));
      expect(r.tokens.slice(0, -1).every((t) => t % 2 === 0 && t > 0)).toBe(true);
      expect(r.masks).toHaveLength(r.tokens.length);
      r.tokens.forEach((t, j) => expect(r.masks![j][t]).toBe(1));
      expect(r.logProbs.at(-1)).toBeCloseTo(0, 6); // END was the only choice
    });
    const again = await responseLogProbs(model, results.map((r, i) => ({ promptIds: requests[i].prompt, responseIds: r.tokens, masks: r.masks })), temperature);
    results.forEach((r, i) => expect(maxDiff(again[i], r.logProbs)).toBeLessThan(1e-4));
    model.dispose();
  });

  it('honours each request\'s own length cap and temperature in one call (a phase decodes as one batch)', async () => {
    await initNodeBackend('wasm');
    const model = new GPT(config, 15);
    const requests = [
      { prompt: [2, 3, 4], maxNewTokens: 3, temperature: 0.5 },
      { prompt: [5, 6], maxNewTokens: 9, temperature: 2 },
      { prompt: [7, 8, 9, 10] }, // the call's defaults: 6 tokens at temperature 1.3
    ];
    const results = await sample(model, requests, { maxNewTokens: 6, endToken: -1, temperature: 1.3, seed: 8 });
    expect(results.map((r) => r.tokens.length)).toEqual([3, 9, 6]);
    expect(results.every((r) => r.stop === 'length')).toBe(true);
    // Each response's log-probs are those of its own temperature, exactly what the loss recomputes.
    for (const [i, t] of [[0, 0.5], [1, 2], [2, 1.3]] as const) {
      const [again] = await responseLogProbs(model, [{ promptIds: requests[i].prompt, responseIds: results[i].tokens }], t);
      expect(maxDiff(again, results[i].logProbs)).toBeLessThan(1e-4);
      const [other] = await responseLogProbs(model, [{ promptIds: requests[i].prompt, responseIds: results[i].tokens }], t === 2 ? 0.5 : 2);
      expect(maxDiff(other, results[i].logProbs)).toBeGreaterThan(1e-2);
    }
    await expect(sample(model, [{ prompt: [2], maxNewTokens: 0 }], { maxNewTokens: 4, endToken: END })).rejects.toThrow(RangeError);
    await expect(sample(model, [{ prompt: [2], temperature: 0 }], { maxNewTokens: 4, endToken: END })).rejects.toThrow(RangeError);
    model.dispose();
  });

  it('top-k keeps the k most likely tokens and records them as masks', async () => {
    await initNodeBackend('wasm');
    const model = new GPT(config, 15);
    const [r] = await sample(model, [{ prompt: [4, 5, 6] }], { maxNewTokens: 6, endToken: -1, topK: 3, seed: 1 });
    expect(r.stop).toBe('length');
    expect(r.tokens).toHaveLength(6);
    const logits = await lastLogits(model, [4, 5, 6]);
    const top3 = Array.from(logits).map((z, i) => [z, i]).sort((a, b) => b[0] - a[0]).slice(0, 3).map(([, i]) => i).sort((a, b) => a - b);
    expect(r.masks![0].reduce((a, b) => a + b, 0)).toBe(3);
    expect(Array.from(r.masks![0]).flatMap((m, i) => (m ? [i] : []))).toEqual(top3);
    const again = await responseLogProbs(model, [{ promptIds: [4, 5, 6], responseIds: r.tokens, masks: r.masks }]);
    expect(maxDiff(again[0], r.logProbs)).toBeLessThan(1e-4);
    model.dispose();
  });

  it('caps responses at the context length and refuses bad input', async () => {
    await initNodeBackend('cpu');
    const model = new GPT(config, 16);
    const long = Array.from({ length: 37 }, (_, i) => 2 + (i % 20));
    const [r] = await sample(model, [{ prompt: long }], { maxNewTokens: 10, endToken: -1 });
    expect(r.tokens).toHaveLength(3);
    expect(r.stop).toBe('length');
    await expect(sample(model, [{ prompt: [] }], { maxNewTokens: 2, endToken: END })).rejects.toThrow(/empty/);
    await expect(sample(model, [{ prompt: [V] }], { maxNewTokens: 2, endToken: END })).rejects.toThrow(/vocabulary/);
    await expect(sample(model, [{ prompt: new Array<number>(40).fill(2) }], { maxNewTokens: 2, endToken: END })).rejects.toThrow(/contextLength/);
    model.dispose();
  });
});
