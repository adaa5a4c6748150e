// The page's one store (zustand). It holds what the trainer reported, never recomputes it. Growing data
// (metrics, tasks, attempts) lives in mutable containers with a version number: charts subscribe to the
// version transiently and redraw at most once per frame, so a step never re-renders the whole page.

import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { BufferedTask } from '../../azr/buffers';
import type { AzrConfig, ConfigKey } from '../../azr/config';
import type { StepMetrics } from '../../azr/metrics';
import type { ProposalSample, SeedingProgress, SolveSample } from '../../azr/selfplay';
import {
  ATTEMPTS_KEPT_PER_TASK, type AttemptRecord, type BackendChoice, type BackendInfo, type Incident, type ModelStart,
  type Phase, type RunExport, type RunState, type TaskDelta, type TrainerEvent,
} from '../../trainer/protocol';

export interface FeedStep { step: number; proposals: ProposalSample[]; solves: SolveSample[] }

export interface LabState {
  /** `viewing`: an imported run is shown; the trainer is left alone. */
  mode: 'live' | 'viewing';
  viewingName: string | null;
  runId: string;
  state: RunState;
  phase: Phase | null;
  step: number;
  backend: BackendInfo | null;
  backendChoice: BackendChoice;
  start: ModelStart;
  startedFrom: ModelStart | 'checkpoint' | null;
  parameters: number;
  hasBaseCheckpoint: boolean;
  /** What the controls show (and the URL mirrors). */
  draft: AzrConfig;
  /** What the trainer reports it will use for the next step. */
  active: AzrConfig | null;
  pendingReset: ConfigKey[];
  urlErrors: string[];
  /** The last non-fatal error the trainer reported (a refused value, a setup that failed). */
  error: string | null;
  seeding: SeedingProgress | null;
  elapsedMs: number;
  /** `performance.now()` when elapsedMs was last reported, to tick the clock between steps. */
  elapsedAt: number;
  stepsPerMinute: number;
  tokensPerSecond: number;
  lastCheckpoint: number | null;
  incidents: Incident[];
  feed: FeedStep | null;
  speedMs: number;
  selectedTask: number | null;
  /** Mutable, versioned: see the header. */
  metrics: StepMetrics[];
  metricsVersion: number;
  tasks: Map<number, BufferedTask>;
  attempts: Map<number, AttemptRecord[]>;
  tasksVersion: number;
}

export function initialState(draft: AzrConfig, backendChoice: BackendChoice, start: ModelStart, urlErrors: string[]): LabState {
  return {
    mode: 'live', viewingName: null, runId: '', state: 'loading', phase: null, step: 0, backend: null, backendChoice, start,
    startedFrom: null, parameters: 0, hasBaseCheckpoint: false, draft, active: null, pendingReset: [], urlErrors, error: null, seeding: null, elapsedMs: 0,
    elapsedAt: 0, stepsPerMinute: 0, tokensPerSecond: 0, lastCheckpoint: null, incidents: [], feed: null, speedMs: 0,
    selectedTask: null, metrics: [], metricsVersion: 0, tasks: new Map(), attempts: new Map(), tasksVersion: 0,
  };
}

export type LabStore = ReturnType<typeof createLabStore>;

export function createLabStore(init: LabState) {
  return createStore<LabState>()(() => init);
}

/** A fresh run: everything the previous run showed goes. */
export function beginRun(store: LabStore, runId: string): void {
  store.setState({
    mode: 'live', viewingName: null, runId, state: 'loading', phase: null, step: 0, seeding: null, elapsedMs: 0, elapsedAt: performance.now(),
    stepsPerMinute: 0, tokensPerSecond: 0, lastCheckpoint: null, incidents: [], feed: null, selectedTask: null, error: null,
    metrics: [], metricsVersion: store.getState().metricsVersion + 1, tasks: new Map(), attempts: new Map(),
    tasksVersion: store.getState().tasksVersion + 1,
  });
}

function applyDelta(s: LabState, delta: TaskDelta): void {
  for (const t of delta.added) s.tasks.set(t.id, t);
  for (const u of delta.updated) {
    const t = s.tasks.get(u.id);
    if (!t) continue;
    s.tasks.set(u.id, { ...t, attempts: u.attempts, solved: u.solved, proposedSolveRate: u.proposedSolveRate ?? t.proposedSolveRate, history: [...t.history, ...u.history] });
  }
}

