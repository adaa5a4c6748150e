import type { IncidentKind } from '../../trainer/protocol';
import { useLabState } from '../context';

const LABEL: Record<IncidentKind, string> = {
  'sandbox-restarted': 'sandbox replaced', 'trainer-restarted': 'trainer restarted', 'backend-fallback': 'backend fallback',
  'checkpoint-failed': 'checkpoint failed',
};

export function Incidents() {
  const incidents = useLabState((s) => s.incidents);
  return (
    <section className="panel incidents" aria-label="Incidents" data-testid="incidents" data-count={incidents.length}>
      <h2>Incidents</h2>
      {incidents.length === 0 ? (
        <p className="empty">None so far. A sandbox replaced after a runaway program, or a trainer restarted from its checkpoint, shows here.</p>
      ) : (
        <ul>
          {[...incidents].reverse().map((i, n) => (
            <li key={n} data-kind={i.kind}>
              <span className={`incident-kind kind-${i.kind}`}>{LABEL[i.kind]}</span> <b>step {i.step}</b> · {i.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
