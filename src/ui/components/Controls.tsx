import type { RunState } from '../../trainer/protocol';
import { BACKEND_NAMES, type BackendChoice, type ModelStart } from '../../trainer/protocol';
import { useLabContext, useLabState } from '../context';
import { ParamControl } from './ParamControl';

const SPEEDS: { label: string; ms: number }[] = [
  { label: 'full speed', ms: 0 },
  { label: '1 s between steps', ms: 1000 },
  { label: '3 s between steps', ms: 3000 },
  { label: '10 s between steps', ms: 10000 },
];

const BUSY: readonly RunState[] = ['running', 'seeding', 'pausing', 'stepping'];

/** Start, pause, single step, reset, speed, and what a run is set up with (seed, model, backend, start). */
export function Controls() {
  const { client } = useLabContext();
  const state = useLabState((s) => s.state);
  const viewing = useLabState((s) => s.mode === 'viewing');
  const speedMs = useLabState((s) => s.speedMs);
  const backendChoice = useLabState((s) => s.backendChoice);
  const start = useLabState((s) => s.start);
  const hasBase = useLabState((s) => s.hasBaseCheckpoint);
  const pending = useLabState((s) => s.pendingReset.length > 0);
  const busy = BUSY.includes(state);
  const canRun = !viewing && (state === 'ready' || state === 'paused');
  return (
    <section className="panel controls" aria-label="Run controls">
      <div className="buttons">
        <button data-testid="start" className="primary" disabled={!canRun} onClick={() => client.start()} title="Run self-play steps one after another">▶ Start</button>
        <button data-testid="pause" disabled={viewing || !(state === 'running' || state === 'seeding')} onClick={() => client.pause()} title="Stop after the step in flight">❚❚ Pause</button>
        <button data-testid="step" disabled={!canRun} onClick={() => client.step()} title="Run exactly one step">+1 Step</button>
        <button data-testid="reset" className={pending ? 'attention' : ''} disabled={state === 'loading'} onClick={() => client.reset()} title="Start a fresh run with the settings below">↺ Reset</button>
      </div>
      <label className="row">
        <span>Speed</span>
        <select value={speedMs} disabled={viewing} onChange={(e) => client.setSpeed(Number(e.target.value))} data-testid="speed">
          {SPEEDS.map((s) => <option key={s.ms} value={s.ms}>{s.label}</option>)}
        </select>
      </label>
      <h3>Run set-up</h3>
      <p className="panel-blurb">What a run is made of. Changes here start a new run when you press Reset.</p>
      <ParamControl k="seed" />
      <button className="link" disabled={viewing || busy} onClick={() => client.setConfig({ ...client.draft(), seed: Math.floor(Math.random() * 2 ** 31) })}>new random seed</button>
      <ParamControl k="modelSize" />
      <label className="row">
        <span>Backend</span>
        <select value={backendChoice} disabled={viewing} onChange={(e) => client.setBackend(e.target.value as BackendChoice)} data-testid="backend-select">
          <option value="auto">automatic (fastest here)</option>
          {BACKEND_NAMES.map((b) => <option key={b} value={b}>{b}</option>)}
        </select>
      </label>
      <label className="row">
        <span>Start from</span>
        <select value={hasBase ? start : 'scratch'} disabled={viewing || !hasBase} onChange={(e) => client.setStart(e.target.value as ModelStart)} data-testid="start-from">
          {hasBase && <option value="base">the shipped base model</option>}
          <option value="scratch">scratch (random weights)</option>
        </select>
      </label>
      {!hasBase && <p className="help">This build ships no base checkpoint, so runs start from random weights: expect few valid proposals at first.</p>}
    </section>
  );
}
