// The page's side of the trainer worker: spawns it, forwards commands, folds its events into the store,
// and replaces it from its last checkpoint when it dies (an uncaught error, a fatal step error such as a
// lost GPU device, or silence), saying so in the incidents.

import { proxy, wrap, type Remote } from 'comlink';
import { CONFIG_KEYS, CONFIG_SPECS, type AzrConfig } from '../azr/config';
import type { BackendChoice, ModelStart, RunExport, RunState, TrainerApi, TrainerCommand, TrainerEvent } from '../trainer/protocol';
import { addIncident, applyEvent, beginRun, type LabStore } from './store/lab';

const HEARTBEAT_MS = 5_000;
/** A worker that has not answered a ping for this long is dead (a step never blocks it this long). */
const SILENCE_MS = 45_000;
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 120_000;

const RUNNING: readonly RunState[] = ['running', 'seeding', 'pausing'];

export function newRunId(): string {
  return `run-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export function spawnTrainerWorker(): Worker {
  return new Worker(new URL('../../workers/trainer.worker.ts', import.meta.url), { type: 'module', name: 'trainer' });
}

export class TrainerClient {
  private worker: Worker | null = null;
  private api: Remote<TrainerApi> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastAnswer = 0;
  private restarts: number[] = [];
  private restarting = false;
  private resetTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly store: LabStore, private readonly spawn: () => Worker = spawnTrainerWorker) {}

  boot(): void {
    this.connect();
    this.reset();
  }

  private connect(): void {
    const worker = this.spawn();
    worker.addEventListener('error', (ev) => {
      ev.preventDefault();
      this.died(ev.message || 'uncaught error in the trainer worker');
    });
    const api = wrap<TrainerApi>(worker);
    this.worker = worker;
    this.api = api;
    this.lastAnswer = Date.now();
    void api.connect(proxy((e: TrainerEvent) => this.onEvent(e)));
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastAnswer > SILENCE_MS) { this.died('the trainer worker stopped answering'); return; }
      api.ping().then(() => { if (this.api === api) this.lastAnswer = Date.now(); }, () => {});
    }, HEARTBEAT_MS);
  }

  private disconnect(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.worker?.terminate();
    this.worker = null;
    this.api = null;
  }

  private onEvent(e: TrainerEvent): void {
    this.lastAnswer = Date.now();
    applyEvent(this.store, e);
    if (e.type === 'error' && e.fatal && e.runId === this.store.getState().runId) this.died(e.message);
  }

  private send(command: TrainerCommand): void {
    this.api?.command(command).catch((err: unknown) => this.store.setState({ error: String(err) }));
  }

  draft(): AzrConfig { return this.store.getState().draft; }

  /** A fresh run with the controls' config, backend and start (an imported run being viewed is left). */
  reset(): void {
    clearTimeout(this.resetTimer);
    const s = this.store.getState();
    const runId = newRunId();
    beginRun(this.store, runId);
    this.send({ type: 'reset', runId, config: s.draft, backend: s.backendChoice, start: s.start });
  }

  start(): void { this.send({ type: 'start' }); }
  pause(): void { this.send({ type: 'pause' }); }
  step(): void { this.send({ type: 'step' }); }

  setSpeed(delayMs: number): void {
    this.store.setState({ speedMs: delayMs });
    this.send({ type: 'setSpeed', delayMs });
  }

  /** New control values: applied next step, or — before the run has started — by setting the run up again. */
  setConfig(config: AzrConfig): void {
    const s = this.store.getState();
    this.store.setState({ draft: config });
    if (s.mode !== 'live') return;
    const needsReset = CONFIG_KEYS.some((k) => CONFIG_SPECS[k].takesEffect === 'reset' && s.active && config[k] !== s.active[k]);
    if (needsReset && s.state === 'ready') this.resetSoon();
    else this.send({ type: 'setConfig', config });
  }

  /** Backend and start take effect at the next reset; before the run has started, at once. */
  setBackend(backendChoice: BackendChoice): void {
    this.store.setState({ backendChoice });
    if (this.store.getState().state === 'ready') this.resetSoon();
  }

  setStart(start: ModelStart): void {
    this.store.setState({ start });
    if (this.store.getState().state === 'ready') this.resetSoon();
  }

  /** A run not started yet is set up again, once a slider stops moving. */
  private resetSoon(): void {
    clearTimeout(this.resetTimer);
    this.resetTimer = setTimeout(() => this.reset(), 400);
  }

  async exportRun(): Promise<RunExport> {
    if (!this.api) throw new Error('the trainer is not running');
    return this.api.exportRun();
  }

  killSandbox(): Promise<boolean> {
    return this.api ? this.api.killSandbox() : Promise.resolve(false);
  }

  crashTrainer(): void {
    void this.api?.crash();
  }

  /** Replaces a dead trainer worker and resumes its run from the last checkpoint. */
  private died(reason: string): void {
    if (this.restarting) return;
    this.restarting = true;
    const s = this.store.getState();
    const wasRunning = RUNNING.includes(s.state);
    this.disconnect();
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    if (this.restarts.length >= MAX_RESTARTS) {
      this.store.setState({ state: 'failed', phase: null, error: `The trainer worker died ${MAX_RESTARTS + 1} times in two minutes (last: ${reason}). Press Reset to start a fresh run.` });
      this.restarting = false;
      this.connect();
      return;
    }
    this.restarts.push(now);
    const from = s.lastCheckpoint !== null ? `its checkpoint of step ${s.lastCheckpoint}` : 'the start (no checkpoint yet)';
    addIncident(this.store, { kind: 'trainer-restarted', step: s.step, at: now, message: `Trainer worker died (${reason}); restarted from ${from}.` });
    this.store.setState({ state: 'loading', phase: null, error: null });
    this.connect();
    this.send({ type: 'resume', runId: s.runId, config: s.active ?? s.draft, backend: s.backendChoice, start: s.start });
    if (wasRunning) this.start();
    this.restarting = false;
  }
}