/** Folds one trainer event into the store; events of another run are dropped. */
export function applyEvent(store: LabStore, e: TrainerEvent): void {
  const s = store.getState();
  if (e.runId !== s.runId || s.mode !== 'live') return;
  switch (e.type) {
    case 'run': {
      // A resumed run keeps what the page saw; steps past the checkpoint are replaced as they come again.
      const tasks = new Map(e.tasks.map((t) => [t.id, t]));
      store.setState({
        backend: e.backend, startedFrom: e.start, parameters: e.parameters, hasBaseCheckpoint: e.hasBaseCheckpoint, step: e.step, active: e.config, elapsedMs: e.elapsedMs,
        elapsedAt: performance.now(), tasks, tasksVersion: s.tasksVersion + 1, lastCheckpoint: e.start === 'checkpoint' ? e.step : null,
      });
      return;
    }
    case 'status':
      store.setState({ state: e.state, phase: e.phase, step: e.step });
      if (e.state === 'running' || e.state === 'stepping' || e.state === 'seeding') store.setState({ elapsedAt: performance.now() });
      return;
    case 'seeding':
      store.setState({ seeding: e.progress });
      return;
    case 'tasks':
      applyDelta(s, e.tasks);
      store.setState({ tasksVersion: s.tasksVersion + 1 });
      return;
    case 'step': {
      const m = e.metrics;
      const last = s.metrics.at(-1);
      if (last && last.step >= m.step) s.metrics.splice(s.metrics.findIndex((x) => x.step >= m.step));
      s.metrics.push(m);
      applyDelta(s, e.tasks);
      for (const a of e.solves) {
        const list = s.attempts.get(a.taskId) ?? [];
        list.push({ step: m.step, answer: a.answer, outcome: a.outcome, reason: a.reason, reward: a.reward, advantage: a.advantage });
        if (list.length > ATTEMPTS_KEPT_PER_TASK) list.shift();
        s.attempts.set(a.taskId, list);
      }
      store.setState({
        step: m.step, feed: { step: m.step, proposals: e.proposals, solves: e.solves }, elapsedMs: e.elapsedMs, elapsedAt: performance.now(),
        stepsPerMinute: e.stepsPerMinute, tokensPerSecond: m.tokensPerSecond, metricsVersion: s.metricsVersion + 1, tasksVersion: s.tasksVersion + 1,
      });
      return;
    }
    case 'config':
      store.setState({ active: e.config, pendingReset: e.pendingReset });
      return;
    case 'checkpoint':
      store.setState({ lastCheckpoint: e.step });
      return;
    case 'incident': {
      const { type: _t, runId: _r, ...incident } = e;
      store.setState({ incidents: [...s.incidents, incident] });
      return;
    }
    case 'error':
      store.setState({ error: e.message });
      return;
  }
}

export function addIncident(store: LabStore, incident: Incident): void {
  store.setState({ incidents: [...store.getState().incidents, incident] });
}

/** Shows an exported run instead of the live one (the trainer keeps its run; Reset goes back to live). */
export function viewRun(store: LabStore, run: RunExport, name: string): void {
  const s = store.getState();
  const last = run.metrics.at(-1);
  const attempts = new Map<number, AttemptRecord[]>(Object.entries(run.attempts).map(([id, list]) => [Number(id), list]));
  store.setState({
    mode: 'viewing', viewingName: name, runId: run.runId, state: 'paused', phase: null, step: last?.step ?? 0, backend: run.backend,
    parameters: 0, startedFrom: null,
    draft: run.config, active: run.config, pendingReset: [], seeding: null, elapsedMs: run.metrics.reduce((a, m) => a + m.stepMs, 0),
    elapsedAt: performance.now(), stepsPerMinute: 0, tokensPerSecond: last?.tokensPerSecond ?? 0, lastCheckpoint: null, incidents: run.incidents,
    feed: null, selectedTask: null, error: null, metrics: [...run.metrics], metricsVersion: s.metricsVersion + 1,
    tasks: new Map(run.tasks.map((t) => [t.id, t])), attempts, tasksVersion: s.tasksVersion + 1,
  });
}

export function useLab<T>(store: LabStore, selector: (s: LabState) => T): T {
  return useStore(store, selector);
}
