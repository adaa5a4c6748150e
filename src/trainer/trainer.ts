// The engine host that lives in the trainer worker: it owns one run (self-play engine, model, executor),
// drives it step by step without ever blocking the worker for longer than one step, and tells the page
// what happened through the events of ./protocol. Pure TypeScript: the browser wiring (tfjs backend,
// QuickJS worker, IndexedDB) comes in through `TrainerDeps`, so the same host runs under Vitest in Node.

import type { Buffers } from '../azr/buffers';
import { CONFIG_KEYS, CONFIG_SPECS, checkConfig, type AzrConfig, type ConfigKey } from '../azr/config';
import type { StepMetrics } from '../azr/metrics';
import type { Generation, GenerationOptions, GenerationRequest, Policy } from '../azr/policy';
import type { SeedingProgress, StepRecord } from '../azr/selfplay';
import {
  ATTEMPTS_KEPT_PER_TASK, SAMPLE_CAP, type AttemptRecord, type BackendChoice, type BackendInfo, type Incident,
  type IncidentKind, type ModelStart, type Phase, type RunExport, type RunSetup, type RunState, type TaskDelta,
  type TrainerCommand, type TrainerEvent,
} from './protocol';
import type { RunStore } from './runstore';
import { allTasks, copyTask, restoreBuffers, type RunSnapshot } from './snapshot';

/** What the trainer needs of the self-play loop (src/azr/selfplay.ts's SelfPlay is one). */
export interface Engine {
  readonly buffers: Buffers;
  step: number;
  seeded: boolean;
  rngState: [number, number, number, number];
  config: AzrConfig;
  seed(): Promise<SeedingProgress>;
  runStep(): Promise<StepRecord>;
}

export interface ModelHandle {
  policy: Policy;
  parameters: number;
  /** A structured-clonable copy of the weights (and optimiser state) for a checkpoint. */
  snapshot(): Promise<unknown>;
  dispose(): void;
}

export type ModelSource = { kind: ModelStart } | { kind: 'checkpoint'; data: unknown };

export interface ExecutorHandle<E> {
  executor: E;
  /** Test hook: terminates the sandbox worker as if it had crashed; false when there is none running. */
  kill(): Promise<boolean>;
  dispose(): void;
}

export interface TrainerDeps<E> {
  /**
   * Makes a tfjs backend active: the chooser's pick for `auto`, else the one asked for (or, when that one
   * is unavailable, the chooser's pick, which the trainer reports as a fallback). Throws if none starts.
   */
  initBackend(choice: BackendChoice): Promise<BackendInfo>;
  createModel(config: AzrConfig, source: ModelSource): Promise<ModelHandle>;
  /** `onRestart` is the executor's watchdog saying it replaced the sandbox worker. */
  createExecutor(onRestart: (message: string) => void): ExecutorHandle<E>;
  createEngine(policy: Policy, executor: E, config: AzrConfig, onSeedingProgress: (p: SeedingProgress) => void): Engine;
  store: RunStore;
  /** Whether the build ships a base checkpoint (`base` is refused without one). */
  hasBaseCheckpoint: boolean;
  /** Checkpoint every this many steps. */
  checkpointEvery: number;
  now(): number;
  sleep(ms: number): Promise<void>;
}

interface Run<E> {
  runId: string;
  setup: RunSetup;
  backend: BackendInfo;
  model: ModelHandle;
  executor: ExecutorHandle<E>;
  engine: Engine;
  /** The config the next step will use; reset-only keys are held in `pendingReset` until a reset. */
  config: AzrConfig;
  pendingReset: Partial<AzrConfig>;
  elapsedMs: number;
  metrics: StepMetrics[];
  attempts: Record<number, AttemptRecord[]>;
  incidents: Incident[];
  /** Steps completed (the engine counts the step in flight too). */
  done: number;
  /** Per task id, the attempt count the page last heard of (to send only what changed). */
  sent: Map<number, number>;
  lastCheckpoint: number;
}

const STEPS_PER_MINUTE_WINDOW = 5;

export class Trainer<E> {
  private listener: (e: TrainerEvent) => void = () => {};
  private run: Run<E> | null = null;
  /** The run being set up or running: status events name it even before its model exists. */
  private runId = '';
  private state: RunState = 'loading';
  private phase: Phase | null = null;
  private wantRunning = false;
  private stepsRequested = 0;
  private delayMs = 0;
  /** The step loop in flight, if any; a reset waits for it (a step can't be cut in half). */
  private driving: Promise<void> | null = null;
  /** Resets and resumes one after another, never interleaved. */
  private setups: Promise<void> = Promise.resolve();

