import { describe, expect, it } from 'vitest';
import { presetConfig } from '../../azr/config';
import type { BufferedTask } from '../../azr/buffers';
import type { StepMetrics } from '../../azr/metrics';
import type { StepEvent, TrainerEvent } from '../../trainer/protocol';
import { applyEvent, beginRun, createLabStore, initialState, viewRun } from './lab';

const task = (id: number, step = 0): BufferedTask => ({
  id, type: 'deduction', task: { program: 'function f(a) { return a; }', input: '1', output: '1' }, source: step ? 'self-play' : 'seeding', step, attempts: 0, solved: 0, history: [],
});
const metrics = (step: number) => ({ step, tokensPerSecond: 10 * step } as unknown as StepMetrics);
const stepEvent = (runId: string, step: number, extra: Partial<StepEvent> = {}): StepEvent => ({
  type: 'step', runId, metrics: metrics(step), proposals: [], solves: [], tasks: { added: [], updated: [] }, elapsedMs: step * 1000, stepsPerMinute: 6, ...extra,
});

function live() {
  const store = createLabStore(initialState(presetConfig('tiny'), 'auto', 'scratch', []));
  beginRun(store, 'r1');
  return store;
}

describe('the lab store', () => {
  it('folds step events into the counters, the feed, the metrics and the tasks', () => {
    const store = live();
    applyEvent(store, { type: 'tasks', runId: 'r1', tasks: { added: [task(1)], updated: [] } });
    applyEvent(store, stepEvent('r1', 1, {
      tasks: { added: [task(2, 1)], updated: [{ id: 1, attempts: 2, solved: 1, history: [{ step: 1, attempts: 2, solved: 1 }] }] },
      solves: [{ type: 'deduction', taskId: 1, answer: '1<eos>', outcome: 'correct', reward: 1, advantage: 0.5 }],
    }));
    const s = store.getState();
    expect(s.step).toBe(1);
    expect(s.tokensPerSecond).toBe(10);
    expect(s.metrics.map((m) => m.step)).toEqual([1]);
    expect(s.tasks.get(1)).toMatchObject({ attempts: 2, solved: 1, history: [{ step: 1 }] });
    expect(s.tasks.get(2)?.step).toBe(1);
    expect(s.attempts.get(1)?.[0]).toMatchObject({ step: 1, outcome: 'correct' });
    expect(s.feed?.step).toBe(1);
  });

  it('drops the events of any other run', () => {
    const store = live();
    const before = store.getState();
    applyEvent(store, stepEvent('old', 7));
    applyEvent(store, { type: 'status', runId: 'old', state: 'running', phase: 'solve', step: 7 } as TrainerEvent);
    expect(store.getState()).toBe(before);
  });

  it('replaces the steps a resumed run plays again', () => {
    const store = live();
    for (const n of [1, 2, 3, 4]) applyEvent(store, stepEvent('r1', n));
    const replay = stepEvent('r1', 3);
    applyEvent(store, replay);
    expect(store.getState().metrics.map((m) => m.step)).toEqual([1, 2, 3]);
    expect(store.getState().metrics[2]).toBe(replay.metrics);
  });

  it('views an imported run and leaves live events out until a new run', () => {
    const store = live();
    viewRun(store, {
      format: 'azr-lab-run', version: 1, runId: 'x', exportedAt: '', config: presetConfig('tiny'), backend: null,
      metrics: [metrics(1), metrics(2)], tasks: [task(1)], attempts: { 1: [] }, incidents: [],
    }, 'x.json');
    expect(store.getState()).toMatchObject({ mode: 'viewing', step: 2, viewingName: 'x.json' });
    applyEvent(store, stepEvent('x', 3));
    expect(store.getState().step).toBe(2);
    beginRun(store, 'r2');
    expect(store.getState()).toMatchObject({ mode: 'live', step: 0, metrics: [] });
  });
});
