import { describe, expect, it } from 'vitest';
import { createBuffers, IDENTITY_SEED, type Buffers } from '../azr/buffers';
import { GROUP_KEYS, presetConfig, type AzrConfig, type GroupKey } from '../azr/config';
import { emptyGroupMetrics, type GroupMetrics, type StepMetrics } from '../azr/metrics';
import type { Policy } from '../azr/policy';
import type { SeedingProgress, StepRecord } from '../azr/selfplay';
import type { RunSetup, TrainerEvent } from './protocol';
import { memoryRunStore, type RunStore } from './runstore';
import { Trainer, type Engine, type TrainerDeps } from './trainer';

function metricsFor(step: number, buffers: Buffers): StepMetrics {
  const groups = {} as Record<GroupKey, GroupMetrics>;
  for (const k of GROUP_KEYS) groups[k] = { ...emptyGroupMetrics(), count: 2, rewardMean: step / 10 };
  return {
    step, buffers: { deduction: buffers.deduction.size, abduction: buffers.abduction.size, induction: buffers.induction.size },
    groups, invalid: {}, proposals: { deduction: { total: 2, valid: 1, duplicates: 0 }, abduction: { total: 2, valid: 1, duplicates: 0 }, induction: { total: 0, valid: 0, duplicates: 0 } },
    programChars: 20, programComplexity: 1, operationNovelty: 0.5, answerDiversity: 1, outputTypes: 1, loss: 1, entropy: 1, gradNorm: 1, clipFraction: 0,
    trainedTrajectories: 4, tokensGenerated: 10, tokensPerSecond: 100, stepMs: 10, phases: { propose: 1, validate: 1, solve: 1, check: 1, reward: 1, update: 1 },
  };
}

/** A stand-in for SelfPlay: each step adds one deduction task and solves the oldest one. */
class FakeEngine implements Engine {
  buffers = createBuffers();
  step = 0;
  seeded = false;
  rngState: [number, number, number, number] = [1, 2, 3, 4];
  steps: AzrConfig[] = [];
  constructor(public config: AzrConfig, private readonly policy: Policy, private readonly onSeed: (p: SeedingProgress) => void, private readonly fail?: () => boolean) {}
  async seed(): Promise<SeedingProgress> {
    this.buffers.deduction.add(IDENTITY_SEED, 'seed', 0, true);
    this.buffers.abduction.add(IDENTITY_SEED, 'seed', 0, true);
    const p = { valid: 1, target: 1, induction: 0, inductionTarget: 0, attempts: 1 };
    this.onSeed(p);
    this.seeded = true;
    return p;
  }
  async runStep(): Promise<StepRecord> {
    if (this.fail?.()) throw new Error('device lost');
    this.step++;
    this.steps.push({ ...this.config });
    await this.policy.generate([{ prompt: 'p', kind: 'triplet', maxTokens: 4 }], { temperature: 1, topK: 0, constrained: true, seed: 1 });
    const entry = this.buffers.deduction.add({ program: `function f(a) { return a + ${this.step}; }`, input: '1', output: String(1 + this.step) }, 'self-play', this.step, true)!;
    this.buffers.deduction.recordSolves(1, this.step, 1, 1);
    return {
      metrics: metricsFor(this.step, this.buffers),
      proposals: [{ type: 'deduction', text: 't', verdict: 'valid', taskId: entry.id, reward: 0, advantage: 0 }],
      solves: [{ type: 'deduction', taskId: 1, answer: '"Hello world"<eos>', outcome: 'correct', reward: 1, advantage: 0.5 }],
    };
  }
}

const policy: Policy = {
  encode: (t) => [...t].map((c) => c.charCodeAt(0)),
  contextLength: 64,
  generate: async (reqs) => reqs.map(() => ({ text: '', promptIds: [], responseIds: [1], logProbs: [0] })),
  update: async () => ({ loss: 0, entropy: 0, gradNorm: 0, clipFraction: 0, tokens: 1, klToReference: 0 }),
};