  constructor(private readonly deps: TrainerDeps<E>) {}

  connect(listener: (e: TrainerEvent) => void): void { this.listener = listener; }

  command(cmd: TrainerCommand): Promise<void> {
    switch (cmd.type) {
      case 'reset':
      case 'resume': {
        const { type: _type, ...setup } = cmd;
        this.wantRunning = false;
        this.stepsRequested = 0;
        this.setups = this.setups.then(() => this.setUp(setup, cmd.type === 'resume')).catch((e: unknown) => {
          this.setState('failed', null);
          this.emit({ type: 'error', runId: setup.runId, message: errorMessage(e), fatal: false });
        });
        return this.setups;
      }
      case 'start': this.wantRunning = true; this.kick(); return Promise.resolve();
      case 'pause':
        this.wantRunning = false;
        this.stepsRequested = 0;
        if (this.driving) this.setState('pausing');
        return Promise.resolve();
      case 'step':
        if (!this.wantRunning) { this.stepsRequested = 1; this.kick(); }
        return Promise.resolve();
      case 'setConfig': this.setConfig(cmd.config); return Promise.resolve();
      case 'setSpeed': this.delayMs = Math.max(0, cmd.delayMs); return Promise.resolve();
    }
  }

  private emit(e: TrainerEvent): void { this.listener(e); }

  private setState(state: RunState, phase: Phase | null = this.phase): void {
    if (state === this.state && phase === this.phase) return;
    this.state = state;
    this.phase = phase;
    this.emit({ type: 'status', runId: this.runId, state, phase, step: this.run?.done ?? 0 });
  }

  private incident(kind: IncidentKind, message: string): void {
    const run = this.run;
    if (!run) return;
    const i: Incident = { kind, message, step: run.done, at: Date.now() };
    run.incidents.push(i);
    this.emit({ type: 'incident', runId: run.runId, ...i });
  }

  // ---- Setting a run up --------------------------------------------------------------------------

  private async setUp(setup: RunSetup, resume: boolean): Promise<void> {
    if (this.driving) { this.setState('pausing'); await this.driving; }
    this.tearDown();
    this.runId = setup.runId;
    this.setState('loading', null);
    const checked = checkConfig({ ...setup.config });
    if (!checked.ok) {
      this.emit({ type: 'error', runId: setup.runId, message: checked.message, fatal: false });
      return;
    }
    let snapshot: RunSnapshot | undefined;
    try {
      snapshot = resume ? await this.deps.store.load(setup.runId) : undefined;
    } catch (e) {
      snapshot = undefined;
      this.emit({ type: 'error', runId: setup.runId, message: `could not read the checkpoint: ${errorMessage(e)}`, fatal: false });
    }
    const config = snapshot?.config ?? checked.config;
    try {
      const backend = await this.startBackend(setup);
      let start: ModelStart = setup.start === 'base' && this.deps.hasBaseCheckpoint ? 'base' : 'scratch';
      if (snapshot) start = snapshot.start;
      const model = await this.deps.createModel(config, snapshot ? { kind: 'checkpoint', data: snapshot.model } : { kind: start });
      const policy = this.trackPhases(model.policy);
      const runId = setup.runId;
      const executor = this.deps.createExecutor((message) => { if (this.run?.runId === runId) this.incident('sandbox-restarted', message); });
      const engine = this.deps.createEngine(policy, executor.executor, config, (progress) => {
        if (this.run?.runId === runId) this.emit({ type: 'seeding', runId, progress });
      });
      const run: Run<E> = {
        runId, setup: { ...setup, config, start }, backend: backend.info, model, executor, engine, config, pendingReset: {},
        elapsedMs: 0, metrics: [], attempts: {}, incidents: [], done: 0, sent: new Map(), lastCheckpoint: 0,
      };
      if (snapshot) {
        restoreBuffers(engine.buffers, snapshot.tasks);
        engine.step = snapshot.step;
        engine.seeded = snapshot.seeded;
        if (snapshot.rngState) engine.rngState = snapshot.rngState;
        Object.assign(run, {
          elapsedMs: snapshot.elapsedMs, metrics: snapshot.metrics, attempts: snapshot.attempts, incidents: snapshot.incidents,
          done: snapshot.step, lastCheckpoint: snapshot.step,
        });
      }
      this.run = run;
      const tasks = allTasks(engine.buffers);
      for (const t of tasks) run.sent.set(t.id, t.attempts);
      this.emit({
        type: 'run', runId, config, backend: backend.info, start: snapshot ? 'checkpoint' : start, step: engine.step,
        parameters: model.parameters, tasks: tasks.map(copyTask), elapsedMs: run.elapsedMs, hasBaseCheckpoint: this.deps.hasBaseCheckpoint,
      });
      if (backend.fallback) this.incident('backend-fallback', backend.fallback);
      this.emitConfig();
      this.setState(engine.step > 0 || engine.seeded ? 'paused' : 'ready', null);
      await this.deps.store.prune(runId).catch(() => {});
      if (this.wantRunning || this.stepsRequested > 0) this.kick();
    } catch (e) {
      this.setState('failed', null);
      this.emit({ type: 'error', runId: setup.runId, message: errorMessage(e), fatal: false });
    }
  }

