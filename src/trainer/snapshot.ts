// A run's checkpoint: the self-play state (step, buffers with their histories), what the page has seen
// (metrics, solver attempts, incidents) and the model's weights, as one structured-clonable record.

import type { BufferedTask, Buffers } from '../azr/buffers';
import type { AzrConfig } from '../azr/config';
import type { StepMetrics } from '../azr/metrics';
import type { AttemptRecord, BackendChoice, Incident, ModelStart } from './protocol';

export interface RunSnapshot {
  runId: string;
  config: AzrConfig;
  backend: BackendChoice;
  start: ModelStart;
  step: number;
  seeded: boolean;
  /** The self-play RNG's state (absent in checkpoints written before it was kept). */
  rngState?: [number, number, number, number];
  elapsedMs: number;
  tasks: BufferedTask[];
  metrics: StepMetrics[];
  attempts: Record<number, AttemptRecord[]>;
  incidents: Incident[];
  /** Whatever the model's checkpoint format is; the trainer only carries it. */
  model: unknown;
}

export function allTasks(buffers: Buffers): BufferedTask[] {
  return [...buffers.deduction.all(), ...buffers.abduction.all(), ...buffers.induction.all()]
    .sort((a, b) => a.id - b.id) as BufferedTask[];
}

export function copyTask(t: BufferedTask): BufferedTask {
  return { ...t, history: t.history.map((h) => ({ ...h })), proposedSolveRate: t.proposedSolveRate && { ...t.proposedSolveRate } };
}

/**
 * Puts checkpointed tasks back into fresh buffers. Buffers hand out ids from one counter shared by the
 * three, so re-adding every task in id order gives each its old id back; anything else is a damaged
 * checkpoint.
 */
export function restoreBuffers(buffers: Buffers, tasks: readonly BufferedTask[]): void {
  for (const t of [...tasks].sort((a, b) => a.id - b.id)) {
    const buffer = buffers[t.type] as unknown as { add(task: unknown, source: BufferedTask['source'], step: number, drop: boolean): BufferedTask | undefined };
    const entry = buffer.add(t.task, t.source, t.step, false);
    if (!entry || entry.id !== t.id) throw new Error(`checkpoint is damaged: task ${t.id} came back as ${entry?.id ?? 'nothing'}`);
    entry.attempts = t.attempts;
    entry.solved = t.solved;
    entry.history = t.history.map((h) => ({ ...h }));
    if (t.proposedSolveRate) entry.proposedSolveRate = { ...t.proposedSolveRate };
  }
}
