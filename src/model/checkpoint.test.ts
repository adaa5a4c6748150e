// Checkpoints: save → load gives identical logits (files, memory, URL), and mismatches are refused
// with a message that says what does not match.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointMismatchError, MemoryCheckpointStore, fetchCheckpoint, loadWeights, modelFromCheckpoint, serializeModel,
  type Checkpoint,
} from './checkpoint';
import { GPT, makeConfig } from './gpt';
import { initNodeBackend } from './node-backend';
import { FileCheckpointStore, readCheckpointDir, saveModel } from './node-checkpoint';
import { tf } from './tf';
import { TOKENIZER_VERSION } from './tokenizer';

const config = makeConfig('tiny', 30, { contextLength: 24 });
const ids = [[2, 3, 4, 5, 6, 7], [8, 9, 10, 11, 12, 13]];

async function logits(model: GPT): Promise<Float32Array> {
  const t = tf.tidy(() => model.forward(tf.tensor2d(ids, [2, 6], 'int32')).logits);
  const v = await t.data() as Float32Array;
  t.dispose();
  return v;
}

let dir: string;
beforeAll(async () => {
  await initNodeBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'azr-ckpt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkpoints', () => {
  it('file store: save → load gives identical logits', async () => {
    const model = new GPT(config, 31);
    const store = new FileCheckpointStore(dir);
    await store.save('a', await serializeModel(model, 7, { step: 3 }));
    expect(await store.list()).toEqual(['a']);
    const loaded = modelFromCheckpoint(await store.load('a'), 7);
    expect(loaded.config).toEqual(model.config);
    expect(Array.from(await logits(loaded))).toEqual(Array.from(await logits(model)));
    expect((await store.load('a')).manifest.meta).toEqual({ step: 3 });
    await store.delete('a');
    expect(await store.list()).toEqual([]);
    loaded.dispose();
    model.dispose();
  });

  it('memory store and URL loading, into an existing model', async () => {
    const model = new GPT(config, 32);
    const other = new GPT(config, 33);
    const store = new MemoryCheckpointStore();
    await store.save('m', await serializeModel(model, 'v1'));
    loadWeights(other, await store.load('m'), 'v1');
    expect(Array.from(await logits(other))).toEqual(Array.from(await logits(model)));

    await saveModel(model, join(dir, 'served'));
    const served = await readCheckpointDir(join(dir, 'served'));
    const fakeFetch = (async (url: URL) => {
      const body = url.pathname.endsWith('manifest.json') ? JSON.stringify(served.manifest) : served.weights;
      return new Response(body);
    }) as unknown as typeof fetch;
    const fetched = await fetchCheckpoint('https://lab.example/checkpoints/base', fakeFetch);
    const third = modelFromCheckpoint(fetched, TOKENIZER_VERSION);
    expect(Array.from(await logits(third))).toEqual(Array.from(await logits(model)));
    [model, other, third].forEach((m) => m.dispose());
  });

  it('refuses a different tokenizer version, shape or head count, saying which', async () => {
    const model = new GPT(config, 34);
    const checkpoint: Checkpoint = await serializeModel(model, 1);
    expect(() => modelFromCheckpoint(checkpoint, 2)).toThrow(CheckpointMismatchError);
    expect(() => modelFromCheckpoint(checkpoint, 2)).toThrow(/tokenizer version 1.*version 2/);
    const wider = new GPT({ ...config, dModel: 64 }, 1);
    expect(() => loadWeights(wider, checkpoint, 1)).toThrow(/shape mismatch: weight wte is \[30, 32\] in the checkpoint, the model expects \[30, 64\]/);
    const longer = new GPT({ ...config, contextLength: 48 }, 1);
    expect(() => loadWeights(longer, checkpoint, 1)).toThrow(/weight wpe/);
    const heads = new GPT({ ...config, nHead: 4 }, 1);
    expect(() => loadWeights(heads, checkpoint, 1)).toThrow(/nHead 2, the model 4/);
    const truncated = { manifest: checkpoint.manifest, weights: checkpoint.weights.slice(0, 100) };
    expect(() => modelFromCheckpoint(truncated, 1)).toThrow(/outside the weights file/);
    [model, wider, longer, heads].forEach((m) => m.dispose());
  });
});
