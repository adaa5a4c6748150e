// Where the trainer keeps its checkpoints: one record per run (the newest checkpoint only), in IndexedDB in
// the browser (workers have it too) and in memory for tests. A record holds the run's state and the
// model's weights together, so a restart never pairs weights with another step's buffers.

import type { Checkpoint, CheckpointStore } from '../model/checkpoint';
import type { RunSnapshot } from './snapshot';

export interface RunStore {
  save(snapshot: RunSnapshot): Promise<void>;
  load(runId: string): Promise<RunSnapshot | undefined>;
  /** Drops every run but `keep`, so old runs don't pile up in the browser's storage. */
  prune(keep: string): Promise<void>;
}

export function memoryRunStore(): RunStore {
  const runs = new Map<string, RunSnapshot>();
  return {
    async save(s) { runs.set(s.runId, structuredClone(s)); },
    async load(runId) { const s = runs.get(runId); return s && structuredClone(s); },
    async prune(keep) { for (const id of [...runs.keys()]) if (id !== keep) runs.delete(id); },
  };
}

/**
 * Run checkpoints kept in a model checkpoint store (src/model/checkpoint.ts: IndexedDB in the browser), one
 * record per run: the model's own checkpoint, with the run's state in its manifest's `meta.run`. One record,
 * so the weights and the buffers of a restart always come from the same step.
 */
export function checkpointRunStore(store: CheckpointStore): RunStore {
  return {
    async save(snapshot) {
      const { model, ...run } = snapshot;
      const checkpoint = model as Checkpoint;
      if (!checkpoint?.manifest || !(checkpoint.weights instanceof ArrayBuffer)) throw new Error('the model snapshot is not a checkpoint');
      await store.save(snapshot.runId, { manifest: { ...checkpoint.manifest, meta: { ...checkpoint.manifest.meta, run } }, weights: checkpoint.weights });
    },
    async load(runId) {
      if (!(await store.list()).includes(runId)) return undefined;
      const checkpoint = await store.load(runId);
      const { run, ...meta } = checkpoint.manifest.meta ?? {};
      if (!run) return undefined;
      return { ...(run as Omit<RunSnapshot, 'model'>), model: { manifest: { ...checkpoint.manifest, meta }, weights: checkpoint.weights } };
    },
    async prune(keep) {
      await Promise.all((await store.list()).filter((name) => name !== keep).map((name) => store.delete(name)));
    },
  };
}
