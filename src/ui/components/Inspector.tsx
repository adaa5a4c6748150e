import { useEffect } from 'react';
import type { InductionTask, Triplet } from '../../azr/buffers';
import { TYPE_COLORS } from '../charts/specs';
import { useLabContext, useLabState } from '../context';
import { sourceLabel } from './Buffers';
import { Code, ResponseText } from './Code';

/** Everything about one task: the task itself, how it was proposed, its solve history, every kept attempt. */
export function Inspector() {
  const { store } = useLabContext();
  const id = useLabState((s) => s.selectedTask);
  useLabState((s) => s.tasksVersion);
  const task = useLabState((s) => (s.selectedTask === null ? undefined : s.tasks.get(s.selectedTask)));
  const attempts = useLabState((s) => (s.selectedTask === null ? undefined : s.attempts.get(s.selectedTask)));
  const close = () => store.setState({ selectedTask: null });
  useEffect(() => {
    if (id === null) return;
    const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape') store.setState({ selectedTask: null }); };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [id, store]);
  if (id === null) return null;
  return (
    <div className="overlay" onClick={close}>
      <aside className="inspector" role="dialog" aria-label={`Task ${id}`} data-testid="inspector" onClick={(e) => e.stopPropagation()}>
        <header>
          <h2>
            {task && <span className="type-dot" style={{ background: TYPE_COLORS[task.type] }} />} Task #{id}{task ? ` · ${task.type}` : ''}
          </h2>
          <button onClick={close} aria-label="Close" data-testid="inspector-close">✕</button>
        </header>
        {!task ? <p className="empty">This task is no longer in the buffers.</p> : (
          <>
            <p className="muted">
              Proposed at {sourceLabel(task)}
              {task.proposedSolveRate && <> · solved {task.proposedSolveRate.solved}/{task.proposedSolveRate.rollouts} times when proposed (learnability estimate)</>}
              {' '}· solved {task.solved} of {task.attempts} attempts since
            </p>
            <h3>Program</h3>
            <Code text={task.task.program} />
            {task.type === 'induction' ? <InductionDetails task={task.task as InductionTask} /> : (
              <dl className="io">
                <dt>Input</dt><dd><Code text={(task.task as Triplet).input} inline /></dd>
                <dt>Output</dt><dd><Code text={(task.task as Triplet).output} inline /></dd>
              </dl>
            )}
            <h3>Solve history</h3>
            {task.history.length === 0 ? <p className="empty">Not attempted yet.</p> : (
              <table className="small-table">
                <thead><tr><th>step</th><th>solved</th><th>attempts</th></tr></thead>
                <tbody>{task.history.map((h, i) => <tr key={i}><td>{h.step}</td><td>{h.solved}</td><td>{h.attempts}</td></tr>)}</tbody>
              </table>
            )}
            <h3>Solver attempts <span className="muted">(trained answers; the learnability rollouts are counted above, not kept)</span></h3>
            {!attempts?.length ? <p className="empty">None kept yet.</p> : (
              <ul className="feed-list">
                {[...attempts].reverse().map((a, i) => (
                  <li key={i} className={`feed-item ${a.outcome === 'correct' ? 'ok' : 'bad'}`}>
                    <div className="feed-meta">
                      <span className="muted">step {a.step}</span>
                      <span className={`verdict ${a.outcome === 'correct' ? 'ok' : 'bad'}`} title={a.reason}>{a.outcome === 'correct' ? '✓' : '✗'} {a.outcome}{a.reason ? ` (${a.reason})` : ''}</span>
                      <span className="muted">reward {a.reward} · advantage {a.advantage.toFixed(2)}</span>
                    </div>
                    <ResponseText text={a.answer} />
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </aside>
    </div>
  );
}

function InductionDetails({ task }: { task: InductionTask }) {
  const shown = task.pairs.slice(0, task.shown);
  const heldOut = task.pairs.slice(task.shown);
  const table = (pairs: typeof shown) => (
    <table className="small-table">
      <thead><tr><th>input</th><th>output</th></tr></thead>
      <tbody>{pairs.map((p, i) => <tr key={i}><td><Code text={p.input} inline /></td><td><Code text={p.output} inline /></td></tr>)}</tbody>
    </table>
  );
  return (
    <>
      <h3>Message</h3>
      <p>{task.message || <span className="muted">(empty)</span>}</p>
      <h3>Shown to the solver</h3>
      {table(shown)}
      <h3>Held out <span className="muted">(the solver's program must match these)</span></h3>
      {table(heldOut)}
    </>
  );
}