  /** The backend asked for; if it can't run, the chooser's pick, and the incident says why. */
  private async startBackend(setup: RunSetup): Promise<{ info: BackendInfo; fallback?: string }> {
    try {
      const info = await this.deps.initBackend(setup.backend);
      const fallback = setup.backend !== 'auto' && info.name !== setup.backend ? `${setup.backend} is unavailable here: ${info.reason}` : undefined;
      return { info, fallback };
    } catch (e) {
      if (setup.backend === 'auto') throw e;
      const info = await this.deps.initBackend('auto');
      return { info, fallback: `${setup.backend} could not start (${errorMessage(e)}); running on ${info.name}` };
    }
  }

  private tearDown(): void {
    const run = this.run;
    this.run = null;
    if (!run) return;
    run.executor.dispose();
    run.model.dispose();
  }

  /** Reports the phase as the policy is asked to propose, solve or learn (the executor's turns follow each). */
  private trackPhases(policy: Policy): Policy {
    const proposing = new Set<GenerationRequest['kind']>(['triplet', 'induction']);
    return {
      encode: (text) => policy.encode(text),
      get contextLength() { return policy.contextLength; },
      generate: async (requests: readonly GenerationRequest[], options: GenerationOptions): Promise<Generation[]> => {
        const propose = requests.length > 0 && proposing.has(requests[0].kind);
        if (this.phase !== 'seeding') this.setState(this.state, propose ? 'propose' : 'solve');
        const out = await policy.generate(requests, options);
        if (this.phase !== 'seeding') this.setState(this.state, propose ? 'validate' : 'check');
        return out;
      },
      update: async (trajectories, options) => {
        this.setState(this.state, 'update');
        return policy.update(trajectories, options);
      },
    };
  }

  // ---- Config --------------------------------------------------------------------------------------

  private setConfig(candidate: AzrConfig): void {
    const run = this.run;
    if (!run) return;
    const checked = checkConfig({ ...candidate });
    if (!checked.ok) {
      this.emit({ type: 'error', runId: run.runId, message: checked.message, fatal: false });
      return;
    }
    const next = { ...run.config };
    const pending: Partial<AzrConfig> = {};
    for (const key of CONFIG_KEYS) {
      const value = checked.config[key];
      if (CONFIG_SPECS[key].takesEffect === 'next-step') (next as Record<ConfigKey, unknown>)[key] = value;
      else if (value !== run.setup.config[key]) (pending as Record<ConfigKey, unknown>)[key] = value;
    }
    run.config = next;
    run.pendingReset = pending;
    this.emitConfig();
  }

  private emitConfig(): void {
    const run = this.run;
    if (!run) return;
    this.emit({ type: 'config', runId: run.runId, config: { ...run.config }, pendingReset: Object.keys(run.pendingReset) as ConfigKey[] });
  }

  // ---- The loop ------------------------------------------------------------------------------------

  private kick(): void {
    if (this.driving || !this.run) return;
    this.driving = this.drive().finally(() => { this.driving = null; });
  }

  private async drive(): Promise<void> {
    const run = this.run;
    if (!run) return;
    while (this.run === run && (this.wantRunning || this.stepsRequested > 0)) {
      const single = !this.wantRunning;
      this.stepsRequested = 0;
      run.engine.config = { ...run.config };
      try {
        if (!run.engine.seeded) await this.seed(run, single);
        this.setState(single ? 'stepping' : 'running', 'propose');
        const started = this.deps.now();
        const record = await run.engine.runStep();
        run.elapsedMs += this.deps.now() - started;
        this.publishStep(run, record);
        if (run.engine.step - run.lastCheckpoint >= this.deps.checkpointEvery) await this.checkpoint(run);
      } catch (e) {
        this.wantRunning = false;
        this.setState('failed', null);
        this.emit({ type: 'error', runId: run.runId, message: `step ${run.engine.step} failed: ${errorMessage(e)}`, fatal: true });
        return;
      }
      if (this.wantRunning && this.run === run) {
        this.setState('running', null);
        // Yield between steps even at full speed, so commands (pause, a slider) are heard at once.
        await this.deps.sleep(this.delayMs);
      }
    }
    if (this.run === run) this.setState(run.done > 0 || run.engine.seeded ? 'paused' : 'ready', null);
  }

