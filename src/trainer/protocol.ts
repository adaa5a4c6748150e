// The one typed protocol between the page and the trainer worker, in the spirit of Piston's protocol.ts:
// commands go page → trainer, events come back, both discriminated unions, and every event carries the
// run id so the page can drop what a run it already left behind still had in flight.
//
// The page creates run ids: after a reset it ignores every event that is not for the new run at once.

import type { BufferedTask, SolveRecord } from '../azr/buffers';
import type { AzrConfig, ConfigKey } from '../azr/config';
import type { PhaseName, StepMetrics } from '../azr/metrics';
import type { ProposalSample, SeedingProgress, SolveSample } from '../azr/selfplay';
import type { BackendName } from '../model/tf';

export type { BackendName };
/** The same list as src/model/tf.ts, kept here so the page never imports a tfjs module. */
export const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
/** `auto` lets the chooser pick (WebGPU on a hardware adapter, else WebGL on a hardware GPU, else wasm, cpu last). */
export type BackendChoice = 'auto' | BackendName;

export interface BackendInfo {
  name: BackendName;
  requested: BackendChoice;
  /** Why this backend runs, in words for the badge: "WebGPU adapter is software (SwiftShader)". */
  reason: string;
}

/** Where a new run's weights come from. `base` only when the build ships a base checkpoint. */
export type ModelStart = 'base' | 'scratch';

export type RunState =
  | 'loading' // initialising backend and model
  | 'ready' // a run exists and has not started
  | 'seeding' // filling the buffers before the first update
  | 'running'
  | 'pausing' // finishing the step in flight, then paused
  | 'paused'
  | 'stepping' // one single step in flight
  | 'failed';

export type Phase = 'seeding' | PhaseName;

export interface RunSetup {
  runId: string;
  config: AzrConfig;
  backend: BackendChoice;
  start: ModelStart;
}

export type TrainerCommand =
  /** Starts a fresh run (the first one too); the run in flight finishes its step and is dropped. */
  | ({ type: 'reset' } & RunSetup)
  /** Continues a run from its last checkpoint (after the page restarted a dead trainer); without one, starts it afresh. */
  | ({ type: 'resume' } & RunSetup)
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'step' }
  /** The whole config; keys that take effect next step apply at the next step boundary, the rest wait for a reset. */
  | { type: 'setConfig'; config: AzrConfig }
  /** A pause between steps, so a person can follow along (0 = full speed). */
  | { type: 'setSpeed'; delayMs: number };

export type IncidentKind =
  | 'sandbox-restarted' // the executor's watchdog replaced the sandbox worker
  | 'trainer-restarted' // the page replaced a dead trainer worker from its checkpoint
  | 'backend-fallback' // the requested backend could not start; another one runs
  | 'checkpoint-failed';

export interface Incident { kind: IncidentKind; step: number; message: string; at: number }

/** A task's counters after a step, with the history records that step added. */
export interface TaskUpdate {
  id: number;
  attempts: number;
  solved: number;
  proposedSolveRate?: BufferedTask['proposedSolveRate'];
  history: SolveRecord[];
}
export interface TaskDelta { added: BufferedTask[]; updated: TaskUpdate[] }

export interface StepEvent {
  type: 'step';
  runId: string;
  metrics: StepMetrics;
  /** A sample of this step's proposals and solver answers (all of them up to SAMPLE_CAP each). */
  proposals: ProposalSample[];
  solves: SolveSample[];
  tasks: TaskDelta;
  /** Training time so far, pauses excluded. */
  elapsedMs: number;
  stepsPerMinute: number;
}

export type TrainerEvent =
  | {
    type: 'run'; runId: string; config: AzrConfig; backend: BackendInfo; start: ModelStart | 'checkpoint'; step: number;
    parameters: number; tasks: BufferedTask[]; elapsedMs: number;
    /** Whether this build ships a base checkpoint (so "base" is a choice). */
    hasBaseCheckpoint: boolean;
  }
  /** `step`: steps completed (the phase belongs to the next one). */
  | { type: 'status'; runId: string; state: RunState; phase: Phase | null; step: number }
  | { type: 'seeding'; runId: string; progress: SeedingProgress }
  | StepEvent
  /** Buffer changes outside a step (the seeding phase). */
  | { type: 'tasks'; runId: string; tasks: TaskDelta }
  | { type: 'config'; runId: string; config: AzrConfig; pendingReset: ConfigKey[] }
  | { type: 'checkpoint'; runId: string; step: number }
  | ({ type: 'incident'; runId: string } & Incident)
  /** `fatal`: the trainer cannot go on (e.g. a lost GPU device); the page restarts it from its checkpoint. */
  | { type: 'error'; runId: string; message: string; fatal: boolean };

export type TrainerEventType = TrainerEvent['type'];

export const SAMPLE_CAP = 64;

/** A solver answer kept for the inspector, per task. */
export interface AttemptRecord { step: number; answer: string; outcome: SolveSample['outcome']; reason?: string; reward: number; advantage: number }
export const ATTEMPTS_KEPT_PER_TASK = 16;

/** An exported run: everything needed to view it again. */
export interface RunExport {
  format: 'azr-lab-run';
  version: 1;
  runId: string;
  exportedAt: string;
  config: AzrConfig;
  backend: BackendInfo | null;
  metrics: StepMetrics[];
  tasks: BufferedTask[];
  attempts: Record<number, AttemptRecord[]>;
  incidents: Incident[];
}

/** What the trainer worker exposes through comlink. */
export interface TrainerApi {
  /** Registers the page's event listener (a comlink proxy). */
  connect(listener: (event: TrainerEvent) => void): void;
  command(command: TrainerCommand): Promise<void>;
  exportRun(): Promise<RunExport>;
  /** Answers at once: the page's watchdog for a trainer worker that died without a word. */
  ping(): number;
  /** Test hook (e2e): terminates the sandbox worker now, as a crash would; false if none was running. */
  killSandbox(): Promise<boolean>;
  /** Test hook (e2e): makes this trainer worker die of an uncaught error. */
  crash(): void;
}
