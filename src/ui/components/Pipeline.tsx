import type { Phase } from '../../trainer/protocol';
import { useLabState } from '../context';

const STAGES: { phase: Phase; title: string; text: string }[] = [
  { phase: 'propose', title: '1 · Propose', text: 'The model writes new tasks: a program and an input, shown a few past tasks as examples to differ from.' },
  { phase: 'validate', title: '2 · Validate', text: 'QuickJS runs each program in a sandbox. Safe, deterministic ones become tasks with a known answer.' },
  { phase: 'solve', title: '3 · Solve', text: 'The same model answers tasks: predict an output, find an input, or write the program.' },
  { phase: 'check', title: '4 · Check', text: 'The sandbox checks each answer. Right: reward 1. A task solved sometimes is worth proposing.' },
  { phase: 'update', title: '5 · Learn', text: 'TRR++: rewards normalised per role and task type, then one policy-gradient step.' },
];

/** The AZR loop as five boxes; the one the trainer is in lights up. */
export function Pipeline() {
  const phase = useLabState((s) => s.phase);
  const state = useLabState((s) => s.state);
  const current = phase === 'reward' ? 'update' : phase;
  return (
    <ol className="pipeline" aria-label="One self-play step">
      {state === 'seeding' && (
        <li className="stage seeding active">
          <strong>0 · Seeding</strong>
          <span>Before any learning, the untrained proposer fills the buffers starting from one seed task: the identity function.</span>
        </li>
      )}
      {STAGES.map((s) => (
        <li key={s.phase} className={`stage${current === s.phase ? ' active' : ''}`} data-phase={s.phase}>
          <strong>{s.title}</strong>
          <span>{s.text}</span>
        </li>
      ))}
    </ol>
  );
}