  private async seed(run: Run<E>, single: boolean): Promise<void> {
    this.setState('seeding', 'seeding');
    const started = this.deps.now();
    await run.engine.seed();
    run.elapsedMs += this.deps.now() - started;
    this.emit({ type: 'tasks', runId: run.runId, tasks: this.taskDelta(run) });
    this.setState(single ? 'stepping' : 'running', null);
  }

  private publishStep(run: Run<E>, record: StepRecord): void {
    const { metrics } = record;
    run.metrics.push(metrics);
    run.done = metrics.step;
    for (const s of record.solves) {
      const list = (run.attempts[s.taskId] ??= []);
      list.push({ step: metrics.step, answer: s.answer, outcome: s.outcome, reason: s.reason, reward: s.reward, advantage: s.advantage });
      if (list.length > ATTEMPTS_KEPT_PER_TASK) list.shift();
    }
    const recent = run.metrics.slice(-STEPS_PER_MINUTE_WINDOW);
    const meanMs = recent.reduce((a, m) => a + m.stepMs, 0) / recent.length;
    this.emit({
      type: 'step', runId: run.runId, metrics,
      proposals: record.proposals.slice(0, SAMPLE_CAP), solves: record.solves.slice(0, SAMPLE_CAP),
      tasks: this.taskDelta(run), elapsedMs: run.elapsedMs, stepsPerMinute: meanMs > 0 ? 60_000 / meanMs : 0,
    });
  }

  /** New tasks, and tasks whose counters moved since the page last heard, with the history they gained. */
  private taskDelta(run: Run<E>): TaskDelta {
    const delta: TaskDelta = { added: [], updated: [] };
    for (const t of allTasks(run.engine.buffers)) {
      const seen = run.sent.get(t.id);
      if (seen === undefined) delta.added.push(copyTask(t));
      else if (seen !== t.attempts) {
        const gained = t.history.length - countHistoryAt(seen, t.history);
        delta.updated.push({ id: t.id, attempts: t.attempts, solved: t.solved, proposedSolveRate: t.proposedSolveRate && { ...t.proposedSolveRate }, history: t.history.slice(-gained).map((h) => ({ ...h })) });
      }
      run.sent.set(t.id, t.attempts);
    }
    return delta;
  }

  private async checkpoint(run: Run<E>): Promise<void> {
    try {
      const snapshot: RunSnapshot = {
        runId: run.runId, config: run.setup.config, backend: run.setup.backend, start: run.setup.start,
        step: run.engine.step, seeded: run.engine.seeded, rngState: run.engine.rngState, elapsedMs: run.elapsedMs, tasks: allTasks(run.engine.buffers).map(copyTask),
        metrics: run.metrics, attempts: run.attempts, incidents: run.incidents, model: await run.model.snapshot(),
      };
      // Reset-only keys keep their run-start values; next-step keys are saved as they are now.
      for (const key of CONFIG_KEYS) if (CONFIG_SPECS[key].takesEffect === 'next-step') (snapshot.config as Record<ConfigKey, unknown>)[key] = run.config[key];
      await this.deps.store.save(snapshot);
      run.lastCheckpoint = run.engine.step;
      this.emit({ type: 'checkpoint', runId: run.runId, step: run.engine.step });
    } catch (e) {
      run.lastCheckpoint = run.engine.step;
      this.incident('checkpoint-failed', `checkpoint at step ${run.engine.step} failed: ${errorMessage(e)}`);
    }
  }

  // ---- Export and test hooks -----------------------------------------------------------------------

  exportRun(): RunExport {
    const run = this.run;
    if (!run) throw new Error('no run to export yet');
    return {
      format: 'azr-lab-run', version: 1, runId: run.runId, exportedAt: new Date().toISOString(), config: { ...run.config },
      backend: run.backend, metrics: run.metrics, tasks: allTasks(run.engine.buffers).map(copyTask), attempts: run.attempts,
      incidents: run.incidents,
    };
  }

  killSandbox(): Promise<boolean> {
    return this.run ? this.run.executor.kill() : Promise.resolve(false);
  }
}

/** How many history records a task had when its attempt count was `attempts` (records add up to attempts). */
function countHistoryAt(attempts: number, history: readonly { attempts: number }[]): number {
  let total = 0;
  let n = 0;
  while (n < history.length && total < attempts) total += history[n++].attempts;
  return n;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
