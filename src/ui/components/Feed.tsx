import { useEffect, useState, type ReactNode } from 'react';
import { TYPE_COLORS } from '../charts/specs';
import { useLabContext, useLabState } from '../context';
import { useFrameLag } from '../frames';
import { ResponseText } from './Code';

const signed = (x: number) => (x > 0 ? `+${x.toFixed(2)}` : x.toFixed(2));

/**
 * Items each list shows until "show all" is pressed. A default step has 24 proposals and 24 answers, each
 * with its code; rendering them all whenever a step lands made that frame's layout and paint a main-thread
 * long task of 100 ms and more.
 */
const SHOWN = 12;

/**
 * Items mounted per animation frame once a step's feed shows, per list (proposals, answers). One: an item's
 * highlighted code is dozens of elements, and the frames after a step lands also draw the charts and
 * the buffers' new rows; three per list made one of those frames a 60 ms task here (bench/page.ts
 * `--opt frames=1`). A list of 12 is in place after 12 frames, about 0.2 s.
 */
const PER_FRAME = 1;

/**
 * How many of `total` items to mount now: PER_FRAME more each animation frame after `items` changes, so a
 * landing step's code blocks are laid out and painted over several frames instead of in one long task.
 * The reset happens during render (React's "adjust state when a prop changes"), so the new step never
 * renders in full first.
 */
function useReveal(items: unknown, total: number): number {
  const [revealed, setRevealed] = useState(PER_FRAME);
  const [seen, setSeen] = useState(items);
  if (seen !== items) {
    setSeen(items);
    setRevealed(PER_FRAME);
  }
  useEffect(() => {
    if (revealed >= total) return;
    const frame = requestAnimationFrame(() => setRevealed((r) => r + PER_FRAME));
    return () => cancelAnimationFrame(frame);
  }, [revealed, total]);
  return Math.min(revealed, total);
}

/** A list that renders its first SHOWN items, and the rest on request (kept open for later steps). */
function Capped<T>({ items, render, what }: { items: readonly T[]; render: (item: T, i: number) => ReactNode; what: string }) {
  const [all, setAll] = useState(false);
  const revealed = useReveal(items, all ? items.length : Math.min(SHOWN, items.length));
  const shown = items.slice(0, revealed);
  return (
    <>
      <ul className="feed-list">{shown.map(render)}</ul>
      {items.length > SHOWN && (
        <button className="link" onClick={() => setAll(!all)}>
          {all ? `show the first ${SHOWN} ${what} only` : `show all ${items.length} ${what}`}
        </button>
      )}
    </>
  );
}

/** The current step, task by task: proposals with the sandbox's verdict, then the solver's answers. */
export function Feed() {
  const { store } = useLabContext();
  // One frame after the step lands: that frame lays out the status bar and the stage that changed.
  const feed = useFrameLag(useLabState((s) => s.feed), 1);
  const open = (id: number) => store.setState({ selectedTask: id });
  return (
    <section className="panel feed" aria-label="Live feed" data-testid="feed">
      <h2>{feed ? `Step ${feed.step}, task by task` : 'Task by task'}</h2>
      {!feed ? <p className="empty">Each step's proposals and answers appear here as they are judged.</p> : (
        <>
          <h3>Proposed tasks <span className="muted">— verdict of the sandbox; reward = learnability</span></h3>
          <Capped items={feed.proposals} what="proposals" render={(p, i) => (
              <li key={i} className={`feed-item ${p.verdict === 'valid' ? 'ok' : 'bad'}`}>
                <div className="feed-meta">
                  <span className="type-dot" style={{ background: TYPE_COLORS[p.type] }} />
                  <span className="type">{p.type}</span>
                  <span className={`verdict ${p.verdict === 'valid' ? 'ok' : 'bad'}`} title={p.message}>{p.verdict === 'valid' ? '✓ valid' : `✗ ${p.verdict}`}</span>
                  {p.solved !== undefined && <span className="muted">solved {p.solved}/{p.rollouts}</span>}
                  {p.guessRate !== undefined && p.guessRate > 0 && (
                    <span className="muted" title="Share of answers written for other tasks of this step that solve this one too">
                      guessable {Math.round(p.guessRate * 100)}%
                    </span>
                  )}
                  <span className="muted">r {signed(p.reward)} · A {signed(p.advantage)}</span>
                  {p.taskId !== undefined && <button className="link" onClick={() => open(p.taskId!)}>#{p.taskId}</button>}
                </div>
                <ResponseText text={p.text} />
              </li>
            )} />
          <h3>Solver answers <span className="muted">— checked by the sandbox</span></h3>
          <Capped items={feed.solves} what="answers" render={(s, i) => (
              <li key={i} className={`feed-item ${s.outcome === 'correct' ? 'ok' : 'bad'}`}>
                <div className="feed-meta">
                  <span className="type-dot" style={{ background: TYPE_COLORS[s.type] }} />
                  <span className="type">{s.type}</span>
                  <span className={`verdict ${s.outcome === 'correct' ? 'ok' : 'bad'}`} title={s.reason}>{s.outcome === 'correct' ? '✓' : '✗'} {s.outcome}</span>
                  <span className="muted">r {signed(s.reward)} · A {signed(s.advantage)}</span>
                  <button className="link" onClick={() => open(s.taskId)}>task #{s.taskId}</button>
                </div>
                <ResponseText text={s.answer} />
              </li>
            )} />
        </>
      )}
    </section>
  );
}
