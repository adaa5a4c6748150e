import { useLabState } from '../context';

/** The seeding phase's progress: valid triplets so far out of the target, so the first seconds are never blank. */
export function SeedingBar() {
  const seeding = useLabState((s) => s.seeding);
  const state = useLabState((s) => s.state);
  const step = useLabState((s) => s.step);
  if (step > 0 && state !== 'seeding') return null;
  if (!seeding) {
    if (state !== 'ready' && state !== 'loading') return null;
    return (
      <div className="seeding idle">
        {state === 'loading'
          ? 'Setting up the model and the sandbox…'
          : 'Press Start. The run begins by seeding: the untrained model proposes programs until the buffers hold enough valid tasks, then self-play steps follow.'}
      </div>
    );
  }
  const triplets = Math.min(1, seeding.valid / Math.max(1, seeding.target));
  const induction = seeding.inductionTarget ? Math.min(1, seeding.induction / seeding.inductionTarget) : 1;
  return (
    <div className="seeding" data-testid="seeding">
      <div className="seeding-text">
        <strong>Seeding the buffers</strong> — the proposer, not yet trained, writes programs; QuickJS keeps the valid ones.{' '}
        {seeding.valid} / {seeding.target} valid triplets
        {seeding.inductionTarget > 0 && <>, {seeding.induction} / {seeding.inductionTarget} induction tasks</>} ({seeding.attempts} proposals tried)
      </div>
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={1} aria-valuenow={(triplets + induction) / 2}>
        <div className="fill" style={{ width: `${((triplets + induction) / 2) * 100}%` }} />
      </div>
    </div>
  );
}