function harness(opts: { store?: RunStore; fail?: () => boolean; failBackend?: boolean; noWebgl?: boolean } = {}) {
  const events: TrainerEvent[] = [];
  const engines: FakeEngine[] = [];
  let kills = 0;
  let restart: (m: string) => void = () => {};
  const deps: TrainerDeps<object> = {
    initBackend: async (choice) => {
      if (opts.failBackend && choice === 'webgpu') throw new Error('no adapter');
      if (opts.noWebgl && choice === 'webgl') return { name: 'wasm', requested: choice, reason: 'wasm — no WebGL here' };
      return { name: choice === 'auto' ? 'wasm' : choice, requested: choice, reason: 'test' };
    },
    createModel: async (_config, source) => ({ policy, parameters: 123, snapshot: async () => ({ weights: [1, 2, 3], from: source.kind }), dispose: () => {} }),
    createExecutor: (onRestart) => { restart = onRestart; return { executor: {}, kill: async () => { kills++; onRestart('killed'); return true; }, dispose: () => {} }; },
    createEngine: (p, _e, config, onSeed) => { const e = new FakeEngine(config, p, onSeed, opts.fail); engines.push(e); return e; },
    store: opts.store ?? memoryRunStore(),
    hasBaseCheckpoint: false,
    checkpointEvery: 2,
    now: () => performance.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
  const trainer = new Trainer(deps);
  trainer.connect((e) => events.push(structuredClone(e)));
  const of = <T extends TrainerEvent['type']>(type: T) => events.filter((e): e is Extract<TrainerEvent, { type: T }> => e.type === type);
  const until = async (pred: () => boolean) => { while (!pred()) await new Promise((r) => setTimeout(r, 1)); };
  return { trainer, events, engines, of, until, kills: () => kills, restart: (m: string) => restart(m) };
}

const setup = (runId = 'r1', config = presetConfig('tiny')): RunSetup => ({ runId, config, backend: 'auto', start: 'scratch' });

describe('Trainer', () => {
  it('sets up a run and says which backend runs and why', async () => {
    const h = harness();
    await h.trainer.command({ type: 'reset', ...setup() });
    const run = h.of('run')[0];
    expect(run).toMatchObject({ runId: 'r1', backend: { name: 'wasm', reason: 'test' }, start: 'scratch', step: 0, parameters: 123 });
    expect(h.of('status').at(-1)).toMatchObject({ runId: 'r1', state: 'ready' });
    expect(h.events.every((e) => e.runId === 'r1')).toBe(true);
  });

  it('seeds, then streams one record per step with the buffer changes, until paused', async () => {
    const h = harness();
    await h.trainer.command({ type: 'reset', ...setup() });
    await h.trainer.command({ type: 'start' });
    await h.until(() => h.of('step').length >= 3);
    await h.trainer.command({ type: 'pause' });
    await h.until(() => h.of('status').at(-1)?.state === 'paused');
    const steps = h.of('step');
    const n = steps.length;
    expect(steps.map((s) => s.metrics.step)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(h.of('seeding')).toHaveLength(1);
    expect(h.of('tasks')[0].tasks.added.map((t) => t.id)).toEqual([1, 2]);
    expect(steps[0].tasks.added).toHaveLength(1);
    expect(steps[1].tasks.updated).toEqual([{ id: 1, attempts: 2, solved: 2, history: [{ step: 2, attempts: 1, solved: 1 }] }]);
    // Status events count completed steps: the first proposing phase belongs to step 1, with 0 done.
    expect(h.of('status').find((s) => s.phase === 'propose')?.step).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(h.of('step')).toHaveLength(n);
  });

  it('runs exactly one step on `step`', async () => {
    const h = harness();
    await h.trainer.command({ type: 'reset', ...setup() });
    await h.trainer.command({ type: 'step' });
    await h.until(() => h.of('status').at(-1)?.state === 'paused');
    expect(h.of('step')).toHaveLength(1);
    expect(h.of('status').map((s) => s.state)).toContain('stepping');
  });

  it('applies next-step keys at the next step and holds reset keys until a reset', async () => {
    const h = harness();
    await h.trainer.command({ type: 'reset', ...setup() });
    const changed = { ...presetConfig('tiny'), temperature: 0.5, seedFactor: 3 };
    await h.trainer.command({ type: 'setConfig', config: changed });
    const reported = h.of('config').at(-1)!;
    expect(reported.config.temperature).toBe(0.5);
    expect(reported.config.seedFactor).toBe(1);
    expect(reported.pendingReset).toEqual(['seedFactor']);
    await h.trainer.command({ type: 'step' });
    await h.until(() => h.of('step').length === 1);
    expect(h.engines[0].steps[0].temperature).toBe(0.5);
  });

  it('refuses an out-of-range config with a message naming the key', async () => {
    const h = harness();
    await h.trainer.command({ type: 'reset', ...setup() });
    await h.trainer.command({ type: 'setConfig', config: { ...presetConfig('tiny'), batchSize: 999 } });
    expect(h.of('error').at(-1)?.message).toMatch(/batchSize must be an integer from 1 to 64/);
  });

  it('drops the old run on reset; later events carry the new run id', async () => {
    const h = harness();
    await h.trainer.command({ type: 'reset', ...setup('a') });
    await h.trainer.command({ type: 'start' });
    await h.until(() => h.of('step').length >= 1);
    await h.trainer.command({ type: 'reset', ...setup('b') });
    const at = h.events.findIndex((e) => e.type === 'run' && e.runId === 'b');
    expect(h.events.slice(at).every((e) => e.runId === 'b')).toBe(true);
    expect(h.of('status').at(-1)).toMatchObject({ runId: 'b', state: 'ready' });
  });

  it('checkpoints every few steps and resumes a run from its checkpoint', async () => {
    const store = memoryRunStore();
    const h = harness({ store });
    await h.trainer.command({ type: 'reset', ...setup('r') });
    await h.trainer.command({ type: 'start' });
    await h.until(() => h.of('checkpoint').length >= 2);
    await h.trainer.command({ type: 'pause' });
    await h.until(() => h.of('status').at(-1)?.state === 'paused');
    const saved = await store.load('r');
    expect(saved?.step).toBe(h.of('checkpoint').at(-1)!.step);
    expect(saved!.step % 2).toBe(0);
    expect(saved?.model).toEqual({ weights: [1, 2, 3], from: 'scratch' });

    const h2 = harness({ store });
    await h2.trainer.command({ type: 'resume', ...setup('r') });
    const run = h2.of('run')[0];
    expect(run).toMatchObject({ start: 'checkpoint', step: saved!.step });
    expect(run.tasks.map((t) => t.id)).toEqual(saved!.tasks.map((t) => t.id));
    expect(run.tasks[0].attempts).toBe(saved!.step);
    await h2.trainer.command({ type: 'step' });
    await h2.until(() => h2.of('step').length === 1);
    expect(h2.of('step')[0].metrics.step).toBe(saved!.step + 1);
    expect(h2.of('step')[0].tasks.added.map((t) => t.id)).toEqual([saved!.tasks.at(-1)!.id + 1]);
  });

  it('resumes without a checkpoint by starting the run afresh', async () => {
    const h = harness();
    await h.trainer.command({ type: 'resume', ...setup('x') });
    expect(h.of('run')[0]).toMatchObject({ runId: 'x', start: 'scratch', step: 0 });
  });

  it('reports a failed step as fatal so the page can restart the worker', async () => {
    let fail = false;
    const h = harness({ fail: () => fail });
    await h.trainer.command({ type: 'reset', ...setup() });
    await h.trainer.command({ type: 'start' });
    await h.until(() => h.of('step').length >= 1);
    fail = true;
    await h.until(() => h.of('error').length > 0);
    expect(h.of('error')[0]).toMatchObject({ fatal: true });
    expect(h.of('error')[0].message).toMatch(/device lost/);
    expect(h.of('status').at(-1)?.state).toBe('failed');
  });

  it('falls back to the chooser when the asked backend cannot start, and says so', async () => {
    const h = harness({ failBackend: true });
    await h.trainer.command({ type: 'reset', ...setup('g'), backend: 'webgpu' });
    expect(h.of('run')[0].backend.name).toBe('wasm');
    expect(h.of('incident')[0]).toMatchObject({ kind: 'backend-fallback' });
    expect(h.of('incident')[0].message).toMatch(/webgpu could not start \(no adapter\)/);
  });

  it('reports a fallback when the asked backend is unavailable', async () => {
    const h = harness({ noWebgl: true });
    await h.trainer.command({ type: 'reset', ...setup('g'), backend: 'webgl' });
    expect(h.of('run')[0].backend.name).toBe('wasm');
    expect(h.of('incident')[0].message).toBe('webgl is unavailable here: wasm — no WebGL here');
  });

  it('turns a sandbox restart into an incident and exports the run', async () => {
    const h = harness();
    await h.trainer.command({ type: 'reset', ...setup() });
    await h.trainer.command({ type: 'step' });
    await h.until(() => h.of('step').length === 1);
    expect(await h.trainer.killSandbox()).toBe(true);
    expect(h.of('incident').at(-1)).toMatchObject({ kind: 'sandbox-restarted', message: 'killed', step: 1 });
    const exported = h.trainer.exportRun();
    expect(exported).toMatchObject({ format: 'azr-lab-run', version: 1, runId: 'r1' });
    expect(exported.metrics).toHaveLength(1);
    expect(exported.tasks.length).toBe(3);
    expect(exported.attempts[1][0]).toMatchObject({ step: 1, outcome: 'correct' });
    expect(exported.incidents).toHaveLength(1);
  });
});
