import { describe, expect, it } from 'vitest';
import { presetConfig } from '../azr/config';
import { MemoryCheckpointStore, type Checkpoint } from '../model/checkpoint';
import { checkpointRunStore } from './runstore';
import type { RunSnapshot } from './snapshot';

const checkpoint = (): Checkpoint => ({
  manifest: { format: 'azr-lab-gpt', formatVersion: 1, tokenizerVersion: 1, config: { vocabSize: 4, contextLength: 8, nLayer: 1, nHead: 1, dModel: 2, dFF: 4, dropout: 0 }, weightsFile: 'weights.bin', weights: [], meta: { source: 'test' } },
  weights: new Float32Array([1, 2, 3]).buffer,
});

const snapshot = (runId: string, step: number): RunSnapshot => ({
  runId, config: presetConfig('tiny'), backend: 'auto', start: 'scratch', step, seeded: true, elapsedMs: 5, tasks: [], metrics: [],
  attempts: {}, incidents: [], model: checkpoint(),
});

describe('checkpointRunStore', () => {
  it('keeps a run and its weights in one model checkpoint record, and gives both back', async () => {
    const models = new MemoryCheckpointStore();
    const store = checkpointRunStore(models);
    await store.save(snapshot('a', 3));
    expect(await models.list()).toEqual(['a']);
    const back = await store.load('a');
    expect(back?.step).toBe(3);
    const model = back?.model as Checkpoint;
    expect(model.manifest.meta).toEqual({ source: 'test' });
    expect([...new Float32Array(model.weights)]).toEqual([1, 2, 3]);
    expect(await store.load('missing')).toBeUndefined();
  });

  it('prunes every run but the one kept', async () => {
    const models = new MemoryCheckpointStore();
    const store = checkpointRunStore(models);
    await store.save(snapshot('a', 1));
    await store.save(snapshot('b', 2));
    await store.prune('b');
    expect(await models.list()).toEqual(['b']);
  });
});
