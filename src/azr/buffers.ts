// The three task buffers of AZR (AZR.md "Buffers and the seed"): deduction and abduction hold triplets
// (program, input, output); induction holds a program with its input/output pairs and a message.
// Every valid proposal is appended whatever its reward; exact duplicates may be dropped (counted).

import type { TaskType } from './config';
import { sampleWithoutReplacement, type Rng } from './rng';

/** Literal texts, as the executor prints them (outputs canonical). */
export interface Triplet { program: string; input: string; output: string }
export interface IoPair { input: string; output: string }
export interface InductionTask {
  program: string;
  /** All pairs; the first `shown` are shown to the solver with the message, the rest held out. */
  pairs: IoPair[];
  shown: number;
  message: string;
}
export type TaskOf<T extends TaskType> = T extends 'induction' ? InductionTask : Triplet;

/** Where a buffered task came from; 'generator' only in the generator-task diagnostic (no proposer). */
export type TaskSource = 'seed' | 'seeding' | 'self-play' | 'generator';

export interface SolveRecord { step: number; attempts: number; solved: number }

export interface BufferedTask<T extends TaskType = TaskType> {
  id: number;
  type: T;
  task: TaskOf<T>;
  source: TaskSource;
  /** Step at which it was proposed (0 for the seed and the seeding phase). */
  step: number;
  /** Learnability estimate when it was proposed: solved out of rollouts, if measured. */
  proposedSolveRate?: { solved: number; rollouts: number };
  attempts: number;
  solved: number;
  history: SolveRecord[];
}

/** The seed triplet of the paper: the identity function on "Hello world". */
export const IDENTITY_SEED: Triplet = {
  program: 'function f(a) {\n  return a;\n}',
  input: "'Hello world'",
  output: '"Hello world"',
};

export function taskKey(type: TaskType, task: Triplet | InductionTask): string {
  if (type === 'induction') {
    const t = task as InductionTask;
    return `${t.program}\u0000${t.pairs.map((p) => p.input).join('\u0001')}`;
  }
  const t = task as Triplet;
  return `${t.program}\u0000${t.input}`;
}

export class TaskBuffer<T extends TaskType> {
  private readonly tasks: BufferedTask<T>[] = [];
  private readonly byId = new Map<number, BufferedTask<T>>();
  private readonly keys = new Set<string>();
  duplicatesDropped = 0;

  constructor(readonly type: T, private readonly ids: { next: number }) {}

  get size(): number { return this.tasks.length; }
  all(): readonly BufferedTask<T>[] { return this.tasks; }
  get(id: number): BufferedTask<T> | undefined { return this.byId.get(id); }

  /** Appends a valid task; returns undefined when it is an exact duplicate and duplicates are dropped. */
  add(task: TaskOf<T>, source: TaskSource, step: number, dropDuplicates: boolean): BufferedTask<T> | undefined {
    const key = taskKey(this.type, task);
    if (dropDuplicates && this.keys.has(key)) { this.duplicatesDropped++; return undefined; }
    this.keys.add(key);
    const entry: BufferedTask<T> = { id: this.ids.next++, type: this.type, task, source, step, attempts: 0, solved: 0, history: [] };
    this.tasks.push(entry);
    this.byId.set(entry.id, entry);
    return entry;
  }

  /** K reference tasks for the proposer, uniform without replacement (paper). */
  references(k: number, rng: Rng): BufferedTask<T>[] {
    return sampleWithoutReplacement(this.tasks, k, rng);
  }

  /** The solver batch: the newest valid tasks first (this step's), then uniform fill from the whole buffer. */
  solverBatch(size: number, fresh: readonly BufferedTask<T>[], rng: Rng): BufferedTask<T>[] {
    const batch = fresh.slice(-size).reverse();
    const chosen = new Set(batch.map((t) => t.id));
    const rest = this.tasks.filter((t) => !chosen.has(t.id));
    batch.push(...sampleWithoutReplacement(rest, size - batch.length, rng));
    // A buffer smaller than the batch repeats tasks uniformly rather than shrinking the batch.
    while (batch.length < size && this.tasks.length > 0) batch.push(this.tasks[rng.int(this.tasks.length)]);
    return batch;
  }

  recordSolves(id: number, step: number, attempts: number, solved: number): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    entry.attempts += attempts;
    entry.solved += solved;
    entry.history.push({ step, attempts, solved });
  }
}

export interface Buffers {
  deduction: TaskBuffer<'deduction'>;
  abduction: TaskBuffer<'abduction'>;
  induction: TaskBuffer<'induction'>;
}

export function createBuffers(): Buffers {
  const ids = { next: 1 };
  return { deduction: new TaskBuffer('deduction', ids), abduction: new TaskBuffer('abduction', ids), induction: new TaskBuffer('induction', ids) };
}

export function bufferSizes(b: Buffers): Record<TaskType, number> {
  return { deduction: b.deduction.size, abduction: b.abduction.size, induction: b.induction.size };
}

/** Splits induction pairs: the first half shown (rounded up), the second half held out. */
export function splitInductionPairs(pairs: IoPair[]): { shown: IoPair[]; heldOut: IoPair[] } {
  const n = Math.ceil(pairs.length / 2);
  return { shown: pairs.slice(0, n), heldOut: pairs.slice(n) };
}
