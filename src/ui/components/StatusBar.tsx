import { useEffect, useState } from 'react';
import type { Phase, RunState } from '../../trainer/protocol';
import { useLabState } from '../context';

const STATE_LABEL: Record<RunState, string> = {
  loading: 'Loading the model…', ready: 'Ready — press Start', seeding: 'Seeding the buffers', running: 'Running',
  pausing: 'Pausing after this step', paused: 'Paused', stepping: 'Running one step', failed: 'Stopped by an error',
};

const PHASE_LABEL: Record<Phase, string> = {
  seeding: 'seeding', propose: 'proposing tasks', validate: 'validating them in the sandbox', solve: 'solving tasks',
  check: 'checking answers in the sandbox', reward: 'scoring', update: 'learning (policy update)',
};

const TICKING: readonly RunState[] = ['running', 'seeding', 'stepping', 'pausing'];

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h ${m}m ${sec}s` : m ? `${m}m ${sec}s` : `${sec}s`;
}

function Elapsed() {
  const elapsedMs = useLabState((s) => s.elapsedMs);
  const elapsedAt = useLabState((s) => s.elapsedAt);
  const ticking = useLabState((s) => TICKING.includes(s.state));
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    if (!ticking) return;
    const id = setInterval(() => setNow(performance.now()), 1000);
    return () => clearInterval(id);
  }, [ticking]);
  const ms = elapsedMs + (ticking ? Math.max(0, now - elapsedAt) : 0);
  return <span className="stat" title="Training time, pauses excluded">elapsed {formatDuration(ms)}</span>;
}

export function StatusBar() {
  const step = useLabState((s) => s.step);
  const state = useLabState((s) => s.state);
  const phase = useLabState((s) => s.phase);
  const stepsPerMinute = useLabState((s) => s.stepsPerMinute);
  const tokensPerSecond = useLabState((s) => s.tokensPerSecond);
  const backend = useLabState((s) => s.backend);
  const checkpoint = useLabState((s) => s.lastCheckpoint);
  const mode = useLabState((s) => s.mode);
  const parameters = useLabState((s) => s.parameters);
  const startedFrom = useLabState((s) => s.startedFrom);
  return (
    <div className="status-bar" role="status">
      <span className="stat step">
        Step <b data-testid="step-counter">{step}</b>
      </span>
      <span className={`stat state state-${state}`} data-testid="run-state" data-state={state}>
        {mode === 'viewing' ? 'Viewing an imported run' : STATE_LABEL[state]}
        {phase && state !== 'seeding' && mode === 'live' ? ` — ${PHASE_LABEL[phase]}` : ''}
      </span>
      <Elapsed />
      <span className="stat" title="Mean over the last five steps">{stepsPerMinute ? stepsPerMinute.toFixed(1) : '–'} steps/min</span>
      <span className="stat">{tokensPerSecond ? Math.round(tokensPerSecond).toLocaleString('en') : '–'} tokens/s</span>
      {parameters > 0 && (
        <span className="stat" title="Model parameters, and where its weights came from">
          {(parameters / 1e6).toFixed(2)} M params · {startedFrom === 'base' ? 'from the base checkpoint' : startedFrom === 'checkpoint' ? 'resumed from a checkpoint' : 'from scratch'}
        </span>
      )}
      {checkpoint !== null && <span className="stat" title="Saved in this browser (IndexedDB); a crashed trainer restarts from here">checkpoint: step {checkpoint}</span>}
      <span className="backend-badge" data-testid="backend-badge" data-backend={backend?.name ?? ''} title="The tfjs backend the trainer runs on, and why">
        {backend ? backend.reason : 'choosing a backend…'}
      </span>
    </div>
  );
}
